/**
 * Image files in and out: LoadImage, LoadImageMask, SaveImage and PreviewImage, as in ComfyUI 0.8.0's
 * nodes.py. None of them is heavy: they touch the file system. Their pixel work is one pass, and for a
 * large image it goes to a worker all the same: decoding (imageLoad.ts) and encoding (imagePng.ts).
 */
import { randomInt } from 'node:crypto';
import { join } from 'node:path';
import { writeFileAtomic } from '../../util/atomicWrite';
import type { NodeDef } from '../../workflow/types';
import { defineNode, engineDefinition } from '../defineNode';
import { encodeImagePng } from '../imagePng';
import { loadImageOutputs } from '../imageLoad';
import { imageFingerprint, readImageFile } from '../inputImages';
import { promptJsonText, pythonJsonDumps } from '../pythonJson';
import { applyFrontendReplacements, getSaveImagePath, saveFileName } from '../saveImagePath';
import { isImage } from '../tensor';
import {
  NodeException,
  type FileRef,
  type ImageLoadRequest,
  type ImageTensor,
  type NodeContext,
  type NodeImpl,
  type NodeResult,
  type WrittenFile,
} from '../types';

/**
 * Reads the image file `name` names and makes the loading node's outputs of it (imageLoad.ts), through
 * the context when it offers to (on a worker for a large image), else here. An interrupt lands between
 * reading and decoding.
 */
async function loadFromFile(
  name: unknown,
  ctx: NodeContext,
  load: { kind: 'image' } | { kind: 'mask'; channel: string },
): Promise<NodeResult> {
  const bytes = await readImageFile(name, ctx);
  ctx.checkpoint();
  const request: ImageLoadRequest = { ...load, bytes, name: String(name) };
  const outputs = ctx.decodeImage
    ? await ctx.decodeImage(request)
    : loadImageOutputs(request, () => ctx.checkpoint());
  return { outputs };
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
    run: (inputs, ctx) => loadFromFile(inputs.image, ctx, { kind: 'image' }),
    fingerprint: (inputs, ctx) => imageFingerprint(inputs.image, ctx),
    liveDef: (live) => liveImageDef('LoadImage', live.inputImages),
  }),
  defineNode('LoadImageMask', {
    run: (inputs, ctx) =>
      loadFromFile(inputs.image, ctx, { kind: 'mask', channel: String(inputs.channel ?? '') }),
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
