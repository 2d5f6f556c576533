import * as cpu from "../core/cpu/residual.ts";
import * as gpu from "../core/webgpu/residual.ts";
import { checkGradient, checkKernel, gpuTest, randomFloats, zeros } from "./_helpers.ts";

// One f32 rounding of the sum: relative error <= 6e-8 of the result, but where a + b (or start + dout)
// cancels to near 0 the rounding is relative to the operands (<= 4), hence the small atol.
const TOL = { rtol: 1e-4, atol: 1e-6 };
const SIZES = [1, 3 * 7 * 13, 45 * 65, 32 * 128 * 768];

Deno.test("residualBackward() (CPU) matches finite differences", () => {
  const n = 97;
  checkGradient({
    what: "residual",
    inputs: { a: Float64Array.from(randomFloats(n, 1)), b: Float64Array.from(randomFloats(n, 2)) },
    forward: ({ a, b }) => {
      const out = zeros(n);
      cpu.residualForward(out, a, b, { n });
      return out;
    },
    backward: (_, dout) => {
      const da = zeros(n);
      const db = zeros(n);
      cpu.residualBackward(da, db, dout, { n });
      return { a: da, b: db };
    },
    samples: n,
  });
});

for (const n of SIZES) {
  gpuTest(`residualForward() matches the reference, n=${n}`, async (g) => {
    await checkKernel(g, {
      what: "residual_forward",
      inputs: { a: randomFloats(n, n), b: randomFloats(n, n + 1) },
      outputs: { out: { size: n } },
      cpu: (o, i) => cpu.residualForward(o.out, i.a, i.b, { n }),
      gpu: (o, i) => gpu.residualForward(g, o.out, i.a, i.b, { n }),
      tolerance: TOL,
    });
  });
  gpuTest(`residualBackward() matches the reference, n=${n}`, async (g) => {
    await checkKernel(g, {
      what: "residual_backward",
      inputs: { dout: randomFloats(n, n + 2) },
      outputs: { da: { size: n, accumulate: true }, db: { size: n, accumulate: true } },
      cpu: (o, i) => cpu.residualBackward(o.da, o.db, i.dout, { n }),
      gpu: (o, i) => gpu.residualBackward(g, o.da, o.db, i.dout, { n }),
      tolerance: TOL,
    });
  });
}

gpuTest("residualBackward() rejects a too-small gradient", (g) => {
  const small = g.tensor(3, "small");
  const big = g.tensor(4, "big");
  let message = "";
  try {
    gpu.residualBackward(g, big, small, big, { n: 4 });
  } catch (e) {
    message = (e as Error).message;
  }
  if (!message.includes("residual_backward") || !message.includes('"db"') || !message.includes("needs 4")) {
    throw new Error(`expected an error naming the kernel, tensor and size, got "${message}"`);
  }
  return Promise.resolve();
});
