/**
 * AdamW on the device (`shaders/adamw.wgsl`); twin of `core/cpu/adamw.ts`.
 * @module
 */
import { f32, type Gpu, type GpuTensor, grid1d } from "../device.ts";
import { type AdamWOptions, adamwScalars } from "../cpu/adamw.ts";
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
