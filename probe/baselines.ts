/**
 * The knowledge probe's two baselines, which rank the vocabulary without looking at the sentence:
 *
 * - unigram: every scored token by its count in a tokenized corpus (most frequent first; equal
 *   counts by the lower id);
 * - relation prior: by how often the token is the whole tail of a triple of the same relation in a
 *   CN-100K-format training file (`relation<TAB>head<TAB>tail<TAB>weight`, e.g. `train100k.txt`),
 *   the tokens no such tail is ranked after them in unigram order.
 *
 * A model that knows nothing but word frequencies, or the typical answers of a relation, reaches
 * these scores.
 *
 * @example
 * ```ts
 * import { countCorpusTokens, countRelationTails, relationPriorRanks } from "./baselines.ts";
 * import { frequencyRanks, scoredTokens } from "./ranking.ts";
 * import { BertTokenizer } from "../data/tokenizer.ts";
 * import { SAMPLE_CONCEPTNET, SAMPLE_CORPUS } from "../data/samples.ts";
 *
 * const tokenizer = await BertTokenizer.load();
 * const scored = scoredTokens(tokenizer.vocab);
 * const unigram = frequencyRanks(await countCorpusTokens(SAMPLE_CORPUS, tokenizer), scored);
 * const tails = await countRelationTails(SAMPLE_CONCEPTNET, tokenizer, scored);
 * const prior = relationPriorRanks(tails.counts.get("IsA")!, scored, unigram);
 * console.log(tokenizer.vocab.token(prior.indexOf(1))); // the most frequent one-token IsA tail
 * ```
 * @module
 */
import { corpusFiles, readParagraphs } from "../data/corpus.ts";
import { readTextLines } from "../data/lines.ts";
import type { BertTokenizer } from "../data/tokenizer.ts";
import { frequencyRanks } from "./ranking.ts";

/**
 * How often each id occurs in the corpus (files or WikiExtractor directories, plain or gzip),
 * tokenized paragraph by paragraph without special tokens; `onBytes` counts the bytes read.
 *
 * @throws {Error} naming the file, for a corpus that cannot be read
 */
export async function countCorpusTokens(
  paths: readonly string[],
  tokenizer: BertTokenizer,
  options: { onBytes?: (bytes: number) => void } = {},
): Promise<Float64Array> {
  const counts = new Float64Array(tokenizer.vocab.size);
  for (const file of await corpusFiles(paths)) {
    for await (const p of readParagraphs(file, options)) {
      for (const id of tokenizer.encodeIds(p.text)) counts[id]!++;
    }
  }
  return counts;
}

/** What {@linkcode countRelationTails} counted. */
export interface RelationTails {
  /** Per relation, how often each id is the whole tail of one of its triples. */
  counts: Map<string, Float64Array>;
  /** Data lines read (blank ones not counted). */
  rows: number;
  /** Rows whose tail is one scored token: the ones counted. */
  counted: number;
  /** Lines without four tab-separated columns, skipped. */
  malformed: number;
}

/**
 * Counts, per relation, the one-token tails of a CN-100K-format file (plain or gzip); tails of
 * several tokens, or of an unscored one ([UNK]), are not counted.
 *
 * @throws {Error} naming the file, for one that cannot be read
 */
export async function countRelationTails(
  path: string,
  tokenizer: BertTokenizer,
  scored: Uint8Array,
): Promise<RelationTails> {
  const V = tokenizer.vocab.size;
  const counts = new Map<string, Float64Array>();
  const cache = new Map<string, number>();
  let rows = 0, counted = 0, malformed = 0;
  for await (const line of readTextLines(path, { label: "ConceptNet" })) {
    if (line.trim() === "") continue;
    rows++;
    const cols = line.split("\t").map((c) => c.trim());
    if (cols.length !== 4 || cols[0] === "" || cols[2] === "") {
      malformed++;
      continue;
    }
    const [relation, , tail] = cols as [string, string, string];
    let id = cache.get(tail);
    if (id === undefined) {
      const ids = tokenizer.encodeIds(tail);
      id = ids.length === 1 && scored[ids[0]!] === 1 ? ids[0]! : -1;
      cache.set(tail, id);
    }
    if (id < 0) continue;
    let c = counts.get(relation);
    if (!c) counts.set(relation, c = new Float64Array(V));
    c[id]!++;
    counted++;
  }
  return { counts, rows, counted, malformed };
}

/**
 * Ranks of every id under the relation prior: by `tailCounts` (null: a relation without any
 * one-token tail, so unigram order alone), equal counts by `unigramRanks`.
 */
export function relationPriorRanks(
  tailCounts: Float64Array | null,
  scored: Uint8Array,
  unigramRanks: Int32Array,
): Int32Array {
  return tailCounts === null ? unigramRanks : frequencyRanks(tailCounts, scored, unigramRanks);
}
