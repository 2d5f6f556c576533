import * as cpu from "../core/cpu/softmax.ts";
import * as gpu from "../core/webgpu/softmax.ts";
import { checkGradient, checkKernel, gpuTest, randomFloats, seededRandom, zeros } from "./_helpers.ts";

type Opts = cpu.SoftmaxOptions;

// exp in f32 is accurate to a few ulps over the logit range here (|scale * x| <= 4 after the max is
// subtracted), and masked entries are exactly 0 on both sides: relative 1e-4 with a tiny floor for
// probabilities of order 1 / 30522. The backward's (dout - dot) cancels and lands on a start value in
// [-2, 2]: a floor of a few ulps of 2.
const TOL_FORWARD = { rtol: 1e-4, atol: 1e-9 };
const TOL_BACKWARD = { rtol: 1e-4, atol: 1e-6 };

/** One key, odd sizes, rows longer than a workgroup, BERT's attention at 128 and 512 tokens, a softmax
 * over the vocabulary, and more rows than one grid dimension holds. */
const SHAPES: Opts[] = [
  { batch: 1, heads: 1, rows: 1, cols: 1, scale: 1 },
  { batch: 3, heads: 3, rows: 5, cols: 7, scale: 0.5 },
  { batch: 3, heads: 2, rows: 3, cols: 65, scale: 1 },
  { batch: 3, heads: 12, rows: 128, cols: 128, scale: 0.125 },
  { batch: 1, heads: 12, rows: 512, cols: 512, scale: 0.125 },
  { batch: 1, heads: 1, rows: 13, cols: 30522, scale: 1 },
  { batch: 3, heads: 12, rows: 2000, cols: 7, scale: 1 },
];

const size = (o: Opts) => o.batch * o.heads * o.rows * o.cols;
const label = (o: Opts) => `${o.batch}x${o.heads}x${o.rows}x${o.cols}`;

/**
 * BERT's additive mask [batch, cols], cycling through three kinds of sequence: padded with -10000
 * (the original BERT), padded with the f32 minimum (PyTorch's finfo.min), and fully masked with it.
 */
function attentionMask(batch: number, cols: number, seed: number): Float32Array {
  const r = seededRandom(seed);
  const mask = new Float32Array(batch * cols);
  for (let b = 0; b < batch; b++) {
    const kind = b % 3;
    const keep = kind === 2 ? 0 : Math.max(1, cols - Math.floor(r() * cols * 0.5));
    for (let j = keep; j < cols; j++) mask[b * cols + j] = kind === 0 ? -10000 : -3.4e38;
  }
  return mask;
}

/** A softmax output to differentiate through, as the forward would have left it. */
function probabilities(o: Opts, seed: number): Float32Array {
  const out = zeros(size(o));
  cpu.softmaxForward(
    out,
    Float64Array.from(randomFloats(size(o), seed)),
    attentionMask(o.batch, o.cols, seed),
    o,
  );
  return Float32Array.from(out);
}

Deno.test("softmaxBackward() (CPU) matches finite differences", () => {
  const o: Opts = { batch: 2, heads: 2, rows: 3, cols: 5, scale: 0.7 };
  const mask = Float64Array.from(attentionMask(o.batch, o.cols, 3));
  const forward = (inp: Float64Array) => {
    const out = zeros(size(o));
    cpu.softmaxForward(out, inp, mask, o);
    return out;
  };
  checkGradient({
    what: "softmax",
    inputs: { inp: Float64Array.from(randomFloats(size(o), 1)) },
    forward: ({ inp }) => forward(inp),
    backward: ({ inp }, dout) => {
      const dinp = zeros(size(o));
      cpu.softmaxBackward(dinp, forward(inp), dout, o);
      return { inp: dinp };
    },
  });
});

Deno.test("softmaxForward() (CPU) matches known values and handles fully masked rows", () => {
  const o: Opts = { batch: 1, heads: 1, rows: 1, cols: 3, scale: 2 };
  const out = zeros(3);
  cpu.softmaxForward(out, Float64Array.of(0.5, 1, 1.5), null, o);
  const z = 1 + Math.E + Math.E ** 2;
  [1 / z, Math.E / z, Math.E ** 2 / z].forEach((e, i) => {
    if (!(Math.abs(out[i]! - e) <= 1e-15)) throw new Error(`softmax [${i}] = ${out[i]}, expected ${e}`);
  });
  for (const m of [-3.4e38, cpu.MASK_MIN, -Infinity]) {
    cpu.softmaxForward(out, Float64Array.of(0.5, 1, 1.5), Float64Array.of(m, m, m), o);
    if (!out.every((p) => p === 1 / 3)) {
      throw new Error(`fully masked row (mask ${m}): ${out}, expected uniform`);
    }
  }
});

for (const o of SHAPES) {
  const n = size(o);
  for (const masked of [true, false]) {
    const what = `softmax_forward (${masked ? "masked" : "no mask"})`;
    gpuTest(
      `softmaxForward() matches the reference, ${label(o)}, ${masked ? "masked" : "no mask"}`,
      async (g) => {
        const inputs: Record<string, Float32Array> = { inp: randomFloats(n, n) };
        if (masked) inputs.mask = attentionMask(o.batch, o.cols, n + 1);
        await checkKernel<Record<string, Float32Array>, "out">(g, {
          what,
          inputs,
          outputs: { out: { size: n } },
          cpu: (out, i) => cpu.softmaxForward(out.out, i.inp!, i.mask ?? null, o),
          gpu: (out, i) => gpu.softmaxForward(g, out.out, i.inp!, i.mask ?? null, o),
          tolerance: TOL_FORWARD,
        });
      },
    );
  }
  gpuTest(`softmaxBackward() matches the reference, ${label(o)}`, async (g) => {
    await checkKernel(g, {
      what: "softmax_backward",
      inputs: { out: probabilities(o, n + 2), dout: randomFloats(n, n + 3) },
      outputs: { dinp: { size: n, accumulate: true } },
      cpu: (d, i) => cpu.softmaxBackward(d.dinp, i.out, i.dout, o),
      gpu: (d, i) => gpu.softmaxBackward(g, d.dinp, i.out, i.dout, o),
      tolerance: TOL_BACKWARD,
    });
  });
}

gpuTest("softmaxForward() gives uniform rows, not NaN, where every key is masked", async (g) => {
  const o: Opts = { batch: 1, heads: 2, rows: 3, cols: 600, scale: 1 };
  const out = g.tensor(size(o), "out");
  gpu.softmaxForward(
    g,
    out,
    g.upload(randomFloats(size(o), 9), "inp"),
    g.upload(new Float32Array(600).fill(-3.4e38), "mask"),
    o,
  );
  const got = await g.read(out);
  const bad = got.findIndex((p) => !(Math.abs(p - 1 / 600) <= 1e-9));
  if (bad >= 0) throw new Error(`out[${bad}] = ${got[bad]}, expected 1/600`);
});

gpuTest("softmaxForward() rejects a too-small mask", async (g) => {
  const o: Opts = { batch: 2, heads: 1, rows: 3, cols: 4, scale: 1 };
  let message = "";
  try {
    gpu.softmaxForward(g, g.tensor(24, "out"), g.tensor(24, "inp"), g.tensor(4, "mask"), o);
  } catch (e) {
    message = (e as Error).message;
  }
  await g.sync(); // the rejected call recorded nothing: the device still works
  if (!message.includes("softmax_forward") || !message.includes("mask") || !message.includes("needs 8")) {
    throw new Error(`expected an error naming the kernel, tensor and size, got "${message}"`);
  }
});
