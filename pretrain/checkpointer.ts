/**
 * A run's `checkpoint/`: the model in HuggingFace's layout (`model.safetensors`, `config.json`,
 * `vocab.txt`) and the optimizer state (`optimizer.safetensors`, with the step and the settings),
 * saved whole under a temporary name and swapped in, so a crash leaves the previous checkpoint or
 * the new one, never a mixture; and read back to resume.
 *
 * @example
 * ```ts
 * import { Checkpointer } from "./checkpointer.ts";
 *
 * const checkpoints = new Checkpointer("out/runs/demo", { ops, model, trainer, modelConfig, vocabPath, meta });
 * await checkpoints.save(100);
 * const step = await checkpoints.restore(); // 100
 * ```
 * @module
 */
import type { BertConfig } from "../core/bert/config.ts";
import type { BertMlm } from "../core/bert/model.ts";
import type { MlmTrainer } from "../core/bert/trainer.ts";
import {
  loadBertDir,
  loadTrainingState,
  saveBertDir,
  saveTrainingState,
} from "../core/checkpoint/bert_dir.ts";
import type { Json } from "../core/checkpoint/optimizer_state.ts";
import type { Ops } from "../core/ops.ts";

/** What a checkpoint holds besides the run's folder. */
export interface CheckpointParts<T> {
  /** The ops the model and trainer run on. */
  ops: Ops<T>;
  /** The model whose parameters are saved. */
  model: BertMlm<T>;
  /** The trainer whose AdamW moments and step are saved. */
  trainer: MlmTrainer<T>;
  /** The model's HuggingFace config. */
  modelConfig: BertConfig;
  /** The vocabulary copied next to the model. */
  vocabPath: string;
  /** Saved with the optimizer state: the planned steps and the settings. */
  meta: { [key: string]: Json };
}

/** Saves and restores the checkpoint of one run folder. */
export class Checkpointer<T> {
  /** The run folder. */
  readonly out: string;
  readonly #parts: CheckpointParts<T>;

  /** The checkpointer of the run in `out`. */
  constructor(out: string, parts: CheckpointParts<T>) {
    this.out = out;
    this.#parts = parts;
  }

  /** The checkpoint folder. */
  get dir(): string {
    return `${this.out}/checkpoint`;
  }

  /** Saves the state after `step` optimizer steps. */
  async save(step: number): Promise<void> {
    const { ops, model, trainer, modelConfig, vocabPath, meta } = this.#parts;
    const tmp = `${this.out}/checkpoint.tmp`;
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
    await saveBertDir(tmp, { ops, model, config: modelConfig, vocabPath });
    await saveTrainingState(tmp, { ops, trainer, meta: { step, ...meta } });
    // The previous checkpoint stays until the new one has its name.
    const old = `${this.out}/checkpoint.old`;
    await Deno.remove(old, { recursive: true }).catch(() => {});
    await Deno.rename(this.dir, old).catch(() => {});
    await Deno.rename(tmp, this.dir);
    await Deno.remove(old, { recursive: true }).catch(() => {});
  }

  /** Loads the saved parameters and optimizer state into the model and trainer; returns the step. */
  async restore(): Promise<number> {
    const { ops, model, trainer } = this.#parts;
    const loaded = await loadBertDir(this.dir, { head: "mlm" });
    ops.write(model.params, loaded.params);
    const state = await loadTrainingState(this.dir, { parameters: model.layout.size });
    trainer.restore(state.step, state.m, state.v);
    return state.step;
  }
}
