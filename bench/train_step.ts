/**
 * `train_step`: masked-LM training steps of the tiny, mini and small presets at batch 32 x 128 with
 * 15% of positions predicted, in tokens/s, plus the forward-only rate.
 * @module
 */
import type { Gpu } from "../core/device.ts";
import { gpuOps, type Ops } from "../core/ops.ts";
import { BertMlm, type BertShape, type HostBatch, initialParameters } from "../core/bert/model.ts";
import { MlmTrainer } from "../core/bert/trainer.ts";
import { bertPreset, type BertPresetName } from "../core/bert/config.ts";
import { bertShape } from "../core/bert/shape.ts";
import { median } from "./timing.ts";
import type { BenchResult } from "./timing.ts";

function randomBatch(batch: number, seq: number, perSequence: number, vocab: number): HostBatch {
  let x = 7;
  const next = () => (x = (Math.imul(x, 1103515245) + 12345) >>> 0);
  const n = batch * seq;
  const ids = Int32Array.from({ length: n }, () => 1000 + (next() % (vocab - 1000)));
  const positions = new Int32Array(batch * perSequence);
  const labels = new Int32Array(batch * perSequence);
  for (let b = 0; b < batch; b++) {
    const chosen = new Set<number>();
    while (chosen.size < perSequence) chosen.add(1 + (next() % (seq - 2)));
    [...chosen].sort((p, q) => p - q).forEach((t, j) => {
      positions[b * perSequence + j] = b * seq + t;
      labels[b * perSequence + j] = ids[b * seq + t]!;
    });
  }
  return { ids, typeIds: new Int32Array(n), attentionMask: new Int32Array(n).fill(1), positions, labels };
}

// Times a few steps of a fresh model on `ops` (warm-up first); returns the median milliseconds.
async function stepMs<T>(ops: Ops<T>, shape: BertShape, batch: number, seq: number, host: HostBatch) {
  const model = new BertMlm(ops, shape, { batch, seq, predictions: host.positions.length });
  ops.write(model.params, initialParameters(model.layout, 0.02, 1));
  const trainer = new MlmTrainer(ops, model);
  await trainer.trainStep(host, 1e-4);
  const steps: number[] = [];
  for (let r = 0; r < 2; r++) {
    const start = performance.now();
    await trainer.trainStep(host, 1e-4);
    steps.push(performance.now() - start);
  }
  const forwards: number[] = [];
  for (let r = 0; r < 2; r++) {
    const start = performance.now();
    model.setBatch(host);
    await ops.read(model.forward(0, false).loss);
    forwards.push(performance.now() - start);
  }
  return { step: median(steps), forward: median(forwards) };
}

const MATMUL_OPS = new Set(["matmulForward", "matmulBackward"]);
const PLUMBING = new Set(["tensor", "upload", "write", "view", "read", "readInt", "flush"]);

// The same ops with every kernel but the matmuls (and the bias gradients inside their backward)
// turned into no-ops: a step on it costs what the matmuls cost, whatever the values computed.
function matmulsOnly<T>(ops: Ops<T>): Ops<T> {
  return new Proxy(ops, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof prop !== "string" || typeof value !== "function") return value;
      return MATMUL_OPS.has(prop) || PLUMBING.has(prop) ? value : () => {};
    },
  });
}

/**
 * Tokens/s of full steps and of forwards for each preset (`names`: a subset of tiny, mini, small),
 * and the matmuls' share of a step's time.
 */
export async function trainStepBench(
  gpu: Gpu,
  names: BertPresetName[] = ["tiny", "mini", "small"],
  batch = 32,
): Promise<BenchResult[]> {
  const seq = 128, perSequence = Math.round(0.15 * seq);
  const results: BenchResult[] = [];
  const ops = gpuOps(gpu);
  for (const name of names) {
    const shape = bertShape(bertPreset(name));
    const host = randomBatch(batch, seq, perSequence, shape.vocab);
    const full = await stepMs(ops, shape, batch, seq, host);
    const matmuls = await stepMs(matmulsOnly(ops), shape, batch, seq, host);
    const tokens = batch * seq;
    results.push({
      bench: `train_step_${name}`,
      value: tokens / (full.step / 1000),
      unit: "tokens/s",
      batch,
    });
    results.push({
      bench: `forward_${name}`,
      value: tokens / (full.forward / 1000),
      unit: "tokens/s",
      batch,
    });
    results.push({
      bench: `train_step_${name}_matmul_share`,
      value: 100 * matmuls.step / full.step,
      unit: "%",
      batch,
    });
  }
  return results;
}
