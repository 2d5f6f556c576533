/**
 * Finds ConceptNet concepts in text (docs METHOD.md section 2): word 1- to 4-grams looked up in the
 * concept lexicon after the normalisation of `concept_words.ts`, with the char offsets of every
 * match and its WordPiece token span.
 *
 * Lookups never build an n-gram string: every lexicon word gets a dense word id once, terms form a
 * trie over word ids (the root's children in a direct array, deeper ones in an open-addressing
 * table keyed by (node, word id)), and a text is turned into word ids and walked from each word.
 * @module
 */
import type { ConceptGraph } from "./conceptnet_graph.ts";
import { type ConceptHygiene, lemmasOf, stopConceptMask } from "./concept_hygiene.ts";
import { splitWords, type WordIdSink, WordTable } from "./concept_words.ts";
import { CONTINUATION, type Vocab } from "./vocab.ts";

/** A concept found in a list of words: words [start, end). */
export interface ConceptMatch {
  /** Concept id in the graph. */
  concept: number;
  /** First word. */
  start: number;
  /** One past the last word. */
  end: number;
}

/** A concept found in a token sequence: tokens [start, end), whole words' pieces. */
export interface TokenSpan {
  /** Concept id in the graph. */
  concept: number;
  /** First token. */
  start: number;
  /** One past the last token. */
  end: number;
}

/** A match in a text with its UTF-16 span: `text.slice(charStart, charEnd)` normalises to the term. */
export type TextMatch = ConceptMatch & { charStart: number; charEnd: number };

/** How the lexicon is built. */
export interface ConceptMatcherOptions {
  /** Longest n-gram looked up, in words (default 4); longer terms are left out of the lexicon. */
  maxN?: number;
  /**
   * Words that no multi-word n-gram may start with (default `["a", "an", "the", "to"]`): ConceptNet
   * drops them from the start of terms when it builds URIs, so "the mall" is only "mall". Terms
   * of two or more words starting with one of them can never match and are left out.
   */
  leadingStopWords?: readonly string[];
  /**
   * Concept ids that are not concepts (`stopConceptMask`, METHOD.md 2a): the match lists never
   * hold them. `collect` still adds them, so that a scorer can count what the filter removed.
   */
  exclude?: Uint8Array | null;
  /**
   * Match each word through its lemma (`lemmasOf`: "dogs" -> dog) as well as exactly (default
   * false): unless the word is a one-word concept itself, the first of its lemmas that is a lexicon
   * word is a second id for the word's position.
   */
  lemmatize?: boolean;
  /** The hygiene of METHOD.md 2a: sets `exclude` (unless stop concepts are kept) and `lemmatize`. */
  hygiene?: ConceptHygiene;
}

/** The default of {@linkcode ConceptMatcherOptions.leadingStopWords}. */
export const DEFAULT_LEADING_STOP_WORDS: readonly string[] = ["a", "an", "the", "to"];

/** How a lexicon was built: which terms got in and why others did not. */
export interface LexiconCounts {
  /** Terms that can match. */
  terms: number;
  /** Terms of more than `maxN` words. */
  tooLong: number;
  /** Multi-word terms starting with a leading stop word. */
  stopWordStart: number;
  /** Terms with no word at all (blank, or only dropped characters). */
  empty: number;
  /** Distinct words in the lexicon. */
  words: number;
  /** Trie nodes (distinct word prefixes). */
  nodes: number;
}

const NONE = -1;

/**
 * The distinct concepts of a text unit, as a generation-marked set: clearing is one increment,
 * membership one array read, so scoring millions of units allocates nothing per unit.
 */
export class ConceptSet {
  /** The concepts added since the last clear, in first-seen order (the first `size` entries). */
  ids: Uint32Array = new Uint32Array(64);
  /** Number of distinct concepts. */
  size = 0;
  /** Number of matches added, repeats and overlaps included (excluded concepts not counted). */
  mentions = 0;
  /** Number of words of the unit (added to by {@linkcode ConceptMatcher.collect}). */
  words = 0;
  readonly #marks: Uint32Array;
  readonly #exclude: Uint8Array | null;
  #generation = 1;

  /** A set over concept ids `0..conceptCount-1`; mentions of `exclude`d ids are not counted. */
  constructor(conceptCount: number, exclude: Uint8Array | null = null) {
    this.#marks = new Uint32Array(conceptCount);
    this.#exclude = exclude;
  }

  /** Empties the set and its counts. */
  clear(): void {
    this.size = this.mentions = this.words = 0;
    if (++this.#generation === 0xffffffff) {
      this.#marks.fill(0);
      this.#generation = 1;
    }
  }

  /** Counts a mention of `concept` and adds it if new. */
  add(concept: number): void {
    if (this.#exclude === null || this.#exclude[concept] === 0) this.mentions++;
    if (this.#marks[concept] === this.#generation) return;
    this.#marks[concept] = this.#generation;
    if (this.size === this.ids.length) {
      const grown = new Uint32Array(this.ids.length * 2);
      grown.set(this.ids);
      this.ids = grown;
    }
    this.ids[this.size++] = concept;
  }

  /** Whether `concept` was added since the last clear. */
  has(concept: number): boolean {
    return this.#marks[concept] === this.#generation;
  }

  /** The concepts as a new sorted array. */
  sorted(): Uint32Array {
    return this.ids.slice(0, this.size).sort();
  }
}

/**
 * The concept lexicon as a trie over word ids, and the matching over words, text and tokens.
 *
 * @example
 * ```ts
 * const { graph } = await loadConceptNet("data/conceptnet/cn100k/train100k.txt.gz");
 * const m = ConceptMatcher.fromGraph(graph);
 * m.matchText("I ate ice cream.").map((x) => `${graph.terms[x.concept]}@${x.charStart}-${x.charEnd}`);
 * // ["i@0-1", "ice cream@6-15", "ice@6-9", "cream@10-15"]
 * ```
 */
export class ConceptMatcher {
  /** Longest n-gram looked up, in words. */
  readonly maxN: number;
  /** Number of concept ids (the graph's concept count): ids are below it. */
  readonly conceptCount: number;
  /** What went into the lexicon. */
  readonly counts: LexiconCounts;
  /** 1 for each concept the match lists leave out (stop concepts), or null when none is. */
  readonly excluded: Uint8Array | null;
  readonly #wordIds: WordTable;
  /** Child node of the root for each word id, or NONE. */
  readonly #rootChild: Int32Array;
  /**
   * Trie edges below the root: open addressing over slots of three ints (node, word, child), one
   * cache line per probe; node 0 (the root, never a key here) marks an empty slot.
   */
  readonly #edges: Int32Array;
  readonly #edgeMask: number;
  /** Concept of each node: an id >= 0, NONE, or -2-k for the k-th entry of the shared lists. */
  readonly #nodeConcept: Int32Array;
  /** Nodes reached by several terms (normalisation merged them): their concepts in CSR form. */
  readonly #sharedStart: Int32Array;
  readonly #sharedIds: Int32Array;
  /** Concepts the match lists leave out, or null. */
  readonly #exclude: Uint8Array | null;
  /** Word id of the lemma of each lexicon word (NONE: none), or null without lemmas. */
  readonly #lemmaOfWord: Int32Array | null;
  /** Lemma word ids of words outside the lexicon, as met (bounded, cleared when full). */
  readonly #missLemmas = new Map<string, number>();
  // Reused scan buffers: each position's exact word id and its lemma's word id.
  #ids = new Int32Array(256);
  #alts = new Int32Array(256);
  #count = 0;
  #text = "";
  readonly #idSink: WordIdSink;
  readonly #tokenWords = new WeakMap<Vocab, { words: Int32Array; lemmas: Int32Array }>();
  #set: ConceptSet | undefined;

  private constructor(parts: {
    maxN: number;
    conceptCount: number;
    counts: LexiconCounts;
    wordIds: WordTable;
    rootChild: Int32Array;
    edges: Int32Array;
    nodeConcept: Int32Array;
    sharedStart: Int32Array;
    sharedIds: Int32Array;
    exclude: Uint8Array | null;
    lemmaOfWord: Int32Array | null;
  }) {
    this.maxN = parts.maxN;
    this.conceptCount = parts.conceptCount;
    this.counts = parts.counts;
    this.#wordIds = parts.wordIds;
    this.#rootChild = parts.rootChild;
    this.#edges = parts.edges;
    this.#edgeMask = parts.edges.length / 3 - 1;
    this.#nodeConcept = parts.nodeConcept;
    this.#sharedStart = parts.sharedStart;
    this.#sharedIds = parts.sharedIds;
    this.#exclude = parts.exclude;
    this.excluded = parts.exclude;
    this.#lemmaOfWord = parts.lemmaOfWord;
    this.#idSink = {
      id: (wordId: number, start: number, end: number) =>
        this.#pushId(wordId, this.#lemmaOfRange(wordId, start, end)),
    };
  }

  /**
   * The matcher of a graph's lexicon: each of `graph.terms` normalised with `splitWords`; terms
   * longer than `maxN` words, or multi-word terms starting with a leading stop word, are left out
   * (see `counts`). Two terms that normalise alike (`café`, `cafe`) both match.
   */
  static fromGraph(graph: ConceptGraph, options: ConceptMatcherOptions = {}): ConceptMatcher {
    return ConceptMatcher.fromTerms(graph.terms, options);
  }

  /** The matcher of a term list: concept id = index in `terms` (for tests and custom lexicons). */
  static fromTerms(terms: readonly string[], options: ConceptMatcherOptions = {}): ConceptMatcher {
    const maxN = options.maxN ?? 4;
    if (!Number.isInteger(maxN) || maxN < 1) {
      throw new RangeError(`Cannot build concept matcher: maxN must be an integer >= 1, got ${maxN}`);
    }
    const stops = new Set<string>();
    for (const s of options.leadingStopWords ?? DEFAULT_LEADING_STOP_WORDS) {
      const words = splitWords(s).words;
      if (words.length !== 1) {
        throw new RangeError(`Cannot build concept matcher: leading stop word "${s}" is not one word`);
      }
      stops.add(words[0]!);
    }
    const counts: LexiconCounts = { terms: 0, tooLong: 0, stopWordStart: 0, empty: 0, words: 0, nodes: 0 };
    const wordIds = new Map<string, number>();
    // Build with plain maps, then freeze into typed arrays.
    const rootChild: number[] = [];
    const children = new Map<number, Map<number, number>>();
    const nodeConcepts: number[][] = [[]]; // node 0 is the root
    terms.forEach((term, concept) => {
      const words = splitWords(term).words;
      if (words.length === 0) return void counts.empty++;
      if (words.length > maxN) return void counts.tooLong++;
      if (words.length > 1 && stops.has(words[0]!)) return void counts.stopWordStart++;
      counts.terms++;
      let node = 0;
      for (const word of words) {
        let w = wordIds.get(word);
        if (w === undefined) {
          w = wordIds.size;
          wordIds.set(word, w);
          rootChild.push(NONE);
        }
        let next: number | undefined;
        if (node === 0) next = rootChild[w] === NONE ? undefined : rootChild[w];
        else next = children.get(node)?.get(w);
        if (next === undefined) {
          next = nodeConcepts.length;
          nodeConcepts.push([]);
          if (node === 0) rootChild[w] = next;
          else {
            let m = children.get(node);
            if (!m) children.set(node, m = new Map());
            m.set(w, next);
          }
        }
        node = next;
      }
      nodeConcepts[node]!.push(concept);
    });
    counts.words = wordIds.size;
    counts.nodes = nodeConcepts.length - 1;
    const concepts = freezeConcepts(nodeConcepts);
    const hygiene = options.hygiene;
    const exclude = options.exclude ?? (hygiene && !hygiene.keepStopConcepts ? stopConceptMask(terms) : null);
    if (exclude && exclude.length !== terms.length) {
      throw new RangeError(
        `Cannot build concept matcher: the exclusion mask has ${exclude.length} entries, the lexicon ${terms.length} terms`,
      );
    }
    let lemmaOfWord: Int32Array | null = null;
    if (options.lemmatize ?? hygiene?.lemmatize) {
      // A word that is a concept by itself keeps that one reading ("saw" is not also "see"), so a
      // word and its lemma never make an edge between themselves.
      lemmaOfWord = new Int32Array(wordIds.size).fill(NONE);
      for (const [word, id] of wordIds) {
        const node = rootChild[id]!;
        if (node === NONE || nodeConcepts[node]!.length === 0) {
          lemmaOfWord[id] = firstKnownLemma(word, (w) => wordIds.get(w) ?? NONE);
        }
      }
    }
    return new ConceptMatcher({
      exclude,
      lemmaOfWord,
      maxN,
      conceptCount: terms.length,
      counts,
      wordIds: new WordTable([...wordIds.keys()]),
      rootChild: Int32Array.from(rootChild),
      edges: freezeEdges(children),
      ...concepts,
    });
  }

  /**
   * Every concept whose term is an n-gram of `words` (normalised words, as from `splitWords`):
   * overlaps included, sorted by start, then longer first.
   */
  matchWords(words: readonly string[]): ConceptMatch[] {
    this.#count = 0;
    for (const w of words) {
      const id = this.#wordIds.id(w);
      this.#pushId(id, this.#lemmaOfString(id, w));
    }
    return this.#matches();
  }

  /** Every match in `text` with its UTF-16 span; see {@linkcode ConceptMatcher.matchWords}. */
  matchText(text: string): TextMatch[] {
    const { words, starts, ends } = splitWords(text);
    return this.matchWords(words).map((m) => ({
      ...m,
      charStart: starts[m.start]!,
      charEnd: ends[m.end - 1]!,
    }));
  }

  /** The distinct concepts of `text`, sorted: the scoring fast path (no match objects). */
  conceptsIn(text: string): Uint32Array {
    const set = this.#set ??= new ConceptSet(this.conceptCount);
    set.clear();
    this.collect(text, set);
    return set.sorted();
  }

  /**
   * Adds every match of `text` to `set` and its word count to `set.words`; the caller clears the
   * set, so several texts (the paragraphs of a document) can make one unit. Allocates nothing once
   * the buffers have grown: the path of scoring.
   */
  collect(text: string, set: ConceptSet): void {
    this.#count = 0;
    this.#text = text;
    this.#wordIds.scan(text, this.#idSink);
    this.#text = "";
    set.words += this.#count;
    this.#walkAll(set, null);
  }

  /**
   * Every match in a token sequence (a packed one included): `##` pieces join the word before;
   * special tokens ([CLS], [SEP], [PAD], [MASK], [UNK]) break words and n-grams; a `##` piece with
   * no word before it (a sequence cut mid-word) starts a word that matches nothing. Spans cover
   * whole words' pieces; overlaps included, sorted by start, then longer first.
   */
  matchTokens(ids: ArrayLike<number>, vocab: Vocab): TokenSpan[] {
    const { words: table, lemmas } = this.#tokenTable(vocab);
    const firstToken: number[] = [];
    let k = 0;
    this.#count = 0;
    const n = ids.length;
    while (k < n) {
      const id = ids[k]!;
      const kind = table[id];
      if (kind === undefined) {
        throw new RangeError(
          `Cannot match tokens: id ${id} at position ${k} is outside vocab "${vocab.source}"`,
        );
      }
      firstToken.push(k);
      if (kind === SPECIAL_TOKEN) {
        this.#pushId(NONE, NONE);
        k++;
        continue;
      }
      let end = k + 1;
      while (end < n && table[ids[end]!] === CONTINUATION_TOKEN) end++;
      if (kind === CONTINUATION_TOKEN) this.#pushId(NONE, NONE);
      else if (end === k + 1) this.#pushId(kind, lemmas[id]!);
      else {
        let word = vocab.tokens[id]!;
        for (let p = k + 1; p < end; p++) word += vocab.tokens[ids[p]!]!.slice(CONTINUATION.length);
        const wordId = this.#wordIds.id(word);
        this.#pushId(wordId, this.#lemmaOfString(wordId, word));
      }
      k = end;
    }
    firstToken.push(n);
    return this.#matches().map((m) => ({
      concept: m.concept,
      start: firstToken[m.start]!,
      end: firstToken[m.end]!,
    }));
  }

  /**
   * The word id of each token id (NONE when not a lexicon word) or a token kind marker, and the
   * word id of each token's lemma (NONE when none, or without lemmas).
   */
  #tokenTable(vocab: Vocab): { words: Int32Array; lemmas: Int32Array } {
    let tables = this.#tokenWords.get(vocab);
    if (tables) return tables;
    const words = new Int32Array(vocab.size);
    const lemmas = new Int32Array(vocab.size).fill(NONE);
    vocab.tokens.forEach((token, id) => {
      if (token.startsWith(CONTINUATION) && token.length > CONTINUATION.length) {
        words[id] = CONTINUATION_TOKEN;
      } else {
        words[id] = this.#wordIds.id(token);
        lemmas[id] = this.#lemmaOfString(words[id]!, token);
      }
    });
    for (const id of Object.values(vocab.special)) {
      words[id] = SPECIAL_TOKEN;
      lemmas[id] = NONE;
    }
    tables = { words, lemmas };
    this.#tokenWords.set(vocab, tables);
    return tables;
  }

  /** The lemma word id of a position whose exact word id is `wordId`, the word being `text` itself. */
  #lemmaOfString(wordId: number, word: string): number {
    const lemmas = this.#lemmaOfWord;
    if (lemmas === null) return NONE;
    if (wordId >= 0) return lemmas[wordId]!;
    let lemma = this.#missLemmas.get(word);
    if (lemma === undefined) {
      if (this.#missLemmas.size >= MISS_CACHE) this.#missLemmas.clear();
      lemma = firstKnownLemma(word, (w) => this.#wordIds.id(w));
      this.#missLemmas.set(word, lemma);
    }
    return lemma;
  }

  /** `#lemmaOfString` for a word of the text being scanned, built only when needed. */
  #lemmaOfRange(wordId: number, start: number, end: number): number {
    const lemmas = this.#lemmaOfWord;
    if (lemmas === null) return NONE;
    if (wordId >= 0) return lemmas[wordId]!;
    return this.#lemmaOfString(NONE, this.#text.slice(start, end).toLowerCase());
  }

  /** The matches over the word ids in the buffer, sorted by start then longer first. */
  #matches(): ConceptMatch[] {
    const out: ConceptMatch[] = [];
    this.#walkAll(null, out);
    return out;
  }

  /**
   * Walks the trie from every position over each word's exact id and lemma id: concepts go to
   * `set` (all of them), or matches to `out` (excluded concepts left out; per start, longer first).
   */
  #walkAll(set: ConceptSet | null, out: ConceptMatch[] | null): void {
    const ids = this.#ids, alts = this.#alts, n = this.#count, maxN = this.maxN;
    const run: ConceptMatch[] = [];
    for (let i = 0; i < n; i++) {
      const last = Math.min(n, i + maxN);
      run.length = 0;
      const w = ids[i]!, a = alts[i]!;
      if (w >= 0 && this.#rootChild[w] !== NONE) this.#walk(this.#rootChild[w]!, i, i, last, set, run);
      if (a >= 0 && a !== w && this.#rootChild[a] !== NONE) {
        this.#walk(this.#rootChild[a]!, i, i, last, set, run);
      }
      if (out && run.length > 0) {
        // Found shortest first; within one span, concepts stay in id order.
        run.sort((x, y) => y.end - x.end || x.concept - y.concept);
        out.push(...run);
      }
    }
  }

  /** Records `node` (words `start..j`) and extends it by word `j + 1`'s exact id, then its lemma. */
  #walk(
    node: number,
    start: number,
    j: number,
    last: number,
    set: ConceptSet | null,
    run: ConceptMatch[],
  ): void {
    if (set) this.#addConcepts(node, set);
    else this.#pushMatches(node, start, j + 1, run);
    const next = j + 1;
    if (next >= last) return;
    const w = this.#ids[next]!, a = this.#alts[next]!;
    if (w >= 0) {
      const child = this.#child(node, w);
      if (child !== NONE) this.#walk(child, start, next, last, set, run);
    }
    if (a >= 0 && a !== w) {
      const child = this.#child(node, a);
      if (child !== NONE) this.#walk(child, start, next, last, set, run);
    }
  }

  #pushMatches(node: number, start: number, end: number, out: ConceptMatch[]): void {
    const c = this.#nodeConcept[node]!, exclude = this.#exclude;
    if (c >= 0) {
      if (exclude === null || exclude[c] === 0) out.push({ concept: c, start, end });
    } else if (c !== NONE) {
      const k = -2 - c;
      for (let p = this.#sharedStart[k]!; p < this.#sharedStart[k + 1]!; p++) {
        const concept = this.#sharedIds[p]!;
        if (exclude === null || exclude[concept] === 0) out.push({ concept, start, end });
      }
    }
  }

  #addConcepts(node: number, set: ConceptSet): void {
    const c = this.#nodeConcept[node]!;
    if (c >= 0) set.add(c);
    else if (c !== NONE) {
      const k = -2 - c;
      for (let p = this.#sharedStart[k]!; p < this.#sharedStart[k + 1]!; p++) set.add(this.#sharedIds[p]!);
    }
  }

  #child(node: number, word: number): number {
    const mask = this.#edgeMask, edges = this.#edges;
    for (let slot = edgeHash(node, word) & mask;; slot = (slot + 1) & mask) {
      const k = edges[slot * 3]!;
      if (k === 0) return NONE;
      if (k === node && edges[slot * 3 + 1] === word) return edges[slot * 3 + 2]!;
    }
  }

  #pushId(id: number, lemma: number): void {
    if (this.#count === this.#ids.length) {
      const grown = new Int32Array(this.#ids.length * 2);
      grown.set(this.#ids);
      this.#ids = grown;
      const alts = new Int32Array(this.#alts.length * 2);
      alts.set(this.#alts);
      this.#alts = alts;
    }
    this.#alts[this.#count] = lemma;
    this.#ids[this.#count++] = id;
  }
}

/** The trie edges below the root as the open-addressing table of {@linkcode ConceptMatcher}. */
function freezeEdges(children: Map<number, Map<number, number>>): Int32Array {
  let edges = 0;
  for (const m of children.values()) edges += m.size;
  let size = 16;
  while (size < edges * 2) size *= 2;
  const table = new Int32Array(size * 3);
  for (const [node, m] of children) {
    for (const [w, child] of m) {
      let slot = edgeHash(node, w) & (size - 1);
      while (table[slot * 3] !== 0) slot = (slot + 1) & (size - 1);
      table[slot * 3] = node;
      table[slot * 3 + 1] = w;
      table[slot * 3 + 2] = child;
    }
  }
  return table;
}

/** Each node's concepts: one id inline, several through the shared CSR lists. */
function freezeConcepts(
  nodeConcepts: number[][],
): { nodeConcept: Int32Array; sharedStart: Int32Array; sharedIds: Int32Array } {
  const nodeConcept = new Int32Array(nodeConcepts.length).fill(NONE);
  const sharedStart: number[] = [0];
  const sharedIds: number[] = [];
  nodeConcepts.forEach((list, node) => {
    if (list.length === 1) nodeConcept[node] = list[0]!;
    else if (list.length > 1) {
      nodeConcept[node] = -2 - (sharedStart.length - 1);
      sharedIds.push(...list);
      sharedStart.push(sharedIds.length);
    }
  });
  return { nodeConcept, sharedStart: Int32Array.from(sharedStart), sharedIds: Int32Array.from(sharedIds) };
}

/** Most words outside the lexicon whose lemma is remembered; a corpus's long tail clears it now and then. */
const MISS_CACHE = 200_000;

/** The word id of the first lemma of `word` (noun, verb, adjective) that is a lexicon word, else NONE. */
function firstKnownLemma(word: string, idOf: (word: string) => number): number {
  for (const lemma of lemmasOf(word)) {
    const id = idOf(lemma);
    if (id >= 0) return id;
  }
  return NONE;
}

/** Token kind markers of the per-vocab table (word ids are >= 0, NONE is -1). */
const CONTINUATION_TOKEN = -2;
const SPECIAL_TOKEN = -3;

function edgeHash(node: number, word: number): number {
  let h = Math.imul(node, 0x9e3779b1) ^ Math.imul(word + 0x7f4a7c15, 0x85ebca77);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  h ^= h >>> 13;
  return h >>> 0;
}

/**
 * The non-overlapping spans a masker should use: greedily the longest first (ties: the leftmost,
 * then the first given), each kept unless it overlaps one kept before; returned sorted by start.
 *
 * @example
 * ```ts
 * longestSpans([{ start: 0, end: 1 }, { start: 0, end: 2 }, { start: 1, end: 3 }, { start: 3, end: 4 }]);
 * // [{ start: 0, end: 2 }, { start: 3, end: 4 }]
 * ```
 */
export function longestSpans<T extends { start: number; end: number }>(matches: readonly T[]): T[] {
  const order = matches.map((_, i) => i);
  order.sort((a, b) => {
    const x = matches[a]!, y = matches[b]!;
    return (y.end - y.start) - (x.end - x.start) || x.start - y.start || a - b;
  });
  let limit = 0;
  for (const m of matches) limit = Math.max(limit, m.end);
  const taken = new Uint8Array(limit);
  const kept: T[] = [];
  for (const i of order) {
    const m = matches[i]!;
    if (m.end <= m.start) continue;
    let free = true;
    for (let p = m.start; p < m.end && free; p++) free = taken[p] === 0;
    if (!free) continue;
    taken.fill(1, m.start, m.end);
    kept.push(m);
  }
  return kept.sort((a, b) => a.start - b.start);
}
