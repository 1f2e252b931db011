/**
 * Grey-scale dilation and erosion with a 3x3 footprint, repeated, as GrowMask does with
 * `scipy.ndimage.grey_dilation` / `grey_erosion` in ComfyUI 0.8.0. scipy's default 'reflect' border
 * mirrors the edge pixel itself, which a 3x3 maximum or minimum already contains, so taking the
 * extreme over the in-bounds neighbours gives the same result.
 */

/**
 * One 3x3 maximum pass over a height x width plane into `dst`, through `rowMax` (the maximum of each
 * pixel and its left and right neighbours). The square footprint is then the maximum of three `rowMax`
 * rows; the cross (tapered corners) is `rowMax` with the pixels above and below. Returns true when some
 * pixel changed, so repeated passes can stop once the plane is stable.
 */
function maxPass(
  src: Float32Array,
  dst: Float32Array,
  rowMax: Float32Array,
  height: number,
  width: number,
  square: boolean,
): boolean {
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let x = 0; x < width; x++) {
      let v = src[row + x];
      if (x > 0 && src[row + x - 1] > v) v = src[row + x - 1];
      if (x < width - 1 && src[row + x + 1] > v) v = src[row + x + 1];
      rowMax[row + x] = v;
    }
  }
  const sides = square ? rowMax : src;
  let changed = false;
  for (let y = 0; y < height; y++) {
    const row = y * width;
    const up = y > 0 ? row - width : row;
    const down = y < height - 1 ? row + width : row;
    for (let x = 0; x < width; x++) {
      let v = rowMax[row + x];
      if (sides[up + x] > v) v = sides[up + x];
      if (sides[down + x] > v) v = sides[down + x];
      if (v !== src[row + x]) changed = true;
      dst[row + x] = v;
    }
  }
  return changed;
}

/** Negates values in place; erosion is the negated dilation of the negated plane, exactly, in floats. */
function negate(data: Float32Array): void {
  for (let i = 0; i < data.length; i++) data[i] = -data[i];
}

/**
 * Dilates (`steps` > 0) or erodes (`steps` < 0) every plane of `data` (batch x height x width) |steps|
 * times in place, with the square 3x3 footprint or, when `square` is false, the cross (GrowMask's
 * tapered corners). `checkpoint` is called before every pass.
 */
export function growPlanes(
  data: Float32Array,
  batch: number,
  height: number,
  width: number,
  steps: number,
  square: boolean,
  checkpoint: () => void,
): void {
  const size = height * width;
  const scratch: Float32Array = new Float32Array(size);
  const rowMax = new Float32Array(size);
  if (steps < 0) negate(data);
  for (let b = 0; b < batch; b++) {
    let src: Float32Array = data.subarray(b * size, (b + 1) * size);
    let dst = scratch;
    for (let i = 0; i < Math.abs(steps); i++) {
      checkpoint();
      const changed = maxPass(src, dst, rowMax, height, width, square);
      [src, dst] = [dst, src];
      if (!changed) break;
    }
    if (src === scratch) data.set(scratch, b * size);
  }
  if (steps < 0) negate(data);
}
