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
