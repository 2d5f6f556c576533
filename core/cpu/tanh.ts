/**
 * tanh, the pooler's activation.
 * @module
 */
import type { ElementwiseShape } from "./gelu.ts";
import type { Floats } from "./types.ts";

/** out[i] = tanh(inp[i]). Overwrites `out`. */
export function tanhForward(out: Floats, inp: Floats, { n }: ElementwiseShape): void {
  for (let i = 0; i < n; i++) out[i] = Math.tanh(inp[i]!);
}

/** dinp[i] += dout[i] * (1 - out[i]^2), from the forward's output. Accumulates into `dinp`. */
export function tanhBackward(dinp: Floats, out: Floats, dout: Floats, { n }: ElementwiseShape): void {
  for (let i = 0; i < n; i++) {
    const y = out[i]!;
    dinp[i] = dinp[i]! + dout[i]! * (1 - y * y);
  }
}
