/** The index `i` reflected into 0..n-1 without repeating the edge (torch 'reflect'); |overshoot| < n. */
export function reflect(i: number, n: number): number {
  if (i < 0) return -i;
  if (i >= n) return 2 * (n - 1) - i;
  return i;
}
