/**
 * Scoring text units for concentration, in the calling thread ({@linkcode InlineScorer}) or in a
 * pool of Deno Workers ({@linkcode WorkerPool}). ConceptNet is parsed once, in the calling thread;
 * each worker gets the graph's arrays and builds its own matcher and scorer. Both give
 * the same scores, in the order of the texts, and the same tallies: for every concept and every
 * edge, the number of units it was found in (summed over workers, so the split does not matter).
 *
 * @example
 * ```ts
 * import { detailScorerOf, InlineScorer, loadScoringGraph } from "./scorer.ts";
 *
 * const spec = { conceptnet: "data/conceptnet/cn100k/train100k.txt.gz" };
 * const inline = new InlineScorer(detailScorerOf((await loadScoringGraph(spec)).graph, spec));
 * await inline.scoreBatch(["A cat is an animal.", "Nothing here."]); // Float64Array of f(t)
 * ```
 * @module
 */
import { logToStderr } from "../../util/stdio.ts";
import { formatSkippedLines, loadConceptNet } from "../conceptnet.ts";
import { ConceptGraph } from "../conceptnet_graph.ts";
import { ConceptMatcher } from "../concept_matcher.ts";
import { ConceptScorer, type ScoreKind } from "../concept_score.ts";
import { type ConceptHygiene, DEFAULT_HYGIENE } from "../concept_hygiene.ts";
import type { LaneResult, LaneSpec } from "./lane.ts";
import { scan } from "./scan.ts";
import type { ScorerInfo, Tallies, UnitScorer } from "./unit_scorer.ts";

/** A scorer that also says which concepts and edges a unit holds (ids below the counts). */
export interface DetailScorer {
  /** Number of concept ids: every id in `details(...).concepts` is below it. */
  readonly conceptCount: number;
  /** Number of edge ids: every id in `details(...).edges` is below it. */
  readonly edgeCount: number;
  /** f(t) with the distinct concepts and edges behind it. */
  details(text: string): { score: number; concepts: ArrayLike<number>; edges: ArrayLike<number> };
  /** The term of a concept id. */
  conceptName(id: number): string;
  /** `[head, relation, tail]` of an edge id. */
  edgeName(id: number): [string, string, string];
}

/** How to build the ConceptNet scorer; plain data, so a worker can build its own. */
export interface ScorerSpec {
  /** ConceptNet file (assertions dump or 4-column extract, plain or gzip). */
  conceptnet: string;
  /** `edges` (default) or `mentions`. */
  kind?: ScoreKind;
  /** Divide by the unit's word count. */
  perToken?: boolean;
  /** Longest concept n-gram in words (default 4). */
  maxN?: number;
  /** Keep the relations METHOD.md section 1 excludes by default. */
  keepExcludedRelations?: boolean;
  /** Concept hygiene (METHOD.md 2a; default `DEFAULT_HYGIENE`: every filter on). */
  hygiene?: ConceptHygiene;
}

/**
 * Loads the ConceptNet file of `spec` with its relation filter; `warn` hears the count of skipped
 * malformed lines when there are any (default: stderr, so every command that scores says so). Throws
 * one line when no English edge is left (nothing could ever score).
 */
export async function loadScoringGraph(
  spec: ScorerSpec,
  warn: (line: string) => void = logToStderr,
): Promise<{ graph: ConceptGraph; info: ScorerInfo }> {
  const { graph, report } = await loadConceptNet(spec.conceptnet, {
    keepExcludedRelations: spec.keepExcludedRelations ?? false,
  });
  const skipped = formatSkippedLines(report);
  if (skipped !== null) warn(skipped);
  if (graph.edgeCount === 0) {
    throw new Error(
      `Cannot use ConceptNet file ${spec.conceptnet}: it has no English edges to score with ` +
        `(${report.lines} lines, ${report.notEnglish} not English, ${report.excluded} excluded by relation)`,
    );
  }
  const info: ScorerInfo = {
    format: report.format,
    lines: report.lines,
    malformed: report.malformed,
    not_english: report.notEnglish,
    excluded: report.excluded,
    kept: report.kept,
    edges: graph.edgeCount,
    concepts: graph.conceptCount,
  };
  return { graph, info };
}

/** The ConceptNet scorer of a loaded graph (matcher over its terms, `spec`'s score options). */
export function detailScorerOf(graph: ConceptGraph, spec: Partial<ScorerSpec> = {}): DetailScorer {
  const hygiene = spec.hygiene ?? DEFAULT_HYGIENE;
  const matcher = ConceptMatcher.fromGraph(graph, { maxN: spec.maxN ?? 4, hygiene });
  const scorer = new ConceptScorer(graph, matcher, {
    kind: spec.kind ?? "edges",
    perToken: spec.perToken,
    keepSelfLoops: hygiene.keepSelfLoops,
  });
  return {
    conceptCount: graph.conceptCount,
    edgeCount: graph.edgeCount,
    details: (text) => scorer.scoreWithDetails(text),
    conceptName: (id) => graph.terms[id]!,
    edgeName: (
      e,
    ) => [graph.terms[graph.heads[e]!]!, graph.relations[graph.rels[e]!]!, graph.terms[graph.tails[e]!]!],
  };
}

/** A graph's arrays as plain data, for a worker (structured clone copies them). */
export interface GraphParts {
  /** Term of each concept id. */
  terms: string[];
  /** Name of each relation id. */
  relations: string[];
  /** Head concept id of each edge. */
  heads: Uint32Array;
  /** Relation id of each edge. */
  rels: Uint16Array;
  /** Tail concept id of each edge. */
  tails: Uint32Array;
  /** Weight of each edge. */
  weights: Float32Array;
}

/** The parts of `graph` a worker rebuilds it from. */
export function graphParts(graph: ConceptGraph): GraphParts {
  const { terms, relations, heads, rels, tails, weights } = graph;
  return { terms, relations, heads, rels, tails, weights };
}

/** Rebuilds a graph from its parts (neighbour lists recomputed). */
export function graphOfParts(parts: GraphParts): ConceptGraph {
  const ids = new Map<string, number>();
  parts.terms.forEach((t, i) => ids.set(t, i));
  return new ConceptGraph({ ...parts, ids });
}

/** Unit counts per concept and per edge id. */
export class TallyCounter {
  /** Units each concept id was found in. */
  readonly concepts: Uint32Array;
  /** Units each edge id was found in. */
  readonly edges: Uint32Array;

  /** Zero counts for a lexicon and edge list of these sizes. */
  constructor(conceptCount: number, edgeCount: number) {
    this.concepts = new Uint32Array(conceptCount);
    this.edges = new Uint32Array(edgeCount);
  }

  /** Scores `text` and counts what it holds. */
  score(scorer: DetailScorer, text: string): number {
    const d = scorer.details(text);
    for (let i = 0; i < d.concepts.length; i++) this.concepts[d.concepts[i]!]!++;
    for (let i = 0; i < d.edges.length; i++) this.edges[d.edges[i]!]!++;
    return d.score;
  }

  /** Adds counts of the same sizes. */
  addAll(concepts: ArrayLike<number>, edges: ArrayLike<number>): void {
    for (let i = 0; i < concepts.length; i++) this.concepts[i]! += concepts[i]!;
    for (let i = 0; i < edges.length; i++) this.edges[i]! += edges[i]!;
  }

  /** The non-zero counts with names. */
  named(scorer: DetailScorer): Tallies {
    const concepts: [string, number][] = [];
    for (let i = 0; i < this.concepts.length; i++) {
      if (this.concepts[i]! > 0) concepts.push([scorer.conceptName(i), this.concepts[i]!]);
    }
    const edges: [string, string, string, number][] = [];
    for (let i = 0; i < this.edges.length; i++) {
      if (this.edges[i]! > 0) edges.push([...scorer.edgeName(i), this.edges[i]!]);
    }
    return sortTallies({ concepts, edges });
  }
}

/** Sorts tallies largest first, ties by name, so equal counts always list alike. */
export function sortTallies(t: Tallies): Tallies {
  const byName = (a: readonly unknown[], b: readonly unknown[], n: number) => {
    for (let i = 0; i < n; i++) {
      const x = a[i] as string, y = b[i] as string;
      if (x !== y) return x < y ? -1 : 1;
    }
    return 0;
  };
  t.concepts.sort((a, b) => b[1] - a[1] || byName(a, b, 1));
  t.edges.sort((a, b) => b[3] - a[3] || byName(a, b, 3));
  return t;
}

/** Scores in the calling thread. */
export class InlineScorer implements UnitScorer {
  readonly workers = 1;
  readonly #scorer: DetailScorer;
  readonly #tally: TallyCounter;

  /** Wraps a detail scorer (the ConceptNet one, or any other for tests). */
  constructor(scorer: DetailScorer) {
    this.#scorer = scorer;
    this.#tally = new TallyCounter(scorer.conceptCount, scorer.edgeCount);
  }

  scoreBatch(texts: readonly string[]): Promise<Float64Array> {
    const out = new Float64Array(texts.length);
    for (let i = 0; i < texts.length; i++) out[i] = this.#tally.score(this.#scorer, texts[i]!);
    return Promise.resolve(out);
  }

  tallies(): Promise<Tallies> {
    return Promise.resolve(this.#tally.named(this.#scorer));
  }

  close(): void {}
}

/** Messages to a concentrate worker. */
export type WorkerRequest =
  | { type: "init"; graph: GraphParts; spec: ScorerSpec }
  | { type: "score"; id: number; texts: readonly string[] }
  | { type: "counts"; id: number }
  | { type: "scan"; id: number; lane: LaneSpec }
  | { type: "name"; id: number; concepts: Uint32Array; edges: Uint32Array };

/** Messages from a concentrate worker. */
export type WorkerReply =
  | { type: "ready"; concepts: number; edges: number }
  | { type: "scores"; id: number; scores: Float64Array }
  | { type: "counts"; id: number; concepts: Uint32Array; edges: Uint32Array }
  | { type: "named"; id: number; tallies: Tallies }
  | { type: "scanned"; id: number; result: LaneResult }
  | { type: "error"; id: number; message: string };

/**
 * Answers {@linkcode WorkerRequest}s inside a worker: `post` sends a reply. The worker module only
 * wires this to `self`.
 */
export function workerHandler(
  post: (reply: WorkerReply, transfer?: Transferable[]) => void,
): (m: WorkerRequest) => Promise<void> {
  let scorer: DetailScorer | null = null;
  let tally: TallyCounter | null = null;
  return async (m: WorkerRequest): Promise<void> => {
    const id = m.type === "init" ? -1 : m.id;
    try {
      if (m.type === "init") {
        scorer = detailScorerOf(graphOfParts(m.graph), m.spec);
        tally = new TallyCounter(scorer.conceptCount, scorer.edgeCount);
        post({ type: "ready", concepts: scorer.conceptCount, edges: scorer.edgeCount });
        return;
      }
      if (!scorer || !tally) throw new Error("Cannot score: the worker was not initialised");
      if (m.type === "scan") {
        const s = scorer, t = tally;
        const local: UnitScorer = {
          workers: 1,
          scoreBatch: (texts) => Promise.resolve(Float64Array.from(texts, (text) => t.score(s, text))),
          tallies: () => Promise.resolve(t.named(s)),
          close: () => {},
        };
        const result = await scan({ ...m.lane, scorer: local });
        post({ type: "scanned", id, result }, [result.keyBytes.buffer as ArrayBuffer]);
      } else if (m.type === "score") {
        const scores = new Float64Array(m.texts.length);
        for (let i = 0; i < m.texts.length; i++) scores[i] = tally.score(scorer, m.texts[i]!);
        post({ type: "scores", id, scores }, [scores.buffer]);
      } else if (m.type === "counts") {
        const concepts = tally.concepts.slice(), edges = tally.edges.slice();
        post({ type: "counts", id, concepts, edges }, [concepts.buffer, edges.buffer]);
      } else {
        const sum = new TallyCounter(scorer.conceptCount, scorer.edgeCount);
        sum.addAll(m.concepts, m.edges);
        post({ type: "named", id, tallies: sum.named(scorer) });
      }
    } catch (error) {
      post({ type: "error", id, message: (error as Error).message.split("\n")[0]! });
    }
  };
}

/** Deno Workers that each build a scorer from the graph they are sent and score batches of units. */
export class WorkerPool implements UnitScorer {
  readonly workers: number;
  readonly #pool: Worker[];
  readonly #pending = new Map<number, { resolve: (r: WorkerReply) => void; reject: (e: Error) => void }>();
  readonly #load: number[];
  #nextId = 0;
  #failure: Error | null = null;

  private constructor(pool: Worker[]) {
    this.#pool = pool;
    this.workers = pool.length;
    this.#load = pool.map(() => 0);
  }

  /**
   * Starts `count` workers from the module at `url` (one that calls {@linkcode workerHandler}),
   * sends each the graph, and waits until each has built its scorer; the first failure rejects
   * with its message.
   */
  static async start(url: URL, count: number, graph: ConceptGraph, spec: ScorerSpec): Promise<WorkerPool> {
    if (!Number.isInteger(count) || count < 1) {
      throw new RangeError(`Cannot start workers: count must be a positive integer, got ${count}`);
    }
    const workers = Array.from({ length: count }, () => new Worker(url, { type: "module" }));
    const parts = graphParts(graph);
    const pool = new WorkerPool(workers);
    const ready = workers.map((w, i) =>
      new Promise<void>((resolve, reject) => {
        w.onmessage = (e: MessageEvent<WorkerReply>) => {
          if (e.data.type === "ready") {
            w.onmessage = (ev: MessageEvent<WorkerReply>) => pool.#reply(i, ev.data);
            resolve();
          } else if (e.data.type === "error") reject(new Error(e.data.message));
        };
        w.onerror = (e: ErrorEvent) => {
          e.preventDefault();
          const error = new Error(`Concentrate worker ${i} failed: ${e.message}`);
          pool.#fail(error);
          reject(error);
        };
        w.postMessage({ type: "init", graph: parts, spec } satisfies WorkerRequest);
      })
    );
    try {
      await Promise.all(ready);
    } catch (error) {
      pool.close();
      throw error;
    }
    return pool;
  }

  async scoreBatch(texts: readonly string[]): Promise<Float64Array> {
    // The least busy worker; ties to the lowest index. Which worker scores a batch never changes
    // its scores, only the tallies' split, and those are summed.
    let w = 0;
    for (let i = 1; i < this.#load.length; i++) if (this.#load[i]! < this.#load[w]!) w = i;
    this.#load[w]!++;
    try {
      const reply = await this.#ask(w, (id) => ({ type: "score", id, texts }));
      return (reply as Extract<WorkerReply, { type: "scores" }>).scores;
    } finally {
      this.#load[w]!--;
    }
  }

  async scanLanes(lanes: readonly LaneSpec[]): Promise<LaneResult[]> {
    if (lanes.length > this.workers) {
      throw new RangeError(`Cannot scan ${lanes.length} lanes with ${this.workers} workers`);
    }
    const replies = await Promise.all(
      lanes.map((lane, w) => this.#ask(w, (id) => ({ type: "scan", id, lane }))),
    );
    return replies.map((r) => (r as Extract<WorkerReply, { type: "scanned" }>).result);
  }

  async tallies(): Promise<Tallies> {
    const counts = await Promise.all(
      this.#pool.map((_, w) => this.#ask(w, (id) => ({ type: "counts", id }))),
    );
    const first = counts[0] as Extract<WorkerReply, { type: "counts" }>;
    const concepts = new Uint32Array(first.concepts.length), edges = new Uint32Array(first.edges.length);
    for (const c of counts as Extract<WorkerReply, { type: "counts" }>[]) {
      for (let i = 0; i < concepts.length; i++) concepts[i]! += c.concepts[i]!;
      for (let i = 0; i < edges.length; i++) edges[i]! += c.edges[i]!;
    }
    const named = await this.#ask(0, (id) => ({ type: "name", id, concepts, edges }));
    return (named as Extract<WorkerReply, { type: "named" }>).tallies;
  }

  close(): void {
    for (const w of this.#pool) w.terminate();
    this.#fail(new Error("Cannot score: the workers were closed"));
  }

  #ask(w: number, make: (id: number) => WorkerRequest): Promise<WorkerReply> {
    if (this.#failure) return Promise.reject(this.#failure);
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#pool[w]!.postMessage(make(id));
    });
  }

  #reply(_worker: number, reply: WorkerReply): void {
    if (reply.type === "ready") return;
    const waiter = this.#pending.get(reply.id);
    if (!waiter) return;
    this.#pending.delete(reply.id);
    if (reply.type === "error") waiter.reject(new Error(reply.message));
    else waiter.resolve(reply);
  }

  #fail(error: Error): void {
    this.#failure ??= error;
    for (const waiter of this.#pending.values()) waiter.reject(error);
    this.#pending.clear();
  }
}
