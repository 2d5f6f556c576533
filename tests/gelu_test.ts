import * as cpu from "../core/cpu/gelu.ts";
import * as gpu from "../core/webgpu/gelu.ts";
import { checkGradient, checkKernel, gpuTest, randomFloats, zeros } from "./_helpers.ts";

// fp32 erfc (relative error < 1.2e-7) and exp: relative error stays far below 1e-4.
const TOL = { rtol: 1e-4, atol: 1e-7 };
const SIZES = [1, 45 * 65, 768 * 3072 + 3];

Deno.test("geluBackward() (CPU) matches finite differences", () => {
  checkGradient({
    what: "gelu",
    inputs: { inp: Float64Array.from(randomFloats(257, 1, -6, 6)) },
    forward: ({ inp }) => {
      const out = zeros(inp.length);
      cpu.geluForward(out, inp, { n: inp.length });
      return out;
    },
    backward: ({ inp }, dout) => {
      const dinp = zeros(inp.length);
      cpu.geluBackward(dinp, inp, dout, { n: inp.length });
      return { inp: dinp };
    },
  });
});

Deno.test("geluForward() (CPU) matches known values", () => {
  const x = Float64Array.of(-3, -1, 0, 0.5, 2);
  const out = zeros(5);
  cpu.geluForward(out, x, { n: 5 });
  // x * Phi(x) from tabulated normal CDF values Phi(-3) = 0.0013498980316, Phi(-1) = 0.1586552539315,
  // Phi(0.5) = 0.6914624612740, Phi(2) = 0.9772498680518.
  const expected = [-3 * 0.0013498980316, -0.1586552539315, 0, 0.5 * 0.6914624612740, 2 * 0.9772498680518];
  expected.forEach((e, i) => {
    if (!(Math.abs(out[i]! - e) <= 1e-9)) throw new Error(`gelu(${x[i]}) = ${out[i]}, expected ${e}`);
  });
});

for (const n of SIZES) {
  gpuTest(`geluForward() matches the reference, n=${n}`, async (g) => {
    await checkKernel(g, {
      what: "gelu_forward",
      inputs: { inp: randomFloats(n, n, n === 1 ? -9 : -2, n === 1 ? -8 : 2) },
      outputs: { out: { size: n } },
      cpu: (o, i) => cpu.geluForward(o.out, i.inp, { n }),
      gpu: (o, i) => gpu.geluForward(g, o.out, i.inp, { n }),
      tolerance: TOL,
    });
  });
  gpuTest(`geluBackward() matches the reference, n=${n}`, async (g) => {
    await checkKernel(g, {
      what: "gelu_backward",
      inputs: { inp: randomFloats(n, n + 1), dout: randomFloats(n, n + 2) },
      outputs: { dinp: { size: n, accumulate: true } },
      cpu: (o, i) => cpu.geluBackward(o.dinp, i.inp, i.dout, { n }),
      gpu: (o, i) => gpu.geluBackward(g, o.dinp, i.inp, i.dout, { n }),
      tolerance: { rtol: 1e-4, atol: 1e-6 },
    });
  });
}

gpuTest("geluForward() rejects a too-small output", (g) => {
  const small = g.tensor(3, "small");
  const inp = g.tensor(4, "inp");
  let message = "";
  try {
    gpu.geluForward(g, small, inp, { n: 4 });
  } catch (e) {
    message = (e as Error).message;
  }
  if (!message.includes("gelu_forward") || !message.includes("needs 4")) {
    throw new Error(`expected an error naming the kernel and size, got "${message}"`);
  }
  return Promise.resolve();
});
