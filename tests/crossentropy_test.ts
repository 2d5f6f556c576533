import * as cpu from "../core/cpu/crossentropy.ts";
import * as gpu from "../core/webgpu/crossentropy.ts";
import {
  assertClose,
  checkGradient,
  checkKernel,
  gpuTest,
  randomFloats,
  randomInts,
  seededRandom,
  zeros,
} from "./_helpers.ts";

// fp32 exp/log over at most 30522 terms merged in a tree: relative error ~1e-6, far below 1e-4.
const TOL = { rtol: 1e-4, atol: 1e-6 };
const EXACT = { rtol: 0, atol: 0 };
const IGNORE = -100;

/** Targets in [0, classes): about 1/5 ignored and 1/3 set to the row's argmax, so `correct` sees both. */
function makeTargets(logits: Float32Array, rows: number, classes: number, seed: number): Int32Array {
  const targets = randomInts(rows, seed, classes);
  const r = seededRandom(seed + 1);
  for (let row = 0; row < rows; row++) {
    const u = r();
    if (u < 0.2) targets[row] = IGNORE;
    else if (u < 0.53) {
      let best = 0;
      for (let c = 1; c < classes; c++) {
        if (logits[row * classes + c]! > logits[row * classes + best]!) best = c;
      }
      targets[row] = best;
    }
  }
  return targets;
}

function validRows(targets: Int32Array): number {
  return targets.reduce((k, t) => k + (t >= 0 ? 1 : 0), 0);
}

Deno.test("crossEntropyBackward() (CPU) matches finite differences of the mean loss", () => {
  const rows = 5, classes = 7;
  const targets = Int32Array.of(3, IGNORE, 0, 6, 2);
  const scale = 1 / validRows(targets);
  checkGradient({
    what: "crossentropy",
    inputs: { logits: Float64Array.from(randomFloats(rows * classes, 3)) },
    forward: ({ logits }) => {
      const losses = zeros(rows), correct = zeros(rows);
      cpu.crossEntropyForward(losses, correct, logits, targets, { rows, classes });
      return Float64Array.of(scale * losses.reduce((a, b) => a + b, 0));
    },
    backward: ({ logits }, dout) => {
      const dlogits = zeros(rows * classes);
      cpu.crossEntropyBackward(dlogits, logits, targets, { rows, classes, scale: scale * dout[0]! });
      return { logits: dlogits };
    },
  });
});

Deno.test("crossEntropyForward() (CPU) matches known values", () => {
  const logits = Float64Array.of(0, 0, 1, 2, 3, 5, 5, 1);
  const losses = zeros(4), correct = zeros(4);
  // Rows [0, 0] t=1 (a tie: the first index is the argmax), [1, 2] t=1, [3, 5] ignored, [5, 1] t=0.
  cpu.crossEntropyForward(losses, correct, logits, Int32Array.of(1, 1, IGNORE, 0), { rows: 4, classes: 2 });
  const expected = [Math.LN2, Math.log(Math.E + Math.E ** 2) - 2, 0, Math.log(Math.E ** 5 + Math.E) - 5];
  assertClose(losses, expected, { rtol: 1e-14, atol: 0 }, "crossentropy losses");
  assertClose(correct, [0, 1, 0, 1], EXACT, "crossentropy correct");
});

Deno.test("crossEntropyForward() (CPU) rejects a target >= classes", () => {
  let message = "";
  try {
    cpu.crossEntropyForward(zeros(1), zeros(1), zeros(3), Int32Array.of(3), { rows: 1, classes: 3 });
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    message = e.message;
  }
  if (!message.includes("crossentropy_forward") || !message.includes("target 3")) {
    throw new Error(`expected a RangeError naming the kernel and target, got "${message}"`);
  }
});

// Sequence classification (2, 3 classes), odd sizes, and masked-LM rows over BERT's 30522-word vocabulary.
const SHAPES = [
  { rows: 1, classes: 2 },
  { rows: 45, classes: 7 },
  { rows: 2560, classes: 3 },
  { rows: 37, classes: 300 },
  { rows: 160, classes: 30522 },
];

for (const { rows, classes } of SHAPES) {
  const seed = rows * 7 + classes;
  const logits = randomFloats(rows * classes, seed);
  const targets = makeTargets(logits, rows, classes, seed + 1);
  if (rows === 1) targets[0] = 1;
  const shape = { rows, classes };
  gpuTest(`crossEntropyForward() matches the reference, ${rows}x${classes}`, async (g) => {
    await checkKernel(g, {
      what: "crossentropy_forward",
      inputs: { logits, targets },
      outputs: { losses: { size: rows }, correct: { size: rows } },
      cpu: (o, i) =>
        cpu.crossEntropyForward(
          o.losses,
          o.correct,
          i.logits,
          i.targets as Int32Array,
          shape,
        ),
      gpu: (o, i) => gpu.crossEntropyForward(g, o.losses, o.correct, i.logits, i.targets, shape),
      tolerance: { losses: TOL, correct: EXACT },
    });
  });
  gpuTest(`crossEntropyBackward() matches the reference, ${rows}x${classes}`, async (g) => {
    const bshape = { ...shape, scale: 1 / Math.max(1, validRows(targets)) };
    await checkKernel(g, {
      what: "crossentropy_backward",
      inputs: { logits, targets },
      outputs: { dlogits: { size: rows * classes, accumulate: true } },
      cpu: (o, i) => cpu.crossEntropyBackward(o.dlogits, i.logits, i.targets as Int32Array, bshape),
      gpu: (o, i) => gpu.crossEntropyBackward(g, o.dlogits, i.logits, i.targets, bshape),
      tolerance: TOL,
    });
  });
}

gpuTest("crossEntropyForward() takes the first maximal index, like torch.argmax", async (g) => {
  // 600 classes: the two equal maxima sit in different invocations' columns (3 and 259, 520 and 7).
  const classes = 600;
  const logits = randomFloats(4 * classes, 5, -2, 1);
  for (const [row, a, b] of [[0, 3, 259], [1, 3, 259], [2, 520, 7], [3, 520, 7]] as const) {
    logits[row * classes + a] = 1.5;
    logits[row * classes + b] = 1.5;
  }
  await checkKernel(g, {
    what: "crossentropy_forward ties",
    inputs: { logits, targets: Int32Array.of(3, 259, 7, 520) },
    outputs: { losses: { size: 4 }, correct: { size: 4 } },
    cpu: (o, i) => {
      cpu.crossEntropyForward(o.losses, o.correct, i.logits, i.targets as Int32Array, {
        rows: 4,
        classes,
      });
      assertClose(o.correct, [1, 0, 1, 0], EXACT, "CPU argmax ties");
    },
    gpu: (o, i) => gpu.crossEntropyForward(g, o.losses, o.correct, i.logits, i.targets, { rows: 4, classes }),
    tolerance: { losses: TOL, correct: EXACT },
  });
});

gpuTest("crossEntropy on the device gives NaN for a target >= classes", async (g) => {
  const logits = g.upload(randomFloats(6, 9), "logits");
  const targets = g.upload(Int32Array.of(3, 1), "targets");
  const losses = g.upload(new Float32Array(2).fill(NaN), "losses");
  const correct = g.upload(new Float32Array(2).fill(NaN), "correct");
  const dlogits = g.tensor(6, "dlogits");
  gpu.crossEntropyForward(g, losses, correct, logits, targets, { rows: 2, classes: 3 });
  gpu.crossEntropyBackward(g, dlogits, logits, targets, { rows: 2, classes: 3, scale: 1 });
  const l = await g.read(losses);
  const d = await g.read(dlogits);
  if (!Number.isNaN(l[0]) || Number.isNaN(l[1])) throw new Error(`expected losses [NaN, finite], got [${l}]`);
  if (!d.slice(0, 3).every(Number.isNaN) || !d.slice(3).every(Number.isFinite)) {
    throw new Error(`expected a NaN first gradient row only, got [${d}]`);
  }
  for (const t of [logits, targets, losses, correct, dlogits]) t.buffer.destroy();
});

gpuTest("crossEntropyForward() rejects too-small logits", async (g) => {
  const losses = g.tensor(4, "losses"), correct = g.tensor(4, "correct");
  const logits = g.tensor(4 * 7 - 1, "logits"), targets = g.tensor(4, "targets");
  let message = "";
  try {
    gpu.crossEntropyForward(g, losses, correct, logits, targets, { rows: 4, classes: 7 });
  } catch (e) {
    message = (e as Error).message;
  }
  if (!message.includes("crossentropy_forward") || !message.includes("needs 28")) {
    throw new Error(`expected an error naming the kernel and size, got "${message}"`);
  }
  // The rejected call recorded nothing: the device still runs.
  await g.sync();
});
