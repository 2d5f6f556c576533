/**
 * Cross-entropy on the device (`shaders/crossentropy.wgsl`); twin of `core/cpu/crossentropy.ts`.
 * @module
 */
import { f32, type Gpu, type GpuTensor, grid1d } from "../device.ts";
import type { CrossEntropyBackwardShape, CrossEntropyShape } from "../cpu/crossentropy.ts";
import { checkSizes } from "./check.ts";

/**
 * losses[r] = logsumexp(logits[r]) - logits[r, t], correct[r] = [argmax(logits[r]) == t], t = targets[r];
 * 0 and 0 for t < 0, a NaN loss for t >= classes. Overwrites `losses` and `correct`.
 */
export function crossEntropyForward(
  gpu: Gpu,
  losses: GpuTensor,
  correct: GpuTensor,
  logits: GpuTensor,
  targets: GpuTensor,
  { rows, classes }: CrossEntropyShape,
): void {
  checkSizes("crossentropy_forward", {
    losses: [losses, rows],
    correct: [correct, rows],
    logits: [logits, rows * classes],
    targets: [targets, rows],
  });
  // The forward leaves Params.scale unused.
  gpu.dispatch(
    { file: "crossentropy", entry: "crossentropy_forward" },
    [losses, correct, logits, targets],
    [rows, classes, f32(0)],
    grid1d(rows, 1),
  );
}

/**
 * dlogits[r, c] += scale * (softmax(logits[r])_c - [c == t]) for t = targets[r] >= 0 (NaN rows for
 * t >= classes). Accumulates into `dlogits`.
 */
export function crossEntropyBackward(
  gpu: Gpu,
  dlogits: GpuTensor,
  logits: GpuTensor,
  targets: GpuTensor,
  { rows, classes, scale }: CrossEntropyBackwardShape,
): void {
  checkSizes("crossentropy_backward", {
    dlogits: [dlogits, rows * classes],
    logits: [logits, rows * classes],
    targets: [targets, rows],
  });
  gpu.dispatch(
    { file: "crossentropy", entry: "crossentropy_backward" },
    [dlogits, logits, targets],
    [rows, classes, f32(scale)],
    grid1d(rows, 1),
  );
}
