import type { Gpu } from "../core/device.ts";
import * as cpu from "../core/cpu/layernorm.ts";
import * as gpu from "../core/webgpu/layernorm.ts";
import { checkGradient, checkKernel, gpuTest, randomFloats, zeros } from "./_helpers.ts";

const EPS = 1e-12; // BERT's
// Outputs near 0 come from cancellation (bias against the normalized term, or the three terms of dinp),
// so each absolute tolerance is a few f32 ulps of the largest term that forms the output:
// out: |n * weight| <= ~8 (ulp 1e-6); mean: the inputs (|x| <= 2, ulp 2.4e-7); rstd: relative only.
const TOL_FORWARD = {
  out: { rtol: 1e-4, atol: 1e-5 },
  mean: { rtol: 1e-4, atol: 1e-6 },
  rstd: { rtol: 1e-4, atol: 0 },
};

/** dinp's terms scale with rstd (huge for near-constant rows); dweight and dbias are sums of `rows`
 * terms of order 1, whose f32 rounding grows like sqrt(rows). */
function backwardTolerance(rows: number, rstd: Float32Array) {
  const rstdMax = rstd.reduce((a, b) => Math.max(a, b), 1);
  const sum = { rtol: 1e-4, atol: 1e-5 * Math.sqrt(rows) };
  return { dinp: { rtol: 1e-4, atol: 2e-6 * rstdMax }, dweight: sum, dbias: sum };
}

/** [rows, cols]: a single element (zero variance), odd sizes, a row longer than a workgroup, more
 * rows than one grid dimension holds, BERT-base activations (4096 tokens x 768). */
const SHAPES: [number, number][] = [[1, 1], [3, 7], [45, 65], [2, 1000], [70001, 16], [4096, 768]];

/** The forward's cached statistics in float64, rounded to f32 as the device would hold them. */
function stats(inp: Float32Array, rows: number, cols: number): { mean: Float32Array; rstd: Float32Array } {
  const mean = zeros(rows);
  const rstd = zeros(rows);
  const ones = zeros(cols).fill(1);
  cpu.layerNormForward(zeros(rows * cols), mean, rstd, Float64Array.from(inp), ones, zeros(cols), {
    rows,
    cols,
    eps: EPS,
  });
  return { mean: Float32Array.from(mean), rstd: Float32Array.from(rstd) };
}

Deno.test("layerNormBackward() (CPU) matches finite differences", () => {
  const rows = 5;
  const cols = 9;
  const opts = { rows, cols, eps: 1e-5 };
  const run = (inp: Record<"inp" | "weight" | "bias", Float64Array>) => {
    const out = zeros(rows * cols);
    const mean = zeros(rows);
    const rstd = zeros(rows);
    cpu.layerNormForward(out, mean, rstd, inp.inp, inp.weight, inp.bias, opts);
    return { out, mean, rstd };
  };
  checkGradient({
    what: "layernorm",
    inputs: {
      inp: Float64Array.from(randomFloats(rows * cols, 1)),
      weight: Float64Array.from(randomFloats(cols, 2)),
      bias: Float64Array.from(randomFloats(cols, 3)),
    },
    forward: (inp) => run(inp).out,
    backward: (inp, dout) => {
      const { mean, rstd } = run(inp);
      const g = { inp: zeros(rows * cols), weight: zeros(cols), bias: zeros(cols) };
      cpu.layerNormBackward(g.inp, g.weight, g.bias, dout, inp.inp, inp.weight, mean, rstd, opts);
      return g;
    },
  });
});

Deno.test("layerNormForward() (CPU) matches known values", () => {
  const out = zeros(4);
  const mean = zeros(1);
  const rstd = zeros(1);
  cpu.layerNormForward(
    out,
    mean,
    rstd,
    Float64Array.of(1, 2, 3, 4),
    Float64Array.of(1, 2, 1, 1),
    zeros(4).fill(0.5),
    {
      rows: 1,
      cols: 4,
      eps: 0.75,
    },
  );
  // mean 2.5, biased variance 1.25, so rstd = 1 / sqrt(1.25 + 0.75) = 1 / sqrt(2).
  const s = 1 / Math.sqrt(2);
  const expected = [-1.5 * s + 0.5, -0.5 * s * 2 + 0.5, 0.5 * s + 0.5, 1.5 * s + 0.5];
  expected.forEach((e, i) => {
    if (!(Math.abs(out[i]! - e) <= 1e-12)) throw new Error(`out[${i}] = ${out[i]}, expected ${e}`);
  });
  if (mean[0] !== 2.5 || !(Math.abs(rstd[0]! - s) <= 1e-15)) {
    throw new Error(`mean ${mean[0]}, rstd ${rstd[0]}`);
  }
});

/** The forward on `inp` ([rows, cols]) with seeded weight and bias, against the CPU twin. */
async function checkForward(
  g: Gpu,
  what: string,
  rows: number,
  cols: number,
  inp: Float32Array,
  seed: number,
) {
  await checkKernel(g, {
    what,
    inputs: { inp, weight: randomFloats(cols, seed), bias: randomFloats(cols, seed + 1) },
    outputs: { out: { size: rows * cols }, mean: { size: rows }, rstd: { size: rows } },
    cpu: (o, i) =>
      cpu.layerNormForward(o.out, o.mean, o.rstd, i.inp, i.weight, i.bias, { rows, cols, eps: EPS }),
    gpu: (o, i) =>
      gpu.layerNormForward(g, o.out, o.mean, o.rstd, i.inp, i.weight, i.bias, { rows, cols, eps: EPS }),
    tolerance: TOL_FORWARD,
  });
}

for (const [rows, cols] of SHAPES) {
  const n = rows * cols;
  gpuTest(
    `layerNormForward() matches the reference, ${rows}x${cols}`,
    (g) => checkForward(g, "layernorm_forward", rows, cols, randomFloats(n, n), n + 1),
  );
  gpuTest(`layerNormBackward() matches the reference, ${rows}x${cols}`, async (g) => {
    const inp = randomFloats(n, n + 3);
    const { mean, rstd } = stats(inp, rows, cols);
    await checkKernel(g, {
      what: "layernorm_backward",
      inputs: { dout: randomFloats(n, n + 4), inp, weight: randomFloats(cols, n + 5), mean, rstd },
      outputs: {
        dinp: { size: n, accumulate: true },
        dweight: { size: cols, accumulate: true },
        dbias: { size: cols, accumulate: true },
      },
      cpu: (o, i) =>
        cpu.layerNormBackward(
          o.dinp,
          o.dweight,
          o.dbias,
          i.dout,
          i.inp,
          i.weight,
          i.mean,
          i.rstd,
          { rows, cols },
        ),
      gpu: (o, i) =>
        gpu.layerNormBackward(g, o.dinp, o.dweight, o.dbias, i.dout, i.inp, i.weight, i.mean, i.rstd, {
          rows,
          cols,
        }),
      tolerance: backwardTolerance(rows, rstd),
    });
  });
}

gpuTest("layerNormForward() stays accurate for rows with a large mean", async (g) => {
  // Inputs in [98, 102]: with E[x^2] - E[x]^2 the variance would lose ~4 digits (errors ~5e-4 in out),
  // and a plain sum of the row would round its mean to ~3e-5; both fail TOL_FORWARD.
  const [rows, cols] = [64, 768];
  await checkForward(
    g,
    "layernorm_forward (offset rows)",
    rows,
    cols,
    randomFloats(rows * cols, 5, 98, 102),
    6,
  );
});

gpuTest("layerNormBackward() rejects a too-small dweight", async (g) => {
  const t = (n: number) => g.tensor(n, `t${n}`);
  let message = "";
  try {
    gpu.layerNormBackward(g, t(12), t(3), t(4), t(12), t(12), t(4), t(3), t(3), { rows: 3, cols: 4 });
  } catch (e) {
    message = (e as Error).message;
  }
  await g.sync(); // the rejected call recorded nothing: the device still works
  if (
    !message.includes("layernorm_backward") || !message.includes("dweight") || !message.includes("needs 4")
  ) {
    throw new Error(`expected an error naming the kernel, tensor and size, got "${message}"`);
  }
});
