/**
 * The paper's experiment: its arms, settings and budget, each arm's pre-training and GLUE runs,
 * and the table, JSON and plot that compare them ({@linkcode runExperiment}).
 *
 * @example
 * ```ts
 * import { runExperiment } from "./mod.ts";
 * const results = await runExperiment({ arms: ["general", "concentrated"], seeds: 1 });
 * ```
 * @module
 */
export * from "./arms.ts";
export * from "./settings.ts";
export * from "./budget.ts";
export * from "./arm.ts";
export * from "./heldout.ts";
export * from "./common_eval.ts";
export * from "./paired.ts";
export * from "./data_hash.ts";
export * from "./report.ts";
export * from "./plot.ts";
export * from "./run.ts";
