/**
 * GELU on the device (`shaders/gelu.wgsl`); twin of `core/cpu/gelu.ts`.
 * @module
 */
import { type Gpu, type GpuTensor, grid1d } from "../device.ts";
import type { ElementwiseShape } from "../cpu/gelu.ts";
import { checkSizes } from "./check.ts";

/** out = gelu(inp). Overwrites `out`. */
export function geluForward(gpu: Gpu, out: GpuTensor, inp: GpuTensor, { n }: ElementwiseShape): void {
  checkSizes("gelu_forward", { out: [out, n], inp: [inp, n] });
  gpu.dispatch({ file: "gelu", entry: "gelu_forward" }, [out, inp], [n], grid1d(n, 256));
}

/** dinp += dout * gelu'(inp). Accumulates into `dinp`. */
export function geluBackward(
  gpu: Gpu,
  dinp: GpuTensor,
  inp: GpuTensor,
  dout: GpuTensor,
  { n }: ElementwiseShape,
): void {
  checkSizes("gelu_backward", { dinp: [dinp, n], inp: [inp, n], dout: [dout, n] });
  gpu.dispatch({ file: "gelu", entry: "gelu_backward" }, [dinp, inp, dout], [n], grid1d(n, 256));
}
