/**
 * AdamW on the device (`shaders/adamw.wgsl`); twin of `core/cpu/adamw.ts`.
 * @module
 */
import { f32, type Gpu, type GpuTensor, grid1d } from "../device.ts";
import { type AdamWMultiOptions, type AdamWOptions, adamwScalars, checkMultiOptions } from "../cpu/adamw.ts";
import { checkSizes } from "./check.ts";

/**
 * One AdamW step (torch.optim.AdamW), in place on `params`, `m` and `v`; `step` is 1-based. The bias
 * corrections are computed here in float64 and passed as f32 scalars. For tensors without weight decay
 * (biases, LayerNorm), call it on their range (a view) with `weightDecay: 0`.
 */
export function adamwUpdate(
  gpu: Gpu,
  params: GpuTensor,
  grads: GpuTensor,
  m: GpuTensor,
  v: GpuTensor,
  o: AdamWOptions,
): void {
  const { decay, stepSize, invSqrtBc2 } = adamwScalars("adamw_update", o);
  const { n } = o;
  checkSizes("adamw_update", { params: [params, n], grads: [grads, n], m: [m, n], v: [v, n] });
  gpu.dispatch(
    { file: "adamw", entry: "adamw_update" },
    [params, grads, m, v],
    [
      n,
      f32(decay),
      f32(o.beta1),
      f32(1 - o.beta1),
      f32(o.beta2),
      f32(1 - o.beta2),
      f32(stepSize),
      f32(invSqrtBc2),
      f32(o.eps),
    ],
    grid1d(n, 256),
  );
}

/** Elements each thread of `adamw_multi` updates (its workgroup searches the range table once for them all). */
export const ADAMW_MULTI_TILE = 4;

/**
 * One AdamW step over many tensors in one dispatch, with clipping by the global norm and loss
 * unscaling folded in; twin of the CPU `adamwMulti` (see there). `norm` (1 element) and `ranges`
 * ([start, end) pairs as u32/i32, `decayRangeTable`) stay on the device; `grads` is only read. On
 * views of flat buffers too big for one binding, pass each chunk's start as `offset`.
 */
export function adamwMulti(
  gpu: Gpu,
  params: GpuTensor,
  grads: GpuTensor,
  m: GpuTensor,
  v: GpuTensor,
  norm: GpuTensor,
  ranges: GpuTensor,
  o: AdamWMultiOptions,
): void {
  const { decay, stepSize, invSqrtBc2 } = adamwScalars("adamw_multi", o);
  const { n, unscale = 1, offset = 0 } = o;
  checkSizes("adamw_multi", { params: [params, n], grads: [grads, n], m: [m, n], v: [v, n] });
  checkMultiOptions("adamw_multi", o, ranges.size, norm.size);
  gpu.dispatch(
    { file: "adamw", entry: "adamw_multi", constants: { TILE: ADAMW_MULTI_TILE } },
    [params, grads, m, v, norm, ranges],
    [
      n,
      offset,
      ranges.size / 2,
      f32(decay),
      f32(o.beta1),
      f32(1 - o.beta1),
      f32(o.beta2),
      f32(1 - o.beta2),
      f32(stepSize),
      f32(invSqrtBc2),
      f32(o.eps),
      f32(o.maxNorm),
      f32(unscale),
    ],
    grid1d(n, 256 * ADAMW_MULTI_TILE),
  );
}
