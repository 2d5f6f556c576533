/**
 * The zod fields of the masking settings, spread into the schema of every command that masks
 * (`pretrain`, `masks`) and of `MASKING_SETTINGS`; internal, so the public API stays free of zod's
 * types.
 * @module
 */
import { z } from "zod";
import { CONCEPT_FIELDS } from "../data/concept_fields.ts";
import { STRATEGY_NAMES } from "./strategies.ts";
import { DEFAULT_MAX_PREDICTIONS } from "./types.ts";

/** The fields of `MaskingSettings`. */
export const MASKING_FIELDS = {
  masking: z.enum(STRATEGY_NAMES).default("concept").describe(
    "masking strategy: bert (google-research/bert), bernoulli (HuggingFace), concept (whole ConceptNet spans first), curriculum (CCM's stages)",
  ),
  max_predictions: z.number().int().positive().default(DEFAULT_MAX_PREDICTIONS).describe(
    "most predictions per sequence (max_predictions_per_seq)",
  ),
  whole_word: z.boolean().default(false).describe(
    "whole-word masking for bert, concept's fill and the curriculum's bert stages (bernoulli ignores it)",
  ),
  ...CONCEPT_FIELDS,
  basic_concepts: z.number().int().positive().default(3000).describe(
    "curriculum: concepts of highest degree in the text that make its first stage",
  ),
  boundaries: z.array(z.number().int().min(0)).min(1).refine(
    (b) => b.every((x, i) => i === 0 || x >= b[i - 1]!),
    "must be ascending",
  ).nullable().default(null).describe(
    "curriculum: first step of each concept stage; none: plain MLM for the first fifth of the steps, then 4 equal stages",
  ),
};
