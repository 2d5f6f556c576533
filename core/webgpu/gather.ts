/**
 * Row gather on the device (`shaders/gather.wgsl`); twin of `core/cpu/gather.ts`. The device cannot
 * check `rows`: out-of-range rows give NaN rows in the forward and are skipped in the backward, and
 * repeated rows would race in the backward (the CPU twin rejects both).
 * @module
 */
import { type Gpu, type GpuTensor, grid1d } from "../device.ts";
import type { GatherShape } from "../cpu/gather.ts";
import { checkSizes } from "./check.ts";

/** out[i, c] = inp[rows[i], c]. Overwrites `out`. */
export function gatherRowsForward(
  gpu: Gpu,
  out: GpuTensor,
  inp: GpuTensor,
  rows: GpuTensor,
  { count, cols, inpRows }: GatherShape,
): void {
  checkSizes("gather_rows_forward", {
    out: [out, count * cols],
    inp: [inp, inpRows * cols],
    rows: [rows, count],
  });
  gpu.dispatch(
    { file: "gather", entry: "gather_rows_forward" },
    [out, inp, rows],
    [count, cols, inpRows],
    grid1d(count * cols, 256),
  );
}

/** dinp[rows[i], c] += dout[i, c], rows distinct. Accumulates into `dinp`. */
export function gatherRowsBackward(
  gpu: Gpu,
  dinp: GpuTensor,
  dout: GpuTensor,
  rows: GpuTensor,
  { count, cols, inpRows }: GatherShape,
): void {
  checkSizes("gather_rows_backward", {
    dinp: [dinp, inpRows * cols],
    dout: [dout, count * cols],
    rows: [rows, count],
  });
  gpu.dispatch(
    { file: "gather", entry: "gather_rows_backward" },
    [dinp, dout, rows],
    [count, cols, inpRows],
    grid1d(count * cols, 256),
  );
}
