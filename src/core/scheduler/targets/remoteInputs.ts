/**
 * Input files a remote server does not have yet. A workflow's image inputs (LoadImage, LoadImageMask and
 * any input declared with `image_upload`) name files in the run's input folder; before a prompt goes to a
 * server, those files are uploaded and the prompt is rewritten to the names the server returned (it may
 * rename, comfyui-protocol.md 2.8). For validating before upload, the same files are added to the
 * server's list of allowed values, since they will be there by the time the prompt is sent.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { joinInside } from '../../util/safePath';
import type { ApiPrompt, InputSpec, NodeDefs } from '../../workflow/types';

/** Uploads one file: its bytes, its name, and the subfolder it sits in under the input folder. */
export type Uploader = (
  data: Uint8Array,
  filename: string,
  subfolder: string,
) => Promise<{ widgetValue: string }>;

/** The options of an input spec, if it has any. */
function optionsOf(spec: InputSpec | undefined): Record<string, unknown> | undefined {
  const options = spec?.[1];
  return typeof options === 'object' && options !== null ? (options as Record<string, unknown>) : undefined;
}

/** The inputs of a class that take an uploadable image file name. */
function uploadInputs(defs: NodeDefs, classType: string): string[] {
  const def = defs[classType];
  if (!def) return [];
  const groups = [def.input.required ?? {}, def.input.optional ?? {}] as Record<string, InputSpec>[];
  return groups.flatMap((g) =>
    Object.entries(g)
      .filter(([, spec]) => optionsOf(spec)?.image_upload === true)
      .map(([n]) => n),
  );
}

/** The local file a value names, if it is a plain relative name of an existing file in `inputDir`. */
async function localFile(inputDir: string, value: unknown): Promise<string | undefined> {
  // An annotated name (`x.png [output]`) names a file of the server's own folders.
  if (typeof value !== 'string' || value === '' || /\[(input|output|temp)\]$/.test(value)) return undefined;
  const path = joinInside(inputDir, value);
  if (!path) return undefined;
  const info = await stat(path).catch(() => undefined);
  return info?.isFile() ? path : undefined;
}

/**
 * A copy of `prompt` whose image inputs that name local files are replaced by the names the server gave
 * their uploads. Each file is uploaded once per prompt.
 */
export async function uploadLocalInputs(
  prompt: ApiPrompt,
  defs: NodeDefs,
  inputDir: string,
  upload: Uploader,
): Promise<ApiPrompt> {
  const copy = structuredClone(prompt);
  const uploaded = new Map<string, string>();
  for (const node of Object.values(copy)) {
    for (const input of uploadInputs(defs, node.class_type)) {
      const value = node.inputs[input];
      const path = await localFile(inputDir, value);
      if (!path || typeof value !== 'string') continue;
      if (!uploaded.has(value)) {
        const rel = value.replace(/\\/g, '/');
        const reply = await upload(
          await readFile(path),
          posix.basename(rel),
          posix.dirname(rel).replace(/^\.$/, ''),
        );
        uploaded.set(value, reply.widgetValue);
      }
      node.inputs[input] = uploaded.get(value);
    }
  }
  return copy;
}

/** Every file under `dir` as a `/`-separated relative name, hidden files and folders left out. */
async function listFiles(dir: string, prefix = ''): Promise<string[]> {
  const entries = await readdir(join(dir, prefix), { withFileTypes: true }).catch(() => []);
  const names: string[] = [];
  for (const e of entries) {
    if (e.name.startsWith('.')) continue;
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) names.push(...(await listFiles(dir, rel)));
    else if (e.isFile()) names.push(rel);
  }
  return names;
}

/** An uploadable image input's spec with `files` added to its choices, in either COMBO spelling. */
function allowing(spec: InputSpec, files: string[]): InputSpec {
  const options = optionsOf(spec);
  if (options?.image_upload !== true) return spec;
  const union = (choices: unknown[]) => [...new Set([...choices, ...files])];
  if (Array.isArray(spec[0])) return [union(spec[0]), ...spec.slice(1)] as InputSpec;
  if (Array.isArray(options.options)) return [spec[0], { ...options, options: union(options.options) }];
  return spec;
}

/** A copy of `defs` whose uploadable image inputs also allow every file of the local input folder. */
export async function withLocalInputs(defs: NodeDefs, inputDir: string): Promise<NodeDefs> {
  const local = await listFiles(inputDir);
  if (local.length === 0) return defs;
  const copy = structuredClone(defs);
  for (const name of Object.keys(copy)) {
    for (const group of [copy[name].input.required ?? {}, copy[name].input.optional ?? {}] as Record<
      string,
      InputSpec
    >[]) {
      for (const [input, spec] of Object.entries(group)) group[input] = allowing(spec, local);
    }
  }
  return copy;
}
