/**
 * Fine-tuning and evaluation of one GLUE task on any backend: a `BertClassifier` (cross-entropy,
 * or mean squared error for STS-B) started from a checkpoint, trained with AdamW, clipping and a
 * linear warm-up/decay schedule, then run over the dev sets (metrics) and test sets (predictions).
 *
 * Batches have a fixed shape (`batch` x `seq`, see `encode.ts`), so the device records the same
 * graph every step. Training batches are always full: the epochs' seeded permutations form one
 * stream cut into batches (`sampling.ts`), as BERT's `run_classifier.py` repeats its dataset and
 * drops the remainder, so no padded row enters a loss (the MSE head has no ignore index). An
 * evaluation batch past the end of a set is padded, and the padded rows' outputs are dropped
 * before any metric or prediction file sees them.
 *
 * One {@linkcode TaskFineTuner} serves every run of a task (learning rates x seeds): the runs share
 * one parameter buffer, reset from the checkpoint at the start of each run; each seed has its own
 * model (its dropout masks are keyed by the seed) and optimizer state.
 *
 * @example
 * ```ts
 * import { cpuOps } from "../core/ops.ts";
 * import { loadBertClassifierDir } from "../core/checkpoint/bert_dir.ts";
 * import { TaskFineTuner } from "./finetune.ts";
 *
 * const checkpoint = await loadBertClassifierDir("runs/x/checkpoint", { numLabels: 2 });
 * const tuner = new TaskFineTuner(cpuOps(), checkpoint, sets, { batch: 32, dropout: 0.1 });
 * const run = await tuner.run({ lr: 2e-5, epochs: 3, warmup: 0.1, seed: 1 });
 * console.log(run.metrics, run.score);
 * ```
 * @module
 */
import { logToStderr } from "../util/stdio.ts";
import { BertClassifier, type ClassifierBatch } from "../core/bert/classifier.ts";
import { initializeTensors, type LoadedBertClassifier } from "../core/checkpoint/bert_dir.ts";
import type { Ops } from "../core/ops.ts";
import { Trainer } from "../core/bert/trainer.ts";
import { linearWarmupSchedule } from "../core/schedule.ts";
import { type EncodedSet, evaluationBatch, trainingBatch } from "./encode.ts";
import { type DevMetrics, evaluateDevSet, taskScore } from "./metrics.ts";
import { Progress, type ProgressOptions } from "../util/progress.ts";
import { TrainingOrder, trainingSteps } from "./sampling.ts";
import type { GlueDevSetName, GlueScoredTask, GlueSubmissionName } from "./sets.ts";

/** A task's encoded data, ready for the model. */
export interface TaskSets {
  /** The task. */
  readonly task: GlueScoredTask;
  /** Outputs of the head: the number of labels, or 1 for regression (STS-B). */
  readonly numLabels: number;
  /** Tokens per padded sequence (see `sequenceLength`). */
  readonly seq: number;
  /** The training examples (possibly a sample), or null when only evaluating. */
  readonly train: EncodedSet | null;
  /** Per seed, the rows of `train` that seed trains on (its own sample); absent: every row. */
  readonly trainRows?: ReadonlyMap<number, Int32Array>;
  /** The labelled dev sets (MNLI: matched and mismatched). */
  readonly dev: readonly { readonly set: GlueDevSetName; readonly data: EncodedSet }[];
  /** The unlabelled test sets present (MNLI: matched, mismatched and AX). */
  readonly test: readonly { readonly name: GlueSubmissionName; readonly data: EncodedSet }[];
}

/** Settings shared by every run of a task (they fix the device graph). */
export interface TaskFineTunerOptions {
  /** Sequences per batch, for training and evaluation. */
  batch: number;
  /** Dropout on embeddings, attention, hidden states and before the classifier. */
  dropout: number;
  /** How progress bars draw (default: stderr, in place on a terminal). */
  progress?: ProgressOptions;
  /** Receives one line per run (default: stderr). */
  log?: (line: string) => void;
}

/** The settings of one run. */
export interface RunSettings {
  /** Peak learning rate. */
  lr: number;
  /** Epochs over the training examples (may be fractional). */
  epochs: number;
  /** Warm-up as a fraction of the run's steps. */
  warmup: number;
  /** Seeds the head's initialisation, the data order and the dropout masks. */
  seed: number;
}

/** What one run gives. */
export interface RunResult {
  /** The run's peak learning rate. */
  readonly lr: number;
  /** The run's seed. */
  readonly seed: number;
  /** Dev metrics (fractions) of every dev set. */
  readonly metrics: DevMetrics;
  /** The task score x100. */
  readonly score: number;
  /** Dev predictions per set: class ids, or scores for STS-B. */
  readonly predictions: Readonly<Partial<Record<GlueDevSetName, Float64Array>>>;
  /** Optimizer steps taken. */
  readonly steps: number;
  /** Mean training loss over the last tenth of the steps. */
  readonly loss: number;
  /** Mean training loss over every step (HuggingFace's `train_loss`). */
  readonly trainLoss: number;
  /** Training examples per epoch (this seed's sample when capped). */
  readonly trainExamples: number;
  /** Wall time of training alone, in seconds. */
  readonly trainSeconds: number;
  /** Mean loss per dev example of every dev set: cross-entropy, or squared error for STS-B. */
  readonly devLoss: Readonly<Partial<Record<GlueDevSetName, number>>>;
  /** Wall time of training and evaluation, in seconds. */
  readonly wallSeconds: number;
}

/** What {@linkcode TaskFineTuner.evaluate} gives. */
export interface DevEvaluation {
  /** Dev metrics (fractions) of every dev set. */
  readonly metrics: DevMetrics;
  /** Dev predictions per set: class ids, or scores for STS-B. */
  readonly predictions: Partial<Record<GlueDevSetName, Float64Array>>;
  /** Mean loss per dev example of every dev set: cross-entropy, or squared error for STS-B. */
  readonly devLoss: Partial<Record<GlueDevSetName, number>>;
}

/** The model and optimizer state of one seed. */
interface SeedModel<T> {
  model: BertClassifier<T>;
  /** Made on the first training run (evaluation needs no optimizer state). */
  trainer: Trainer<T, ClassifierBatch> | null;
}

/** Runs, evaluates and predicts one task; see the module's description. */
export class TaskFineTuner<T> {
  /** The backend every run trains and evaluates on. */
  readonly ops: Ops<T>;
  /** The task's encoded train, dev and test sets. */
  readonly sets: TaskSets;
  /** The parameters each run starts from. */
  readonly checkpoint: LoadedBertClassifier;
  readonly #options: TaskFineTunerOptions;
  readonly #models = new Map<number, SeedModel<T>>();
  readonly #log: (line: string) => void;
  #params: T | null = null;
  #current: BertClassifier<T> | null = null;

  /**
   * A tuner for `sets` starting from `checkpoint`; RangeError when the checkpoint's head does not
   * have the task's `numLabels` outputs, or `batch` is not a positive integer.
   */
  constructor(ops: Ops<T>, checkpoint: LoadedBertClassifier, sets: TaskSets, options: TaskFineTunerOptions) {
    if (checkpoint.numLabels !== sets.numLabels) {
      throw new RangeError(
        `Cannot fine-tune ${sets.task}: the checkpoint's head has ${checkpoint.numLabels} outputs, the task needs ${sets.numLabels}`,
      );
    }
    if (!Number.isInteger(options.batch) || options.batch < 1) {
      throw new RangeError(
        `Cannot fine-tune ${sets.task}: batch must be a positive integer, got ${options.batch}`,
      );
    }
    this.ops = ops;
    this.checkpoint = checkpoint;
    this.sets = sets;
    this.#options = options;
    this.#log = options.log ?? logToStderr;
  }

  /** The model of the last run or {@linkcode useCheckpoint}. */
  get model(): BertClassifier<T> {
    if (!this.#current) throw new Error(`No ${this.sets.task} model yet: run or useCheckpoint() first`);
    return this.#current;
  }

  /**
   * Makes the checkpoint itself the current model, without training (evaluation of a fine-tuned
   * classifier); a head the checkpoint lacks is initialised from `seed`.
   */
  useCheckpoint(seed = 1): void {
    const { model } = this.#seedModel(seed);
    this.#current = model;
    this.#writeCheckpoint(model, seed);
  }

  /**
   * One run: the checkpoint's parameters (the head initialised from `seed` where the checkpoint
   * has none), `ceil(epochs * n / batch)` AdamW steps, then every dev set evaluated.
   */
  async run(settings: RunSettings): Promise<RunResult> {
    const train = this.sets.train;
    if (train === null || train.n === 0) {
      throw new Error(`Cannot fine-tune ${this.sets.task}: no training examples`);
    }
    const start = performance.now();
    const seeded = this.#seedModel(settings.seed);
    const model = seeded.model;
    const trainer = seeded.trainer ??= new Trainer(this.ops, model, {
      labelled: labelledRows,
    });
    this.#current = model;
    this.#writeCheckpoint(model, settings.seed);
    const zeros = new Float32Array(model.layout.size);
    trainer.restore(0, zeros, zeros);
    const B = this.#options.batch;
    const rows = this.sets.trainRows?.get(settings.seed) ?? null;
    if (this.sets.trainRows && !rows) {
      throw new Error(`Internal error: ${this.sets.task} has no training sample for seed ${settings.seed}`);
    }
    const n = rows ? rows.length : train.n;
    const batchRows = (step: number) => {
      const b = order.batch(step);
      return rows ? b.map((i) => rows[i]!) : b;
    };
    const steps = trainingSteps(n, settings.epochs, B);
    const schedule = linearWarmupSchedule({
      baseLr: settings.lr,
      totalSteps: steps,
      warmupRatio: settings.warmup,
    });
    const order = new TrainingOrder(n, B, settings.seed);
    const label = `${this.sets.task} lr ${formatLr(settings.lr)} seed ${settings.seed}`;
    const bar = new Progress({
      label: `${label} train`,
      total: steps,
      unit: "steps",
      ...this.#options.progress,
    });
    const tail = Math.max(1, Math.ceil(steps / 10));
    let tailLoss = 0, lossSum = 0, ema = NaN;
    let next = trainingBatch(train, batchRows(0), this.sets.seq);
    for (let s = 0; s < steps; s++) {
      const pending = trainer.trainStep(next, schedule.lr(s));
      // The device works on step s while the host assembles step s + 1.
      if (s + 1 < steps) next = trainingBatch(train, batchRows(s + 1), this.sets.seq);
      const { loss } = await pending;
      if (!Number.isFinite(loss)) {
        bar.stop("diverged");
        const where = `step ${s + 1} of ${steps} (loss ${loss}, lr ${formatLr(settings.lr)})`;
        throw new Error(`Fine-tuning ${this.sets.task} diverged at ${where}: lower --lr`);
      }
      lossSum += loss;
      if (s >= steps - tail) tailLoss += loss;
      ema = Number.isNaN(ema) ? loss : 0.95 * ema + 0.05 * loss;
      bar.update(s + 1, `loss ${ema.toFixed(4)}  epoch ${order.epochAt(s + 1).toFixed(2)}`);
    }
    bar.stop(`loss ${(tailLoss / tail).toFixed(4)}`);
    const trainSeconds = (performance.now() - start) / 1000;
    const { metrics, predictions, devLoss } = await this.evaluate();
    const score = taskScore(this.sets.task, metrics);
    const wallSeconds = (performance.now() - start) / 1000;
    this.#log(
      `glue: ${label}: score ${score.toFixed(2)} (${describeMetrics(metrics)}), ` +
        `${steps} steps, ${wallSeconds.toFixed(1)} s`,
    );
    return {
      lr: settings.lr,
      seed: settings.seed,
      metrics,
      score,
      predictions,
      steps,
      loss: tailLoss / tail,
      trainLoss: lossSum / steps,
      trainExamples: n,
      trainSeconds,
      devLoss,
      wallSeconds,
    };
  }

  /** The current model's metrics, predictions and mean loss on every dev set. */
  async evaluate(): Promise<DevEvaluation> {
    const metrics: DevMetrics = {};
    const predictions: Partial<Record<GlueDevSetName, Float64Array>> = {};
    const devLoss: Partial<Record<GlueDevSetName, number>> = {};
    for (const { set, data } of this.sets.dev) {
      const gold = data.targets ?? data.labels!;
      const p = await this.#infer(data, `${set} dev`, gold);
      predictions[set] = p.predictions;
      devLoss[set] = p.loss;
      metrics[set] = evaluateDevSet(set, p.predictions, gold);
    }
    return { metrics, predictions, devLoss };
  }

  /**
   * The current model's predictions on `data`: class ids (the first maximal logit, as
   * `torch.argmax`), or the regression head's scores, one per example.
   */
  async predict(data: EncodedSet, what: string): Promise<Float64Array> {
    return (await this.#infer(data, what)).predictions;
  }

  /**
   * Predictions on `data` and, given `gold`, the mean loss per example in float64: cross-entropy of
   * the logits, or the squared error of the regression head, as the training losses are.
   */
  async #infer(
    data: EncodedSet,
    what: string,
    gold?: ArrayLike<number>,
  ): Promise<{ predictions: Float64Array; loss: number }> {
    const ops = this.ops;
    const model = this.model;
    const B = this.#options.batch, L = this.sets.numLabels;
    const out = new Float64Array(data.n);
    let lossSum = 0;
    const batches = Math.ceil(data.n / B);
    const label = what.startsWith(this.sets.task) ? what : `${this.sets.task} ${what}`;
    const bar = new Progress({ label, total: data.n, unit: "examples", ...this.#options.progress });
    for (let k = 0; k < batches; k++) {
      const { batch, valid } = evaluationBatch(data, k * B, B, this.sets.seq, L);
      model.setBatch(batch);
      model.forward(0, false);
      const logits = await ops.read(model.logits());
      for (let b = 0; b < valid; b++) {
        const i = k * B + b;
        out[i] = L === 1 ? logits[b]! : argmax(logits, b * L, L);
        if (gold) lossSum += exampleLoss(logits, b * L, L, gold[i]!);
      }
      bar.update(k * B + valid);
    }
    bar.stop();
    return { predictions: out, loss: gold ? lossSum / data.n : NaN };
  }

  /** A host copy of the current parameters (to come back to the best run later). */
  async snapshot(): Promise<Float32Array> {
    return await this.ops.read(this.model.params);
  }

  /** Puts parameters taken by {@linkcode snapshot} back. */
  restore(params: Float32Array): void {
    this.ops.write(this.model.params, params);
  }

  #seedModel(seed: number): SeedModel<T> {
    let m = this.#models.get(seed);
    if (m) return m;
    const d = this.#options.dropout;
    const shape = { ...this.checkpoint.shape, hiddenDropout: d, attentionDropout: d };
    const model = new BertClassifier(
      this.ops,
      shape,
      { batch: this.#options.batch, seq: this.sets.seq },
      { numLabels: this.sets.numLabels, classifierDropout: d, dropoutSeed: seed },
      this.#params ?? undefined,
    );
    this.#params ??= model.params;
    m = { model, trainer: null };
    this.#models.set(seed, m);
    return m;
  }

  #writeCheckpoint(model: BertClassifier<T>, seed: number): void {
    const c = this.checkpoint;
    let params = c.params;
    if (c.initialized.length > 0) {
      params = c.params.slice();
      initializeTensors(params, c.layout, c.initialized, c.config.initializer_range, seed);
    }
    this.ops.write(model.params, params);
  }
}

/** The rows of a batch that carry a label (not the ignore index) or a regression target. */
export function labelledRows(batch: ClassifierBatch): number {
  if (batch.labels) return batch.labels.reduce((c, l) => c + (l >= 0 ? 1 : 0), 0);
  return batch.targets?.length ?? 0;
}

/** The index of the first maximal value of `values[from .. from + count)`, relative to `from`. */
export function argmax(values: ArrayLike<number>, from: number, count: number): number {
  let best = 0;
  for (let c = 1; c < count; c++) if (values[from + c]! > values[from + best]!) best = c;
  return best;
}

/**
 * One example's loss from its `count` outputs at `values[from ..]`: the squared error against
 * `target` for one output (regression), else the cross-entropy of the softmax at class `target`.
 *
 * @example
 * ```ts
 * import { exampleLoss } from "./finetune.ts";
 * exampleLoss([0, 0], 0, 2, 1); // Math.LN2
 * exampleLoss([2.5], 0, 1, 3); // 0.25
 * ```
 */
export function exampleLoss(values: ArrayLike<number>, from: number, count: number, target: number): number {
  if (count === 1) return (values[from]! - target) ** 2;
  let max = -Infinity;
  for (let c = 0; c < count; c++) max = Math.max(max, values[from + c]!);
  let sum = 0;
  for (let c = 0; c < count; c++) sum += Math.exp(values[from + c]! - max);
  return max + Math.log(sum) - values[from + target]!;
}

/**
 * A learning rate as people write it: `2e-5`, `0.001`.
 *
 * @example
 * ```ts
 * import { formatLr } from "./finetune.ts";
 * formatLr(0.00002); // "2e-5"
 * ```
 */
export function formatLr(lr: number): string {
  return lr < 1e-3 ? lr.toExponential() : String(lr);
}

/** `MNLI-m acc 0.812, MNLI-mm acc 0.820`, for log lines. */
export function describeMetrics(metrics: DevMetrics): string {
  return Object.entries(metrics).flatMap(([set, values]) =>
    Object.entries(values ?? {}).map(([metric, v]) => `${set} ${metric} ${(v as number).toFixed(4)}`)
  ).join(", ");
}
