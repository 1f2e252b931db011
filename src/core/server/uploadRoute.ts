/**
 * `POST /upload/image` (comfyui-protocol.md 2.8): a multipart form with the file in `image`, and optional
 * `type` (input, the default; temp; output), `subfolder` and `overwrite`. Without `overwrite`, a file of the
 * same name and identical content is not written again and its name comes back; different content is
 * renamed `name (1).ext`, `name (2).ext`... as ComfyUI does. A name or subfolder that leaves the folder,
 * a missing file part or an empty file name is 400. Files are written atomically, so a prompt reading the
 * input folder never sees half an upload.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { extname, join, normalize, resolve } from 'node:path';
import { writeFileAtomic } from '../util/atomicWrite';
import { sendEmpty, sendJson } from './httpKit';
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

/** Where the upload goes: `name`, or the first free `name (n).ext`, or an existing identical file. */
async function destination(
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
    const existing = await readFile(path).catch(() => undefined);
    if (!existing) return { name, path, duplicate: false };
    if (sha256(existing) === digest) return { name, path, duplicate: true };
    name = `${stem} (${i})${dot}`;
  }
}

async function postUpload(state: ServerState, ctx: RouteContext): Promise<void> {
  const form = await readForm(ctx);
  const image = form?.get('image');
  if (!form || !(image instanceof Blob)) return sendEmpty(ctx.res, 400);
  const filename = (image as File).name;
  const type = String(form.get('type') ?? 'input') || 'input';
  const base = folderOfType(state.folders, type);
  if (!filename || !base) return sendEmpty(ctx.res, 400);
  const subfolder = String(form.get('subfolder') ?? '');
  const folder = resolve(base, normalize(subfolder || '.'));
  if (
    !isWithin(base, folder) ||
    !isWithin(base, resolve(folder, filename)) ||
    resolve(folder, filename) === base
  )
    return sendEmpty(ctx.res, 400);
  const overwrite = ['true', '1'].includes(String(form.get('overwrite') ?? ''));
  const data = new Uint8Array(await image.arrayBuffer());
  await mkdir(folder, { recursive: true });
  const target = overwrite
    ? { name: filename, path: join(folder, filename), duplicate: false }
    : await destination(folder, filename, data);
  if (!target.duplicate) await writeFileAtomic(target.path, data);
  sendJson(ctx.res, 200, { name: target.name, subfolder, type });
}
