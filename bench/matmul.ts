/**
 * Matmul benchmarks: `matmul_1024` (the adapter's chosen kernel, M=N=K=1024), every variant at
 * 1024^3 for comparison, and the shapes of a BERT-base layer at batch 32 x 128 tokens.
 * @module
 */
import type { Gpu } from "../core/device.ts";
import type { MatmulShape } from "../core/cpu/matmul.ts";
import { MATMUL_VARIANTS, matmulForward, type MatmulVariant, matmulVariant } from "../core/webgpu/matmul.ts";
import { type BenchResult, timeDevice } from "./timing.ts";

async function gflops(gpu: Gpu, shape: MatmulShape, variant: MatmulVariant, reps = 2): Promise<number> {
  const { m, n, k, transA = false, transB = false, batch = 1 } = shape;
  const a = gpu.upload(randomSmall(batch * m * k), "a");
  const b = gpu.upload(randomSmall(batch * k * n), "b");
  const out = gpu.tensor(batch * m * n, "out");
  const ms = await timeDevice(
    gpu,
    () => matmulForward(gpu, out, a, b, null, { ...shape, transA, transB }, variant),
    {
      reps,
    },
  );
  for (const t of [a, b, out]) t.buffer.destroy();
  return (2 * batch * m * n * k) / (ms * 1e6);
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

const CUBE: MatmulShape = { m: 1024, n: 1024, k: 1024 };

/** `matmul_1024` with the chosen variant. */
export async function matmul1024(gpu: Gpu): Promise<BenchResult[]> {
  const variant = matmulVariant(gpu);
  return [{ bench: "matmul_1024", value: await gflops(gpu, CUBE, variant), unit: "GFLOP/s", variant }];
}

/** Every variant at 1024^3 (the naive one-output-per-invocation kernel is the baseline). */
export async function matmulVariants(gpu: Gpu): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  for (const variant of MATMUL_VARIANTS) {
    const reps = variant === "naive" && gpu.isSoftware ? 1 : 2;
    results.push({
      bench: `matmul_1024_${variant}`,
      value: await gflops(gpu, CUBE, variant, reps),
      unit: "GFLOP/s",
    });
  }
  return results;
}

const TOKENS = 32 * 128;
const BERT_BASE_SHAPES: Record<string, MatmulShape> = {
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

/** The BERT-base layer's matmul shapes at batch 32 x 128. */
export async function matmulBert(gpu: Gpu): Promise<BenchResult[]> {
  const variant = matmulVariant(gpu);
  const results: BenchResult[] = [];
  for (const [name, shape] of Object.entries(BERT_BASE_SHAPES)) {
    results.push({
      bench: `matmul_bert_${name}`,
      value: await gflops(gpu, shape, variant, 1),
      unit: "GFLOP/s",
      variant,
    });
  }
  return results;
}
