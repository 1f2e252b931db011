/**
 * The output cache kept across prompts, as ComfyUI keeps it (comfyui-protocol.md section 4.3). A node's
 * key hashes its class, its constant inputs, the keys of the nodes it links to (with the slot) and its
 * fingerprint (ComfyUI's IS_CHANGED: LoadImage's file hash), so a key names the node's whole upstream
 * computation. Node ids are not part of the key: two identical nodes share one entry.
 *
 * Policy "classic" (ComfyUI's `--cache-classic`): after each prompt the cache keeps exactly the entries of
 * that prompt's nodes, so it holds at most one prompt's outputs; alternating two different graphs
 * recomputes each. Policy "none" (`--cache-none`) keeps nothing, and a node's outputs live only until its
 * last consumer has read them.
 */
import * as crypto from 'node:crypto';
import { canonicalJson, isLink } from '../workflow/graph';
import type { ApiPrompt, NodeId } from '../workflow/types';
import type { NodeRegistry } from './registry';
import type { NodeContext, UiOutput, WrittenFile } from './types';

/** Which outputs the engine keeps between prompts; see the module comment. */
export type CachePolicy = 'classic' | 'none';

/** The folders a prompt's SaveImage and PreviewImage write into. */
export interface OutputFolders {
  readonly outputDir: string;
  readonly tempDir: string;
}

/** A cached result: a node's outputs by slot and the UI it reported. */
export interface CacheEntry {
  readonly outputs: readonly unknown[];
  readonly ui?: UiOutput;
  /** The files the node reported writing (see outputReplay.ts), where they were written. */
  readonly files?: readonly WrittenFile[];
  /** The folders of the prompt the node ran in. */
  readonly folders?: OutputFolders;
}

/** The store of cached results by cache key. */
export class ExecutionCache {
  private readonly entries = new Map<string, CacheEntry>();
  private dropped: CacheEntry[] = [];

  constructor(readonly policy: CachePolicy = 'classic') {}

  /** Number of entries held. */
  get size(): number {
    return this.entries.size;
  }

  /** The entry for `key`, if held. */
  get(key: string): CacheEntry | undefined {
    return this.entries.get(key);
  }

  /** True when `key` is held. */
  has(key: string): boolean {
    return this.entries.has(key);
  }

  /** Stores a result (nothing under policy "none"). */
  set(key: string, entry: CacheEntry): void {
    if (this.policy !== 'none') this.entries.set(key, entry);
  }

  /** Drops every entry whose key is not in `keep`: the classic policy's end-of-prompt step. */
  retainOnly(keep: ReadonlySet<string>): void {
    for (const [key, entry] of this.entries) {
      if (keep.has(key)) continue;
      this.entries.delete(key);
      this.dropped.push(entry);
    }
  }

  /** Drops everything (ComfyUI's `POST /free`). */
  clear(): void {
    this.dropped.push(...this.entries.values());
    this.entries.clear();
  }

  /** The entries held now. */
  values(): IterableIterator<CacheEntry> {
    return this.entries.values();
  }

  /** The entries dropped since the last call, for their buffers' reuse (tensorRecycling.ts). */
  takeDropped(): CacheEntry[] {
    const dropped = this.dropped;
    this.dropped = [];
    return dropped;
  }
}

/** The constant inputs of a node: every input that is not a link. */
export function constantInputs(prompt: ApiPrompt, id: NodeId): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(prompt[id].inputs ?? {})) if (!isLink(value)) out[name] = value;
  return out;
}

/**
 * The cache key of every node in `order` (dependencies first). A node's fingerprint sees only its
 * constant inputs, as IS_CHANGED does in ComfyUI. A fingerprint that throws gets a fresh random value,
 * so the node always runs and reports its own error then, which is what ComfyUI does.
 */
export async function computeCacheKeys(
  prompt: ApiPrompt,
  order: readonly NodeId[],
  nodes: NodeRegistry,
  contextFor: (id: NodeId) => NodeContext,
): Promise<Map<NodeId, string>> {
  const keys = new Map<NodeId, string>();
  for (const id of order) {
    const node = prompt[id];
    const impl = nodes.get(node.class_type);
    let fingerprint: string | null = null;
    if (impl?.fingerprint) {
      try {
        fingerprint = await impl.fingerprint(constantInputs(prompt, id), contextFor(id));
      } catch {
        fingerprint = crypto.randomUUID();
      }
    }
    keys.set(id, keyOf(node.class_type, node.inputs ?? {}, keys, fingerprint));
  }
  return keys;
}

function keyOf(
  classType: string,
  inputs: Record<string, unknown>,
  upstreamKeys: ReadonlyMap<NodeId, string>,
  fingerprint: string | null,
): string {
  // The canonical JSON of {class, fingerprint, inputs: {name: {link, slot} or {value}}}, keys sorted,
  // written directly: building that object and walking it cost more than a quick node's run.
  const parts = Object.keys(inputs)
    .sort()
    .map((name) => `${JSON.stringify(name)}:${inputKey(inputs[name], upstreamKeys)}`);
  const text = `{"class":${JSON.stringify(classType)},"fingerprint":${JSON.stringify(fingerprint)},"inputs":{${parts.join(',')}}}`;
  return sha256(text);
}

/**
 * SHA-256 in base64: the one-shot `crypto.hash` (Node 20.12 and later) costs half what a Hash object does,
 * which counts when a chain has tens of thousands of nodes; older hosts (an editor's) get the Hash object.
 */
const sha256: (text: string) => string =
  typeof crypto.hash === 'function'
    ? (text) => crypto.hash('sha256', text, 'base64')
    : (text) => crypto.createHash('sha256').update(text).digest('base64');

/** One input in a key: a link as its source's key and slot, so the key covers the whole upstream. */
function inputKey(value: unknown, upstreamKeys: ReadonlyMap<NodeId, string>): string {
  if (isLink(value)) {
    return `{"link":${JSON.stringify(upstreamKeys.get(value[0]) ?? null)},"slot":${canonicalJson(value[1])}}`;
  }
  // canonicalJson leaves out members that are undefined or functions.
  return value === undefined || typeof value === 'function' ? '{}' : `{"value":${canonicalJson(value)}}`;
}
