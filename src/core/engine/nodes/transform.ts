import type { NodeImpl } from '../types';

export const transformNodes: NodeImpl[] = [];
