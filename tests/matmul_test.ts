import * as cpu from "../core/cpu/matmul.ts";
import * as gpu from "../core/webgpu/matmul.ts";
import type { KernelSpec } from "../core/device.ts";
import { MATMUL_VARIANTS } from "../core/webgpu/matmul.ts";
import { checkGradient, checkKernel, gpuTest, randomFloats, zeros } from "./_helpers.ts";

// An fp32 dot product of k terms in [-2, 2] errs by ~sqrt(k) * 2^-24 * (sum of |terms|) in the worst
// direction; elements that cancel to near zero have that absolute error, not a relative one. So:
// rtol 1e-4, plus an atol scaled by sqrt(k) that stays 1e-4 of a typical |term| sum.
const tolerance = (k: number) => ({ rtol: 1e-4, atol: 2e-6 * Math.sqrt(Math.max(k, 1)) * 4 });

const TRANSPOSES = [[false, false], [false, true], [true, false], [true, true]] as const;

for (const [transA, transB] of TRANSPOSES) {
  Deno.test(`matmulBackward() (CPU) matches finite differences, transA=${transA} transB=${transB}`, () => {
    const shape = { m: 5, n: 7, k: 3, batch: 2, transA, transB, alpha: 0.7 };
    const { m, n, k, batch } = shape;
    checkGradient({
      what: `matmul tA=${transA} tB=${transB}`,
      inputs: {
        a: Float64Array.from(randomFloats(batch * m * k, 1)),
        b: Float64Array.from(randomFloats(batch * k * n, 2)),
        bias: Float64Array.from(randomFloats(n, 3)),
      },
      forward: ({ a, b, bias }) => {
        const out = zeros(batch * m * n);
        cpu.matmulForward(out, a, b, bias, shape);
        return out;
      },
      backward: ({ a, b }, dout) => {
        const da = zeros(a.length), db = zeros(b.length), dbias = zeros(n);
        cpu.matmulBackward(da, db, dbias, dout, a, b, shape);
        return { a: da, b: db, bias: dbias };
      },
    });
  });
}

Deno.test("matmulForward() (CPU) accumulates and scales", () => {
  // [[1, 2], [3, 4]] x [[5, 6], [7, 8]] = [[19, 22], [43, 50]]
  const out = Float64Array.of(1, 1, 1, 1);
  cpu.matmulForward(out, Float64Array.of(1, 2, 3, 4), Float64Array.of(5, 6, 7, 8), Float64Array.of(10, 20), {
    m: 2,
    n: 2,
    k: 2,
    alpha: 2,
    accumulate: true,
  });
  const expected = [1 + 38 + 10, 1 + 44 + 20, 1 + 86 + 10, 1 + 100 + 20];
  if (out.some((v, i) => v !== expected[i])) throw new Error(`got ${out}, expected ${expected}`);
});

interface Case {
  m: number;
  n: number;
  k: number;
  batch?: number;
}
const CASES: Case[] = [
  { m: 1, n: 1, k: 1 },
  { m: 45, n: 65, k: 37 },
  { m: 7, n: 13, k: 5, batch: 3 },
  { m: 130, n: 67, k: 129 },
  { m: 9, n: 6, k: 0 },
];

// More packed rows (batch x k = 70,000) than one grid dimension holds: the pack folds them into z.
gpuTest(
  `matmulForward() "rows" matches the reference when batch x k exceeds one grid dimension`,
  async (g) => {
    const shape = { m: 3, n: 5, k: 35_000, batch: 2, transA: false, transB: true };
    await checkKernel(g, {
      what: "matmul rows 2x3x5x35000",
      inputs: { a: randomFloats(2 * 3 * 35_000, 7), b: randomFloats(2 * 35_000 * 5, 8) },
      outputs: { out: { size: 2 * 3 * 5 } },
      cpu: (o, i) => cpu.matmulForward(o.out, i.a, i.b, null, shape),
      gpu: (o, i) => gpu.matmulForward(g, o.out, i.a, i.b, null, shape, "rows"),
      tolerance: tolerance(35_000),
    });
  },
);

for (const variant of MATMUL_VARIANTS) {
  for (const c of CASES) {
    for (const [transA, transB] of TRANSPOSES) {
      const label = `${c.batch ?? 1}x${c.m}x${c.n}x${c.k} tA=${+transA} tB=${+transB}`;
      gpuTest(`matmulForward() "${variant}" matches the reference, ${label}`, async (g) => {
        const batch = c.batch ?? 1;
        const shape = { ...c, batch, transA, transB, alpha: 0.5, accumulate: c.m % 2 === 1 };
        await checkKernel(g, {
          what: `matmul ${variant} ${label}`,
          inputs: {
            a: randomFloats(batch * c.m * c.k, 1),
            b: randomFloats(batch * c.k * c.n, 2),
            bias: randomFloats(c.n, 3),
          },
          outputs: { out: { size: batch * c.m * c.n, accumulate: shape.accumulate } },
          cpu: (o, i) => cpu.matmulForward(o.out, i.a, i.b, i.bias, shape),
          gpu: (o, i) => gpu.matmulForward(g, o.out, i.a, i.b, i.bias, shape, variant),
          tolerance: tolerance(c.k),
        });
      });
    }
  }
  // A BERT-base FFN layer's shapes (hidden 768, intermediate 3072) on 64 token rows.
  gpuTest(`matmulForward() "${variant}" matches the reference at BERT-base FFN sizes`, async (g) => {
    const shape = { m: 64, n: 3072, k: 768, transB: true };
    await checkKernel(g, {
      what: `matmul ${variant} 64x3072x768`,
      inputs: { a: randomFloats(64 * 768, 4), b: randomFloats(3072 * 768, 5), bias: randomFloats(3072, 6) },
      outputs: { out: { size: 64 * 3072 } },
      cpu: (o, i) => cpu.matmulForward(o.out, i.a, i.b, i.bias, shape),
      gpu: (o, i) => gpu.matmulForward(g, o.out, i.a, i.b, i.bias, shape, variant),
      tolerance: tolerance(768),
    });
  });
}

// The "blocked" variant's own paths, each asserted from the dispatches it records: ALIGNED (whole
// 128x128 tiles and k % 8 == 0: no bounds checks), vec4 loads with bounds checks (every dimension a
// multiple of 4, k not of 8), and split-K (few tiles, long k: partial sums, then the reduce). Bias,
// alpha and accumulation ride along.
interface BlockedCase extends Case {
  transposes: readonly (readonly [boolean, boolean])[];
  aligned: boolean;
  splits: boolean;
}
const BLOCKED_CASES: BlockedCase[] = [
  { m: 256, n: 256, k: 64, transposes: TRANSPOSES, aligned: true, splits: false },
  { m: 128, n: 384, k: 96, transposes: TRANSPOSES, aligned: true, splits: false },
  { m: 128, n: 256, k: 40, batch: 3, transposes: [[false, true]], aligned: true, splits: false },
  { m: 36, n: 44, k: 20, batch: 2, transposes: TRANSPOSES, aligned: false, splits: false },
  { m: 130, n: 130, k: 4100, transposes: [[true, false], [false, true]], aligned: false, splits: true },
  { m: 128, n: 128, k: 2048, batch: 2, transposes: [[true, false]], aligned: true, splits: true },
  { m: 256, n: 256, k: 8192, transposes: [[true, false]], aligned: true, splits: true },
];

for (const c of BLOCKED_CASES) {
  for (const [transA, transB] of c.transposes) {
    const batch = c.batch ?? 1;
    const label = `${batch}x${c.m}x${c.n}x${c.k} tA=${+transA} tB=${+transB}`;
    const path = `${c.aligned ? "aligned" : "bounds-checked"}${c.splits ? ", split-K" : ""}`;
    gpuTest(`matmulForward() "blocked" matches the reference (${path}), ${label}`, async (g) => {
      const accumulate = (c.k + +transA) % 2 === 1;
      const shape = { ...c, batch, transA, transB, alpha: 0.75, accumulate };
      const seen: KernelSpec[] = [];
      const dispatch = g.dispatch;
      g.dispatch = (spec, ...rest) => {
        seen.push(spec);
        dispatch.call(g, spec, ...rest);
      };
      try {
        await checkKernel(g, {
          what: `matmul blocked ${label}`,
          inputs: {
            a: randomFloats(batch * c.m * c.k, 11),
            b: randomFloats(batch * c.k * c.n, 12),
            bias: randomFloats(c.n, 13),
          },
          outputs: { out: { size: batch * c.m * c.n, accumulate } },
          cpu: (o, i) => cpu.matmulForward(o.out, i.a, i.b, i.bias, shape),
          gpu: (o, i) => gpu.matmulForward(g, o.out, i.a, i.b, i.bias, shape, "blocked"),
          tolerance: tolerance(c.k),
        });
      } finally {
        g.dispatch = dispatch;
      }
      const main = seen.find((s) => s.entry === "matmul_blocked");
      const reduced = seen.some((s) => s.entry === "matmul_blocked_reduce");
      const expected = { TRANS_A: +transA, TRANS_B: +transB, ALIGNED: +c.aligned, SPLIT: +c.splits };
      if (JSON.stringify(main?.constants) !== JSON.stringify(expected) || reduced !== c.splits) {
        throw new Error(
          `expected matmul_blocked with ${JSON.stringify(expected)}${c.splits ? " and a reduce" : ""}, ` +
            `got [${seen.map((s) => `${s.entry} ${JSON.stringify(s.constants ?? {})}`).join(", ")}]`,
        );
      }
    });
  }
}

for (const [transA, transB] of TRANSPOSES) {
  gpuTest(`matmulBackward() matches the reference, transA=${transA} transB=${transB}`, async (g) => {
    const shape = { m: 33, n: 17, k: 45, batch: 2, transA, transB, alpha: 1.5 };
    const { m, n, k, batch } = shape;
    const scratch = g.tensor(65536, "scratch");
    await checkKernel(g, {
      what: `matmul backward tA=${transA} tB=${transB}`,
      inputs: {
        dout: randomFloats(batch * m * n, 7),
        a: randomFloats(batch * m * k, 8),
        b: randomFloats(batch * k * n, 9),
      },
      outputs: {
        da: { size: batch * m * k, accumulate: true },
        db: { size: batch * k * n, accumulate: true },
        dbias: { size: n, accumulate: true },
      },
      cpu: (o, i) =>
        cpu.matmulBackward(
          o.da,
          o.db,
          o.dbias,
          i.dout,
          i.a,
          i.b,
          shape,
        ),
      gpu: (o, i) => gpu.matmulBackward(g, o.da, o.db, o.dbias, i.dout, i.a, i.b, shape, scratch),
      tolerance: tolerance(Math.max(m, n, k) * batch),
    });
    scratch.buffer.destroy();
  });
}

gpuTest("matmulForward() names the kernel and sizes on a shape mismatch", (g) => {
  const a = g.tensor(6, "a"), b = g.tensor(6, "b"), out = g.tensor(3, "out");
  try {
    gpu.matmulForward(g, out, a, b, null, { m: 2, n: 2, k: 3 });
  } catch (e) {
    const message = (e as Error).message;
    if (/Kernel "matmul/.test(message) && /needs 4/.test(message)) return Promise.resolve();
    throw new Error(`unexpected message: ${message}`);
  }
  throw new Error("no error for a too-small output");
});
