/**
 * The knowledge probe, LAMA-style ({@linkcode runProbe}, `deno task probe`): how well a masked-LM
 * checkpoint fills in CN-100K's held-out facts, one templated sentence per fact, as P@1, P@10 and
 * MRR with bootstrap intervals, next to a corpus-unigram and a relation-prior baseline. Underneath:
 * the templates, the facts and their counts, the ranks, the metrics, the baselines and the files.
 *
 * @example
 * ```ts
 * import { formatProbeReport, runProbe } from "./mod.ts";
 * const { results } = await runProbe({ model: "out/runs/my-run/checkpoint" });
 * console.log(formatProbeReport(results));
 * ```
 * @module
 */
export * from "./settings.ts";
export * from "./templates.ts";
export * from "./facts.ts";
export * from "./ranking.ts";
export * from "./metrics.ts";
export * from "./baselines.ts";
export * from "./score.ts";
export * from "./results.ts";
export * from "./outputs.ts";
export * from "./run.ts";
