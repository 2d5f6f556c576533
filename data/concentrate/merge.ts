/**
 * Combines the partials of shards 0..n-1 (one partial for a single-process run) into the final
 * `concentrated.txt` and `random.txt`, exactly as one pass over the whole corpus would select them:
 *
 * - concentrated, budget B: alpha = the largest score whose units scoring >= alpha hold more than
 *   B bytes (summed histograms); every unit scoring > alpha, then the units scoring alpha in corpus
 *   order until the first that no longer fits. Output bytes: in (B - that unit, B].
 * - concentrated, alpha: every unit scoring > alpha.
 * - random control of the concentrated output's size C: units in increasing (random key, corpus
 *   position) order until the first that no longer fits; written in corpus order.
 *
 * With a budget, the shards' candidate files hold every unit either selection can take, so only
 * they are read. With alpha, C is known only now, so the corpus is read once more (no scoring) to
 * pick the random control.
 * @module
 */
import { type Candidate, CandidateWriter, readCandidates } from "./candidates.ts";
import { temporaryPath } from "../../util/atomic_write.ts";
import { KeyHistogram, ScoreHistogram } from "./histogram.ts";
import { type JobStamp, type Partial, readPartial } from "./partial.ts";
import { bucketOf, KEY_BUCKETS, positionOf, randomKey } from "./random_key.ts";
import type { Tallies } from "./unit_scorer.ts";
import { formatBytes } from "./size.ts";
import { readUnits } from "./units.ts";
import { type OutputStats, UnitWriter } from "./output.ts";

/** A partial with the folder it was read from. */
export interface LoadedPartial {
  /** The shard's folder: its candidate files are read from here. */
  dir: string;
  /** Its `partial.json`. */
  partial: Partial;
}

/** What a merge selected. */
export interface MergeResult {
  /** The run's key, shared by every partial. */
  key: string;
  /** The run's settings. */
  settings: JobStamp;
  /** The partials merged, in shard order. */
  partials: LoadedPartial[];
  /** Units scored, all shards. */
  unitsSeen: number;
  /** Their bytes (text plus one newline per unit). */
  bytesSeen: number;
  /** Decompressed corpus bytes read, all shards. */
  textBytes: number;
  /** Units and bytes per selection score, all shards summed. */
  histogram: ScoreHistogram;
  /** The cut as an f(t) value (score / scale): budget mode's tie score, or the given alpha. */
  alpha: number;
  /** Budget mode: the units scoring exactly alpha, and how many of them were taken. */
  tie: { units: number; bytes: number; unitsTaken: number; bytesTaken: number } | null;
  /** The concentrated output written. */
  concentrated: OutputStats;
  /** The random control written: at most the concentrated output's unit bytes. */
  random: OutputStats;
  /** Units per concept and per edge, all shards summed. */
  tallies: Tallies;
  /** Wall-clock time of the merge (selection and writing), the scans excluded. */
  seconds: number;
}

/** File name of the concentrated output in the output folder. */
export const CONCENTRATED_FILE = "concentrated.txt";
/** File name of the random control in the output folder. */
export const RANDOM_FILE = "random.txt";

/** Reads and checks the partials of folders `dirs`: one run's shards 0..n-1, each once. */
export async function loadPartials(dirs: readonly string[]): Promise<LoadedPartial[]> {
  if (dirs.length === 0) throw new RangeError("Cannot merge: no partial folders given");
  const parts: LoadedPartial[] = [];
  for (const dir of dirs) parts.push({ dir, partial: await readPartial(dir) });
  const first = parts[0]!;
  for (const p of parts) {
    if (p.partial.key !== first.partial.key) {
      throw new Error(
        `Cannot merge "${p.dir}": it was made from other inputs or options than "${first.dir}"`,
      );
    }
  }
  const n = first.partial.shard.count;
  const seen = parts.map((p) => p.partial.shard.index).sort((a, b) => a - b);
  if (parts.length !== n || seen.some((s, i) => s !== i)) {
    throw new Error(
      `Cannot merge: expected the ${n} shards 0..${n - 1} of one run once each, got shards ${
        seen.join(", ")
      }`,
    );
  }
  return parts.sort((a, b) => a.partial.shard.index - b.partial.shard.index);
}

/** Selects and writes `out/concentrated.txt` and `out/random.txt` from checked partials. */
export async function mergePartials(parts: LoadedPartial[], out: string): Promise<MergeResult> {
  const start = performance.now();
  const first = parts[0]!.partial;
  const settings = first.settings;
  const histogram = new ScoreHistogram();
  const keys = new KeyHistogram();
  let textBytes = 0;
  for (const { partial } of parts) {
    for (const [score, units, bytes] of partial.histogram) histogram.add(score, bytes, units);
    for (const [bucket, bytes] of partial.keyHistogram) keys.bytes[bucket]! += bytes;
    textBytes += partial.textBytes;
  }
  if (histogram.totalUnits === 0) {
    const names = settings.files.map((f) => f.path).join(", ");
    throw new Error(`Cannot concentrate: the corpus has no text (files: ${names})`);
  }
  await Deno.mkdir(out, { recursive: true });
  const conc = await concentrate(parts, histogram, keys, `${out}/${CONCENTRATED_FILE}`);
  const random = await randomControl(parts, keys, conc.stats.bytes, conc.keyed, `${out}/${RANDOM_FILE}`);
  return {
    key: first.key,
    settings,
    partials: parts,
    unitsSeen: histogram.totalUnits,
    bytesSeen: histogram.totalBytes,
    textBytes,
    histogram,
    alpha: conc.alpha,
    tie: conc.tie,
    concentrated: conc.stats,
    random,
    tallies: sumTallies(parts.map((p) => p.partial.tallies)),
    seconds: (performance.now() - start) / 1000,
  };
}

// A unit in random order: [key, position, bytes].
type Keyed = [number, number, number];

// Budget mode also collects, on the way, the units of every key bucket the random cut can fall in
// (the concentrated size is between the bytes above alpha and the budget), saving the random
// control a pass over the candidates.
async function concentrate(
  parts: LoadedPartial[],
  histogram: ScoreHistogram,
  keys: KeyHistogram,
  path: string,
): Promise<{ alpha: number; tie: MergeResult["tie"]; stats: OutputStats; keyed: Keyed[] | null }> {
  const { budget, alpha, scale } = parts[0]!.partial.settings;
  if (budget === null) {
    const stats = await writeUnits(path, candidatesInOrder(parts), (c) => c.score / scale > alpha!);
    const expected = histogram.bins().filter((b) => b.score / scale > alpha!).reduce(
      (s, b) => s + b.bytes,
      0,
    );
    if (stats.units === 0) {
      await Deno.remove(path);
      throw new Error(
        `Cannot concentrate: no unit scores above alpha ${alpha} (the highest score is ${
          histogram.max / scale
        })`,
      );
    }
    check(stats.bytes === expected, "concentrated bytes", stats.bytes, expected);
    return { alpha: alpha!, tie: null, stats, keyed: null };
  }
  const cut = histogram.cut(budget);
  if (cut === null) {
    throw new Error(
      `Cannot concentrate to ${formatBytes(budget)} (${budget} bytes): the budget is not smaller than ` +
        `the corpus (${histogram.totalBytes} bytes of text in ${histogram.totalUnits} units)`,
    );
  }
  const allowance = budget - cut.above;
  // Each shard kept its ties at alpha in corpus order up to the first one it dropped; that one
  // cannot fit the global budget either, so the ties stop there at the latest.
  let frontier = Infinity;
  for (const { partial } of parts) {
    for (const [score, pos] of partial.firstDrop) if (score === cut.alpha && pos < frontier) frontier = pos;
  }
  let taken = 0, takenBytes = 0, stopped = false;
  const lo = keys.cut(cut.above)?.bucket ?? KEY_BUCKETS, hi = keys.cut(budget)?.bucket ?? KEY_BUCKETS;
  const keyed: Keyed[] = [];
  const stats = await writeUnits(path, candidatesInOrder(parts), (c) => {
    const b = bucketOf(c.key);
    if (b >= lo && b <= hi) keyed.push([c.key, positionOf(c.file, c.index), c.bytes]);
    if (c.score > cut.alpha) return true;
    if (c.score < cut.alpha || stopped) return false;
    if (positionOf(c.file, c.index) < frontier && takenBytes + c.bytes <= allowance) {
      taken++;
      takenBytes += c.bytes;
      return true;
    }
    stopped = true;
    return false;
  });
  check(stats.bytes === cut.above + takenBytes, "concentrated bytes", stats.bytes, cut.above + takenBytes);
  return {
    alpha: cut.alpha / scale,
    tie: {
      units: histogram.unitsAt(cut.alpha),
      bytes: histogram.bytesAt(cut.alpha),
      unitsTaken: taken,
      bytesTaken: takenBytes,
    },
    stats,
    keyed,
  };
}

async function randomControl(
  parts: LoadedPartial[],
  keys: KeyHistogram,
  target: number,
  keyed: Keyed[] | null,
  path: string,
): Promise<OutputStats> {
  const settings = parts[0]!.partial.settings;
  const cut = keys.cut(target);
  let source = () => candidatesInOrder(parts);
  let spill: string | null = null;
  try {
    if (settings.budget === null) {
      spill = temporaryPath(`${path}.candidates`);
      await rereadCandidates(settings, cut?.bucket ?? KEY_BUCKETS - 1, spill);
      const file = spill;
      source = () => readCandidates(file);
    }
    if (cut === null) return await writeUnits(path, source(), () => true);
    // Inside the cut bucket the order is by exact key, then position: find the last unit that fits.
    let inBucket: Keyed[] = [];
    if (keyed) inBucket = keyed.filter(([key]) => bucketOf(key) === cut.bucket);
    else {
      for await (const c of source()) {
        if (bucketOf(c.key) === cut.bucket) inBucket.push([c.key, positionOf(c.file, c.index), c.bytes]);
      }
    }
    inBucket.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    let room = target - cut.below, lastKey = -1, lastPos = -1, within = 0;
    for (const [key, pos, bytes] of inBucket) {
      if (bytes > room) break;
      room -= bytes;
      within += bytes;
      [lastKey, lastPos] = [key, pos];
    }
    const stats = await writeUnits(path, source(), (c) => {
      const b = bucketOf(c.key);
      if (b !== cut.bucket) return b < cut.bucket;
      return c.key < lastKey || (c.key === lastKey && positionOf(c.file, c.index) <= lastPos);
    });
    check(stats.bytes === cut.below + within, "random bytes", stats.bytes, cut.below + within);
    return stats;
  } finally {
    if (spill) await Deno.remove(spill).catch(() => {});
  }
}

// Alpha mode: every unit of the corpus whose key bucket is at or below `bucket`.
async function rereadCandidates(settings: JobStamp, bucket: number, path: string): Promise<void> {
  const writer = await CandidateWriter.create(path);
  try {
    const options = { unit: settings.unit, windowWords: settings.windowWords };
    for (let f = 0; f < settings.files.length; f++) {
      for await (const u of readUnits(settings.files[f]!.path, f, options)) {
        const key = randomKey(settings.seed, f, u.index);
        if (bucketOf(key) <= bucket) await writer.add({ ...u, score: 0, key });
      }
    }
    await writer.close();
  } catch (error) {
    await writer.abort();
    throw error;
  }
}

// Every lane's candidates merged into corpus order: each corpus file is covered by exactly one
// lane of one shard, whose candidates come in corpus order.
async function* candidatesInOrder(parts: LoadedPartial[]): AsyncGenerator<Candidate> {
  const files = parts[0]!.partial.settings.files.length;
  const owner = new Int32Array(files).fill(-1);
  const streams: AsyncGenerator<Candidate>[] = [];
  const names: string[] = [];
  for (const { dir, partial } of parts) {
    for (const lane of partial.candidates.lanes) {
      for (const f of lane.fileIndices) {
        if (!(f >= 0 && f < files) || owner[f] !== -1) {
          throw new Error(`Cannot merge "${dir}": corpus file ${f} is not one of its own`);
        }
        owner[f] = streams.length;
      }
      names.push(`${dir}/${lane.file}`);
      streams.push(readCandidates(`${dir}/${lane.file}`));
    }
  }
  const missing = owner.indexOf(-1);
  if (missing >= 0) {
    const path = parts[0]!.partial.settings.files[missing]!.path;
    throw new Error(`Cannot merge: no partial covers corpus file "${path}"`);
  }
  const heads: (Candidate | null)[] = [];
  for (const s of streams) heads.push(await nextOf(s));
  for (let f = 0; f < files; f++) {
    const s = owner[f]!;
    while (heads[s] && heads[s]!.file === f) {
      yield heads[s]!;
      heads[s] = await nextOf(streams[s]!);
    }
    if (heads[s] && heads[s]!.file < f) {
      throw new Error(`Cannot merge "${names[s]}": its candidates are not in corpus order`);
    }
  }
  const left = heads.findIndex((h) => h !== null);
  if (left >= 0) {
    throw new Error(`Cannot merge "${names[left]}": it holds candidates of files it does not cover`);
  }
}

async function nextOf(s: AsyncGenerator<Candidate>): Promise<Candidate | null> {
  const r = await s.next();
  return r.done ? null : r.value;
}

async function writeUnits(
  path: string,
  units: AsyncIterable<Candidate>,
  take: (c: Candidate) => boolean,
): Promise<OutputStats> {
  const writer = await UnitWriter.create(path);
  try {
    for await (const c of units) if (take(c)) await writer.add(c);
    return await writer.close();
  } catch (error) {
    await writer.abort();
    throw error;
  }
}

function sumTallies(all: Tallies[]): Tallies {
  const concepts = new Map<string, number>(), edges = new Map<string, [string, string, string, number]>();
  for (const t of all) {
    for (const [term, n] of t.concepts) concepts.set(term, (concepts.get(term) ?? 0) + n);
    for (const [h, r, tl, n] of t.edges) {
      const k = `${h}\u0000${r}\u0000${tl}`;
      const e = edges.get(k);
      if (e) e[3] += n;
      else edges.set(k, [h, r, tl, n]);
    }
  }
  const out: Tallies = { concepts: [...concepts.entries()], edges: [...edges.values()] };
  out.concepts.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  out.edges.sort((a, b) => b[3] - a[3] || cmp(a[0], b[0]) || cmp(a[1], b[1]) || cmp(a[2], b[2]));
  return out;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

// The shards' candidates are a superset of what selection takes; a mismatch means a bad partial.
function check(ok: boolean, what: string, got: number, expected: number): void {
  if (!ok) {
    throw new Error(`Cannot merge: the partials are inconsistent (${what} ${got}, expected ${expected})`);
  }
}
