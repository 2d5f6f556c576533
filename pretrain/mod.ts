/**
 * Masked-LM pre-training, settings in, run folder out ({@linkcode pretrain}): its settings, the
 * data it trains on (concentrated, random, full, or a path, cached as token shards), batches by
 * step, validation, the step loop, checkpoints, metrics, `loss.svg` and the summary.
 *
 * @example
 * ```ts
 * import { pretrain } from "./mod.ts";
 * const summary = await pretrain({ preset: "tiny", steps: 20, backend: "cpu" });
 * console.log(summary.final_val_loss, summary.out);
 * ```
 * @module
 */
export * from "./settings.ts";
export * from "./start.ts";
export * from "./data.ts";
export * from "./batches.ts";
export * from "./evaluate.ts";
export * from "./fit.ts";
export * from "./metrics_log.ts";
export * from "./metrics_csv.ts";
export * from "./loss_plot.ts";
export * from "./checkpointer.ts";
export * from "./run_folder.ts";
export * from "./trainer_state.ts";
export * from "./loop.ts";
export * from "./summary.ts";
export * from "./runs.ts";
export * from "./run.ts";
export * from "./fill_mask.ts";
