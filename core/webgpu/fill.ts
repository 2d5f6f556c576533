/**
 * Fill on the device (`shaders/fill.wgsl`); twin of `core/cpu/fill.ts`.
 * @module
 */
import { f32, type Gpu, type GpuTensor, grid1d } from "../device.ts";
import type { FillShape } from "../cpu/fill.ts";
import { checkSizes } from "./check.ts";

/** out[i] = f32(value) for i < n. Overwrites `out`. Zero is the encoder's clear, not the kernel. */
export function fill(gpu: Gpu, out: GpuTensor, { n, value }: FillShape): void {
  checkSizes("fill", { out: [out, n] });
  if (Object.is(value, 0)) {
    gpu.clear(n === out.size ? out : gpu.view(out, 0, n, out.label));
    return;
  }
  gpu.dispatch({ file: "fill", entry: "fill" }, [out], [n, f32(value)], grid1d(n, 256));
}
