/**
 * `deno task concentrate [--corpus PATH...] [--conceptnet PATH] --budget SIZE|--alpha X --out DIR
 * [--unit paragraph|document|window] [--window 128] [--score edges|mentions] [--per-token]
 * [--max-n 4] [--seed 1] [--workers N] [--keep-excluded-relations] [--shard i/n] [--merge DIR...]
 * [--json]`: keeps the part of a corpus densest in ConceptNet knowledge (docs METHOD.md section 3).
 *
 * Writes `DIR/concentrated.txt` (the highest-scoring units filling the budget, or those above
 * alpha), `DIR/random.txt` (a seeded uniformly random control of the same size within one unit) and
 * `DIR/report.json`, and prints a short summary (`--json`: the report).
 *
 * - Units: `paragraph` (default; a line of a document), `document`, or `window` (`--window` words
 *   of one document, joined by spaces). Output: one unit per line in corpus order, an empty line
 *   between units of different source documents: a plain-text corpus for `deno task shards`.
 * - `--budget` sizes: B, KB, MB, GB, TB (powers of 1000) or KiB, MiB, GiB, TiB (powers of 1024);
 *   a unit counts its UTF-8 text plus its newline, the empty lines between documents are not
 *   counted. `--per-token` scores are rounded to 4 decimals.
 * - `--shard i/n` (0-based, 0 <= i < n) scans the corpus files whose index modulo n is i (files in
 *   the sorted order of `--corpus`) and writes a partial to `--out`; `--merge DIR...` combines the
 *   partials of shards 0..n-1 into the same bytes a single process writes. With `--alpha` the merge
 *   reads the corpus once more (no scoring) for the random control.
 * - `--workers N` (default: all cores): ConceptNet is loaded once and sent to N Deno Workers. With
 *   several corpus files each worker reads, scores and keeps candidates of its own files (a lane,
 *   merged like shards); with one file the workers score batches of it. The output does not
 *   depend on N.
 *
 * With no arguments: the shipped Wikipedia sample (data/corpus/enwiki-2015-wikiextractor/AA/wiki_0*.gz),
 * CN-100K (data/conceptnet/cn100k/train100k.txt.gz), a budget of 500KB (about 10% of the sample's
 * 5.1 MB of text), out `out/concentrate-default`. `--conceptnet` defaults to CN-100K.
 * @module
 */
import { fileURLToPath } from "node:url";
import type { ScoreKind } from "../data/concept_score.ts";
import {
  concentrate,
  concentrateCached as cachedRun,
  type ConcentrateJob,
  type ConcentrateReport,
  conceptNetScorer,
  formatBytes,
  formatReport,
  mergeShards,
  parseSize,
  type Partial,
  runShard,
  type ShardSpec,
  UNIT_KINDS,
  type UnitKind,
} from "../data/concentrate/mod.ts";
import { main, parseFlags, UsageError } from "./_cli.ts";

/** Options of {@linkcode run}. */
export interface ConcentrateConfig {
  /** Corpus files or directories of WikiExtractor `wiki_NN` files. */
  corpus: string[];
  conceptnet: string;
  out: string;
  budget: number | null;
  alpha: number | null;
  unit: UnitKind;
  /** Words per `window` unit. */
  window: number;
  score: ScoreKind;
  perToken: boolean;
  maxN: number;
  seed: number;
  keepExcludedRelations: boolean;
  /** Scoring threads: 1 scores inline, more start Deno Workers. */
  workers: number;
  /** Scan one shard and write its partial to `out`. */
  shard: ShardSpec | null;
  /** Merge these partial folders into `out` instead of scanning. */
  merge: string[] | null;
  json: boolean;
}

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

/** The shipped Wikipedia sample files. */
export const DEFAULT_CORPUS: string[] = [0, 1, 2, 3, 4].map((k) =>
  here(`../data/corpus/enwiki-2015-wikiextractor/AA/wiki_0${k}.gz`)
);
/** The shipped CN-100K extract. */
export const DEFAULT_CONCEPTNET: string = here("../data/conceptnet/cn100k/train100k.txt.gz");
/** Budget of a run without arguments: about 10% of the sample's text. */
export const DEFAULT_BUDGET = "500KB";
/** Output folder of a run without `--out`. */
export const DEFAULT_OUT = "out/concentrate-default";
/** The worker module. */
export const WORKER_URL: URL = new URL("./concentrate_worker.ts", import.meta.url);

/** The job of a config (not for `--merge`). */
export function jobOf(config: ConcentrateConfig): ConcentrateJob {
  const spec = {
    conceptnet: config.conceptnet,
    kind: config.score,
    perToken: config.perToken,
    maxN: config.maxN,
    keepExcludedRelations: config.keepExcludedRelations,
  };
  return {
    corpus: config.corpus,
    scorer: conceptNetScorer(spec, config.workers, WORKER_URL),
    unit: config.unit,
    windowWords: config.window,
    seed: config.seed,
    budget: config.budget,
    alpha: config.alpha,
    onProgress: (bytes, units) =>
      console.error(`concentrate: ${formatBytes(bytes)} read, ${units} units scored`),
  };
}

/** Scans, merges or both, as the config says; prints a summary; returns the report or the partial. */
export async function run(config: ConcentrateConfig): Promise<ConcentrateReport | Partial> {
  if (config.merge) return print(await mergeShards(config.merge, config.out), config.json);
  if (config.shard) {
    const p = await runShard(jobOf(config), config.shard, config.out);
    if (config.json) console.log(JSON.stringify(p.candidates));
    else {
      console.log(
        `concentrate shard ${p.shard.index}/${p.shard.count}: ${p.unitsSeen} units, ${
          formatBytes(p.bytesSeen)
        } ` +
          `of text; ${p.candidates.records} candidates (${formatBytes(p.candidates.bytes)}) in ${
            p.scanSeconds.toFixed(1)
          } s ` +
          `-> ${config.out}`,
      );
    }
    return p;
  }
  return print(await concentrate(jobOf(config), config.out), config.json);
}

/**
 * The finished result in `config.out` when its report.json key matches the config's inputs (file
 * names, sizes and modification times of corpus and ConceptNet) and options, else a fresh run.
 */
export async function concentrateCached(
  config: ConcentrateConfig,
): Promise<{ dir: string; report: ConcentrateReport; cached: boolean }> {
  const { report, cached } = await cachedRun(jobOf(config), config.out);
  return { dir: config.out, report, cached };
}

function print(report: ConcentrateReport, json: boolean): ConcentrateReport {
  console.log(json ? JSON.stringify(report) : formatReport(report));
  return report;
}

/** Parses the flags (see the module doc); a bad flag is a UsageError. */
export function parseConcentrateArgs(args: string[]): ConcentrateConfig {
  const { values, positionals } = parseFlags("concentrate", args, {
    corpus: { type: "string", multiple: true },
    conceptnet: { type: "string" },
    budget: { type: "string" },
    alpha: { type: "string" },
    out: { type: "string" },
    unit: { type: "string" },
    window: { type: "string" },
    score: { type: "string" },
    "per-token": { type: "boolean" },
    "max-n": { type: "string" },
    seed: { type: "string" },
    workers: { type: "string" },
    "keep-excluded-relations": { type: "boolean" },
    shard: { type: "string" },
    merge: { type: "string", multiple: true },
    json: { type: "boolean" },
  });
  const v = values as Record<string, string | string[] | boolean | undefined>;
  const fail = (why: string) => new UsageError(`concentrate: ${why}`);
  const int = (flag: string, fallback: number, min: number) => {
    const raw = v[flag];
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > 0xffffffff) {
      throw fail(`--${flag} must be an integer >= ${min}, got "${raw}"`);
    }
    return n;
  };
  const merge = v.merge ? [...(v.merge as string[]), ...positionals] : null;
  const corpusGiven = v.corpus !== undefined || (!merge && positionals.length > 0);
  const corpus = merge ? [] : [...((v.corpus as string[] | undefined) ?? []), ...positionals];
  if (merge && (corpusGiven || v.conceptnet !== undefined || v.shard !== undefined)) {
    throw fail("--merge takes its inputs from the partials; drop --corpus, --conceptnet and --shard");
  }
  if (merge && v.out === undefined) throw fail("--merge needs --out DIR for the merged result");
  const unit = (v.unit ?? "paragraph") as UnitKind;
  if (!UNIT_KINDS.includes(unit)) throw fail(`--unit must be one of ${UNIT_KINDS.join(", ")}, got "${unit}"`);
  const score = (v.score ?? "edges") as ScoreKind;
  if (score !== "edges" && score !== "mentions") {
    throw fail(`--score must be edges or mentions, got "${score}"`);
  }

  let budget: number | null = null, alpha: number | null = null;
  if (v.budget !== undefined && v.alpha !== undefined) throw fail("give --budget or --alpha, not both");
  if (v.budget !== undefined) {
    try {
      budget = parseSize(v.budget as string);
    } catch (error) {
      throw fail(`--budget: ${(error as Error).message}`);
    }
  } else if (v.alpha !== undefined) {
    alpha = Number(v.alpha);
    if (v.alpha === "" || !Number.isFinite(alpha)) throw fail(`--alpha must be a number, got "${v.alpha}"`);
  } else if (!merge) {
    if (corpusGiven) throw fail("give --budget SIZE (such as 50MB) or --alpha X");
    budget = parseSize(DEFAULT_BUDGET);
  }

  let shard: ShardSpec | null = null;
  if (v.shard !== undefined) {
    const m = /^(\d+)\/(\d+)$/.exec(v.shard as string);
    const [index, count] = m ? [Number(m[1]), Number(m[2])] : [NaN, NaN];
    if (!(count >= 1 && index >= 0 && index < count)) {
      throw fail(`--shard must be i/n with 0 <= i < n (shards count from 0), got "${v.shard}"`);
    }
    if (v.out === undefined) throw fail("--shard needs --out DIR for its partial");
    shard = { index, count };
  }
  return {
    corpus: corpus.length > 0 ? corpus : [...DEFAULT_CORPUS],
    conceptnet: (v.conceptnet as string | undefined) ?? DEFAULT_CONCEPTNET,
    out: (v.out as string | undefined) ?? DEFAULT_OUT,
    budget,
    alpha,
    unit,
    window: int("window", 128, 1),
    score,
    perToken: Boolean(v["per-token"]),
    maxN: int("max-n", 4, 1),
    seed: int("seed", 1, 0),
    keepExcludedRelations: Boolean(v["keep-excluded-relations"]),
    workers: int("workers", navigator.hardwareConcurrency || 1, 1),
    shard,
    merge,
    json: Boolean(v.json),
  };
}

if (import.meta.main) {
  await main(async () => {
    await run(parseConcentrateArgs(Deno.args));
  });
}
