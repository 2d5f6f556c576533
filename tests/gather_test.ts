import * as cpu from "../core/cpu/gather.ts";
import * as gpu from "../core/webgpu/gather.ts";
import type { GatherShape } from "../core/cpu/gather.ts";
import { checkGradient, checkKernel, gpuTest, randomFloats, seededRandom, zeros } from "./_helpers.ts";

// Forward copies values (exact); backward adds once in f32, relative to |start| + |dout| <= 4.
const EXACT = { rtol: 0, atol: 0 };
const ACC_TOL = { rtol: 1e-4, atol: 1e-6 };

/** `count` distinct rows of [0, inpRows) in random order (a seeded partial shuffle). */
function distinctRows(count: number, inpRows: number, seed: number): Int32Array {
  const all = Int32Array.from({ length: inpRows }, (_, i) => i);
  const r = seededRandom(seed);
  for (let i = 0; i < count; i++) {
    const j = i + Math.floor(r() * (inpRows - i));
    [all[i], all[j]] = [all[j]!, all[i]!];
  }
  return all.slice(0, count);
}

const SHAPES: GatherShape[] = [
  { count: 1, cols: 1, inpRows: 1 },
  { count: 7, cols: 13, inpRows: 21 },
  { count: 45, cols: 65, inpRows: 45 },
  // BERT-base MLM: 15% of 32 x 128 positions (rounded up to 20 per sequence) from the encoder output.
  { count: 640, cols: 768, inpRows: 32 * 128 },
];
const label = (s: GatherShape) => `${s.count} of ${s.inpRows} rows x ${s.cols}`;

Deno.test("gatherRowsBackward() (CPU) matches finite differences", () => {
  const s = { count: 5, cols: 3, inpRows: 9 };
  const rows = distinctRows(s.count, s.inpRows, 4);
  checkGradient({
    what: "gather_rows",
    inputs: { inp: Float64Array.from(randomFloats(s.inpRows * s.cols, 1)) },
    forward: ({ inp }) => {
      const out = zeros(s.count * s.cols);
      cpu.gatherRowsForward(out, inp, rows, s);
      return out;
    },
    backward: (_, dout) => {
      const dinp = zeros(s.inpRows * s.cols);
      cpu.gatherRowsBackward(dinp, dout, rows, s);
      return { inp: dinp };
    },
    samples: s.inpRows * s.cols,
  });
});

Deno.test("gatherRowsForward() (CPU) rejects repeated and out-of-range rows", () => {
  const s = { count: 3, cols: 2, inpRows: 4 };
  for (
    const [rows, words] of [[[0, 2, 0], "repeats"], [[0, 4, 1], "outside"], [[-1, 0, 1], "outside"]] as const
  ) {
    let message = "";
    try {
      cpu.gatherRowsForward(zeros(6), zeros(8), Int32Array.from(rows), s);
    } catch (e) {
      if (e instanceof RangeError) message = e.message;
    }
    if (!message.includes("gather_rows_forward") || !message.includes(words)) {
      throw new Error(`rows ${rows}: expected a RangeError saying "${words}", got "${message}"`);
    }
  }
});

for (const s of SHAPES) {
  const rows = distinctRows(s.count, s.inpRows, s.count);
  gpuTest(`gatherRowsForward() matches the reference, ${label(s)}`, async (g) => {
    await checkKernel(g, {
      what: "gather_rows_forward",
      inputs: { inp: randomFloats(s.inpRows * s.cols, s.cols), rows },
      outputs: { out: { size: s.count * s.cols } },
      cpu: (o, i) => cpu.gatherRowsForward(o.out, i.inp, i.rows as Int32Array, s),
      gpu: (o, i) => gpu.gatherRowsForward(g, o.out, i.inp, i.rows, s),
      tolerance: EXACT,
    });
  });
  gpuTest(`gatherRowsBackward() matches the reference, ${label(s)}`, async (g) => {
    await checkKernel(g, {
      what: "gather_rows_backward",
      inputs: { dout: randomFloats(s.count * s.cols, s.cols + 1), rows },
      outputs: { dinp: { size: s.inpRows * s.cols, accumulate: true } },
      cpu: (o, i) => cpu.gatherRowsBackward(o.dinp, i.dout, i.rows as Int32Array, s),
      gpu: (o, i) => gpu.gatherRowsBackward(g, o.dinp, i.dout, i.rows, s),
      tolerance: ACC_TOL,
    });
  });
}

gpuTest("gatherRows() on the device: bad rows give NaN forward and are skipped backward", async (g) => {
  const s = { count: 3, cols: 4, inpRows: 5 };
  const rows = g.upload(Int32Array.of(2, 5, -1), "rows");
  const inp = g.upload(randomFloats(20, 1), "inp");
  const out = g.tensor(12, "out");
  gpu.gatherRowsForward(g, out, inp, rows, s);
  const got = await g.read(out);
  got.forEach((v, i) => {
    if (Number.isNaN(v) !== i >= 4) throw new Error(`forward element ${i} is ${v}`);
  });
  // Rows 5 and -1 must not be written at all; of dinp only row 2 changes.
  const dinp = g.upload(new Float32Array(20), "dinp");
  gpu.gatherRowsBackward(g, dinp, g.upload(new Float32Array(12).fill(1), "dout"), rows, s);
  const grad = await g.read(dinp);
  grad.forEach((v, i) => {
    if (v !== (i >= 8 && i < 12 ? 1 : 0)) throw new Error(`backward element ${i} is ${v}`);
  });
});

gpuTest("gatherRowsBackward() rejects a too-small gradient", (g) => {
  const small = g.tensor(19, "small");
  let message = "";
  try {
    gpu.gatherRowsBackward(g, small, g.tensor(12, "dout"), g.tensor(3, "rows"), {
      count: 3,
      cols: 4,
      inpRows: 5,
    });
  } catch (e) {
    message = (e as Error).message;
  }
  if (
    !message.includes("gather_rows_backward") || !message.includes('"dinp"') || !message.includes("needs 20")
  ) {
    throw new Error(`expected an error naming the kernel, tensor and size, got "${message}"`);
  }
  return Promise.resolve();
});
