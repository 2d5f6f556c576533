import assert from "node:assert/strict";
import { BertMlm, type BertShape, initialParameters } from "../core/bert/model.ts";
import { cpuOps } from "../core/ops.ts";
import { ConceptMatcher, type TokenSpan } from "../data/concept_matcher.ts";
import { loadConceptNet } from "../data/conceptnet.ts";
import { ConceptGraphBuilder } from "../data/conceptnet_graph.ts";
import { readParagraphs } from "../data/corpus.ts";
import { SequencePacker } from "../data/packing.ts";
import { BertTokenizer } from "../data/tokenizer.ts";
import { Vocab } from "../data/vocab.ts";
import {
  bernoulliMasker,
  bertMasker,
  conceptMasker,
  conceptSpans,
  createMasker,
  curriculumMasker,
  curriculumStages,
  eligibleTokens,
  evenBoundaries,
  maskBatch,
  type MaskedSequence,
  type Masker,
  type MaskingStats,
  MaskingTally,
  predictionBudget,
  roundHalfEven,
  sequenceRng,
  stageAt,
} from "../masking/mod.ts";
import { IGNORE_LABEL } from "../core/bert/model.ts";

const tok = await BertTokenizer.load();
const vocab = tok.vocab;
const { cls, sep, pad, mask: MASK } = vocab.special;
const T = 128;
const N = 10_000;

/** A small LCG, independent of the code under test. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 4294967296;
}

/**
 * Synthetic packed sequences: [CLS] ids [SEP] [PAD]..., lengths 3..T, word-initial ids from the
 * real vocab with `##` pieces now and then, and the odd [UNK] and [MASK] inside.
 */
function syntheticSequences(n: number, seed: number): Int32Array[] {
  const r = lcg(seed);
  const initial: number[] = [];
  const pieces: number[] = [];
  vocab.tokens.forEach((t, id) => {
    if (id < 999) return;
    (t.startsWith("##") ? pieces : initial).push(id);
  });
  const out: Int32Array[] = [];
  for (let i = 0; i < n; i++) {
    const len = 3 + Math.floor(r() * (T - 2));
    const a = new Int32Array(T).fill(pad);
    a[0] = cls;
    for (let t = 1; t < len - 1; t++) {
      const u = r();
      if (u < 0.002) a[t] = MASK;
      else if (u < 0.004) a[t] = vocab.special.unk;
      else if (u < 0.25 && t > 1) a[t] = pieces[Math.floor(r() * pieces.length)]!;
      else a[t] = initial[Math.floor(r() * initial.length)]!;
    }
    a[len - 1] = sep;
    out.push(a);
  }
  return out;
}

const SYNTHETIC = syntheticSequences(N, 7);

function maskAll(
  masker: Masker,
  seqs: readonly Int32Array[],
  step = 0,
  matches?: readonly (readonly TokenSpan[])[],
): MaskedSequence[] {
  return seqs.map((s, i) => masker.mask(s, { seed: 11, step, sequence: i }, matches?.[i]));
}

function tally(
  seqs: readonly Int32Array[],
  results: readonly MaskedSequence[],
  matches?: TokenSpan[][],
): MaskingStats {
  const t = new MaskingTally(vocab);
  seqs.forEach((s, i) => t.add(s, results[i]!, matches?.[i]));
  return t.stats();
}

/** Independent count of what each prediction became, and the general invariants of a result. */
function checkInvariants(seqs: readonly Int32Array[], results: readonly MaskedSequence[], cap: number): void {
  seqs.forEach((s, i) => {
    const m = results[i]!;
    assert.ok(m.positions.length <= cap, `sequence ${i}: ${m.positions.length} predictions > ${cap}`);
    assert.equal(m.labels.length, m.positions.length);
    const predicted = new Set<number>();
    m.positions.forEach((t, k) => {
      if (k > 0) assert.ok(t > m.positions[k - 1]!, `sequence ${i}: positions not ascending`);
      const id = s[t]!;
      assert.ok(
        id !== cls && id !== sep && id !== pad && id !== MASK,
        `sequence ${i}: special token at ${t} predicted`,
      );
      assert.equal(m.labels[k], id, `sequence ${i}: label at ${t}`);
      predicted.add(t);
    });
    for (let t = 0; t < T; t++) {
      if (!predicted.has(t)) assert.equal(m.ids[t], s[t], `sequence ${i}: unpredicted token ${t} changed`);
      assert.ok(m.ids[t]! >= 0 && m.ids[t]! < vocab.size);
    }
  });
}

function assertShares(s: MaskingStats, what: string): void {
  const near = (x: number, want: number, tol: number, name: string) =>
    assert.ok(Math.abs(x - want) <= tol, `${what}: ${name} ${x.toFixed(4)}, expected ${want} +- ${tol}`);
  near(s.predictedShare, 0.15, 0.005, "predicted share");
  near(s.maskShare, 0.8, 0.01, "[MASK] share");
  near(s.randomShare, 0.1, 0.01, "random share");
  near(s.keptShare, 0.1, 0.01, "kept share");
}

Deno.test("roundHalfEven() and predictionBudget() follow Python's round and Google's formula", () => {
  assert.deepEqual([0.5, 1.5, 2.5, 4.5, 2.4, 2.6, 18.9].map(roundHalfEven), [0, 2, 2, 4, 2, 3, 19]);
  // eligible tokens -> min(20, max(1, round(0.15 n))): 0.15 x 10 = 1.5 -> 2, 0.15 x 30 = 4.5 -> 4.
  const cases: [number, number][] = [[0, 0], [1, 1], [5, 1], [10, 2], [30, 4], [126, 19], [200, 20]];
  for (const [n, want] of cases) assert.equal(predictionBudget(n, 20), want, `n=${n}`);
});

Deno.test("sequenceRng() is a pure function of (seed, step, sequence)", () => {
  const draws = (seed: number, step: number, sequence: number) => {
    const r = sequenceRng({ seed, step, sequence });
    return Array.from({ length: 8 }, () => r.nextUint32());
  };
  assert.deepEqual(draws(1, 2, 3), draws(1, 2, 3));
  const keys = [[1, 2, 3], [2, 2, 3], [1, 3, 3], [1, 2, 4], [1, 2 ** 32 + 2, 3], [3, 2, 1]];
  const streams = new Set(keys.map(([a, b, c]) => draws(a!, b!, c!).join(",")));
  assert.equal(streams.size, keys.length);
  // Rough uniformity: 100,000 draws of below(10) over many keys, each bucket within 3%.
  const counts = new Array(10).fill(0);
  for (let s = 0; s < 1000; s++) {
    const r = sequenceRng({ seed: 5, step: 0, sequence: s });
    for (let k = 0; k < 100; k++) counts[r.below(10)]++;
  }
  for (const c of counts) assert.ok(Math.abs(c - 10_000) < 300, `bucket count ${c}`);
  assert.throws(() => sequenceRng({ seed: -1, step: 0, sequence: 0 }), RangeError);
});

Deno.test("bert predicts Google's fixed count, 15% of eligible tokens, 80/10/10, never a special token", () => {
  const results = maskAll(bertMasker({ vocab }), SYNTHETIC);
  checkInvariants(SYNTHETIC, results, 20);
  SYNTHETIC.forEach((s, i) => {
    let n = 0;
    for (const id of s) if (id !== cls && id !== sep && id !== pad && id !== MASK) n++;
    const want = n === 0 ? 0 : Math.min(20, Math.max(1, roundHalfEven(0.15 * n)));
    assert.equal(results[i]!.positions.length, want, `sequence ${i} with ${n} eligible`);
  });
  assertShares(tally(SYNTHETIC, results), "bert");
});

Deno.test("bert masking is deterministic per (seed, step, sequence) and differs across steps", () => {
  const masker = bertMasker({ vocab });
  const some = SYNTHETIC.slice(0, 500);
  const a = maskAll(masker, some, 3);
  const b = maskAll(masker, some, 3);
  assert.deepEqual(a, b);
  // One sequence alone, out of order, gives what it gave among the others.
  assert.deepEqual(masker.mask(some[321]!, { seed: 11, step: 3, sequence: 321 }), a[321]);
  const c = maskAll(masker, some, 4);
  const same = a.filter((m, i) => m.positions.join() === c[i]!.positions.join()).length;
  assert.ok(same < 25, `${same} of 500 sequences masked alike at steps 3 and 4`);
  const d = some.map((s, i) => masker.mask(s, { seed: 12, step: 3, sequence: i }));
  assert.ok(d.filter((m, i) => m.positions.join() === a[i]!.positions.join()).length < 25);
});

Deno.test("bert whole-word masking never splits a word and keeps the 15% budget", () => {
  const results = maskAll(bertMasker({ vocab, wholeWord: true }), SYNTHETIC);
  checkInvariants(SYNTHETIC, results, 20);
  const isPiece = (id: number) => vocab.tokens[id]!.startsWith("##");
  let predicted = 0, eligible = 0, budget = 0;
  SYNTHETIC.forEach((s, i) => {
    const chosen = new Set(results[i]!.positions);
    predicted += chosen.size;
    const e = eligibleTokens(s, vocab);
    let n = 0;
    for (const x of e) n += x;
    eligible += n;
    budget += predictionBudget(n, 20);
    // A word: an eligible token and the ## pieces right after it.
    for (let t = 0; t < T; t++) {
      if (!e[t] || (t > 0 && e[t - 1] && isPiece(s[t]!))) continue;
      let end = t + 1;
      while (end < T && e[end] && isPiece(s[end]!)) end++;
      let hit = 0;
      for (let k = t; k < end; k++) hit += chosen.has(k) ? 1 : 0;
      assert.ok(hit === 0 || hit === end - t, `sequence ${i}: word [${t}, ${end}) split (${hit} predicted)`);
    }
  });
  assert.ok(predicted <= budget);
  assert.ok(Math.abs(predicted / eligible - 0.15) <= 0.005, `whole-word share ${predicted / eligible}`);
});

Deno.test("bernoulli predicts 15% with 80/10/10 uncapped, and caps at maxPredictions counting what it drops", () => {
  const free = maskAll(bernoulliMasker({ vocab, maxPredictions: T }), SYNTHETIC);
  checkInvariants(SYNTHETIC, free, T);
  assertShares(tally(SYNTHETIC, free), "bernoulli");
  // The count varies from sequence to sequence (it is not Google's fixed count).
  assert.ok(new Set(free.slice(0, 200).map((m) => m.positions.length)).size > 10);
  const capped = maskAll(bernoulliMasker({ vocab, maxPredictions: 20 }), SYNTHETIC);
  checkInvariants(SYNTHETIC, capped, 20);
  let bites = 0;
  capped.forEach((m, i) => {
    // Same stream, so the uncapped selection is the capped one's superset.
    assert.equal(m.positions.length + m.overflow!, free[i]!.positions.length);
    if (m.overflow! > 0) {
      bites++;
      assert.equal(m.positions.length, 20);
      for (const t of m.positions) assert.ok(free[i]!.positions.includes(t));
    }
  });
  assert.equal(tally(SYNTHETIC, capped).cappedSequences, bites);
  assert.ok(bites > 100, `the cap of 20 bit only ${bites} times`);
});

Deno.test("no strategy ever predicts [CLS], [SEP], [PAD] or [MASK], even given spans over them", () => {
  const seq = Int32Array.of(cls, 2000, MASK, 2001, sep, 2002, 2003, sep, pad, pad);
  const spans = [{ concept: 0, start: 0, end: 2 }, { concept: 1, start: 2, end: 4 }, {
    concept: 2,
    start: 4,
    end: 6,
  }, {
    concept: 3,
    start: 7,
    end: 10,
  }];
  const stages = [{
    stage: 1,
    concepts: Uint8Array.of(1, 1, 1, 1),
    size: 4,
    added: Uint32Array.of(0, 1, 2, 3),
    all: true,
  }];
  for (const name of ["bert", "bernoulli", "concept", "curriculum"]) {
    const masker = createMasker(name, { vocab, maxPredictions: 10, rate: 1, stages, boundaries: [0] });
    for (let s = 0; s < 200; s++) {
      const m = masker.mask(seq, { seed: 1, step: 0, sequence: s }, spans);
      for (const t of m.positions) assert.ok([1, 3, 5, 6].includes(t), `${name} predicted position ${t}`);
    }
  }
});

Deno.test("maskBatch() lays out B x T ids and B x P distinct prediction slots for BertMlm.setBatch", () => {
  const seqs = SYNTHETIC.slice(40, 46);
  const masker = bertMasker({ vocab });
  const batch = maskBatch(masker, seqs, { seed: 11, step: 9, firstSequence: 40 });
  assert.equal(batch.ids.length, 6 * T);
  assert.equal(batch.positions.length, 6 * 20);
  assert.equal(new Set(batch.positions).size, batch.positions.length);
  let predicted = 0;
  seqs.forEach((s, b) => {
    const alone = masker.mask(s, { seed: 11, step: 9, sequence: 40 + b });
    assert.deepEqual(batch.ids.subarray(b * T, (b + 1) * T), alone.ids);
    const k = alone.positions.length;
    predicted += k;
    for (let i = 0; i < 20; i++) {
      const row = batch.positions[b * 20 + i]!;
      assert.equal(Math.floor(row / T), b, "a slot points into its own sequence");
      if (i < k) {
        assert.equal(row - b * T, alone.positions[i]);
        assert.equal(batch.labels[b * 20 + i], alone.labels[i]);
      } else assert.equal(batch.labels[b * 20 + i], IGNORE_LABEL);
    }
    for (let t = 0; t < T; t++) {
      assert.equal(batch.attentionMask[b * T + t], s[t] === pad ? 0 : 1);
      assert.equal(batch.typeIds[b * T + t], 0);
    }
  });
  assert.equal(batch.predicted, predicted);
  assert.throws(
    () => maskBatch(bertMasker({ vocab, maxPredictions: 5 }), [new Int32Array(4)], { seed: 1, step: 0 }),
    RangeError,
  );
});

Deno.test("concept masking on a hand-made sequence: p_d = 1 takes every span whole, then fills outside spans", () => {
  // 40 eligible tokens: budget round(6.0) = 6, floor(0.18 x 40) = 7 >= 5 span tokens, so p_d = 1.
  const seq = new Int32Array(48).fill(pad);
  seq[0] = cls;
  for (let t = 1; t <= 40; t++) seq[t] = 2000 + t;
  seq[41] = sep;
  const spans = [{ concept: 5, start: 1, end: 3 }, { concept: 6, start: 5, end: 6 }, {
    concept: 7,
    start: 10,
    end: 12,
  }];
  const inSpan = (t: number) => spans.some((s) => t >= s.start && t < s.end);
  for (let s = 0; s < 300; s++) {
    const key = { seed: 3, step: 0, sequence: s };
    const m = conceptMasker({ vocab }).mask(seq, key, spans);
    assert.equal(m.positions.length, 6);
    assert.deepEqual([...m.positions].filter(inSpan), [1, 2, 5, 10, 11]);
    // A span is wholly [MASK], wholly kept or wholly random.
    for (const sp of spans) {
      const kinds = new Set<string>();
      for (let t = sp.start; t < sp.end; t++) {
        kinds.add(m.ids[t] === MASK ? "mask" : m.ids[t] === seq[t] ? "kept" : "random");
      }
      assert.equal(kinds.size, 1, `span [${sp.start}, ${sp.end}) corrupted unevenly`);
    }
    const noFill = conceptMasker({ vocab, fill: false }).mask(seq, key, spans);
    assert.deepEqual([...noFill.positions], [1, 2, 5, 10, 11]);
  }
  // A span longer than the budget is skipped, never cut: 6 ordinary tokens instead.
  const long = [{ concept: 1, start: 20, end: 27 }];
  const m = conceptMasker({ vocab }).mask(seq, { seed: 3, step: 0, sequence: 0 }, long);
  assert.equal(m.positions.length, 6);
  assert.ok([...m.positions].every((t) => t < 20 || t >= 27));
});

Deno.test("concept masking chooses each span with p_d = floor(0.18 n) / span tokens", () => {
  // 120 eligible tokens, 60 one-token spans: p_d = 21 / 60 = 0.35, expected 21 spans; rate 0.5
  // makes the budget (60) too large to bite, and without fill only spans are predicted.
  const seq = new Int32Array(122);
  seq[0] = cls;
  for (let t = 1; t <= 120; t++) seq[t] = 3000 + t;
  seq[121] = sep;
  const spans = Array.from({ length: 60 }, (_, k) => ({ concept: k, start: 1 + 2 * k, end: 2 + 2 * k }));
  const masker = conceptMasker({ vocab, rate: 0.5, maxPredictions: 100, fill: false });
  let total = 0;
  for (let s = 0; s < 10_000; s++) {
    total += masker.mask(seq, { seed: 1, step: 0, sequence: s }, spans).positions.length;
  }
  // sd of the mean: sqrt(60 x 0.35 x 0.65) / 100 = 0.037.
  assert.ok(Math.abs(total / 10_000 - 21) < 0.15, `mean spans chosen ${total / 10_000}`);
});

Deno.test("conceptSpans() keeps the longest non-overlapping spans over eligible tokens only", () => {
  const seq = Int32Array.of(cls, 2000, 2001, 2002, 2003, sep, pad);
  const e = eligibleTokens(seq, vocab);
  const spans = conceptSpans([
    { concept: 0, start: 1, end: 2 },
    { concept: 1, start: 1, end: 3 },
    { concept: 2, start: 2, end: 4 },
    { concept: 3, start: 4, end: 6 }, // covers [SEP]
    { concept: 4, start: 3, end: 4 },
  ], e);
  assert.deepEqual(spans, [{ concept: 1, start: 1, end: 3 }, { concept: 4, start: 3, end: 4 }]);
});

// Real spans: the shipped Wikipedia sample packed into sequences of 112 (over 10,000 of them),
// matched against CN-100K.
const wiki: Int32Array[] = [];
{
  const packer = new SequencePacker({ seqLen: 112, special: { cls, sep, pad } }, (s) => wiki.push(s));
  for (const k of [0, 1, 2, 3, 4]) {
    const path =
      new URL(`../data/corpus/enwiki-2015-wikiextractor/AA/wiki_0${k}.gz`, import.meta.url).pathname;
    for await (const p of readParagraphs(path)) packer.add(p.doc, tok.encodeIds(p.text));
  }
  packer.flush();
}
const { graph } = await loadConceptNet(
  new URL("../data/conceptnet/cn100k/train100k.txt.gz", import.meta.url).pathname,
);
const matcher = ConceptMatcher.fromGraph(graph);
const wikiMatches = wiki.map((s) => matcher.matchTokens(s, vocab));

Deno.test("concept masks whole spans only, within the budget, and far more inside concepts than bert", () => {
  assert.ok(wiki.length >= 10_000, `${wiki.length} sequences`);
  const concept = maskAll(conceptMasker({ vocab }), wiki, 0, wikiMatches);
  const bert = maskAll(bertMasker({ vocab }), wiki, 0, wikiMatches);
  checkInvariants(wiki.map((s) => padTo(s)), concept.map(padResult), 20);
  wiki.forEach((s, i) => {
    const e = eligibleTokens(s, vocab);
    let n = 0;
    for (const x of e) n += x;
    assert.ok(concept[i]!.positions.length <= predictionBudget(n, 20), `sequence ${i} over budget`);
    const chosen = new Set(concept[i]!.positions);
    for (const sp of conceptSpans(wikiMatches[i]!, e)) {
      let hit = 0;
      for (let t = sp.start; t < sp.end; t++) hit += chosen.has(t) ? 1 : 0;
      assert.ok(hit === 0 || hit === sp.end - sp.start, `sequence ${i}: span [${sp.start}, ${sp.end}) cut`);
    }
  });
  const c = tally(wiki, concept, wikiMatches);
  const b = tally(wiki, bert, wikiMatches);
  assert.equal(c.spanWholeness, 1);
  assert.ok(b.spanWholeness < 0.98, `bert wholeness ${b.spanWholeness}`);
  assert.ok(Math.abs(c.predictedShare - b.predictedShare) < 0.002, "same budget as bert");
  // bert is blind to spans: its share inside them is the share of span tokens.
  assert.ok(Math.abs(b.inSpanShare - b.spanTokenShare) < 0.01);
  assert.ok(c.inSpanShare > b.inSpanShare + 0.3, `concept ${c.inSpanShare} vs bert ${b.inSpanShare}`);
  assert.ok(Math.abs(c.maskShare - 0.8) < 0.01 && Math.abs(c.randomShare - 0.1) < 0.01);
});

/** The invariants helper checks T = 128 sequences; pad the 112-token ones to that. */
function padTo(s: Int32Array): Int32Array {
  const a = new Int32Array(T).fill(pad);
  a.set(s);
  return a;
}
function padResult(m: MaskedSequence): MaskedSequence {
  return { ...m, ids: padTo(m.ids) };
}

Deno.test("curriculumStages() on a hand-made graph: basic concepts by degree and frequency, then 1-hop growth", () => {
  // hub -- a, b, c ; a -- d ; d -- e ; x -- y (x, y never seen in the corpus), z unconnected.
  const g = new ConceptGraphBuilder();
  const r = g.relation("RelatedTo");
  const id = (t: string) => g.concept(t);
  for (
    const [h, t] of [["hub", "a"], ["hub", "b"], ["hub", "c"], ["a", "d"], ["d", "e"], ["x", "y"], [
      "x",
      "z2",
    ]]
  ) {
    g.add(id(h!), r, id(t!), 1);
  }
  id("z");
  const graph = g.finish();
  const c = (t: string) => graph.ids.get(t)!;
  const frequency = new Uint32Array(graph.conceptCount);
  for (const t of ["hub", "a", "d", "e", "b", "z"]) frequency[c(t)] = 5;
  // x has degree 2 like a, but never occurs: not basic. Top 2 by degree among the frequent: hub (3), a (2).
  const stages = curriculumStages(graph, frequency, { basicConcepts: 2, stages: 4 });
  const names = (ids: Uint32Array) => [...ids].map((i) => graph.terms[i]).sort();
  assert.deepEqual(stages.map((s) => names(s.added)), [
    ["a", "hub"],
    ["b", "c", "d"],
    ["e"],
    ["x", "y", "z", "z2"],
  ]);
  assert.deepEqual(stages.map((s) => s.size), [2, 5, 6, 10]);
  assert.deepEqual(stages.map((s) => s.all), [false, false, false, true]);
  assert.throws(() => curriculumStages(graph, new Uint32Array(3)), RangeError);
});

Deno.test("curriculum stage sets on CN-100K grow monotonically, each a superset of the one before", () => {
  const frequency = new Uint32Array(graph.conceptCount);
  for (const list of wikiMatches) for (const m of list) frequency[m.concept]!++;
  const stages = curriculumStages(graph, frequency, { basicConcepts: 3000, stages: 4 });
  assert.equal(stages.length, 4);
  assert.equal(stages[0]!.size, 3000);
  for (const c of stages[0]!.added) assert.ok(frequency[c]! >= 1);
  for (let k = 1; k < stages.length; k++) {
    const prev = stages[k - 1]!, cur = stages[k]!;
    assert.ok(cur.size > prev.size, `stage ${k + 1} does not grow`);
    for (let id = 0; id < graph.conceptCount; id++) {
      if (prev.concepts[id]) assert.equal(cur.concepts[id], 1, `stage ${k + 1} lost concept ${id}`);
    }
  }
  assert.equal(stages[3]!.size, graph.conceptCount);
  // Stage 2 adds exactly the neighbours of the basic concepts.
  const want = new Set<number>();
  for (const b of stages[0]!.added) {
    for (const n of graph.neighbours(b)) if (!stages[0]!.concepts[n]) want.add(n);
  }
  assert.deepEqual([...stages[1]!.added], [...want].sort((a, b) => a - b));
});

Deno.test("stageAt() and evenBoundaries() place steps in stages", () => {
  assert.deepEqual(evenBoundaries(1000, 5000, 4), [1000, 2000, 3000, 4000]);
  assert.deepEqual(evenBoundaries(0, 10, 3), [0, 3, 6]);
  const b = [1000, 2000, 3000, 4000];
  assert.deepEqual([0, 999, 1000, 2999, 3000, 4000, 10 ** 9].map((s) => stageAt(s, b)), [
    0,
    0,
    1,
    2,
    3,
    4,
    4,
  ]);
  assert.throws(() => stageAt(5, [3, 1]), RangeError);
  assert.throws(() => evenBoundaries(10, 12, 4), RangeError);
});

Deno.test("the curriculum masks like bert in the warm-up, only stage concepts in between, like concept at the end", () => {
  const frequency = new Uint32Array(graph.conceptCount);
  for (const list of wikiMatches) for (const m of list) frequency[m.concept]!++;
  const stages = curriculumStages(graph, frequency, { basicConcepts: 3000, stages: 4 });
  const boundaries = [100, 200, 300, 400];
  const masker = curriculumMasker({ vocab, stages, boundaries });
  const some = wiki.slice(0, 2000);
  const matches = wikiMatches.slice(0, 2000);
  assert.deepEqual(maskAll(masker, some, 50, matches), maskAll(bertMasker({ vocab }), some, 50));
  assert.deepEqual(
    maskAll(masker, some, 450, matches),
    maskAll(conceptMasker({ vocab }), some, 450, matches),
  );
  for (const [step, stage] of [[150, 0], [250, 1]] as const) {
    const set = stages[stage]!.concepts;
    const results = maskAll(masker, some, step, matches);
    let predicted = 0;
    results.forEach((m, i) => {
      predicted += m.positions.length;
      const covered = new Uint8Array(112);
      for (const sp of matches[i]!) if (set[sp.concept]) covered.fill(1, sp.start, sp.end);
      for (const t of m.positions) {
        assert.ok(covered[t], `step ${step}, sequence ${i}: ${t} outside stage concepts`);
      }
    });
    assert.ok(predicted > 0);
  }
});

Deno.test("maskBatch() output is what BertMlm.setBatch takes: a CPU forward gives a finite loss", async () => {
  const tokens = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"];
  for (let k = 0; k < 30; k++) tokens.push(k % 5 === 4 ? `##p${k}` : `w${k}`);
  const tiny = new Vocab(tokens, "tiny");
  const shape: BertShape = {
    vocab: tiny.size,
    hidden: 16,
    layers: 1,
    heads: 2,
    intermediate: 24,
    maxPositions: 16,
    typeVocab: 2,
    layerNormEps: 1e-12,
    hiddenDropout: 0.1,
    attentionDropout: 0.1,
  };
  const r = lcg(3);
  const seqs = [14, 9, 4].map((len) => {
    const a = new Int32Array(16);
    a[0] = 2;
    for (let t = 1; t < len - 1; t++) a[t] = 5 + Math.floor(r() * 30);
    a[len - 1] = 3;
    return a;
  });
  const masker = bertMasker({ vocab: tiny, maxPredictions: 4, wholeWord: true });
  const batch = maskBatch(masker, seqs, { seed: 1, step: 0 });
  const ops = cpuOps();
  const model = new BertMlm(ops, shape, { batch: 3, seq: 16, predictions: 3 * 4 });
  ops.write(model.params, initialParameters(model.layout, 0.2, 5));
  model.setBatch(batch);
  const { loss } = model.forward(0, false);
  const value = (await ops.read(loss))[0]!;
  // Budgets: 12 eligible -> 2, 7 -> 1, 2 -> 1 (round(0.3) = 0, at least 1).
  assert.equal(batch.predicted, 4);
  assert.ok(Number.isFinite(value) && value > 0, `loss ${value}`);
});
