/**
 * One masked-LM training step entirely on the backend: batch upload, forward, loss, backward,
 * global gradient-norm clipping, AdamW (no decay on biases and LayerNorm). Only the loss (and, when
 * asked, the count of correct predictions) comes back to the host.
 * @module
 */
import type { Ops } from "../ops.ts";
import { reduceScratchSize } from "../cpu/reduce.ts";
import type { BertMlm, HostBatch } from "./model.ts";
import { chunkCount, forChunks } from "./chunks.ts";

/** AdamW and clipping settings (METHOD.md §5 defaults). */
export interface TrainerOptions {
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** Global L2 norm the gradients are clipped to (PyTorch's clip_grad_norm_). */
  maxGradNorm: number;
}

/** BERT's AdamW settings as METHOD.md specifies them. */
export const DEFAULT_TRAINER_OPTIONS: TrainerOptions = {
  beta1: 0.9,
  beta2: 0.999,
  eps: 1e-6,
  weightDecay: 0.01,
  maxGradNorm: 1,
};

/** What a step reports. */
export interface StepResult {
  /** Mean cross-entropy over the labelled positions. */
  loss: number;
  /** Fraction of labelled positions predicted right (when asked for). */
  accuracy?: number;
}

/** Holds the AdamW moments (mirroring the parameter layout) and runs steps. */
export class MlmTrainer<T> {
  readonly m: T;
  readonly v: T;
  readonly #ops: Ops<T>;
  readonly #model: BertMlm<T>;
  readonly #options: TrainerOptions;
  readonly #norm: T;
  readonly #scratch: T;
  readonly #chunkNorms: T | null;
  #step = 0;

  constructor(ops: Ops<T>, model: BertMlm<T>, options: Partial<TrainerOptions> = {}) {
    this.#ops = ops;
    this.#model = model;
    this.#options = { ...DEFAULT_TRAINER_OPTIONS, ...options };
    const n = model.layout.size;
    this.m = ops.tensor(n, "adam m");
    this.v = ops.tensor(n, "adam v");
    this.#norm = ops.tensor(1, "gradient norm");
    const chunks = chunkCount(ops, n);
    this.#chunkNorms = chunks > 1 ? ops.tensor(64 * chunks, "gradient norm per chunk") : null;
    this.#scratch = ops.tensor(reduceScratchSize(Math.min(n, ops.maxBinding)), "gradient norm scratch");
  }

  /** Optimizer steps taken so far. */
  get step(): number {
    return this.#step;
  }

  /** Continues from a saved state: `step` updates were taken, and `m`, `v` hold their moments. */
  restore(step: number, m: Float32Array, v: Float32Array): void {
    if (!Number.isInteger(step) || step < 0) throw new RangeError(`Cannot restore step ${step}`);
    this.#ops.write(this.m, m);
    this.#ops.write(this.v, v);
    this.#step = step;
  }

  /** One step at learning rate `lr`; `accuracy` also reads back the count of correct predictions. */
  async trainStep(batch: HostBatch, lr: number, { accuracy = false } = {}): Promise<StepResult> {
    const ops = this.#ops;
    const model = this.#model;
    const o = this.#options;
    const step = ++this.#step;
    model.setBatch(batch);
    const { loss, correct } = model.forward(step, true);
    model.backward(step, true);
    const n = model.layout.size;
    if (this.#chunkNorms) {
      // Per-chunk norms, 64 apart (aligned views), then the norm of the norms.
      let i = 0;
      forChunks(ops, model.grads, n, "gradients", (g, size) => {
        ops.gradNorm(ops.view(this.#chunkNorms!, 64 * i++, 1, "chunk norm"), this.#scratch, g, { n: size });
      });
      ops.gradNorm(this.#norm, this.#scratch, this.#chunkNorms, { n: 64 * i });
    } else {
      ops.gradNorm(this.#norm, this.#scratch, model.grads, { n });
    }
    forChunks(ops, model.grads, n, "gradients", (g, size) => {
      ops.clipGradients(g, this.#norm, { n: size, maxNorm: o.maxGradNorm });
    });
    for (const e of model.layout.entries) {
      const view = (t: T, what: string) => ops.view(t, e.offset, e.size, `${what} ${e.name}`);
      ops.adamwUpdate(
        view(model.params, "param"),
        view(model.grads, "grad"),
        view(this.m, "m"),
        view(this.v, "v"),
        {
          n: e.size,
          lr,
          beta1: o.beta1,
          beta2: o.beta2,
          eps: o.eps,
          weightDecay: e.decay ? o.weightDecay : 0,
          step,
        },
      );
    }
    const result: StepResult = { loss: (await ops.read(loss))[0]! };
    if (accuracy) {
      const labelled = batch.labels.reduce((c, l) => c + (l >= 0 ? 1 : 0), 0);
      result.accuracy = (await ops.read(correct))[0]! / Math.max(1, labelled);
    }
    return result;
  }
}
