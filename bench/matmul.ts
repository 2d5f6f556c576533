/**
 * Matmul benchmarks, each result with its `variant` and `precision`: `matmul_1024` and
 * `matmul_4096` (the adapter's chosen kernel, M=N=K), every variant at 1024^3 (and 4096^3 on
 * hardware adapters) for comparison, and the shapes of a BERT-base layer at batch 32 x 128 tokens
 * per variant. `mixed` is the f16-operand, f32-accumulate kernel of `--precision mixed`.
 * @module
 */
import type { Gpu } from "../core/device.ts";
import type { MatmulShape } from "../core/cpu/matmul.ts";
import type { Precision } from "../core/precision.ts";
import { MATMUL_VARIANTS, matmulForward, type MatmulVariant, matmulVariant } from "../core/webgpu/matmul.ts";
import {
  matmulForwardMixed,
  MIXED_MATMUL_VARIANTS,
  type MixedMatmulVariant,
  mixedMatmulVariant,
} from "../core/webgpu/matmul_mixed.ts";
import { type BenchResult, timeDevice } from "./timing.ts";

/** A kernel timed: an fp32 variant, or a variant of the mixed-precision matmul. */
export type Kernel =
  | { precision: "fp32"; variant: MatmulVariant }
  | { precision: "mixed"; variant: MixedMatmulVariant };

// Variants whose workgroup-memory tiling or one-output-per-invocation layout run at 1-3 GFLOP/s on
// a CPU-emulated adapter (barriers are expensive there): minutes per BERT-base shape set.
const HOPELESS_ON_SOFTWARE: ReadonlySet<string> = new Set(["naive", "tiled", "simple"]);

function hopeless(gpu: Pick<Gpu, "isSoftware">, kernel: Kernel): boolean {
  return gpu.isSoftware && HOPELESS_ON_SOFTWARE.has(kernel.variant);
}

/** A kernel's tags on a result line. */
function tags(kernel: Kernel): { variant: string; precision: Precision } {
  return { variant: kernel.variant, precision: kernel.precision };
}

/** `rows`, or `mixed_rows` for the mixed kernel: how result names tell kernels apart. */
function kernelName(kernel: Kernel): string {
  return kernel.precision === "mixed" ? `mixed_${kernel.variant}` : kernel.variant;
}

/** GFLOP/s of `kernel` on `shape`; `reps` recordings per submit. */
async function gflops(gpu: Gpu, shape: MatmulShape, kernel: Kernel, reps: number): Promise<number> {
  const { m, n, k, transA = false, transB = false, batch = 1 } = shape;
  const a = gpu.upload(randomSmall(batch * m * k), "a");
  const b = gpu.upload(randomSmall(batch * k * n), "b");
  const out = gpu.tensor(batch * m * n, "out");
  const full = { ...shape, transA, transB };
  const record = kernel.precision === "mixed"
    ? () => matmulForwardMixed(gpu, out, a, b, null, full, kernel.variant)
    : () => matmulForward(gpu, out, a, b, null, full, kernel.variant);
  try {
    const ms = await timeDevice(gpu, record, { reps });
    return (2 * batch * m * n * k) / (ms * 1e6);
  } finally {
    for (const t of [a, b, out]) t.buffer.destroy();
  }
}

/** Values in [-1, 1): finite and not denormal, so a CPU-emulated device runs at its normal speed. */
export function randomSmall(n: number): Float32Array {
  const out = new Float32Array(n);
  let x = 12345;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out[i] = (x / 2 ** 31) - 1;
  }
  return out;
}

// Recordings per submit: enough device work per wait on a hardware adapter (1024^3 is ~0.4 ms on
// an H100), one or two on a CPU-emulated one (1024^3 is ~0.1 s, 4096^3 ~5 s there).
function repsFor(gpu: Gpu, flop: number): number {
  if (gpu.isSoftware) return flop > 1e10 ? 1 : 2;
  return flop > 1e11 ? 5 : 20;
}

/** The kernel each precision runs by default on this adapter. */
function chosenKernel(gpu: Gpu, precision: Precision): Kernel {
  return precision === "mixed"
    ? { precision, variant: mixedMatmulVariant(gpu) }
    : { precision, variant: matmulVariant(gpu) };
}

/** Every kernel of the given precisions. */
function everyKernel(precisions: readonly Precision[]): Kernel[] {
  return [
    ...(precisions.includes("fp32")
      ? MATMUL_VARIANTS.map((variant) => ({ precision: "fp32" as const, variant }))
      : []),
    ...(precisions.includes("mixed")
      ? MIXED_MATMUL_VARIANTS.map((variant) => ({ precision: "mixed" as const, variant }))
      : []),
  ];
}

async function cubeResult(gpu: Gpu, size: number, kernel: Kernel, bench: string): Promise<BenchResult> {
  const reps = hopeless(gpu, kernel) ? 1 : repsFor(gpu, 2 * size ** 3);
  const value = await gflops(gpu, { m: size, n: size, k: size }, kernel, reps);
  return { bench, value, unit: "GFLOP/s", ...tags(kernel) };
}

/** `matmul_<size>` (M=N=K=size) with the chosen kernel of each precision. */
export async function matmulCube(
  gpu: Gpu,
  size: number,
  precisions: readonly Precision[],
): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  for (const p of precisions) {
    results.push(await cubeResult(gpu, size, chosenKernel(gpu, p), `matmul_${size}`));
  }
  return results;
}

/**
 * Every kernel of `precisions` at 1024^3, and on a hardware adapter at 4096^3 too:
 * `matmul_<size>_<variant>` (fp32) and `matmul_<size>_mixed_<variant>`.
 */
export async function matmulVariants(gpu: Gpu, precisions: readonly Precision[]): Promise<BenchResult[]> {
  const sizes = gpu.isSoftware ? [1024] : [1024, 4096];
  const results: BenchResult[] = [];
  for (const size of sizes) {
    for (const kernel of everyKernel(precisions)) {
      results.push(await cubeResult(gpu, size, kernel, `matmul_${size}_${kernelName(kernel)}`));
    }
  }
  return results;
}

const TOKENS = 32 * 128;
/** The matmul shapes of a BERT-base layer at batch 32 x 128, forward and backward. */
export const BERT_BASE_SHAPES: Readonly<Record<string, MatmulShape>> = {
  // x W^T with PyTorch's [out, in] weights.
  qkv_proj: { m: TOKENS, n: 768, k: 768, transB: true },
  ffn_in: { m: TOKENS, n: 3072, k: 768, transB: true },
  ffn_out: { m: TOKENS, n: 768, k: 3072, transB: true },
  // Per (sequence, head): Q K^T and P V.
  attn_scores: { m: 128, n: 128, k: 64, batch: 32 * 12, transB: true },
  attn_context: { m: 128, n: 64, k: 128, batch: 32 * 12 },
  // Backward: dX = dY W and dW = dY^T X.
  ffn_in_dx: { m: TOKENS, n: 768, k: 3072 },
  ffn_in_dw: { m: 3072, n: 768, k: TOKENS, transA: true },
};

/**
 * The kernels `matmul_bert` runs: every variant of each precision, on a CPU-emulated adapter only
 * those not hopeless there; and the ones skipped.
 */
export function bertKernels(
  isSoftware: boolean,
  precisions: readonly Precision[],
): { kernels: Kernel[]; skipped: Kernel[] } {
  const all = everyKernel(precisions);
  const skip = (k: Kernel) => hopeless({ isSoftware }, k);
  return { kernels: all.filter((k) => !skip(k)), skipped: all.filter(skip) };
}

/**
 * The BERT-base layer's matmul shapes at batch 32 x 128 (`matmul_bert_<shape>`) per kernel of
 * {@linkcode bertKernels}; `log` names the kernels skipped.
 */
export async function matmulBert(
  gpu: Gpu,
  precisions: readonly Precision[],
  log: (line: string) => void,
): Promise<BenchResult[]> {
  const { kernels, skipped } = bertKernels(gpu.isSoftware, precisions);
  if (skipped.length > 0) {
    log(
      `matmul_bert: skipped ${skipped.map((k) => `${k.variant} (${k.precision})`).join(", ")} on a ` +
        `CPU-emulated adapter (1-3 GFLOP/s there: minutes per shape set); matmul_variants times them at 1024^3`,
    );
  }
  const results: BenchResult[] = [];
  for (const kernel of kernels) {
    for (const [name, shape] of Object.entries(BERT_BASE_SHAPES)) {
      const { m, n, k, batch = 1 } = shape;
      results.push({
        bench: `matmul_bert_${name}`,
        value: await gflops(gpu, shape, kernel, repsFor(gpu, 2 * batch * m * n * k)),
        unit: "GFLOP/s",
        ...tags(kernel),
      });
    }
  }
  return results;
}
