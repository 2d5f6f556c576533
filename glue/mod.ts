/**
 * GLUE, whole: the task table and TSV readers, encoding into fixed-shape batches, seeded sampling,
 * fine-tuning on any backend, the official metrics, task scores and the three aggregates, dev
 * prediction and GLUE-server submission files, `results.json`/`results.md`/`all_results.json`, and
 * {@linkcode runGlue}, which does it all for a checkpoint.
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
export * from "./tasks.ts";
export * from "./read.ts";
export * from "./sets.ts";
export * from "./metrics.ts";
export * from "./aggregate.ts";
export * from "./predictions.ts";
export * from "./results.ts";
export * from "./all_results.ts";
export * from "./zip.ts";
export * from "./sampling.ts";
export * from "./encode.ts";
export * from "./finetune.ts";
export * from "./task_data.ts";
export * from "./task_runner.ts";
export * from "./settings.ts";
export * from "./run.ts";
