/**
 * The masking settings every command that masks shares (`pretrain`, `masks`, the experiment): the
 * strategy, its prediction cap, whole-word masking, the ConceptNet file of the concept strategies
 * and the curriculum's basic concepts and stage boundaries. One zod shape, spread into each
 * command's schema.
 * @module
 */
import { z } from "zod";
import { defineSettings, type SettingsSpec } from "../config/settings.ts";
import { MASKING_FIELDS } from "./fields.ts";
import type { StrategyName } from "./strategies.ts";
import type { ConceptSettings } from "../data/concept_fields.ts";

/** How sequences are masked (the concept settings say how the concept strategies find concepts). */
export interface MaskingSettings extends ConceptSettings {
  /** The strategy: `bert`, `bernoulli`, `concept` or `curriculum`. */
  masking: StrategyName;
  /** Most predictions per sequence (google-research/bert's `max_predictions_per_seq`). */
  max_predictions: number;
  /** Whole-word masking for `bert`, `concept`'s fill and the curriculum's `bert` stages. */
  whole_word: boolean;
  /** The curriculum's first stage: this many concepts of highest degree found in the text. */
  basic_concepts: number;
  /** First step of each curriculum stage; null: plain MLM for the first fifth, then 4 equal stages. */
  boundaries: number[] | null;
}

/** Masking's settings on their own, for `prepareMasking` called from code. */
export const MASKING_SETTINGS: SettingsSpec<MaskingSettings> = defineSettings<MaskingSettings>()(
  "masking",
  z.object(MASKING_FIELDS).strict(),
);

/** The masking settings among a command's settings (`pretrain`'s, `masks`'). */
export function maskingSettings(settings: MaskingSettings): MaskingSettings {
  // The keys come from the schema, the one list of them.
  const keys = MASKING_SETTINGS.fields.map((f) => f.key as keyof MaskingSettings);
  return Object.fromEntries(keys.map((k) => [k, settings[k]])) as unknown as MaskingSettings;
}
