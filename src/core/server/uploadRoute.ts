/**
 * `POST /upload/image` (comfyui-protocol.md 2.8): a multipart form with the file in `image`, and optional
 * `type` (input, the default; temp; output), `subfolder` and `overwrite`. Without `overwrite`, a file of the
 * same name and identical content is not written again and its name comes back; different content is
 * renamed `name (1).ext`, `name (2).ext`... as ComfyUI does. Files are written atomically, so a prompt
 * reading the input folder never sees half an upload.
 *
 * Refused with 400 and a message: a form without the file part, an unknown type, a file name that is
 * not one plain name (empty, `.`, `..`, or holding `/` or `\`), a subfolder that leaves the folder, by
 * `..` or through a symlink (util/safePath.ts `realPathWithin`; nothing is created outside), and, with
 * `overwrite`, a name that is a folder or a symlink leading outside. Without `overwrite` such a name
 * counts as taken, and a symlink leading outside is never read.
 */
import { createHash } from 'node:crypto';
import { lstat, mkdir, readFile } from 'node:fs/promises';
import { extname, join, normalize, resolve } from 'node:path';
import { writeFileAtomic } from '../util/atomicWrite';
import { realPathWithin } from '../util/safePath';
import { BadRequest, sendJson } from './httpKit';
import type { Route, RouteContext } from './router';
import { folderOfType, type ServerState } from './serverState';
import { isWithin } from './viewRoute';

/** The `/upload/image` route. */
export function uploadRoute(state: ServerState): Route {
  return { method: 'POST', path: 'upload/image', handle: (ctx) => postUpload(state, ctx) };
}

/** The parsed form, or undefined when the body is not multipart form data. */
async function readForm(ctx: RouteContext): Promise<FormData | undefined> {
  const type = ctx.req.headers['content-type'] ?? '';
  if (!type.startsWith('multipart/form-data')) return undefined;
  const body = await ctx.body();
  // The platform's own multipart parser (undici's), rather than one of ours.
  return new Response(body, { headers: { 'content-type': type } }).formData().catch(() => undefined);
}

const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');

/** What stands at `path` now, as far as an upload cares. */
async function entryAt(root: string, path: string): Promise<'free' | 'file' | 'taken'> {
  const entry = await lstat(path).catch(() => undefined);
  if (!entry) return 'free';
  if (entry.isFile()) return 'file';
  if (!entry.isSymbolicLink()) return 'taken';
  // A symlink is followed only when it stays inside the folder and ends at a file.
  const real = await realPathWithin(root, path);
  const target = real === null ? undefined : await lstat(real).catch(() => undefined);
  return target?.isFile() ? 'file' : 'taken';
}

/** Where the upload goes: `name`, or the first free `name (n).ext`, or an existing identical file. */
async function destination(
  root: string,
  folder: string,
  filename: string,
  data: Uint8Array,
): Promise<{ name: string; path: string; duplicate: boolean }> {
  const dot = extname(filename);
  const stem = filename.slice(0, filename.length - dot.length);
  const digest = sha256(data);
  let name = filename;
  for (let i = 1; ; i++) {
    const path = join(folder, name);
    const entry = await entryAt(root, path);
    if (entry === 'free') return { name, path, duplicate: false };
    if (entry === 'file' && sha256(await readFile(path)) === digest) return { name, path, duplicate: true };
    name = `${stem} (${i})${dot}`;
  }
}

/** The real folder an upload goes to, created if need be; {@link BadRequest} when it would leave `base`. */
async function uploadFolder(base: string, subfolder: string, type: string): Promise<string> {
  const folder = resolve(base, normalize(subfolder || '.'));
  const real = isWithin(base, folder) ? await realPathWithin(base, folder) : null;
  if (real === null) throw new BadRequest(`The subfolder "${subfolder}" leads outside the ${type} folder`);
  await mkdir(real, { recursive: true });
  return real;
}

/** True for one plain file name: not empty, not `.` or `..`, without a separator or NUL. */
function isPlainName(name: string): boolean {
  return name !== '' && name !== '.' && name !== '..' && !/[\\/\0]/.test(name);
}

async function postUpload(state: ServerState, ctx: RouteContext): Promise<void> {
  const form = await readForm(ctx);
  const image = form?.get('image');
  if (!form || !(image instanceof Blob))
    throw new BadRequest('The request must be a multipart form with the file in an "image" part');
  const filename = (image as File).name;
  const type = String(form.get('type') ?? 'input') || 'input';
  const base = folderOfType(state.folders, type);
  if (!base) throw new BadRequest(`Unknown type "${type}": give input, output or temp`);
  if (!isPlainName(filename)) throw new BadRequest(`The file name "${filename}" must be one plain name`);
  const subfolder = String(form.get('subfolder') ?? '');
  const folder = await uploadFolder(base, subfolder, type);
  const overwrite = ['true', '1'].includes(String(form.get('overwrite') ?? ''));
  const data = new Uint8Array(await image.arrayBuffer());
  const path = join(folder, filename);
  if (overwrite && (await entryAt(base, path)) === 'taken')
    throw new BadRequest(`"${filename}" is a folder or a symlink leading outside the ${type} folder`);
  const target = overwrite
    ? { name: filename, path, duplicate: false }
    : await destination(base, folder, filename, data);
  if (!target.duplicate) await writeFileAtomic(target.path, data);
  sendJson(ctx.res, 200, { name: target.name, subfolder, type });
}
