/**
 * `comfy-runner serve [--host 127.0.0.1] [--port 8188] [--input-dir] [--output-dir] [--temp-dir]
 * [--parallel N] [--token <t> | --token-from-env] [--allow-host <name>]... [--exit-when-idle <seconds>]
 * [--json]`: the embedded engine behind ComfyUI's HTTP and WebSocket protocol, until SIGINT or SIGTERM
 * (or, with `--exit-when-idle`, until nobody used it for that long), then a clean stop (running prompts
 * are interrupted and recorded, sockets closed) and exit code 0.
 *
 * `--token` makes every request and the socket upgrade carry the token (`Authorization: Bearer` or
 * `?token=`); `--token-from-env` reads it from COMFY_RUNNER_TOKEN instead, so that it never shows in
 * `ps` (how core/run/localServer.ts starts a server for a front end). The token is never printed.
 *
 * On loopback the server answers only a `Host` that is a loopback address or `localhost`, and never a
 * page of another site (core/server/originCheck.ts); each `--allow-host <name>` accepts one more name,
 * as `Host` and as a page's origin. What the server could not answer as asked goes to stderr.
 */
import { startComfyServer } from '../core/server/comfyServer';
import { whenIdleFor } from '../core/server/idleWatch';
import type { CliIo } from './output';

/** Options of the serve command. */
export interface ServeOptions {
  host: string;
  /** Host names accepted besides loopback and localhost (`--allow-host`). @default none */
  allowHosts?: readonly string[];
  port: number;
  inputDir: string;
  outputDir: string;
  tempDir: string;
  parallel: number;
  json: boolean;
  /** The token every request must carry. @default none */
  token?: string;
  /**
   * Stop once no socket was open, nothing queued or running and no request came for this many
   * seconds. @default never
   */
  exitWhenIdleSeconds?: number;
  /** Resolves when the server should stop. @default the first SIGINT or SIGTERM */
  stop?: Promise<unknown>;
}

/** The first SIGINT or SIGTERM; the listeners are removed once it came or `signal` aborts. */
function firstSignal(signal: AbortSignal): Promise<NodeJS.Signals> {
  return new Promise((done) => {
    const off = () => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
    };
    const on = (s: NodeJS.Signals) => {
      off();
      done(s);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
    signal.addEventListener('abort', off, { once: true });
  });
}

/** Runs the server until stopped; returns 0 after a clean stop. */
export async function serveCommand(opts: ServeOptions, io: CliIo): Promise<number> {
  const server = await startComfyServer({
    host: opts.host,
    allowHosts: opts.allowHosts,
    port: opts.port,
    inputDir: opts.inputDir,
    outputDir: opts.outputDir,
    tempDir: opts.tempDir,
    parallel: opts.parallel,
    token: opts.token,
    log: (line) => io.err(line),
  });
  const watching = new AbortController();
  const idleMs = opts.exitWhenIdleSeconds === undefined ? undefined : opts.exitWhenIdleSeconds * 1000;
  const idle = idleMs === undefined ? [] : [whenIdleFor(server, idleMs, watching.signal).then(() => 'idle')];
  const stop = Promise.race([opts.stop ?? firstSignal(watching.signal), ...idle]);
  if (opts.json) io.out(JSON.stringify({ type: 'listening', url: server.url, parallel: opts.parallel }));
  else io.out(`ComfyUI-compatible server (embedded engine) listening on ${server.url}; ${howItStops(opts)}`);
  const why = await stop;
  watching.abort();
  if (!opts.json) io.out(why === 'idle' ? 'stopping: idle' : 'stopping: interrupting running prompts');
  await server.close();
  if (opts.json)
    io.out(JSON.stringify(why === 'idle' ? { type: 'stopped', reason: 'idle' } : { type: 'stopped' }));
  else io.out('stopped');
  return 0;
}

function howItStops(opts: ServeOptions): string {
  const idle = opts.exitWhenIdleSeconds;
  return idle === undefined ? 'Ctrl+C stops it' : `stops after ${idle} s unused, or on Ctrl+C`;
}
