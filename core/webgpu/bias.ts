/**
 * Column sums (bias gradients) on the device (`shaders/bias.wgsl`); twin of `core/cpu/bias.ts`.
 * @module
 */
import { type Gpu, type GpuTensor, grid1d } from "../device.ts";
import { biasBackwardPlan, biasBackwardScratchSize, type BiasShape } from "../cpu/bias.ts";
import { checkSizes } from "./check.ts";

export { biasBackwardScratchSize };

/**
 * dbias[c] += sum_r dout[r, c]. Accumulates into `dbias`. `scratch` holds the per-chunk partial sums
 * between the two passes: at least {@linkcode biasBackwardScratchSize} elements, contents clobbered.
 */
export function biasBackward(
  gpu: Gpu,
  dbias: GpuTensor,
  dout: GpuTensor,
  scratch: GpuTensor,
  shape: BiasShape,
): void {
  const { rows, cols } = shape;
  checkSizes("bias_backward", {
    dbias: [dbias, cols],
    dout: [dout, rows * cols],
    scratch: [scratch, biasBackwardScratchSize(shape)],
  });
  const { chunks, rowsPerChunk } = biasBackwardPlan(shape);
  const params = [rows, cols, rowsPerChunk, chunks];
  gpu.dispatch(
    { file: "bias", entry: "bias_backward_partial" },
    [scratch, dout],
    params,
    [Math.ceil(cols / 256), chunks],
  );
  gpu.dispatch({ file: "bias", entry: "bias_backward_reduce" }, [dbias, scratch], params, grid1d(cols, 256));
}
