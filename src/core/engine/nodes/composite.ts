import type { NodeImpl } from '../types';

export const compositeNodes: NodeImpl[] = [];
