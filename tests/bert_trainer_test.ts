import { cpuOps, gpuOps, type Ops } from "../core/ops.ts";
import { BertMlm, initialParameters } from "../core/bert/model.ts";
import { MlmTrainer, type StepResult } from "../core/bert/trainer.ts";
import { chunkCount } from "../core/bert/chunks.ts";
import { TINY_BATCH, TINY_SHAPE, tinyBatch } from "./_tiny_mlm.ts";
import { assertClose, gpuTest } from "./_helpers.ts";

const SHAPE = TINY_SHAPE;
const BATCH = TINY_BATCH;
const fixedBatch = tinyBatch;

async function losses<T>(ops: Ops<T>, steps: number, lr: number): Promise<number[]> {
  const model = new BertMlm(ops, SHAPE, BATCH);
  ops.write(model.params, initialParameters(model.layout, 0.02, 7));
  const trainer = new MlmTrainer(ops, model);
  const batch = fixedBatch();
  const out: number[] = [];
  for (let s = 0; s < steps; s++) out.push((await trainer.trainStep(batch, lr)).loss);
  return out;
}

gpuTest("10 AdamW steps give the same loss sequence on the device as on the CPU", async (g) => {
  const ref = await losses(cpuOps(), 10, 1e-3);
  const got = await losses(gpuOps(g), 10, 1e-3);
  // Ten updates compound f32 differences in reductions; the sequences agree to ~1e-5 relative.
  assertClose(got, ref, { rtol: 1e-4, atol: 0 }, `loss sequence [${g.backend}]`);
  if (!(ref[9]! < ref[0]!)) throw new Error(`loss did not fall: ${ref}`);
});

gpuTest("a tiny BERT overfits one batch: masked-LM loss below 0.1", async (g) => {
  const ops = gpuOps(g);
  const model = new BertMlm(ops, SHAPE, BATCH);
  ops.write(model.params, initialParameters(model.layout, 0.02, 7));
  const trainer = new MlmTrainer(ops, model, { weightDecay: 0 });
  const batch = fixedBatch();
  let last: StepResult = { loss: Infinity };
  for (let s = 0; s < 300 && last.loss >= 0.1; s++) {
    last = await trainer.trainStep(batch, 3e-3, { accuracy: true });
  }
  if (!(last.loss < 0.1)) throw new Error(`loss still ${last.loss} after ${trainer.step} steps`);
  if (last.accuracy !== 1) throw new Error(`accuracy ${last.accuracy}`);
});

gpuTest("training steps over parameters bound in chunks (a tiny binding limit) match the CPU", async (g) => {
  // 4,096-element bindings split this model's 20,928 parameter slots into 6 chunks: the gradient
  // norm, clipping and zeroing then run chunk by chunk, as for bert-base on a 128 MiB-binding adapter.
  const ops = gpuOps(g, { maxBinding: 4096 });
  const size = new BertMlm(cpuOps(), SHAPE, BATCH).layout.size;
  if (chunkCount(ops, size) !== 6) {
    throw new Error(`expected 6 chunks of ${size}, got ${chunkCount(ops, size)}`);
  }
  const ref = await losses(cpuOps(), 4, 1e-3);
  const got = await losses(ops, 4, 1e-3);
  assertClose(got, ref, { rtol: 1e-4, atol: 0 }, `loss sequence, chunked [${g.backend}]`);
});
