/**
 * What LoadImage and LoadImageMask make of an image file's bytes, as ComfyUI 0.8.0's nodes.py does:
 * `Image.open` then `ImageOps.exif_transpose`, then the IMAGE and MASK tensors. Pure work on the bytes
 * (no file system), so the executor can run it on a worker thread (NodeContext.decodeImage) and get the
 * same values as on its own; the nodes themselves read the file (nodes/imageIo.ts).
 */
import { exifOrientation, exifTranspose } from './exifTranspose';
import {
  alphaChannel,
  bandsOf,
  convertToRgb,
  convertToRgba,
  pilImageFromPng,
  pointScaleInt,
  type PilImage,
} from './pillowImage';
import { decodePng } from './pngCodec';
import { createImage, createMask } from './tensor';
import { NodeException, type ImageLoadRequest, type MaskTensor } from './types';

/** Throws InterruptedException when the run is to stop; called between rows. */
type Checkpoint = () => void;

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
function invertedMask(alpha: Uint8Array, width: number, height: number, checkpoint: Checkpoint): MaskTensor {
  const mask = createMask(1, height, width);
  for (let y = 0; y < height; y++) {
    checkpoint();
    for (let x = y * width; x < (y + 1) * width; x++) mask.data[x] = 1 - UNIT[alpha[x]];
  }
  return mask;
}

/** The 64x64 zero mask ComfyUI returns when an image has no alpha. */
function emptyMask(): MaskTensor {
  return createMask(1, 64, 64);
}

/**
 * Opens an image as ComfyUI does (`Image.open` then `ImageOps.exif_transpose`). Only PNG files can be
 * read; other formats fail with UnidentifiedImageError naming the file.
 */
function decodeImageFile(bytes: Uint8Array, name: string): PilImage {
  let png;
  try {
    png = decodePng(bytes);
  } catch (e) {
    if (e instanceof NodeException && e.exceptionType === 'UnidentifiedImageError') {
      throw new NodeException(
        'UnidentifiedImageError',
        `cannot identify image file '${name}' (the embedded engine reads PNG only)`,
      );
    }
    throw e;
  }
  return exifTranspose(pilImageFromPng(png), exifOrientation(png));
}

/**
 * How many values a PNG file decodes to at most (width x height x 4, from its header), to judge whether
 * decoding it is worth a hand-off to another thread; 0 for bytes that are not a PNG file.
 */
export function pngDecodedValues(bytes: Uint8Array): number {
  const signature = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (bytes.length < 24 || signature.some((b, i) => bytes[i] !== b)) return 0;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return view.getUint32(16) * view.getUint32(20) * 4;
}

/**
 * LoadImage (nodes.py `LoadImage.load_image`): mode I is scaled by `point(i * (1/255))`, the image is
 * converted to RGB, and the MASK is `1 - alpha` when there is alpha or palette transparency.
 */
function loadImage(bytes: Uint8Array, name: string, checkpoint: Checkpoint): unknown[] {
  let img = decodeImageFile(bytes, name);
  if (img.mode === 'I') img = pointScaleInt(img, 1 / 255);
  const { width, height } = img;
  const rgb = convertToRgb(img);
  const image = createImage(1, height, width, 3);
  for (let y = 0; y < height; y++) {
    checkpoint();
    const row = image.data.subarray(y * width * 3, (y + 1) * width * 3);
    unitFloats(rgb.subarray(y * width * 3), width * 3, 1, 0, row);
  }
  return [image, loadedMask(img, checkpoint)];
}

function loadedMask(img: PilImage, checkpoint: Checkpoint): MaskTensor {
  const { width, height } = img;
  if (bandsOf(img.mode).includes('A')) return invertedMask(alphaChannel(img), width, height, checkpoint);
  if (img.mode === 'P' && img.transparency !== undefined) {
    return invertedMask(bandOf(convertToRgba(img), width * height, 4, 3), width, height, checkpoint);
  }
  return emptyMask();
}

/**
 * LoadImageMask (nodes.py `LoadImageMask.load_image`): anything but RGBA is converted to RGBA (mode I
 * scaled first), so an image without alpha has alpha 255 and gives an all-zero mask of its own size.
 */
function loadMask(bytes: Uint8Array, name: string, channel: string, checkpoint: Checkpoint): unknown[] {
  let img = decodeImageFile(bytes, name);
  let rgba = img.data as Uint8Array;
  if (img.mode !== 'RGBA') {
    if (img.mode === 'I') img = pointScaleInt(img, 1 / 255);
    rgba = convertToRgba(img);
  }
  const band = 'RGBA'.indexOf(channel.charAt(0).toUpperCase());
  // ComfyUI returns its 64x64 zero mask for a channel letter the image lacks.
  if (band < 0) return [emptyMask()];
  const { width, height } = img;
  if (band === 3) return [invertedMask(bandOf(rgba, width * height, 4, 3), width, height, checkpoint)];
  const mask = createMask(1, height, width);
  for (let y = 0; y < height; y++) {
    checkpoint();
    unitFloats(rgba.subarray(y * width * 4), width, 4, band, mask.data.subarray(y * width, (y + 1) * width));
  }
  return [mask];
}

/** The outputs of LoadImage (IMAGE, MASK) or LoadImageMask (MASK) for an image file's bytes. */
export function loadImageOutputs(request: ImageLoadRequest, checkpoint: Checkpoint): unknown[] {
  return request.kind === 'image'
    ? loadImage(request.bytes, request.name, checkpoint)
    : loadMask(request.bytes, request.name, request.channel, checkpoint);
}
