/**
 * Image files in and out: LoadImage, LoadImageMask, SaveImage and PreviewImage, as in ComfyUI 0.8.0's
 * nodes.py. None of them is heavy: they touch the file system, and their pixel work is one pass.
 */
import { randomInt } from 'node:crypto';
import { join } from 'node:path';
import { writeFileAtomic } from '../../util/atomicWrite';
import type { NodeDef } from '../../workflow/types';
import { defineNode, engineDefinition } from '../defineNode';
import { encodeImagePng } from '../imagePng';
import { imageFingerprint, openImage } from '../inputImages';
import {
  alphaChannel,
  bandsOf,
  convertToRgb,
  convertToRgba,
  pointScaleInt,
  type PilImage,
} from '../pillowImage';
import { promptJsonText, pythonJsonDumps } from '../pythonJson';
import { applyFrontendReplacements, getSaveImagePath, saveFileName } from '../saveImagePath';
import { createImage, createMask, isImage } from '../tensor';
import {
  NodeException,
  type FileRef,
  type ImageTensor,
  type MaskTensor,
  type NodeContext,
  type NodeImpl,
  type NodeResult,
  type WrittenFile,
} from '../types';

/** Byte value to float32 as numpy's `astype(np.float32) / 255.0` gives it. */
const UNIT = Float32Array.from({ length: 256 }, (_, i) => i / 255);

/** Turns `count` bytes, `stride` apart from `offset`, into floats in `out`. */
function unitFloats(
  bytes: Uint8Array,
  count: number,
  stride: number,
  offset: number,
  out: Float32Array,
): void {
  for (let i = 0; i < count; i++) out[i] = UNIT[bytes[i * stride + offset]];
}

/** One band of interleaved pixels, like Pillow's `getchannel`. */
function bandOf(pixels: Uint8Array, count: number, stride: number, band: number): Uint8Array {
  return Uint8Array.from({ length: count }, (_, p) => pixels[p * stride + band]);
}

/** `1 - channel / 255` as ComfyUI turns alpha into a mask (float32 arithmetic throughout). */
function invertedMask(alpha: Uint8Array, width: number, height: number, ctx: NodeContext): MaskTensor {
  const mask = createMask(1, height, width);
  for (let y = 0; y < height; y++) {
    ctx.checkpoint();
    for (let x = y * width; x < (y + 1) * width; x++) mask.data[x] = 1 - UNIT[alpha[x]];
  }
  return mask;
}

/** The 64x64 zero mask ComfyUI returns when an image has no alpha. */
function emptyMask(): MaskTensor {
  return createMask(1, 64, 64);
}

/**
 * LoadImage (nodes.py `LoadImage.load_image`): mode I is scaled by `point(i * (1/255))`, the image is
 * converted to RGB, and the MASK is `1 - alpha` when there is alpha or palette transparency.
 */
async function runLoadImage(inputs: Record<string, unknown>, ctx: NodeContext): Promise<NodeResult> {
  let img = await openImage(inputs.image, ctx);
  if (img.mode === 'I') img = pointScaleInt(img, 1 / 255);
  const { width, height } = img;
  const rgb = convertToRgb(img);
  const image = createImage(1, height, width, 3);
  for (let y = 0; y < height; y++) {
    ctx.checkpoint();
    const row = image.data.subarray(y * width * 3, (y + 1) * width * 3);
    unitFloats(rgb.subarray(y * width * 3), width * 3, 1, 0, row);
  }
  return { outputs: [image, loadedMask(img, ctx)] };
}

function loadedMask(img: PilImage, ctx: NodeContext): MaskTensor {
  const { width, height } = img;
  if (bandsOf(img.mode).includes('A')) return invertedMask(alphaChannel(img), width, height, ctx);
  if (img.mode === 'P' && img.transparency !== undefined) {
    return invertedMask(bandOf(convertToRgba(img), width * height, 4, 3), width, height, ctx);
  }
  return emptyMask();
}

/**
 * LoadImageMask (nodes.py `LoadImageMask.load_image`): anything but RGBA is converted to RGBA (mode I
 * scaled first), so an image without alpha has alpha 255 and gives an all-zero mask of its own size.
 */
async function runLoadImageMask(inputs: Record<string, unknown>, ctx: NodeContext): Promise<NodeResult> {
  let img = await openImage(inputs.image, ctx);
  let rgba = img.data as Uint8Array;
  if (img.mode !== 'RGBA') {
    if (img.mode === 'I') img = pointScaleInt(img, 1 / 255);
    rgba = convertToRgba(img);
  }
  const band = 'RGBA'.indexOf(
    String(inputs.channel ?? '')
      .charAt(0)
      .toUpperCase(),
  );
  // ComfyUI returns its 64x64 zero mask for a channel letter the image lacks.
  if (band < 0) return { outputs: [emptyMask()] };
  const { width, height } = img;
  if (band === 3) return { outputs: [invertedMask(bandOf(rgba, width * height, 4, 3), width, height, ctx)] };
  const mask = createMask(1, height, width);
  for (let y = 0; y < height; y++) {
    ctx.checkpoint();
    unitFloats(rgba.subarray(y * width * 4), width, 4, band, mask.data.subarray(y * width, (y + 1) * width));
  }
  return { outputs: [mask] };
}

/**
 * The definition with the image list of the input folder, as ComfyUI builds it per request. Only the
 * path to the list is copied; the rest is shared with the fixed definition, which nobody mutates.
 */
function liveImageDef(classType: string, images: readonly string[]): NodeDef {
  const def = engineDefinition(classType);
  const required = def.input.required ?? {};
  const spec = required.image;
  const image = [[...images], ...(spec && spec.length > 1 ? [spec[1]] : [])] as typeof spec;
  return { ...def, input: { ...def.input, required: { ...required, image } } };
}

/** Files being written by saves in flight, by folder, so concurrent saves pick distinct counters. */
const pendingNames = new Map<string, Set<string>>();
let pathLock: Promise<unknown> = Promise.resolve();

/** Runs `fn` after every earlier call has finished, so counter lookups and reservations never interleave. */
function serialized<T>(fn: () => Promise<T>): Promise<T> {
  const run = pathLock.then(fn, fn);
  pathLock = run.catch(() => undefined);
  return run;
}

interface SaveTarget {
  dir: string;
  type: FileRef['type'];
  compressLevel: number;
}

/** Where one save writes: the folder, the file names in batch order and the subfolder to report. */
interface ReservedNames {
  folder: string;
  names: string[];
  subfolder: string;
}

/** Finds the next free counter for `prefix` and reserves one file name per batch element. */
function reserveNames(prefix: string, images: ImageTensor, target: SaveTarget): Promise<ReservedNames> {
  return serialized(async () => {
    const p = await getSaveImagePath(prefix, target.dir, images.width, images.height, {
      pendingIn: (f) => pendingNames.get(f) ?? [],
    });
    const names = Array.from({ length: images.batch }, (_, b) => saveFileName(p.filename, b, p.counter + b));
    const pending = pendingNames.get(p.fullOutputFolder) ?? new Set<string>();
    for (const n of names) pending.add(n);
    pendingNames.set(p.fullOutputFolder, pending);
    return { folder: p.fullOutputFolder, names, subfolder: p.subfolder };
  });
}

/** The checks Image.fromarray and `images[0]` make in ComfyUI before anything is written. */
function savableImages(images: unknown): ImageTensor {
  if (!isImage(images)) throw new NodeException('TypeError', 'images must be an IMAGE');
  if (images.batch === 0) {
    throw new NodeException('IndexError', 'index 0 is out of bounds for dimension 0 with size 0');
  }
  if (images.channels < 2 || images.channels > 4) {
    throw new NodeException('TypeError', `Cannot handle this data type: (1, 1, ${images.channels}), |u1`);
  }
  return images;
}

/**
 * SaveImage.save_images: one PNG per batch element, named `<stem>_<counter>_.png`, written atomically
 * and listed in batch order. A 2-, 3- or 4-channel image becomes an LA, RGB or RGBA file.
 */
async function saveImages(
  input: unknown,
  prefix: string,
  ctx: NodeContext,
  target: SaveTarget,
): Promise<NodeResult> {
  const images = savableImages(input);
  // Saving is not interrupted half-way: ComfyUI checks for interrupts only between nodes.
  ctx.checkpoint();
  const { folder, names, subfolder } = await reserveNames(prefix, images, target);
  const texts = pngTexts(ctx);
  const refs: FileRef[] = names.map((filename) => ({ filename, subfolder, type: target.type }));
  const files: WrittenFile[] = [];
  const encode = ctx.encodePng ?? ((request) => Promise.resolve(encodeImagePng(request)));
  try {
    for (let b = 0; b < images.batch; b++) {
      const { bytes, sha256 } = await encode({ images, index: b, texts, level: target.compressLevel });
      const path = join(folder, names[b]);
      await writeFileAtomic(path, bytes);
      // Described from the bytes in hand, so that collecting the file needs no second read.
      files.push({ ...refs[b], path, size: bytes.length, sha256 });
    }
  } finally {
    const pending = pendingNames.get(folder);
    for (const n of names) pending?.delete(n);
    if (pending?.size === 0) pendingNames.delete(folder);
  }
  return { outputs: [], ui: { images: refs }, files };
}

/** The `prompt` chunk and one chunk per `extra_pnginfo` key, each `json.dumps`-ed. */
function pngTexts(ctx: NodeContext): [string, string][] {
  const texts: [string, string][] = [['prompt', promptJsonText(ctx.prompt)]];
  for (const [k, v] of Object.entries(ctx.extraPngInfo ?? {})) texts.push([k, pythonJsonDumps(v)]);
  return texts;
}

/** The SaveImage prefix as the web UI would post it: typed prefixes get the frontend's substitutions. */
function savePrefix(inputs: Record<string, unknown>, ctx: NodeContext): string {
  const prefix = String(inputs.filename_prefix ?? 'ComfyUI');
  const typed = ctx.prompt[ctx.nodeId]?.inputs.filename_prefix;
  return typeof typed === 'string' ? applyFrontendReplacements(prefix, ctx.prompt) : prefix;
}

/** PreviewImage's letters: ComfyUI's own alphabet, which repeats "p" and lacks "w". */
const PREVIEW_ALPHABET = 'abcdefghijklmnopqrstupvxyz';

function previewPrefix(): string {
  return `ComfyUI_temp_${Array.from({ length: 5 }, () => PREVIEW_ALPHABET[randomInt(PREVIEW_ALPHABET.length)]).join('')}`;
}

/** The image file nodes. */
export const ioNodes: NodeImpl[] = [
  defineNode('LoadImage', {
    run: runLoadImage,
    fingerprint: (inputs, ctx) => imageFingerprint(inputs.image, ctx),
    liveDef: (live) => liveImageDef('LoadImage', live.inputImages),
  }),
  defineNode('LoadImageMask', {
    run: runLoadImageMask,
    fingerprint: (inputs, ctx) => imageFingerprint(inputs.image, ctx),
    liveDef: (live) => liveImageDef('LoadImageMask', live.inputImages),
  }),
  defineNode('SaveImage', {
    run: (inputs, ctx) =>
      saveImages(inputs.images, savePrefix(inputs, ctx), ctx, {
        dir: ctx.outputDir,
        type: 'output',
        compressLevel: 4,
      }),
  }),
  defineNode('PreviewImage', {
    run: (inputs, ctx) =>
      saveImages(inputs.images, previewPrefix(), ctx, { dir: ctx.tempDir, type: 'temp', compressLevel: 1 }),
  }),
];
