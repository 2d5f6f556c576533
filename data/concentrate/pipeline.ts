/**
 * The concentrate pipeline: single-process runs, shards and merges (docs METHOD.md section 3).
 *
 * - {@linkcode runShard}: scans shard i of n (the corpus files whose index modulo n is i, 0-based)
 *   and writes its partial (`partial.json`, `candidates-<lane>.jsonl`) to a folder; with several
 *   workers and files, each worker scans whole files (a lane) on its own;
 * - {@linkcode mergeShards}: combines the partials of shards 0..n-1 into `concentrated.txt`,
 *   `random.txt` and `report.json`;
 * - {@linkcode concentrate}: both in one process (shard 0 of 1 in a temporary folder, then its
 *   merge), so sharded and single-process outputs are the same bytes by construction;
 * - {@linkcode concentrateCached}: reuses a finished folder whose report key matches the inputs.
 *
 * @example
 * ```ts
 * import { concentrate, conceptNetScorer } from "./mod.ts";
 *
 * const report = await concentrate({
 *   corpus: ["data/corpus/enwiki-2015-wikiextractor/AA/wiki_00.gz"],
 *   scorer: conceptNetScorer({ conceptnet: "data/conceptnet/cn100k/train100k.txt.gz" }),
 *   unit: "paragraph", windowWords: 128, seed: 1, budget: 100_000, alpha: null,
 * }, "out/concentrate-example");
 * console.log(report.bytes_kept, report.alpha);
 * ```
 * @module
 */
import { writeFileAtomic } from "../../util/atomic_write.ts";
import { corpusFiles } from "../corpus.ts";
import { loadPartials, mergePartials } from "./merge.ts";
import {
  candidatesFile,
  type JobStamp,
  type Partial,
  PARTIAL_FORMAT,
  PARTIAL_JSON,
  settingsKey,
  stampFile,
} from "./partial.ts";
import { buildReport, type ConcentrateReport } from "./report.ts";
import type { LaneResult, LaneSpec, Selection, ShardSpec } from "./lane.ts";
import { combineLanes, scan } from "./scan.ts";
import { KeyHistogram } from "./histogram.ts";
import { detailScorerOf, InlineScorer, loadScoringGraph, type ScorerSpec, WorkerPool } from "./scorer.ts";
import type { UnitScorer } from "./unit_scorer.ts";
import { DEFAULT_HYGIENE } from "../concept_hygiene.ts";
import type { UnitKind } from "./units.ts";

/** How units are scored: described for the key, scaled to integers, opened for a scan. */
export interface ScorerChoice {
  /** What identifies the scorer in the key and the report (file stamps and options). */
  describe(): Promise<Record<string, unknown>>;
  /** Selection score = round(f(t) * scale): 1 for counts, 10^4 for per-token scores. */
  scale: number;
  /** Scoring threads wanted: 1 scores inline. */
  workers: number;
  /** Loads the scorer (ConceptNet) with `workers` threads (default: all wanted). */
  open(workers?: number): Promise<UnitScorer>;
}

/** One concentrate run's inputs and options. */
export interface ConcentrateJob {
  /** Corpus files, or directories of WikiExtractor `wiki_NN` files. */
  corpus: readonly string[];
  /** How units are scored, e.g. {@linkcode conceptNetScorer}. */
  scorer: ScorerChoice;
  /** What a text unit is. */
  unit: UnitKind;
  /** Words per `window` unit. */
  windowWords: number;
  /** Seed of the random control. */
  seed: number;
  /** Byte budget, or null with `alpha`. */
  budget: number | null;
  /** Keep units scoring above alpha, or null with `budget`. */
  alpha: number | null;
  /** Text bytes per scoring batch (default 256 KiB); small values exercise the worker ordering. */
  batchBytes?: number;
  /** Called now and then during a scan with the corpus bytes read and units scored so far. */
  onProgress?: (textBytes: number, units: number) => void;
}

/** Per-token scores are kept to 4 decimals so that histogram bins and ties are exact. */
export const PER_TOKEN_SCALE = 1e4;

/**
 * The ConceptNet scorer: loaded once here, then scored inline for one worker, else by a pool of
 * Deno Workers running `workerUrl` (a module that wires `workerHandler` to `self`, such as
 * tasks/concentrate_worker.ts), each building its matcher from the graph it is sent.
 */
export function conceptNetScorer(spec: ScorerSpec, workers = 1, workerUrl?: URL): ScorerChoice {
  return {
    scale: spec.perToken ? PER_TOKEN_SCALE : 1,
    workers: workerUrl ? Math.max(1, workers) : 1,
    describe: async () => ({
      conceptnet: await stampFile(spec.conceptnet, "ConceptNet file"),
      kind: spec.kind ?? "edges",
      perToken: spec.perToken ?? false,
      maxN: spec.maxN ?? 4,
      keepExcludedRelations: spec.keepExcludedRelations ?? false,
      hygiene: { ...DEFAULT_HYGIENE, ...spec.hygiene },
    }),
    open: async (count = workers) => {
      const { graph, info } = await loadScoringGraph(spec);
      const scorer: UnitScorer = count <= 1 || !workerUrl
        ? new InlineScorer(detailScorerOf(graph, spec))
        : await WorkerPool.start(workerUrl, count, graph, spec);
      scorer.info = info;
      return scorer;
    },
  };
}

/** The settings of a job (corpus expanded and stamped), checking the selection. */
export async function settingsOf(job: ConcentrateJob): Promise<JobStamp> {
  selectionOf(job);
  const files = await corpusFiles(job.corpus);
  const stamps = [];
  for (const f of files) stamps.push(await stampFile(f, "corpus"));
  return {
    files: stamps,
    scorer: await job.scorer.describe(),
    unit: job.unit,
    windowWords: job.windowWords,
    seed: job.seed,
    scale: job.scorer.scale,
    budget: job.budget,
    alpha: job.alpha,
  };
}

/** Scans shard `shard` of the job's corpus and writes its partial into folder `out`. */
export async function runShard(
  job: ConcentrateJob,
  shard: ShardSpec,
  out: string,
  settings?: JobStamp,
): Promise<Partial> {
  if (
    !Number.isInteger(shard.count) || shard.count < 1 || !Number.isInteger(shard.index) || shard.index < 0
  ) {
    throw new RangeError(`Cannot run shard ${shard.index}/${shard.count}: expected integers 0 <= i < n`);
  }
  if (shard.index >= shard.count) {
    throw new RangeError(
      `Cannot run shard ${shard.index}/${shard.count}: shards are numbered 0..${shard.count - 1}`,
    );
  }
  settings ??= await settingsOf(job);
  const key = await settingsKey(settings);
  await Deno.mkdir(out, { recursive: true });
  const files = settings.files.map((f) => f.path);
  const mine = files.map((_, f) => f).filter((f) => f % shard.count === shard.index);
  // Several files and workers: each worker scans whole files (lanes), reading in parallel too.
  // One file: the workers score batches of it.
  const workers = job.scorer.workers;
  const laneCount = workers > 1 && mine.length > 1 ? Math.min(workers, mine.length) : 1;
  const lanes: LaneSpec[] = Array.from({ length: laneCount }, (_, j) => ({
    files,
    fileIndices: mine.filter((_, k) => k % laneCount === j),
    units: { unit: job.unit, windowWords: job.windowWords },
    seed: job.seed,
    scale: job.scorer.scale,
    selection: selectionOf(job),
    candidates: `${out}/${candidatesFile(j)}`,
    batchBytes: job.batchBytes,
  }));
  const loadStart = performance.now();
  const scorer = await job.scorer.open(laneCount > 1 ? laneCount : workers);
  const loadSeconds = (performance.now() - loadStart) / 1000;
  try {
    let results: LaneResult[];
    if (laneCount > 1 && scorer.scanLanes) results = await scorer.scanLanes(lanes);
    else {
      results = [];
      for (const lane of lanes) results.push(await scan({ ...lane, scorer, onProgress: job.onProgress }));
    }
    const result = combineLanes(results);
    const partial: Partial = {
      format: PARTIAL_FORMAT,
      key,
      settings,
      shard,
      unitsSeen: result.unitsSeen,
      bytesSeen: result.bytesSeen,
      textBytes: result.textBytes,
      scanSeconds: result.seconds,
      loadSeconds,
      workers: scorer.workers,
      scorerInfo: scorer.info ?? null,
      lanes: laneCount,
      histogram: result.histogram,
      keyHistogram: new KeyHistogram(result.keyBytes).sparse(),
      firstDrop: result.firstDrop,
      candidates: {
        lanes: result.candidates.lanes.map((l, j) => ({
          file: candidatesFile(j),
          fileIndices: l.fileIndices,
        })),
        records: result.candidates.records,
        bytes: result.candidates.bytes,
      },
      tallies: await scorer.tallies(),
    };
    await writeFileAtomic(`${out}/${PARTIAL_JSON}`, JSON.stringify(partial, null, 1) + "\n");
    return partial;
  } finally {
    scorer.close();
  }
}

/** Merges the partial folders `dirs` (shards 0..n-1 of one run) into folder `out`; writes report.json. */
export async function mergeShards(
  dirs: readonly string[],
  out: string,
  started?: number,
): Promise<ConcentrateReport> {
  const start = started ?? performance.now();
  // A report left from an earlier run must not vouch for outputs this run is replacing.
  await Deno.remove(`${out}/report.json`).catch(() => {});
  const merged = await mergePartials(await loadPartials(dirs), out);
  const report = buildReport(merged, (performance.now() - start) / 1000);
  await writeFileAtomic(`${out}/report.json`, JSON.stringify(report, null, 1) + "\n");
  return report;
}

/** Runs the whole job in this process and writes `out/{concentrated.txt,random.txt,report.json}`. */
export async function concentrate(job: ConcentrateJob, out: string): Promise<ConcentrateReport> {
  const start = performance.now();
  const settings = await settingsOf(job);
  await Deno.mkdir(out, { recursive: true });
  const temp = await Deno.makeTempDir({ dir: out, prefix: ".partial-" });
  try {
    await runShard(job, { index: 0, count: 1 }, temp, settings);
    return await mergeShards([temp], out, start);
  } finally {
    await Deno.remove(temp, { recursive: true }).catch(() => {});
  }
}

/**
 * The finished result in `out` when its report.json was made from the same inputs and options (the
 * key: corpus and ConceptNet files with sizes and modification times, all options), else a fresh
 * {@linkcode concentrate} run.
 */
export async function concentrateCached(
  job: ConcentrateJob,
  out: string,
): Promise<{ report: ConcentrateReport; cached: boolean }> {
  const key = await settingsKey(await settingsOf(job));
  try {
    const report = JSON.parse(await Deno.readTextFile(`${out}/report.json`)) as ConcentrateReport;
    if (report.key === key) {
      await Deno.stat(report.concentrated.path);
      await Deno.stat(report.random.path);
      return { report, cached: true };
    }
  } catch {
    // No usable result: run below.
  }
  return { report: await concentrate(job, out), cached: false };
}

function selectionOf(job: ConcentrateJob): Selection {
  if ((job.budget === null) === (job.alpha === null)) {
    throw new RangeError("Cannot concentrate: give exactly one of a byte budget and alpha");
  }
  if (job.budget !== null) {
    if (!Number.isSafeInteger(job.budget) || job.budget < 1) {
      throw new RangeError(
        `Cannot concentrate: the budget must be a positive whole number of bytes, got ${job.budget}`,
      );
    }
    return { budget: job.budget, alpha: null };
  }
  if (!Number.isFinite(job.alpha!)) {
    throw new RangeError(`Cannot concentrate: alpha must be a number, got ${job.alpha}`);
  }
  return { budget: null, alpha: job.alpha! };
}
