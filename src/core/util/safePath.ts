/**
 * Joining names that came from a workflow or a server onto a folder without ever leaving it: whatever
 * `..`, absolute path, drive letter or NUL a name carries, the result stays inside `base` or the join is
 * refused.
 */
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
