/**
 * The pre-training config: defaults, then a JSON/JSONC file (`--config`), then flags, flags winning
 * (nanoGPT's order). One schema (zod) checks all three: an unknown key or flag is an error, and
 * every error names where the value came from. The resolved config is printed at start and saved
 * as the run's `config.json`.
 * @module
 */
import { z } from "zod";
import { BERT_PRESETS, type BertPresetName } from "../../core/bert/config.ts";
import type { BackendName } from "../../core/device.ts";
import { STRATEGY_NAMES, type StrategyName } from "../masking/strategies.ts";
import { DEFAULT_BUDGET, DEFAULT_CONCEPTNET, DEFAULT_CORPUS } from "../concentrate.ts";
import { UsageError } from "../_cli.ts";

/** Which text the model trains on: the concentrated subset, its random control, the whole corpus, or a path. */
export type DataChoice = "concentrated" | "random" | "full" | string;

/** Everything a run needs; the keys are the flags with `_` for `-`. */
export interface PretrainConfig {
  /** A name for the run (default: `<preset or init>-<data>-<masking>`); used in the default `out`. */
  name: string | null;
  /** A size preset trained from scratch; ignored with `init`. */
  preset: BertPresetName;
  /** A HuggingFace-format BERT directory to continue from (config.json, model.safetensors, vocab.txt). */
  init: string | null;
  /** Corpus files or WikiExtractor directories (text, gzip). */
  corpus: string[];
  /** The ConceptNet file for concentration and concept masking. */
  conceptnet: string;
  /** Size of the concentrated subset (and its random control): `500KB`, `50MB`. */
  budget: string;
  data: DataChoice;
  masking: StrategyName;
  /** Optimizer steps; exclusive with `flops`. */
  steps: number | null;
  /** Train until this many FLOPs (counted by `flops_convention`); exclusive with `steps`. */
  flops: number | null;
  /** `6nd` (6 x parameters x tokens) or `electra` (METHOD.md §5). */
  flops_convention: "6nd" | "electra";
  /** Sequences per optimizer step (the paper's is 128), split into `grad_accum` micro-batches. */
  batch: number;
  grad_accum: number;
  seq_len: number;
  /** google-research/bert's max_predictions_per_seq. */
  max_predictions: number;
  /** Peak learning rate. */
  lr: number;
  /** Warm-up: a fraction of the steps when below 1, else a number of steps. */
  warmup: number;
  weight_decay: number;
  max_grad_norm: number;
  seed: number;
  backend: BackendName;
  /** Validate every N steps (0: only at the end). */
  eval_every: number;
  /** Most validation batches per evaluation. */
  eval_batches: number;
  /** Save a checkpoint every N steps (0: only at the end). */
  save_every: number;
  /** Log a metrics line every N steps. */
  log_every: number;
  /** Fraction of documents held out for validation. */
  validation: number;
  /** Where the run's files go (default `runs/<timestamp>-<name>`). */
  out: string | null;
  /** Where concentrated text and token shards are cached, keyed by their inputs. */
  cache: string;
}

/** The embedded default: the shipped samples, concept masking, a tiny BERT, under 10 minutes on lavapipe. */
export const DEFAULTS: Readonly<PretrainConfig> = Object.freeze(
  {
    name: null,
    preset: "tiny",
    init: null,
    corpus: DEFAULT_CORPUS,
    conceptnet: DEFAULT_CONCEPTNET,
    budget: DEFAULT_BUDGET,
    data: "concentrated",
    masking: "concept",
    steps: null,
    flops: 1.6e13,
    flops_convention: "6nd",
    batch: 32,
    grad_accum: 1,
    seq_len: 128,
    max_predictions: 20,
    lr: 1e-3,
    warmup: 0.1,
    weight_decay: 0.01,
    max_grad_norm: 1,
    seed: 1,
    backend: "auto",
    eval_every: 50,
    eval_batches: 8,
    save_every: 0,
    log_every: 10,
    validation: 0.1,
    out: null,
    cache: "out/cache",
  } satisfies PretrainConfig,
);

const positiveInt = z.number().int().positive();
const nonNegativeInt = z.number().int().nonnegative();

const SCHEMA = z.object({
  name: z.string().min(1).nullable(),
  preset: z.enum(Object.keys(BERT_PRESETS) as [BertPresetName, ...BertPresetName[]]),
  init: z.string().min(1).nullable(),
  corpus: z.array(z.string().min(1)).min(1),
  conceptnet: z.string().min(1),
  budget: z.string().regex(
    /^\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i,
    "a size such as 500KB or 50MB",
  ),
  data: z.string().min(1),
  masking: z.enum(STRATEGY_NAMES),
  steps: positiveInt.nullable(),
  flops: z.number().positive().finite().nullable(),
  flops_convention: z.enum(["6nd", "electra"]),
  batch: positiveInt,
  grad_accum: positiveInt,
  seq_len: z.number().int().min(8).max(512),
  max_predictions: positiveInt,
  lr: z.number().positive().finite(),
  warmup: z.number().nonnegative().finite(),
  weight_decay: z.number().nonnegative().finite(),
  max_grad_norm: z.number().positive(),
  seed: nonNegativeInt,
  backend: z.enum(["auto", "dawn", "deno", "cpu"]),
  eval_every: nonNegativeInt,
  eval_batches: positiveInt,
  save_every: nonNegativeInt,
  log_every: positiveInt,
  validation: z.number().min(0).lt(1),
  out: z.string().min(1).nullable(),
  cache: z.string().min(1),
}).strict();

const KEYS = Object.keys(DEFAULTS) as (keyof PretrainConfig)[];

/** Parses JSONC: JSON with `//` and block comments and trailing commas, strings left intact. */
export function parseJsonc(text: string, source: string): unknown {
  let out = "";
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '"') {
      const start = i;
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === "\\") i++;
      out += text.slice(start, i + 1);
    } else if (c === "/" && text[i + 1] === "/") {
      while (i < text.length && text[i] !== "\n") i++;
      out += "\n";
    } else if (c === "/" && text[i + 1] === "*") {
      const end = text.indexOf("*/", i + 2);
      if (end < 0) throw new SyntaxError(`Cannot read config ${source}: unterminated comment`);
      out += text.slice(i, end + 2).replace(/[^\n]/g, " ");
      i = end + 1;
    } else out += c;
  }
  try {
    return JSON.parse(out.replace(/,(\s*[}\]])/g, "$1"));
  } catch (error) {
    throw new SyntaxError(`Cannot read config ${source}: ${(error as Error).message}`);
  }
}

/** Reads a `--config` file: a JSON object whose keys are config keys. */
export async function readConfigFile(path: string): Promise<Partial<PretrainConfig>> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    throw new UsageError(`pretrain: cannot read --config ${path}: ${(error as Error).message}`);
  }
  let json: unknown;
  try {
    json = parseJsonc(text, path);
  } catch (error) {
    throw new UsageError(`pretrain: ${(error as Error).message}`);
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new UsageError(`pretrain: config ${path} must hold a JSON object`);
  }
  return json as Partial<PretrainConfig>;
}

/**
 * Defaults, then `file`, then `flags`: checked as a whole. An unknown key is a UsageError (exit 2),
 * a bad value an Error (exit 1), each naming the key and its source (`--lr`, `run.json: "lr"`).
 */
export function resolveConfig(
  file: Partial<PretrainConfig>,
  flags: Partial<PretrainConfig>,
  fileName = "config",
): PretrainConfig {
  for (const [source, part] of [[fileName, file], ["flags", flags]] as const) {
    for (const key of Object.keys(part)) {
      if (!KEYS.includes(key as keyof PretrainConfig)) {
        const where = source === "flags" ? `--${key.replaceAll("_", "-")}` : `${source}: "${key}"`;
        throw new UsageError(`pretrain: unknown setting ${where}; known: ${KEYS.join(", ")}`);
      }
    }
  }
  const merged = { ...DEFAULTS, ...file, ...flags };
  // A file or flag naming steps drops the default FLOPs budget, and the other way round.
  const named = (key: "steps" | "flops") => key in flags || key in file;
  if (named("steps") && !named("flops")) merged.flops = null;
  if (merged.steps !== null && merged.flops !== null) {
    throw new UsageError(`pretrain: give --steps or --flops, not both`);
  }
  if (merged.steps === null && merged.flops === null) {
    throw new UsageError(`pretrain: give --steps or --flops`);
  }
  const parsed = SCHEMA.safeParse(merged);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const key = String(issue.path[0] ?? "");
    const where = key in flags
      ? `--${key.replaceAll("_", "-")}`
      : key in file
      ? `${fileName}: "${key}"`
      : key;
    // A bad value is a failed run (exit 1); only the command line's syntax is a usage error (exit 2).
    throw new Error(
      `pretrain: ${where}: ${issue.message} (got ${JSON.stringify(merged[key as keyof PretrainConfig])})`,
    );
  }
  const config = parsed.data as PretrainConfig;
  if (config.batch % config.grad_accum !== 0) {
    throw new Error(
      `pretrain: --batch ${config.batch} is not a multiple of --grad-accum ${config.grad_accum}`,
    );
  }
  if (config.max_predictions > config.seq_len - 2) {
    throw new Error(`pretrain: --max-predictions ${config.max_predictions} exceeds --seq-len minus 2`);
  }
  return config;
}

/** The run's name when none is given: what it starts from, which text, which masking. */
export function runName(config: PretrainConfig): string {
  if (config.name) return config.name;
  const start = config.init ? basename(config.init) : config.preset;
  const data = ["concentrated", "random", "full"].includes(config.data) ? config.data : basename(config.data);
  return `${start}-${data}-${config.masking}`;
}

function basename(path: string): string {
  return path.replace(/[\\/]+$/, "").split(/[\\/]/).pop()!.replace(/[^A-Za-z0-9._-]/g, "_");
}

/** The config as saved and printed: keys in schema order. */
export function configJson(config: PretrainConfig): string {
  const ordered = Object.fromEntries(KEYS.map((k) => [k, config[k]]));
  return JSON.stringify(ordered, null, 2) + "\n";
}
