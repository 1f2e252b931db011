/**
 * Runs the conformance corpus (test/fixtures/conformance) and compares outputs with ComfyUI's
 * reference PNGs by node id and batch index, as the corpus README prescribes.
 */
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decode } from 'fast-png';
import { testDirs } from '../../fakes/testDirs';
import { createEngine } from '../../../src/core/engine/executor';
import type { FileRef, UiOutput } from '../../../src/core/engine/types';
import type { ApiPrompt } from '../../../src/core/workflow/types';
import { conformanceDir } from '../../fakes/fixturePaths';

/** The conformance corpus folder in the shared fixtures. */
export const corpusDir = conformanceDir;

/** The names (without .json) of every conformance workflow. */
export function corpusWorkflows(): string[] {
  return readdirSync(join(corpusDir, 'workflows'))
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -5))
    .sort();
}

/**
 * What the corpus README lists: each workflow's name and the number of output files ComfyUI wrote for it,
 * from its lines "- `NN_name` (X nodes, Y output files): ...". The tests hold the folder to this list, so
 * an empty or missing folder fails instead of producing no tests.
 */
export function readmeWorkflows(): Map<string, number> {
  const readme = readFileSync(join(corpusDir, 'README.md'), 'utf8');
  const listed = readme.matchAll(/^- `(\d\d_\w+)` \(\d+ nodes, (\d+) output files\)/gm);
  return new Map([...listed].map((m) => [m[1], Number(m[2])]));
}

/** Reads one corpus workflow. */
export function loadCorpusWorkflow(name: string): ApiPrompt {
  return JSON.parse(readFileSync(join(corpusDir, 'workflows', `${name}.json`), 'utf8')) as ApiPrompt;
}

/** Folders for one run: input (with the corpus inputs copied in), output and temp. */
export interface RunDirs {
  inputDir: string;
  outputDir: string;
  tempDir: string;
}

/** Makes fresh run folders with the corpus inputs in the input folder. */
export function makeRunDirs(): RunDirs {
  return testDirs(join(corpusDir, 'inputs'));
}

/**
 * Runs `prompt` on a fresh embedded engine over `dirs` (validation, scheduling, workers and all) and
 * returns the UI output of each output node; throws when the run does not succeed.
 */
export async function runOnEngine(prompt: ApiPrompt, dirs: RunDirs): Promise<Record<string, UiOutput>> {
  const engine = createEngine(dirs);
  try {
    const outcome = await engine.execute(prompt, { promptId: randomUUID() });
    if (outcome.status !== 'success')
      throw new Error(`run ended ${outcome.status}: ${JSON.stringify(outcome.error)}`);
    return outcome.outputs;
  } finally {
    await engine.dispose();
  }
}

/** One output image compared with its reference. */
export interface ImageComparison {
  nodeId: string;
  index: number;
  /** Empty when the two agree in size and mode; otherwise what differs. */
  shapeProblem: string;
  /** The largest absolute difference in any 8-bit channel. */
  maxDiff: number;
}

function pngPixels(path: string): {
  width: number;
  height: number;
  channels: number;
  data: ArrayLike<number>;
} {
  const png = decode(readFileSync(path));
  if (png.depth !== 8) throw new Error(`${path}: expected 8-bit, got ${png.depth}`);
  return { width: png.width, height: png.height, channels: png.channels, data: png.data };
}

/** Compares the files of `ui` (our run) with the corpus reference for `name`. */
export function compareWithReference(
  name: string,
  ui: Record<string, UiOutput>,
  dirs: RunDirs,
): ImageComparison[] {
  const expectedDir = join(corpusDir, 'expected', name);
  const expected = JSON.parse(readFileSync(join(expectedDir, 'outputs.json'), 'utf8')) as Record<
    string,
    { images: FileRef[] }
  >;
  const out: ImageComparison[] = [];
  for (const [nodeId, { images }] of Object.entries(ui)) {
    const extra = (images ?? []).length - (expected[nodeId]?.images.length ?? 0);
    if (extra > 0)
      out.push({ nodeId, index: -1, shapeProblem: `${extra} image(s) with no reference`, maxDiff: 255 });
  }
  for (const [nodeId, { images }] of Object.entries(expected)) {
    images.forEach((ref, index) => {
      const ours = ui[nodeId]?.images?.[index] as FileRef | undefined;
      if (!ours) {
        out.push({ nodeId, index, shapeProblem: 'no output', maxDiff: 255 });
        return;
      }
      const base = ours.type === 'temp' ? dirs.tempDir : dirs.outputDir;
      const a = pngPixels(join(base, ours.subfolder, ours.filename));
      const b = pngPixels(join(expectedDir, ref.filename));
      if (a.width !== b.width || a.height !== b.height || a.channels !== b.channels) {
        out.push({
          nodeId,
          index,
          shapeProblem: `ours ${a.width}x${a.height}x${a.channels}, reference ${b.width}x${b.height}x${b.channels}`,
          maxDiff: 255,
        });
        return;
      }
      let maxDiff = 0;
      for (let i = 0; i < a.data.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a.data[i] - b.data[i]));
      out.push({ nodeId, index, shapeProblem: '', maxDiff });
    });
  }
  return out;
}
