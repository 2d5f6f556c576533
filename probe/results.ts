/**
 * The knowledge probe's results: per fact the ranks of the gold tail under the model and the two
 * baselines, and, over all facts and per relation, P@1, P@10 and MRR of each with bootstrap
 * intervals, and the paired difference model - unigram on P@10 and MRR. What `results.json` holds.
 *
 * @example
 * ```ts
 * import { summarizeRanks } from "./results.ts";
 *
 * const groups = summarizeRanks(
 *   ["IsA", "IsA", "AtLocation"],
 *   { model: [1, 4, 20], unigram: [30, 2, 50], relationPrior: [3, 1, 9] },
 *   { resamples: 1000, seed: 1, level: 0.95 },
 * );
 * console.log(groups.overall.model.precisionAt10); // { value: 0.666..., low: ..., high: ... }
 * ```
 * @module
 */
import type { FactFileCounts, ProbeFactReport } from "./facts.ts";
import {
  type BootstrapInterval,
  bootstrapRankMetrics,
  RANK_METRICS,
  type RankMetrics,
  rankMetrics,
  streamKeyOfName,
  subtractSamples,
  withInterval,
} from "./metrics.ts";

/** The systems ranked: the model and the two baselines. */
export type ProbeSystem = "model" | "unigram" | "relationPrior";

/** The systems in report order. */
export const PROBE_SYSTEMS: readonly ProbeSystem[] = ["model", "unigram", "relationPrior"];

/** Each metric with its interval. */
export type MetricIntervals = Record<keyof RankMetrics, BootstrapInterval>;

/** The scores of one group of facts (all of them, or one relation's). */
export interface ProbeGroup {
  /** Facts in the group. */
  facts: number;
  /** The model's metrics. */
  model: MetricIntervals;
  /** The unigram baseline's. */
  unigram: MetricIntervals;
  /** The relation-prior baseline's. */
  relationPrior: MetricIntervals;
  /** Model minus unigram baseline, paired over the same resamples. */
  modelMinusUnigram: { precisionAt10: BootstrapInterval; mrr: BootstrapInterval };
}

/** How the intervals are drawn. */
export interface IntervalOptions {
  /** Bootstrap resamples. */
  resamples: number;
  /** Their seed. */
  seed: number;
  /** The interval's coverage, 0.95. */
  level: number;
}

/** The groups of {@linkcode summarizeRanks}. */
export interface ProbeGroups {
  /** Every fact. */
  overall: ProbeGroup;
  /** Per relation, sorted by name. */
  relations: Record<string, ProbeGroup>;
}

/** One fact's line of `predictions.tsv`. */
export interface ProbePrediction {
  /** The relation. */
  relation: string;
  /** The head. */
  head: string;
  /** The template with the head filled in. */
  text: string;
  /** The gold tail (one token). */
  gold: string;
  /** Its rank under the model (1 = best). */
  rank: number;
  /** Its softmax probability over the whole vocabulary, as fill-mask gives it. */
  prob: number;
  /** The model's 10 best tokens, best first. */
  top: string[];
  /** The gold tail's rank under the unigram baseline. */
  unigramRank: number;
  /** Its rank under the relation prior. */
  relationPriorRank: number;
  /** Where the fact came from, `path:line`. */
  source: string;
}

/** What `results.json` holds (and `deno task probe --json` prints). */
export interface ProbeResults {
  /** The model directory. */
  model: string;
  /** Where the files went. */
  out: string;
  /** The backend (`cpu`, `dawn`, `deno`) and adapter. */
  device: { backend: string; adapter: string };
  /** The inputs. */
  inputs: { facts: string[]; templates: string; corpus: string[]; conceptnet: string };
  /** The vocab's size and how many of its tokens are ranked (the special ones and [unusedN] are not). */
  vocab: { path: string; size: number; scored: number };
  /** The bootstrap. */
  intervals: IntervalOptions;
  /** What the facts files held, per file and per relation. */
  counts: {
    files: FactFileCounts[];
    relations: ProbeFactReport["relations"];
    total: ProbeFactReport["total"];
  };
  /** The relation-prior baseline's file: rows read, one-token tails counted, malformed rows. */
  relationPrior: { rows: number; counted: number; malformed: number };
  /** The scores over every fact. */
  overall: ProbeGroup;
  /** The scores per relation (the relations with kept facts, sorted by name). */
  relations: Record<string, ProbeGroup>;
  /** Wall time in seconds: reading, baselines, scoring, all. */
  seconds: { read: number; baselines: number; scoring: number; total: number };
}

/**
 * P@1, P@10 and MRR with intervals for every system, over all facts and per relation, and the
 * paired difference model - unigram. Each group draws its own resamples, keyed by the seed and the
 * group's name (`all` for every fact), the same for every system of the group.
 */
export function summarizeRanks(
  relations: readonly string[],
  ranks: Readonly<Record<ProbeSystem, ArrayLike<number>>>,
  options: IntervalOptions,
): ProbeGroups {
  const all = Array.from({ length: relations.length }, (_, i) => i);
  const names = [...new Set(relations)].sort();
  const byRelation = new Map<string, number[]>(names.map((r) => [r, []]));
  relations.forEach((r, i) => byRelation.get(r)!.push(i));
  return {
    overall: summarizeGroup("all", all, ranks, options),
    relations: Object.fromEntries(
      names.map((r) => [r, summarizeGroup(`relation ${r}`, byRelation.get(r)!, ranks, options)]),
    ),
  };
}

function summarizeGroup(
  name: string,
  members: readonly number[],
  ranks: Readonly<Record<ProbeSystem, ArrayLike<number>>>,
  options: IntervalOptions,
): ProbeGroup {
  const pick = (s: ProbeSystem) => Int32Array.from(members, (i) => ranks[s][i]!);
  const systems = Object.fromEntries(PROBE_SYSTEMS.map((s) => [s, pick(s)])) as Record<
    ProbeSystem,
    Int32Array
  >;
  const samples = bootstrapRankMetrics(systems, {
    resamples: options.resamples,
    seed: options.seed,
    stream: [streamKeyOfName(name)],
  });
  const intervals = (s: ProbeSystem): MetricIntervals => {
    const point = rankMetrics(systems[s]);
    return Object.fromEntries(
      RANK_METRICS.map((m) => [m, withInterval(point[m], samples[s]![m], options.level)]),
    ) as MetricIntervals;
  };
  const model = intervals("model"), unigram = intervals("unigram");
  const difference = (m: "precisionAt10" | "mrr") =>
    withInterval(
      model[m].value - unigram[m].value,
      subtractSamples(samples.model![m], samples.unigram![m]),
      options.level,
    );
  return {
    facts: members.length,
    model,
    unigram,
    relationPrior: intervals("relationPrior"),
    modelMinusUnigram: { precisionAt10: difference("precisionAt10"), mrr: difference("mrr") },
  };
}
