/**
 * The data layer: the shipped samples, BERT's tokenizer, corpus readers, packing and token shards,
 * ConceptNet and its concept matcher and scorer. The concentration pipeline is
 * `data/concentrate/mod.ts`.
 *
 * @example
 * ```ts
 * import { BertTokenizer } from "./mod.ts";
 *
 * const tok = await BertTokenizer.load();
 * console.log(tok.encodeIds("i like strawberries")); // [1045, 2066, 13137, 20968]
 * ```
 * @module
 */
export * from "./samples.ts";
export * from "./tokenizer.ts";
export * from "./tokenize_file.ts";
export * from "./vocab.ts";
export * from "./lines.ts";
export * from "./corpus.ts";
export * from "./packing.ts";
export * from "./shards.ts";
export * from "./shard_build.ts";
export * from "./conceptnet.ts";
export * from "./concept_words.ts";
export * from "./concept_matcher.ts";
export * from "./concept_score.ts";
export * from "./concept_hygiene.ts";
export type { ConceptSettings } from "./concept_fields.ts";
export { conceptHygiene } from "./concept_fields.ts";
