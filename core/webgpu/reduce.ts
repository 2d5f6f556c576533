/**
 * Whole-tensor reductions and gradient clipping on the device (`shaders/reduce.wgsl`); twin of
 * `core/cpu/reduce.ts`. Both reductions take a scratch tensor of `reduceScratchSize(n)` elements.
 * @module
 */
import { f32, type Gpu, type GpuTensor, grid1d } from "../device.ts";
import { type ClipShape, type NormShape, reduceScratchSize, type SumShape } from "../cpu/reduce.ts";
import { checkSizes } from "./check.ts";

export { reduceScratchSize };

function reduce(
  gpu: Gpu,
  kernel: string,
  entries: readonly [string, string],
  out: GpuTensor,
  scratch: GpuTensor,
  inp: GpuTensor,
  n: number,
  scale: number,
): void {
  const groups = reduceScratchSize(n);
  checkSizes(kernel, { out: [out, 1], scratch: [scratch, groups], inp: [inp, n] });
  gpu.dispatch({ file: "reduce", entry: entries[0] }, [scratch, inp], [n, f32(0)], [groups]);
  gpu.dispatch({ file: "reduce", entry: entries[1] }, [out, scratch], [groups, f32(scale)], [1]);
}

/**
 * out[0] = scale * sum(inp[0..n)), deterministic (two passes through `scratch`, which needs
 * `reduceScratchSize(n)` elements). Overwrites `out` and `scratch`.
 */
export function sumForward(
  gpu: Gpu,
  out: GpuTensor,
  scratch: GpuTensor,
  inp: GpuTensor,
  { n, scale }: SumShape,
): void {
  reduce(gpu, "sum_forward", ["sum_partials", "sum_final"], out, scratch, inp, n, scale);
}

/** out[0] = sqrt(sum(inp[0..n)^2)), the global L2 norm; like {@linkcode sumForward}. Overwrites `out`, `scratch`. */
export function gradNorm(
  gpu: Gpu,
  out: GpuTensor,
  scratch: GpuTensor,
  inp: GpuTensor,
  { n }: NormShape,
): void {
  reduce(gpu, "grad_norm", ["sumsq_partials", "norm_final"], out, scratch, inp, n, 1);
}

/**
 * PyTorch's clip_grad_norm_ with the norm left on the device: grads *= maxNorm / (norm[0] + 1e-6) when
 * that is below 1. In place on `grads`.
 */
export function clipGradients(gpu: Gpu, grads: GpuTensor, norm: GpuTensor, { n, maxNorm }: ClipShape): void {
  checkSizes("clip_gradients", { grads: [grads, n], norm: [norm, 1] });
  gpu.dispatch({ file: "reduce", entry: "clip_gradients" }, [grads, norm], [n, f32(maxNorm)], grid1d(n, 256));
}
