/**
 * Partial results of one shard (`--shard i/n`): `partial.json` (settings, counts, histograms,
 * tallies) and one `candidates-<lane>.jsonl` per lane (see `candidates.ts`, `scan.ts`) in the
 * shard's output folder. `--merge`
 * combines the partials of shards 0..n-1 into exactly the single-process result.
 *
 * The settings (input files with sizes and modification times, scorer, units, seed, selection) are
 * hashed into a key: partials merge only when their keys agree, and a cached result is reused only
 * when its key matches.
 * @module
 */
import type { ScorerInfo, Tallies } from "./unit_scorer.ts";
import type { ShardSpec } from "./lane.ts";
import type { UnitKind } from "./units.ts";

/** A file as the key sees it. */
export interface FileStamp {
  /** The path as given (or as found under a corpus directory). */
  path: string;
  /** Size in bytes. */
  bytes: number;
  /** Modification time in ms since the epoch, or null where the file system has none. */
  mtime: number | null;
}

/** Everything that decides the output; hashed into the key. */
export interface JobStamp {
  /** Corpus files in corpus order (directories expanded). */
  files: FileStamp[];
  /** The scorer and its options (ConceptNet file stamp, score kind, ...). */
  scorer: Record<string, unknown>;
  /** What a text unit is. */
  unit: UnitKind;
  /** Words per `window` unit. */
  windowWords: number;
  /** Seed of the random control's keys. */
  seed: number;
  /** Selection score = round(f(t) * scale). */
  scale: number;
  /** Byte budget of each output, or null when selecting by `alpha`. */
  budget: number | null;
  /** Keep units whose f(t) is above it, or null when selecting by `budget`. */
  alpha: number | null;
}

/** The contents of `partial.json`. */
export interface Partial {
  /** Format tag, checked on reading. */
  format: typeof PARTIAL_FORMAT;
  /** {@linkcode settingsKey} of `settings`: shards merge only when theirs agree. */
  key: string;
  /** The run's settings, the same for every shard. */
  settings: JobStamp;
  /** Which shard of how many this is. */
  shard: ShardSpec;
  /** Units scored in this shard. */
  unitsSeen: number;
  /** Their bytes (text plus one newline per unit). */
  bytesSeen: number;
  /** Decompressed corpus bytes read, markup included. */
  textBytes: number;
  /** Seconds of the scan (the longest lane's). */
  scanSeconds: number;
  /** Seconds of loading the scorer before the scan. */
  loadSeconds: number;
  /** Scoring threads used (1 inline). */
  workers: number;
  /** Lanes the shard's files were scanned in (1, or one per worker). */
  lanes: number;
  /** What the scorer reported about its inputs (ConceptNet lines, malformed, edges). */
  scorerInfo: ScorerInfo | null;
  /** `[score, units, bytes]`, increasing score. */
  histogram: [number, number, number][];
  /** `[bucket, bytes]` of the random keys, non-empty buckets only. */
  keyHistogram: [number, number][];
  /** `[score, position]`: the first unit of each score that the running budget cut dropped. */
  firstDrop: [number, number][];
  /** Candidate files (names inside the folder) with the corpus files each covers, and totals. */
  candidates: { lanes: { file: string; fileIndices: number[] }[]; records: number; bytes: number };
  /** Units per concept and per edge found in this shard. */
  tallies: Tallies;
}

/** The format tag of `partial.json`. */
export const PARTIAL_FORMAT = "concentrate-partial/1";
/** File names inside a shard's folder. */
export const PARTIAL_JSON = "partial.json";
/** The candidate file of lane `lane`. */
export function candidatesFile(lane: number): string {
  return `candidates-${lane}.jsonl`;
}

/** The key of a run: SHA-256 (hex) of its settings. */
export async function settingsKey(settings: JobStamp): Promise<string> {
  const bytes = new TextEncoder().encode(JSON.stringify({ version: PARTIAL_FORMAT, ...settings }));
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Size and modification time of a file; throws one line naming it when it cannot be read. */
export async function stampFile(path: string, what: string): Promise<FileStamp> {
  try {
    const info = await Deno.stat(path);
    if (!info.isFile) throw new Error("expected a file");
    return { path, bytes: info.size, mtime: info.mtime?.getTime() ?? null };
  } catch (error) {
    const why = error instanceof Deno.errors.NotFound
      ? "no such file"
      : (error as Error).message.split("\n")[0];
    throw new Error(`Cannot read ${what} "${path}": ${why}`);
  }
}

/** Reads a shard folder's `partial.json`, checking its format. */
export async function readPartial(dir: string): Promise<Partial> {
  const path = `${dir}/${PARTIAL_JSON}`;
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    const why = error instanceof Deno.errors.NotFound
      ? `no ${PARTIAL_JSON} (write one with concentrate --shard i/n --out ${dir})`
      : (error as Error).message.split("\n")[0];
    throw new Error(`Cannot merge "${dir}": ${why}`);
  }
  let partial: Partial;
  try {
    partial = JSON.parse(text);
  } catch {
    throw new Error(`Cannot merge "${dir}": ${PARTIAL_JSON} is not valid JSON`);
  }
  if (partial?.format !== PARTIAL_FORMAT) {
    throw new Error(`Cannot merge "${dir}": ${PARTIAL_JSON} is not a ${PARTIAL_FORMAT} file`);
  }
  return partial;
}
