/**
 * Which input of a bypassed node stands in for one of its outputs, by the frontend's rules: the input
 * at the same index when both types fit, else the first input of exactly the wanted type, else the
 * first type-compatible one; nothing when none fits. Types are compared as litegraph compares them:
 * "*" and "" match anything, names are case-insensitive, and comma lists match when any member does.
 */
import type { EditorNode } from './types';

/** Index of the input that replaces output `slot` of a bypassed node for a consumer wanting `wanted`; -1 if none. */
export function bypassInputIndex(node: EditorNode, slot: number, wanted: unknown): number {
  const inputs = node.inputs ?? [];
  if (inputs.length === 0) return -1;
  const wantedType = typeName(wanted);
  if (wantedType === '*' || wantedType === '') return slot < inputs.length ? slot : 0;
  const outputType = node.outputs?.[slot]?.type;
  const fits = (inputType: unknown): boolean =>
    typesCompatible(inputType, outputType) && typesCompatible(inputType, wantedType);
  if (slot < inputs.length && fits(inputs[slot].type)) return slot;
  const exact = inputs.findIndex((input) => typeName(input.type) === wantedType);
  if (exact !== -1) return exact;
  return inputs.findIndex((input) => fits(input.type));
}

/** True when a link of type `a` may connect to a socket of type `b` (litegraph's rule). */
export function typesCompatible(a: unknown, b: unknown): boolean {
  const ta = typeName(a).toLowerCase();
  const tb = typeName(b).toLowerCase();
  if (ta === '' || ta === '*' || tb === '' || tb === '*' || ta === tb) return true;
  if (!ta.includes(',') && !tb.includes(',')) return false;
  const as = ta.split(',');
  const bs = tb.split(',');
  return as.some((x) => bs.some((y) => x === y || x === '*' || y === '*'));
}

/**
 * A socket type as a string. Old files save a COMBO socket's type as its list of choices, which
 * litegraph would never match by name; treat it as "COMBO".
 */
export function typeName(t: unknown): string {
  if (Array.isArray(t)) return 'COMBO';
  if (t === undefined || t === null) return '';
  return String(t);
}
