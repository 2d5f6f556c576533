import * as cpu from "../core/cpu/fill.ts";
import * as gpu from "../core/webgpu/fill.ts";
import { checkKernel, gpuTest } from "./_helpers.ts";

// The device stores exactly f32(value), as the twin does.
const EXACT = { rtol: 0, atol: 0 };

// The large case (a BERT word-table gradient) only with 0, what the trainer fills it with.
for (const n of [1, 45 * 65, 30522 * 768]) {
  for (const value of n > 1e6 ? [0] : [0, -1.25, 0.1]) {
    gpuTest(`fill() matches the reference, n=${n}, value=${value}`, async (g) => {
      await checkKernel(g, {
        what: "fill",
        inputs: {},
        outputs: { out: { size: n } },
        cpu: (o) => cpu.fill(o.out, { n, value }),
        gpu: (o) => gpu.fill(g, o.out, { n, value }),
        tolerance: EXACT,
      });
    });
  }
}

gpuTest("fill() leaves elements past n alone", async (g) => {
  const out = g.upload(new Float32Array(300).fill(7), "out");
  gpu.fill(g, out, { n: 257, value: 0 });
  const got = await g.read(out);
  out.buffer.destroy();
  got.forEach((v, i) => {
    if (v !== (i < 257 ? 0 : 7)) throw new Error(`element ${i} is ${v}`);
  });
});

gpuTest("fill() rejects a too-small output", (g) => {
  const small = g.tensor(3, "small");
  let message = "";
  try {
    gpu.fill(g, small, { n: 4, value: 0 });
  } catch (e) {
    message = (e as Error).message;
  }
  if (!message.includes('"fill"') || !message.includes("needs 4")) {
    throw new Error(`expected an error naming the kernel and size, got "${message}"`);
  }
  return Promise.resolve();
});

// A zero fill is a clearBuffer between compute passes: it must keep its place among the dispatches
// of one submit, and clear only its view.
gpuTest("fill() with zero keeps its recorded order among kernels and clears only its view", async (g) => {
  const out = g.tensor(200, "out");
  const tail = g.view(out, 64, 100, "tail");
  gpu.fill(g, out, { n: 200, value: 3 });
  gpu.fill(g, tail, { n: 100, value: 0 });
  gpu.fill(g, tail, { n: 10, value: 2 });
  const got = await g.read(out);
  out.buffer.destroy();
  got.forEach((v, i) => {
    const want = i < 64 || i >= 164 ? 3 : i < 74 ? 2 : 0;
    if (v !== want) throw new Error(`element ${i} is ${v}, expected ${want}`);
  });
});
