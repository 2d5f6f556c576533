/**
 * Whole-buffer operations over tensors larger than one binding (a `base` model's 440 MB of
 * parameters on an adapter that binds 128 MiB): run them view by view.
 * @module
 */
import type { Ops } from "../ops.ts";

/** Calls `fn` on consecutive views of `t[0..n)`, each within one binding and 64-element aligned. */
export function forChunks<T>(
  ops: Ops<T>,
  t: T,
  n: number,
  label: string,
  fn: (view: T, size: number) => void,
): void {
  const chunk = Math.max(64, Math.floor(ops.maxBinding / 64) * 64);
  if (n <= chunk) {
    fn(t, n);
    return;
  }
  for (let start = 0; start < n; start += chunk) {
    const size = Math.min(chunk, n - start);
    fn(ops.view(t, start, size, `${label}[${start}..${start + size})`), size);
  }
}

/** How many chunks {@linkcode forChunks} makes of `n` elements. */
export function chunkCount<T>(ops: Ops<T>, n: number): number {
  const chunk = Math.max(64, Math.floor(ops.maxBinding / 64) * 64);
  return Math.max(1, Math.ceil(n / chunk));
}
