/**
 * The text a run trains on, as token shards: concentrate the corpus (for `concentrated`/`random`),
 * then tokenize and pack it into a train and a validation shard. Both steps are cached under
 * `cache/`, keyed by a hash of their inputs (paths, sizes, modification times, vocab, options), so
 * a second run with the same inputs starts training at once.
 * @module
 */
import { corpusFiles } from "../../data/corpus.ts";
import { hashVocabFile, readShardHeader } from "../../data/shards.ts";
import { concentrateCached, DEFAULT_BUDGET } from "../concentrate.ts";
import { parseSize } from "../../data/concentrate/size.ts";
import { run as makeShards, validationPath } from "../shards.ts";
import type { PretrainConfig } from "./config.ts";

/** The prepared data of a run. */
export interface PreparedData {
  /** `concentrated`, `random`, `full` or `path`. */
  source: string;
  /** The text trained on (file or directory), or the shard given. */
  text: string[];
  train: string;
  /** Null when no validation shard exists (`--validation 0` or a given shard without one). */
  validation: string | null;
  /** The concentration report's directory, when the text came from it. */
  concentrated: string | null;
}

const SHARD_MAGIC = "BERTSHRD";

/** Prepares (or finds in the cache) the shards `config` trains on; `log` gets one line per step. */
export async function prepareData(
  config: PretrainConfig,
  vocabPath: string,
  log: (line: string) => void,
): Promise<PreparedData> {
  const { data } = config;
  if (data !== "concentrated" && data !== "random" && data !== "full") {
    if (await isShard(data)) {
      const validation = validationPath(data);
      return {
        source: "path",
        text: [data],
        train: data,
        validation: await exists(validation) ? validation : null,
        concentrated: null,
      };
    }
    await statOrFail(data, "--data");
    return { source: "path", ...await shardsFor([data], config, vocabPath, log), concentrated: null };
  }
  for (const path of config.corpus) await statOrFail(path, "--corpus");
  if (data === "full") {
    return { source: "full", ...await shardsFor(config.corpus, config, vocabPath, log), concentrated: null };
  }
  const dir = await concentrated(config, log);
  const text = `${dir}/${data === "concentrated" ? "concentrated" : "random"}.txt`;
  return { source: data, ...await shardsFor([text], config, vocabPath, log), concentrated: dir };
}

async function concentrated(config: PretrainConfig, log: (line: string) => void): Promise<string> {
  await statOrFail(config.conceptnet, "--conceptnet");
  const budget = parseSize(config.budget || DEFAULT_BUDGET);
  const key = await inputsKey([...config.corpus, config.conceptnet], `budget=${budget} seed=${config.seed}`);
  const out = `${config.cache}/concentrate-${key}`;
  const settings = {
    corpus: config.corpus,
    conceptnet: config.conceptnet,
    out,
    budget,
    alpha: null,
    unit: "paragraph" as const,
    window: 128,
    score: "edges" as const,
    perToken: false,
    maxN: 4,
    seed: config.seed,
    keepExcludedRelations: false,
    workers: Math.max(1, Math.min(navigator.hardwareConcurrency ?? 1, config.corpus.length)),
    shard: null,
    merge: null,
    json: false,
  };
  const start = performance.now();
  const { report, cached } = await concentrateCached(settings);
  log(
    `data: ${cached ? "reusing" : "made"} the concentrated corpus in ${out}: ${report.units_kept} of ` +
      `${report.units_seen} units, ${(report.bytes_kept / 1e6).toFixed(2)} of ${
        (report.bytes_seen / 1e6).toFixed(2)
      } MB, alpha ${report.alpha} (${((performance.now() - start) / 1000).toFixed(1)} s)`,
  );
  return out;
}

async function shardsFor(
  text: string[],
  config: PretrainConfig,
  vocabPath: string,
  log: (line: string) => void,
): Promise<{ text: string[]; train: string; validation: string | null }> {
  const vocab = (await hashVocabFile(vocabPath)).toString(16);
  const key = await inputsKey(
    text,
    `vocab=${vocab} seq=${config.seq_len} validation=${config.validation} seed=${config.seed}`,
  );
  const train = `${config.cache}/shards-${key}/train.shard`;
  const validation = config.validation > 0 ? validationPath(train) : null;
  if (await exists(train) && (!validation || await exists(validation))) {
    const h = await readShardHeader(train);
    log(`data: reusing ${h.sequences} train sequences in ${train}`);
    return { text, train, validation };
  }
  const start = performance.now();
  const s = await makeShards({
    corpus: text,
    vocab: vocabPath,
    seqLen: config.seq_len,
    out: train,
    validation: config.validation,
    seed: config.seed,
    json: false,
    quiet: true,
  });
  log(
    `data: packed ${s.train.sequences} train and ${s.validation?.sequences ?? 0} validation sequences ` +
      `of ${config.seq_len} into ${train} (${((performance.now() - start) / 1000).toFixed(1)} s)`,
  );
  if (s.train.sequences === 0) throw new Error(`Cannot train: ${text.join(", ")} holds no text`);
  return { text, train, validation };
}

/** A short hash of the files' identities (path, size, mtime) and `extra`. */
async function inputsKey(paths: string[], extra: string): Promise<string> {
  const parts: string[] = [extra];
  for (const path of paths) {
    const files = await corpusFilesOrSelf(path);
    for (const f of files) {
      const st = await Deno.stat(f);
      parts.push(`${f}:${st.size}:${st.mtime?.getTime() ?? 0}`);
    }
  }
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(parts.join("\n")));
  return [...new Uint8Array(digest).slice(0, 6)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

async function corpusFilesOrSelf(path: string): Promise<string[]> {
  const st = await Deno.stat(path);
  return st.isDirectory ? await corpusFiles([path]) : [path];
}

async function isShard(path: string): Promise<boolean> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path);
  } catch {
    return false;
  }
  try {
    const head = new Uint8Array(SHARD_MAGIC.length);
    const n = await file.read(head);
    return n === head.length && new TextDecoder().decode(head) === SHARD_MAGIC;
  } finally {
    file.close();
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

async function statOrFail(path: string, flag: string): Promise<void> {
  try {
    await Deno.stat(path);
  } catch (error) {
    const why = error instanceof Deno.errors.NotFound
      ? "no such file or directory"
      : (error as Error).message;
    throw new Error(`Cannot read ${flag} ${path}: ${why}`);
  }
}
