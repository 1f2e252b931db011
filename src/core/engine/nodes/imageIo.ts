import type { NodeImpl } from '../types';

export const ioNodes: NodeImpl[] = [];
