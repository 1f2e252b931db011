/**
 * The `comfy-runner` command line: a table of commands over src/core. Exit codes: 0 success, 1 a job
 * failed or an internal error, 2 the input is at fault, 3 no server can run the work.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { tokenEnvVariable } from '../core/server/accessToken';
import { isRunnerError, RunnerError } from '../core/util/runnerError';
import { convertCommand } from './convertCommand';
import { demoCommand } from './demoCommand';
import { downloadFlags, downloadFlagsUsage, downloadLimitsFromFlags } from './downloadFlags';
import { jobsActions, jobsCommand, parseAge, type JobsAction } from './jobsCommand';
import { processIo, type CliIo } from './output';
import { positiveInt, runCommand, seedControlOption, splitOption } from './runCommand';
import { serveCommand } from './serveCommand';
import { validateCommand } from './validateCommand';

type Values = Record<string, string | boolean | string[] | undefined>;

interface Command {
  summary: string;
  usage: string;
  options: NonNullable<ParseArgsConfig['options']>;
  run(values: Values, positionals: string[], io: CliIo): Promise<number>;
}

const common = {
  json: { type: 'boolean', default: false },
  'input-dir': { type: 'string', default: 'input' },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

const str = (v: Values[string]) => (typeof v === 'string' ? v : undefined);

function oneFile(positionals: string[], usage: string): string {
  if (positionals.length !== 1) throw usageError(`expected one workflow file\nusage: ${usage}`);
  return positionals[0];
}

/** A positive whole number option, or undefined when it is not given. */
function optionalInt(name: string, text: string | undefined): number | undefined {
  return text === undefined ? undefined : positiveInt(name, text, 1);
}

/** A number of seconds above 0 (fractions allowed). */
function seconds(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0)
    throw usageError(`--${name} takes a number of seconds above 0, not "${text}"`);
  return n;
}

/**
 * The token `serve` asks for: `--token`, or with `--token-from-env` the variable, which is then removed
 * from this process's environment so nothing it starts inherits it. Neither given: none.
 */
function serveToken(v: Values): string | undefined {
  const given = str(v.token);
  if (v['token-from-env'] !== true) {
    if (given === '') throw usageError('--token takes a non-empty token');
    return given;
  }
  if (given !== undefined) throw usageError('give --token or --token-from-env, not both');
  const token = process.env[tokenEnvVariable];
  delete process.env[tokenEnvVariable];
  // Failing closed: a launcher that meant to protect the server must not get an open one.
  if (!token) throw usageError(`--token-from-env: ${tokenEnvVariable} is not set or empty`);
  return token;
}

/** A TCP port: 0 (any free one) to 65535. */
function port(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw usageError(`--port takes 0 to 65535, not "${text}"`);
  return n;
}

const commands: Record<string, Command> = {
  run: {
    summary: 'run workflows as durable jobs over the embedded engine and ComfyUI servers, with live progress',
    usage: `comfy-runner run <workflow files...> [--server <url>|embedded]... [--runs N] [--seed increment|decrement|randomize|fixed] [--allow-identical] [--sweep <node>.<input>=<v1>,<v2>,...]... [--set <node>.<input>=<json>]... [--only <output node>]... [--split|--no-split] [--split-servers N] [--engine-slots N] [--concurrency N] ${downloadFlagsUsage} [--out <dir>] [--store <dir>] [--input-dir <dir>] [--json]`,
    options: {
      ...common,
      runs: { type: 'string' },
      seed: { type: 'string' },
      'allow-identical': { type: 'boolean', default: false },
      set: { type: 'string', multiple: true, default: [] },
      sweep: { type: 'string', multiple: true, default: [] },
      only: { type: 'string', multiple: true, default: [] },
      split: { type: 'boolean', default: false },
      'no-split': { type: 'boolean', default: false },
      'split-servers': { type: 'string' },
      'engine-slots': { type: 'string' },
      out: { type: 'string', short: 'o', default: 'comfy-runs' },
      store: { type: 'string' },
      concurrency: { type: 'string' },
      server: { type: 'string', multiple: true, default: [] },
      ...downloadFlags,
    },
    run: (v, p, io) => {
      if (p.length === 0)
        throw usageError(`expected at least one workflow file\nusage: ${commands.run.usage}`);
      return runCommand(
        {
          files: p,
          runs: positiveInt('runs', str(v.runs), 1),
          sets: v.set as string[],
          sweeps: v.sweep as string[],
          only: v.only as string[],
          split: splitOption(v.split === true, v['no-split'] === true, str(v['split-servers'])),
          seed: seedControlOption(str(v.seed)),
          allowIdentical: v['allow-identical'] === true,
          out: str(v.out)!,
          store: str(v.store),
          inputDir: str(v['input-dir'])!,
          concurrency: optionalInt('concurrency', str(v.concurrency)),
          downloads: downloadLimitsFromFlags(v),
          servers: v.server as string[],
          engineSlots: optionalInt('engine-slots', str(v['engine-slots'])),
          json: v.json === true,
        },
        io,
      );
    },
  },
  jobs: {
    summary: 'list, cancel, retry, resume or prune the jobs of a store, also while another process runs them',
    usage: `comfy-runner jobs list|cancel <id>...|retry <id>...|resume|prune [--store <dir>] [--json] [--server <url>]... [--concurrency N] [--engine-slots N] ${downloadFlagsUsage} [--input-dir <dir>] [--older-than <age>]`,
    options: {
      json: common.json,
      help: common.help,
      store: { type: 'string', default: 'comfy-runs/.store' },
      server: { type: 'string', multiple: true, default: [] },
      concurrency: { type: 'string' },
      'engine-slots': { type: 'string' },
      'input-dir': { type: 'string' },
      'older-than': { type: 'string', default: '0' },
      ...downloadFlags,
    },
    run: (v, p, io) => {
      const [action, ...ids] = p;
      if (!jobsActions.includes(action as JobsAction))
        throw usageError(`expected one of ${jobsActions.join(', ')}\nusage: ${commands.jobs.usage}`);
      const takesIds = action === 'cancel' || action === 'retry';
      if (takesIds !== ids.length > 0)
        throw usageError(
          `${takesIds ? 'expected job ids' : 'unexpected arguments'}\nusage: ${commands.jobs.usage}`,
        );
      return jobsCommand(
        {
          action: action as JobsAction,
          ids,
          store: str(v.store)!,
          json: v.json === true,
          servers: v.server as string[],
          concurrency: optionalInt('concurrency', str(v.concurrency)),
          engineSlots: optionalInt('engine-slots', str(v['engine-slots'])),
          downloads: downloadLimitsFromFlags(v),
          inputDir: str(v['input-dir']),
          olderThanMs: parseAge(str(v['older-than'])!),
        },
        io,
      );
    },
  },
  serve: {
    summary: 'serve the embedded engine over ComfyUI’s HTTP and WebSocket protocol',
    usage:
      'comfy-runner serve [--host 127.0.0.1] [--port 8188] [--input-dir <dir>] [--output-dir <dir>] [--temp-dir <dir>] [--parallel N] [--token <t>|--token-from-env] [--allow-host <name>]... [--exit-when-idle <seconds>] [--json]',
    options: {
      ...common,
      host: { type: 'string', default: '127.0.0.1' },
      'allow-host': { type: 'string', multiple: true, default: [] },
      port: { type: 'string', default: '8188' },
      'output-dir': { type: 'string', default: 'output' },
      'temp-dir': { type: 'string', default: 'temp' },
      parallel: { type: 'string' },
      token: { type: 'string' },
      'token-from-env': { type: 'boolean', default: false },
      'exit-when-idle': { type: 'string' },
    },
    run: (v, _p, io) =>
      serveCommand(
        {
          host: str(v.host)!,
          allowHosts: v['allow-host'] as string[],
          port: port(str(v.port)!),
          inputDir: str(v['input-dir'])!,
          outputDir: str(v['output-dir'])!,
          tempDir: str(v['temp-dir'])!,
          parallel: positiveInt('parallel', str(v.parallel), 1),
          json: v.json === true,
          token: serveToken(v),
          exitWhenIdleSeconds: seconds('exit-when-idle', str(v['exit-when-idle'])),
        },
        io,
      ),
  },
  demo: {
    summary: 'run the example workflows on the embedded engine',
    usage: 'comfy-runner demo [--out <dir>] [--json]',
    options: { ...common, out: { type: 'string', short: 'o', default: 'comfy-runs' } },
    run: (v, _p, io) => demoCommand({ out: str(v.out)!, json: v.json === true }, io),
  },
  validate: {
    summary: 'check a workflow against node definitions and report every problem',
    usage: 'comfy-runner validate <file> [--nodes <object_info.json>] [--input-dir <dir>] [--json]',
    options: { ...common, nodes: { type: 'string' } },
    run: (v, p, io) =>
      validateCommand(
        {
          file: oneFile(p, commands.validate.usage),
          nodes: str(v.nodes),
          inputDir: str(v['input-dir'])!,
          json: v.json === true,
        },
        io,
      ),
  },
  convert: {
    summary: 'convert an editor-format workflow to API format',
    usage: 'comfy-runner convert <file> [--nodes <object_info.json>] [-o <out>] [--json]',
    options: { ...common, nodes: { type: 'string' }, out: { type: 'string', short: 'o' } },
    run: (v, p, io) =>
      convertCommand(
        {
          file: oneFile(p, commands.convert.usage),
          nodes: str(v.nodes),
          inputDir: str(v['input-dir'])!,
          out: str(v.out),
          json: v.json === true,
        },
        io,
      ),
  },
};

/** Wrong arguments: the input is at fault (exit code 2), like every other `bad_input`. */
function usageError(message: string): RunnerError {
  return new RunnerError('bad_input', message, {}, { usage: true });
}

/** True for an argument error of ours or of `parseArgs`, which is shown with the command's name. */
function isUsageError(e: unknown): boolean {
  if (isRunnerError(e, 'bad_input')) return (e.details as { usage?: boolean } | undefined)?.usage === true;
  return (e as { code?: string } | null)?.code?.startsWith('ERR_PARSE_ARGS') === true;
}

function help(io: CliIo): void {
  io.out('usage: comfy-runner <command> [options]\n\ncommands:');
  for (const [name, c] of Object.entries(commands)) io.out(`  ${name.padEnd(10)} ${c.summary}`);
}

/** Runs the command line with `argv` (without node and script); returns the exit code. */
export async function main(argv: string[], io: CliIo = processIo()): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    help(io);
    return name ? 0 : 2;
  }
  const command = commands[name];
  if (!command) {
    io.err(`comfy-runner: unknown command "${name}"`);
    help(io);
    return 2;
  }
  try {
    const { values, positionals } = parseArgs({
      args: rest,
      options: command.options,
      allowPositionals: true,
      strict: true,
    });
    if (values.help) {
      io.out(`usage: ${command.usage}`);
      return 0;
    }
    return await command.run(values as Values, positionals, io);
  } catch (e) {
    return reportFailure(e, name, io);
  }
}

function reportFailure(e: unknown, name: string, io: CliIo): number {
  if (isUsageError(e)) {
    io.err(`comfy-runner ${name}: ${(e as Error).message}`);
    return 2;
  }
  if (isRunnerError(e, 'bad_input', 'prompt_rejected')) {
    io.err(e.message);
    return 2;
  }
  if (isRunnerError(e, 'no_capable_server', 'server_unreachable', 'auth', 'timeout')) {
    io.err(e.message);
    return 3;
  }
  io.err(`comfy-runner ${name}: internal error: ${(e as Error)?.message ?? String(e)}`);
  if (process.env.COMFY_RUNNER_DEBUG) io.err(String((e as Error)?.stack));
  return 1;
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
