/**
 * `memory`: device memory of a masked-LM training step for a preset at batch x 128, counted from
 * the tensors the model and trainer allocate (the device layer adds a few small scratch buffers).
 * Runs no kernel: a counting backend records allocations while the step is recorded.
 * @module
 */
import { BertMlm, type HostBatch } from "../core/bert/model.ts";
import { bertPreset } from "../core/bert/config.ts";
import { bertShape } from "../core/bert/shape.ts";
import { MlmTrainer } from "../core/bert/trainer.ts";
import { countingOps } from "../core/counting_ops.ts";
import type { BenchResult } from "./timing.ts";

const MB = 1024 * 1024;

/** Bytes of parameters + gradients + AdamW moments, and of everything else, for `base`. */
export async function memoryBench(batch = 32, seq = 128): Promise<BenchResult[]> {
  const shape = bertShape(bertPreset("base"));
  const predictions = batch * Math.round(0.15 * seq);
  const { ops, allocated } = countingOps();
  const model = new BertMlm(ops, shape, { batch, seq, predictions });
  const trainer = new MlmTrainer(ops, model);
  const n = batch * seq;
  const host: HostBatch = {
    ids: new Int32Array(n).fill(1000),
    typeIds: new Int32Array(n),
    attentionMask: new Int32Array(n).fill(1),
    positions: Int32Array.from({ length: predictions }, (_, i) => i),
    labels: new Int32Array(predictions).fill(1000),
  };
  await trainer.trainStep(host, 1e-4);
  const state = 4 * 4 * model.layout.size;
  const total = allocated();
  return [
    { bench: "memory_base_total", value: total / MB, unit: "MiB", batch },
    { bench: "memory_base_params_grads_adam", value: state / MB, unit: "MiB", batch },
    { bench: "memory_base_activations_and_scratch", value: (total - state) / MB, unit: "MiB", batch },
  ];
}
