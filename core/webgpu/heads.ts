/**
 * Attention head reshapes on the device (`shaders/heads.wgsl`); twin of `core/cpu/heads.ts`.
 * @module
 */
import { type Gpu, type GpuTensor, grid1d } from "../device.ts";
import type { HeadsShape } from "../cpu/heads.ts";
import { checkSizes } from "./check.ts";

function permute(
  gpu: Gpu,
  entry: string,
  dst: GpuTensor,
  src: GpuTensor,
  shape: HeadsShape,
  names: [string, string],
) {
  const { batch, seq, heads, headDim } = shape;
  const n = batch * seq * heads * headDim;
  checkSizes(entry, { [names[0]]: [dst, n], [names[1]]: [src, n] });
  gpu.dispatch({ file: "heads", entry }, [dst, src], [batch, seq, heads, headDim], grid1d(n, 256));
}

/** out [batch, heads, seq, headDim] = inp [batch, seq, heads * headDim]. Overwrites `out`. */
export function splitHeadsForward(gpu: Gpu, out: GpuTensor, inp: GpuTensor, shape: HeadsShape): void {
  permute(gpu, "split_heads_forward", out, inp, shape, ["out", "inp"]);
}

/** dinp [batch, seq, heads * headDim] += dout [batch, heads, seq, headDim]. Accumulates into `dinp`. */
export function splitHeadsBackward(gpu: Gpu, dinp: GpuTensor, dout: GpuTensor, shape: HeadsShape): void {
  permute(gpu, "split_heads_backward", dinp, dout, shape, ["dinp", "dout"]);
}

/** out [batch, seq, heads * headDim] = inp [batch, heads, seq, headDim]. Overwrites `out`. */
export function mergeHeadsForward(gpu: Gpu, out: GpuTensor, inp: GpuTensor, shape: HeadsShape): void {
  permute(gpu, "merge_heads_forward", out, inp, shape, ["out", "inp"]);
}

/** dinp [batch, heads, seq, headDim] += dout [batch, seq, heads * headDim]. Accumulates into `dinp`. */
export function mergeHeadsBackward(gpu: Gpu, dinp: GpuTensor, dout: GpuTensor, shape: HeadsShape): void {
  permute(gpu, "merge_heads_backward", dinp, dout, shape, ["dinp", "dout"]);
}
