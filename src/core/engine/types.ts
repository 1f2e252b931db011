/**
 * The embedded engine's data and node contracts. Data is held as ComfyUI holds it: IMAGE is float32
 * `[batch, height, width, channels]` in 0..1, MASK is float32 `[batch, height, width]`, both contiguous
 * and row-major. Node implementations are plain functions of their inputs, so the executor can run the
 * heavy ones on worker threads.
 */
import type { ExecutionData } from '../protocol/executionMessages';
import type { ApiPrompt, NodeDef } from '../workflow/types';

/** An IMAGE: `data[((b * height + y) * width + x) * channels + c]`, values nominally in 0..1. */
export interface ImageTensor {
  readonly kind: 'IMAGE';
  readonly batch: number;
  readonly height: number;
  readonly width: number;
  /** 3 (RGB) or 4 (RGBA); other counts can occur in intermediate data, as in ComfyUI. */
  readonly channels: number;
  readonly data: Float32Array;
}

/** A MASK: `data[(b * height + y) * width + x]`. */
export interface MaskTensor {
  readonly kind: 'MASK';
  readonly batch: number;
  readonly height: number;
  readonly width: number;
  readonly data: Float32Array;
}

/** The UI output of a node as ComfyUI reports it in `executed.output`: media kind to a list. */
export type UiOutput = NonNullable<ExecutionData<'executed'>['output']>;

/** One saved or previewed file, as listed under `images` in a UI output. */
export interface FileRef {
  filename: string;
  subfolder: string;
  type: 'output' | 'temp' | 'input';
}

/** A file a node wrote into its output or temp folder, described from the bytes it wrote. */
export interface WrittenFile extends FileRef {
  /** The absolute path of the file. */
  path: string;
  /** Its size in bytes. */
  size: number;
  /** The SHA-256 of its bytes, in lowercase hex. */
  sha256: string;
}

/** What a node returns: its outputs by slot, and optionally the UI dict sent with `executed`. */
export interface NodeResult {
  outputs: unknown[];
  ui?: UiOutput;
  /**
   * The files listed in `ui` that the node wrote, so that whoever collects them needs not read them back
   * to hash them, and so that a cached run of the node can be replayed into other folders. A file the
   * node lists but leaves out here is read back when collected, and a cached node with such a file runs
   * again rather than replay into other folders. @default none
   */
  files?: WrittenFile[];
}

/** An encoded preview image, as ComfyUI's progress hook carries one (`("PNG", image, max_size)`). */
export interface PreviewImage {
  /** How `bytes` are encoded, named as Pillow names the format. */
  readonly format: 'PNG' | 'JPEG';
  /** The whole encoded file. */
  readonly bytes: Uint8Array;
}

/** An encoded PNG file and the SHA-256 of its bytes, in hex. */
export interface EncodedPng {
  bytes: Uint8Array;
  sha256: string;
}

/** What imagePng.ts `encodeImagePng` encodes: batch element `index` of `images`, with `texts` at zlib `level`. */
export interface ImagePngRequest {
  images: ImageTensor;
  index: number;
  /** tEXt chunks, keyword then text, in order. */
  texts: readonly (readonly [string, string])[];
  level: number;
}

/**
 * What imageLoad.ts `loadImageOutputs` makes of an image file's `bytes` (read from `name`, for
 * messages): LoadImage's IMAGE and MASK, or LoadImageMask's MASK of `channel`.
 */
export type ImageLoadRequest =
  | { kind: 'image'; bytes: Uint8Array; name: string }
  | { kind: 'mask'; bytes: Uint8Array; name: string; channel: string };

/** What a running node may use of the executor. */
export interface NodeContext {
  /** The id of the node in the prompt being run. */
  readonly nodeId: string;
  /**
   * Throws when the prompt has been interrupted or has failed elsewhere. Long loops call it every so
   * often (a row, a batch element) so that an interrupt lands within one checkpoint.
   */
  checkpoint(): void;
  /**
   * Reports step progress of this node (ComfyUI's `progress` event); cheap to call often. Steps that
   * come too quickly after the last one are dropped, unless they carry a preview.
   */
  progress(value: number, max: number): void;
  /**
   * Publishes a preview image of this node. Nodes need not call it. As in ComfyUI, where a preview only
   * ever travels with a progress step (`ProgressBar.update_absolute(value, total, preview)`), the image
   * goes out with this node's next `progress` call: the events are then `progress_state`, `preview`
   * and `progress`, and a step carrying a preview is never dropped. So call `preview` first, then
   * `progress` for the step it belongs to. A preview that no `progress` call picks up goes out with a
   * step at the node's current position, when the node calls `preview` again or when it returns.
   *
   * `maxSize` is ComfyUI's `max_size`: when given, a PNG preview is resized to fit a `maxSize` square,
   * keeping its aspect, as ComfyUI's `ImageOps.contain` with bilinear resampling does. The engine
   * cannot decode JPEG, so a JPEG preview is sent as given; encode it at the size you want shown.
   * @default no size limit
   */
  preview(image: PreviewImage, maxSize?: number): void;
  /** Folder LoadImage reads from (ComfyUI's `--input-dir`). */
  readonly inputDir: string;
  /** Folder SaveImage writes to (`type: output`): the prompt's own if it has one, else the engine's. */
  readonly outputDir: string;
  /** Folder PreviewImage writes to (`type: temp`), chosen the same way. */
  readonly tempDir: string;
  /** The prompt as executed, written into saved PNGs as the `prompt` text chunk. */
  readonly prompt: ApiPrompt;
  /** `extra_data.extra_pnginfo`: each key becomes a PNG text chunk (normally `workflow`). */
  readonly extraPngInfo?: Record<string, unknown>;
  /**
   * Encodes a batch element as the PNG file the saving nodes write (imagePng.ts `encodeImagePng`), with
   * the same bytes, on a worker thread when the engine has them and the image is large, so that the
   * engine's own thread stays free meanwhile. Rejects with what the encoder throws.
   * @default none: the node encodes on its own thread
   */
  readonly encodePng?: (request: ImagePngRequest) => Promise<EncodedPng>;
  /**
   * Decodes an image file into the loading nodes' outputs (imageLoad.ts `loadImageOutputs`, the same
   * values), on a worker thread when the engine has them and the image is large, so that the engine's
   * thread (and the server on it) stays free while a big PNG inflates. Rejects with what decoding throws.
   * @default none: the node decodes on its own thread
   */
  readonly decodeImage?: (request: ImageLoadRequest) => Promise<unknown[]>;
}

/** What live definitions depend on (see {@link NodeImpl.liveDef}). */
export interface LiveInputs {
  /** The image files of the input folder, as LoadImage offers them (inputImages.ts `listInputImages`). */
  readonly inputImages: readonly string[];
}

/** A node class of the embedded engine. */
export interface NodeImpl {
  /** The ComfyUI class name, e.g. "ImageInvert". */
  readonly classType: string;
  /** The definition, identical to ComfyUI 0.8.0's `/object_info` entry for this class. */
  readonly def: NodeDef;
  /**
   * True for pure pixel work that the executor should run on a worker thread. Such a node must use
   * only `checkpoint`, `progress` and `preview` of its context and must not touch the file system.
   */
  readonly heavy?: boolean;
  /**
   * How a heavy node's work splits into bands of output rows that several workers compute at once
   * (rowBands.ts). Its `run` must give the same result as planning and running one band. @default none
   */
  readonly bands?: RowBands;
  /**
   * Runs the node. `inputs` holds every input of the prompt node with links resolved to the upstream
   * output values and constants already coerced to the definition's type; absent optional inputs are
   * undefined.
   */
  run(inputs: Record<string, unknown>, ctx: NodeContext): NodeResult | Promise<NodeResult>;
  /**
   * ComfyUI's IS_CHANGED: a fingerprint of what the node reads besides its inputs (LoadImage: the
   * file's content hash). It joins the cache key, so a changed file re-runs the node.
   */
  fingerprint?(inputs: Record<string, unknown>, ctx: NodeContext): string | Promise<string>;
  /**
   * Returns the definition as it should be advertised for what the machine holds now, for definitions
   * with lists that depend on it (LoadImage's list of input files). The engine calls it again only when
   * `live` changes. Defaults to `def`.
   */
  liveDef?(live: LiveInputs): NodeDef;
}

/**
 * An exception raised by a node, with the Python exception type ComfyUI reports for the same failure
 * (`exception_type` in `execution_error`), e.g. "IndexError" or "ValueError".
 */
export class NodeException extends Error {
  constructor(
    readonly exceptionType: string,
    message: string,
  ) {
    super(message);
    this.name = exceptionType;
  }
}

/** Thrown by {@link NodeContext.checkpoint} when the prompt was interrupted. */
export class InterruptedException extends Error {
  constructor() {
    super('Processing interrupted');
    this.name = 'InterruptedException';
  }
}

/**
 * A node's `checkpoint` over a prompt's shared interrupt flag (on any thread): throws
 * {@link InterruptedException} once the flag is raised.
 */
export function flagCheckpoint(flag: Int32Array): () => void {
  return () => {
    if (Atomics.load(flag, 0) !== 0) throw new InterruptedException();
  };
}

/** What a node's plan hands to its bands: the outputs to fill, how many rows they have, and the work. */
export interface BandPlan<A = unknown> {
  /** The node's outputs, allocated on shared memory and filled by the bands. */
  readonly outputs: unknown[];
  /** The flat count of output rows (batch times height) the bands divide. */
  readonly rows: number;
  /** What every band needs besides its rows; cloned to each worker, so tensors on shared memory only. */
  readonly args: A;
  /** Roughly how many values the whole work touches, so that small work is not split. */
  readonly size: number;
}

/** How a node splits its work into bands of output rows. */
export interface RowBands<A = unknown> {
  /**
   * Checks the inputs, allocates the outputs and describes the work; runs on the calling thread and must
   * be cheap. Undefined means the node has nothing to split (an identity, say): run it whole instead.
   * Throws what the node's `run` would throw for the same inputs.
   */
  plan(inputs: Record<string, unknown>): BandPlan<A> | undefined;
  /** Fills output rows `[from, to)`, calling `checkpoint` every few rows. */
  runBand(args: A, outputs: unknown[], from: number, to: number, checkpoint: () => void): void;
}
