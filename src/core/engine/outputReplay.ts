/**
 * Cached output nodes in a prompt that writes into other folders. A cached output node does not run
 * again: its UI is replayed, and that UI names files in the folders the node first wrote into. When a
 * prompt has folders of its own (each job of the embedded run target has one), those files are copied
 * into the prompt's folders, so that every file a prompt's UI names lies in its folders, as when the node
 * runs. A file is copied only while it still holds the bytes the node wrote (same SHA-256); when that
 * fails for any file of a node (a node that does not report its files, a file since changed or deleted),
 * the node runs again instead. A prompt in the folders the node wrote into replays it as ComfyUI does.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { writeFileAtomic } from '../util/atomicWrite';
import { joinInside } from '../util/safePath';
import type { NodeId } from '../workflow/types';
import type { CacheEntry, ExecutionCache, OutputFolders } from './executionCache';
import type { FileRef, WrittenFile } from './types';

function sameFolders(a: OutputFolders | undefined, b: OutputFolders): boolean {
  return !!a && resolve(a.outputDir) === resolve(b.outputDir) && resolve(a.tempDir) === resolve(b.tempDir);
}

/** The output and temp files a UI names (an `input` file is not the node's own, so it is not copied). */
function namedFiles(ui: CacheEntry['ui']): FileRef[] {
  const refs: FileRef[] = [];
  for (const items of Object.values(ui ?? {})) {
    if (!Array.isArray(items)) continue;
    for (const item of items as (Partial<FileRef> | null)[]) {
      if (typeof item?.filename !== 'string') continue;
      const type = item.type ?? 'output';
      if (type !== 'input') refs.push({ filename: item.filename, subfolder: item.subfolder ?? '', type });
    }
  }
  return refs;
}

/** The bytes of a file the node wrote; undefined when it is gone or no longer holds what was written. */
async function unchangedBytes(file: WrittenFile): Promise<Uint8Array | undefined> {
  const bytes = await readFile(file.path).catch(() => undefined);
  if (!bytes || createHash('sha256').update(bytes).digest('hex') !== file.sha256) return undefined;
  return bytes;
}

/**
 * Copies the files of a cached output node into `folders`, each atomically, and returns them as they
 * now lie there: none when the node wrote into these very folders, null when the node must run again.
 */
export async function replayInto(entry: CacheEntry, folders: OutputFolders): Promise<WrittenFile[] | null> {
  if (sameFolders(entry.folders, folders)) return [];
  const copies: { file: WrittenFile; bytes: Uint8Array }[] = [];
  for (const ref of namedFiles(entry.ui)) {
    const from = entry.files?.find(
      (f) => f.type === ref.type && f.subfolder === ref.subfolder && f.filename === ref.filename,
    );
    const base = ref.type === 'temp' ? folders.tempDir : folders.outputDir;
    const path = joinInside(base, ref.subfolder, ref.filename);
    // Every source is checked before anything is written, so a node that must run again leaves no copy.
    const bytes = from && path ? await unchangedBytes(from) : undefined;
    if (!from || !path || !bytes) return null;
    copies.push({ file: { ...from, path }, bytes });
  }
  try {
    for (const c of copies) await writeFileAtomic(c.file.path, c.bytes);
  } catch {
    return null;
  }
  return copies.map((c) => c.file);
}

/**
 * Replays every cached output node among `outputs` into `folders` (see the module comment), telling
 * `written` of each file copied, and records the copies in the cache. Returns the nodes that must run
 * again although the cache holds them.
 */
export async function replayCachedOutputs(
  outputs: readonly NodeId[],
  keys: ReadonlyMap<NodeId, string>,
  cache: ExecutionCache,
  folders: OutputFolders,
  written: (nodeId: NodeId, file: WrittenFile) => void,
): Promise<Set<NodeId>> {
  const rerun = new Set<NodeId>();
  // Identical output nodes share one cache entry: its files are copied once.
  const replayed = new Map<string, WrittenFile[] | null>();
  for (const id of outputs) {
    const key = keys.get(id)!;
    const entry = cache.get(key);
    if (!entry) continue;
    let files = replayed.get(key);
    if (files === undefined) {
      files = await replayInto(entry, folders);
      replayed.set(key, files);
      if (files?.length) cache.set(key, { ...entry, files, folders });
    }
    if (files === null) rerun.add(id);
    else for (const f of files) written(id, f);
  }
  return rerun;
}
