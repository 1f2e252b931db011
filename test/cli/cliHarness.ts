/**
 * Runs the command line in-process with captured output, for tests.
 */
import { main } from '../../src/cli/main';
import type { CliIo } from '../../src/cli/output';

/** What one command-line run printed and returned. */
export interface CliRun {
  code: number;
  out: string[];
  err: string[];
}

/** Runs `comfy-runner <argv...>` and captures stdout and stderr lines. */
export async function runCli(argv: string[]): Promise<CliRun> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { isTty: false, out: (l) => out.push(l), err: (l) => err.push(l) };
  const code = await main(argv, io);
  return { code, out, err };
}
