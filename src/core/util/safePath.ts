/**
 * Putting names that came from a workflow, a server or a client into a folder without ever leaving it.
 * Three tools, one for each way out: {@link cleanSegments} turns a foreign path into segments that are
 * safe file names on every platform; {@link joinInside} joins names onto a folder, refusing whatever `..`,
 * absolute path, drive letter or NUL would lead outside it on this platform; and {@link realPathWithin}
 * (with {@link realPathInside}) resolves, on disk, every symlink on the way and refuses one that leads out.
 */
import { lstat, realpath } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, posix, relative, resolve, win32 } from 'node:path';

/**
 * Whose rules a path follows. On POSIX only `/` separates, so `..\x` is one ordinary name; on Windows
 * `\` separates too, and drive letters, UNC paths and streams (`name:stream`) exist.
 */
export type PathPlatform = 'posix' | 'win32';

/** The rules of the platform this process runs on. */
export const hostPlatform: PathPlatform = process.platform === 'win32' ? 'win32' : 'posix';

/** `base` joined with the relative `parts`; null when the result would lie outside `base` on this platform. */
export function joinInside(base: string, ...parts: string[]): string | null {
  return joinInsideOn(hostPlatform, base, ...parts);
}

/**
 * {@link joinInside} under the rules of `platform`, so that each platform's answer can be checked on any.
 * A part is refused when it holds a NUL or is absolute; on Windows also when it holds a `:` (a drive
 * letter or a stream, never a plain name) or a segment ending in a dot or a space, which Windows strips,
 * so that `.. ` would climb. Then the joined path must lie strictly inside `base`.
 */
export function joinInsideOn(platform: PathPlatform, base: string, ...parts: string[]): string | null {
  const path = platform === 'win32' ? win32 : posix;
  if (!parts.every((p) => partAllowed(platform, p))) return null;
  const root = path.resolve(base);
  const target = path.resolve(root, ...parts);
  const rel = path.relative(root, target);
  // The file itself must be strictly inside: not the folder, not above it, not on another drive.
  if (rel === '' || path.isAbsolute(rel) || rel.split(path.sep)[0] === '..') return null;
  return target;
}

/** Whether one relative part may be joined on `platform` (see {@link joinInsideOn}). */
function partAllowed(platform: PathPlatform, part: string): boolean {
  if (part.includes('\0')) return false;
  if (platform === 'posix') return !posix.isAbsolute(part);
  if (win32.isAbsolute(part) || part.includes(':')) return false;
  return part.split(/[\\/]/).every((s) => s === '.' || s === '..' || !/[. ]$/.test(s));
}

const WINDOWS_RESERVED = /^(con|prn|aux|nul|com\d|lpt\d)(\..*)?$/i;

/**
 * One path segment made a safe file name on every platform: control and reserved characters become `_`,
 * a leading dot becomes `_` (no hidden files), trailing dots and spaces go, Windows device names get a
 * `_` prefix, and the result is at most 200 characters. Empty when nothing usable is left (`.`, `..`).
 */
export function cleanSegment(segment: string): string {
  let s = segment.replace(/[\u0000-\u001f\u007f<>:"|?*]/g, '_').trim();
  if (/^\.+$/.test(s)) return '';
  s = s.replace(/^\.+/, '_').replace(/[. ]+$/, '');
  if (WINDOWS_RESERVED.test(s)) s = `_${s}`;
  return s.slice(0, 200);
}

/** A path split at `/` and `\`, each segment cleaned by {@link cleanSegment}, empty ones (and `..`) dropped. */
export function cleanSegments(path: string): string[] {
  return path
    .split(/[\\/]+/)
    .map(cleanSegment)
    .filter((s) => s !== '');
}

/**
 * True when the folder `dir`, with every symlink resolved, is `root` or inside it (`root` resolved
 * too); see {@link realPathWithin}. A name can be clean and still lead out through a symlink already in
 * the folder.
 */
export async function realPathInside(root: string, dir: string): Promise<boolean> {
  // The folder itself resolves to itself, whatever symlinks lead to it: nothing to read.
  if (resolve(dir) === resolve(root)) return true;
  return (await realPathWithin(root, dir)) !== null;
}

/**
 * Where `path` really is, when that is `root` or inside it: the longest part of `path` that exists is
 * resolved through every symlink on it, and the rest, not created yet, appended. Null when the result
 * lies outside `root` (itself resolved, so a root that is a symlink is fine), when a dangling symlink or
 * a file stands on the way, or when `root` does not exist. Read and write the path it returns, not
 * `path`, so that what was checked is what is used.
 */
export async function realPathWithin(root: string, path: string): Promise<string | null> {
  const realRoot = await realpath(root).catch(() => null);
  const real = realRoot === null ? null : await realPathOf(resolve(path));
  if (realRoot === null || real === null) return null;
  const rel = relative(realRoot, real);
  return rel === '' || (!isAbsolute(rel) && rel.split(/[\\/]/)[0] !== '..') ? real : null;
}

/** `path` (absolute) with its existing part resolved through its symlinks; null as described above. */
async function realPathOf(path: string): Promise<string | null> {
  const missing: string[] = [];
  for (let at = path; ; at = dirname(at)) {
    try {
      return join(await realpath(at), ...missing);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') return null;
      // realpath says ENOENT for a symlink whose target is missing too: that one leads nowhere we checked.
      const entry = await lstat(at).catch(() => undefined);
      if (entry?.isSymbolicLink() || dirname(at) === at) return null;
      missing.unshift(basename(at));
    }
  }
}
