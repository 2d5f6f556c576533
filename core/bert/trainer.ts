/**
 * One training step entirely on the backend, for any model over the BERT encoder (masked-LM,
 * sequence classification, ...): batch upload, forward, loss, backward, global gradient-norm
 * clipping, AdamW (no decay on biases and LayerNorm). Only the loss (and, when asked, the count
 * of correct predictions) comes back to the host.
 *
 * @example
 * ```ts
 * import { cpuOps } from "./core/ops.ts";
 * import { bertPreset } from "./core/bert/config.ts";
 * import { BertClassifier, type ClassifierBatch } from "./core/bert/classifier.ts";
 * import { initialParameters } from "./core/bert/model.ts";
 * import { bertShape } from "./core/bert/shape.ts";
 * import { Trainer } from "./core/bert/trainer.ts";
 *
 * const ops = cpuOps();
 * const model = new BertClassifier(ops, bertShape(bertPreset("tiny")), { batch: 2, seq: 4 }, { numLabels: 2 });
 * ops.write(model.params, initialParameters(model.layout, 0.02, 1));
 * const trainer = new Trainer(ops, model, { labelled: (b: ClassifierBatch) => b.labels!.length });
 * const batch: ClassifierBatch = {
 *   ids: Int32Array.of(101, 2204, 102, 0, 101, 2919, 102, 0),
 *   typeIds: new Int32Array(8),
 *   attentionMask: Int32Array.of(1, 1, 1, 0, 1, 1, 1, 0),
 *   labels: Int32Array.of(1, 0),
 * };
 * const { loss, accuracy } = await trainer.trainStep(batch, 2e-5, { accuracy: true });
 * ```
 * @module
 */
import type { Ops } from "../ops.ts";
import { reduceScratchSize } from "../cpu/reduce.ts";
import { decayRangeTable } from "../cpu/adamw.ts";
import type { Layout } from "./layout.ts";
import type { BackwardOptions, BertMlm, HostBatch } from "./model.ts";
import { chunkCount, forChunks } from "./chunks.ts";
import { LossScaler } from "../loss_scaler.ts";

/** AdamW and clipping settings (METHOD.md §5 defaults). */
export interface TrainerOptions {
  /** Decay rate of the first-moment average `m`. */
  beta1: number;
  /** Decay rate of the second-moment average `v`. */
  beta2: number;
  /** Added to the root of the bias-corrected `v` in the update's denominator. */
  eps: number;
  /** Decoupled weight decay, on the tensors whose layout entry says `decay`. */
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
  /** The model's loss: its mean over the batch's labelled items. */
  loss: number;
  /** Fraction of labelled items predicted right (when asked for). */
  accuracy?: number;
  /**
   * Mixed precision only: the gradients overflowed at the loss scale, so no update was applied and
   * the scale was halved (PyTorch's GradScaler skips such steps the same way).
   */
  skipped?: boolean;
  /** Mixed precision only: the loss scale this step's gradients were computed with. */
  lossScale?: number;
}

/**
 * What a checkpoint keeps of a mixed-precision trainer besides its step and moments: AdamW's own
 * step count (skipped steps do not advance it) and the loss scaler's state. Empty for fp32.
 */
export interface TrainerExtraState {
  /** Updates applied (AdamW's bias-correction step); the trainer's step when absent. */
  adam_updates?: number;
  /** The loss scale to continue with. */
  loss_scale?: number;
  /** Good steps since the scale last changed. */
  loss_scale_good_steps?: number;
}

/**
 * What the trainer needs of a model: the flat parameter and gradient buffers with their layout,
 * and a batch upload, a forward that returns the mean loss and the count of correct predictions
 * (one element each), and a backward that fills zeroed gradients. {@linkcode BertMlm} and
 * `BertClassifier` are such models.
 */
export interface TrainableModel<T, Batch> {
  /** Where each tensor sits in `params` and `grads`; its `decay` flags select AdamW's weight decay. */
  readonly layout: Layout;
  /** All parameters in one flat buffer, updated in place by the trainer. */
  readonly params: T;
  /** The parameters' gradients, laid out as `params`. */
  readonly grads: T;
  /** Uploads the batch the next forward reads. */
  setBatch(batch: Batch): void;
  /** Records the forward: one-element `loss` and `correct`. `step` keys dropout, `train` turns it on. */
  forward(step: number, train: boolean): { loss: T; correct: T };
  /** Fills zeroed gradients; with `accumulate`, adds to them, the loss gradient scaled by `scale`. */
  backward(step: number, train: boolean, options?: BackwardOptions): void;
}

/** Options of {@linkcode Trainer}: AdamW's settings, and how to count a batch's labelled items. */
export interface GenericTrainerOptions<Batch> extends Partial<TrainerOptions> {
  /** The denominator of `accuracy`, the batch's labelled items (default 1: `accuracy` is the count). */
  labelled?: (batch: Batch) => number;
}

/** Holds the AdamW moments (mirroring the parameter layout) and runs steps on any {@linkcode TrainableModel}. */
export class Trainer<T, Batch> {
  /** AdamW's first moments, laid out as the model's parameters. */
  readonly m: T;
  /** AdamW's second moments, laid out as the model's parameters. */
  readonly v: T;
  readonly #ops: Ops<T>;
  readonly #model: TrainableModel<T, Batch>;
  readonly #options: TrainerOptions;
  readonly #labelled: (batch: Batch) => number;
  readonly #norm: T;
  readonly #scratch: T;
  readonly #chunkNorms: T | null;
  readonly #decayRanges: T;
  // Mixed precision's loss scaler (null in fp32), and the updates applied: the step count AdamW's
  // bias correction uses, which skipped steps do not advance.
  #scaler: LossScaler | null;
  #step = 0;
  #updates = 0;

  /**
   * Allocates zeroed moments and the clipping buffers for `model`; AdamW settings not given are
   * {@linkcode DEFAULT_TRAINER_OPTIONS}.
   */
  constructor(ops: Ops<T>, model: TrainableModel<T, Batch>, options: GenericTrainerOptions<Batch> = {}) {
    const { labelled, ...adamw } = options;
    this.#ops = ops;
    this.#model = model;
    this.#options = { ...DEFAULT_TRAINER_OPTIONS, ...adamw };
    this.#labelled = labelled ?? (() => 1);
    const n = model.layout.size;
    this.m = ops.tensor(n, "adam m");
    this.v = ops.tensor(n, "adam v");
    this.#norm = ops.tensor(1, "gradient norm");
    const chunks = chunkCount(ops, n);
    this.#chunkNorms = chunks > 1 ? ops.tensor(64 * chunks, "gradient norm per chunk") : null;
    this.#scratch = ops.tensor(reduceScratchSize(Math.min(n, ops.maxBinding)), "gradient norm scratch");
    this.#decayRanges = ops.upload(decayRangeTable(model.layout.entries), "weight decay ranges");
    this.#scaler = ops.precision === "mixed" ? new LossScaler() : null;
  }

  /** Optimizer steps taken so far. */
  get step(): number {
    return this.#step;
  }

  /**
   * What a checkpoint must keep besides `step`, `m` and `v` to continue exactly: empty in fp32; in
   * mixed precision the updates applied and the loss scaler's state.
   */
  extraState(): TrainerExtraState {
    if (!this.#scaler) return {};
    const { scale, goodSteps } = this.#scaler.state();
    return { adam_updates: this.#updates, loss_scale: scale, loss_scale_good_steps: goodSteps };
  }

  /**
   * Continues from a saved state: `step` steps were taken, and `m`, `v` hold their moments; `extra`
   * is {@linkcode extraState}'s record from the same checkpoint (a checkpoint without it, such as an
   * fp32 one, continues with every step applied and a fresh loss scale).
   */
  restore(step: number, m: Float32Array, v: Float32Array, extra: TrainerExtraState = {}): void {
    if (!Number.isInteger(step) || step < 0) throw new RangeError(`Cannot restore step ${step}`);
    const updates = extra.adam_updates ?? step;
    if (!Number.isInteger(updates) || updates < 0 || updates > step) {
      throw new RangeError(`Cannot restore ${updates} AdamW updates after ${step} steps`);
    }
    this.#ops.write(this.m, m);
    this.#ops.write(this.v, v);
    this.#step = step;
    this.#updates = updates;
    if (this.#scaler && extra.loss_scale !== undefined) {
      this.#scaler = new LossScaler({ scale: extra.loss_scale, goodSteps: extra.loss_scale_good_steps ?? 0 });
    }
  }

  /** One step at learning rate `lr`; `accuracy` also reads back the count of correct predictions. */
  trainStep(batch: Batch, lr: number, options: { accuracy?: boolean } = {}): Promise<StepResult> {
    return this.trainAccumulated([batch], lr, options);
  }

  /**
   * One optimizer step over micro-batches (gradient accumulation): each micro-batch's backward adds
   * to the gradients with its loss scaled by 1 / (labelled items of all of them), so the sum is the
   * gradient of the whole batch's mean loss, as one big batch gives; then one clip and one AdamW
   * update. Each micro-batch has its own dropout masks. One micro-batch is exactly `trainStep`.
   */
  async trainAccumulated(
    batches: readonly Batch[],
    lr: number,
    { accuracy = false }: { accuracy?: boolean } = {},
  ): Promise<StepResult> {
    if (batches.length === 0) throw new RangeError(`Cannot train a step without batches`);
    const ops = this.#ops;
    const model = this.#model;
    const step = ++this.#step;
    const k = batches.length;
    const lossScale = this.#scaler?.scale;
    const scaled = lossScale === undefined ? {} : { lossScale };
    if (k === 1) {
      model.setBatch(batches[0]!);
      const { loss, correct } = model.forward(step, true);
      model.backward(step, true, scaled);
      const applied = await this.#update(lr);
      const result: StepResult = {
        loss: (await ops.read(loss))[0]!,
        ...this.#mixedResult(applied, lossScale),
      };
      if (accuracy) {
        result.accuracy = (await ops.read(correct))[0]! / Math.max(1, this.#labelled(batches[0]!));
      }
      return result;
    }
    const counts = batches.map((b) => this.#labelled(b));
    const total = Math.max(1, counts.reduce((a, b) => a + b, 0));
    let lossSum = 0, correctSum = 0;
    for (let i = 0; i < k; i++) {
      // A batch upload must not overtake recorded kernels, so each micro-batch's loss is read first.
      model.setBatch(batches[i]!);
      const key = (step - 1) * k + i + 1;
      const { loss, correct } = model.forward(key, true);
      model.backward(key, true, { accumulate: i > 0, scale: 1 / total, ...scaled });
      lossSum += (await ops.read(loss))[0]! * counts[i]!;
      if (accuracy) correctSum += (await ops.read(correct))[0]!;
    }
    const applied = await this.#update(lr);
    await ops.flush();
    const result: StepResult = { loss: lossSum / total, ...this.#mixedResult(applied, lossScale) };
    if (accuracy) result.accuracy = correctSum / total;
    return result;
  }

  #mixedResult(applied: boolean, lossScale: number | undefined): Partial<StepResult> {
    return lossScale === undefined ? {} : { skipped: !applied, lossScale };
  }

  // The global gradient norm, then clipping and AdamW on every tensor (no decay where the layout
  // says). With a loss scaler the norm is read first: a non-finite one skips the update (the
  // scaler halves), a finite one is divided out of the gradients inside the update. Returns whether
  // the update was applied.
  async #update(lr: number): Promise<boolean> {
    const ops = this.#ops;
    const model = this.#model;
    const o = this.#options;
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
    let unscale = 1;
    if (this.#scaler) {
      const scale = this.#scaler.scale;
      const norm = (await ops.read(this.#norm))[0]!;
      if (!this.#scaler.update(Number.isFinite(norm))) return false;
      unscale = 1 / scale;
    }
    const step = ++this.#updates;
    // Clipping and AdamW in one pass per chunk; weight decay only inside the layout's decay ranges.
    let offset = 0;
    forChunks(ops, model.params, n, "params", (params, size) => {
      const view = (t: T, what: string) =>
        size === n ? t : ops.view(t, offset, size, `${what}[${offset}..${offset + size})`);
      ops.adamwMulti(
        params,
        view(model.grads, "grads"),
        view(this.m, "m"),
        view(this.v, "v"),
        this.#norm,
        this.#decayRanges,
        {
          n: size,
          offset,
          lr,
          beta1: o.beta1,
          beta2: o.beta2,
          eps: o.eps,
          weightDecay: o.weightDecay,
          step,
          maxNorm: o.maxGradNorm,
          unscale,
        },
      );
      offset += size;
    });
    return true;
  }
}

/**
 * The {@linkcode TrainerExtraState} fields of a checkpoint's metadata; `where` names the file in
 * the error when one is there but not a finite number.
 */
export function trainerExtraState(meta: Record<string, unknown>, where: string): TrainerExtraState {
  const extra: TrainerExtraState = {};
  for (const key of ["adam_updates", "loss_scale", "loss_scale_good_steps"] as const) {
    const value = meta[key];
    if (value === undefined) continue;
    if (typeof value !== "number" || !Number.isFinite(value)) {
      throw new Error(
        `Invalid optimizer state "${where}": "${key}" must be a finite number, got ${JSON.stringify(value)}`,
      );
    }
    extra[key] = value;
  }
  return extra;
}

/** The masked-LM trainer: a {@linkcode Trainer} whose accuracy counts the labelled positions. */
export class MlmTrainer<T> extends Trainer<T, HostBatch> {
  /** AdamW settings not given are {@linkcode DEFAULT_TRAINER_OPTIONS}. */
  constructor(ops: Ops<T>, model: BertMlm<T>, options: Partial<TrainerOptions> = {}) {
    super(ops, model, {
      ...options,
      labelled: (batch) => batch.labels.reduce((c, l) => c + (l >= 0 ? 1 : 0), 0),
    });
  }
}
