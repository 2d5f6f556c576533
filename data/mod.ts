/**
 * The data layer: BERT tokenizer, corpus readers and token shards, ConceptNet and GLUE readers.
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
export * from "./tokenizer.ts";
export * from "./vocab.ts";
export * from "./lines.ts";
export * from "./corpus.ts";
export * from "./packing.ts";
export * from "./shards.ts";
export * from "./conceptnet.ts";
export * from "./concept_words.ts";
export * from "./concept_matcher.ts";
export * from "./concept_score.ts";
export * from "./glue.ts";
export * from "./glue_tasks.ts";
