/**
 * Squared error on the device (`shaders/mse.wgsl`); twin of `core/cpu/mse.ts`.
 * @module
 */
import { f32, type Gpu, type GpuTensor, grid1d } from "../device.ts";
import type { MseBackwardShape, MseShape } from "../cpu/mse.ts";
import { checkSizes } from "./check.ts";

/** losses = (preds - targets)^2. Overwrites `losses`. */
export function mseForward(
  gpu: Gpu,
  losses: GpuTensor,
  preds: GpuTensor,
  targets: GpuTensor,
  { rows }: MseShape,
): void {
  checkSizes("mse_forward", { losses: [losses, rows], preds: [preds, rows], targets: [targets, rows] });
  // The forward leaves Params.scale unused.
  gpu.dispatch(
    { file: "mse", entry: "mse_forward" },
    [losses, preds, targets],
    [rows, f32(0)],
    grid1d(rows, 256),
  );
}

/** dpreds += scale * 2 * (preds - targets). Accumulates into `dpreds`. */
export function mseBackward(
  gpu: Gpu,
  dpreds: GpuTensor,
  preds: GpuTensor,
  targets: GpuTensor,
  { rows, scale }: MseBackwardShape,
): void {
  checkSizes("mse_backward", { dpreds: [dpreds, rows], preds: [preds, rows], targets: [targets, rows] });
  gpu.dispatch(
    { file: "mse", entry: "mse_backward" },
    [dpreds, preds, targets],
    [rows, f32(scale)],
    grid1d(rows, 256),
  );
}
