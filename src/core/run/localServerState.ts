/**
 * What a front end keeps about the `comfy-runner serve` child it started (localServer.ts), and how it
 * tells whether that server is still there: the state file holds the URL, the process id and, when the
 * front end did not hand in its own, the per-launch token. It is written atomically with mode 0600 and
 * belongs in the front end's private storage (VS Code's `globalStorageUri`); the token never goes into
 * settings, job files, `runner.json` or `run.json`.
 */
import { writeFile } from 'node:fs/promises';
import * as http from 'node:http';
import { queueReply } from '../comfy/replies';
import { isEmbeddedVersion } from '../protocol/serverVersion';
import { readTextIfExists, writeAtomically } from '../util/atomicWrite';

/** The state file's content. */
export interface LocalServerState {
  /** `http://127.0.0.1:<port>`, as the pool and the jobs name the server. */
  readonly url: string;
  /** The server's process id. */
  readonly pid: number;
  /** The token, when the launcher made it; absent when the caller keeps its own. */
  readonly token?: string;
  /** When it was started, as an ISO time. */
  readonly startedAt: string;
  /** Prompts it runs at once (`serve --parallel`); absent in state files from before it was kept. @default 1 */
  readonly parallel?: number;
}

/** The state kept in `file`, or undefined when there is none or it is unreadable. */
export async function readLocalServerState(file: string): Promise<LocalServerState | undefined> {
  const text = await readTextIfExists(file);
  if (text === undefined) return undefined;
  try {
    const s = JSON.parse(text) as Partial<LocalServerState>;
    if (typeof s.url !== 'string' || !Number.isInteger(s.pid)) return undefined;
    if (s.token !== undefined && typeof s.token !== 'string') return undefined;
    if (s.parallel !== undefined && !(Number.isInteger(s.parallel) && s.parallel >= 1)) return undefined;
    return s as LocalServerState;
  } catch {
    return undefined;
  }
}

/** Writes the state atomically, readable by its owner only (mode 0600). */
export function writeLocalServerState(file: string, state: LocalServerState): Promise<void> {
  const text = `${JSON.stringify(state, null, 2)}\n`;
  return writeAtomically(file, (tmp) => writeFile(tmp, text, { mode: 0o600 }));
}

/** The status and body of `GET <url><path>` with the token, or undefined for no answer within `timeoutMs`. */
function getWithToken(
  url: string,
  path: string,
  token: string,
  timeoutMs: number,
): Promise<{ status: number; body: string } | undefined> {
  return new Promise((done) => {
    const req = http.get(
      `${url}${path}`,
      { headers: { Authorization: `Bearer ${token}` }, agent: false, timeout: timeoutMs },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', () => done(undefined));
        res.on('end', () => done({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      },
    );
    req.on('timeout', () => req.destroy());
    req.on('error', () => done(undefined));
  });
}

/**
 * True when `url` answers `GET /system_stats` with the token as one of our embedded engines does; false
 * for no answer within `timeoutMs`, a refusal (another token) or another kind of server.
 */
export async function answersWithToken(url: string, token: string, timeoutMs = 3_000): Promise<boolean> {
  const reply = await getWithToken(url, '/system_stats', token, timeoutMs);
  return reply?.status === 200 && isEmbedded(reply.body);
}

/**
 * True when the server at `url` runs or holds a prompt (`GET /queue`), and when it cannot tell: a server
 * that may be busy is never replaced.
 */
export async function hasPrompts(url: string, token: string, timeoutMs = 3_000): Promise<boolean> {
  const reply = await getWithToken(url, '/queue', token, timeoutMs);
  if (reply?.status !== 200) return true;
  try {
    const queue = queueReply.safeParse(JSON.parse(reply.body));
    return !queue.success || queue.data.queue_running.length + queue.data.queue_pending.length > 0;
  } catch {
    return true;
  }
}

/** True for a `/system_stats` body of `comfy-runner serve`. */
function isEmbedded(text: string): boolean {
  try {
    const stats = JSON.parse(text) as { system?: { comfyui_version?: unknown } };
    return isEmbeddedVersion(stats.system?.comfyui_version);
  } catch {
    return false;
  }
}
