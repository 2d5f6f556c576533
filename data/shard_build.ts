/**
 * Token shards from a corpus: tokenized once, packed into sequences of `seq_len` (data/packing.ts)
 * and written as a train shard (`out`) and a validation shard (`<out name>.validation<ext>`), split
 * by document. `deno task shards` runs it; pre-training calls it for the text it trains on.
 *
 * @example
 * ```ts
 * import { buildShards } from "./shard_build.ts";
 * const s = await buildShards({ corpus: ["data/corpus/enwiki-2015-wikiextractor"], out: "out/wiki.shard" });
 * console.log(s.train.sequences, s.validation?.sequences);
 * ```
 * @module
 */
import { z } from "zod";
import { defineSettings, type SettingsSpec } from "../config/settings.ts";
import { corpusFiles, type DocumentInfo, readParagraphs, type Split, splitOf } from "./corpus.ts";
import { type PackTokenizer, SequencePacker, type SpecialIds } from "./packing.ts";
import { DEFAULT_VOCAB } from "./samples.ts";
import { type ShardHeader, ShardWriter, vocabHash } from "./shards.ts";
import { BertTokenizer } from "./tokenizer.ts";
import { parseVocab } from "./vocab.ts";

/** What {@linkcode buildShards} makes; the keys are `deno task shards`' flags with `_` for `-`. */
export interface ShardsSettings {
  /** Corpus files, or directories searched for WikiExtractor's wiki_NN(.gz) files. */
  corpus: string[];
  /** The vocab file: its bytes are hashed into the shard header. */
  vocab: string;
  /** Tokens per sequence, [CLS] and [SEP] included. */
  seq_len: number;
  /** The train shard; the validation shard goes next to it (see {@linkcode validationPath}). */
  out: string;
  /** Fraction of documents held out for validation, in [0, 1); 0 writes no validation shard. */
  validation: number;
  /** Seed of the document split. */
  seed: number;
}

/** The settings of {@linkcode buildShards}. */
export const SHARDS_SETTINGS: SettingsSpec<ShardsSettings> = defineSettings<ShardsSettings>()(
  "shards",
  z.object({
    corpus: z.array(z.string().min(1)).min(1).describe(
      "corpus files (text or gzip), or directories of WikiExtractor wiki_NN files",
    ),
    vocab: z.string().min(1).default(DEFAULT_VOCAB).describe(
      "vocab.txt to tokenize with (hashed into the shards)",
    ),
    seq_len: z.number().int().min(3).default(128).describe("tokens per sequence, [CLS] and [SEP] included"),
    out: z.string().min(1).describe(
      "the train shard to write; the validation shard goes next to it (x.shard -> x.validation.shard)",
    ),
    validation: z.number().min(0).lt(1).default(0.01).describe(
      "fraction of documents held out for validation (0: no validation shard)",
    ),
    seed: z.number().int().min(0).lt(2 ** 32).default(1).describe("seed of the document split"),
  }).strict(),
);

/** How {@linkcode buildShards} runs besides its settings. */
export interface BuildShardsOptions {
  /** Replaces the BERT tokenizer of `vocab`, e.g. a toy one in tests; the vocab is still hashed. */
  tokenizer?: PackTokenizer;
}

/** Counts for one output shard. */
export interface SplitSummary {
  /** The shard file written. */
  path: string;
  /** Documents that fell on this side of the split. */
  documents: number;
  /** Their non-empty text lines, each tokenized and packed. */
  lines: number;
  /** Sequences written, `seqLen` ids each. */
  sequences: number;
  /** Corpus ids written, special tokens and padding excluded. */
  tokens: number;
  /** [PAD] ids written. */
  padding: number;
}

/** What {@linkcode buildShards} did. */
export interface ShardsSummary {
  /** Corpus files read. */
  files: number;
  /** Documents read, both splits. */
  documents: number;
  /** Non-empty text lines read, both splits. */
  lines: number;
  /** Decompressed corpus bytes read. */
  bytes: number;
  /** Wall-clock time of the whole build. */
  seconds: number;
  /** Throughput: decompressed megabytes (10^6 bytes) read per second. */
  mbPerSecond: number;
  /** Counts of the train shard (`out`). */
  train: SplitSummary;
  /** Counts of the validation shard; null when `validation` is 0 and none is written. */
  validation: SplitSummary | null;
}

/** Where the validation shard of `out` goes: `out/wiki.shard` -> `out/wiki.validation.shard`. */
export function validationPath(out: string): string {
  const slash = Math.max(out.lastIndexOf("/"), out.lastIndexOf("\\"));
  const dot = out.lastIndexOf(".");
  return dot > slash + 1 ? `${out.slice(0, dot)}.validation${out.slice(dot)}` : `${out}.validation`;
}

/**
 * Reads, splits, tokenizes, packs and writes; returns the counts.
 *
 * @throws {UsageError} for bad settings (no corpus, no `out`); {Error} naming the file that cannot
 * be read or written (nothing is left under a final name)
 */
export async function buildShards(
  settings: Partial<ShardsSettings>,
  options: BuildShardsOptions = {},
): Promise<ShardsSummary> {
  const s = SHARDS_SETTINGS.withDefaults(settings);
  const config = {
    corpus: s.corpus,
    vocab: s.vocab,
    seqLen: s.seq_len,
    out: s.out,
    validation: s.validation,
    seed: s.seed,
  };
  const start = performance.now();
  const files = await corpusFiles(config.corpus);
  const vocabBytes = await readVocab(config.vocab);
  const tokenizer = options.tokenizer ?? loadBertTokenizer(config.vocab, vocabBytes);
  const common = {
    vocabHash: vocabHash(vocabBytes),
    vocabSize: tokenizer.vocabSize,
    seqLen: config.seqLen,
    special: tokenizer.special,
    validation: config.validation,
    seed: config.seed,
  };
  await Deno.mkdir(dirname(config.out), { recursive: true });
  const outputs: Partial<Record<Split, Output>> = {};
  try {
    outputs.train = await Output.create(config.out, { ...common, split: "train" });
    if (config.validation > 0) {
      outputs.validation = await Output.create(validationPath(config.out), {
        ...common,
        split: "validation",
      });
    }
    let bytes = 0;
    let doc: DocumentInfo | undefined;
    let output = outputs.train;
    const split = { validation: config.validation, seed: config.seed };
    for (const file of files) {
      for await (const p of readParagraphs(file, { onBytes: (n) => bytes += n })) {
        if (p.doc !== doc) {
          doc = p.doc;
          output = outputs[splitOf(doc, split)] ?? outputs.train;
          output.summary.documents++;
        }
        output.summary.lines++;
        await output.add(doc, tokenizer.tokenize(p.text));
      }
    }
    for (const o of Object.values(outputs)) await o.close();
    const seconds = (performance.now() - start) / 1000;
    const train = outputs.train.summary;
    const validation = outputs.validation?.summary ?? null;
    const summary: ShardsSummary = {
      files: files.length,
      documents: train.documents + (validation?.documents ?? 0),
      lines: train.lines + (validation?.lines ?? 0),
      bytes,
      seconds,
      mbPerSecond: bytes / 1e6 / seconds,
      train,
      validation,
    };
    return summary;
  } catch (error) {
    for (const o of Object.values(outputs)) await o.abort();
    throw error;
  }
}

// One shard being written, with its packer and counts.
class Output {
  readonly summary: SplitSummary;
  readonly #writer: ShardWriter;
  readonly #packer: SequencePacker;
  readonly #pending: Int32Array[] = [];

  private constructor(path: string, writer: ShardWriter, seqLen: number, special: SpecialIds) {
    this.summary = { path, documents: 0, lines: 0, sequences: 0, tokens: 0, padding: 0 };
    this.#writer = writer;
    this.#packer = new SequencePacker({ seqLen, special }, (s) => this.#pending.push(s));
  }

  static async create(path: string, options: Parameters<typeof ShardWriter.create>[1]): Promise<Output> {
    const writer = await ShardWriter.create(path, options);
    return new Output(path, writer, options.seqLen, options.special);
  }

  async add(doc: DocumentInfo, ids: number[]): Promise<void> {
    this.#packer.add(doc, ids);
    await this.#drain();
  }

  async close(): Promise<ShardHeader> {
    this.#packer.flush();
    await this.#drain();
    Object.assign(this.summary, this.#packer.stats);
    return await this.#writer.close();
  }

  async abort(): Promise<void> {
    await this.#writer.abort();
  }

  async #drain(): Promise<void> {
    for (const s of this.#pending.splice(0)) await this.#writer.write(s);
  }
}

/** The project's BERT tokenizer over the vocab bytes that are hashed, so the two always agree. */
function loadBertTokenizer(path: string, bytes: Uint8Array): PackTokenizer {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new Error(`Cannot load vocab "${path}": not valid UTF-8 text`);
  }
  const tokenizer = new BertTokenizer(parseVocab(text, path));
  const { cls, sep, pad } = tokenizer.vocab.special;
  return {
    tokenize: (t) => tokenizer.encodeIds(t),
    special: { cls, sep, pad },
    vocabSize: tokenizer.vocab.size,
  };
}

async function readVocab(path: string): Promise<Uint8Array> {
  try {
    return await Deno.readFile(path);
  } catch (error) {
    const why = error instanceof Deno.errors.NotFound ? "no such file" : (error as Error).message;
    throw new Error(`Cannot read vocab "${path}": ${why}`);
  }
}

function dirname(path: string): string {
  const slash = Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\"));
  return slash <= 0 ? (slash === 0 ? "/" : ".") : path.slice(0, slash);
}

/** The counts as lines for people. */
export function formatShardsSummary(s: ShardsSummary): string {
  const mb = (s.bytes / 1e6).toFixed(2);
  const lines = [
    `shards: ${s.files} files, ${s.documents} documents, ${s.lines} lines, ${mb} MB in ` +
    `${s.seconds.toFixed(1)} s (${s.mbPerSecond.toFixed(2)} MB/s)`,
  ];
  for (const [name, o] of [["train", s.train], ["validation", s.validation]] as const) {
    if (!o) continue;
    const fill = o.sequences > 0 ? (100 * o.tokens / (o.tokens + o.padding)).toFixed(1) : "0.0";
    lines.push(
      `${name.padEnd(10)} ${o.path}: ${o.documents} documents, ${o.lines} lines, ${o.sequences} sequences, ` +
        `${o.tokens} tokens (${fill}% of the room filled)`,
    );
  }
  if (s.validation && s.validation.documents === 0) {
    lines.push(`warning: no document fell into the validation split; raise --validation or add documents`);
  }
  return lines.join("\n");
}
