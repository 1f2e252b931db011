/**
 * Running the active workflow from the palette, the editor title and CodeLens: once, N times, or as a
 * sweep. What runs is the editor's content, saved or not. Bad input is a message with actions, never a
 * stack trace, and never a half-started job: every job of a request is planned and checked before any
 * is queued.
 */
import * as vscode from 'vscode';
import type { PlanRequest } from '../core/run/planJobs';
import type { Runner } from '../core/run/runner';
import { isRunnerError } from '../core/util/runnerError';
import { parseSweep, type Override, type Sweep } from '../core/workflow/overrides';
import type { CommandContext } from './commandContext';
import { SECTION } from './settings';
import { validateActiveWorkflow } from './workflowCommands';

/**
 * The workflow a command is about: the file a lens or the editor title passed (its open editor's text,
 * saved or not, else the file itself, which may be a PNG), or the active editor's.
 */
function activeWorkflow(arg?: unknown): { file: string; content?: string } | undefined {
  const uri = arg as { fsPath?: unknown } | undefined;
  if (typeof uri?.fsPath === 'string') {
    const open = vscode.workspace.textDocuments.find((d) => d.uri.fsPath === uri.fsPath);
    return open ? { file: open.fileName, content: open.getText() } : { file: uri.fsPath };
  }
  const doc = vscode.window.activeTextEditor?.document;
  if (!doc) {
    void vscode.window.showWarningMessage('ComfyUI Runner: open a workflow file first.');
    return undefined;
  }
  return { file: doc.fileName, content: doc.getText() };
}

/** False (after saying why) in a workspace the user has not trusted: nothing runs and nothing connects. */
export function trustedOrSay(): boolean {
  if (vscode.workspace.isTrusted) return true;
  void vscode.window.showWarningMessage(
    'ComfyUI Runner runs nothing in an untrusted workspace. Validation still works.',
  );
  return false;
}

/** What the runner answers, opening it first; undefined after saying what went wrong, with actions. */
async function askRunner<T>(
  ctx: CommandContext,
  ask: (runner: Runner) => Promise<T>,
): Promise<T | undefined> {
  try {
    return await ask(await ctx.host.ensure());
  } catch (e) {
    await reportRunFailure(ctx, e);
    return undefined;
  }
}

/**
 * How a run is split, from the settings: by branch when `scheduler.split` is on or the command asks
 * for it (`always`), over at most `scheduler.splitServers` servers (0: no cap); else whole.
 */
function splitOf(config: vscode.WorkspaceConfiguration, always: boolean): PlanRequest['split'] {
  if (!always && config.get<boolean>('scheduler.split', false) !== true) return undefined;
  const cap = config.get<number>('scheduler.splitServers', 0);
  return Number.isInteger(cap) && cap > 0 ? { servers: cap } : {};
}

/**
 * Plans and queues the request; says what is wrong, with actions, when it cannot. `split` is Run
 * Split's: the run splits by branch whatever the setting says, and the user hears when it went whole.
 */
async function queue(ctx: CommandContext, request: Omit<PlanRequest, 'out'>, split?: 'split'): Promise<void> {
  if (!trustedOrSay()) return;
  try {
    const runner = await ctx.host.ensure();
    const config = vscode.workspace.getConfiguration(SECTION);
    const jobs = runner.add(
      await runner.plan({
        ...request,
        split: splitOf(config, split === 'split'),
        defaultSeedControl: config.get('scheduler.seedControl', 'increment'),
      }),
    );
    ctx.log.info(`queued ${jobs.length} job(s) of ${request.workflows[0]?.file}`);
    if (split === 'split' && !jobs.some((j) => j.split)) {
      void vscode.window.showInformationMessage(
        'ComfyUI Runner: the run went whole: it needs two independent output branches and two free servers that can run them.',
      );
    }
  } catch (e) {
    await reportRunFailure(ctx, e);
  }
}

/** The message and actions for a run that could not be queued. */
export async function reportRunFailure(ctx: CommandContext, e: unknown): Promise<void> {
  const message = e instanceof Error ? e.message : String(e);
  ctx.log.error(message);
  const first = message.split('\n').slice(0, 4).join(' ');
  if (isRunnerError(e, 'bad_input', 'prompt_rejected')) {
    const choice = await vscode.window.showErrorMessage(
      `ComfyUI Runner: ${first}`,
      'Show Problems',
      'Show Log',
    );
    if (choice === 'Show Problems') await validateActiveWorkflow(ctx);
    if (choice === 'Show Log') ctx.log.show();
    return;
  }
  const actions = ['Open Settings', 'Show Log'];
  const choice = await vscode.window.showErrorMessage(`ComfyUI Runner: ${first}`, ...actions);
  if (choice === 'Open Settings')
    await vscode.commands.executeCommand('workbench.action.openSettings', SECTION);
  if (choice === 'Show Log') ctx.log.show();
}

/** Runs the active workflow once. */
export async function runWorkflow(ctx: CommandContext, arg?: unknown): Promise<void> {
  const w = activeWorkflow(arg);
  if (w) await queue(ctx, { workflows: [w] });
}

/** Runs the active workflow once, split by branch across the free servers that can run it. */
export async function runSplit(ctx: CommandContext, arg?: unknown): Promise<void> {
  const w = activeWorkflow(arg);
  if (w) await queue(ctx, { workflows: [w] }, 'split');
}

/** Asks how many times, then runs the active workflow that many times, each with its own seeds. */
export async function runWorkflowTimes(ctx: CommandContext, arg?: unknown): Promise<void> {
  const w = activeWorkflow(arg);
  if (!w) return;
  const fallback = vscode.workspace.getConfiguration(SECTION).get<number>('scheduler.defaultRuns', 4);
  const text = await vscode.window.showInputBox({
    title: 'Run Workflow N Times',
    prompt: 'How many runs? Each run gets its own seeds.',
    value: String(fallback),
    validateInput: (v) => (/^[1-9]\d{0,3}$/.test(v.trim()) ? undefined : 'A whole number from 1 to 9999'),
  });
  if (text === undefined) return;
  await queue(ctx, { workflows: [w], runs: Number(text.trim()) });
}

/**
 * A run to start from, as the runs panel's Re-run with Changes passes it: the inputs it set (its
 * overrides), offered first in the picker, with the run's value in the values box.
 */
export interface SweepFrom {
  overrides: readonly Override[];
}

/**
 * Asks for a node input, picked by node title or id from those the workflow sets to a value, then for
 * its values or a range, and runs one job per value. From a run (`from`), the inputs that run changed
 * come first and its values fill the box.
 */
export async function runSweep(ctx: CommandContext, arg?: unknown, fromArg?: unknown): Promise<void> {
  const w = activeWorkflow(arg);
  const from = sweepFrom(fromArg);
  if (!w || !trustedOrSay()) return;
  const inputs = await askRunner(ctx, (runner) => runner.sweepInputs(w));
  if (!inputs) return;
  const items = inputs.map((i) => {
    const set = from?.overrides.find((o) => (o.node === i.node || o.node === i.title) && o.input === i.input);
    return {
      label: `${i.title} › ${i.input}`,
      description: `node ${i.node} · ${i.classType}`,
      detail: set
        ? `this run: ${shortJson(set.value)} · workflow: ${shortJson(i.value)}`
        : `now ${shortJson(i.value)}`,
      input: i,
      value: set ? set.value : i.value,
      changed: set !== undefined,
    };
  });
  // A stable sort: the run's inputs first, each group in the workflow's order.
  items.sort((a, b) => Number(b.changed) - Number(a.changed));
  const picked = await vscode.window.showQuickPick(items, {
    title: from ? 'Re-run with Changes: the input to vary' : 'Run Sweep: the input to vary',
    placeHolder: 'Type a node title, node id or input name',
    matchOnDescription: true,
  });
  if (!picked) return;
  const { node, title, input } = picked.input;
  const target = `${node}.${input}`;
  const text = await vscode.window.showInputBox({
    title: `Run Sweep: values of ${title} › ${input}`,
    prompt: 'Values separated by commas (1, 2, 5 or "a cat", "a dog"), or a range such as 1..8: one run each',
    value: JSON.stringify(picked.value) ?? '',
    validateInput: (v) => {
      try {
        parseSweep(`${target}=${v.trim()}`);
        return undefined;
      } catch (e) {
        // The parser's message starts "--sweep <text>:", which the box already shows.
        return e instanceof Error ? e.message.replace(/^--sweep [^:]*: /, '') : String(e);
      }
    },
  });
  if (text === undefined) return;
  const sweeps: Sweep[] = [parseSweep(`${target}=${text.trim()}`)];
  await queue(ctx, { workflows: [w], sweeps });
}

/** Asks for one output node of the workflow and runs only it and the nodes it needs. */
export async function runOutputNode(ctx: CommandContext, arg?: unknown): Promise<void> {
  const w = activeWorkflow(arg);
  if (!w || !trustedOrSay()) return;
  const nodes = await askRunner(ctx, (runner) => runner.outputNodes(w));
  if (!nodes) return;
  if (nodes.length === 0) {
    void vscode.window.showWarningMessage(
      `ComfyUI Runner: ${vscode.workspace.asRelativePath(vscode.Uri.file(w.file))} has no output node to run.`,
    );
    return;
  }
  const picked = await vscode.window.showQuickPick(
    nodes.map((n) => ({
      label: n.title,
      description: `node ${n.node} · ${n.classType}`,
      node: n.node,
    })),
    {
      title: 'Run One Output Node: only it and what it needs run',
      placeHolder: 'Type a node title or id',
      matchOnDescription: true,
    },
  );
  if (picked) await queue(ctx, { workflows: [w], outputs: [picked.node] });
}

/** The run a command argument names, when it is one: its overrides, each a node, an input and a value. */
function sweepFrom(arg: unknown): SweepFrom | undefined {
  const overrides = (arg as { overrides?: unknown } | undefined)?.overrides;
  if (!Array.isArray(overrides)) return undefined;
  const valid = overrides.filter(
    (o): o is Override =>
      typeof (o as Override)?.node === 'string' && typeof (o as Override)?.input === 'string',
  );
  return { overrides: valid };
}

/** A value as JSON, cut to 80 characters. */
function shortJson(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 79)}…` : text;
}
