/**
 * One streaming pass over some corpus files (a lane): every unit is scored, counted in the score
 * and random-key histograms, and written to the lane's candidate file when it may still be
 * selected. With a budget, that is when it is above the running budget cut
 * ({@linkcode RunningScoreCut}) or within the running random cut for the same budget
 * ({@linkcode RunningKeyCut}); with alpha, when it scores above alpha. Memory: the histograms and
 * the batches being scored, whatever the corpus.
 *
 * Any split of the corpus files into lanes keeps every unit the final selection takes (a cut over
 * part of the corpus is never stricter than over all of it), so a shard's files may be scanned
 * in parallel lanes ({@linkcode combineLanes}) exactly as shards are merged. Within a lane, batches
 * may be scored concurrently (by a worker pool) but are consumed strictly in corpus order.
 * @module
 */
import { CandidateWriter } from "./candidates.ts";
import { KeyHistogram, RunningKeyCut, RunningScoreCut, ScoreHistogram } from "./histogram.ts";
import { bucketOf, KEY_BUCKETS, positionOf, randomKey } from "./random_key.ts";
import type { LaneResult, LaneSpec } from "./lane.ts";
import { readUnits, type TextUnit } from "./units.ts";
import type { UnitScorer } from "./unit_scorer.ts";

/** A lane and its scorer. */
export interface ScanOptions extends LaneSpec {
  /** Gives each unit its raw f(t), batch by batch. */
  scorer: UnitScorer;
  /** Called at most every 10 s with the corpus bytes read and units scored so far. */
  onProgress?: (textBytes: number, units: number) => void;
}

/** The integer selection score of a raw f(t). */
export function selectionScore(raw: number, scale: number): number {
  const q = Math.round(raw * scale);
  if (!Number.isFinite(q) || q < 0) {
    throw new RangeError(`Cannot select by score ${raw}: expected a finite score >= 0`);
  }
  return q;
}

/** Scans one lane; see the module doc. */
export async function scan(options: ScanOptions): Promise<LaneResult> {
  const start = performance.now();
  const { selection, scale, seed } = options;
  const budget = selection.budget;
  const scoreCut = budget !== null ? new RunningScoreCut(budget) : null;
  const keyCut = budget !== null ? new RunningKeyCut(budget) : null;
  const histogram = scoreCut?.histogram ?? new ScoreHistogram();
  const keys = keyCut?.histogram ?? new KeyHistogram();
  const firstDrop = new Map<number, number>();
  const writer = await CandidateWriter.create(options.candidates);
  let textBytes = 0;
  let lastProgress = performance.now();

  const observe = async (u: TextUnit, raw: number) => {
    const score = selectionScore(raw, scale);
    const key = randomKey(seed, u.file, u.index);
    let keep: boolean;
    if (scoreCut && keyCut) {
      const mayConcentrate = scoreCut.add(score, u.bytes);
      if (!mayConcentrate && !firstDrop.has(score)) firstDrop.set(score, positionOf(u.file, u.index));
      keep = keyCut.add(bucketOf(key), u.bytes) || mayConcentrate;
    } else {
      histogram.add(score, u.bytes);
      keys.bytes[bucketOf(key)]! += u.bytes;
      keep = score / scale > selection.alpha!;
    }
    if (keep) await writer.add({ ...u, score, key });
  };

  type Batch = { units: TextUnit[]; scores: Promise<Float64Array> };
  const inFlight: Batch[] = [];
  const maxInFlight = 2 * options.scorer.workers;
  const consume = async (batch: Batch) => {
    const scores = await batch.scores;
    for (let i = 0; i < batch.units.length; i++) await observe(batch.units[i]!, scores[i]!);
    if (options.onProgress && performance.now() - lastProgress > 10_000) {
      lastProgress = performance.now();
      options.onProgress(textBytes, histogram.totalUnits);
    }
  };
  let units: TextUnit[] = [];
  let bytes = 0;
  const submit = async () => {
    if (units.length === 0) return;
    const scores = options.scorer.scoreBatch(units.map((u) => u.text));
    scores.catch(() => {}); // awaited in order below; this only keeps an early failure from going unhandled
    inFlight.push({ units, scores });
    units = [];
    bytes = 0;
    while (inFlight.length >= maxInFlight) await consume(inFlight.shift()!);
  };

  const limit = options.batchBytes ?? 256 * 1024;
  try {
    for (const f of options.fileIndices) {
      for await (const u of readUnits(options.files[f]!, f, options.units, (n) => textBytes += n)) {
        units.push(u);
        bytes += u.bytes;
        if (bytes >= limit) await submit();
      }
    }
    await submit();
    while (inFlight.length > 0) await consume(inFlight.shift()!);
    await writer.close();
  } catch (error) {
    await writer.abort();
    throw error;
  }
  return {
    unitsSeen: histogram.totalUnits,
    bytesSeen: histogram.totalBytes,
    textBytes,
    histogram: histogram.bins().map((b) => [b.score, b.units, b.bytes]),
    keyBytes: keys.bytes,
    firstDrop: [...firstDrop.entries()],
    candidates: {
      file: options.candidates,
      fileIndices: [...options.fileIndices],
      records: writer.records,
      bytes: writer.bytes,
    },
    seconds: (performance.now() - start) / 1000,
  };
}

/**
 * The lanes of one shard as one result: counts and histograms summed, for each score the earliest
 * first drop (every lane holds its ties up to its own first drop, so all lanes hold them up to the
 * earliest), the candidate files listed. Seconds are the longest lane's.
 */
export function combineLanes(lanes: readonly LaneResult[]): Omit<LaneResult, "candidates"> & {
  candidates: { lanes: LaneResult["candidates"][]; records: number; bytes: number };
} {
  const scores = new ScoreHistogram();
  const keyBytes = new Float64Array(KEY_BUCKETS);
  const firstDrop = new Map<number, number>();
  let unitsSeen = 0, bytesSeen = 0, textBytes = 0, seconds = 0, records = 0, candidateBytes = 0;
  for (const l of lanes) {
    for (const [s, u, b] of l.histogram) scores.add(s, b, u);
    for (let k = 0; k < KEY_BUCKETS; k++) keyBytes[k]! += l.keyBytes[k]!;
    for (const [s, pos] of l.firstDrop) firstDrop.set(s, Math.min(pos, firstDrop.get(s) ?? Infinity));
    unitsSeen += l.unitsSeen;
    bytesSeen += l.bytesSeen;
    textBytes += l.textBytes;
    seconds = Math.max(seconds, l.seconds);
    records += l.candidates.records;
    candidateBytes += l.candidates.bytes;
  }
  return {
    unitsSeen,
    bytesSeen,
    textBytes,
    histogram: scores.bins().map((b) => [b.score, b.units, b.bytes]),
    keyBytes,
    firstDrop: [...firstDrop.entries()].sort((a, b) => a[0] - b[0]),
    candidates: { lanes: lanes.map((l) => l.candidates), records, bytes: candidateBytes },
    seconds,
  };
}
