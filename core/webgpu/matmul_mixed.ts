/**
 * The mixed-precision matmul on the device (`shaders/matmul_mixed.wgsl`): operands rounded to f16,
 * f32 accumulation; twin of `core/cpu/matmul_mixed.ts`. Needs shader-f16 (`Gpu.open` with
 * `precision: "mixed"` asks for it).
 * @module
 */
import { f32, type Gpu, type GpuTensor } from "../device.ts";
import type { MatmulShape } from "../cpu/matmul.ts";
import { MIXED_FEATURE } from "../precision.ts";
import { checkMatmul, matmulBackward, packOperands } from "./matmul.ts";

/**
 * `rows`: f16 operands packed k-major, register-blocked, no workgroup memory (CPU-emulated
 * adapters, as the f32 `rows`); `tiled`: f16 workgroup-memory tiles (real GPUs).
 */
export type MixedMatmulVariant = "rows" | "tiled";
/** Every mixed variant, each tested against the CPU twin. */
export const MIXED_MATMUL_VARIANTS: readonly MixedMatmulVariant[] = ["rows", "tiled"];

/** The mixed variant for this adapter: `rows` on CPU-emulated adapters, `tiled` elsewhere. */
export function mixedMatmulVariant(gpu: Gpu): MixedMatmulVariant {
  return gpu.isSoftware ? "rows" : "tiled";
}

const roundUp = (x: number, to: number) => Math.ceil(x / to) * to;

/** out (+)= alpha * f16(op(a)) f16(op(b)) + bias, in the layout of the f32 `matmulForward`. */
export function matmulForwardMixed(
  gpu: Gpu,
  out: GpuTensor,
  a: GpuTensor,
  b: GpuTensor,
  bias: GpuTensor | null,
  shape: MatmulShape,
  variant: MixedMatmulVariant = mixedMatmulVariant(gpu),
): void {
  const kernel = `matmul_mixed_${variant}`;
  if (!gpu.features.has(MIXED_FEATURE)) {
    throw new Error(`Kernel "${kernel}": the device was opened without ${MIXED_FEATURE}`);
  }
  const checked = checkMatmul(gpu, kernel, out, a, b, bias, shape);
  if (!checked) return;
  const { dummy } = checked;
  const { m, n, k, batch, transA, transB, alpha, accumulate } = checked.sizes;
  if (variant === "tiled") {
    gpu.dispatch(
      { file: "matmul_mixed", entry: kernel },
      [out, a, b, bias ?? dummy],
      [m, n, k, batch, +transA, +transB, bias ? 1 : 0, +accumulate, f32(alpha)],
      [Math.ceil(n / 64), Math.ceil(m / 64), batch],
    );
    return;
  }
  if (variant !== "rows") throw new RangeError(`Unknown mixed matmul variant "${variant}"`);
  // Both operands are always packed (the f16 rounding happens there): [batch][k][ld] quads of f16;
  // A's rows padded to 8, B's to 4.
  const lda = roundUp(m, 8), ldb = roundUp(n, 4);
  const packed = packOperands(
    gpu,
    a,
    b,
    checked.sizes,
    { packA: true, packB: true, lda, ldb },
    "matmul_mixed",
  );
  gpu.dispatch(
    { file: "matmul_mixed", entry: kernel },
    [out, packed.a, packed.b, bias ?? dummy],
    [m, n, k, batch, lda / 4, ldb / 4, bias ? 1 : 0, +accumulate, f32(alpha)],
    [Math.ceil(ldb / 4 / 32), lda / 8, batch],
  );
}

/**
 * Gradients of {@linkcode matmulForwardMixed}, accumulated: da and db as mixed matmuls (dout rounded
 * to f16 too, as autocast's backward), dbias from the f32 dout by `biasBackward` (needs `scratch`).
 */
export function matmulBackwardMixed(
  gpu: Gpu,
  da: GpuTensor | null,
  db: GpuTensor | null,
  dbias: GpuTensor | null,
  dout: GpuTensor,
  a: GpuTensor,
  b: GpuTensor,
  shape: MatmulShape,
  scratch: GpuTensor | null = null,
): void {
  matmulBackward(gpu, da, db, dbias, dout, a, b, shape, scratch, matmulForwardMixed);
}
