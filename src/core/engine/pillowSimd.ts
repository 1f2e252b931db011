/**
 * The two passes of Pillow's 8-bit resampler (./pillowPasses.ts) in WebAssembly SIMD: the same bytes
 * as their JavaScript, faster; why they agree is written in ./pillowSimd.wat. The
 * module is generated and committed (./pillowSimdWasm.ts) and loaded per thread (./simdModule.ts).
 */
import type { Bytes, FixedTaps } from './pillowPasses';
import { pillowSimdWasm } from './pillowSimdWasm';
import type { Checkpoint } from './resampleTorch';
import { align16, lazySimdModule, reserveMemory, type SimdMemory } from './simdModule';

/** The exports of pillowSimd.wat. */
interface PillowExports {
  memory: SimdMemory;
  verticalRow(src: number, rowLen: number, weights: number, taps: number, dst: number): void;
  horizontalRows(
    src: number,
    width: number,
    c: number,
    first: number,
    count: number,
    weights: number,
    ksize: number,
    outW: number,
    rows: number,
    dst: number,
  ): void;
}

const loadPillow = lazySimdModule<PillowExports>(pillowSimdWasm);

/** Whether this runtime runs the SIMD pass (Node 20 and later always do); loads it on first call. */
export function simdPillowAvailable(): boolean {
  return loadPillow() !== null;
}

/**
 * ./pillowPasses.ts's `resampleColumns` on the SIMD pass: output rows `[yFrom, yTo)` of the vertical
 * pass over `src`, whose first row is source row `rowOffset`. Throws where the module cannot load.
 */
export function resampleColumnsSimd(
  src: Bytes,
  taps: FixedTaps,
  rowOffset: number,
  checkpoint: Checkpoint,
  yFrom: number,
  yTo: number,
): Bytes {
  const wasm = loadPillow();
  if (!wasm) throw new Error('WebAssembly SIMD is not available');
  const rowLen = src.width * src.channels;
  const { first, count, weights, ksize } = taps;
  const weightsAt = align16(src.data.length);
  const dstAt = weightsAt + align16(weights.length * 4);
  const buffer = reserveMemory(wasm.memory, dstAt + (yTo - yFrom) * rowLen);
  const bytes = new Uint8Array(buffer);
  bytes.set(src.data, 0);
  new Int32Array(buffer, weightsAt, weights.length).set(weights);
  for (let y = yFrom; y < yTo; y++) {
    if (y % 16 === 0) checkpoint();
    const from = (first[y] - rowOffset) * rowLen;
    wasm.verticalRow(from, rowLen, weightsAt + y * ksize * 4, count[y], dstAt + (y - yFrom) * rowLen);
  }
  return {
    data: bytes.slice(dstAt, dstAt + (yTo - yFrom) * rowLen),
    height: yTo - yFrom,
    width: src.width,
    channels: src.channels,
  };
}

/**
 * ./pillowPasses.ts's `resampleRows` on the SIMD pass: the horizontal pass over source rows
 * `[rowFrom, rowTo)` of `src`, any number of bands from 1 to 4. Throws where the module cannot load.
 */
export function resampleRowsSimd(
  src: Bytes,
  taps: FixedTaps,
  rowFrom: number,
  rowTo: number,
  checkpoint: Checkpoint,
): Bytes {
  const wasm = loadPillow();
  if (!wasm) throw new Error('WebAssembly SIMD is not available');
  const { width, channels: c } = src;
  const { first, count, weights, ksize } = taps;
  const outW = first.length;
  const rows = rowTo - rowFrom;
  const srcLen = rows * width * c;
  // Four spare bytes after the source and the output: see pillowSimd.wat.
  const firstAt = align16(srcLen + 4);
  const countAt = firstAt + align16(outW * 4);
  const weightsAt = countAt + align16(outW * 4);
  const dstAt = weightsAt + align16(weights.length * 4);
  const outRow = outW * c;
  const buffer = reserveMemory(wasm.memory, dstAt + rows * outRow + 4);
  const bytes = new Uint8Array(buffer);
  bytes.set(src.data.subarray(rowFrom * width * c, rowTo * width * c), 0);
  new Int32Array(buffer, firstAt, outW).set(first);
  new Int32Array(buffer, countAt, outW).set(count);
  new Int32Array(buffer, weightsAt, weights.length).set(weights);
  for (let y = 0; y < rows; y += 16) {
    checkpoint();
    const n = Math.min(16, rows - y);
    wasm.horizontalRows(
      y * width * c,
      width,
      c,
      firstAt,
      countAt,
      weightsAt,
      ksize,
      outW,
      n,
      dstAt + y * outRow,
    );
  }
  return { data: bytes.slice(dstAt, dstAt + rows * outRow), height: rows, width: outW, channels: c };
}
