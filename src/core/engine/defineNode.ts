/**
 * Builds a {@link NodeImpl} from its class name and behaviour, taking the definition from
 * `nodeDefinitions.json`, which holds ComfyUI 0.8.0's `/object_info` entries for every engine class.
 */
import type { NodeDef } from '../workflow/types';
import definitions from './nodeDefinitions.json';
import type { NodeImpl } from './types';

const defs = definitions as unknown as Record<string, NodeDef>;

/** The ComfyUI 0.8.0 definition of an engine class; throws for a class the engine does not define. */
export function engineDefinition(classType: string): NodeDef {
  const def = defs[classType];
  if (!def) throw new Error(`no definition for engine node class ${classType}`);
  return def;
}

/** A node implementation with the ComfyUI definition of `classType`. */
export function defineNode(classType: string, impl: Omit<NodeImpl, 'classType' | 'def'>): NodeImpl {
  return { classType, def: engineDefinition(classType), ...impl };
}
