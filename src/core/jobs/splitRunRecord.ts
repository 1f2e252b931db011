/**
 * The end of a run split by branch (job.ts `split`): once every part has ended, the outputs each part
 * collected into its own hidden folder (`.parts/<index>`, runRecord.ts `collectionDir`) are moved into
 * the run folder under the names the whole run on one server would have given them, and one `run.json`
 * is written for the run: every output, every part.
 *
 * Names: a server numbers the files of one prefix in the order it saves them (`ComfyUI_00001_.png`,
 * `ComfyUI_00002_.png`, ...), so two parts on two servers both save `ComfyUI_00001_.png`. The whole run
 * would have saved them in its execution order (dependencies first, the smallest node id first among
 * nodes ready together, as the engine runs them), so the files of each folder and prefix are numbered
 * again in that order, from the smallest number any part gave.
 */
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, posix, sep } from 'node:path';
import { writeTextAtomic } from '../util/atomicWrite';
import { topologicalOrder } from '../workflow/graph';
import type { Job, JobOutput } from './job';
import { PARTS_FOLDER, type RunRecord } from './runRecord';

/** One part as the run's `run.json` lists it. */
export interface SplitPartRecord {
  job: string;
  index: number;
  /** The output node ids the part ran. */
  outputs: string[];
  server?: string;
  promptId?: string;
  state: Job['state'];
  timings: Job['times'];
  error?: Job['error'];
}

/** The `run.json` of a split run: a run record of the whole, with its parts. */
export interface SplitRunRecord extends RunRecord {
  split: { id: string; size: number };
  parts: SplitPartRecord[];
}

/** A file name a server numbered: `<prefix>_<counter>_<rest>` as ComfyUI's save nodes write it. */
const NUMBERED = /^(.*)_(\d{5,})_(\.[^/]*)?$/;

/** One output of a part on its way into the run folder. */
export interface MergedOutput {
  /** The part that collected it. */
  part: Job;
  /** Where the part collected it, relative to the run folder. */
  from: string;
  /** The output as the run keeps it: its path is the one the whole run would have given it. */
  output: JobOutput;
}

/**
 * Every part's outputs in the order the whole run lists them, each with the path it gets in the run
 * folder. Parts are the ended jobs of one split run; their paths are relative to the run folder.
 */
export function mergedOutputs(parts: readonly Job[]): MergedOutput[] {
  const result = wholeRunOrder(parts).map(({ part, output }) => ({
    part,
    from: output.path,
    output: { ...output, path: withoutPartFolder(output.path, part.split!.index) },
  }));
  const groups = new Map<string, { counters: number[]; items: JobOutput[] }>();
  for (const { output } of result) {
    const m = NUMBERED.exec(basename(output.path));
    if (!m) continue;
    const key = `${dirname(output.path)}\u0000${m[1]}`;
    const group = groups.get(key) ?? { counters: [], items: [] };
    groups.set(key, group);
    group.counters.push(Number(m[2]));
    group.items.push(output);
  }
  for (const group of groups.values()) renumber(group.items, Math.min(...group.counters));
  return dedupe(result);
}

/** Numbers the files of one folder and prefix from `first`, in the order given. */
function renumber(items: JobOutput[], first: number): void {
  let counter = first;
  for (const out of items) {
    const [, prefix, , rest] = NUMBERED.exec(basename(out.path))!;
    const name = `${prefix}_${String(counter++).padStart(5, '0')}_${rest ?? ''}`;
    const dir = dirname(out.path);
    out.path = dir === '.' ? name : join(dir, name);
  }
}

/** The outputs of every part, in the whole run's execution order of their nodes, then as each part listed them. */
function wholeRunOrder(parts: readonly Job[]): { part: Job; output: JobOutput }[] {
  const outputs = parts.flatMap((p) => p.split!.outputs);
  const order = topologicalOrder(parts[0].prompt, outputs);
  const rank = new Map(order.map((id, i) => [id, i]));
  const all = parts.flatMap((part) => part.outputs.map((output, i) => ({ part, output, i })));
  // Stable: outputs of one node keep the order their part listed them in.
  all.sort((a, b) => (rank.get(a.output.nodeId) ?? Infinity) - (rank.get(b.output.nodeId) ?? Infinity));
  return all.map(({ part, output }) => ({ part, output }));
}

/** `path` without the part's hidden folder in front, when it has one. */
function withoutPartFolder(path: string, index: number): string {
  for (const s of [sep, posix.sep]) {
    const prefix = `${PARTS_FOLDER}${s}${index}${s}`;
    if (path.startsWith(prefix)) return path.slice(prefix.length);
  }
  return path;
}

/** Names no numbering made distinct (a fixed file name saved by two parts) get the part's place appended. */
function dedupe(items: MergedOutput[]): MergedOutput[] {
  const taken = new Set<string>();
  for (const { output } of items) {
    let path = output.path;
    for (let n = 2; taken.has(path); n++)
      path = output.path.replace(/(\.[^./\\]*)?$/, (ext) => `-${n}${ext}`);
    output.path = path;
    taken.add(path);
  }
  return items;
}

/**
 * Moves every part's outputs into the run folder under their merged names, removes the parts' hidden
 * folders, and returns the parts with their outputs as they now are. A file already moved (a merge
 * that a stopped runner left half done) is taken where it is.
 */
export async function mergeSplitOutputs(parts: readonly Job[]): Promise<Job[]> {
  const outDir = parts[0].outDir;
  const merged = mergedOutputs(parts);
  const byPart = new Map<string, JobOutput[]>(parts.map((p) => [p.id, []]));
  for (const { part, from, output } of merged) {
    await moveOnce(join(outDir, from), join(outDir, output.path));
    byPart.get(part.id)!.push(output);
  }
  await rm(join(outDir, PARTS_FOLDER), { recursive: true, force: true });
  return parts.map((p) => ({ ...p, outputs: byPart.get(p.id)! }));
}

async function moveOnce(from: string, to: string): Promise<void> {
  if (from === to) return;
  try {
    await stat(from);
  } catch {
    return;
  }
  await mkdir(dirname(to), { recursive: true });
  await rename(from, to);
}

/** The state of the run: failed or lost if a part was, cancelled if one was stopped, else succeeded. */
function runState(parts: readonly Job[]): Job['state'] {
  for (const s of ['failed', 'lost', 'cancelled'] as const) if (parts.some((p) => p.state === s)) return s;
  return parts.every((p) => p.state === 'succeeded') ? 'succeeded' : parts[0].state;
}

/** Writes the split run's one `run.json` in its folder, atomically; returns its path. */
export async function writeSplitRunRecord(parts: readonly Job[], comfyuiVersion?: string): Promise<string> {
  const first = parts[0];
  const failed = parts.find((p) => p.state === 'failed' || p.state === 'lost');
  const record: SplitRunRecord = {
    job: first.split!.id,
    attempt: first.attempt,
    workflow: first.workflow,
    overrides: first.overrides,
    batch: first.batch,
    comfyuiVersion,
    state: runState(parts),
    timings: runTimes(parts),
    outputs: mergedOrder(parts),
    error: (failed ?? parts.find((p) => p.error))?.error,
    warnings: [...new Set(parts.flatMap((p) => p.warnings))],
    split: { id: first.split!.id, size: first.split!.size },
    parts: parts.map(partRecord),
  };
  const path = join(first.outDir, 'run.json');
  await writeTextAtomic(path, JSON.stringify(record, null, 2) + '\n');
  return path;
}

function partRecord(p: Job): SplitPartRecord {
  const { id, split, server, promptId, state, times, error } = p;
  return {
    job: id,
    index: split!.index,
    outputs: split!.outputs,
    server,
    promptId,
    state,
    timings: times,
    error,
  };
}

/** The run's outputs, all parts', in the whole run's order (the parts' outputs after the merge). */
function mergedOrder(parts: readonly Job[]): JobOutput[] {
  return wholeRunOrder(parts).map((o) => o.output);
}

/** The run's times: the earliest queue and start, the latest end, every part's nodes. */
function runTimes(parts: readonly Job[]): Job['times'] {
  const min = (xs: (number | undefined)[]) => {
    const known = xs.filter((x): x is number => x !== undefined);
    return known.length > 0 ? Math.min(...known) : undefined;
  };
  const ended = parts.every((p) => p.times.finished !== undefined);
  return {
    queued: min(parts.map((p) => p.times.queued))!,
    dispatched: min(parts.map((p) => p.times.dispatched)),
    started: min(parts.map((p) => p.times.started)),
    finished: ended ? Math.max(...parts.map((p) => p.times.finished!)) : undefined,
    nodes: Object.assign({}, ...parts.map((p) => p.times.nodes)) as Job['times']['nodes'],
  };
}
