/**
 * LayerNorm on the device (`shaders/layernorm.wgsl`); twin of `core/cpu/layernorm.ts`.
 * @module
 */
import { f32, type Gpu, type GpuTensor, grid1d } from "../device.ts";
import type { LayerNormOptions, LayerNormShape } from "../cpu/layernorm.ts";
import { checkSizes } from "./check.ts";

const PARAM_COLS = 8; // columns per workgroup of layernorm_backward_params

/** out = layernorm(inp) * weight + bias; writes the row statistics `mean` and `rstd`. Overwrites all three. */
export function layerNormForward(
  gpu: Gpu,
  out: GpuTensor,
  mean: GpuTensor,
  rstd: GpuTensor,
  inp: GpuTensor,
  weight: GpuTensor,
  bias: GpuTensor,
  { rows, cols, eps }: LayerNormOptions,
): void {
  const n = rows * cols;
  checkSizes("layernorm_forward", {
    out: [out, n],
    mean: [mean, rows],
    rstd: [rstd, rows],
    inp: [inp, n],
    weight: [weight, cols],
    bias: [bias, cols],
  });
  gpu.dispatch(
    { file: "layernorm", entry: "layernorm_forward" },
    [out, mean, rstd, inp, weight, bias],
    [rows, cols, f32(eps)],
    grid1d(rows, 1),
  );
}

/**
 * Gradients of {@linkcode layerNormForward} from its cached `mean` and `rstd`, accumulated into
 * `dinp`, `dweight` and `dbias`. Records two dispatches: the rows (dinp), then the columns (dweight, dbias).
 */
export function layerNormBackward(
  gpu: Gpu,
  dinp: GpuTensor,
  dweight: GpuTensor,
  dbias: GpuTensor,
  dout: GpuTensor,
  inp: GpuTensor,
  weight: GpuTensor,
  mean: GpuTensor,
  rstd: GpuTensor,
  { rows, cols }: LayerNormShape,
): void {
  const n = rows * cols;
  checkSizes("layernorm_backward", {
    dinp: [dinp, n],
    dweight: [dweight, cols],
    dbias: [dbias, cols],
    dout: [dout, n],
    inp: [inp, n],
    weight: [weight, cols],
    mean: [mean, rows],
    rstd: [rstd, rows],
  });
  const params = [rows, cols, f32(0)];
  gpu.dispatch(
    { file: "layernorm", entry: "layernorm_backward" },
    [dinp, dout, inp, weight, mean, rstd],
    params,
    grid1d(rows, 1),
  );
  gpu.dispatch(
    { file: "layernorm", entry: "layernorm_backward_params" },
    [dweight, dbias, dout, inp, mean, rstd],
    params,
    grid1d(cols, PARAM_COLS),
  );
}
