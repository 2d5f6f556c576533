/**
 * The zod fields of the text a concentration reads (corpus and budget), spread into the schemas of
 * `concentrate` and `pretrain`; internal, so the public API stays free of zod's types.
 * @module
 */
import { z } from "zod";
import { SAMPLE_CORPUS } from "../samples.ts";
import { parseSize, SIZE_PATTERN } from "./size.ts";
import type { ScoreKind } from "../concept_score.ts";
import { UNIT_KINDS, type UnitKind } from "./units.ts";

/** The zod fields of the text a concentration reads, shared with pre-training. */
export const TEXT_FIELDS = {
  corpus: z.array(z.string().min(1)).min(1).default([...SAMPLE_CORPUS]).describe(
    "corpus files (text or gzip) or directories of WikiExtractor wiki_NN files",
  ),
  budget: z.string().regex(SIZE_PATTERN, "a size such as 500KB, 50MB or 1.5GiB")
    .refine((s) => {
      try {
        return parseSize(s) >= 1;
      } catch {
        return false;
      }
    }, "must be at least 1 byte and at most 2^53").nullable().default("500KB")
    .describe("size of the concentrated text and of its random control"),
};

/** The zod fields of how units are selected (METHOD.md section 3), shared with pre-training. */
export const SELECTION_FIELDS = {
  unit: z.enum(UNIT_KINDS as [UnitKind, ...UnitKind[]]).default("paragraph").describe(
    "text unit scored and kept: paragraph (a line), document, or window (--window words)",
  ),
  window: z.number().int().positive().default(128).describe("words per window unit"),
  score: z.enum(["edges", "mentions"]).default("edges").describe(
    "f(t): ConceptNet edges between the unit's concepts, or concept mentions",
  ),
  per_token: z.boolean().default(true).describe(
    "divide f(t) by the unit's word count (long paragraphs hold more edges, not denser knowledge)",
  ),
};

/** How units are selected; the keys are the flags with `_` for `-`. */
export interface SelectionSettings {
  /** The text unit scored and kept: a `paragraph` (a line), a `document`, or a `window` of words. */
  unit: UnitKind;
  /** Words per `window` unit. */
  window: number;
  /** f(t): ConceptNet `edges` between the unit's concepts, or concept `mentions`. */
  score: ScoreKind;
  /** Divide f(t) by the unit's word count. */
  per_token: boolean;
}
