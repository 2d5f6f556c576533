/**
 * Batched matmul on the device (`shaders/matmul.wgsl`, `shaders/matmul_blocked.wgsl`); twin of
 * `core/cpu/matmul.ts`. One op, five kernel variants; the variant is chosen per adapter and logged
 * once.
 * @module
 */
import { f32, type Gpu, type GpuTensor, grid1d } from "../device.ts";
import { matmulBackwardPlan, type MatmulShape, matmulSizes } from "../cpu/matmul.ts";
import { biasBackward } from "./bias.ts";
import { checkSizes } from "./check.ts";
import { matmulScratch } from "./matmul_scratch.ts";

/**
 * `rows`: register-blocked, no workgroup memory (CPU-emulated adapters); `tiled`: workgroup-memory
 * tiles (real GPUs); `blocked`: 128x128 tiles, 8x8 outputs per invocation, vec4 loads, double
 * buffering and split-K (discrete GPUs; not yet measured on one); `simple`: portable 4x4 register
 * blocking; `naive`: one output per invocation (the baseline benchmarks compare against).
 */
export type MatmulVariant = "rows" | "tiled" | "blocked" | "simple" | "naive";
/** Every variant, each tested against the CPU twin. */
export const MATMUL_VARIANTS: readonly MatmulVariant[] = ["rows", "tiled", "blocked", "simple", "naive"];

const TILES: Record<MatmulVariant, { entry: string; rows: number; cols: number }> = {
  rows: { entry: "matmul_rows", rows: 8, cols: 128 },
  blocked: { entry: "matmul_blocked", rows: 128, cols: 128 },
  tiled: { entry: "matmul_forward_tiled", rows: 64, cols: 64 },
  simple: { entry: "matmul_forward", rows: 64, cols: 64 },
  naive: { entry: "matmul_forward_naive", rows: 16, cols: 16 },
};

const chosen = new WeakMap<Gpu, { variant: MatmulVariant; why: string; logged: boolean }>();
const dummies = new WeakMap<Gpu, GpuTensor>();

// The variant for an adapter and why, decided once per device.
function pick(gpu: Gpu): { variant: MatmulVariant; why: string; logged: boolean } {
  let c = chosen.get(gpu);
  if (c) return c;
  const env = Deno.env.get("MATMUL_VARIANT");
  if (env) {
    if (!MATMUL_VARIANTS.includes(env as MatmulVariant)) {
      throw new RangeError(`MATMUL_VARIANT must be one of ${MATMUL_VARIANTS.join(", ")}, got "${env}"`);
    }
    c = { variant: env as MatmulVariant, why: "set by MATMUL_VARIANT", logged: false };
  } else if (gpu.isSoftware) {
    c = {
      variant: "rows",
      why: "CPU-emulated adapter: workgroup barriers cost more than they save there, as measured on lavapipe",
      logged: false,
    };
  } else {
    c = {
      variant: "tiled",
      why: "hardware adapter: the measured default, 5,700 GFLOP/s at 1024^3 on an H100; " +
        `"blocked" is not yet measured on a GPU, MATMUL_VARIANT=blocked selects it`,
      logged: false,
    };
  }
  chosen.set(gpu, c);
  return c;
}

/**
 * The variant for this adapter: `rows` on CPU-emulated adapters (measured there: workgroup barriers
 * cost more than they save), `tiled` elsewhere; `MATMUL_VARIANT` overrides. Logged once per device.
 */
export function matmulVariant(gpu: Gpu): MatmulVariant {
  const c = pick(gpu);
  if (!c.logged) {
    console.error(
      `matmul: using the "${c.variant}" kernel on ${gpu.info.adapter} (${gpu.backend}; ${c.why})`,
    );
    c.logged = true;
  }
  return c.variant;
}

/**
 * Why {@linkcode matmulVariant} picks its variant on this device, for `doctor`; logs nothing.
 *
 * @example
 * ```ts
 * const gpu = await Gpu.open();
 * console.log(`matmul ${matmulVariant(gpu)} (${matmulVariantReason(gpu)})`); // rows (CPU-emulated adapter: ...)
 * ```
 */
export function matmulVariantReason(gpu: Gpu): string {
  return pick(gpu).why;
}

/**
 * The checks every matmul kernel makes before recording (tensor sizes, 32-bit indexing), naming
 * `kernel`; returns the resolved sizes and the device's placeholder for a missing bias, or null
 * when the output is empty and there is nothing to record.
 */
export function checkMatmul(
  gpu: Gpu,
  kernel: string,
  out: GpuTensor,
  a: GpuTensor,
  b: GpuTensor,
  bias: GpuTensor | null,
  shape: MatmulShape,
): { sizes: Required<MatmulShape>; dummy: GpuTensor } | null {
  const sizes = matmulSizes(shape);
  const { m, n, k, batch } = sizes;
  checkSizes(kernel, {
    out: [out, batch * m * n],
    a: [a, batch * m * k],
    b: [b, batch * k * n],
    ...(bias ? { bias: [bias, n] as const } : {}),
  });
  if (batch * Math.max(m * n, m * k, k * n) >= 2 ** 32) {
    throw new RangeError(`Kernel "${kernel}": ${batch}x${m}x${n}x${k} overflows 32-bit indexing`);
  }
  if (batch * m * n === 0) return null;
  let dummy = dummies.get(gpu);
  if (!dummy) {
    dummy = gpu.tensor(4, "matmul: no bias");
    dummies.set(gpu, dummy);
  }
  return { sizes, dummy };
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
  const tile = TILES[variant];
  if (!tile) throw new RangeError(`Unknown matmul variant "${variant}"`);
  const checked = checkMatmul(gpu, tile.entry, out, a, b, bias, shape);
  if (!checked) return;
  const { dummy } = checked;
  const { m, n, k, batch, transA, transB, alpha, accumulate } = checked.sizes;
  if (variant === "rows") {
    recordRows(gpu, out, a, b, bias, dummy, { m, n, k, batch, transA, transB, alpha, accumulate });
    return;
  }
  if (variant === "blocked") {
    recordBlocked(gpu, out, a, b, bias, dummy, { m, n, k, batch, transA, transB, alpha, accumulate });
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
  const packed = packOperands(gpu, a, b, s, { packA: !aDirect, packB: !bDirect, lda, ldb });
  gpu.dispatch(
    { file: "matmul", entry: "matmul_rows" },
    [out, packed.a, packed.b, bias ?? dummy],
    [m, n, k, batch, lda / 4, ldb / 4, bias ? 1 : 0, +accumulate, f32(alpha)],
    [Math.ceil(ldb / 4 / 32), lda / 8, batch],
  );
}

// The blocked kernel's split-K rule. A 128x128 tile is one workgroup of 256 invocations, and an
// H100 (132 SMs, the GPU this targets) keeps two of them resident per SM (16 KiB of workgroup memory
// and ~100 registers per invocation each), so a dispatch of fewer than ~2 x 132 workgroups leaves SMs
// idle: the weight gradients of BERT-base (768 x 768 outputs = 36 tiles, k = 4096 tokens) fill a
// seventh of the machine. Such shapes cut k into `splits` chunks, each summed by its own workgroups
// into a partial tensor that matmul_blocked_reduce adds up: splits = floor(SPLIT_TARGET / tiles)
// (tiles counts the batch), so a wave stays within the target, but no more than k / MIN_CHUNK, so each
// chunk keeps at least 32 K-steps to amortise its prologue and its splits x m x n of partial-sum
// traffic (which the product's 2 x m x n x k FLOPs then outweigh by k / (4 x splits) >= 64 to 1
// and more). Capped by the grid's z and by one binding's size. 768 x 768 x 4096: 7 splits of 592.
const SPLIT_TARGET = 2 * 132;
const MIN_CHUNK = 256;
const BK = 8;

function splitK(gpu: Gpu, tiles: number, k: number, batch: number, outputs: number) {
  const limits = gpu.info.limits;
  const byBinding = Math.floor(limits.maxStorageBufferBindingSize! / 4 / outputs);
  const byGrid = Math.floor(limits.maxComputeWorkgroupsPerDimension! / batch);
  let splits = Math.min(Math.floor(SPLIT_TARGET / tiles), Math.floor(k / MIN_CHUNK), byBinding, byGrid);
  if (splits < 2) return { splits: 1, chunk: roundUp(Math.max(k, 1), BK) };
  const chunk = roundUp(Math.ceil(k / splits), BK);
  splits = Math.ceil(k / chunk);
  return { splits, chunk };
}

// The blocked kernel reads each operand as vec4s along its stored rows, so the stored row length
// must be a multiple of 4 (A: m when transposed, else k; B: k when transposed, else n). An operand
// without that is packed k-major with rows padded to a multiple of 4 (matmul_pack), which the kernel
// reads as a transposed A or a plain B. Shapes of whole 128x128 tiles and 8-multiple k take the
// ALIGNED pipeline, with no bounds checks.
function recordBlocked(
  gpu: Gpu,
  out: GpuTensor,
  a: GpuTensor,
  b: GpuTensor,
  bias: GpuTensor | null,
  dummy: GpuTensor,
  s: Required<MatmulShape>,
) {
  const { m, n, k, batch, transA, transB, alpha, accumulate } = s;
  const packA = k > 0 && (transA ? m : k) % 4 !== 0;
  const packB = k > 0 && (transB ? k : n) % 4 !== 0;
  // Row lengths in vec4s; with k = 0 nothing is read and none is needed.
  const lda = packA ? roundUp(m, 4) / 4 : k === 0 ? 0 : (transA ? m : k) / 4;
  const ldb = packB ? roundUp(n, 4) / 4 : k === 0 ? 0 : (transB ? k : n) / 4;
  const tiles = Math.ceil(m / 128) * Math.ceil(n / 128) * batch;
  const { splits, chunk } = splitK(gpu, tiles, k, batch, batch * m * n);
  // With k = 0 nothing is read: the 16-byte dummy stands in for operands too small to bind as vec4s.
  const packed = packOperands(gpu, k === 0 ? dummy : a, k === 0 ? dummy : b, s, {
    packA,
    packB,
    lda: lda * 4,
    ldb: ldb * 4,
  });
  const aIn = packed.a, bIn = packed.b;
  const aligned = !packA && !packB && m % 128 === 0 && n % 128 === 0 && k % BK === 0 && k > 0;
  const constants = {
    TRANS_A: +(transA || packA),
    TRANS_B: +(transB && !packB),
    ALIGNED: +aligned,
    SPLIT: +(splits > 1),
  };
  const params = [
    m,
    n,
    k,
    batch,
    lda,
    ldb,
    (transA || packA ? k : m) * lda,
    (transB && !packB ? n : k) * ldb,
    chunk,
    splits,
    bias ? 1 : 0,
    +accumulate,
    f32(alpha),
  ];
  const grid = [Math.ceil(n / 128), Math.ceil(m / 128), batch * splits] as const;
  const kernel = { file: "matmul_blocked", entry: "matmul_blocked", constants };
  if (splits === 1) {
    gpu.dispatch(kernel, [out, aIn, bIn, bias ?? dummy], params, grid);
    return;
  }
  const partSize = splits * batch * m * n;
  const partials = matmulScratch(gpu, partSize, "partials");
  const part = gpu.view(partials, 0, partSize, "matmul: split-K partial sums");
  gpu.dispatch(kernel, [part, aIn, bIn, dummy], params, grid);
  gpu.dispatch(
    { file: "matmul_blocked", entry: "matmul_blocked_reduce" },
    [out, part, bias ?? dummy],
    params,
    grid1d(batch * m * n, 256, gpu.info.limits.maxComputeWorkgroupsPerDimension!),
  );
}

// A copy (k-major source): one workgroup per 64 vec4s of a destination row, the batch * k rows
// folded into y and z. A transpose: 4x4 blocks, 64 lanes along k, the batch * ld / 4 row blocks
// folded into y and z.
/**
 * Records packing one operand k-major (`params`: count, k, ld, batch, kMajor; see matmul_pack in
 * shaders/matmul.wgsl): a copy when the source is k-major, else 4x4 transposing blocks. `file` is
 * the shader holding `<prefix>_pack` and `<prefix>_pack_transpose` (the mixed precision's write f16).
 */
export function recordPack(
  gpu: Gpu,
  dst: GpuTensor,
  src: GpuTensor,
  params: [number, number, number, number, number],
  file: "matmul" | "matmul_mixed" = "matmul",
): void {
  const [, k, ld, batch, kMajor] = params;
  const max = gpu.info.limits.maxComputeWorkgroupsPerDimension!;
  const fold = (rows: number) => [Math.min(rows, max), Math.ceil(rows / Math.min(rows, max))] as const;
  if (kMajor) {
    gpu.dispatch({ file, entry: `${file}_pack` }, [dst, src], params, [
      Math.ceil(ld / 4 / 64),
      ...fold(batch * k),
    ]);
  } else {
    gpu.dispatch({ file, entry: `${file}_pack_transpose` }, [dst, src], params, [
      Math.ceil(k / 4 / 64),
      ...fold(batch * ld / 4),
    ]);
  }
}

/**
 * Packs the operands that `plan` says need it into the matmul scratch, k-major with rows padded to
 * `lda` / `ldb` values (f32 for `matmul`, f16 for `matmul_mixed`), A then B 256 bytes aligned;
 * returns what the kernel reads: the packed views, or the operands as they are.
 */
export function packOperands(
  gpu: Gpu,
  a: GpuTensor,
  b: GpuTensor,
  s: Required<MatmulShape>,
  plan: { packA: boolean; packB: boolean; lda: number; ldb: number },
  file: "matmul" | "matmul_mixed" = "matmul",
): { a: GpuTensor; b: GpuTensor } {
  const { m, n, k, batch, transA, transB } = s;
  const words = file === "matmul" ? 1 : 0.5; // 32-bit elements per value
  // At least 4 elements: a zero-sized binding is invalid (k = 0).
  const aSize = plan.packA ? Math.max(4, batch * k * plan.lda * words) : 0;
  const bSize = plan.packB ? Math.max(4, batch * k * plan.ldb * words) : 0;
  const bOffset = roundUp(aSize, 64);
  const space = aSize + bSize > 0 ? matmulScratch(gpu, bOffset + bSize) : null;
  let aOut = a, bOut = b;
  if (plan.packA) {
    aOut = gpu.view(space!, 0, aSize, "matmul: packed A");
    recordPack(gpu, aOut, a, [m, k, plan.lda, batch, +transA], file);
  }
  if (plan.packB) {
    bOut = gpu.view(space!, bOffset, bSize, "matmul: packed B");
    recordPack(gpu, bOut, b, [n, k, plan.ldb, batch, +!transB], file);
  }
  return { a: aOut, b: bOut };
}

/** A device matmul forward: {@linkcode matmulForward} or the mixed-precision one. */
export type MatmulForwardOp = (
  gpu: Gpu,
  out: GpuTensor,
  a: GpuTensor,
  b: GpuTensor,
  bias: GpuTensor | null,
  shape: MatmulShape,
) => void;

/**
 * Gradients of {@linkcode matmulForward}, accumulated: da, db via matmuls with other transpose
 * flags (run by `forward`: the mixed-precision backward passes its own), dbias via `biasBackward`
 * (which needs `scratch`; see its docs). Null skips a gradient.
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
  forward: MatmulForwardOp = matmulForward,
): void {
  const s = matmulSizes(shape);
  const tensors = { dout, a, b };
  for (const g of matmulBackwardPlan(s)) {
    const target = g.grad === "a" ? da : db;
    if (target) forward(gpu, target, tensors[g.left], tensors[g.right], null, g.shape);
  }
  if (dbias) {
    if (!scratch) throw new RangeError(`Kernel "matmul_backward": a bias gradient needs a scratch tensor`);
    biasBackward(gpu, dbias, dout, scratch, { rows: s.batch * s.m, cols: s.n });
  }
}
