/**
 * Every node class of the embedded engine, one family per file under `nodes/`. The worker thread
 * imports this too, so the same implementations run on either side.
 */
import { compositeNodes } from './nodes/composite';
import { filterNodes } from './nodes/filters';
import { ioNodes } from './nodes/imageIo';
import { maskNodes } from './nodes/masks';
import { primitiveNodes } from './nodes/primitives';
import { scaleNodes } from './nodes/scale';
import { transformNodes } from './nodes/transform';
import { websocketImageNodes } from './nodes/websocketImage';
import type { NodeImpl } from './types';

/** A lookup of node implementations by class name. */
export type NodeRegistry = ReadonlyMap<string, NodeImpl>;

/** Builds a registry from node lists; a class defined twice is a programming error. */
export function createRegistry(...families: readonly NodeImpl[][]): NodeRegistry {
  const map = new Map<string, NodeImpl>();
  for (const node of families.flat()) {
    if (map.has(node.classType)) throw new Error(`node class ${node.classType} is defined twice`);
    map.set(node.classType, node);
  }
  return map;
}

/** The engine's built-in node classes. */
export const builtinNodes: NodeRegistry = createRegistry(
  ioNodes,
  primitiveNodes,
  scaleNodes,
  compositeNodes,
  transformNodes,
  filterNodes,
  maskNodes,
  websocketImageNodes,
);
