/**
 * The input folder as LoadImage and LoadImageMask see it: ComfyUI's annotated names
 * (`name.png [output]`), the sorted list of image files its definition advertises, reading a file (what
 * Pillow makes of it is imageLoad.ts), and the content hash used as IS_CHANGED.
 */
import { createHash, randomUUID } from 'node:crypto';
import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { joinInside, realPathWithin } from '../util/safePath';
import { NodeException, type NodeContext } from './types';

/** The folders an annotated name can point into. */
export type ImageFolders = Pick<NodeContext, 'inputDir' | 'outputDir' | 'tempDir'>;

/**
 * The file an image name refers to, as ComfyUI's `get_annotated_filepath` resolves it: a trailing
 * ` [output]` / ` [temp]` / ` [input]` picks the folder, the input folder otherwise; a subfolder in
 * the name is allowed. Unlike ComfyUI, a name that would leave its folder is refused, and so is one that
 * a symlink inside the folder leads out of (the real path is returned: read that, not the name).
 */
export async function resolveImagePath(name: unknown, folders: ImageFolders): Promise<string> {
  if (typeof name !== 'string')
    throw new NodeException('TypeError', `image must be a file name, got ${typeof name}`);
  const [rel, base] = name.endsWith('[output]')
    ? [name.slice(0, -9), folders.outputDir]
    : name.endsWith('[input]')
      ? [name.slice(0, -8), folders.inputDir]
      : name.endsWith('[temp]')
        ? [name.slice(0, -7), folders.tempDir]
        : [name, folders.inputDir];
  const path = joinInside(base, rel);
  if (!path)
    throw new NodeException('ValueError', `Invalid image file: ${name} (the path leaves its folder)`);
  const real = await realPathWithin(base, path);
  if (real) return real;
  // A folder that is not there holds no file; anything else is a link that leads out or nowhere.
  if (
    !(await realpath(base).then(
      () => true,
      () => false,
    ))
  )
    throw new NodeException('FileNotFoundError', `Invalid image file: ${name}`);
  throw new NodeException(
    'ValueError',
    `Invalid image file: ${name} (a symlink in its folder leads outside it, or nowhere)`,
  );
}

/** Reads an image file; a missing one fails with ComfyUI's validation message. */
export async function readImageFile(name: unknown, folders: ImageFolders): Promise<Uint8Array> {
  const path = await resolveImagePath(name, folders);
  try {
    return await readFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR')
      throw new NodeException('FileNotFoundError', `Invalid image file: ${String(name)}`);
    throw new NodeException('OSError', `${String(name)}: ${(e as Error).message}`);
  }
}

/**
 * LoadImage's IS_CHANGED: the SHA-256 of the file, in hex. When the file cannot be read ComfyUI's
 * IS_CHANGED fails and the node is treated as changed on every run; a fresh random value does the same.
 */
export async function imageFingerprint(name: unknown, folders: ImageFolders): Promise<string> {
  try {
    const bytes = await readFile(await resolveImagePath(name, folders));
    return createHash('sha256').update(bytes).digest('hex');
  } catch {
    return `unreadable:${randomUUID()}`;
  }
}

/**
 * Extensions Python's `mimetypes` (plus ComfyUI's own `webp` entry and the common system additions)
 * maps to an `image/*` type, which is what `folder_paths.filter_files_content_types` keeps.
 */
const IMAGE_EXTENSIONS = new Set(
  'png jpg jpeg jpe jfif gif bmp webp tif tiff ico heic heif avif jxl svg ief ras pnm pbm pgm ppm rgb xbm xpm xwd pct pict pic jp2'.split(
    ' ',
  ),
);

/**
 * The names LoadImage offers: the image files directly in the input folder, sorted by code point as
 * Python's `sorted` does. Dot files are left out: they are hidden, and macOS's `._name.png` companions
 * are not images.
 */
export async function listInputImages(inputDir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(inputDir);
  } catch {
    return [];
  }
  const candidates = names.filter(
    (n) => !n.startsWith('.') && n.includes('.') && IMAGE_EXTENSIONS.has(n.split('.').pop()!.toLowerCase()),
  );
  const files: string[] = [];
  for (const n of candidates) {
    // Python's os.path.isfile follows symbolic links, so a link to a file counts.
    const s = await stat(join(inputDir, n)).catch(() => undefined);
    if (s?.isFile()) files.push(n);
  }
  return files.sort(compareCodePoints);
}

/** Orders strings by Unicode code point (JavaScript's default sort compares UTF-16 units). */
export function compareCodePoints(a: string, b: string): number {
  const x = Array.from(a, (c) => c.codePointAt(0)!);
  const y = Array.from(b, (c) => c.codePointAt(0)!);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] - y[i];
  return x.length - y.length;
}
