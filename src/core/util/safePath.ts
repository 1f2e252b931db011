/**
 * Putting names that came from a workflow or a server into a folder without ever leaving it. Three tools,
 * one for each way out: {@link cleanSegments} turns a foreign path into segments that are safe file names
 * on every platform; {@link joinInside} joins names onto a folder, refusing whatever `..`, absolute path,
 * drive letter or NUL would lead outside it; and {@link realPathInside} checks, on disk, that no symlink
 * on the way leads out.
 */
import { realpath } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';

/** `base` joined with the relative `parts`; null when the result would lie outside `base`. */
export function joinInside(base: string, ...parts: string[]): string | null {
  for (const p of parts) {
    if (p.includes('\0') || isAbsolute(p) || /^[a-zA-Z]:/.test(p) || p.startsWith('\\')) return null;
  }
  const root = resolve(base);
  const target = resolve(join(root, ...parts.map((p) => p.replace(/\\/g, '/'))));
  const rel = relative(root, target);
  // The file itself must be strictly inside: not the folder, not above it, not on another drive.
  if (rel === '' || isAbsolute(rel) || rel.split(sep)[0] === '..') return null;
  return target;
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
  const [realRoot, realDir] = await Promise.all([realpath(root), realpath(dir)]);
  return realDir === realRoot || realDir.startsWith(realRoot + sep);
}
