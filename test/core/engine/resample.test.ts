import assert from 'node:assert/strict';
import { lanczosTaps, resizeLanczos } from '../../../src/core/engine/lanczos';
import { centerCropBox, commonUpscale, commonUpscaleMask, pyRound } from '../../../src/core/engine/resample';
import { resizeBislerp } from '../../../src/core/engine/resampleBislerp';
import {
  cubicTaps,
  linearTaps,
  nearestExactIndices,
  poolWindows,
} from '../../../src/core/engine/resampleTaps';
import { torchInterpolate, type PixelGrid } from '../../../src/core/engine/resampleTorch';
import { imageFrom, maskFrom } from '../../../src/core/engine/tensor';
import { NodeException } from '../../../src/core/engine/types';

/** A one-element, one-channel grid from rows of values. */
function grid(rows: number[][], channels = 1): PixelGrid {
  const height = rows.length;
  const width = rows[0].length / channels;
  return { data: Float32Array.from(rows.flat()), count: 1, height, width, channels };
}

describe('pyRound', () => {
  it('rounds halves to the even neighbour as Python 3 does', () => {
    assert.deepEqual([0.5, 1.5, 2.5, 52.5, 53.5, 55.5, 79.5].map(pyRound), [0, 2, 2, 52, 54, 56, 80]);
  });

  it('rounds everything else to the nearest integer', () => {
    assert.deepEqual([27.01, 38.69, 118.24, 0.49999].map(pyRound), [27, 39, 118, 0]);
  });
});

describe('centerCropBox', () => {
  it('trims rows equally when the target is wider than the source', () => {
    assert.deepEqual(centerCropBox(64, 48, 90, 50), { x: 0, y: 6, width: 64, height: 36 });
  });

  it('trims columns equally when the target is taller than the source', () => {
    assert.deepEqual(centerCropBox(64, 48, 40, 40), { x: 8, y: 0, width: 48, height: 48 });
  });

  it('keeps the whole picture when the aspects are equal', () => {
    assert.deepEqual(centerCropBox(64, 48, 32, 24), { x: 0, y: 0, width: 64, height: 48 });
  });
});

describe('torch interpolation taps', () => {
  it('nearest-exact picks the source pixel under each output centre', () => {
    assert.deepEqual(Array.from(nearestExactIndices(4, 8)), [0, 0, 1, 1, 2, 2, 3, 3]);
    assert.deepEqual(Array.from(nearestExactIndices(5, 3)), [0, 2, 4]);
  });

  it('bilinear clamps the first source position to 0 and the last pair to the edge', () => {
    const taps = linearTaps(2, 4);
    assert.deepEqual(Array.from(taps.i0), [0, 0, 0, 1]);
    assert.deepEqual(Array.from(taps.i1), [1, 1, 1, 1]);
    assert.deepEqual(Array.from(taps.l1), [0, 0.25, 0.75, 0.25]);
  });

  it('bicubic weights are the A = -0.75 kernel and sum to one', () => {
    const taps = cubicTaps(4, 8);
    assert.deepEqual(
      Array.from(taps.weight.subarray(12, 16)),
      [-0.10546875, 0.87890625, 0.26171875, -0.03515625],
    );
    assert.deepEqual(Array.from(taps.index.subarray(0, 4)), [0, 0, 0, 1]);
  });

  it('area windows overlap when the sizes do not divide', () => {
    const w = poolWindows(5, 3);
    assert.deepEqual(
      [Array.from(w.start), Array.from(w.end)],
      [
        [0, 1, 3],
        [2, 4, 5],
      ],
    );
  });
});

describe('torchInterpolate', () => {
  it('bilinear interpolates between neighbours and holds the edge value', () => {
    const out = torchInterpolate(grid([[0, 1]]), 1, 4, 'bilinear');
    assert.deepEqual(Array.from(out), [0, 0.25, 0.75, 1]);
  });

  it('bicubic overshoots below zero next to a step, as torch does', () => {
    const out = torchInterpolate(grid([[0, 0, 1, 1]]), 1, 8, 'bicubic');
    assert.equal(out[1], -0.03515625);
    assert.equal(out[3], 0.2265625);
  });

  it('bicubic at the same size returns the input unchanged', () => {
    const input = grid([
      [0.1, 0.7, 0.3],
      [0.9, 0.2, 0.5],
    ]);
    assert.deepEqual(Array.from(torchInterpolate(input, 2, 3, 'bicubic')), Array.from(input.data));
  });

  it('area averages each window', () => {
    assert.deepEqual(Array.from(torchInterpolate(grid([[0, 0.5, 0.25, 0.75]]), 1, 2, 'area')), [0.25, 0.5]);
  });

  it('keeps interleaved channels apart', () => {
    const out = torchInterpolate(grid([[0, 1, 1, 0]], 2), 1, 4, 'bilinear');
    assert.deepEqual(Array.from(out), [0, 1, 0.25, 0.75, 0.75, 0.25, 1, 0]);
  });

  it('rejects an empty output size with a RuntimeError', () => {
    assert.throws(
      () => torchInterpolate(grid([[1]]), 0, 3, 'bilinear'),
      (e: unknown) => e instanceof NodeException && e.exceptionType === 'RuntimeError',
    );
  });

  it('calls the checkpoint while resizing, so an interrupt stops it', () => {
    const stop = new Error('interrupted');
    assert.throws(
      () =>
        torchInterpolate(grid([[0, 1]]), 4, 4, 'nearest-exact', () => {
          throw stop;
        }),
      stop,
    );
  });
});

describe('lanczos (Pillow emulation)', () => {
  it('normalises the fixed-point taps of each output pixel to about 2^22', () => {
    const taps = lanczosTaps(48, 17);
    for (let i = 0; i < 17; i++) {
      let sum = 0;
      for (let t = 0; t < taps.count[i]; t++) sum += taps.weights[i * taps.ksize + t];
      assert.ok(Math.abs(sum - (1 << 22)) < 8, `output ${i} sums to ${sum}`);
    }
  });

  it('quantizes to 8 bits by truncation even when the size is unchanged', () => {
    const out = resizeLanczos(grid([[0.5, 1]]), 1, 2);
    assert.deepEqual(Array.from(out), [Math.fround(127 / 255), 1]);
  });

  it('keeps a flat picture flat', () => {
    const flat = grid([Array(12).fill(200 / 255), Array(12).fill(200 / 255)], 3);
    const out = resizeLanczos(flat, 5, 7);
    assert.equal(out.length, 5 * 7 * 3);
    assert.ok(out.every((v) => v === Math.fround(200 / 255)));
  });

  it('premultiplies alpha so a transparent neighbour lends no colour', () => {
    const rgba = grid([[1, 0, 0, 1, 0, 1, 0, 0]], 4);
    const out = resizeLanczos(rgba, 1, 4);
    // Output pixel 1 sits between the two, with a positive weight on the green one.
    const [, green, , alpha] = out.subarray(4, 8);
    assert.equal(green, 0);
    assert.ok(alpha > 0 && alpha < 1);
  });

  it('rejects more than four channels with the TypeError Image.fromarray raises', () => {
    assert.throws(
      () => resizeLanczos(grid([[0, 0, 0, 0, 0]], 5), 2, 2),
      (e: unknown) => e instanceof NodeException && e.exceptionType === 'TypeError',
    );
  });
});

describe('bislerp', () => {
  it('returns a flat picture unchanged at any size', () => {
    const flat = grid([Array(6).fill(0.4), Array(6).fill(0.4)], 3);
    const out = resizeBislerp(flat, 3, 5);
    assert.equal(out.length, 3 * 5 * 3);
    assert.ok(out.every((v) => v === Math.fround(0.4)));
  });
});

describe('commonUpscale', () => {
  it('crops the centre before resizing', () => {
    const image = imageFrom(Float32Array.from([0, 1, 2, 3, 4, 5, 6, 7]), 1, 2, 4, 1);
    const out = commonUpscale(image, 2, 2, 'nearest-exact', 'center');
    assert.deepEqual(Array.from(out.data), [1, 2, 5, 6]);
  });

  it('resizes every batch element the same way', () => {
    const image = imageFrom(Float32Array.from([0, 1, 1, 0]), 2, 1, 2, 1);
    const out = commonUpscale(image, 4, 1, 'bilinear', 'disabled');
    assert.deepEqual([out.batch, out.width], [2, 4]);
    assert.deepEqual(Array.from(out.data), [0, 0.25, 0.75, 1, 1, 0.75, 0.25, 0]);
  });

  it('resizes masks as single-channel grids', () => {
    const mask = maskFrom(Float32Array.from([0, 1]), 1, 1, 2);
    const out = commonUpscaleMask(mask, 4, 1, 'bilinear', 'disabled');
    assert.deepEqual([out.kind, Array.from(out.data)], ['MASK', [0, 0.25, 0.75, 1]]);
  });
});
