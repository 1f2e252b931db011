import type { NodeImpl } from '../types';

export const primitiveNodes: NodeImpl[] = [];
