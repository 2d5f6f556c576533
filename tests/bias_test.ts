import * as cpu from "../core/cpu/bias.ts";
import * as gpu from "../core/webgpu/bias.ts";
import { checkGradient, checkKernel, gpuTest, randomFloats, zeros } from "./_helpers.ts";

/** [rows, cols]: a single element, odd sizes, many chunks of one column, a linear layer's bias over
 * 4096 tokens of BERT-base (768 and 3072 columns), and the decoder bias over the vocabulary. */
const SHAPES: [number, number][] = [[1, 1], [3, 7], [45, 65], [5000, 1], [4096, 768], [512, 3072], [
  67,
  30522,
]];

/** Sums of `rows` f32 terms of order 1 (added to a start value in [-2, 2]): the rounding grows like
 * sqrt(rows) ulps of the running sum, so the floor does too; a sum missing one row is off by ~1. */
const tolerance = (rows: number) => ({ rtol: 1e-4, atol: 1e-5 * Math.sqrt(rows) });

Deno.test("biasBackward() (CPU) matches finite differences of a broadcast bias", () => {
  const [rows, cols] = [4, 5];
  checkGradient({
    what: "bias",
    inputs: { bias: Float64Array.from(randomFloats(cols, 1)) },
    // out[r, c] = bias[c]: the forward whose gradient the column sum is.
    forward: ({ bias }) => Float64Array.from({ length: rows * cols }, (_, i) => bias[i % cols]!),
    backward: (_, dout) => {
      const dbias = zeros(cols);
      cpu.biasBackward(dbias, dout, null, { rows, cols });
      return { bias: dbias };
    },
  });
});

Deno.test("biasBackwardScratchSize() stays bounded and covers every row", () => {
  for (
    const [rows, cols] of [...SHAPES, [0, 5], [100000, 1], [16384, 768], [1, 200000]] as [number, number][]
  ) {
    const { chunks, rowsPerChunk } = cpu.biasBackwardPlan({ rows, cols });
    const scratch = cpu.biasBackwardScratchSize({ rows, cols });
    if (chunks * rowsPerChunk < rows || (chunks - 1) * rowsPerChunk >= Math.max(rows, 1)) {
      throw new Error(`${rows}x${cols}: ${chunks} chunks of ${rowsPerChunk} rows do not tile the rows`);
    }
    if (scratch !== chunks * cols || scratch > Math.max(1 << 17, cols) || chunks > 65535) {
      throw new Error(`${rows}x${cols}: scratch ${scratch} for ${chunks} chunks`);
    }
  }
});

for (const [rows, cols] of SHAPES) {
  gpuTest(`biasBackward() matches the reference, ${rows}x${cols}`, async (g) => {
    const shape = { rows, cols };
    const scratch = g.upload(new Float32Array(gpu.biasBackwardScratchSize(shape)).fill(NaN), "scratch");
    await checkKernel(g, {
      what: "bias_backward",
      inputs: { dout: randomFloats(rows * cols, rows * cols) },
      outputs: { dbias: { size: cols, accumulate: true } },
      cpu: (o, i) => cpu.biasBackward(o.dbias, i.dout, null, shape),
      gpu: (o, i) => gpu.biasBackward(g, o.dbias, i.dout, scratch, shape),
      tolerance: tolerance(rows),
    });
    scratch.buffer.destroy();
  });
}

gpuTest("biasBackward() rejects a too-small scratch", async (g) => {
  const shape = { rows: 4096, cols: 768 };
  const need = gpu.biasBackwardScratchSize(shape);
  let message = "";
  try {
    gpu.biasBackward(
      g,
      g.tensor(768, "dbias"),
      g.tensor(4096 * 768, "dout"),
      g.tensor(need - 1, "scratch"),
      shape,
    );
  } catch (e) {
    message = (e as Error).message;
  }
  await g.sync(); // the rejected call recorded nothing: the device still works
  if (
    !message.includes("bias_backward") || !message.includes("scratch") || !message.includes(`needs ${need}`)
  ) {
    throw new Error(`expected an error naming the kernel, tensor and size, got "${message}"`);
  }
});
