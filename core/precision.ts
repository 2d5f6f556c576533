/**
 * Training precision, `--precision`: `fp32` runs every kernel in f32; `mixed` rounds each matmul's
 * operands to f16 and accumulates in f32 (PyTorch autocast's recipe), keeps f32 master weights,
 * AdamW moments, LayerNorm and softmax, and scales the loss dynamically so that small gradients
 * survive f16 (core/loss_scaler.ts).
 * @module
 */

/** One of {@linkcode PRECISIONS}. */
export type Precision = "fp32" | "mixed";

/** Every precision, the default first. */
export const PRECISIONS: readonly ["fp32", "mixed"] = ["fp32", "mixed"];

/** The device feature `mixed` needs: f16 arithmetic in shaders. */
export const MIXED_FEATURE = "shader-f16";
