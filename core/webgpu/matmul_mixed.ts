/**
 * The mixed-precision matmul on the device (`shaders/matmul_mixed.wgsl`): operands rounded to f16,
 * f32 accumulation; twin of `core/cpu/matmul_mixed.ts`. Needs shader-f16 (`Gpu.open` with
 * `precision: "mixed"` asks for it).
 * @module
 */
import { f32, type Gpu, type GpuTensor } from "../device.ts";
import { type MatmulShape, matmulSizes } from "../cpu/matmul.ts";
import { MIXED_FEATURE } from "../precision.ts";
import { checkSizes } from "./check.ts";
import { matmulScratch } from "./matmul_scratch.ts";
import { matmulBackward, recordPack } from "./matmul.ts";

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

const dummies = new WeakMap<Gpu, GpuTensor>();
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
  const s = matmulSizes(shape);
  const { m, n, k, batch, transA, transB, alpha, accumulate } = s;
  checkSizes(kernel, {
    out: [out, batch * m * n],
    a: [a, batch * m * k],
    b: [b, batch * k * n],
    ...(bias ? { bias: [bias, n] as const } : {}),
  });
  if (batch * Math.max(m * n, m * k, k * n) >= 2 ** 32) {
    throw new RangeError(`Kernel "${kernel}": ${batch}x${m}x${n}x${k} overflows 32-bit indexing`);
  }
  if (batch * m * n === 0) return;
  let dummy = dummies.get(gpu);
  if (!dummy) {
    dummy = gpu.tensor(4, "matmul: no bias");
    dummies.set(gpu, dummy);
  }
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
  // Both operands are always packed (the f16 rounding happens there): [batch][k][ld] quads of f16,
  // two 32-bit elements each; A's rows padded to 8, B's to 4.
  const lda = roundUp(m, 8), ldb = roundUp(n, 4);
  // At least 4 elements each: a zero-sized binding is invalid (k = 0).
  const aSize = Math.max(4, batch * k * lda / 2), bSize = Math.max(4, batch * k * ldb / 2);
  const bOffset = roundUp(aSize, 64);
  const space = matmulScratch(gpu, bOffset + bSize);
  const aPacked = gpu.view(space, 0, aSize, "matmul: packed f16 A");
  const bPacked = gpu.view(space, bOffset, bSize, "matmul: packed f16 B");
  recordPack(gpu, aPacked, a, [m, k, lda, batch, +transA], "matmul_mixed");
  recordPack(gpu, bPacked, b, [n, k, ldb, batch, +!transB], "matmul_mixed");
  gpu.dispatch(
    { file: "matmul_mixed", entry: kernel },
    [out, aPacked, bPacked, bias ?? dummy],
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
  matmulBackward(
    gpu,
    da,
    db,
    dbias,
    dout,
    a,
    b,
    shape,
    scratch,
    (g, out, x, y, bias, s) => matmulForwardMixed(g, out, x, y, bias, s),
  );
}
