/**
 * tanh on the device (`shaders/tanh.wgsl`); twin of `core/cpu/tanh.ts`.
 * @module
 */
import { type Gpu, type GpuTensor, grid1d } from "../device.ts";
import type { ElementwiseShape } from "../cpu/gelu.ts";
import { checkSizes } from "./check.ts";

/** out = tanh(inp). Overwrites `out`. */
export function tanhForward(gpu: Gpu, out: GpuTensor, inp: GpuTensor, { n }: ElementwiseShape): void {
  checkSizes("tanh_forward", { out: [out, n], inp: [inp, n] });
  gpu.dispatch({ file: "tanh", entry: "tanh_forward" }, [out, inp], [n], grid1d(n, 256));
}

/** dinp += dout * (1 - out^2). Accumulates into `dinp`. */
export function tanhBackward(
  gpu: Gpu,
  dinp: GpuTensor,
  out: GpuTensor,
  dout: GpuTensor,
  { n }: ElementwiseShape,
): void {
  checkSizes("tanh_backward", { dinp: [dinp, n], out: [out, n], dout: [dout, n] });
  gpu.dispatch({ file: "tanh", entry: "tanh_backward" }, [dinp, out, dout], [n], grid1d(n, 256));
}
