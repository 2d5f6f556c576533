/**
 * The concentration score f(t) of a text unit (docs METHOD.md section 3): by default the number of
 * distinct ConceptNet edges (head, relation, tail) whose two concepts both occur in t, the distant
 * supervision signal of the paper; or the number of concept mentions; either optionally per word.
 *
 * Edges are indexed once by head concept (CSR, tails sorted), and the concepts of a unit live in a
 * generation-marked {@linkcode ConceptSet}, so a unit costs its words plus, per concept found, the
 * smaller of its out-degree and (number of concepts) x log(out-degree): a hub such as "person"
 * with thousands of edges is probed by binary search instead of scanned.
 * @module
 */
import type { ConceptGraph } from "./conceptnet_graph.ts";
import { type ConceptMatcher, ConceptSet } from "./concept_matcher.ts";

/** `edges`: distinct graph edges with both ends in the unit; `mentions`: concept matches. */
export type ScoreKind = "edges" | "mentions";

/** What f(t) counts. */
export interface ScoreOptions {
  /** Default "edges". */
  kind?: ScoreKind;
  /** Divide by the unit's word count (words as `splitWords` cuts them, punctuation included); 0 for no words. */
  perToken?: boolean;
  /** Count edges whose head and tail are the same concept (default true; METHOD.md 2a drops them). */
  keepSelfLoops?: boolean;
}

/** A score with what it was computed from. */
export interface ScoreDetails {
  /** f(t). */
  score: number;
  /** Distinct concepts of the unit, sorted. */
  concepts: Uint32Array;
  /**
   * Edges with both ends in the unit, those that f(t) does not count (a stop-concept end, a
   * self-loop) included: indices into `graph.heads/rels/tails`, sorted.
   */
  edges: Uint32Array;
  /** Concept matches, overlaps included. */
  mentions: number;
  /** Words of the unit. */
  words: number;
}

/**
 * Scores text units against one graph and its matcher. Not reentrant (it reuses buffers): give
 * each worker its own.
 *
 * @example
 * ```ts
 * const { graph } = await loadConceptNet("data/conceptnet/cn100k/train100k.txt.gz");
 * const scorer = new ConceptScorer(graph, ConceptMatcher.fromGraph(graph));
 * scorer.score("The tire is made of rubber."); // 2: tire MadeOf rubber, rubber AtLocation tire
 * ```
 */
export class ConceptScorer {
  /** What is counted. */
  readonly kind: ScoreKind;
  /** Whether scores are divided by the word count. */
  readonly perToken: boolean;
  readonly #graph: ConceptGraph;
  readonly #matcher: ConceptMatcher;
  readonly #set: ConceptSet;
  /** Out-edges of concept c: `outEdges[outStart[c] .. outStart[c+1]]`, sorted by tail then edge index. */
  readonly #outStart: Uint32Array;
  readonly #outEdges: Uint32Array;
  /** Tail of each entry of `outEdges`, for the scans. */
  readonly #outTails: Uint32Array;
  /** 1 for each entry of `outEdges` that f(t) counts, 0 for one the hygiene filters drop. */
  readonly #outCounted: Uint8Array;

  /** Indexes the graph's edges by head; `matcher` must be built over the same graph. */
  constructor(graph: ConceptGraph, matcher: ConceptMatcher, options: ScoreOptions = {}) {
    const kind = options.kind ?? "edges";
    if (kind !== "edges" && kind !== "mentions") {
      throw new RangeError(`Cannot create concept scorer: kind must be "edges" or "mentions", got "${kind}"`);
    }
    if (matcher.conceptCount !== graph.conceptCount) {
      throw new RangeError(
        `Cannot create concept scorer: the matcher has ${matcher.conceptCount} concepts, ` +
          `the graph ${graph.conceptCount} (build the matcher from this graph)`,
      );
    }
    this.kind = kind;
    this.perToken = options.perToken ?? false;
    this.#graph = graph;
    this.#matcher = matcher;
    this.#set = new ConceptSet(graph.conceptCount, matcher.excluded);
    const index = edgesByHead(graph);
    this.#outStart = index.start;
    this.#outEdges = index.edges;
    this.#outTails = index.tails;
    const excluded = matcher.excluded, keepLoops = options.keepSelfLoops ?? true;
    this.#outCounted = new Uint8Array(index.edges.length);
    index.edges.forEach((e, i) => {
      const h = graph.heads[e]!, t = graph.tails[e]!;
      const stop = excluded !== null && (excluded[h] === 1 || excluded[t] === 1);
      this.#outCounted[i] = stop || (!keepLoops && h === t) ? 0 : 1;
    });
  }

  /** f(t) of one text unit. */
  score(text: string): number {
    const set = this.#set;
    set.clear();
    this.#matcher.collect(text, set);
    const raw = this.kind === "mentions" ? set.mentions : this.#countEdges(null);
    return this.#normalise(raw, set.words);
  }

  /**
   * f(t) of a unit made of several texts (a document's paragraphs): concepts and words pooled, no
   * n-gram crossing from one text to the next. The same as `score` of the texts joined by "\n".
   */
  scoreTexts(texts: Iterable<string>): number {
    const set = this.#set;
    set.clear();
    for (const text of texts) this.#matcher.collect(text, set);
    const raw = this.kind === "mentions" ? set.mentions : this.#countEdges(null);
    return this.#normalise(raw, set.words);
  }

  /** f(t) with the concepts and edges behind it (for reports: top concepts and edges). */
  scoreWithDetails(text: string): ScoreDetails {
    const set = this.#set;
    set.clear();
    this.#matcher.collect(text, set);
    const found: number[] = [];
    const edgeCount = this.#countEdges(found);
    const raw = this.kind === "mentions" ? set.mentions : edgeCount;
    return {
      score: this.#normalise(raw, set.words),
      concepts: set.sorted(),
      edges: Uint32Array.from(found).sort(),
      mentions: set.mentions,
      words: set.words,
    };
  }

  #normalise(raw: number, words: number): number {
    if (!this.perToken) return raw;
    return words === 0 ? 0 : raw / words;
  }

  /** Counted edges with both ends in the set; every such edge's index goes to `found` when given. */
  #countEdges(found: number[] | null): number {
    const set = this.#set, k = set.size, concepts = set.ids;
    const start = this.#outStart, tails = this.#outTails, edges = this.#outEdges, counted = this.#outCounted;
    let count = 0;
    for (let q = 0; q < k; q++) {
      const h = concepts[q]!;
      const a = start[h]!, b = start[h + 1]!;
      const degree = b - a;
      if (degree === 0) continue;
      if (degree <= k * LINEAR_FACTOR) {
        for (let e = a; e < b; e++) {
          if (set.has(tails[e]!)) {
            count += counted[e]!;
            if (found) found.push(edges[e]!);
          }
        }
      } else {
        // A hub: probe each concept of the unit in the head's sorted tails.
        for (let p = 0; p < k; p++) {
          const t = concepts[p]!;
          for (let e = lowerBound(tails, a, b, t); e < b && tails[e] === t; e++) {
            count += counted[e]!;
            if (found) found.push(edges[e]!);
          }
        }
      }
    }
    return count;
  }
}

/** Above this many out-edges per concept of the unit, a head's edges are probed, not scanned. */
const LINEAR_FACTOR = 8;

function lowerBound(a: Uint32Array, from: number, to: number, value: number): number {
  let lo = from, hi = to;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Edge indices grouped by head (counting sort), each group sorted by tail. */
function edgesByHead(graph: ConceptGraph): { start: Uint32Array; edges: Uint32Array; tails: Uint32Array } {
  const n = graph.conceptCount, m = graph.edgeCount;
  const { heads, tails } = graph;
  const start = new Uint32Array(n + 1);
  for (let e = 0; e < m; e++) start[heads[e]! + 1]!++;
  for (let c = 0; c < n; c++) start[c + 1]! += start[c]!;
  const fill = start.slice(0, n);
  const edges = new Uint32Array(m);
  for (let e = 0; e < m; e++) edges[fill[heads[e]!]!++] = e;
  for (let c = 0; c < n; c++) {
    const group = edges.subarray(start[c]!, start[c + 1]!);
    if (group.length > 1) {
      const sorted = Array.from(group).sort((x, y) => tails[x]! - tails[y]! || x - y);
      group.set(sorted);
    }
  }
  const outTails = new Uint32Array(m);
  for (let i = 0; i < m; i++) outTails[i] = tails[edges[i]!]!;
  return { start, edges, tails: outTails };
}
