import * as cpu from "../core/cpu/dropout.ts";
import * as gpu from "../core/webgpu/dropout.ts";
import { dropoutStream, randomU32, triple32, uniform01 } from "../core/cpu/rng.ts";
import { checkGradient, checkKernel, gpuTest, messageOf, randomFloats, zeros } from "./_helpers.ts";

// One f32 rounding of inp * f32(1 / (1 - p)) against the float64 quotient: relative error < 2e-7.
const TOL = { rtol: 1e-4, atol: 1e-7 };
// Accumulating adds one more rounding relative to |start| + |update| <= 4.5, i.e. up to ~3e-7 absolute
// where the sum cancels to near 0.
const ACC_TOL = { rtol: 1e-4, atol: 1e-6 };
const SIZES = [1, 45 * 65, 3 * 7 * 13, 32 * 128 * 768];
const SEED = 1234567;

Deno.test("triple32() fixes 0 and does not collide on 16-bit inputs", () => {
  if (triple32(0) !== 0) throw new Error(`triple32(0) = ${triple32(0)}`);
  const seen = new Set<number>();
  for (let i = 0; i < 1 << 16; i++) seen.add(triple32(i));
  if (seen.size !== 1 << 16) throw new Error("triple32 collided on 16-bit inputs");
});

Deno.test("uniform01() looks uniform and independent across streams", () => {
  const n = 1 << 18;
  let sum = 0;
  let agree = 0;
  const p = 0.3;
  const a = dropoutStream(7, 2);
  const b = dropoutStream(8, 2);
  for (let i = 0; i < n; i++) {
    const u = uniform01(SEED, a, i);
    if (u < 0 || u >= 1) throw new Error(`uniform01 gave ${u}`);
    sum += u;
    if ((u >= p) === (uniform01(SEED, b, i) >= p)) agree++;
  }
  const mean = sum / n;
  // Mean of U(0,1): sd sqrt(1/12/n) = 5.6e-4; masks of independent streams agree at p^2 + (1-p)^2.
  if (!(Math.abs(mean - 0.5) <= 5 * 5.7e-4)) throw new Error(`mean of uniform01 is ${mean}`);
  const expected = p * p + (1 - p) * (1 - p);
  const sd = Math.sqrt(expected * (1 - expected) / n);
  if (!(Math.abs(agree / n - expected) <= 5 * sd)) {
    throw new Error(`masks agree at ${agree / n}, expected ${expected}`);
  }
});

Deno.test("dropoutStream() is injective and rejects out-of-range sites and steps", () => {
  const seen = new Set<number>();
  for (let step = 0; step < 300; step++) {
    for (let site = 0; site < 256; site++) seen.add(dropoutStream(step, site));
  }
  if (seen.size !== 300 * 256) throw new Error("dropoutStream collided");
  if (dropoutStream(2 ** 24 - 1, 255) !== 0xffffffff) throw new Error("the largest stream is not 2^32 - 1");
  for (const [step, site] of [[0, 256], [0, -1], [2 ** 24, 0], [1.5, 0]]) {
    let threw = false;
    try {
      dropoutStream(step!, site!);
    } catch (e) {
      threw = e instanceof RangeError;
    }
    if (!threw) throw new Error(`dropoutStream(${step}, ${site}) did not throw a RangeError`);
  }
});

Deno.test("dropoutBackward() (CPU) matches finite differences", () => {
  const shape = { n: 301, p: 0.4, seed: SEED, stream: 5 };
  checkGradient({
    what: "dropout",
    inputs: { inp: Float64Array.from(randomFloats(shape.n, 1)) },
    forward: ({ inp }) => {
      const out = zeros(shape.n);
      cpu.dropoutForward(out, inp, shape);
      return out;
    },
    backward: (_, dout) => {
      const dinp = zeros(shape.n);
      cpu.dropoutBackward(dinp, dout, shape);
      return { inp: dinp };
    },
    samples: 301,
  });
});

Deno.test("dropoutForward() (CPU) with p = 0 is the identity and rejects p outside [0, 1)", () => {
  const x = Float64Array.from(randomFloats(1000, 3));
  const out = zeros(1000);
  cpu.dropoutForward(out, x, { n: 1000, p: 0, seed: SEED, stream: 0 });
  x.forEach((v, i) => {
    if (out[i] !== v) throw new Error(`p = 0 changed element ${i}: ${v} -> ${out[i]}`);
  });
  for (const p of [1, -0.1, NaN]) {
    let message = "";
    try {
      cpu.dropoutForward(out, x, { n: 1000, p, seed: SEED, stream: 0 });
    } catch (e) {
      if (e instanceof RangeError) message = e.message;
    }
    if (!message.includes("dropout_forward")) {
      throw new Error(`p = ${p}: expected a RangeError, got "${message}"`);
    }
  }
});

gpuTest("randomBits() is bit-identical to randomU32() on 100k indices", async (g) => {
  // Three offsets: from 0, across the u32 wrap of the index, and a large stream.
  for (
    const [seed, stream, offset] of [[SEED, 3, 0], [0, 0, 0xffffffff - 50_000], [0xffffffff, 0xfffffffe, 77]]
  ) {
    const n = 100_000;
    const out = g.tensor(n, "bits");
    gpu.randomBits(g, out, { n, seed: seed!, stream: stream!, offset: offset! });
    const got = new Uint32Array((await g.readInt(out)).buffer);
    out.buffer.destroy();
    const want = new Uint32Array(n);
    cpu.randomBits(want, { n, seed: seed!, stream: stream!, offset: offset! });
    for (let i = 0; i < n; i++) {
      if (got[i] !== want[i] || want[i] !== randomU32(seed!, stream!, offset! + i)) {
        throw new Error(
          `random_bits seed ${seed} stream ${stream}: index ${offset! + i}: got ${got[i]}, want ${want[i]}`,
        );
      }
    }
  }
});

for (const n of SIZES) {
  for (const p of [0, 0.1, 0.5]) {
    gpuTest(`dropoutForward() matches the reference, n=${n}, p=${p}`, async (g) => {
      await checkKernel(g, {
        what: "dropout_forward",
        inputs: { inp: randomFloats(n, n) },
        outputs: { out: { size: n } },
        cpu: (o, i) => cpu.dropoutForward(o.out, i.inp, { n, p, seed: SEED, stream: 9 }),
        gpu: (o, i) => gpu.dropoutForward(g, o.out, i.inp, { n, p, seed: SEED, stream: 9 }),
        tolerance: TOL,
      });
    });
  }
  gpuTest(`dropoutBackward() matches the reference, n=${n}`, async (g) => {
    await checkKernel(g, {
      what: "dropout_backward",
      inputs: { dout: randomFloats(n, n + 2) },
      outputs: { dinp: { size: n, accumulate: true } },
      cpu: (o, i) => cpu.dropoutBackward(o.dinp, i.dout, { n, p: 0.1, seed: SEED, stream: 10 }),
      gpu: (o, i) => gpu.dropoutBackward(g, o.dinp, i.dout, { n, p: 0.1, seed: SEED, stream: 10 }),
      tolerance: ACC_TOL,
    });
  });
}

gpuTest("dropoutForward() keeps exactly the CPU's elements, about 1 - p of 1e6", async (g) => {
  const n = 1_000_000;
  const p = 0.1;
  const shape = { n, p, seed: SEED, stream: dropoutStream(12345, 17) };
  const ones = new Float32Array(n).fill(1);
  const inp = g.upload(ones, "ones");
  const out = g.tensor(n, "out");
  gpu.dropoutForward(g, out, inp, shape);
  const got = await g.read(out);
  inp.buffer.destroy();
  out.buffer.destroy();
  const want = new Float32Array(n);
  cpu.dropoutForward(want, ones, shape);
  let kept = 0;
  for (let i = 0; i < n; i++) {
    if ((got[i] === 0) !== (want[i] === 0)) {
      throw new Error(`masks differ at ${i}: gpu ${got[i]}, cpu ${want[i]}`);
    }
    if (got[i] !== 0) kept++;
  }
  // Binomial sd of the kept fraction: sqrt(p (1 - p) / n) = 3e-4; allow 5 sd.
  if (!(Math.abs(kept / n - (1 - p)) <= 5 * 3e-4)) {
    throw new Error(`kept ${kept / n}, expected about ${1 - p}`);
  }
});

gpuTest("dropoutForward() rejects a too-small output and a bad p", async (g) => {
  const small = g.tensor(3, "small");
  const inp = g.tensor(4, "inp");
  const m1 = await messageOf(() => gpu.dropoutForward(g, small, inp, { n: 4, p: 0.1, seed: 1, stream: 1 }));
  if (!m1.includes("dropout_forward") || !m1.includes("needs 4")) throw new Error(`got "${m1}"`);
  const m2 = await messageOf(() => gpu.dropoutBackward(g, inp, inp, { n: 4, p: 1, seed: 1, stream: 1 }));
  if (!m2.includes("dropout_backward") || !m2.includes("[0, 1)")) throw new Error(`got "${m2}"`);
});
