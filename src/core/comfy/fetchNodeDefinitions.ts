/**
 * The server's node definitions, `GET /object_info` (comfyui-protocol.md 2.9), validated at the edge into
 * typed {@link NodeDefs}. The reply is large and comes from whatever custom nodes the server has loaded,
 * so one class with a malformed definition is logged and left out instead of failing the whole reply.
 * Fields a definition leaves out get ComfyUI's empty values; fields we do not know pass through.
 */
import { z } from 'zod';
import type { InputSpec, NodeDef, NodeDefs } from '../workflow/types';
import type { ComfyLog } from './events';
import type { ComfyHttp } from './http';

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The whole reply: an object, taken as JSON.parse made it (a record schema would rebuild it by assignment,
 * and a class named `__proto__` would become the prototype of the copy instead of a class of its own).
 */
const objectInfoReply = z.custom<Record<string, unknown>>(isObject, {
  message: '/object_info is an object of class name to definition',
});

/** One input's spec: `[TYPE]` or `[TYPE, options]`, TYPE a type name or the legacy COMBO list of choices. */
const inputSpec = z.custom<InputSpec>(
  (v) =>
    Array.isArray(v) &&
    (v.length === 1 || v.length === 2) &&
    (typeof v[0] === 'string' || Array.isArray(v[0])) &&
    (v.length === 1 || isObject(v[1])),
  { message: 'an input spec is [TYPE] or [TYPE, options]' },
);

const inputGroup = z.record(z.string(), inputSpec).optional();
const names = z.array(z.string()).optional();

/** One entry of `/object_info`, in the V1 wire format (V3 nodes are converted to it by the server). */
export const nodeDefSchema = z.looseObject({
  input: z.looseObject({
    required: inputGroup,
    optional: inputGroup,
    hidden: z.record(z.string(), z.unknown()).optional(),
  }),
  input_order: z.looseObject({ required: names, optional: names, hidden: names }).optional(),
  output: z
    .array(z.union([z.string(), z.array(z.unknown())]))
    .optional()
    .default([]),
  output_is_list: z.array(z.boolean().nullable()).optional().default([]),
  output_name: z.array(z.string()).optional().default([]),
  name: z.string().optional().default(''),
  display_name: z.string().nullable().optional().default(null),
  description: z.string().optional().default(''),
  python_module: z.string().optional().default(''),
  category: z.string().optional().default(''),
  output_node: z.boolean().optional().default(false),
});

/**
 * Asks the server for its node definitions. Throws as the HTTP layer does, and `protocol` when the
 * reply is not an object of class name to definition; a class whose definition does not parse is
 * reported to `log` and left out.
 */
export async function fetchNodeDefinitions(api: ComfyHttp, log: ComfyLog): Promise<NodeDefs> {
  const reply = await api.json({ route: 'object_info' }, objectInfoReply);
  const defs: [string, NodeDef][] = [];
  for (const [name, raw] of Object.entries(reply)) {
    const parsed = nodeDefSchema.safeParse(raw);
    if (parsed.success) defs.push([name, parsed.data]);
    else log('warn', `Leaving out node class ${name}: its definition is malformed`, parsed.error.issues);
  }
  // fromEntries defines own properties, so a class named `__proto__` stays a class.
  return Object.fromEntries(defs);
}
