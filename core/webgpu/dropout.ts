/**
 * Dropout and its generator on the device (`shaders/dropout.wgsl`); twin of `core/cpu/dropout.ts`.
 * @module
 */
import { f32, type Gpu, type GpuTensor, grid1d } from "../device.ts";
import { checkDropout, type DropoutShape, keepThreshold, type RandomBitsShape } from "../cpu/dropout.ts";
import { checkSizes } from "./check.ts";

function dropoutParams(shape: DropoutShape) {
  return [shape.n, shape.seed, shape.stream, keepThreshold(shape.p), f32(1 / (1 - shape.p))];
}

/** out = keep ? inp / (1 - p) : 0 with the counter-based mask. Overwrites `out`. */
export function dropoutForward(gpu: Gpu, out: GpuTensor, inp: GpuTensor, shape: DropoutShape): void {
  checkDropout("dropout_forward", shape);
  checkSizes("dropout_forward", { out: [out, shape.n], inp: [inp, shape.n] });
  gpu.dispatch(
    { file: "dropout", entry: "dropout_forward" },
    [out, inp],
    dropoutParams(shape),
    grid1d(shape.n, 256),
  );
}

/** dinp += keep ? dout / (1 - p) : 0, the forward's mask recomputed. Accumulates into `dinp`. */
export function dropoutBackward(gpu: Gpu, dinp: GpuTensor, dout: GpuTensor, shape: DropoutShape): void {
  checkDropout("dropout_backward", shape);
  checkSizes("dropout_backward", { dinp: [dinp, shape.n], dout: [dout, shape.n] });
  gpu.dispatch(
    { file: "dropout", entry: "dropout_backward" },
    [dinp, dout],
    dropoutParams(shape),
    grid1d(shape.n, 256),
  );
}

/** out[i] = randomU32(seed, stream, offset + i) as u32 bits. Overwrites `out`. */
export function randomBits(gpu: Gpu, out: GpuTensor, { n, seed, stream, offset }: RandomBitsShape): void {
  checkSizes("random_bits", { out: [out, n] });
  gpu.dispatch({ file: "dropout", entry: "random_bits" }, [out], [n, seed, stream, offset], grid1d(n, 256));
}
