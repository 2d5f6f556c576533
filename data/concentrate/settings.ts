/**
 * The settings of a concentration (`deno task concentrate`, and the concentrated and random text
 * of pre-training): which corpus and ConceptNet, the budget or alpha, the text units and the score
 * (METHOD.md section 3), and how many threads score. {@linkcode concentrationJob} turns them into
 * the pipeline's job.
 *
 * @example
 * ```ts
 * import { concentrate } from "./pipeline.ts";
 * import { CONCENTRATE_SETTINGS, concentrationJob } from "./settings.ts";
 *
 * const s = CONCENTRATE_SETTINGS.withDefaults({ budget: "100KB" });
 * const report = await concentrate(concentrationJob(s), s.out);
 * ```
 * @module
 */
import { z } from "zod";
import { defineSettings, type SettingsSpec } from "../../config/settings.ts";
import { outputPath } from "../../util/output.ts";
import type { SelectionSettings } from "./fields.ts";
import { SELECTION_FIELDS, TEXT_FIELDS } from "./fields.ts";
import { CONCEPT_FIELDS, conceptHygiene, type ConceptSettings } from "../concept_fields.ts";
import { type ConcentrateJob, conceptNetScorer } from "./pipeline.ts";
import { parseSize } from "./size.ts";

/** A concentration; the keys are the flags with `_` for `-`. */
export interface ConcentrateSettings extends ConceptSettings, SelectionSettings {
  /** Corpus files (text or gzip) or directories of WikiExtractor `wiki_NN` files. */
  corpus: string[];
  /** The output folder: `concentrated.txt`, `random.txt`, `report.json`. */
  out: string;
  /** The size of the concentrated text (and its random control): `500KB`, `50MB`; exclusive with `alpha`. */
  budget: string | null;
  /** Keep every unit scoring above this instead of filling a budget. */
  alpha: number | null;
  /** Seed of the random control. */
  seed: number;
  /** Scoring threads: 1 scores inline, more start Deno Workers; at most the machine's cores. */
  workers: number;
}

/** The cores Deno may run on here: the most scoring threads, and their default. */
const CORES = navigator.hardwareConcurrency || 1;

/** The settings of a concentration. */
export const CONCENTRATE_SETTINGS: SettingsSpec<ConcentrateSettings> = defineSettings<ConcentrateSettings>()(
  "concentrate",
  z.object({
    ...TEXT_FIELDS,
    ...CONCEPT_FIELDS,
    out: z.string().min(1).default(outputPath("concentrate")).describe(
      "output folder: concentrated.txt, random.txt, report.json",
    ),
    alpha: z.number().finite().nullable().default(null).describe(
      "keep every unit scoring above this instead of filling --budget",
    ),
    ...SELECTION_FIELDS,
    seed: z.number().int().min(0).lt(2 ** 32).default(1).describe("seed of the random control"),
    workers: z.number().int().positive().default(CORES).describe(
      "scoring threads (Deno Workers, about 150 MB each), at most the cores; 1 scores inline; " +
        "the output does not depend on it",
    ),
  }).strict(),
  {
    exclusive: [["budget", "alpha"]],
    check: (s, { given, name }) => {
      if (given.has("corpus") && !given.has("budget") && !given.has("alpha")) {
        return `give ${name("budget")} SIZE (such as 50MB) or ${name("alpha")} X for ${name("corpus")}`;
      }
      // More threads than cores only add memory (each holds its own matcher) and contention.
      if (s.workers > CORES) {
        const flag = name("workers");
        return `${flag} must be at most ${CORES} on this machine (${CORES} cores), got ${s.workers}`;
      }
      return null;
    },
  },
);

/** The Worker module that scores for the pool. */
export const WORKER_URL: URL = new URL("./worker.ts", import.meta.url);

/**
 * The pipeline's job for `settings`; `onProgress` hears how far a scan has got.
 *
 * @example
 * ```ts
 * import { CONCENTRATE_SETTINGS, concentrationJob } from "./settings.ts";
 * const job = concentrationJob(CONCENTRATE_SETTINGS.defaults());
 * ```
 */
export function concentrationJob(
  settings: ConcentrateSettings,
  onProgress?: (textBytes: number, units: number) => void,
): ConcentrateJob {
  const spec = {
    conceptnet: settings.conceptnet,
    kind: settings.score,
    perToken: settings.per_token,
    maxN: settings.max_n,
    keepExcludedRelations: settings.keep_excluded_relations,
    hygiene: conceptHygiene(settings),
  };
  return {
    corpus: settings.corpus,
    scorer: conceptNetScorer(spec, settings.workers, WORKER_URL),
    unit: settings.unit,
    windowWords: settings.window,
    seed: settings.seed,
    budget: settings.budget === null ? null : parseSize(settings.budget),
    alpha: settings.alpha,
    ...(onProgress ? { onProgress } : {}),
  };
}
