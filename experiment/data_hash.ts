/**
 * What an arm trained on, identified: the token shard's SHA-256 (equal for arms on the same text,
 * different for different text), the text file(s) it came from and their size. Saved as the arm's
 * `data.json`, so a re-run does not hash a large shard again.
 * @module
 */
import { createHash } from "node:crypto";
import { readShardHeader } from "../data/shards.ts";
import { writeFileAtomic } from "../util/atomic_write.ts";
import { readJsonFile } from "../util/files.ts";
import type { PretrainSettings } from "../pretrain/settings.ts";
import { prepareData } from "../pretrain/data.ts";

/** An arm's data, as `data.json` records it. */
export interface ArmData {
  /** `full`, `random`, `concentrated` or `path`. */
  source: string;
  /** The text trained on: the corpus files, or the concentrated/random text file. */
  text: string[];
  /** The training token shard. */
  train: string;
  /** SHA-256 (hex) of the training shard. */
  sha256: string;
  /** Training sequences in the shard, of `seq_len` tokens. */
  train_sequences: number;
  /** Tokens per sequence. */
  seq_len: number;
  /** Bytes of the text file for `random`/`concentrated`; null for the corpus (see `concentration`). */
  text_bytes: number | null;
  /** The concentration folder (its report.json) the text came from, or null. */
  concentration: string | null;
}

/**
 * The SHA-256 of a file, streamed (shards of a real corpus are gigabytes).
 *
 * @example
 * ```ts
 * import { sha256File } from "./data_hash.ts";
 * console.log(await sha256File("deno.json")); // 64 hex digits
 * ```
 * @throws {Error} naming the file when it cannot be read
 */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path);
  } catch (error) {
    throw new Error(`Cannot hash ${path}: ${(error as Error).message}`);
  }
  const buffer = new Uint8Array(1 << 20);
  try {
    for (;;) {
      const n = await file.read(buffer);
      if (n === null) break;
      hash.update(buffer.subarray(0, n));
    }
  } finally {
    file.close();
  }
  return hash.digest("hex");
}

/**
 * The data of an arm whose pre-training ran: `<dir>/data.json` when the pre-training was reused
 * and has one (the record stays right even if the cache was cleared since); otherwise the shards,
 * in the cache already, are found as `runPretrain` found them, the training shard is hashed and
 * `data.json` is written.
 */
export async function armData(
  config: PretrainSettings,
  vocabPath: string,
  dir: string,
  log: (line: string) => void,
  options: { reused: boolean },
): Promise<ArmData> {
  const path = `${dir}/data.json`;
  if (options.reused) {
    const saved = await readJsonFile<ArmData>(path).catch(() => null);
    if (saved !== null && typeof saved.sha256 === "string") return saved;
  }
  const data = await prepareData(config, vocabPath, log);
  const header = await readShardHeader(data.train);
  const textBytes = data.source === "random" || data.source === "concentrated"
    ? (await Deno.stat(data.text[0]!)).size
    : null;
  const result: ArmData = {
    source: data.source,
    text: data.text,
    train: data.train,
    sha256: await sha256File(data.train),
    train_sequences: header.sequences,
    seq_len: header.seqLen,
    text_bytes: textBytes,
    concentration: data.concentrated,
  };
  await writeFileAtomic(path, JSON.stringify(result, null, 2) + "\n");
  return result;
}

/**
 * Bytes of the whole corpus as the concentration counted them (its report's `bytes_seen`), from
 * the first of `dirs` holding a report; null when none does (no arm concentrated the corpus).
 */
export async function corpusBytes(dirs: readonly (string | null)[]): Promise<number | null> {
  for (const dir of dirs) {
    if (dir === null) continue;
    const report = await readJsonFile<{ bytes_seen?: number }>(`${dir}/report.json`).catch(() => null);
    if (typeof report?.bytes_seen === "number") return report.bytes_seen;
  }
  return null;
}
