import * as cpu from "../core/cpu/tanh.ts";
import * as gpu from "../core/webgpu/tanh.ts";
import { checkGradient, checkKernel, gpuTest, randomFloats, zeros } from "./_helpers.ts";

// tanh is odd and tanh(x) ~ x near 0, so relative accuracy must hold there too: no absolute floor in
// the forward. The backward lands on a start value in [-2, 2]: a floor of a few ulps of 2.
const TOL_FORWARD = { rtol: 1e-4, atol: 0 };
const TOL_BACKWARD = { rtol: 1e-4, atol: 1e-6 };
const SIZES = [1, 45 * 65, 768 * 3072 + 3];

/** Values where tanh implementations go wrong: tiny (cancellation in (e^x - e^-x) / (e^x + e^-x)),
 * either side of the polynomial's range (0.625), near saturation, and huge (overflow of e^2x). */
const EDGES = [
  0,
  1e-30,
  -1e-30,
  1e-5,
  -1e-5,
  3e-3,
  0.1,
  -0.3,
  0.6249,
  0.625,
  0.6251,
  -0.625,
  1,
  -2.5,
  4,
  8.5,
  -9,
  9.1,
  15,
  20,
  -30,
  30,
  88,
  100,
  -1e4,
  3e38,
  -3e38,
];

/** `n` inputs in [-2, 2], with the edge cases at the front. */
function inputs(n: number, seed: number): Float32Array {
  const x = randomFloats(n, seed);
  x.set(EDGES.slice(0, n));
  return x;
}

Deno.test("tanhBackward() (CPU) matches finite differences", () => {
  checkGradient({
    what: "tanh",
    inputs: { inp: Float64Array.from(randomFloats(257, 1, -6, 6)) },
    forward: ({ inp }) => {
      const out = zeros(inp.length);
      cpu.tanhForward(out, inp, { n: inp.length });
      return out;
    },
    backward: ({ inp }, dout) => {
      const out = zeros(inp.length);
      cpu.tanhForward(out, inp, { n: inp.length });
      const dinp = zeros(inp.length);
      cpu.tanhBackward(dinp, out, dout, { n: inp.length });
      return { inp: dinp };
    },
  });
});

Deno.test("tanhForward() (CPU) matches known values", () => {
  const x = Float64Array.of(-1, 0, 0.5, 3);
  const out = zeros(4);
  cpu.tanhForward(out, x, { n: 4 });
  // (e^2x - 1) / (e^2x + 1) evaluated to 16 digits.
  const expected = [-0.7615941559557649, 0, 0.46211715726000974, 0.9950547536867305];
  expected.forEach((e, i) => {
    if (!(Math.abs(out[i]! - e) <= 1e-15)) throw new Error(`tanh(${x[i]}) = ${out[i]}, expected ${e}`);
  });
});

for (const n of SIZES) {
  gpuTest(`tanhForward() matches the reference, n=${n}`, async (g) => {
    await checkKernel(g, {
      what: "tanh_forward",
      inputs: { inp: inputs(n, n) },
      outputs: { out: { size: n } },
      cpu: (o, i) => cpu.tanhForward(o.out, i.inp, { n }),
      gpu: (o, i) => gpu.tanhForward(g, o.out, i.inp, { n }),
      tolerance: TOL_FORWARD,
    });
  });
  gpuTest(`tanhBackward() matches the reference, n=${n}`, async (g) => {
    // The backward reads the forward's output: tanh of the same inputs, rounded to f32 as stored.
    const x = inputs(n, n + 1);
    const out = Float32Array.from(x, Math.tanh);
    await checkKernel(g, {
      what: "tanh_backward",
      inputs: { out, dout: randomFloats(n, n + 2) },
      outputs: { dinp: { size: n, accumulate: true } },
      cpu: (o, i) => cpu.tanhBackward(o.dinp, i.out, i.dout, { n }),
      gpu: (o, i) => gpu.tanhBackward(g, o.dinp, i.out, i.dout, { n }),
      tolerance: TOL_BACKWARD,
    });
  });
}

gpuTest("tanhBackward() keeps its relative accuracy where tanh saturates", async (g) => {
  // 1 - y^2 for y near 1 cancels: computed as 1 - y * y in f32 it is off by up to 9e-5 relative
  // (near x = 4.7); (1 - y)(1 + y) is within two roundings. Alone (dinp from 0, dout = 1) it must stay
  // within 1e-5 relative, tighter than the usual 1e-4 so that the cancelling form fails.
  const n = 4096;
  const x = Float32Array.from({ length: n }, (_, i) => 0.5 + (i / n) * 9.5);
  const out = Float32Array.from(x, Math.tanh);
  await checkKernel(g, {
    what: "tanh_backward (saturating)",
    inputs: { out, dout: new Float32Array(n).fill(1) },
    outputs: { dinp: { size: n } },
    cpu: (o, i) => {
      o.dinp.fill(0);
      cpu.tanhBackward(o.dinp, i.out, i.dout, { n });
    },
    gpu: (o, i) => {
      g.write(o.dinp, new Float32Array(n));
      gpu.tanhBackward(g, o.dinp, i.out, i.dout, { n });
    },
    tolerance: { rtol: 1e-5, atol: 0 },
  });
});

gpuTest("tanhBackward() rejects a too-small dout", async (g) => {
  let message = "";
  try {
    gpu.tanhBackward(g, g.tensor(4, "dinp"), g.tensor(4, "out"), g.tensor(3, "dout"), { n: 4 });
  } catch (e) {
    message = (e as Error).message;
  }
  await g.sync(); // the rejected call recorded nothing: the device still works
  if (!message.includes("tanh_backward") || !message.includes("dout") || !message.includes("needs 4")) {
    throw new Error(`expected an error naming the kernel, tensor and size, got "${message}"`);
  }
});
