/**
 * `trainer_state.json`, the file HuggingFace's `Trainer` keeps beside its checkpoints: the step, the
 * planned steps, the logging and saving intervals and `log_history`, one entry per logged training
 * step or evaluation with HuggingFace's key names (`loss`, `learning_rate`, `epoch`, `eval_loss`,
 * `eval_accuracy`, ...), so tools that read a Trainer's output (plotting scripts, the Hub's
 * training-metrics tab) read a run's. `metrics.jsonl` stays the run's own, fuller record.
 *
 * @example
 * ```ts
 * import { trainerState } from "./trainer_state.ts";
 * declare const records: import("./metrics_log.ts").MetricRecord[];
 * const state = trainerState({
 *   step: 20, totalSteps: 20, records, trainSequences: 640,
 *   settings: { batch: 32, seq_len: 128, log_every: 10, eval_every: 10, save_every: 0 },
 *   flops6ndPerStep: 1e11,
 * });
 * state.log_history.at(-1); // { epoch: 1, step: 20, eval_loss: ..., ... }
 * ```
 * @module
 */
import type { MetricRecord } from "./metrics_log.ts";
import type { PretrainSettings } from "./settings.ts";

/** The file name, in the run folder and in each checkpoint folder. */
export const TRAINER_STATE_FILE = "trainer_state.json";

/** One `log_history` entry. */
export type LogEntry = { [key: string]: number };

/** HuggingFace `TrainerState`'s fields that have a meaning here. */
export interface TrainerState {
  /** Epochs done: sequences trained on over sequences in the train shard. */
  epoch: number;
  /** Optimizer steps done. */
  global_step: number;
  /** Optimizer steps planned. */
  max_steps: number;
  /** Epochs the planned steps make, rounded up. */
  num_train_epochs: number;
  /** Tokens trained on (sequences x sequence length). */
  num_input_tokens_seen: number;
  /** Steps between training log entries. */
  logging_steps: number;
  /** Steps between evaluations (0: only at the end). */
  eval_steps: number;
  /** Steps between checkpoints (0: only at the end). */
  save_steps: number;
  /** Sequences per optimizer step. */
  train_batch_size: number;
  /** FLOPs so far, 6 x parameters x tokens, as HuggingFace estimates them. */
  total_flos: number;
  /** The logged steps and evaluations, oldest first. */
  log_history: LogEntry[];
  /** No metric picks a best checkpoint here. */
  best_metric: null;
  /** Likewise. */
  best_model_checkpoint: null;
  /** Single-process training. */
  is_local_process_zero: true;
  /** Single-process training. */
  is_world_process_zero: true;
  /** Not a hyper-parameter search. */
  is_hyper_param_search: false;
  /** Not a hyper-parameter search. */
  trial_name: null;
  /** Not a hyper-parameter search. */
  trial_params: null;
}

/** What {@linkcode trainerState} is made from. */
export interface TrainerStateFacts {
  /** Optimizer steps done. */
  step: number;
  /** Optimizer steps planned. */
  totalSteps: number;
  /** The run's metrics records up to `step`. */
  records: readonly MetricRecord[];
  /** Sequences in the train shard: one epoch. */
  trainSequences: number;
  /** The settings the intervals and batch come from. */
  settings: Pick<PretrainSettings, "batch" | "seq_len" | "log_every" | "eval_every" | "save_every">;
  /** 6ND FLOPs of one step. */
  flops6ndPerStep: number;
  /**
   * A completed run's closing entry, as HuggingFace's `train()` logs it: mean logged training loss,
   * wall time of training and throughput.
   */
  final?: { trainSeconds: number; tokensPerSecond: number };
}

/** The trainer state after `step` steps. */
export function trainerState(f: TrainerStateFacts): TrainerState {
  const { settings } = f;
  const epochOf = (step: number) => (step * settings.batch) / f.trainSequences;
  const log_history = f.records.filter((r) => r.step <= f.step).map((r): LogEntry =>
    r.kind === "train"
      ? {
        loss: r.loss,
        learning_rate: r.lr,
        epoch: epochOf(r.step),
        num_input_tokens_seen: r.tokens,
        step: r.step,
      }
      : {
        eval_loss: r.val_loss,
        eval_accuracy: r.val_accuracy,
        epoch: epochOf(r.step),
        num_input_tokens_seen: r.tokens,
        step: r.step,
      }
  );
  const totalFlos = f.flops6ndPerStep * f.step;
  if (f.final) {
    const losses = f.records.flatMap((r) => r.kind === "train" && r.step <= f.step ? [r.loss] : []);
    const samplesPerSecond = f.final.tokensPerSecond / settings.seq_len;
    log_history.push({
      epoch: epochOf(f.step),
      step: f.step,
      total_flos: totalFlos,
      ...(losses.length > 0 ? { train_loss: losses.reduce((a, b) => a + b, 0) / losses.length } : {}),
      train_runtime: f.final.trainSeconds,
      train_samples_per_second: samplesPerSecond,
      train_steps_per_second: samplesPerSecond / settings.batch,
    });
  }
  return {
    epoch: epochOf(f.step),
    global_step: f.step,
    max_steps: f.totalSteps,
    num_train_epochs: Math.ceil(epochOf(f.totalSteps)),
    num_input_tokens_seen: f.step * settings.batch * settings.seq_len,
    logging_steps: settings.log_every,
    eval_steps: settings.eval_every,
    save_steps: settings.save_every,
    train_batch_size: settings.batch,
    total_flos: totalFlos,
    log_history,
    best_metric: null,
    best_model_checkpoint: null,
    is_local_process_zero: true,
    is_world_process_zero: true,
    is_hyper_param_search: false,
    trial_name: null,
    trial_params: null,
  };
}

/** The state as written: two-space JSON with keys sorted at every level, as HuggingFace writes it. */
export function trainerStateJson(state: TrainerState): string {
  return JSON.stringify(state, sortedKeys, 2) + "\n";
}

function sortedKeys(_key: string, value: unknown): unknown {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return value;
  return Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
