import type { NodeImpl } from '../types';

export const filterNodes: NodeImpl[] = [];
