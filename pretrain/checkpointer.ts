/**
 * A run's `checkpoint/`: the model in HuggingFace's layout (`model.safetensors`, `config.json`,
 * `vocab.txt`), the optimizer state (`optimizer.safetensors`, with the step and the settings) and
 * `trainer_state.json`, saved whole under a temporary name and swapped in, so a crash leaves the
 * previous checkpoint or the new one, never a mixture; and read back to resume. A crash between
 * the two renames leaves `checkpoint.old`, which {@linkcode recoverCheckpoint} puts back.
 *
 * Each save is also kept as `checkpoint-<step>/`, HuggingFace Trainer's name, made of hard links to
 * the checkpoint's files (no second copy on disk; the next save writes new files rather than
 * changing these), the newest `saveTotalLimit` of them (HuggingFace's `save_total_limit`).
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
import { type MlmTrainer, trainerExtraState } from "../core/bert/trainer.ts";
import {
  loadBertDir,
  loadTrainingState,
  saveBertDir,
  saveTrainingState,
} from "../core/checkpoint/bert_dir.ts";
import type { Json } from "../core/checkpoint/optimizer_state.ts";
import type { Ops } from "../core/ops.ts";
import { isDirectory } from "../util/files.ts";

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
  /** Files saved beside the model, name to content, for the state after `step` steps. */
  files?: (step: number) => { [name: string]: string };
  /** How many `checkpoint-<step>/` folders to keep, the newest; null keeps all. */
  saveTotalLimit?: number | null;
  /** Lines of progress, e.g. a recovered checkpoint. */
  log?: (line: string) => void;
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

  /** Saves the state after `step` optimizer steps, then keeps it as `checkpoint-<step>/`. */
  async save(step: number): Promise<void> {
    const { ops, model, trainer, modelConfig, vocabPath, meta } = this.#parts;
    const files = this.#parts.files?.(step) ?? {};
    const tmp = `${this.out}/checkpoint.tmp`;
    await removeIfThere(tmp);
    await saveBertDir(tmp, { ops, model, config: modelConfig, vocabPath });
    await saveTrainingState(tmp, { ops, trainer, meta: { step, ...meta } });
    for (const [name, text] of Object.entries(files)) await Deno.writeTextFile(`${tmp}/${name}`, text);
    // The previous checkpoint stays until the new one has its name.
    const old = `${this.out}/checkpoint.old`;
    await removeIfThere(old);
    if (await isDirectory(this.dir)) await Deno.rename(this.dir, old);
    await Deno.rename(tmp, this.dir);
    await removeIfThere(old);
    await this.#keep(step);
  }

  /** Links the checkpoint's files into `checkpoint-<step>/`, then drops the oldest past the limit. */
  async #keep(step: number): Promise<void> {
    const kept = `${this.out}/checkpoint-${step}`;
    const tmp = `${kept}.tmp`;
    await removeIfThere(tmp);
    await Deno.mkdir(tmp);
    for await (const entry of Deno.readDir(this.dir)) {
      await linkOrCopy(`${this.dir}/${entry.name}`, `${tmp}/${entry.name}`);
    }
    await removeIfThere(kept);
    await Deno.rename(tmp, kept);
    const limit = this.#parts.saveTotalLimit ?? null;
    if (limit === null) return;
    const steps = await keptSteps(this.out);
    for (const old of steps.slice(0, Math.max(0, steps.length - limit))) {
      await Deno.remove(`${this.out}/checkpoint-${old}`, { recursive: true });
    }
  }

  /**
   * Loads the saved parameters and optimizer state into the model and trainer; returns the step.
   * A checkpoint left as `checkpoint.old` by a crash mid-save is put back first.
   */
  async restore(): Promise<number> {
    const { ops, model, trainer } = this.#parts;
    await recoverCheckpoint(this.out, this.#parts.log);
    const loaded = await loadBertDir(this.dir, { head: "mlm" });
    ops.write(model.params, loaded.params);
    const state = await loadTrainingState(this.dir, { parameters: model.layout.size });
    trainer.restore(
      state.step,
      state.m,
      state.v,
      trainerExtraState(state.meta, `${this.dir}/optimizer.safetensors`),
    );
    return state.step;
  }
}

/**
 * Puts back the checkpoint of the run in `out` when a crash between a save's two renames left
 * only `checkpoint.old` (the previous checkpoint, whole) and `checkpoint.tmp` (the new one, which
 * may be whole, but nothing recorded that it is). Returns whether it did.
 */
export async function recoverCheckpoint(out: string, log?: (line: string) => void): Promise<boolean> {
  const dir = `${out}/checkpoint`;
  const old = `${out}/checkpoint.old`;
  if (await isDirectory(dir) || !await isDirectory(old)) return false;
  await Deno.rename(old, dir);
  await removeIfThere(`${out}/checkpoint.tmp`);
  log?.(`pretrain: warning: ${dir} was missing after an interrupted save; restored it from ${old}`);
  return true;
}

/** The steps of the `checkpoint-<step>/` folders in `out`, ascending. */
export async function keptSteps(out: string): Promise<number[]> {
  const steps: number[] = [];
  for await (const entry of Deno.readDir(out)) {
    const m = entry.isDirectory ? /^checkpoint-(\d+)$/.exec(entry.name) : null;
    if (m) steps.push(Number(m[1]));
  }
  return steps.sort((a, b) => a - b);
}

async function removeIfThere(path: string): Promise<void> {
  try {
    await Deno.remove(path, { recursive: true });
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
}

// A file system without hard links gets a copy: the same files, more disk.
async function linkOrCopy(from: string, to: string): Promise<void> {
  try {
    await Deno.link(from, to);
  } catch {
    await Deno.copyFile(from, to);
  }
}
