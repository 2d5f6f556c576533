/**
 * GELU, the exact erf form BERT uses: gelu(x) = x * Phi(x).
 * @module
 */
import { normalCdf } from "./math.ts";
import type { Floats } from "./types.ts";

/** Sizes of an elementwise op. */
export interface ElementwiseShape {
  /** Number of elements. */
  n: number;
}

const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/** out[i] = inp[i] * Phi(inp[i]). Overwrites `out`. */
export function geluForward(out: Floats, inp: Floats, { n }: ElementwiseShape): void {
  for (let i = 0; i < n; i++) {
    const x = inp[i]!;
    out[i] = x * normalCdf(x);
  }
}

/** dinp[i] += dout[i] * (Phi(x) + x * phi(x)), x = inp[i]. Accumulates into `dinp`. */
export function geluBackward(dinp: Floats, inp: Floats, dout: Floats, { n }: ElementwiseShape): void {
  for (let i = 0; i < n; i++) {
    const x = inp[i]!;
    dinp[i] = dinp[i]! + dout[i]! * (normalCdf(x) + x * INV_SQRT_2PI * Math.exp(-0.5 * x * x));
  }
}
