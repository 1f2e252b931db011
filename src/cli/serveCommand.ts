/**
 * `comfy-runner serve [--host 127.0.0.1] [--port 8188] [--input-dir] [--output-dir] [--temp-dir]
 * [--parallel N] [--json]`: the embedded engine behind ComfyUI's HTTP and WebSocket protocol, until
 * SIGINT or SIGTERM, then a clean stop (running prompts are interrupted and recorded, sockets closed).
 */
import { startComfyServer } from '../core/server/comfyServer';
import type { CliIo } from './output';

/** Options of the serve command. */
export interface ServeOptions {
  host: string;
  port: number;
  inputDir: string;
  outputDir: string;
  tempDir: string;
  parallel: number;
  json: boolean;
  /** Resolves when the server should stop. @default the first SIGINT or SIGTERM */
  stop?: Promise<unknown>;
}

/** The first SIGINT or SIGTERM; the listeners are removed once it came. */
function firstSignal(): Promise<NodeJS.Signals> {
  return new Promise((done) => {
    const on = (signal: NodeJS.Signals) => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      done(signal);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}

/** Runs the server until stopped; returns 0 after a clean stop. */
export async function serveCommand(opts: ServeOptions, io: CliIo): Promise<number> {
  const stop = opts.stop ?? firstSignal();
  const server = await startComfyServer({
    host: opts.host,
    port: opts.port,
    inputDir: opts.inputDir,
    outputDir: opts.outputDir,
    tempDir: opts.tempDir,
    parallel: opts.parallel,
  });
  if (opts.json) io.out(JSON.stringify({ type: 'listening', url: server.url, parallel: opts.parallel }));
  else io.out(`ComfyUI-compatible server (embedded engine) listening on ${server.url}; Ctrl+C stops it`);
  await stop;
  if (!opts.json) io.out('stopping: interrupting running prompts');
  await server.close();
  if (opts.json) io.out(JSON.stringify({ type: 'stopped' }));
  else io.out('stopped');
  return 0;
}
