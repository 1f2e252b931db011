/**
 * What clients sending oversized WebSocket frames cost `comfy-runner serve`; prints, never passes or
 * fails. Twenty raw sockets (test/fakes/rawWebSocket.ts) each announce a 99 MB text frame and send up
 * to 20 MB of it, as fast as the server takes it; the server runs as a child process, whose resident
 * memory (Linux /proc) is read before, at its peak, and a second after every socket closed. Set
 * `SOCKET_BASELINE` to another checkout (its dependencies installed) to measure its server too, for
 * example the main branch before frames were capped.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { rawSocket, textFrameHeader } from '../test/fakes/rawWebSocket';

const SOCKETS = 20;
const ANNOUNCED = 99_000_000;
const SENT_PER_SOCKET = 20 * 1024 * 1024;

/** A `VmRSS` or `VmHWM` line of /proc/<pid>/status, in MB. */
function procMb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? NaN);
  return Math.round(kb / 1024);
}

/** Starts `comfy-runner serve` of the checkout at `root` on a free port; resolves with it and its URL. */
async function startServe(root: string, dirs: string): Promise<{ child: ChildProcess; url: string }> {
  const main = resolve(root, 'src/cli/main.ts');
  const folders = [
    '--input-dir',
    join(dirs, 'in'),
    '--output-dir',
    join(dirs, 'out'),
    '--temp-dir',
    join(dirs, 'tmp'),
  ];
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', main, 'serve', '--port', '0', '--json', ...folders],
    {
      cwd: root,
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  for await (const line of createInterface({ input: child.stdout! })) {
    return { child, url: (JSON.parse(line) as { url: string }).url };
  }
  throw new Error('serve printed nothing');
}

/** Sends up to `SENT_PER_SOCKET` bytes of an announced frame, stopping when the server closes. */
async function flood(url: string, i: number): Promise<{ closed: boolean; end: () => void }> {
  const { conn, closeCode } = await rawSocket(url, `flood-${i}`);
  let closed = false;
  void closeCode.then(() => (closed = true));
  const chunk = Buffer.alloc(64 * 1024, 0x41);
  conn.write(textFrameHeader(ANNOUNCED));
  for (let sent = 0; sent < SENT_PER_SOCKET && !closed && !conn.destroyed; sent += chunk.length) {
    if (!conn.write(chunk)) await Promise.race([new Promise((r) => conn.once('drain', r)), closeCode]);
  }
  return { closed, end: () => conn.destroy() };
}

async function measure(label: string, root: string): Promise<void> {
  const dirs = mkdtempSync(join(tmpdir(), 'socket-frames-bench-'));
  const { child, url } = await startServe(root, dirs);
  try {
    await sleep(500);
    const before = procMb(child.pid!, 'VmRSS');
    const floods = await Promise.all(Array.from({ length: SOCKETS }, (_, i) => flood(url, i)));
    const during = procMb(child.pid!, 'VmRSS');
    const peak = procMb(child.pid!, 'VmHWM');
    for (const f of floods) f.end();
    await sleep(1000);
    const after = procMb(child.pid!, 'VmRSS');
    const cut = floods.filter((f) => f.closed).length;
    console.log(
      `${label.padEnd(9)} RSS before ${before} MB, with ${SOCKETS} sockets ${during} MB (peak ${peak} MB), ` +
        `1 s after they closed ${after} MB; ${cut}/${SOCKETS} sockets closed by the server`,
    );
  } finally {
    child.kill('SIGTERM');
    rmSync(dirs, { recursive: true, force: true });
  }
}

/** Runs the measurement on this checkout, and on `SOCKET_BASELINE` when it is set. */
export async function runSocketFramesBench(): Promise<void> {
  console.log(
    `${SOCKETS} sockets, each announcing a ${ANNOUNCED / 1e6} MB frame and sending up to ${SENT_PER_SOCKET / 2 ** 20} MiB of it`,
  );
  const baseline = process.env.SOCKET_BASELINE;
  if (baseline) await measure('baseline', resolve(baseline));
  await measure('this', resolve(__dirname, '..'));
}
