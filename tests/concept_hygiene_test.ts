import assert from "node:assert/strict";
import { type ConceptGraph, ConceptGraphBuilder, loadConceptNet } from "../data/conceptnet.ts";
import { isStopTerm, isStopWord, lemmasOf, stopConceptMask } from "../data/concept_hygiene.ts";
import { ConceptMatcher } from "../data/concept_matcher.ts";
import { ConceptScorer } from "../data/concept_score.ts";
import { BertTokenizer } from "../data/tokenizer.ts";
import { MaskingTally, stopTokenMask } from "../masking/stats.ts";

/** A graph from "head|Relation|tail" lines. */
function graphOf(edges: string[]): ConceptGraph {
  const b = new ConceptGraphBuilder();
  for (const e of edges) {
    const [h, r, t] = e.split("|") as [string, string, string];
    b.add(b.concept(h), b.relation(r), b.concept(t), 1);
  }
  return b.finish();
}

const termsOf = (g: ConceptGraph, m: { concept: number }[]) => m.map((x) => g.terms[x.concept]!);
const HYGIENE = { keepStopConcepts: false, keepSelfLoops: false, lemmatize: true };
const NONE = { keepStopConcepts: true, keepSelfLoops: true, lemmatize: false };

Deno.test("stop terms: stop words, number words, single characters and punctuation; phrases stay", () => {
  for (const t of ["the", "a", "this", "there", "not", "when", "two", "s", "-", "1990", "'"]) {
    assert.equal(isStopTerm(t), true, t);
  }
  for (const t of ["dog", "ice cream", "piece of cake", "state", "in love"]) {
    assert.equal(isStopTerm(t), false, t);
  }
  assert.equal(isStopWord("the"), true);
  assert.deepEqual([...stopConceptMask(["The", "dog", "-", "New York"])], [1, 0, 1, 0]);
});

Deno.test("lemmas come from the lemmatiser: plurals, verb forms, irregular forms", () => {
  assert.deepEqual(lemmasOf("dogs"), ["dog"]);
  assert.deepEqual(lemmasOf("used"), ["use"]);
  assert.deepEqual(lemmasOf("mice"), ["mouse"]);
  assert.ok(lemmasOf("went").includes("go"));
  assert.ok(lemmasOf("lives").includes("live") && lemmasOf("lives").includes("life"));
  assert.deepEqual(lemmasOf("dog"), []);
});

Deno.test("lemmatised matching finds inflected words and phrases; off, exact lookup misses them", () => {
  const g = graphOf(["dog|CapableOf|chase cat", "cat|IsA|pet", "dog|IsA|pet", "ice cream|IsA|food"]);
  const on = ConceptMatcher.fromGraph(g, { hygiene: HYGIENE });
  const off = ConceptMatcher.fromGraph(g, { hygiene: NONE });
  assert.deepEqual(termsOf(g, on.matchText("Dogs chase cats.")), ["dog", "chase cat", "cat"]);
  assert.deepEqual(termsOf(g, off.matchText("Dogs chase cats.")), []);
  assert.deepEqual(termsOf(g, on.matchText("Two ice creams")), ["ice cream"]);
  // Spans are those of the text's words.
  const m = on.matchText("The dogs.")[0]!;
  assert.deepEqual([m.charStart, m.charEnd], [4, 8]);
  // Scoring sees the same: both ends of dog CapableOf chase cat, cat IsA pet... only the first here.
  const scorer = new ConceptScorer(g, on, { keepSelfLoops: false });
  assert.equal(scorer.score("Dogs chase cats."), 1);
  assert.equal(new ConceptScorer(g, off).score("Dogs chase cats."), 0);
});

Deno.test("a word that is a concept itself keeps one reading, so it makes no edge with its lemma", () => {
  const g = graphOf(["see|UsedFor|saw", "saw|UsedFor|cut"]);
  const m = ConceptMatcher.fromGraph(g, { hygiene: HYGIENE });
  assert.deepEqual(termsOf(g, m.matchText("a saw")), ["saw"]);
  assert.equal(new ConceptScorer(g, m).score("a saw"), 0);
  assert.deepEqual(termsOf(g, m.matchText("I see")), ["see"]);
});

Deno.test("token matching lemmatises whole words rebuilt from WordPiece pieces", async () => {
  const tok = await BertTokenizer.load();
  const g = graphOf(["puppy|IsA|dog", "dog|IsA|animal"]);
  const m = ConceptMatcher.fromGraph(g, { hygiene: HYGIENE });
  const ids = tok.encode("Puppies are dogs").ids;
  const spans = m.matchTokens(ids, tok.vocab);
  assert.deepEqual(termsOf(g, spans).sort(), ["dog", "puppy"]);
  const off = ConceptMatcher.fromGraph(g, { hygiene: NONE });
  assert.deepEqual(off.matchTokens(ids, tok.vocab), []);
});

Deno.test("stop concepts never match and their edges and self-loops are not counted, unless kept", () => {
  const g = graphOf(["this|HasProperty|a", "book|IsA|book", "book|UsedFor|read", "the|RelatedTo|book"]);
  const text = "This is a book to read; the book.";
  const clean = ConceptMatcher.fromGraph(g, { hygiene: HYGIENE });
  assert.deepEqual(termsOf(g, clean.matchText(text)).sort(), ["book", "book", "read"]);
  assert.equal(new ConceptScorer(g, clean, { keepSelfLoops: false }).score(text), 1);
  const details = new ConceptScorer(g, clean, { keepSelfLoops: false }).scoreWithDetails(text);
  assert.equal(details.edges.length, 4, "details list every edge found, for the report's shares");
  const raw = ConceptMatcher.fromGraph(g, { hygiene: NONE });
  assert.equal(new ConceptScorer(g, raw, { keepSelfLoops: true }).score(text), 4);
  assert.equal(new ConceptScorer(g, clean, { keepSelfLoops: true }).score(text), 2);
  // Mentions leave stop concepts out too.
  assert.equal(new ConceptScorer(g, clean, { kind: "mentions" }).score(text), 3);
  assert.equal(new ConceptScorer(g, raw, { kind: "mentions" }).score(text), 6);
});

Deno.test("on CN-100K, hygiene drops the function-word concepts and self-loops the issue measured", async () => {
  const { graph } = await loadConceptNet("data/conceptnet/cn100k/train100k.txt.gz");
  const mask = stopConceptMask(graph.terms);
  for (const t of ["the", "a", "in", "to", "that", "this", "there"]) {
    const id = graph.terms.indexOf(t);
    if (id >= 0) assert.equal(mask[id], 1, t);
  }
  const clean = new ConceptScorer(graph, ConceptMatcher.fromGraph(graph, { hygiene: HYGIENE }), {
    keepSelfLoops: false,
  });
  const raw = new ConceptScorer(graph, ConceptMatcher.fromGraph(graph, { hygiene: NONE }));
  const text = "This is a book. There is a part of the part.";
  assert.ok(raw.score(text) >= 2, "this HasProperty a, part IsA part");
  assert.equal(clean.score(text), 0);
});

Deno.test("the masking tally counts stop-word predictions against stop-word tokens", async () => {
  const tok = await BertTokenizer.load();
  const stop = stopTokenMask(tok.vocab.tokens);
  const id = (t: string) => tok.vocab.tokens.indexOf(t);
  assert.equal(stop[id("the")], 1);
  assert.equal(stop[id(",")], 1);
  assert.equal(stop[id("dog")], 0);
  assert.equal(stop[id("##s")], 0);
  assert.equal(stop[id("[CLS]")], 0);
  const ids = Int32Array.from(tok.encode("the dog and the cat").ids); // [CLS] the dog and the cat [SEP]
  const masked = Int32Array.from(ids);
  masked[1] = tok.vocab.special.mask;
  masked[2] = tok.vocab.special.mask;
  const tally = new MaskingTally(tok.vocab, stop);
  tally.add(ids, {
    ids: masked,
    positions: Int32Array.from([1, 2]),
    labels: Int32Array.from([ids[1]!, ids[2]!]),
  });
  const s = tally.stats();
  assert.equal(s.predictedStop, 1);
  assert.equal(s.stopwordShare, 0.5);
  assert.equal(s.stopTokens, 3);
  assert.equal(s.stopTokenShare, 3 / 5);
});
