/**
 * The files a prompt's UI outputs name. ComfyUI reports each output node's UI dict (`executed.output`,
 * history `outputs`, comfyui-protocol.md 2.7 and 3.3) as media kind to list: file items
 * `{filename, subfolder, type}` under `images`, `audio`, `video`, custom kinds such as `gifs`, beside lists
 * that are not files (`animated` flags, `text` strings). Both the client, which downloads the files, and
 * the run targets, which record them, read them here.
 */

/** A file named in a UI output, with the node, the kind and the position in that kind's list it came from. */
export interface OutputRef {
  nodeId: string;
  /** The output key it was listed under: `images`, `audio`, `video`, `gifs`... */
  kind: string;
  /** Its position in the node's list of that kind, counting items that are not files too. */
  index: number;
  filename: string;
  /** `''` when the server sent none. */
  subfolder: string;
  /** `output`, `temp` or `input`; `output` when the server sent none. */
  type: string;
}

/** UI outputs: node id to the node's UI dict, which is null for a cached node without one. */
export type UiOutputs = Readonly<Record<string, Readonly<Record<string, unknown>> | null | undefined>>;

/** The file item an entry of a UI list is, if it is one: an object with a non-empty `filename`. */
function fileItem(item: unknown): { filename: string; subfolder?: unknown; type?: unknown } | undefined {
  const f = item as { filename?: unknown } | null;
  return typeof f === 'object' && f !== null && typeof f.filename === 'string' && f.filename !== ''
    ? (f as { filename: string })
    : undefined;
}

/** Every file item of a set of UI outputs, in node order, then kind order, then list order. */
export function outputRefs(ui: UiOutputs): OutputRef[] {
  const refs: OutputRef[] = [];
  for (const [nodeId, output] of Object.entries(ui)) {
    for (const [kind, items] of Object.entries(output ?? {})) {
      if (!Array.isArray(items)) continue;
      items.forEach((item: unknown, index) => {
        const f = fileItem(item);
        if (!f) return;
        const subfolder = String(f.subfolder ?? '');
        refs.push({ nodeId, kind, index, filename: f.filename, subfolder, type: String(f.type ?? 'output') });
      });
    }
  }
  return refs;
}

/** The server file a reference names: one key per `type`, `subfolder` and `filename`. */
export function serverFileKey(ref: Pick<OutputRef, 'type' | 'subfolder' | 'filename'>): string {
  return `${ref.type}\u0000${ref.subfolder}\u0000${ref.filename}`;
}

/**
 * The references with each server file once, the first listing kept: a file that two nodes (or one node
 * twice) list, such as a cached node re-reporting an earlier file, is downloaded once.
 */
export function distinctFiles(refs: readonly OutputRef[]): OutputRef[] {
  const seen = new Set<string>();
  return refs.filter((ref) => {
    const key = serverFileKey(ref);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
