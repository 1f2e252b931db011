/**
 * Where SaveImage and PreviewImage write, computed as ComfyUI 0.8.0 does: the ComfyUI frontend's
 * `%date:...%` / `%Node.widget%` substitutions on a typed prefix, then `folder_paths.get_save_image_path`
 * (the `%width%`, `%year%`... variables, the subfolder part of the prefix, a refusal to leave the output
 * folder, and a counter that continues after the files already there).
 */
import { mkdir, readdir } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { realPathWithin } from '../util/safePath';
import type { ApiPrompt } from '../workflow/types';
import { NodeException } from './types';

/** The result of {@link getSaveImagePath}, named after the Python tuple it mirrors. */
export interface SaveImagePath {
  /** The absolute folder to write into (created when it did not exist). */
  fullOutputFolder: string;
  /** The file stem: the last part of the prefix; may still hold `%batch_num%`. */
  filename: string;
  /** The first counter to use: one more than the highest `<filename>_NNNNN_` in the folder, else 1. */
  counter: number;
  /** The folder part of the prefix, relative to the output folder, with `/` separators ('' for none). */
  subfolder: string;
  /** The prefix after variable substitution. */
  filenamePrefix: string;
}

/** Options of {@link getSaveImagePath}. */
export interface SaveImagePathOptions {
  /** The clock for `%year%` and friends. Default: now. */
  now?: Date;
  /**
   * Names being written into a folder by saves still in flight, so that two saves running at once do not
   * pick the same counter. Consulted after the folder is listed. Default: none.
   */
  pendingIn?: (folder: string) => Iterable<string>;
}

/**
 * ComfyUI's `get_save_image_path`: splits `filenamePrefix` into subfolder and stem below `outputDir` and
 * finds the next free counter. Throws a NodeException of type `Exception` (as ComfyUI raises) when the
 * prefix leads outside `outputDir`.
 */
export async function getSaveImagePath(
  filenamePrefix: string,
  outputDir: string,
  imageWidth = 0,
  imageHeight = 0,
  options: SaveImagePathOptions = {},
): Promise<SaveImagePath> {
  if (filenamePrefix.includes('\0')) throw new NodeException('ValueError', 'embedded null byte');
  let prefix = process.platform === 'win32' ? filenamePrefix.replace(/\\/g, '/') : filenamePrefix;
  if (prefix.includes('%')) prefix = computeVars(prefix, imageWidth, imageHeight, options.now ?? new Date());
  const normalized = pythonNormpath(prefix);
  const subfolder = pythonDirname(normalized);
  const filename = pythonBasename(normalized);
  const root = resolve(outputDir);
  const fullOutputFolder = resolve(root, subfolder);
  const rel = relative(root, fullOutputFolder);
  if (isAbsolute(rel) || rel === '..' || rel.startsWith(`..${sep}`)) {
    throw new NodeException(
      'Exception',
      `Saving image outside the output folder is not allowed. full_output_folder: ${fullOutputFolder}, output_dir: ${root}`,
    );
  }
  // A symlink already inside the output folder must not carry the save out of it. The folder keeps the
  // name it was given (the job's folder may itself be reached through a link, and outputs are named
  // relative to it).
  await mkdir(root, { recursive: true });
  if ((await realPathWithin(root, fullOutputFolder)) === null) {
    throw new NodeException(
      'Exception',
      `Saving image outside the output folder is not allowed: a symlink in it leads out (or nowhere). full_output_folder: ${fullOutputFolder}, output_dir: ${root}`,
    );
  }
  const counter = await nextCounter(fullOutputFolder, filename, options.pendingIn);
  return { fullOutputFolder, filename, counter, subfolder, filenamePrefix: prefix };
}

async function nextCounter(
  folder: string,
  filename: string,
  pendingIn: SaveImagePathOptions['pendingIn'],
): Promise<number> {
  // Snapshot the names of saves in flight before listing the folder: a save that finishes during the
  // listing is then either in this snapshot or already renamed into the folder, never in neither.
  const pending = [...(pendingIn?.(folder) ?? [])];
  let names: string[];
  try {
    names = await readdir(folder);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    await mkdir(folder, { recursive: true });
    names = [];
  }
  let best: number | undefined;
  for (const name of [...names, ...pending]) {
    const digits = counterOf(name, filename);
    if (digits !== undefined && (best === undefined || digits > best)) best = digits;
  }
  return best === undefined ? 1 : best + 1;
}

/**
 * ComfyUI's `map_filename` plus its filter: the counter of `name` when it starts with `<stem>_`, else
 * undefined; a name whose counter part is not a number counts as 0. ComfyUI measures the stem on the
 * prefix before normalisation, which breaks the match for a prefix ending in `/` and makes it overwrite
 * `<stem>_00001_.png` on every run; measuring the normalised stem avoids that and is otherwise the same.
 */
export function counterOf(name: string, stem: string): number | undefined {
  // Python slices by code point, so do the same for names outside the BMP.
  const chars = Array.from(name);
  const stemChars = Array.from(stem);
  const head = chars.slice(0, stemChars.length + 1);
  if (head.length !== stemChars.length + 1 || head.pop() !== '_' || head.join('') !== stem) return undefined;
  const rest = chars
    .slice(stemChars.length + 1)
    .join('')
    .split('_')[0];
  return /^\s*[+-]?\d+\s*$/.test(rest) ? parseInt(rest.trim(), 10) : 0;
}

/** Python's `f"{counter:05}"`: at least five characters, zero-padded after the sign. */
export function formatCounter(counter: number): string {
  return counter < 0 ? `-${String(-counter).padStart(4, '0')}` : String(counter).padStart(5, '0');
}

/** The file name ComfyUI gives batch element `batchNumber`: `<stem>_<counter>_.png`. */
export function saveFileName(filename: string, batchNumber: number, counter: number): string {
  return `${filename.split('%batch_num%').join(String(batchNumber))}_${formatCounter(counter)}_.png`;
}

/** `compute_vars`: the server-side prefix variables, in local time. */
function computeVars(input: string, width: number, height: number, now: Date): string {
  const two = (n: number): string => String(n).padStart(2, '0');
  const vars: [string, string][] = [
    ['%width%', String(width)],
    ['%height%', String(height)],
    ['%year%', String(now.getFullYear())],
    ['%month%', two(now.getMonth() + 1)],
    ['%day%', two(now.getDate())],
    ['%hour%', two(now.getHours())],
    ['%minute%', two(now.getMinutes())],
    ['%second%', two(now.getSeconds())],
  ];
  return vars.reduce((s, [k, v]) => s.split(k).join(v), input);
}

/**
 * The ComfyUI frontend's `applyTextReplacements`, which the web UI runs on SaveImage's typed
 * `filename_prefix` before it posts a prompt: `%date:FORMAT%` and `%Node.widget%` (the node found by its
 * class name, standing in for the "Node name for S&R" property, else by title). Anything it cannot
 * resolve is left as written, as the frontend does.
 */
export function applyFrontendReplacements(value: string, prompt: ApiPrompt, now: Date = new Date()): string {
  return value.replace(/%([^%]+)%/g, (match: string, text: string) => {
    const split = text.split('.');
    if (split.length !== 2) return split[0].startsWith('date:') ? formatDate(split[0].slice(5), now) : match;
    const nodes = Object.values(prompt);
    const byName = nodes.filter((n) => n.class_type === split[0]);
    const node = (byName.length ? byName : nodes.filter((n) => n._meta?.title === split[0]))[0];
    const v = node?.inputs[split[1]];
    // A linked input has no widget value to show; the frontend would find no widget either.
    if (v === undefined || Array.isArray(v)) return match;
    return String(v ?? '').replace(/\/|\\/g, '_');
  });
}

/** The frontend's `formatDate`: d/dd, M/MM, h/hh, m/mm, s/ss and yy/yyyy in local time. */
function formatDate(format: string, date: Date): string {
  const parts: Record<string, () => number> = {
    d: () => date.getDate(),
    M: () => date.getMonth() + 1,
    h: () => date.getHours(),
    m: () => date.getMinutes(),
    s: () => date.getSeconds(),
  };
  return format.replace(/dd?|MM?|hh?|mm?|ss?|yyy?y?/g, (t) => {
    if (t === 'yy') return String(date.getFullYear()).substring(2);
    if (t === 'yyyy') return String(date.getFullYear());
    const part = parts[t[0]];
    return part ? String(part()).padStart(t.length, '0') : t;
  });
}

/** Python's `posixpath.normpath`. */
export function pythonNormpath(path: string): string {
  if (!path) return '.';
  let initial = path.startsWith('/') ? 1 : 0;
  // POSIX keeps exactly two leading slashes but folds three or more into one.
  if (initial && path.startsWith('//') && !path.startsWith('///')) initial = 2;
  const comps: string[] = [];
  for (const comp of path.split('/')) {
    if (comp === '' || comp === '.') continue;
    if (comp !== '..' || (!initial && comps.length === 0) || comps[comps.length - 1] === '..')
      comps.push(comp);
    else if (comps.length) comps.pop();
  }
  return '/'.repeat(initial) + comps.join('/') || '.';
}

/** Python's `posixpath.dirname`. */
export function pythonDirname(path: string): string {
  const head = path.slice(0, path.lastIndexOf('/') + 1);
  return head && !/^\/+$/.test(head) ? head.replace(/\/+$/, '') : head;
}

/** Python's `posixpath.basename`. */
export function pythonBasename(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}
