/**
 * `finetune_step_tiny`: GLUE fine-tuning steps of the tiny preset (a 2-label classifier: encoder,
 * pooler, classifier, cross-entropy, clipping and AdamW) at batch x 128 tokens, in tokens/s, as
 * `deno task glue` runs them; plus `finetune_eval_tiny`, the forward-only rate of its evaluation.
 * @module
 */
import type { Gpu } from "../core/device.ts";
import { gpuOps } from "../core/ops.ts";
import { BertClassifier, type ClassifierBatch } from "../core/bert/classifier.ts";
import { initialParameters } from "../core/bert/model.ts";
import { Trainer } from "../core/bert/trainer.ts";
import { bertPreset, type BertPresetName } from "../core/bert/config.ts";
import { bertShape } from "../core/bert/shape.ts";
import { median } from "./timing.ts";
import type { BenchResult } from "./timing.ts";

/** A batch of sentence pairs of random lengths (at least half the sequence), padded to `seq`. */
function randomBatch(batch: number, seq: number, vocab: number): ClassifierBatch {
  let x = 11;
  const next = () => (x = (Math.imul(x, 1103515245) + 12345) >>> 0);
  const n = batch * seq;
  const ids = new Int32Array(n), typeIds = new Int32Array(n), attentionMask = new Int32Array(n);
  for (let b = 0; b < batch; b++) {
    const length = seq / 2 + (next() % (seq / 2 + 1));
    const split = 1 + (next() % (length - 2));
    for (let t = 0; t < length; t++) {
      ids[b * seq + t] = 1000 + (next() % (vocab - 1000));
      typeIds[b * seq + t] = t > split ? 1 : 0;
      attentionMask[b * seq + t] = 1;
    }
  }
  const labels = Int32Array.from({ length: batch }, () => next() % 2);
  return { ids, typeIds, attentionMask, labels };
}

/** Tokens/s of fine-tuning steps and of evaluation forwards for each preset in `names`. */
export async function finetuneStepBench(
  gpu: Gpu,
  names: BertPresetName[] = ["tiny"],
  batch = 32,
): Promise<BenchResult[]> {
  const seq = 128;
  const ops = gpuOps(gpu);
  const results: BenchResult[] = [];
  for (const name of names) {
    const shape = bertShape(bertPreset(name));
    const host = randomBatch(batch, seq, shape.vocab);
    const model = new BertClassifier(ops, shape, { batch, seq }, { numLabels: 2 });
    ops.write(model.params, initialParameters(model.layout, 0.02, 1));
    const trainer = new Trainer(ops, model);
    await trainer.trainStep(host, 2e-5); // warm-up: pipelines compiled, buffers made
    const steps: number[] = [];
    for (let r = 0; r < 3; r++) {
      const start = performance.now();
      await trainer.trainStep(host, 2e-5);
      steps.push(performance.now() - start);
    }
    const forwards: number[] = [];
    for (let r = 0; r < 3; r++) {
      const start = performance.now();
      model.setBatch(host);
      model.forward(0, false);
      await ops.read(model.logits());
      forwards.push(performance.now() - start);
    }
    const tokens = batch * seq;
    results.push({
      bench: `finetune_step_${name}`,
      value: tokens / (median(steps) / 1000),
      unit: "tokens/s",
      batch,
      seq,
    });
    results.push({
      bench: `finetune_eval_${name}`,
      value: tokens / (median(forwards) / 1000),
      unit: "tokens/s",
      batch,
      seq,
    });
  }
  return results;
}
