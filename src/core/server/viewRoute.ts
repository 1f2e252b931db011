/**
 * `GET /view` (comfyui-protocol.md 2.8): serves a file of the input, output or temp folder with ComfyUI's
 * checks, in ComfyUI's order: a missing `filename` is 404; a name with a leading `/` or any `..` is 400; an
 * unknown `type` is 400; a `subfolder` that leaves its folder is 403; a file that is not there is 404. The
 * name may carry ComfyUI's annotation suffix (`x.png [temp]`), which picks the folder.
 *
 * Unlike ComfyUI, symlinks are followed only while they stay inside the folder: a file or subfolder that
 * leads outside it through a symlink is 403 (util/safePath.ts `realPathWithin`), and the file read is the
 * resolved one.
 *
 * The file is always served as stored: `preview` and `channel` re-encoding (webp or jpeg previews, alpha
 * split) are not done, as nothing but the browser UI asks for them.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename, extname, join, relative, resolve, isAbsolute } from 'node:path';
import { realPathWithin } from '../util/safePath';
import { sendEmpty } from './httpKit';
import type { Route, RouteContext } from './router';
import { folderOfType, type ServerState } from './serverState';

const CONTENT_TYPES: Record<string, string> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
  '.gif': 'image/gif',
  '.bmp': 'image/bmp',
  '.tif': 'image/tiff',
  '.tiff': 'image/tiff',
  '.mp4': 'video/mp4',
  '.webm': 'video/webm',
  '.mp3': 'audio/mpeg',
  '.flac': 'audio/flac',
  '.wav': 'audio/x-wav',
  '.json': 'application/json',
  '.txt': 'text/plain',
};

/** Types a browser would render and run script in; ComfyUI forces them to download. */
const DANGEROUS =
  /^(text\/html|text\/javascript|application\/javascript|text\/css|image\/svg\+xml|text\/xml|application\/xml)/;
const DANGEROUS_EXTENSIONS: Record<string, string> = {
  '.html': 'text/html',
  '.htm': 'text/html',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.svg': 'image/svg+xml',
  '.xml': 'text/xml',
};

/** The `/view` route. */
export function viewRoute(state: ServerState): Route {
  return { method: 'GET', path: 'view', handle: (ctx) => getView(state, ctx) };
}

/** Splits ComfyUI's annotation suffix off a file name (`folder_paths.annotated_filepath`). */
export function splitAnnotation(name: string): { name: string; type?: string } {
  for (const type of ['output', 'input', 'temp']) {
    const suffix = `[${type}]`;
    if (name.endsWith(suffix)) return { name: name.slice(0, -(suffix.length + 1)), type };
  }
  return { name };
}

/** True when `path` is `base` or lies inside it. */
export function isWithin(base: string, path: string): boolean {
  const rel = relative(base, path);
  return rel === '' || (!isAbsolute(rel) && rel.split(/[\\/]/)[0] !== '..');
}

/** The file a `/view` query names and the folder it must stay in, or the status that refuses it. */
function locate(
  state: ServerState,
  query: URLSearchParams,
): { file: string; root: string } | { status: number } {
  const raw = query.get('filename');
  if (raw === null) return { status: 404 };
  const { name, type: annotated } = splitAnnotation(raw);
  if (!name) return { status: 400 };
  if (name.startsWith('/') || name.includes('..')) return { status: 400 };
  const root = folderOfType(state.folders, annotated ?? query.get('type') ?? 'output');
  if (root === undefined) return { status: 400 };
  let dir = root;
  const subfolder = query.get('subfolder');
  if (subfolder !== null) {
    const full = resolve(dir, subfolder);
    if (!isWithin(dir, full)) return { status: 403 };
    dir = full;
  }
  return { file: join(dir, basename(name)), root };
}

async function getView(state: ServerState, { res, url }: RouteContext): Promise<void> {
  const found = locate(state, url.searchParams);
  if ('status' in found) return sendEmpty(res, found.status);
  const real = await realPathWithin(found.root, found.file);
  if (real === null) return sendEmpty(res, 403);
  const info = await stat(real).catch(() => undefined);
  if (!info?.isFile()) return sendEmpty(res, 404);
  const name = basename(found.file);
  const ext = extname(name).toLowerCase();
  let type = DANGEROUS_EXTENSIONS[ext] ?? CONTENT_TYPES[ext] ?? 'application/octet-stream';
  const safeName = name.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
  let disposition = `filename="${safeName}"`;
  if (DANGEROUS.test(type)) {
    type = 'application/octet-stream';
    disposition = `attachment; filename="${safeName}"`;
  }
  res.writeHead(200, {
    'Content-Type': type,
    'Content-Length': info.size,
    'Content-Disposition': disposition,
    'X-Content-Type-Options': 'nosniff',
  });
  const stream = createReadStream(real);
  stream.on('error', () => res.destroy());
  stream.pipe(res);
}
