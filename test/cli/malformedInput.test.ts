import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import fc from 'fast-check';
import { runCli, type CliRun } from './cliHarness';
import { workflowsDir } from '../fakes/fixturePaths';
import { tempDir } from '../fakes/tempDirs';

/** Each test's own folder for the files it validates, removed after it (see tempDirs.ts). */
let dir: string;
const valid = JSON.parse(readFileSync(resolve(workflowsDir, '02_branching.json'), 'utf8')) as Record<
  string,
  { inputs: Record<string, unknown> }
>;

let counter = 0;
async function validateContent(content: string | Uint8Array): Promise<CliRun> {
  const file = join(dir, `case-${counter++}.json`);
  writeFileSync(file, content);
  return runCli(['validate', file]);
}

/** Exit 0 or 2, never an internal error, and never a stack trace on screen. */
function assertHandled(run: CliRun): void {
  assert.ok(run.code === 0 || run.code === 2, `exit code ${run.code}: ${run.err.join('\n')}`);
  assert.doesNotMatch(run.err.join('\n'), /\n\s+at .+:\d+:\d+/);
  if (run.code === 2) assert.ok(run.err.length > 0, 'exit 2 without a message');
}

/** A copy of the valid workflow with one input of one node replaced by `value`. */
function mutated(nodeIndex: number, inputIndex: number, value: unknown): string {
  const copy = structuredClone(valid);
  const node = Object.values(copy)[nodeIndex % Object.keys(copy).length];
  const names = Object.keys(node.inputs);
  if (names.length > 0) node.inputs[names[inputIndex % names.length]] = value;
  return JSON.stringify(copy);
}

describe('malformed input on the command line', () => {
  beforeEach(() => {
    dir = tempDir('cli-fuzz-');
  });

  it('arbitrary bytes end in exit 2 with a message', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 300 }), async (bytes) =>
        assertHandled(await validateContent(bytes)),
      ),
      { numRuns: 60 },
    );
  });

  it('arbitrary JSON values end in a clear verdict', async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue({ maxDepth: 4 }), async (v) =>
        assertHandled(await validateContent(JSON.stringify(v))),
      ),
      { numRuns: 80 },
    );
  });

  it('truncations of a valid workflow end in exit 2', async () => {
    const text = JSON.stringify(valid);
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: text.length - 1 }), async (cut) => {
        const run = await validateContent(text.slice(0, cut));
        assert.equal(run.code, 2);
        assertHandled(run);
      }),
      { numRuns: 40 },
    );
  });

  it('inputs replaced with values of any type, huge numbers and bad links end in a clear verdict', async () => {
    const weird = fc.oneof(
      fc.jsonValue({ maxDepth: 2 }),
      fc.constantFrom(
        1e308,
        -1e308,
        2 ** 64,
        Number.MAX_SAFE_INTEGER * 4,
        '∞',
        ['999', 0],
        ['1', 99],
        ['1'],
        [1, 0],
      ),
    );
    await fc.assert(
      fc.asyncProperty(fc.nat(), fc.nat(), weird, async (n, i, v) =>
        assertHandled(await validateContent(mutated(n, i, v))),
      ),
      { numRuns: 80 },
    );
  });

  it('a dependency cycle ends in exit 2 naming the nodes in it', async () => {
    const flow = {
      '1': { class_type: 'ImageInvert', inputs: { image: ['2', 0] } },
      '2': { class_type: 'ImageInvert', inputs: { image: ['1', 0] } },
      '3': { class_type: 'SaveImage', inputs: { images: ['2', 0], filename_prefix: 'x' } },
    };
    const run = await validateContent(JSON.stringify(flow));
    assert.equal(run.code, 2);
    assert.match(run.err.join('\n'), /cycle/i);
    assert.match(run.err.join('\n'), /node 1\b/);
    assert.match(run.err.join('\n'), /node 2\b/);
    assert.doesNotMatch(run.err.join('\n'), /node 3\b/);
  });

  it('deeply nested JSON ends in exit 2', async () => {
    assertHandled(await validateContent('['.repeat(100_000) + ']'.repeat(100_000)));
  });

  it('a 10,000-node chain validates', async () => {
    const flow: Record<string, unknown> = {
      '0': { class_type: 'EmptyImage', inputs: { width: 8, height: 8, batch_size: 1, color: 0 } },
    };
    for (let i = 1; i < 10_000; i++)
      flow[String(i)] = { class_type: 'ImageInvert', inputs: { image: [String(i - 1), 0] } };
    flow['10000'] = { class_type: 'SaveImage', inputs: { images: ['9999', 0], filename_prefix: 'chain' } };
    const run = await validateContent(JSON.stringify(flow));
    assert.equal(run.code, 0, run.err.join('\n'));
  });
});
