/**
 * The difference of two images of the same size, pixel by pixel: each pixel's difference is the largest
 * of its channels' absolute differences (0 to 255, alpha included), drawn as a heat map (black where
 * equal, through red and yellow to white at the largest), with the maximum and the mean over all pixels.
 */

/** What {@link imageDiff} found. */
export interface ImageDiff {
  /** The heat map, RGBA, the images' size. */
  heat: Uint8ClampedArray<ArrayBuffer>;
  /** The largest pixel difference, 0 to 255. */
  max: number;
  /** The mean pixel difference, 0 to 255. */
  mean: number;
}

/** The difference of `a` and `b`, both RGBA of `width` × `height`. */
export function imageDiff(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  width: number,
  height: number,
): ImageDiff {
  const n = width * height;
  const heat = new Uint8ClampedArray(n * 4);
  let max = 0;
  let sum = 0;
  for (let p = 0; p < n; p++) {
    const i = p * 4;
    const d = Math.max(
      Math.abs(a[i] - b[i]),
      Math.abs(a[i + 1] - b[i + 1]),
      Math.abs(a[i + 2] - b[i + 2]),
      Math.abs(a[i + 3] - b[i + 3]),
    );
    sum += d;
    if (d > max) max = d;
    // Black -> red -> yellow -> white as d grows, so small differences still show.
    const t = d === 0 ? 0 : Math.min(1, 0.15 + (d / 255) * 0.85) * 3;
    heat[i] = Math.min(1, t) * 255;
    heat[i + 1] = Math.min(1, Math.max(0, t - 1)) * 255;
    heat[i + 2] = Math.min(1, Math.max(0, t - 2)) * 255;
    heat[i + 3] = 255;
  }
  return { heat, max, mean: n === 0 ? 0 : sum / n };
}
