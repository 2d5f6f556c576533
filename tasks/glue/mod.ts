/**
 * GLUE fine-tuning and evaluation: the official metrics, task scores and the three aggregates, the
 * dev prediction and GLUE-server submission files (with `submission.zip`), and `results.json` /
 * `results.md` (no GPU needed); the tokenized sets and fixed-shape batches, the seeded sampling,
 * the fine-tuning loop on any backend, the per-task runner and the progress bar that the `glue`
 * task (`tasks/glue.ts`) drives.
 *
 * @example
 * ```ts
 * import { buildResults, evaluateDevSet, formatAggregates, summarizeTask } from "./mod.ts";
 *
 * const metrics = evaluateDevSet("CoLA", [1, 0, 1, 1], [1, 0, 0, 1]);
 * const cola = summarizeTask({ task: "CoLA", n: { CoLA: 4 }, hyperparameters: {}, runs: [{ seed: 1, metrics: { CoLA: metrics } }], wallSeconds: 1 });
 * const results = buildResults({ model: "tiny", tasks: [cola] });
 * console.log(formatAggregates(Object.values(results.aggregates)));
 * ```
 * @module
 */
export * from "./sets.ts";
export * from "./metrics.ts";
export * from "./aggregate.ts";
export * from "./predictions.ts";
export * from "./results.ts";
export * from "./zip.ts";
export * from "../_atomic_write.ts";
export * from "./sampling.ts";
export * from "./encode.ts";
export * from "./progress.ts";
export * from "./finetune.ts";
export * from "./task_data.ts";
export * from "./task_runner.ts";
export * from "./defaults.ts";
