import type { NodeImpl } from '../types';

export const scaleNodes: NodeImpl[] = [];
