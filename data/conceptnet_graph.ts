/**
 * The ConceptNet graph in typed arrays: a lexicon (term -> dense id), the edge list deduplicated by
 * (head, relation, tail), and undirected neighbour lists in CSR form with degrees. Built edge by edge
 * with {@linkcode ConceptGraphBuilder} so that millions of edges never become millions of objects.
 * @module
 */

/** The loaded graph. Ids are dense: terms `0..terms.length-1`, relations `0..relations.length-1`. */
export class ConceptGraph {
  /** Term of each concept id. */
  readonly terms: string[];
  /** Concept id of each term. */
  readonly ids: Map<string, number>;
  /** Name of each relation id (`IsA`, `dbpedia/genre`). */
  readonly relations: string[];
  /** Edge `e` is `heads[e] --rels[e]--> tails[e]` with weight `weights[e]`, in first-seen order. */
  readonly heads: Uint32Array;
  /** Relation id of each edge. */
  readonly rels: Uint16Array;
  /** Tail concept id of each edge. */
  readonly tails: Uint32Array;
  /** Weight of each edge: the largest weight among the file's duplicates of that edge. */
  readonly weights: Float32Array;
  /** Concept `c`'s neighbours are `neighbourIds[offsets[c] .. offsets[c+1]]`, sorted. */
  readonly offsets: Uint32Array;
  /** The concatenated neighbour lists. */
  readonly neighbourIds: Uint32Array;
  /** Number of distinct neighbours of each concept. */
  readonly degrees: Uint32Array;

  /** Wraps built arrays; use {@linkcode ConceptGraphBuilder} to make one. */
  constructor(parts: {
    terms: string[];
    ids: Map<string, number>;
    relations: string[];
    heads: Uint32Array;
    rels: Uint16Array;
    tails: Uint32Array;
    weights: Float32Array;
  }) {
    this.terms = parts.terms;
    this.ids = parts.ids;
    this.relations = parts.relations;
    this.heads = parts.heads;
    this.rels = parts.rels;
    this.tails = parts.tails;
    this.weights = parts.weights;
    const csr = undirectedNeighbours(this.terms.length, this.heads, this.tails);
    this.offsets = csr.offsets;
    this.neighbourIds = csr.neighbourIds;
    this.degrees = new Uint32Array(this.terms.length);
    for (let c = 0; c < this.terms.length; c++) this.degrees[c] = csr.offsets[c + 1]! - csr.offsets[c]!;
  }

  /** Number of distinct (head, relation, tail) edges. */
  get edgeCount(): number {
    return this.heads.length;
  }

  /** Number of concepts in the lexicon. */
  get conceptCount(): number {
    return this.terms.length;
  }

  /** The sorted neighbour ids of concept `id` (a view, not a copy). */
  neighbours(id: number): Uint32Array {
    return this.neighbourIds.subarray(this.offsets[id]!, this.offsets[id + 1]!);
  }

  /**
   * The `k` concepts of highest degree, ties broken by id (first seen first).
   *
   * @example
   * ```ts
   * const b = new ConceptGraphBuilder();
   * b.add(b.concept("cat"), b.relation("IsA"), b.concept("animal"), 1);
   * b.finish().topByDegree(1); // [{ term: "cat", id: 0, degree: 1 }]
   * ```
   */
  topByDegree(k: number): { term: string; id: number; degree: number }[] {
    const order = Array.from({ length: this.terms.length }, (_, i) => i);
    order.sort((a, b) => this.degrees[b]! - this.degrees[a]! || a - b);
    return order.slice(0, k).map((id) => ({ term: this.terms[id]!, id, degree: this.degrees[id]! }));
  }
}

/**
 * Accumulates concepts and edges into growable typed arrays, merging duplicate
 * (head, relation, tail) edges on the fly (largest weight kept) through an open-addressing table of
 * edge indices, so memory grows with the unique edges only.
 *
 * @example
 * ```ts
 * const b = new ConceptGraphBuilder();
 * const isA = b.relation("IsA");
 * b.add(b.concept("cat"), isA, b.concept("animal"), 1);
 * b.add(b.concept("cat"), isA, b.concept("animal"), 2); // duplicate: weight becomes 2
 * const g = b.finish(); // g.edgeCount === 1, g.weights[0] === 2
 * ```
 */
export class ConceptGraphBuilder {
  #terms: string[] = [];
  #ids = new Map<string, number>();
  #relations: string[] = [];
  #relIds = new Map<string, number>();
  #heads = new Uint32Array(1024);
  #rels = new Uint16Array(1024);
  #tails = new Uint32Array(1024);
  #weights = new Float32Array(1024);
  #count = 0;
  // Open addressing over edge indices; -1 marks an empty slot. Kept at most half full.
  #table = new Int32Array(4096).fill(-1);

  /** Number of unique edges so far. */
  get edgeCount(): number {
    return this.#count;
  }

  /** The id of a term, adding it to the lexicon if new. */
  concept(term: string): number {
    let id = this.#ids.get(term);
    if (id === undefined) {
      id = this.#terms.length;
      this.#terms.push(term);
      this.#ids.set(term, id);
    }
    return id;
  }

  /** The id of a relation name, adding it if new. */
  relation(name: string): number {
    let id = this.#relIds.get(name);
    if (id === undefined) {
      id = this.#relations.length;
      if (id > 0xffff) throw new RangeError(`Cannot add relation "${name}": more than 65536 relations`);
      this.#relations.push(name);
      this.#relIds.set(name, id);
    }
    return id;
  }

  /** Adds an edge; returns false when it was a duplicate (its weight is then max-merged). */
  add(head: number, rel: number, tail: number, weight: number): boolean {
    const mask = this.#table.length - 1;
    let slot = hash3(head, rel, tail) & mask;
    for (;;) {
      const e = this.#table[slot]!;
      if (e < 0) break;
      if (this.#heads[e] === head && this.#tails[e] === tail && this.#rels[e] === rel) {
        if (weight > this.#weights[e]!) this.#weights[e] = weight;
        return false;
      }
      slot = (slot + 1) & mask;
    }
    if (this.#count === this.#heads.length) this.#growEdges();
    const e = this.#count++;
    this.#heads[e] = head;
    this.#rels[e] = rel;
    this.#tails[e] = tail;
    this.#weights[e] = weight;
    this.#table[slot] = e;
    if (this.#count * 2 > this.#table.length) this.#rehash();
    return true;
  }

  /** Freezes the arrays (trimmed to size) and builds the neighbour lists. */
  finish(): ConceptGraph {
    const n = this.#count;
    this.#table = new Int32Array(0);
    return new ConceptGraph({
      terms: this.#terms,
      ids: this.#ids,
      relations: this.#relations,
      heads: this.#heads.slice(0, n),
      rels: this.#rels.slice(0, n),
      tails: this.#tails.slice(0, n),
      weights: this.#weights.slice(0, n),
    });
  }

  #growEdges(): void {
    const size = this.#heads.length * 2;
    const grow = <T extends Uint32Array | Uint16Array | Float32Array>(a: T, make: (n: number) => T): T => {
      const b = make(size);
      b.set(a);
      return b;
    };
    this.#heads = grow(this.#heads, (k) => new Uint32Array(k));
    this.#rels = grow(this.#rels, (k) => new Uint16Array(k));
    this.#tails = grow(this.#tails, (k) => new Uint32Array(k));
    this.#weights = grow(this.#weights, (k) => new Float32Array(k));
  }

  #rehash(): void {
    const table = new Int32Array(this.#table.length * 2).fill(-1);
    const mask = table.length - 1;
    for (let e = 0; e < this.#count; e++) {
      let slot = hash3(this.#heads[e]!, this.#rels[e]!, this.#tails[e]!) & mask;
      while (table[slot]! >= 0) slot = (slot + 1) & mask;
      table[slot] = e;
    }
    this.#table = table;
  }
}

function hash3(a: number, b: number, c: number): number {
  let h = Math.imul(a, 0x9e3779b1) ^ Math.imul(b + 0x7f4a7c15, 0x85ebca77) ^ Math.imul(c, 0xc2b2ae3d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  h ^= h >>> 12;
  return h >>> 0;
}

/**
 * Undirected neighbour lists: each edge links head and tail both ways; a pair linked by several
 * edges (relations or directions) counts once, and self-loops are left out, so a degree is the
 * number of distinct other concepts a concept shares an edge with.
 */
function undirectedNeighbours(
  n: number,
  heads: Uint32Array,
  tails: Uint32Array,
): { offsets: Uint32Array; neighbourIds: Uint32Array } {
  const start = new Uint32Array(n + 1);
  for (let e = 0; e < heads.length; e++) {
    if (heads[e] === tails[e]) continue;
    start[heads[e]! + 1]!++;
    start[tails[e]! + 1]!++;
  }
  for (let c = 0; c < n; c++) start[c + 1]! += start[c]!;
  const fill = start.slice(0, n);
  const all = new Uint32Array(start[n]!);
  for (let e = 0; e < heads.length; e++) {
    const h = heads[e]!, t = tails[e]!;
    if (h === t) continue;
    all[fill[h]!++] = t;
    all[fill[t]!++] = h;
  }
  // Sort each list and drop repeats, compacting in place.
  const offsets = new Uint32Array(n + 1);
  let w = 0;
  for (let c = 0; c < n; c++) {
    const list = all.subarray(start[c]!, start[c + 1]!).sort();
    let previous = -1;
    for (let i = 0; i < list.length; i++) {
      const v = list[i]!;
      if (v !== previous) all[w++] = previous = v;
    }
    offsets[c + 1] = w;
  }
  return { offsets, neighbourIds: all.slice(0, w) };
}
