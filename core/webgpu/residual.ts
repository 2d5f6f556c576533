/**
 * The residual add on the device (`shaders/residual.wgsl`); twin of `core/cpu/residual.ts`.
 * @module
 */
import { type Gpu, type GpuTensor, grid1d } from "../device.ts";
import type { ResidualShape } from "../cpu/residual.ts";
import { checkSizes } from "./check.ts";

/** out = a + b. Overwrites `out`. */
export function residualForward(
  gpu: Gpu,
  out: GpuTensor,
  a: GpuTensor,
  b: GpuTensor,
  { n }: ResidualShape,
): void {
  checkSizes("residual_forward", { out: [out, n], a: [a, n], b: [b, n] });
  gpu.dispatch({ file: "residual", entry: "residual_forward" }, [out, a, b], [n], grid1d(n, 256));
}

/** da += dout, db += dout. Accumulates into `da` and `db` (distinct buffers). */
export function residualBackward(
  gpu: Gpu,
  da: GpuTensor,
  db: GpuTensor,
  dout: GpuTensor,
  { n }: ResidualShape,
): void {
  checkSizes("residual_backward", { da: [da, n], db: [db, n], dout: [dout, n] });
  gpu.dispatch({ file: "residual", entry: "residual_backward" }, [da, db, dout], [n], grid1d(n, 256));
}
