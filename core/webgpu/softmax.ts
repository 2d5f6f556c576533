/**
 * Attention softmax on the device (`shaders/softmax.wgsl`); twin of `core/cpu/softmax.ts`.
 * @module
 */
import { f32, type Gpu, type GpuTensor, grid1d } from "../device.ts";
import type { SoftmaxOptions } from "../cpu/softmax.ts";
import { checkSizes } from "./check.ts";

function params({ batch, heads, rows, cols, scale }: SoftmaxOptions) {
  return [batch * heads * rows, cols, heads * rows, f32(scale)];
}

/** out = softmax(scale * inp + mask) over the last axis; `mask` [batch, cols] or null. Overwrites `out`. */
export function softmaxForward(
  gpu: Gpu,
  out: GpuTensor,
  inp: GpuTensor,
  mask: GpuTensor | null,
  opts: SoftmaxOptions,
): void {
  const { batch, heads, rows, cols } = opts;
  const n = batch * heads * rows * cols;
  checkSizes("softmax_forward", {
    out: [out, n],
    inp: [inp, n],
    ...(mask ? { mask: [mask, batch * cols] as const } : {}),
  });
  // Without a mask, an entry point that declares no mask binding: nothing to allocate or bind.
  gpu.dispatch(
    { file: "softmax", entry: mask ? "softmax_forward" : "softmax_forward_nomask" },
    mask ? [out, inp, mask] : [out, inp],
    params(opts),
    grid1d(batch * heads * rows, 1),
  );
}

/** dinp += scale * out * (dout - sum(dout * out)) over the last axis. Accumulates into `dinp`. */
export function softmaxBackward(
  gpu: Gpu,
  dinp: GpuTensor,
  out: GpuTensor,
  dout: GpuTensor,
  opts: SoftmaxOptions,
): void {
  const { batch, heads, rows, cols } = opts;
  const n = batch * heads * rows * cols;
  checkSizes("softmax_backward", { dinp: [dinp, n], out: [out, n], dout: [dout, n] });
  gpu.dispatch(
    { file: "softmax", entry: "softmax_backward" },
    [dinp, out, dout],
    params(opts),
    grid1d(batch * heads * rows, 1),
  );
}
