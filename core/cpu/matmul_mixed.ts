/**
 * The mixed-precision matmul (`--precision mixed`): {@linkcode matmulForward} with both operands
 * rounded to f16 first (round to nearest even; beyond f16's range, infinity) and the products summed
 * in float64; CPU twin of `shaders/matmul_mixed.wgsl`, which sums in f32.
 * @module
 */
import type { Floats } from "./types.ts";
import { matmulBackward, matmulForward, type MatmulShape, matmulSizes } from "./matmul.ts";

/** A copy of the first `n` elements of `x`, each rounded to the nearest f16 value. */
export function roundToF16(x: Floats, n: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.f16round(x[i]!);
  return out;
}

/** out (+)= alpha * f16(op(A)) f16(op(B)) + bias, in the layout of {@linkcode matmulForward}. */
export function matmulForwardMixed(
  out: Floats,
  a: Floats,
  b: Floats,
  bias: Floats | null,
  shape: MatmulShape,
): void {
  const { m, n, k, batch } = matmulSizes(shape);
  matmulForward(out, roundToF16(a, batch * m * k), roundToF16(b, batch * k * n), bias, shape);
}

/**
 * Gradients of {@linkcode matmulForwardMixed} as autocast computes them: the same plan as
 * `matmulBackward`, each product on f16-rounded operands (dout included); dbias from f32 dout.
 */
export function matmulBackwardMixed(
  da: Floats | null,
  db: Floats | null,
  dbias: Floats | null,
  dout: Floats,
  a: Floats,
  b: Floats,
  shape: MatmulShape,
): void {
  matmulBackward(da, db, dbias, dout, a, b, shape, matmulForwardMixed);
}
