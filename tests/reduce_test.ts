import * as cpu from "../core/cpu/reduce.ts";
import * as gpu from "../core/webgpu/reduce.ts";
import type { Gpu } from "../core/device.ts";
import { assertClose, gpuTest, randomFloats } from "./_helpers.ts";

// A pairwise fp32 sum of n terms errs by ~sqrt(log2 n) * 6e-8 relative to the scale of its partial
// sums; a serial sum would reach ~1e-4 at n = 3e7, so rtol 1e-5 against float64 checks the tree.
const TOL = { rtol: 1e-5, atol: 0 };
const SIZES = [1, 1000, 1_000_003, 30_000_000];

type Reduction = "sum" | "norm";

/** Runs a device reduction with `out` and `scratch` pre-filled with NaN; returns out[0] as read back. */
async function deviceReduce(g: Gpu, kind: Reduction, inp: Float32Array, scale: number): Promise<number> {
  const n = inp.length;
  const x = g.upload(inp, "inp");
  const out = g.upload(Float32Array.of(NaN), "out");
  const scratch = g.upload(new Float32Array(cpu.reduceScratchSize(n)).fill(NaN), "scratch");
  if (kind === "sum") gpu.sumForward(g, out, scratch, x, { n, scale });
  else gpu.gradNorm(g, out, scratch, x, { n });
  const got = (await g.read(out))[0]!;
  for (const t of [x, out, scratch]) t.buffer.destroy();
  return got;
}

function hostReduce(kind: Reduction, inp: Float32Array, scale: number): number {
  const out = new Float64Array(1);
  const n = inp.length;
  if (kind === "sum") cpu.sumForward(out, out, inp, { n, scale });
  else cpu.gradNorm(out, out, inp, { n });
  return out[0]!;
}

Deno.test("sumForward() and gradNorm() (CPU) match known values", () => {
  const out = new Float64Array(1);
  const x = Float64Array.of(3, -4, 12, 0.5);
  cpu.sumForward(out, out, x, { n: 3, scale: 0.5 });
  assertClose(out, [5.5], { rtol: 0, atol: 0 }, "sum");
  cpu.gradNorm(out, out, x, { n: 3 });
  assertClose(out, [13], { rtol: 0, atol: 0 }, "norm");
});

Deno.test("clipGradients() (CPU) scales only above maxNorm, like clip_grad_norm_", () => {
  const g = Float64Array.of(3, -4);
  cpu.clipGradients(g, Float64Array.of(5), { n: 2, maxNorm: 10 });
  assertClose(g, [3, -4], { rtol: 0, atol: 0 }, "unclipped");
  cpu.clipGradients(g, Float64Array.of(5), { n: 2, maxNorm: 1 });
  const coef = 1 / (5 + 1e-6);
  assertClose(g, [3 * coef, -4 * coef], { rtol: 1e-15, atol: 0 }, "clipped");
});

Deno.test("reduceScratchSize() keeps the grid within one dimension", () => {
  for (const [n, size] of [[0, 1], [1, 1], [256, 1], [257, 2], [110_000_000, 4096]] as const) {
    if (cpu.reduceScratchSize(n) !== size) {
      throw new Error(`reduceScratchSize(${n}) = ${cpu.reduceScratchSize(n)}`);
    }
  }
});

for (const n of SIZES) {
  const inp = randomFloats(n, n);
  for (const kind of ["sum", "norm"] as const) {
    const name = kind === "sum" ? "sumForward()" : "gradNorm()";
    gpuTest(`${name} matches the reference, n=${n}`, async (g) => {
      const scale = 1 / n;
      const got = await deviceReduce(g, kind, inp, scale);
      assertClose([got], [hostReduce(kind, inp, scale)], TOL, `${kind} n=${n} [${g.backend}]`);
    });
  }
}

gpuTest("sumForward() is deterministic", async (g) => {
  const inp = randomFloats(1_000_003, 5);
  const a = await deviceReduce(g, "sum", inp, 1);
  const b = await deviceReduce(g, "sum", inp, 1);
  if (!Object.is(a, b)) throw new Error(`two runs gave ${a} and ${b}`);
});

for (const [n, maxNorm] of [[1, 0.5], [45 * 65, 1], [45 * 65, 1e4], [768 * 3072 + 3, 1]] as const) {
  gpuTest(`gradNorm() then clipGradients() match the reference, n=${n}, maxNorm=${maxNorm}`, async (g) => {
    const grads = randomFloats(n, n + 3);
    const expected = Float64Array.from(grads);
    const norm64 = new Float64Array(1);
    cpu.gradNorm(norm64, norm64, expected, { n });
    cpu.clipGradients(expected, norm64, { n, maxNorm });

    const dg = g.upload(grads, "grads");
    const norm = g.upload(Float32Array.of(NaN), "norm");
    const scratch = g.upload(new Float32Array(cpu.reduceScratchSize(n)).fill(NaN), "scratch");
    gpu.gradNorm(g, norm, scratch, dg, { n });
    gpu.clipGradients(g, dg, norm, { n, maxNorm });
    // The f32 norm (rtol 1e-5 above) carries into the coefficient.
    assertClose(await g.read(dg), expected, { rtol: 2e-5, atol: 0 }, `clip [${g.backend}]`);
    for (const t of [dg, norm, scratch]) t.buffer.destroy();
  });
}

gpuTest("sumForward() rejects a too-small scratch", async (g) => {
  const out = g.tensor(1, "out"), scratch = g.tensor(3, "scratch"), inp = g.tensor(1000, "inp");
  let message = "";
  try {
    gpu.sumForward(g, out, scratch, inp, { n: 1000, scale: 1 });
  } catch (e) {
    message = (e as Error).message;
  }
  if (!message.includes("sum_forward") || !message.includes("needs 4")) {
    throw new Error(`expected an error naming the kernel and size, got "${message}"`);
  }
  // The rejected call recorded nothing: the device still runs.
  await g.sync();
});

gpuTest("clipGradients() rejects too-small gradients", async (g) => {
  const grads = g.tensor(9, "grads"), norm = g.tensor(1, "norm");
  let message = "";
  try {
    gpu.clipGradients(g, grads, norm, { n: 10, maxNorm: 1 });
  } catch (e) {
    message = (e as Error).message;
  }
  if (!message.includes("clip_gradients") || !message.includes("needs 10")) {
    throw new Error(`expected an error naming the kernel and size, got "${message}"`);
  }
  // The rejected call recorded nothing: the device still runs.
  await g.sync();
});
