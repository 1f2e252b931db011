/**
 * ComfyUI's `max_size` for previews: before it encodes a preview, the server fits the image into a
 * `max_size` square with `ImageOps.contain` and bilinear resampling (server.py `send_image`). Previews
 * reach the engine already encoded, so a PNG is decoded, fitted and encoded again at ComfyUI's preview
 * compression. The engine has no JPEG codec, so JPEG previews pass through as they are.
 */
import { BILINEAR, resizePillow8 } from './lanczos';
import { convertToRgb, convertToRgba, pilImageFromPng } from './pillowImage';
import { decodePng, encodePng } from './pngCodec';
import { pyRound } from './resample';
import { NodeException, type PreviewImage } from './types';

/** The zlib level ComfyUI saves previews with (`compress_level=1`). */
const PREVIEW_COMPRESS_LEVEL = 1;

/**
 * The size `ImageOps.contain(image, (maxSize, maxSize))` resizes to: the image's aspect kept, the longer
 * side equal to `maxSize`. Like Pillow, it scales small images up as well as large ones down.
 */
export function containSize(
  width: number,
  height: number,
  maxSize: number,
): { width: number; height: number } {
  const ratio = width / height;
  if (ratio > 1) return { width: maxSize, height: pyRound((height / width) * maxSize) };
  if (ratio < 1) return { width: pyRound((width / height) * maxSize), height: maxSize };
  return { width: maxSize, height: maxSize };
}

/**
 * The preview as the server would send it for `maxSize`: unchanged without a limit or for JPEG, else
 * the PNG fitted by {@link containSize}. Images with alpha (or palette transparency) are resized as
 * RGBA, others as RGB; ComfyUI's previews are always one of the two. Throws ValueError, as Pillow does,
 * for a limit below 1.
 */
export function fitPreview(image: PreviewImage, maxSize?: number): PreviewImage {
  if (maxSize === undefined || image.format !== 'PNG') return image;
  if (!Number.isInteger(maxSize) || maxSize < 1) {
    throw new NodeException('ValueError', 'height and width must be > 0');
  }
  const pil = pilImageFromPng(decodePng(image.bytes));
  const target = containSize(pil.width, pil.height, maxSize);
  if (target.width === pil.width && target.height === pil.height) return image;
  const alpha = pil.mode === 'LA' || pil.mode === 'RGBA' || pil.transparency !== undefined;
  const channels: 3 | 4 = alpha ? 4 : 3;
  const pixels = alpha ? convertToRgba(pil) : convertToRgb(pil);
  const size = { width: pil.width, height: pil.height, channels };
  const data = resizePillow8(pixels, size, target.height, target.width, BILINEAR);
  const raster = { width: target.width, height: target.height, channels, data };
  return { format: 'PNG', bytes: encodePng(raster, [], PREVIEW_COMPRESS_LEVEL) };
}
