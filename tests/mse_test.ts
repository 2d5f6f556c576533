import * as cpu from "../core/cpu/mse.ts";
import * as gpu from "../core/webgpu/mse.ts";
import { assertClose, checkGradient, checkKernel, gpuTest, randomFloats, zeros } from "./_helpers.ts";

// One rounded subtraction (half an ulp of the difference) and one multiply in fp32: relative error ~2e-7.
const TOL = { rtol: 1e-4, atol: 1e-6 };
const SIZES = [1, 45, 4096 * 3 + 1];

Deno.test("mseBackward() (CPU) matches finite differences of the mean loss", () => {
  const rows = 13;
  const targets = Float64Array.from(randomFloats(rows, 2));
  checkGradient({
    what: "mse",
    inputs: { preds: Float64Array.from(randomFloats(rows, 1)) },
    forward: ({ preds }) => {
      const losses = zeros(rows);
      cpu.mseForward(losses, preds, targets, { rows });
      return Float64Array.of(losses.reduce((a, b) => a + b, 0) / rows);
    },
    backward: ({ preds }, dout) => {
      const dpreds = zeros(rows);
      cpu.mseBackward(dpreds, preds, targets, { rows, scale: dout[0]! / rows });
      return { preds: dpreds };
    },
  });
});

Deno.test("mseForward() (CPU) matches known values", () => {
  const losses = zeros(3);
  cpu.mseForward(losses, Float64Array.of(1, -2, 0.5), Float64Array.of(3, -2, -0.25), { rows: 3 });
  assertClose(losses, [4, 0, 0.5625], { rtol: 0, atol: 0 }, "mse losses");
});

for (const rows of SIZES) {
  const preds = randomFloats(rows, rows), targets = randomFloats(rows, rows + 1);
  gpuTest(`mseForward() matches the reference, rows=${rows}`, async (g) => {
    await checkKernel(g, {
      what: "mse_forward",
      inputs: { preds, targets },
      outputs: { losses: { size: rows } },
      cpu: (o, i) => cpu.mseForward(o.losses, i.preds, i.targets, { rows }),
      gpu: (o, i) => gpu.mseForward(g, o.losses, i.preds, i.targets, { rows }),
      tolerance: TOL,
    });
  });
  gpuTest(`mseBackward() matches the reference, rows=${rows}`, async (g) => {
    const shape = { rows, scale: 1 / rows };
    await checkKernel(g, {
      what: "mse_backward",
      inputs: { preds, targets },
      outputs: { dpreds: { size: rows, accumulate: true } },
      cpu: (o, i) => cpu.mseBackward(o.dpreds, i.preds, i.targets, shape),
      gpu: (o, i) => gpu.mseBackward(g, o.dpreds, i.preds, i.targets, shape),
      tolerance: TOL,
    });
  });
}

gpuTest("mseBackward() rejects too-small targets", async (g) => {
  const dpreds = g.tensor(8, "dpreds"), preds = g.tensor(8, "preds"), targets = g.tensor(7, "targets");
  let message = "";
  try {
    gpu.mseBackward(g, dpreds, preds, targets, { rows: 8, scale: 1 });
  } catch (e) {
    message = (e as Error).message;
  }
  if (!message.includes("mse_backward") || !message.includes("needs 8")) {
    throw new Error(`expected an error naming the kernel and size, got "${message}"`);
  }
  // The rejected call recorded nothing: the device still runs.
  await g.sync();
});
