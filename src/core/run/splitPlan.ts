/**
 * How one run is split by branch across servers: its output nodes grouped into at most `places` parts,
 * truly independent branches first (graph.ts `independentBranches`), then, with fewer branches than
 * places, the largest branch's outputs split in two (each part computes the ancestors it needs); with
 * more branches than places, branches merged, the largest first into the lightest part.
 */
import { randomUUID } from 'node:crypto';
import type { NewJob } from '../jobs/job';
import { compareNodeIds, independentBranches, outputNodes, reachable } from '../workflow/graph';
import type { NodeDefs, NodeId } from '../workflow/types';
import type { ApiPrompt } from '../workflow/types';

/** The output groups of a prompt for `places` parts, each in id order, ordered by their first output. */
export function splitGroups(prompt: ApiPrompt, outputs: readonly NodeId[], places: number): NodeId[][] {
  const size = (group: readonly NodeId[]) => reachable(prompt, group).size;
  let groups = independentBranches(prompt, outputs);
  while (groups.length < places) {
    const splittable = groups.filter((g) => g.length > 1).sort((a, b) => size(b) - size(a));
    if (splittable.length === 0) break;
    const largest = splittable[0];
    const half = Math.ceil(largest.length / 2);
    groups = [...groups.filter((g) => g !== largest), largest.slice(0, half), largest.slice(half)];
  }
  if (groups.length > places) groups = mergeGroups(groups, places, size);
  return groups.map((g) => [...g].sort(compareNodeIds)).sort((a, b) => compareNodeIds(a[0], b[0]));
}

function mergeGroups(groups: NodeId[][], places: number, size: (g: readonly NodeId[]) => number): NodeId[][] {
  const bins: { outputs: NodeId[]; weight: number }[] = Array.from({ length: places }, () => ({
    outputs: [],
    weight: 0,
  }));
  for (const g of [...groups].sort((a, b) => size(b) - size(a))) {
    const lightest = bins.reduce((a, b) => (b.weight < a.weight ? b : a));
    lightest.outputs.push(...g);
    lightest.weight += size(g);
  }
  return bins.map((b) => b.outputs).filter((o) => o.length > 0);
}

/**
 * The jobs of one planned run: the run itself when it stays whole (one place, or one group), else one
 * part per group, each a copy of the run's job with its `split` (the run's id is the whole job's id, and
 * its folder is the parts' folder).
 */
export function splitJob(
  job: NewJob & { id: string },
  defs: NodeDefs,
  places: number,
  outputs?: readonly NodeId[],
): (NewJob & { id: string })[] {
  if (places < 2) return [job];
  const groups = splitGroups(job.prompt, outputs ?? outputNodes(job.prompt, defs), places);
  if (groups.length < 2) return [job];
  return groups.map((group, i) => ({
    ...job,
    id: randomUUID(),
    split: { id: job.id, index: i + 1, size: groups.length, outputs: group },
  }));
}
