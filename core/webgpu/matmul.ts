/**
 * Batched matmul on the device (`shaders/matmul.wgsl`); twin of `core/cpu/matmul.ts`. One op, four
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
  rows: { entry: "matmul_rows", rows: 8, cols: 128 },
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
    dummy = gpu.tensor(4, "matmul: no bias");
    dummies.set(gpu, dummy);
  }
  if (variant === "rows") {
    recordRows(gpu, out, a, b, bias, dummy, { m, n, k, batch, transA, transB, alpha, accumulate });
    return;
  }
  gpu.dispatch(
    { file: "matmul", entry: tile.entry },
    [out, a, b, bias ?? dummy],
    [m, n, k, batch, +transA, +transB, bias ? 1 : 0, +accumulate, f32(alpha)],
    [Math.ceil(n / tile.cols), Math.ceil(m / tile.rows), batch],
  );
}

const roundUp = (x: number, to: number) => Math.ceil(x / to) * to;
const scratches = new WeakMap<Gpu, GpuTensor>();

// Packed operands live in one scratch tensor per device, grown as needed. Dispatches run in
// recording order, so every matmul may reuse it; a replaced tensor stays alive while dispatches
// recorded on it are pending, and WebGPU keeps it alive while submitted work uses it.
function scratch(gpu: Gpu, size: number): GpuTensor {
  let t = scratches.get(gpu);
  if (!t || t.size < size) {
    // Grow geometrically, but never past what one binding may hold.
    const limit = Math.floor(gpu.info.limits.maxStorageBufferBindingSize! / 4);
    t = gpu.tensor(Math.max(size, Math.min(2 * (t?.size ?? 0), limit)), "matmul: packed operands");
    scratches.set(gpu, t);
  }
  return t;
}

// The rows kernel reads both operands k-major ([batch][k][rows padded]); pack those that are not
// already so (a transpose or a padded copy, O(mk + kn) against the product's O(mnk)).
function recordRows(
  gpu: Gpu,
  out: GpuTensor,
  a: GpuTensor,
  b: GpuTensor,
  bias: GpuTensor | null,
  dummy: GpuTensor,
  s: Required<MatmulShape>,
) {
  const { m, n, k, batch, transA, transB, alpha, accumulate } = s;
  const aDirect = transA && m % 8 === 0;
  const bDirect = !transB && n % 4 === 0;
  const lda = aDirect ? m : roundUp(m, 8);
  const ldb = bDirect ? n : roundUp(n, 4);
  const aSize = aDirect ? 0 : batch * k * lda;
  const bOffset = roundUp(aSize, 64);
  const bSize = bDirect ? 0 : batch * k * ldb;
  const space = aSize + bSize > 0 ? scratch(gpu, bOffset + bSize) : null;
  let aPacked = a;
  let bPacked = b;
  if (!aDirect) {
    aPacked = gpu.view(space!, 0, aSize, "matmul: packed A");
    pack(gpu, aPacked, a, [m, k, lda, batch, +transA]);
  }
  if (!bDirect) {
    bPacked = gpu.view(space!, bOffset, bSize, "matmul: packed B");
    pack(gpu, bPacked, b, [n, k, ldb, batch, +!transB]);
  }
  gpu.dispatch(
    { file: "matmul", entry: "matmul_rows" },
    [out, aPacked, bPacked, bias ?? dummy],
    [m, n, k, batch, lda / 4, ldb / 4, bias ? 1 : 0, +accumulate, f32(alpha)],
    [Math.ceil(ldb / 4 / 32), lda / 8, batch],
  );
}

// A copy (k-major source): one workgroup per 64 vec4s of a destination row, the batch * k rows
// folded into y and z. A transpose: 4x4 blocks, 64 lanes along k, the batch * ld / 4 row blocks
// folded into y and z.
function pack(gpu: Gpu, dst: GpuTensor, src: GpuTensor, params: [number, number, number, number, number]) {
  const [, k, ld, batch, kMajor] = params;
  const max = gpu.info.limits.maxComputeWorkgroupsPerDimension!;
  const fold = (rows: number) => [Math.min(rows, max), Math.ceil(rows / Math.min(rows, max))] as const;
  if (kMajor) {
    gpu.dispatch({ file: "matmul", entry: "matmul_pack" }, [dst, src], params, [
      Math.ceil(ld / 4 / 64),
      ...fold(batch * k),
    ]);
  } else {
    gpu.dispatch({ file: "matmul", entry: "matmul_pack_transpose" }, [dst, src], params, [
      Math.ceil(k / 4 / 64),
      ...fold(batch * ld / 4),
    ]);
  }
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
