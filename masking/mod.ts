/**
 * Masking strategies for masked-LM pre-training (docs METHOD.md section 4): `bert`, `bernoulli`,
 * `concept`, `curriculum`, each pure and deterministic per (seed, step, sequence), and the batch
 * layout of the model's upload.
 *
 * @example
 * ```ts
 * import { bertMasker, maskBatch } from "./masking/mod.ts";
 * import { loadVocab } from "./data/vocab.ts";
 *
 * const vocab = await loadVocab();
 * const masker = bertMasker({ vocab, maxPredictions: 20, wholeWord: true });
 * const seq = Int32Array.of(101, 1045, 2066, 13137, 20968, 102, 0, 0);
 * const batch = maskBatch(masker, [seq], { seed: 1, step: 0 });
 * // batch.ids, batch.positions (flat rows), batch.labels (-100 for padding slots)
 * ```
 * @module
 */
export * from "./types.ts";
export * from "./sequence_key.ts";
export * from "./corrupt.ts";
export * from "./bert.ts";
export * from "./bernoulli.ts";
export * from "./concept.ts";
export * from "./curriculum.ts";
export * from "./batch.ts";
export * from "./strategies.ts";
export * from "./stats.ts";
export * from "./settings.ts";
export * from "./prepare.ts";
export * from "./inspect.ts";
