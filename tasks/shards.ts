/**
 * `deno task shards --corpus FILE|DIR [--corpus ...] --out FILE [--vocab F] [--seq-len 128]
 * [--validation 0.01] [--seed 1] [--json]`: tokenizes a corpus once and packs it into binary
 * token shards for pre-training, split into train (`--out`) and validation
 * (`<out name>.validation<ext>`) by document.
 * @module
 */
import { corpusFiles, type DocumentInfo, readParagraphs, type Split, splitOf } from "../data/corpus.ts";
import { type PackTokenizer, SequencePacker, type SpecialIds } from "../data/packing.ts";
import { type ShardHeader, ShardWriter, vocabHash } from "../data/shards.ts";
import { BertTokenizer } from "../data/tokenizer.ts";
import { DEFAULT_VOCAB, parseVocab } from "../data/vocab.ts";
import { main, parseFlags, UsageError } from "./_cli.ts";

/** Options of {@linkcode run}. */
export interface ShardsConfig {
  /** Corpus files, or directories searched for WikiExtractor's wiki_NN(.gz) files. */
  corpus: string[];
  /** The vocab file: its bytes are hashed into the shard header. */
  vocab: string;
  seqLen: number;
  /** The train shard; the validation shard goes next to it (see {@linkcode validationPath}). */
  out: string;
  /** Fraction of documents held out for validation, in [0, 1); 0 writes no validation shard. */
  validation: number;
  seed: number;
  json: boolean;
  /** Print nothing (the caller reports). */
  quiet?: boolean;
  /** Replaces the BERT tokenizer of `vocab`, e.g. a toy one in tests; the vocab is still hashed. */
  tokenizer?: PackTokenizer;
}

/** Counts for one output shard. */
export interface SplitSummary {
  path: string;
  documents: number;
  lines: number;
  sequences: number;
  /** Corpus ids written, special tokens and padding excluded. */
  tokens: number;
  padding: number;
}

/** What {@linkcode run} did. */
export interface ShardsSummary {
  files: number;
  documents: number;
  lines: number;
  /** Decompressed corpus bytes read. */
  bytes: number;
  seconds: number;
  mbPerSecond: number;
  train: SplitSummary;
  validation: SplitSummary | null;
}

/** Where the validation shard of `out` goes: `out/wiki.shard` -> `out/wiki.validation.shard`. */
export function validationPath(out: string): string {
  const slash = Math.max(out.lastIndexOf("/"), out.lastIndexOf("\\"));
  const dot = out.lastIndexOf(".");
  return dot > slash + 1 ? `${out.slice(0, dot)}.validation${out.slice(dot)}` : `${out}.validation`;
}

/** Reads, splits, tokenizes, packs and writes; prints the counts and returns them. */
export async function run(config: ShardsConfig): Promise<ShardsSummary> {
  const start = performance.now();
  const files = await corpusFiles(config.corpus);
  const vocabBytes = await readVocab(config.vocab);
  const tokenizer = config.tokenizer ?? loadBertTokenizer(config.vocab, vocabBytes);
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
    if (!config.quiet) report(summary, config.json);
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

function report(s: ShardsSummary, json: boolean): void {
  if (json) {
    console.log(JSON.stringify(s));
    return;
  }
  const mb = (s.bytes / 1e6).toFixed(2);
  console.log(
    `shards: ${s.files} files, ${s.documents} documents, ${s.lines} lines, ${mb} MB in ` +
      `${s.seconds.toFixed(1)} s (${s.mbPerSecond.toFixed(2)} MB/s)`,
  );
  for (const [name, o] of [["train", s.train], ["validation", s.validation]] as const) {
    if (!o) continue;
    const fill = o.sequences > 0 ? (100 * o.tokens / (o.tokens + o.padding)).toFixed(1) : "0.0";
    console.log(
      `${name.padEnd(10)} ${o.path}: ${o.documents} documents, ${o.lines} lines, ${o.sequences} sequences, ` +
        `${o.tokens} tokens (${fill}% of the room filled)`,
    );
  }
  if (s.validation && s.validation.documents === 0) {
    console.log(`warning: no document fell into the validation split; raise --validation or add documents`);
  }
}

function numberFlag(
  name: string,
  value: string | boolean | undefined,
  fallback: number,
  ok: (n: number) => boolean,
  expected: string,
): number {
  if (value === undefined) return fallback;
  const n = typeof value === "string" && value.trim() !== "" ? Number(value) : NaN;
  if (!ok(n)) throw new UsageError(`shards: --${name} must be ${expected}, got "${value}"`);
  return n;
}

/** Parses the command line into a config; every mistake is a UsageError naming the flag. */
export function parseShardsArgs(args: string[]): ShardsConfig {
  const { values, positionals } = parseFlags("shards", args, {
    corpus: { type: "string", multiple: true },
    vocab: { type: "string" },
    "seq-len": { type: "string" },
    out: { type: "string" },
    validation: { type: "string" },
    seed: { type: "string" },
    json: { type: "boolean" },
  });
  if (positionals.length > 0) throw new UsageError(`shards: unexpected argument "${positionals[0]}"`);
  const corpus = (values.corpus as unknown as string[] | undefined) ?? [];
  if (corpus.length === 0) throw new UsageError(`shards: --corpus FILE|DIR is required`);
  if (typeof values.out !== "string" || values.out === "") {
    throw new UsageError(`shards: --out FILE is required`);
  }
  return {
    corpus,
    vocab: typeof values.vocab === "string" ? values.vocab : DEFAULT_VOCAB,
    seqLen: numberFlag(
      "seq-len",
      values["seq-len"],
      128,
      (n) => Number.isInteger(n) && n >= 3,
      "an integer >= 3",
    ),
    out: values.out,
    validation: numberFlag(
      "validation",
      values.validation,
      0.01,
      (n) => n >= 0 && n < 1,
      "a number in [0, 1)",
    ),
    seed: numberFlag(
      "seed",
      values.seed,
      1,
      (n) => Number.isInteger(n) && n >= 0 && n < 2 ** 32,
      "an integer in [0, 2^32)",
    ),
    json: Boolean(values.json),
  };
}

if (import.meta.main) {
  await main(async () => {
    await run(parseShardsArgs(Deno.args));
  });
}
