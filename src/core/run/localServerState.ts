/**
 * What a front end keeps about the `comfy-runner serve` child it started (localServer.ts), and how it
 * tells whether that server is still there: the state file holds the URL, the process id and, when the
 * front end did not hand in its own, the per-launch token. It is written atomically with mode 0600 and
 * belongs in the front end's private storage (VS Code's `globalStorageUri`); the token never goes into
 * settings, job files, `runner.json` or `run.json`.
 */
import { writeFile } from 'node:fs/promises';
import * as http from 'node:http';
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
}

/** The state kept in `file`, or undefined when there is none or it is unreadable. */
export async function readLocalServerState(file: string): Promise<LocalServerState | undefined> {
  const text = await readTextIfExists(file);
  if (text === undefined) return undefined;
  try {
    const s = JSON.parse(text) as Partial<LocalServerState>;
    if (typeof s.url !== 'string' || !Number.isInteger(s.pid)) return undefined;
    if (s.token !== undefined && typeof s.token !== 'string') return undefined;
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

/**
 * True when `url` answers `GET /system_stats` with the token as one of our embedded engines does; false
 * for no answer within `timeoutMs`, a refusal (another token) or another kind of server.
 */
export function answersWithToken(url: string, token: string, timeoutMs = 3_000): Promise<boolean> {
  return new Promise((done) => {
    const req = http.get(
      `${url}/system_stats`,
      { headers: { Authorization: `Bearer ${token}` }, agent: false, timeout: timeoutMs },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', () => done(false));
        res.on('end', () => done(res.statusCode === 200 && isEmbedded(Buffer.concat(chunks).toString())));
      },
    );
    req.on('timeout', () => req.destroy());
    req.on('error', () => done(false));
  });
}

/** True for a `/system_stats` body of `comfy-runner serve`. */
function isEmbedded(text: string): boolean {
  try {
    const stats = JSON.parse(text) as { system?: { comfyui_version?: unknown } };
    const version = stats.system?.comfyui_version;
    return typeof version === 'string' && version.startsWith('comfy-runner ');
  } catch {
    return false;
  }
}
