/**
 * `comfy-runner demo`: runs every workflow in `examples/` (API and editor format) on the embedded
 * engine, several jobs at once, and says where the outputs are.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { RunnerError } from '../core/util/runnerError';
import type { CliIo } from './output';
import { runCommand } from './runCommand';

/** Finds the examples folder next to the sources or the bundle. */
function examplesDir(): string {
  for (const candidate of [
    resolve(__dirname, '../../examples'),
    resolve(__dirname, '../examples'),
    resolve('examples'),
  ]) {
    if (existsSync(join(candidate, 'api'))) return candidate;
  }
  throw new RunnerError(
    'bad_input',
    'cannot find the examples folder (expected examples/api beside the project)',
  );
}

/** Runs the demo; returns the exit code of the run. */
export async function demoCommand(opts: { out: string; json: boolean }, io: CliIo): Promise<number> {
  const dir = examplesDir();
  const files = ['api', 'editor'].flatMap((sub) =>
    readdirSync(join(dir, sub))
      .filter((f) => f.endsWith('.json'))
      .sort()
      .map((f) => relative(process.cwd(), join(dir, sub, f)) || f),
  );
  if (!opts.json) io.out(`Running ${files.length} example workflows on the embedded engine…`);
  const code = await runCommand(
    {
      files,
      runs: 1,
      sets: [],
      sweeps: [],
      allowIdentical: false,
      servers: ['embedded'],
      out: opts.out,
      inputDir: join(dir, 'input'),
      concurrency: 2,
      json: opts.json,
    },
    io,
  );
  if (!opts.json) io.out(`\nOutputs and run records are in ${resolve(opts.out)}`);
  return code;
}
