/**
 * Concentration of a corpus by ConceptNet (docs METHOD.md section 3): text units scored by f(t),
 * the highest-scoring ones kept up to a byte budget (or above alpha), an equal-size seeded random
 * control, streaming with bounded memory, worker pools, and shards merged into exactly the
 * single-process result.
 *
 * @example
 * ```ts
 * import { concentrate, conceptNetScorer, parseSize } from "./data/concentrate/mod.ts";
 *
 * await concentrate({
 *   corpus: ["data/corpus/enwiki-2015-wikiextractor/AA"],
 *   scorer: conceptNetScorer({ conceptnet: "data/conceptnet/cn100k/train100k.txt.gz" }),
 *   unit: "paragraph", windowWords: 128, seed: 1, budget: parseSize("500KB"), alpha: null,
 * }, "out/concentrate-example");
 * ```
 * @module
 */
export * from "./size.ts";
export * from "./units.ts";
export * from "./random_key.ts";
export * from "./histogram.ts";
export * from "./candidates.ts";
export * from "./lane.ts";
export * from "./unit_scorer.ts";
export * from "./scorer.ts";
export * from "./scan.ts";
export * from "./partial.ts";
export * from "./output.ts";
export * from "./merge.ts";
export * from "./report.ts";
export * from "./pipeline.ts";
export * from "./text_file.ts";
export * from "./settings.ts";
export type { SelectionSettings } from "./fields.ts";
