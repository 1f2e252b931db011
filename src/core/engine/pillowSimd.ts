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
  bytesToUnit(src: number, n: number, dst: number): void;
  unitToBytes(src: number, n: number, dst: number): void;
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

const pillowModule = lazySimdModule<PillowExports>(pillowSimdWasm);

/** Whether this runtime runs the SIMD pass (Node 20 and later always do); loads it on first call. */
export function simdPillowAvailable(): boolean {
  return pillowModule.available();
}

/**
 * Rows per call into a pass. Each call's source rows are copied into the module's memory and its
 * output copied out, so the memory a thread keeps grows with the image's width, not its height.
 */
const CALL_ROWS = 16;

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
  const wasm = pillowModule.exports();
  const rowLen = src.width * src.channels;
  const { first, count, weights, ksize } = taps;
  const calls: { y0: number; y1: number; top: number; end: number }[] = [];
  for (let y0 = yFrom; y0 < yTo; y0 += CALL_ROWS) {
    // The source rows the call's output rows read: from the lowest start of a window to the highest end.
    const call = { y0, y1: Math.min(yTo, y0 + CALL_ROWS), top: Infinity, end: 0 };
    for (let y = y0; y < call.y1; y++) {
      call.top = Math.min(call.top, first[y] - rowOffset);
      call.end = Math.max(call.end, first[y] + count[y] - rowOffset);
    }
    calls.push(call);
  }
  const spanRows = Math.max(...calls.map((call) => call.end - call.top));
  const weightsAt = align16(spanRows * rowLen);
  const dstAt = weightsAt + align16(weights.length * 4);
  const buffer = reserveMemory(wasm.memory, dstAt + CALL_ROWS * rowLen);
  const bytes = new Uint8Array(buffer);
  new Int32Array(buffer, weightsAt, weights.length).set(weights);
  const out = new Uint8Array((yTo - yFrom) * rowLen);
  for (const { y0, y1, top, end } of calls) {
    checkpoint();
    bytes.set(src.data.subarray(top * rowLen, end * rowLen), 0);
    for (let y = y0; y < y1; y++) {
      const from = (first[y] - rowOffset - top) * rowLen;
      wasm.verticalRow(from, rowLen, weightsAt + y * ksize * 4, count[y], dstAt + (y - y0) * rowLen);
    }
    out.set(bytes.subarray(dstAt, dstAt + (y1 - y0) * rowLen), (y0 - yFrom) * rowLen);
  }
  return { data: out, height: yTo - yFrom, width: src.width, channels: src.channels };
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
  const wasm = pillowModule.exports();
  const { width, channels: c } = src;
  const { first, count, weights, ksize } = taps;
  const outW = first.length;
  const srcRow = width * c;
  const outRow = outW * c;
  // Four spare bytes after the source and the output: see pillowSimd.wat.
  const firstAt = align16(CALL_ROWS * srcRow + 4);
  const countAt = firstAt + align16(outW * 4);
  const weightsAt = countAt + align16(outW * 4);
  const dstAt = weightsAt + align16(weights.length * 4);
  const buffer = reserveMemory(wasm.memory, dstAt + CALL_ROWS * outRow + 4);
  const bytes = new Uint8Array(buffer);
  new Int32Array(buffer, firstAt, outW).set(first);
  new Int32Array(buffer, countAt, outW).set(count);
  new Int32Array(buffer, weightsAt, weights.length).set(weights);
  const out = new Uint8Array((rowTo - rowFrom) * outRow);
  for (let y = rowFrom; y < rowTo; y += CALL_ROWS) {
    checkpoint();
    const n = Math.min(CALL_ROWS, rowTo - y);
    bytes.set(src.data.subarray(y * srcRow, (y + n) * srcRow), 0);
    wasm.horizontalRows(0, width, c, firstAt, countAt, weightsAt, ksize, outW, n, dstAt);
    out.set(bytes.subarray(dstAt, dstAt + n * outRow), (y - rowFrom) * outRow);
  }
  return { data: out, height: rowTo - rowFrom, width: outW, channels: c };
}

/** Values per call of a conversion, so that the memory it takes stays small. */
const CONVERT_VALUES = 1 << 16;

/**
 * ./lanczos.ts's `bytesToUnitJs` on SIMD: `out[at + i] = bytes[i] / 255` as float32 for every byte.
 * Throws where the module cannot load.
 */
export function bytesToUnitSimd(bytes: Uint8Array, out: Float32Array, at: number): void {
  const wasm = pillowModule.exports();
  const dstAt = align16(CONVERT_VALUES);
  const buffer = reserveMemory(wasm.memory, dstAt + CONVERT_VALUES * 4);
  const memoryBytes = new Uint8Array(buffer);
  const floats = new Float32Array(buffer, dstAt, CONVERT_VALUES);
  for (let i = 0; i < bytes.length; i += CONVERT_VALUES) {
    const n = Math.min(CONVERT_VALUES, bytes.length - i);
    memoryBytes.set(bytes.subarray(i, i + n), 0);
    wasm.bytesToUnit(0, n, dstAt);
    out.set(floats.subarray(0, n), at + i);
  }
}

/**
 * ./lanczos.ts's `unitToBytesJs` on SIMD: `dst[i]` = `np.clip(255. * x, 0, 255).astype(np.uint8)` of
 * `src[from + i]`, for i in `[0, n)`. Throws where the module cannot load.
 */
export function unitToBytesSimd(src: Float32Array, from: number, dst: Uint8Array, n: number): void {
  const wasm = pillowModule.exports();
  const dstAt = CONVERT_VALUES * 4;
  const buffer = reserveMemory(wasm.memory, dstAt + CONVERT_VALUES);
  const floats = new Float32Array(buffer, 0, CONVERT_VALUES);
  const memoryBytes = new Uint8Array(buffer, dstAt, CONVERT_VALUES);
  for (let i = 0; i < n; i += CONVERT_VALUES) {
    const count = Math.min(CONVERT_VALUES, n - i);
    floats.set(src.subarray(from + i, from + i + count), 0);
    wasm.unitToBytes(0, count, dstAt);
    dst.set(memoryBytes.subarray(0, count), i);
  }
}
