/**
 * Loading the engine's WebAssembly SIMD modules (the `*Wasm.ts` files generated from `.wat` text by
 * scripts/wasmModules.ts) and growing their memory. Each thread instantiates a module on first use
 * and keeps it; a runtime without WebAssembly or its SIMD instructions gets none, and the engine keeps
 * to its JavaScript kernels there.
 */

/** The parts of the WebAssembly API used here (Node's types leave the global out). */
interface WebAssemblyApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
}

/** A module's exported memory. */
export interface SimdMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

const PAGE_BYTES = 65536;

/** A module loaded on first use: whether this runtime has it, and its exports. */
export interface LazySimdModule<T> {
  /** Whether the module loads here (Node 20 and later always do); loads it on the first call. */
  available(): boolean;
  /** The module's exports; throws where it cannot load (ask {@link available} first). */
  exports(): T;
}

/**
 * A lazy instance of the module in `base64`: instantiated on the first call of either method and kept
 * from then on, or never where it cannot load.
 */
export function lazySimdModule<T>(base64: string): LazySimdModule<T> {
  let instance: T | null | undefined;
  const load = () => {
    if (instance === undefined) instance = instantiate<T>(base64);
    return instance;
  };
  return {
    available: () => load() !== null,
    exports: () => {
      const loaded = load();
      if (!loaded) throw new Error('WebAssembly SIMD is not available');
      return loaded;
    },
  };
}

function instantiate<T>(base64: string): T | null {
  const api = (globalThis as { WebAssembly?: WebAssemblyApi }).WebAssembly;
  if (!api) return null;
  try {
    return new api.Instance(new api.Module(Buffer.from(base64, 'base64')), {}).exports as T;
  } catch {
    // A runtime without WebAssembly's SIMD instructions rejects the module.
    return null;
  }
}

/** `memory` grown to at least `bytes` bytes; views on its old buffer are detached when it grows. */
export function reserveMemory(memory: SimdMemory, bytes: number): ArrayBuffer {
  const short = bytes - memory.buffer.byteLength;
  if (short > 0) memory.grow(Math.ceil(short / PAGE_BYTES));
  return memory.buffer;
}

/** `bytes` rounded up to a multiple of 16, so every region starts on a vector boundary. */
export function align16(bytes: number): number {
  return Math.ceil(bytes / 16) * 16;
}
