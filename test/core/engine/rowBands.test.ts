import assert from 'node:assert/strict';
import { builtinNodes } from '../../../src/core/engine/registry';
import { forEachElementRows, splitRows } from '../../../src/core/engine/rowBands';
import { createImage } from '../../../src/core/engine/tensor';
import type { ImageTensor, NodeContext } from '../../../src/core/engine/types';
import { randomInt, seededRandom } from '../../fakes/seededRandom';

const ctx: NodeContext = {
  nodeId: 'n',
  checkpoint: () => undefined,
  progress: () => undefined,
  preview: () => undefined,
  inputDir: '',
  outputDir: '',
  tempDir: '',
  prompt: {},
};

/** An image of random values, a few outside 0..1 as blends and sharpening leave them. */
function randomImage(rnd: () => number, batch: number, height: number, width: number, channels: number) {
  const image = createImage(batch, height, width, channels);
  for (let i = 0; i < image.data.length; i++) image.data[i] = rnd() < 0.05 ? rnd() * 1.4 - 0.2 : rnd();
  return image;
}

/** Random inputs of every node class that splits into bands, for one image. */
function bandedCases(rnd: () => number, image: ImageTensor): [string, Record<string, unknown>][] {
  const int = (lo: number, hi: number) => randomInt(rnd, lo, hi);
  const side = Math.min(image.height, image.width) - 1;
  const cases: [string, Record<string, unknown>][] = [
    ['ImageInvert', {}],
    ['EmptyImage', { width: int(1, 90), height: int(1, 90), batch_size: int(1, 3), color: int(0, 0xffffff) }],
    ['ImageBlur', { blur_radius: int(1, Math.min(12, side)), sigma: 0.3 + rnd() * 5 }],
    [
      'ImageSharpen',
      { sharpen_radius: int(1, Math.min(11, side)), sigma: 0.3 + rnd() * 5, alpha: rnd() * 4 },
    ],
  ];
  for (const method of ['nearest-exact', 'bilinear', 'area', 'bicubic', 'lanczos']) {
    const crop = rnd() < 0.4 ? 'center' : 'disabled';
    cases.push(['ImageScale', { upscale_method: method, width: int(1, 200), height: int(1, 200), crop }]);
    cases.push(['ImageScaleBy', { upscale_method: method, scale_by: 0.2 + rnd() * 2.5 }]);
  }
  return cases.map(([classType, inputs]) => [classType, { ...inputs, image }]);
}

/** Random cut points splitting `rows` into between 1 and 5 bands, some of them one row high. */
function randomBands(rnd: () => number, rows: number): [number, number][] {
  const cuts = new Set([0, rows]);
  const extra = Math.floor(rnd() * 5);
  for (let i = 0; i < extra; i++) cuts.add(Math.floor(rnd() * rows));
  const sorted = [...cuts].sort((a, b) => a - b);
  return sorted.slice(1).map((to, i) => [sorted[i], to]);
}

/** The bytes of a tensor's floats, so that -0 and 0 or two NaNs of different payloads differ. */
function bytesOf(data: Float32Array): Buffer {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

describe('row bands', () => {
  it('splitRows covers every row once, in nearly equal bands', () => {
    assert.deepEqual(splitRows(10, 3), [
      [0, 3],
      [3, 6],
      [6, 10],
    ]);
    assert.deepEqual(splitRows(2, 4), [
      [0, 1],
      [1, 2],
    ]);
  });

  it('forEachElementRows cuts flat rows at batch element boundaries', () => {
    const seen: [number, number, number][] = [];
    forEachElementRows(3, 11, 4, (n, y0, y1) => seen.push([n, y0, y1]));
    assert.deepEqual(seen, [
      [0, 3, 4],
      [1, 0, 4],
      [2, 0, 3],
    ]);
  });

  it('every banded node gives bit for bit its whole result however its rows are split', async () => {
    const rnd = seededRandom(20240613);
    let checked = 0;
    for (let trial = 0; trial < 40; trial++) {
      const batch = 1 + Math.floor(rnd() * 2);
      const height = 9 + Math.floor(rnd() * 90);
      const width = 9 + Math.floor(rnd() * 90);
      const channels = 1 + Math.floor(rnd() * 4);
      const image = randomImage(rnd, batch, height, width, channels);
      for (const [classType, inputs] of bandedCases(rnd, image)) {
        const impl = builtinNodes.get(classType)!;
        const whole = (await impl.run(inputs, ctx)).outputs[0] as ImageTensor;
        const plan = impl.bands!.plan(inputs)!;
        const bands = randomBands(rnd, plan.rows);
        // Bands in reverse order, so that no band can lean on rows an earlier one left behind.
        for (const [from, to] of bands.reverse())
          impl.bands!.runBand(plan.args, plan.outputs, from, to, () => {});
        const split = plan.outputs[0] as ImageTensor;
        const label = `${classType} ${JSON.stringify({ ...inputs, image: [batch, height, width, channels] })} bands ${JSON.stringify(bands)}`;
        assert.deepEqual(
          [split.batch, split.height, split.width, split.channels],
          [whole.batch, whole.height, whole.width, whole.channels],
          label,
        );
        assert.ok(bytesOf(split.data).equals(bytesOf(whole.data)), label);
        checked++;
      }
    }
    assert.equal(checked, 40 * 14);
  });
});
