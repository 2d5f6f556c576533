/**
 * What a masking strategy does to real text: the first N packed sequences of a corpus (a text or
 * WikiExtractor file, packed as `deno task shards` packs it, or a token shard) are masked, a few are
 * shown with their predictions marked, and statistics are summed over all of them. Concept spans
 * come from the ConceptNet file's lexicon for every strategy, so that the statistics compare them.
 *
 * In the shown sequences `[cat]` was replaced by [MASK], `{cat->dog}` by a random id, `<cat>` is
 * predicted but kept; trailing [PAD]s are left out.
 *
 * @example
 * ```ts
 * import { formatMasksReport, inspectMasking } from "./inspect.ts";
 * console.log(formatMasksReport(await inspectMasking({ masking: "bert", sequences: 100 })));
 * ```
 * @module
 */
import { z } from "zod";
import { defineSettings, type SettingsSpec } from "../config/settings.ts";
import { corpusFiles, readParagraphs } from "../data/corpus.ts";
import { SequencePacker } from "../data/packing.ts";
import { DEFAULT_VOCAB, SAMPLE_CORPUS } from "../data/samples.ts";
import { hashVocabFile, isShardFile, ShardReader } from "../data/shards.ts";
import { BertTokenizer } from "../data/tokenizer.ts";
import type { Vocab } from "../data/vocab.ts";
import { stageAt } from "./curriculum.ts";
import { prepareMasking } from "./prepare.ts";
import { MASKING_FIELDS } from "./fields.ts";
import { type MaskingSettings, maskingSettings } from "./settings.ts";
import { type MaskingStats, MaskingTally, stopTokenMask } from "./stats.ts";
import type { StrategyName } from "./strategies.ts";
import type { MaskedSequence } from "./types.ts";

/** What {@linkcode inspectMasking} masks; the keys are `deno task masks`' flags with `_` for `-`. */
export interface MasksSettings extends MaskingSettings {
  /** A corpus (text or gzip files, WikiExtractor directories) or one token shard. */
  corpus: string[];
  /** The step the masks are keyed by (and, for the curriculum, its stage). */
  step: number;
  /** The masking seed. */
  seed: number;
  /** How many sequences to mask (the first ones of the corpus). */
  sequences: number;
  /** Tokens per packed sequence (a shard's own is used for a shard). */
  seq_len: number;
  /** How many sequences to show. */
  show: number;
  /** The vocabulary to tokenize with. */
  vocab: string;
}

/** The settings of {@linkcode inspectMasking}. */
export const MASKS_SETTINGS: SettingsSpec<MasksSettings> = defineSettings<MasksSettings>()(
  "masks",
  z.object({
    corpus: z.array(z.string().min(1)).min(1).default([...SAMPLE_CORPUS]).describe(
      "corpus files (text or gzip) or WikiExtractor directories, or one token shard",
    ),
    ...MASKING_FIELDS,
    boundaries: MASKING_FIELDS.boundaries.removeDefault().default([1000, 2000, 3000, 4000]).describe(
      "curriculum: first step of each concept stage (steps before the first are plain MLM)",
    ),
    step: z.number().int().min(0).default(0).describe(
      "the step the masks are keyed by (and the curriculum's stage)",
    ),
    seed: z.number().int().min(0).default(1).describe("masking seed"),
    sequences: z.number().int().positive().default(1000).describe(
      "how many sequences to mask (the first ones)",
    ),
    seq_len: z.number().int().min(3).default(128).describe(
      "tokens per packed sequence (a shard's own for a shard)",
    ),
    show: z.number().int().min(0).default(3).describe("how many masked sequences to print"),
    vocab: z.string().min(1).default(DEFAULT_VOCAB).describe("vocab.txt to tokenize with"),
  }).strict(),
  {
    check: (s, { name }) =>
      s.max_predictions > s.seq_len
        ? `${name("max_predictions")} (${s.max_predictions}) must not exceed ${
          name("seq_len")
        } (${s.seq_len})`
        : null,
  },
);

/** One shown sequence. */
export interface MaskExample {
  /** Index of the sequence (its masking key). */
  sequence: number;
  /** The tokens with the predictions marked (see the module doc). */
  text: string;
  /** Token indices predicted, ascending. */
  positions: number[];
  /** The original id at each of `positions`. */
  labels: number[];
  /** The corrupted ids at `positions`. */
  inputs: number[];
}

/** What {@linkcode inspectMasking} found; also `deno task masks --json`'s output. */
export interface MasksReport {
  /** The strategy. */
  masking: StrategyName;
  /** The corpus files, joined with ", ". */
  corpus: string;
  /** The ConceptNet file the concept spans came from. */
  conceptnet: string;
  /** The step the masks were keyed by. */
  step: number;
  /** The masking seed. */
  seed: number;
  /** Tokens per sequence (a shard's own for a shard). */
  seq_len: number;
  /** Most predictions per sequence. */
  max_predictions: number;
  /** Whether `##` pieces were masked with their word. */
  whole_word: boolean;
  /** The curriculum stage of `step` (only for `curriculum`). */
  stage?: number;
  /** Concepts in each curriculum stage (only for `curriculum`). */
  stage_sizes?: number[];
  /** Statistics over all the masked sequences. */
  stats: MaskingStats;
  /** The first `show` sequences, marked. */
  examples: MaskExample[];
  /** Wall time of the whole inspection, in seconds. */
  elapsed_s: number;
}

/**
 * Masks the first `sequences` sequences of the corpus with the strategy of `settings` (the rest of
 * {@linkcode MASKS_SETTINGS} at its defaults) and measures what it did.
 *
 * @throws {UsageError} for bad settings; {Error} when the corpus or ConceptNet cannot be read
 */
export async function inspectMasking(
  settings: Partial<MasksSettings>,
  options: { log?: (line: string) => void } = {},
): Promise<MasksReport> {
  const config = MASKS_SETTINGS.withDefaults(settings);
  const started = performance.now();
  const tokenizer = await BertTokenizer.load(config.vocab);
  const vocab = tokenizer.vocab;
  const { sequences, seqLen } = await readSequences(config, tokenizer);
  // Concept spans are found for every strategy, so that the statistics compare them.
  const prepared = await prepareMasking(maskingSettings(config), {
    vocab,
    alwaysMatch: true,
    sample: () => Promise.resolve(sequences),
    log: options.log ?? (() => {}),
  });
  const matches = sequences.map((s) => prepared.matcher!.matchTokens(s, vocab));
  const tally = new MaskingTally(vocab, stopTokenMask(vocab.tokens));
  const examples: MaskExample[] = [];
  sequences.forEach((ids, i) => {
    const m = prepared.masker.mask(ids, { seed: config.seed, step: config.step, sequence: i }, matches[i]);
    tally.add(ids, m, matches[i]);
    if (i < config.show) examples.push(example(i, ids, m, vocab));
  });
  const curriculum = prepared.curriculum;
  return {
    masking: config.masking,
    corpus: config.corpus.join(", "),
    conceptnet: config.conceptnet,
    step: config.step,
    seed: config.seed,
    seq_len: seqLen,
    max_predictions: config.max_predictions,
    whole_word: config.whole_word,
    ...(curriculum
      ? {
        stage: stageAt(config.step, curriculum.boundaries),
        stage_sizes: curriculum.stages.map((s) => s.size),
      }
      : {}),
    stats: tally.stats(),
    examples,
    elapsed_s: (performance.now() - started) / 1000,
  };
}

/** The first `config.sequences` sequences: packed from text, or read from a token shard. */
async function readSequences(
  config: MasksSettings,
  tokenizer: BertTokenizer,
): Promise<{ sequences: Int32Array[]; seqLen: number }> {
  const vocab = tokenizer.vocab;
  const [first] = config.corpus;
  if (config.corpus.length === 1 && await isShardFile(first!)) {
    const reader = await ShardReader.open(first!, {
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
        throw new Error(`Cannot mask corpus "${first}": the shard holds no sequences`);
      }
      return { sequences, seqLen };
    } finally {
      reader.close();
    }
  }
  const { cls, sep, pad } = vocab.special;
  const sequences: Int32Array[] = [];
  const packer = new SequencePacker(
    { seqLen: config.seq_len, special: { cls, sep, pad } },
    (s) => sequences.push(s),
  );
  files: for (const file of await corpusFiles(config.corpus)) {
    for await (const p of readParagraphs(file)) {
      packer.add(p.doc, tokenizer.encodeIds(p.text));
      if (sequences.length >= config.sequences) break files;
    }
  }
  packer.flush();
  if (sequences.length === 0) {
    throw new Error(`Cannot mask corpus "${config.corpus.join(", ")}": it holds no text`);
  }
  return { sequences: sequences.slice(0, config.sequences), seqLen: config.seq_len };
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
export function formatMasksReport(r: MasksReport): string {
  const s = r.stats;
  const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
  const stage = r.stage === undefined
    ? ""
    : `, stage ${r.stage} (concepts per stage: ${r.stage_sizes!.join(", ")})`;
  const lines = [
    `masks: strategy ${r.masking}${
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
    `stop words           ${pct(s.stopwordShare)} of predictions (${
      pct(s.stopTokenShare)
    } of eligible tokens)`,
    `sequences            ${s.emptySequences} without predictions, ${s.cappedSequences} capped ` +
    `(${s.overflow} selections dropped)`,
    `elapsed              ${r.elapsed_s.toFixed(2)} s`,
  ];
  return lines.join("\n");
}
