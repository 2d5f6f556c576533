import * as cpu from "../core/cpu/matmul.ts";
import * as mixed from "../core/cpu/matmul_mixed.ts";
import * as gpu from "../core/webgpu/matmul_mixed.ts";
import { MIXED_MATMUL_VARIANTS } from "../core/webgpu/matmul_mixed.ts";
import { assertClose, checkKernel, gpuTest, randomFloats } from "./_helpers.ts";

// Against its twin: both round the operands to the same f16 values, and a product of two f16 values
// is exact in f32 (11 + 11 significant bits), so the only difference left is f32 summation: the
// fp32 matmul's tolerance (see matmul_test.ts).
const tolerance = (k: number) => ({ rtol: 1e-4, atol: 2e-6 * Math.sqrt(Math.max(k, 1)) * 4 });

const TRANSPOSES = [[false, false], [false, true], [true, false], [true, true]] as const;

// Operands that f16 holds exactly (multiples of 1/64 in [-2, 2]): then rounding changes nothing.
const f16Exact = (n: number, seed: number) => randomFloats(n, seed).map((x) => Math.round(x * 64) / 64);

Deno.test("roundToF16() rounds to nearest f16, overflowing to infinity past 65504", () => {
  const got = mixed.roundToF16(Float64Array.of(1 + 2 ** -12, 65504, 65519.9, 65520, -1e6, 2 ** -25, 0.1), 7);
  const expected = [1, 65504, 65504, Infinity, -Infinity, 0, 0.0999755859375];
  if (got.some((v, i) => v !== expected[i])) throw new Error(`got ${[...got]}, expected ${expected}`);
});

Deno.test("matmulForwardMixed() (CPU) equals the fp32 twin on operands f16 holds exactly", () => {
  const shape = { m: 5, n: 7, k: 9, batch: 2, transB: true, alpha: 0.5 };
  const a = Float64Array.from(f16Exact(2 * 5 * 9, 1)), b = Float64Array.from(f16Exact(2 * 9 * 7, 2));
  const bias = Float64Array.from(randomFloats(7, 3));
  const want = new Float64Array(70), got = new Float64Array(70);
  cpu.matmulForward(want, a, b, bias, shape);
  mixed.matmulForwardMixed(got, a, b, bias, shape);
  assertClose(got, want, { rtol: 0, atol: 0 }, "mixed vs fp32 on exact operands");
});

Deno.test("matmulForwardMixed() (CPU) differs from fp32 by f16 rounding, within its bound", () => {
  // Each operand errs by at most 2^-11 relative, so each product by ~2^-10 and the sum by
  // 2^-10 * sum |a||b|; the bound must hold and the difference must be there (it is not fp32).
  const m = 6, n = 5, k = 300;
  const a = Float64Array.from(randomFloats(m * k, 4)), b = Float64Array.from(randomFloats(k * n, 5));
  const want = new Float64Array(m * n), got = new Float64Array(m * n);
  cpu.matmulForward(want, a, b, null, { m, n, k });
  mixed.matmulForwardMixed(got, a, b, null, { m, n, k });
  let worst = 0;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let bound = 0;
      for (let l = 0; l < k; l++) bound += Math.abs(a[i * k + l]! * b[l * n + j]!);
      bound *= 2 ** -10 + 2 ** -22;
      const err = Math.abs(got[i * n + j]! - want[i * n + j]!);
      if (!(err <= bound)) throw new Error(`[${i}, ${j}]: |error| ${err} over the bound ${bound}`);
      worst = Math.max(worst, err);
    }
  }
  if (worst === 0) throw new Error("mixed equals fp32 exactly: the operands were not rounded");
});

Deno.test("matmulBackwardMixed() (CPU) is the fp32 gradient on exact operands, and rounds dout", () => {
  const shape = { m: 4, n: 3, k: 5, transA: true };
  const a = Float64Array.from(f16Exact(20, 6)), b = Float64Array.from(f16Exact(15, 7));
  const dout = Float64Array.from(f16Exact(12, 8));
  dout[0] = 1;
  const run = (f: typeof cpu.matmulBackward, d: Float64Array) => {
    const da = new Float64Array(20), db = new Float64Array(15), dbias = new Float64Array(3);
    f(da, db, dbias, d, a, b, shape);
    return [...da, ...db, ...dbias];
  };
  assertClose(
    run(mixed.matmulBackwardMixed, dout),
    run(cpu.matmulBackward, dout),
    { rtol: 0, atol: 0 },
    "exact",
  );
  // 1 + 2^-13 is 1 in f16: the mixed gradient must not see the change (dbias, from f32, does).
  const nudged = dout.map((x, i) => (i === 0 ? x + 2 ** -13 : x));
  const base = run(mixed.matmulBackwardMixed, dout), moved = run(mixed.matmulBackwardMixed, nudged);
  if (base.slice(0, 35).some((v, i) => v !== moved[i])) throw new Error("dout was not rounded to f16");
  if (base[35] === moved[35]) throw new Error("dbias must come from the f32 dout");
});

const CASES = [
  { m: 1, n: 1, k: 1 },
  { m: 45, n: 65, k: 37 },
  { m: 7, n: 13, k: 5, batch: 3 },
  { m: 130, n: 67, k: 129 },
  { m: 9, n: 6, k: 0 },
];

for (const variant of MIXED_MATMUL_VARIANTS) {
  for (const c of CASES) {
    for (const [transA, transB] of TRANSPOSES) {
      const label = `${c.batch ?? 1}x${c.m}x${c.n}x${c.k} tA=${+transA} tB=${+transB}`;
      gpuTest(`matmulForwardMixed() "${variant}" matches its twin, ${label}`, async (g) => {
        const batch = c.batch ?? 1;
        const shape = { ...c, batch, transA, transB, alpha: 0.5, accumulate: c.m % 2 === 1 };
        await checkKernel(g, {
          what: `matmul mixed ${variant} ${label}`,
          inputs: {
            a: randomFloats(batch * c.m * c.k, 1),
            b: randomFloats(batch * c.k * c.n, 2),
            bias: randomFloats(c.n, 3),
          },
          outputs: { out: { size: batch * c.m * c.n, accumulate: shape.accumulate } },
          cpu: (o, i) => mixed.matmulForwardMixed(o.out, i.a, i.b, i.bias, shape),
          gpu: (o, i) => gpu.matmulForwardMixed(g, o.out, i.a, i.b, i.bias, shape, variant),
          tolerance: tolerance(c.k),
        });
      });
    }
  }

  gpuTest(`matmulForwardMixed() "${variant}" overflows to infinity as f16 does`, async (g) => {
    // 70000 is past f16's range: the row that reads it sums an infinite product; 65000 is not, and
    // rounds to 64992 (f16 steps by 32 there).
    const a = g.upload(Float32Array.of(70000, 1, 65000, 1), "a");
    const b = g.upload(Float32Array.of(1, 1), "b");
    const out = g.upload(new Float32Array(2).fill(NaN), "out");
    gpu.matmulForwardMixed(g, out, a, b, null, { m: 2, n: 1, k: 2 }, variant);
    const got = await g.read(out);
    if (got[0] !== Infinity || got[1] !== 64993) {
      throw new Error(`got ${[...got]}, expected [Infinity, 64993]`);
    }
    for (const t of [a, b, out]) t.buffer.destroy();
  });
}

for (const [transA, transB] of TRANSPOSES) {
  gpuTest(`matmulBackwardMixed() matches its twin, transA=${transA} transB=${transB}`, async (g) => {
    const shape = { m: 33, n: 17, k: 45, batch: 2, transA, transB, alpha: 1.5 };
    const { m, n, k, batch } = shape;
    const scratch = g.tensor(65536, "scratch");
    await checkKernel(g, {
      what: `matmul mixed backward tA=${transA} tB=${transB}`,
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
      cpu: (o, i) => mixed.matmulBackwardMixed(o.da, o.db, o.dbias, i.dout, i.a, i.b, shape),
      gpu: (o, i) => gpu.matmulBackwardMixed(g, o.da, o.db, o.dbias, i.dout, i.a, i.b, shape, scratch),
      tolerance: tolerance(Math.max(m, n, k) * batch),
    });
    scratch.buffer.destroy();
  });
}
