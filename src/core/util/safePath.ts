/**
 * Putting names that came from a workflow or a server into a folder without ever leaving it. Three tools,
 * one for each way out: {@link cleanSegments} turns a foreign path into segments that are safe file names
 * on every platform; {@link joinInside} joins names onto a folder, refusing whatever `..`, absolute path,
 * drive letter or NUL would lead outside it on this platform; and {@link realPathInside} checks, on disk,
 * that no symlink on the way leads out.
 */
import { realpath } from 'node:fs/promises';
import { posix, resolve, sep, win32 } from 'node:path';

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
 * True when the existing folder `dir`, with every symlink resolved, is `root` or inside it (`root`
 * resolved too). A name can be clean and still lead out through a symlink already in the folder.
 */
export async function realPathInside(root: string, dir: string): Promise<boolean> {
  // The folder itself resolves to itself, whatever symlinks lead to it: nothing to read.
  if (resolve(dir) === resolve(root)) return true;
  const [realRoot, realDir] = await Promise.all([realpath(root), realpath(dir)]);
  return realDir === realRoot || realDir.startsWith(realRoot + sep);
}
