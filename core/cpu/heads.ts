/**
 * Attention head reshapes: [batch, seq, heads * headDim] <-> [batch, heads, seq, headDim]. Pure
 * permutations, so each backward is the other direction's forward, accumulated.
 * @module
 */
import type { Floats } from "./types.ts";

/** Sizes of a head reshape. */
export interface HeadsShape {
  /** Sequences in the batch. */
  batch: number;
  /** Tokens per sequence. */
  seq: number;
  /** Attention heads. */
  heads: number;
  /** Width of one head: hidden / heads. */
  headDim: number;
}

/** Calls `f(token-major index, head-major index)` for every element. */
function forEachPair(
  { batch, seq, heads, headDim }: HeadsShape,
  f: (tokenMajor: number, headMajor: number) => void,
) {
  for (let b = 0; b < batch; b++) {
    for (let t = 0; t < seq; t++) {
      for (let h = 0; h < heads; h++) {
        const tokenMajor = ((b * seq + t) * heads + h) * headDim;
        const headMajor = ((b * heads + h) * seq + t) * headDim;
        for (let d = 0; d < headDim; d++) f(tokenMajor + d, headMajor + d);
      }
    }
  }
}

/** out[b, h, t, d] = inp[b, t, h * headDim + d]. Overwrites `out`. */
export function splitHeadsForward(out: Floats, inp: Floats, shape: HeadsShape): void {
  forEachPair(shape, (tm, hm) => out[hm] = inp[tm]!);
}

/** dinp[b, t, h * headDim + d] += dout[b, h, t, d]. Accumulates into `dinp`. */
export function splitHeadsBackward(dinp: Floats, dout: Floats, shape: HeadsShape): void {
  forEachPair(shape, (tm, hm) => dinp[tm] = dinp[tm]! + dout[hm]!);
}

/** out[b, t, h * headDim + d] = inp[b, h, t, d]. Overwrites `out`. */
export function mergeHeadsForward(out: Floats, inp: Floats, shape: HeadsShape): void {
  forEachPair(shape, (tm, hm) => out[tm] = inp[hm]!);
}

/** dinp[b, h, t, d] += dout[b, t, h * headDim + d]. Accumulates into `dinp`. */
export function mergeHeadsBackward(dinp: Floats, dout: Floats, shape: HeadsShape): void {
  forEachPair(shape, (tm, hm) => dinp[hm] = dinp[hm]! + dout[tm]!);
}
