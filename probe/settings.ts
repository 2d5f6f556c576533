/**
 * The settings of the knowledge probe ({@linkcode runProbe}, `deno task probe`): the model, the
 * facts and templates, the baselines' inputs, the bootstrap and where the files go.
 *
 * @example
 * ```ts
 * import { PROBE_SETTINGS } from "./settings.ts";
 * const s = PROBE_SETTINGS.withDefaults({ model: "out/runs/my-run/checkpoint" });
 * console.log(s.facts.length, s.resamples); // 3 1000
 * ```
 * @module
 */
import { z } from "zod";
import { defineSettings, type SettingsSpec } from "../config/settings.ts";
import { BACKEND_NAMES, type BackendName } from "../core/device.ts";
import { PROBE_FACTS, PROBE_TEMPLATES, SAMPLE_CONCEPTNET, SAMPLE_CORPUS } from "../data/samples.ts";

/** What the probe runs; the keys are the flags with `_` for `-`. */
export interface ProbeSettings {
  /** The model directory: `config.json`, `model.safetensors` and its own `vocab.txt`. */
  model: string;
  /** Facts files in CN-100K's format; the true rows (label 1) are probed. */
  facts: string[];
  /** The templates file, `relation<TAB>template`. */
  templates: string;
  /** The unigram baseline's corpus: files or WikiExtractor directories (text, gzip). */
  corpus: string[];
  /** The relation-prior baseline's triples (CN-100K's training file). */
  conceptnet: string;
  /** The output folder; null: `out/probe/<time>`. */
  out: string | null;
  /** Seed of the bootstrap resamples. */
  seed: number;
  /** Bootstrap resamples of the facts. */
  resamples: number;
  /** Facts per forward pass. */
  batch: number;
  /** `cpu` runs the CPU reference ops; the others open a WebGPU device. */
  backend: BackendName;
}

/** The probe's settings. */
export const PROBE_SETTINGS: SettingsSpec<ProbeSettings> = defineSettings<ProbeSettings>()(
  "probe",
  z.object({
    model: z.string().min(1).describe(
      "checkpoint directory: config.json, model.safetensors and its own vocab.txt",
    ),
    facts: z.array(z.string().min(1)).min(1).default([...PROBE_FACTS]).describe(
      "facts files, relation<TAB>head<TAB>tail<TAB>label, label 1 probed (CN-100K's held-out test, dev1, dev2)",
    ),
    templates: z.string().min(1).default(PROBE_TEMPLATES).describe(
      "templates file, relation<TAB>template with [H] for the head and [MASK] for the tail",
    ),
    corpus: z.array(z.string().min(1)).min(1).default([...SAMPLE_CORPUS]).describe(
      "the unigram baseline's corpus: files (text or gzip) or directories of WikiExtractor wiki_NN files",
    ),
    conceptnet: z.string().min(1).default(SAMPLE_CONCEPTNET).describe(
      "the relation-prior baseline's triples, relation<TAB>head<TAB>tail<TAB>weight (CN-100K's train100k)",
    ),
    out: z.string().min(1).nullable().default(null).describe(
      "output folder (must be empty or new); none: out/probe/<time>",
    ),
    seed: z.number().int().nonnegative().default(1).describe("seed of the bootstrap resamples"),
    resamples: z.number().int().min(10).default(1000).describe(
      "bootstrap resamples of the facts, for the 95% intervals",
    ),
    batch: z.number().int().positive().default(64).describe("facts per forward pass"),
    backend: z.enum(BACKEND_NAMES).default("auto").describe(
      "auto, a WebGPU runtime (dawn, deno), or cpu (the CPU reference ops)",
    ),
  }).strict(),
);
