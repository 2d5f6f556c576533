/**
 * Batched matmul on the device (`shaders/matmul.wgsl`); twin of `core/cpu/matmul.ts`. One op, three
 * kernel variants; the variant is chosen per adapter and logged once.
 * @module
 */
import { f32, type Gpu, type GpuTensor } from "../device.ts";
import { matmulBackwardPlan, type MatmulShape, matmulSizes } from "../cpu/matmul.ts";
import { biasBackward } from "./bias.ts";
import { checkSizes } from "./check.ts";

/**
 * `rows`: register-blocked, no workgroup memory (CPU-emulated adapters); `tiled`: workgroup-memory
 * tiles (real GPUs); `simple`: portable 4x4 register blocking; `naive`: one output per invocation
 * (the baseline benchmarks compare against).
 */
export type MatmulVariant = "rows" | "tiled" | "simple" | "naive";
/** Every variant, each tested against the CPU twin. */
export const MATMUL_VARIANTS: readonly MatmulVariant[] = ["rows", "tiled", "simple", "naive"];

const TILES: Record<MatmulVariant, { entry: string; rows: number; cols: number }> = {
  rows: { entry: "matmul_forward_rows", rows: 8, cols: 16 },
  tiled: { entry: "matmul_forward_tiled", rows: 64, cols: 64 },
  simple: { entry: "matmul_forward", rows: 64, cols: 64 },
  naive: { entry: "matmul_forward_naive", rows: 16, cols: 16 },
};

const chosen = new WeakMap<Gpu, MatmulVariant>();
const dummies = new WeakMap<Gpu, GpuTensor>();

/**
 * The variant for this adapter: `rows` on CPU-emulated adapters (measured there: workgroup barriers
 * cost more than they save), `tiled` elsewhere; `MATMUL_VARIANT` overrides. Logged once per device.
 */
export function matmulVariant(gpu: Gpu): MatmulVariant {
  let v = chosen.get(gpu);
  if (!v) {
    const env = Deno.env.get("MATMUL_VARIANT");
    if (env && !MATMUL_VARIANTS.includes(env as MatmulVariant)) {
      throw new RangeError(`MATMUL_VARIANT must be one of ${MATMUL_VARIANTS.join(", ")}, got "${env}"`);
    }
    v = (env as MatmulVariant | undefined) ?? (gpu.isSoftware ? "rows" : "tiled");
    const why = env ? "MATMUL_VARIANT" : gpu.isSoftware ? "CPU-emulated adapter" : "hardware adapter";
    console.error(`matmul: using the "${v}" kernel on ${gpu.info.adapter} (${gpu.backend}; ${why})`);
    chosen.set(gpu, v);
  }
  return v;
}

/** out (+)= alpha * op(a) op(b) + bias; see the CPU twin for the exact layout. */
export function matmulForward(
  gpu: Gpu,
  out: GpuTensor,
  a: GpuTensor,
  b: GpuTensor,
  bias: GpuTensor | null,
  shape: MatmulShape,
  variant: MatmulVariant = matmulVariant(gpu),
): void {
  const { m, n, k, batch, transA, transB, alpha, accumulate } = matmulSizes(shape);
  const tile = TILES[variant];
  if (!tile) throw new RangeError(`Unknown matmul variant "${variant}"`);
  checkSizes(tile.entry, {
    out: [out, batch * m * n],
    a: [a, batch * m * k],
    b: [b, batch * k * n],
    ...(bias ? { bias: [bias, n] as const } : {}),
  });
  if (batch * Math.max(m * n, m * k, k * n) >= 2 ** 32) {
    throw new RangeError(`Kernel "${tile.entry}": ${batch}x${m}x${n}x${k} overflows 32-bit indexing`);
  }
  if (batch * m * n === 0) return;
  let dummy = dummies.get(gpu);
  if (!dummy) {
    dummy = gpu.tensor(1, "matmul: no bias");
    dummies.set(gpu, dummy);
  }
  gpu.dispatch(
    { file: "matmul", entry: tile.entry },
    [out, a, b, bias ?? dummy],
    [m, n, k, batch, +transA, +transB, bias ? 1 : 0, +accumulate, f32(alpha)],
    [Math.ceil(n / tile.cols), Math.ceil(m / tile.rows), batch],
  );
}

/**
 * Gradients of {@linkcode matmulForward}, accumulated: da, db via matmuls with other transpose
 * flags, dbias via `biasBackward` (which needs `scratch`; see its docs). Null skips a gradient.
 */
export function matmulBackward(
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
  const s = matmulSizes(shape);
  const tensors = { dout, a, b };
  for (const g of matmulBackwardPlan(s)) {
    const target = g.grad === "a" ? da : db;
    if (target) matmulForward(gpu, target, tensors[g.left], tensors[g.right], null, g.shape);
  }
  if (dbias) {
    if (!scratch) throw new RangeError(`Kernel "matmul_backward": a bias gradient needs a scratch tensor`);
    biasBackward(gpu, dbias, dout, scratch, { rows: s.batch * s.m, cols: s.n });
  }
}
