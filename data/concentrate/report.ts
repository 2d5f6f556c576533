/**
 * `report.json` of a concentrate run and its short human summary.
 *
 * Throughput `mb_per_s` is decompressed corpus bytes (10^6 per MB) over the seconds spent scanning
 * and selecting (`scan_s + merge_s`, summed over shards): loading ConceptNet is reported apart
 * (`load_s`), as it does not grow with the corpus.
 * @module
 */
import type { MergeResult } from "./merge.ts";
import type { FileStamp } from "./partial.ts";
import type { ScorerInfo } from "./unit_scorer.ts";
import { formatBytes } from "./size.ts";
import { type ConceptHygiene, DEFAULT_HYGIENE, isStopConcept, isStopWord } from "../concept_hygiene.ts";
import { normalizeWords } from "../concept_words.ts";

/** How many concepts and edges the report lists. */
export const TOP_TALLIES = 25;

/** The contents of `report.json`. */
export interface ConcentrateReport {
  /** SHA-256 of the run's settings: a cached result is reused only when this matches. */
  key: string;
  /** Corpus files and scorer as stamped in the key, and what the scorer reported loading. */
  inputs: { corpus: FileStamp[]; scorer: Record<string, unknown>; scorer_info: ScorerInfo | null };
  /** The run's options; `workers` has one entry per shard. */
  options: {
    unit: string;
    window_words: number;
    seed: number;
    budget_bytes: number | null;
    alpha: number | null;
    score_scale: number;
    shards: number;
    workers: number[];
  };
  /** Units scored in the whole corpus. */
  units_seen: number;
  /** Units in the concentrated output. */
  units_kept: number;
  /** Unit bytes (text plus newline) of the whole corpus. */
  bytes_seen: number;
  /** Unit bytes of the concentrated output. */
  bytes_kept: number;
  /** Decompressed corpus bytes read, markup included. */
  text_bytes_read: number;
  /** The cut as an f(t) value: budget mode's tie score, or the given alpha. */
  alpha: number;
  /** Budget mode: the units scoring exactly alpha and how many were taken; null with alpha. */
  tie: { score: number; units: number; bytes: number; units_taken: number; bytes_taken: number } | null;
  /** The concentrated output file. */
  concentrated: OutputReport;
  /** The random control file, of at most the concentrated output's unit bytes. */
  random: OutputReport;
  /** Units and unit bytes per f(t) value, increasing, non-empty bins only. */
  histogram: { score: number; units: number; bytes: number }[];
  /** Concepts found in at least one unit. */
  distinct_concepts: number;
  /** Edges found in at least one unit. */
  distinct_edges: number;
  /** What concept hygiene (METHOD.md 2a) removed, as shares of the edges found; see {@linkcode HygieneReport}. */
  hygiene: HygieneReport;
  /** The {@linkcode TOP_TALLIES} concepts found in the most units, most first (filtered concepts left out). */
  top_concepts: { term: string; units: number }[];
  /** The {@linkcode TOP_TALLIES} edges found in the most units, most first (edges f(t) does not count left out). */
  top_edges: { head: string; relation: string; tail: string; units: number }[];
  /** Seconds loading the scorer, summed over shards. */
  load_s: number;
  /** Seconds scanning, summed over shards (each shard's longest lane). */
  scan_s: number;
  /** Seconds of the merge: selecting and writing the outputs. */
  merge_s: number;
  /** Wall-clock seconds of the process that merged (the whole run when single-process). */
  elapsed_s: number;
  /** Decompressed corpus MB (10^6 bytes) per second of `scan_s + merge_s`. */
  mb_per_s: number;
  /** Per shard: its index, units and bytes scanned, scan seconds, lanes and candidates kept. */
  shard_runs: {
    index: number;
    units_seen: number;
    text_bytes: number;
    scan_s: number;
    lanes: number;
    candidates: number;
  }[];
}

/**
 * Concept hygiene in numbers. Every share is over unit-edge pairs: the sum over units of the edges
 * with both ends in the unit, which is f(t) summed over units for the `edges` score without filters.
 */
export interface HygieneReport {
  /** The filters as run. */
  settings: ConceptHygiene;
  /** Unit-edge pairs found, filtered edges included. */
  edge_units: number;
  /** Share of them from edges with a stop-concept end (removed unless stop concepts are kept). */
  stop_end_share: number;
  /** Share from self-loops without a stop end (removed unless self-loops are kept). */
  self_loop_share: number;
  /** Share of what f(t) counts, after the filters as run, from stop-end edges and self-loops. */
  noise_share_counted: number;
  /** Share of the words of the concepts found (weighted by units) that are stop words. */
  stopword_share_in_concepts: number;
}

/** One output file in the report. */
export interface OutputReport {
  /** The file written. */
  path: string;
  /** Units written. */
  units: number;
  /** Unit bytes (text plus newline), what the budget counts. */
  bytes: number;
  /** Source documents the units came from (runs of units of one document). */
  documents: number;
  /** Size of the file: unit bytes plus the empty lines between documents. */
  file_bytes: number;
  /** Mean whitespace-separated words per unit. */
  mean_unit_words: number;
}

/** Builds the report of a merge; `elapsed` is this process's wall time in seconds. */
export function buildReport(m: MergeResult, elapsed: number): ConcentrateReport {
  const s = m.settings;
  const shards = m.partials.map((p) => p.partial);
  const scan = shards.reduce((t, p) => t + p.scanSeconds, 0);
  const load = shards.reduce((t, p) => t + p.loadSeconds, 0);
  const output = (o: MergeResult["concentrated"]): OutputReport => ({
    path: o.path,
    units: o.units,
    bytes: o.bytes,
    documents: o.documents,
    file_bytes: o.fileBytes,
    mean_unit_words: o.units === 0 ? 0 : Math.round(10 * o.words / o.units) / 10,
  });
  const hygiene = hygieneOf(m.tallies, {
    ...DEFAULT_HYGIENE,
    ...(s.scorer.hygiene as Partial<ConceptHygiene>),
  });
  const round = (x: number) => Math.round(x * 1000) / 1000;
  return {
    key: m.key,
    inputs: { corpus: s.files, scorer: s.scorer, scorer_info: shards[0]!.scorerInfo },
    options: {
      unit: s.unit,
      window_words: s.windowWords,
      seed: s.seed,
      budget_bytes: s.budget,
      alpha: s.alpha,
      score_scale: s.scale,
      shards: shards.length,
      workers: shards.map((p) => p.workers),
    },
    units_seen: m.unitsSeen,
    units_kept: m.concentrated.units,
    bytes_seen: m.bytesSeen,
    bytes_kept: m.concentrated.bytes,
    text_bytes_read: m.textBytes,
    alpha: m.alpha,
    tie: m.tie && {
      score: m.alpha,
      units: m.tie.units,
      bytes: m.tie.bytes,
      units_taken: m.tie.unitsTaken,
      bytes_taken: m.tie.bytesTaken,
    },
    concentrated: output(m.concentrated),
    random: output(m.random),
    histogram: m.histogram.bins().map((b) => ({ score: b.score / s.scale, units: b.units, bytes: b.bytes })),
    distinct_concepts: m.tallies.concepts.length,
    distinct_edges: m.tallies.edges.length,
    hygiene: hygiene.report,
    top_concepts: hygiene.concepts.slice(0, TOP_TALLIES).map(([term, units]) => ({ term, units })),
    top_edges: hygiene.edges.slice(0, TOP_TALLIES).map(([head, relation, tail, units]) => ({
      head,
      relation,
      tail,
      units,
    })),
    load_s: round(load),
    scan_s: round(scan),
    merge_s: round(m.seconds),
    elapsed_s: round(elapsed),
    mb_per_s: round(m.textBytes / 1e6 / (scan + m.seconds)),
    shard_runs: shards.map((p) => ({
      index: p.shard.index,
      units_seen: p.unitsSeen,
      text_bytes: p.textBytes,
      scan_s: round(p.scanSeconds),
      lanes: p.lanes,
      candidates: p.candidates.records,
    })),
  };
}

/** The hygiene numbers of the tallies, and the concepts and edges that f(t) counts. */
function hygieneOf(
  tallies: MergeResult["tallies"],
  settings: ConceptHygiene,
): {
  report: HygieneReport;
  concepts: MergeResult["tallies"]["concepts"];
  edges: MergeResult["tallies"]["edges"];
} {
  const stopTerm = new Map<string, boolean>();
  const isStop = (term: string) => {
    let stop = stopTerm.get(term);
    if (stop === undefined) stopTerm.set(term, stop = isStopConcept(term));
    return stop;
  };
  let all = 0, stopEnd = 0, loops = 0, counted = 0, countedNoise = 0;
  const edges: MergeResult["tallies"]["edges"] = [];
  for (const edge of tallies.edges) {
    const [head, , tail, units] = edge;
    const stop = isStop(head) || isStop(tail), loop = head === tail;
    all += units;
    if (stop) stopEnd += units;
    else if (loop) loops += units;
    const kept = (!stop || settings.keepStopConcepts) && (!loop || settings.keepSelfLoops);
    if (!kept) continue;
    counted += units;
    if (stop || loop) countedNoise += units;
    edges.push(edge);
  }
  let words = 0, stopWords = 0;
  const concepts = tallies.concepts.filter(([term]) => settings.keepStopConcepts || !isStop(term));
  for (const [term, units] of concepts) {
    for (const w of normalizeWords(term).split(" ")) {
      words += units;
      if (isStopWord(w)) stopWords += units;
    }
  }
  const share = (x: number, of: number) => of === 0 ? 0 : Math.round(1e4 * x / of) / 1e4;
  return {
    report: {
      settings,
      edge_units: all,
      stop_end_share: share(stopEnd, all),
      self_loop_share: share(loops, all),
      noise_share_counted: share(countedNoise, counted),
      stopword_share_in_concepts: share(stopWords, words),
    },
    concepts,
    edges,
  };
}

/** A few lines for stdout. */
export function formatReport(r: ConcentrateReport): string {
  const pct100 = (x: number) => `${(100 * x).toFixed(1)}%`;
  const pct = (x: number) => `${(100 * x / r.bytes_seen).toFixed(1)}%`;
  const files = r.inputs.corpus.length;
  const rule = r.tie
    ? `score > ${r.alpha}, and ${r.tie.units_taken} of the ${r.tie.units} units scoring ${r.alpha}`
    : `score > ${r.alpha}`;
  const lines = [
    `concentrate: ${r.units_seen} ${r.options.unit} units, ${
      formatBytes(r.bytes_seen)
    } of text in ${files} ` +
    `file${files === 1 ? "" : "s"}`,
    `  concentrated: ${r.units_kept} units, ${formatBytes(r.bytes_kept)} (${
      pct(r.bytes_kept)
    }) with ${rule}` +
    ` -> ${r.concentrated.path}`,
    `  random control: ${r.random.units} units, ${formatBytes(r.random.bytes)} (seed ${r.options.seed})` +
    ` -> ${r.random.path}`,
    `  mean words per unit: concentrated ${r.concentrated.mean_unit_words}, random ${r.random.mean_unit_words}`,
    `  concept hygiene: of ${r.hygiene.edge_units} unit-edge pairs, ${
      pct100(r.hygiene.stop_end_share)
    } had a ` +
    `stop-concept end and ${pct100(r.hygiene.self_loop_share)} were self-loops; f(t) counts ` +
    `${pct100(r.hygiene.noise_share_counted)} of such edges; stop words are ` +
    `${pct100(r.hygiene.stopword_share_in_concepts)} of concept words`,
  ];
  if (r.top_concepts.length > 0) {
    lines.push(
      `  top concepts: ${r.top_concepts.slice(0, 8).map((c) => `${c.term} (${c.units})`).join(", ")}`,
    );
  }
  if (r.top_edges.length > 0) {
    const edges = r.top_edges.slice(0, 5).map((e) => `${e.head} ${e.relation} ${e.tail} (${e.units})`);
    lines.push(`  top edges: ${edges.join(", ")}`);
  }
  // Repeated here because a merge or a cached result loads no ConceptNet, so prints no warning.
  const info = r.inputs.scorer_info;
  if (typeof info?.malformed === "number" && info.malformed > 0) {
    lines.push(`  ConceptNet: skipped ${info.malformed} malformed of its ${info.lines} lines`);
  }
  const shards = r.options.shards > 1 ? `, ${r.options.shards} shards` : "";
  lines.push(
    `  ${r.elapsed_s.toFixed(1)} s (loading ConceptNet ${r.load_s.toFixed(1)} s), ${
      r.mb_per_s.toFixed(1)
    } MB/s ` +
      `with ${r.options.workers.join("+")} worker${r.options.workers.join("") === "1" ? "" : "s"}${shards}`,
  );
  return lines.join("\n");
}
