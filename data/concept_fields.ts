/**
 * The zod fields of ConceptNet and its concept hygiene (METHOD.md sections 1, 2, 2a), spread into
 * the schemas of every command that matches concepts (`concentrate`, `masks`, `pretrain`, the
 * experiment) so that scoring and concept masking always use the same lexicon and filters;
 * internal, so the public API stays free of zod's types.
 * @module
 */
import { z } from "zod";
import type { ConceptHygiene } from "./concept_hygiene.ts";
import { SAMPLE_CONCEPTNET } from "./samples.ts";

/** The fields of {@linkcode ConceptSettings}. */
export const CONCEPT_FIELDS = {
  conceptnet: z.string().min(1).default(SAMPLE_CONCEPTNET).describe(
    "ConceptNet file (assertions CSV or CN-100K triples, plain or gzip)",
  ),
  max_n: z.number().int().positive().default(4).describe("longest concept n-gram, in words"),
  keep_excluded_relations: z.boolean().default(false).describe(
    "keep the relations METHOD.md leaves out (ExternalURL, dbpedia/..., the negated ones)",
  ),
  keep_stop_concepts: z.boolean().default(false).describe(
    "keep concepts that are stop words, number words, single characters or punctuation",
  ),
  keep_self_loops: z.boolean().default(false).describe("keep edges whose head and tail are one concept"),
  lemmatize: z.boolean().default(true).describe(
    "match text words through their lemmas (wink-lemmatizer: dogs -> dog) as well as exactly",
  ),
};

/** Which ConceptNet, and how its concepts are matched; the keys are the flags with `_` for `-`. */
export interface ConceptSettings {
  /** The ConceptNet file (assertions CSV or CN-100K triples, plain or gzip). */
  conceptnet: string;
  /** Longest concept n-gram, in words. */
  max_n: number;
  /** Keep the relations METHOD.md section 1 leaves out (ExternalURL, dbpedia, negated ones). */
  keep_excluded_relations: boolean;
  /** Keep concepts that are stop words, number words, single characters or punctuation. */
  keep_stop_concepts: boolean;
  /** Keep edges whose head and tail are the same concept. */
  keep_self_loops: boolean;
  /** Match text words through their lemmas as well as exactly. */
  lemmatize: boolean;
}

/** The hygiene part of concept settings. */
export function conceptHygiene(settings: ConceptSettings): ConceptHygiene {
  return {
    keepStopConcepts: settings.keep_stop_concepts,
    keepSelfLoops: settings.keep_self_loops,
    lemmatize: settings.lemmatize,
  };
}
