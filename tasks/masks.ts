/**
 * `deno task masks [--corpus PATH] [--strategy NAME] [--step N] [--seed S] [--conceptnet PATH]
 * [--sequences N] [--seq-len 128] [--max-predictions 20] [--whole-word] [--show K]
 * [--boundaries A,B,...] [--basic-concepts 3000] [--vocab PATH] [--json]`: shows what a masking
 * strategy (`bert`, `bernoulli`, `concept`, `curriculum`) does to the first N packed sequences of
 * a corpus, and summary statistics over them.
 *
 * The corpus is a text/WikiExtractor file (plain or gzip), tokenized and packed as
 * `deno task shards` packs it (data/packing.ts), or a token shard written by `deno task shards`
 * (recognised by its magic bytes; `--seq-len` is then the shard's). Concept spans come from the
 * ConceptNet file's lexicon (data/concept_matcher.ts), for every strategy, so that the statistics
 * compare them. Defaults: the shipped Wikipedia sample and CN-100K.
 *
 * `--whole-word` applies to `bert`, to the ordinary-token fill of `concept` and to the curriculum's
 * warm-up and last stage; `bernoulli` (HuggingFace's token-level collator) ignores it.
 *
 * In the shown sequences `[cat]` was replaced by [MASK], `{cat->dog}` by a random id, `<cat>` is
 * predicted but kept; trailing [PAD]s are left out.
 *
 * For `curriculum`, concept frequencies are counted over the N sequences read, the stages are
 * built from them (`--basic-concepts`, one stage per boundary) and `--step` picks the stage via
 * `--boundaries` (default 1000,2000,3000,4000: steps below 1000 are the `bert` warm-up).
 * @module
 */
import { fileURLToPath } from "node:url";
import { ConceptMatcher } from "../data/concept_matcher.ts";
import { loadConceptNet } from "../data/conceptnet.ts";
import { readParagraphs } from "../data/corpus.ts";
import { SequencePacker } from "../data/packing.ts";
import { hashVocabFile, ShardReader } from "../data/shards.ts";
import { BertTokenizer } from "../data/tokenizer.ts";
import { DEFAULT_VOCAB, type Vocab } from "../data/vocab.ts";
import { type CurriculumStage, curriculumStages, stageAt } from "./masking/curriculum.ts";
import { type MaskingStats, MaskingTally } from "./masking/stats.ts";
import { createMasker, isStrategyName, STRATEGY_NAMES, type StrategyName } from "./masking/strategies.ts";
import type { MaskedSequence } from "./masking/types.ts";
import { main, parseFlags, UsageError } from "./_cli.ts";

/** The shipped Wikipedia sample, the default corpus. */
export const DEFAULT_CORPUS: string = fileURLToPath(
  new URL("../data/corpus/enwiki-2015-wikiextractor/AA/wiki_00.gz", import.meta.url),
);
/** The shipped CN-100K extract, the default ConceptNet. */
export const DEFAULT_CONCEPTNET: string = fileURLToPath(
  new URL("../data/conceptnet/cn100k/train100k.txt.gz", import.meta.url),
);

/** Options of {@linkcode run}. */
export interface MasksConfig {
  corpus: string;
  strategy: StrategyName;
  step: number;
  seed: number;
  conceptnet: string;
  /** How many sequences to mask (the first ones of the corpus). */
  sequences: number;
  seqLen: number;
  maxPredictions: number;
  wholeWord: boolean;
  /** How many sequences to print. */
  show: number;
  /** First step of each curriculum stage. */
  boundaries: number[];
  basicConcepts: number;
  vocab: string;
  json: boolean;
  /** Receives the output (default: stdout). */
  write?: (text: string) => void;
}

/** One shown sequence. */
export interface MaskExample {
  /** Index of the sequence (its masking key). */
  sequence: number;
  /** The tokens with the predictions marked (see the module doc). */
  text: string;
  positions: number[];
  labels: number[];
  /** The corrupted ids at `positions`. */
  inputs: number[];
}

/** What a run found; also the `--json` output. */
export interface MasksReport {
  strategy: StrategyName;
  corpus: string;
  conceptnet: string;
  step: number;
  seed: number;
  seq_len: number;
  max_predictions: number;
  whole_word: boolean;
  /** The curriculum stage of `step` (only for `curriculum`), and each stage's concept count. */
  stage?: number;
  stage_sizes?: number[];
  stats: MaskingStats;
  examples: MaskExample[];
  elapsed_s: number;
}

/** Masks the first `config.sequences` sequences of the corpus and reports; see the module doc. */
export async function run(config: MasksConfig): Promise<MasksReport> {
  const started = performance.now();
  const tokenizer = await BertTokenizer.load(config.vocab);
  const vocab = tokenizer.vocab;
  const { sequences, seqLen } = await readSequences(config, tokenizer);
  const { graph } = await loadConceptNet(config.conceptnet);
  const matcher = ConceptMatcher.fromGraph(graph);
  const matches = sequences.map((s) => matcher.matchTokens(s, vocab));
  let stages: CurriculumStage[] | undefined;
  if (config.strategy === "curriculum") {
    const frequency = new Uint32Array(graph.conceptCount);
    for (const list of matches) for (const m of list) frequency[m.concept]!++;
    stages = curriculumStages(graph, frequency, {
      basicConcepts: config.basicConcepts,
      stages: config.boundaries.length,
    });
  }
  const masker = createMasker(config.strategy, {
    vocab,
    maxPredictions: config.maxPredictions,
    wholeWord: config.wholeWord,
    stages,
    boundaries: config.boundaries,
  });
  const tally = new MaskingTally(vocab);
  const examples: MaskExample[] = [];
  sequences.forEach((ids, i) => {
    const m = masker.mask(ids, { seed: config.seed, step: config.step, sequence: i }, matches[i]);
    tally.add(ids, m, matches[i]);
    if (i < config.show) examples.push(example(i, ids, m, vocab));
  });
  const report: MasksReport = {
    strategy: config.strategy,
    corpus: config.corpus,
    conceptnet: config.conceptnet,
    step: config.step,
    seed: config.seed,
    seq_len: seqLen,
    max_predictions: config.maxPredictions,
    whole_word: config.wholeWord,
    ...(stages
      ? { stage: stageAt(config.step, config.boundaries), stage_sizes: stages.map((s) => s.size) }
      : {}),
    stats: tally.stats(),
    examples,
    elapsed_s: (performance.now() - started) / 1000,
  };
  const write = config.write ?? ((text: string) => console.log(text));
  write(config.json ? JSON.stringify(report) : formatReport(report));
  return report;
}

/** The first `config.sequences` sequences: packed from text, or read from a token shard. */
async function readSequences(
  config: MasksConfig,
  tokenizer: BertTokenizer,
): Promise<{ sequences: Int32Array[]; seqLen: number }> {
  const vocab = tokenizer.vocab;
  if (await isShard(config.corpus)) {
    const reader = await ShardReader.open(config.corpus, {
      vocabHash: await hashVocabFile(config.vocab),
      vocabPath: config.vocab,
    });
    try {
      const { seqLen, sequences: total } = reader.header;
      const count = Math.min(total, config.sequences);
      const flat = await reader.read(0, count);
      const sequences = Array.from(
        { length: count },
        (_, i) => Int32Array.from(flat.subarray(i * seqLen, (i + 1) * seqLen)),
      );
      if (sequences.length === 0) {
        throw new Error(`Cannot mask corpus "${config.corpus}": the shard holds no sequences`);
      }
      return { sequences, seqLen };
    } finally {
      reader.close();
    }
  }
  const { cls, sep, pad } = vocab.special;
  const sequences: Int32Array[] = [];
  const packer = new SequencePacker(
    { seqLen: config.seqLen, special: { cls, sep, pad } },
    (s) => sequences.push(s),
  );
  for await (const p of readParagraphs(config.corpus)) {
    packer.add(p.doc, tokenizer.encodeIds(p.text));
    if (sequences.length >= config.sequences) break;
  }
  packer.flush();
  if (sequences.length === 0) throw new Error(`Cannot mask corpus "${config.corpus}": it holds no text`);
  return { sequences: sequences.slice(0, config.sequences), seqLen: config.seqLen };
}

async function isShard(path: string): Promise<boolean> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path);
  } catch {
    return false; // the corpus reader gives the one-line error
  }
  try {
    const head = new Uint8Array(8);
    const n = await file.read(head);
    return n === 8 && new TextDecoder().decode(head) === "BERTSHRD";
  } catch {
    return false;
  } finally {
    file.close();
  }
}

/** The tokens of a sequence with its predictions marked; trailing [PAD]s left out. */
export function markPredictions(original: Int32Array, m: MaskedSequence, vocab: Vocab): string {
  let end = original.length;
  while (end > 0 && original[end - 1] === vocab.special.pad) end--;
  const predicted = new Set(m.positions);
  const out: string[] = [];
  for (let t = 0; t < end; t++) {
    const token = vocab.token(original[t]!);
    if (!predicted.has(t)) out.push(token);
    else if (m.ids[t] === vocab.special.mask) out.push(`[${token}]`);
    else if (m.ids[t] === original[t]) out.push(`<${token}>`);
    else out.push(`{${token}->${vocab.token(m.ids[t]!)}}`);
  }
  return out.join(" ");
}

function example(sequence: number, ids: Int32Array, m: MaskedSequence, vocab: Vocab): MaskExample {
  return {
    sequence,
    text: markPredictions(ids, m, vocab),
    positions: [...m.positions],
    labels: [...m.labels],
    inputs: [...m.positions].map((t) => m.ids[t]!),
  };
}

/** The human summary of a report. */
export function formatReport(r: MasksReport): string {
  const s = r.stats;
  const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
  const stage = r.stage === undefined
    ? ""
    : `, stage ${r.stage} (concepts per stage: ${r.stage_sizes!.join(", ")})`;
  const lines = [
    `masks: strategy ${r.strategy}${
      r.whole_word ? " (whole word)" : ""
    }, step ${r.step}, seed ${r.seed}${stage}`,
    `corpus ${r.corpus}: ${s.sequences} sequences of ${r.seq_len} tokens; ConceptNet ${r.conceptnet}`,
    "",
    ...r.examples.flatMap((e) => [`#${e.sequence}: ${e.text}`, ""]),
    `legend: [x] -> [MASK], {x->y} -> random id, <x> kept; all three are predicted`,
    `predicted            ${pct(s.predictedShare)} of ${s.eligible} eligible tokens ` +
    `(${(s.predicted / Math.max(1, s.sequences)).toFixed(2)} per sequence, at most ${r.max_predictions})`,
    `[MASK] / random / kept  ${pct(s.maskShare)} / ${pct(s.randomShare)} / ${pct(s.keptShare)}`,
    `inside concept spans ${pct(s.inSpanShare)} of predictions (spans hold ${
      pct(s.spanTokenShare)
    } of eligible tokens)`,
    `span wholeness       ${pct(s.spanWholeness)} of ${s.touchedSpans} touched spans predicted whole`,
    `sequences            ${s.emptySequences} without predictions, ${s.cappedSequences} capped ` +
    `(${s.overflow} selections dropped)`,
    `elapsed              ${r.elapsed_s.toFixed(2)} s`,
  ];
  return lines.join("\n");
}

function intFlag(name: string, value: string | boolean | undefined, fallback: number, least: number): number {
  if (value === undefined) return fallback;
  const n = typeof value === "string" && value.trim() !== "" ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < least) {
    throw new UsageError(`masks: --${name} must be an integer >= ${least}, got "${value}"`);
  }
  return n;
}

/** Parses the command line into a config; every mistake is a UsageError naming the flag. */
export function parseMasksArgs(args: string[]): MasksConfig {
  const { values, positionals } = parseFlags("masks", args, {
    corpus: { type: "string" },
    strategy: { type: "string" },
    step: { type: "string" },
    seed: { type: "string" },
    conceptnet: { type: "string" },
    sequences: { type: "string" },
    "seq-len": { type: "string" },
    "max-predictions": { type: "string" },
    "whole-word": { type: "boolean" },
    show: { type: "string" },
    boundaries: { type: "string" },
    "basic-concepts": { type: "string" },
    vocab: { type: "string" },
    json: { type: "boolean" },
  });
  if (positionals.length > 0) throw new UsageError(`masks: unexpected argument "${positionals[0]}"`);
  const strategy = (values.strategy as string | undefined) ?? "concept";
  if (!isStrategyName(strategy)) {
    throw new UsageError(`masks: --strategy must be one of ${STRATEGY_NAMES.join(", ")}, got "${strategy}"`);
  }
  const seqLen = intFlag("seq-len", values["seq-len"], 128, 3);
  const maxPredictions = intFlag("max-predictions", values["max-predictions"], 20, 1);
  if (maxPredictions > seqLen) {
    throw new UsageError(
      `masks: --max-predictions (${maxPredictions}) must not exceed --seq-len (${seqLen})`,
    );
  }
  const rawBoundaries = (values.boundaries as string | undefined) ?? "1000,2000,3000,4000";
  const boundaries = rawBoundaries.split(",").map(Number);
  if (
    rawBoundaries.trim() === "" ||
    !boundaries.every((b, i) => Number.isSafeInteger(b) && b >= 0 && (i === 0 || b >= boundaries[i - 1]!))
  ) {
    throw new UsageError(
      `masks: --boundaries must be ascending integers >= 0 separated by commas, got "${rawBoundaries}"`,
    );
  }
  const nonEmpty = (name: string, fallback: string) => {
    const v = values[name] as string | undefined;
    if (v === "") throw new UsageError(`masks: --${name} needs a path`);
    return v ?? fallback;
  };
  return {
    corpus: nonEmpty("corpus", DEFAULT_CORPUS),
    strategy,
    step: intFlag("step", values.step, 0, 0),
    seed: intFlag("seed", values.seed, 1, 0),
    conceptnet: nonEmpty("conceptnet", DEFAULT_CONCEPTNET),
    sequences: intFlag("sequences", values.sequences, 1000, 1),
    seqLen,
    maxPredictions,
    wholeWord: Boolean(values["whole-word"]),
    show: intFlag("show", values.show, 3, 0),
    boundaries,
    basicConcepts: intFlag("basic-concepts", values["basic-concepts"], 3000, 1),
    vocab: nonEmpty("vocab", DEFAULT_VOCAB),
    json: Boolean(values.json),
  };
}

if (import.meta.main) {
  await main(async () => {
    await run(parseMasksArgs(Deno.args));
  });
}
