import * as cpu from "../core/cpu/heads.ts";
import * as gpu from "../core/webgpu/heads.ts";
import type { HeadsShape } from "../core/cpu/heads.ts";
import { checkGradient, checkKernel, gpuTest, randomFloats, zeros } from "./_helpers.ts";

// Forwards move values unchanged (exact); backwards add once in f32, relative to |start| + |dout| <= 4.
const EXACT = { rtol: 0, atol: 0 };
const ACC_TOL = { rtol: 1e-4, atol: 1e-6 };
const SHAPES: HeadsShape[] = [
  { batch: 1, seq: 1, heads: 1, headDim: 1 },
  { batch: 3, seq: 7, heads: 13, headDim: 5 },
  { batch: 2, seq: 45, heads: 3, headDim: 65 },
  { batch: 32, seq: 128, heads: 12, headDim: 64 },
];
const size = (s: HeadsShape) => s.batch * s.seq * s.heads * s.headDim;
const label = (s: HeadsShape) => `${s.batch}x${s.seq}x${s.heads}x${s.headDim}`;

Deno.test("splitHeadsForward() (CPU) puts inp[b, t, h, d] at out[b, h, t, d]", () => {
  const s = { batch: 2, seq: 3, heads: 4, headDim: 5 };
  const inp = Float64Array.from({ length: size(s) }, (_, i) => i);
  const out = zeros(size(s));
  cpu.splitHeadsForward(out, inp, s);
  const back = zeros(size(s));
  cpu.mergeHeadsForward(back, out, s);
  // (b=0, t=1, h=2, d=3): token-major ((0*3+1)*4+2)*5+3 = 33, head-major ((0*4+2)*3+1)*5+3 = 38.
  if (out[38] !== 33) throw new Error(`split put ${out[38]} at [0, 2, 1, 3], expected 33`);
  back.forEach((v, i) => {
    if (v !== i) throw new Error(`merge(split(x)) differs from x at ${i}`);
  });
});

for (
  const [name, fwd, bwd] of [
    ["splitHeads", cpu.splitHeadsForward, cpu.splitHeadsBackward],
    ["mergeHeads", cpu.mergeHeadsForward, cpu.mergeHeadsBackward],
  ] as const
) {
  Deno.test(`${name}Backward() (CPU) matches finite differences`, () => {
    const s = { batch: 2, seq: 3, heads: 4, headDim: 5 };
    checkGradient({
      what: name,
      inputs: { inp: Float64Array.from(randomFloats(size(s), 1)) },
      forward: ({ inp }) => {
        const out = zeros(size(s));
        fwd(out, inp, s);
        return out;
      },
      backward: (_, dout) => {
        const dinp = zeros(size(s));
        bwd(dinp, dout, s);
        return { inp: dinp };
      },
      samples: size(s),
    });
  });
}

for (const s of SHAPES) {
  const n = size(s);
  for (const [name, kernel] of [["split", "split_heads"], ["merge", "merge_heads"]] as const) {
    const cpuFwd = name === "split" ? cpu.splitHeadsForward : cpu.mergeHeadsForward;
    const cpuBwd = name === "split" ? cpu.splitHeadsBackward : cpu.mergeHeadsBackward;
    const gpuFwd = name === "split" ? gpu.splitHeadsForward : gpu.mergeHeadsForward;
    const gpuBwd = name === "split" ? gpu.splitHeadsBackward : gpu.mergeHeadsBackward;
    gpuTest(`${name}HeadsForward() matches the reference, ${label(s)}`, async (g) => {
      await checkKernel(g, {
        what: `${kernel}_forward`,
        inputs: { inp: randomFloats(n, n) },
        outputs: { out: { size: n } },
        cpu: (o, i) => cpuFwd(o.out, i.inp, s),
        gpu: (o, i) => gpuFwd(g, o.out, i.inp, s),
        tolerance: EXACT,
      });
    });
    gpuTest(`${name}HeadsBackward() matches the reference, ${label(s)}`, async (g) => {
      await checkKernel(g, {
        what: `${kernel}_backward`,
        inputs: { dout: randomFloats(n, n + 1) },
        outputs: { dinp: { size: n, accumulate: true } },
        cpu: (o, i) => cpuBwd(o.dinp, i.dout, s),
        gpu: (o, i) => gpuBwd(g, o.dinp, i.dout, s),
        tolerance: ACC_TOL,
      });
    });
  }
}

gpuTest("mergeHeadsForward() rejects a too-small input", (g) => {
  const out = g.tensor(24, "out");
  const small = g.tensor(23, "small");
  let message = "";
  try {
    gpu.mergeHeadsForward(g, out, small, { batch: 1, seq: 2, heads: 3, headDim: 4 });
  } catch (e) {
    message = (e as Error).message;
  }
  if (
    !message.includes("merge_heads_forward") || !message.includes('"inp"') || !message.includes("needs 24")
  ) {
    throw new Error(`expected an error naming the kernel, tensor and size, got "${message}"`);
  }
  return Promise.resolve();
});
