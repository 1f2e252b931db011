import type { NodeImpl } from '../types';

export const maskNodes: NodeImpl[] = [];
