import assert from "node:assert/strict";
import { type ConceptGraph, ConceptGraphBuilder, loadConceptNet } from "../data/conceptnet.ts";
import { ConceptMatcher } from "../data/concept_matcher.ts";
import { ConceptScorer } from "../data/concept_score.ts";
import { readParagraphs } from "../data/corpus.ts";
import { seededRandom } from "./_helpers.ts";

const CN100K = "data/conceptnet/cn100k/train100k.txt.gz";
const WIKI = "data/corpus/enwiki-2015-wikiextractor/AA/wiki_00.gz";

/** A graph from "head|Relation|tail" lines. */
function graphOf(edges: string[], extraTerms: string[] = []): ConceptGraph {
  const b = new ConceptGraphBuilder();
  for (const e of edges) {
    const [h, r, t] = e.split("|") as [string, string, string];
    b.add(b.concept(h), b.relation(r), b.concept(t), 1);
  }
  for (const t of extraTerms) b.concept(t);
  return b.finish();
}

/** Edges as "head|Relation|tail", sorted. */
function edgeNames(g: ConceptGraph, edges: Iterable<number>): string[] {
  return [...edges].map((e) => `${g.terms[g.heads[e]!]}|${g.relations[g.rels[e]!]}|${g.terms[g.tails[e]!]}`)
    .sort();
}

/** The slow obvious f(t): every edge of the graph checked against the unit's concept set. */
function referenceEdges(g: ConceptGraph, concepts: Uint32Array): number[] {
  const set = new Set(concepts);
  const out: number[] = [];
  for (let e = 0; e < g.edgeCount; e++) if (set.has(g.heads[e]!) && set.has(g.tails[e]!)) out.push(e);
  return out;
}

const cn = await loadConceptNet(CN100K);
const cnMatcher = ConceptMatcher.fromGraph(cn.graph);
const cnScorer = new ConceptScorer(cn.graph, cnMatcher);

Deno.test("ConceptScorer counts distinct edges with both ends in the text", () => {
  const g = graphOf([
    "cat|IsA|animal",
    "cat|AtLocation|house", // "house" is absent below
    "animal|CapableOf|eat", // "eat" is absent
    "cat|Desires|animal", // a second relation between the same pair counts again
    "animal|RelatedTo|cat", // and so does the reverse direction
    "cat|RelatedTo|cat", // a self-loop counts when its concept occurs
    "dog|IsA|animal",
    "ice cream|IsA|food",
  ]);
  const scorer = new ConceptScorer(g, ConceptMatcher.fromGraph(g));
  const d = scorer.scoreWithDetails("The cat, an animal.");
  assert.equal(d.score, 4);
  assert.deepEqual(edgeNames(g, d.edges), [
    "animal|RelatedTo|cat",
    "cat|Desires|animal",
    "cat|IsA|animal",
    "cat|RelatedTo|cat",
  ]);
  assert.deepEqual([...d.concepts].map((c) => g.terms[c]).sort(), ["animal", "cat"]);
  assert.equal(scorer.score("The cat, an animal."), 4);
  assert.equal(scorer.score("A dog is not a cat"), 1); // the self-loop; dog|IsA|animal needs "animal"
  assert.equal(scorer.score("Ice cream is food, says the dog"), 1);
  assert.equal(scorer.score(""), 0);
  assert.equal(scorer.score("nothing here"), 0);
});

Deno.test("ConceptScorer counts mentions with overlaps, and divides by words on request", () => {
  const g = graphOf(["hot dog|IsA|food", "hot|IsA|temperature", "dog|IsA|animal"]);
  const m = ConceptMatcher.fromGraph(g);
  const mentions = new ConceptScorer(g, m, { kind: "mentions" });
  // hot dog, hot, dog; then dog again: 4 mentions of 3 distinct concepts.
  const text = "A hot dog, or a dog?";
  assert.equal(mentions.score(text), 4);
  const d = mentions.scoreWithDetails(text);
  assert.equal(d.mentions, 4);
  assert.equal(d.concepts.length, 3);
  // Words: a hot dog , or a dog ? = 8.
  assert.equal(d.words, 8);
  assert.equal(new ConceptScorer(g, m, { kind: "mentions", perToken: true }).score(text), 4 / 8);
  assert.equal(new ConceptScorer(g, m, { perToken: true }).score("hot dog food"), 1 / 3);
  assert.equal(new ConceptScorer(g, m, { perToken: true }).score(" "), 0);
});

Deno.test("ConceptScorer probes hub concepts and still counts every edge", () => {
  // "hub" has 200 out-edges, far more than 8x the concepts of the unit: the binary-search path.
  const edges = Array.from({ length: 200 }, (_, k) => `hub|IsA|t${k}`);
  edges.push("hub|AtLocation|t7", "t7|IsA|hub", "t3|IsA|t7", "hub|IsA|hub");
  const g = graphOf(edges);
  const scorer = new ConceptScorer(g, ConceptMatcher.fromGraph(g));
  const d = scorer.scoreWithDetails("hub t3 t7 t250");
  assert.deepEqual(edgeNames(g, d.edges), [
    "hub|AtLocation|t7",
    "hub|IsA|hub",
    "hub|IsA|t3",
    "hub|IsA|t7",
    "t3|IsA|t7",
    "t7|IsA|hub",
  ]);
  assert.equal(d.score, 6);
  // Random units over the same graph against the slow reference.
  const rand = seededRandom(11);
  for (let round = 0; round < 200; round++) {
    const words = Array.from({ length: Math.floor(rand() * 40) }, () => `t${Math.floor(rand() * 220)}`);
    if (rand() < 0.5) words.push("hub");
    const text = words.join(" ");
    const details = scorer.scoreWithDetails(text);
    assert.deepEqual([...details.edges], referenceEdges(g, details.concepts), text);
    assert.equal(scorer.score(text), details.edges.length);
  }
});

Deno.test("ConceptScorer scores hand-checked Wikipedia sentences with CN-100K", () => {
  const terms = (d: { concepts: Uint32Array }) => [...d.concepts].map((c) => cn.graph.terms[c]).sort();
  // wiki_00 line 422. Each edge is a line of train100k.txt.gz (e.g. "MadeOf\ttire\trubber\t3.0").
  const goodyear = cnScorer.scoreWithDetails(
    "The Goodyear Tire and Rubber Company operates a large plant in Gadsden that employs about 1,400 " +
      "people. It has been in operation since 1929.",
  );
  assert.deepEqual(terms(goodyear), [
    "1",
    "a",
    "about",
    "company",
    "in",
    "it",
    "large",
    "operation",
    "people",
    "plant",
    "rubber",
    "that",
    "the",
    "tire",
  ]);
  assert.deepEqual(edgeNames(cn.graph, goodyear.edges), [
    "it|HasProperty|large",
    "rubber|AtLocation|tire",
    "tire|MadeOf|rubber",
  ]);
  assert.equal(goodyear.score, 3);
  // wiki_00 line 1090: "picture book" is a 2-gram concept; "book" has two self-loops.
  const animalia = cnScorer.scoreWithDetails(
    'Kid\'s Own Australian Literature Awards named "Animalia" the 1988 Picture Book Winner.',
  );
  assert.deepEqual(terms(animalia), [
    "1988",
    "book",
    "kid",
    "literature",
    "own",
    "picture",
    "picture book",
    "s",
    "the",
    "winner",
  ]);
  assert.deepEqual(edgeNames(cn.graph, animalia.edges), [
    "book|AtLocation|book",
    "book|HasA|picture",
    "book|IsA|book",
    "picture|AtLocation|book",
    "picture|PartOf|book",
  ]);
  // wiki_00 line 2803.
  const alaska = 'Many reality television shows are filmed in Alaska. In 2011 the "Anchorage Daily News" ' +
    "found ten set in the state.";
  assert.deepEqual(edgeNames(cn.graph, cnScorer.scoreWithDetails(alaska).edges), [
    "alaska|IsA|state",
    "news|AtLocation|television",
  ]);
  assert.equal(cnScorer.score(alaska), 2);
  // Mentions: the 12 distinct concepts, plus "in" twice more and "the" once more.
  assert.equal(new ConceptScorer(cn.graph, cnMatcher, { kind: "mentions" }).score(alaska), 15);
});

Deno.test("ConceptScorer agrees with the slow reference on Wikipedia paragraphs", async () => {
  let units = 0, total = 0;
  for await (const p of readParagraphs(WIKI)) {
    const d = cnScorer.scoreWithDetails(p.text);
    const expected = referenceEdges(cn.graph, cnMatcher.conceptsIn(p.text));
    assert.deepEqual([...d.edges], expected, p.text);
    assert.equal(cnScorer.score(p.text), expected.length);
    total += expected.length;
    if (++units === 300) break;
  }
  assert.ok(total > 100, `only ${total} edges in ${units} paragraphs`);
  // A document scored from its paragraphs equals the score of its joined text.
  const paragraphs: string[] = [];
  for await (const p of readParagraphs(WIKI)) {
    paragraphs.push(p.text);
    if (paragraphs.length === 40) break;
  }
  const joined = cnScorer.score(paragraphs.join("\n"));
  assert.ok(joined > 40);
  assert.equal(cnScorer.scoreTexts(paragraphs), joined);
  const perWord = new ConceptScorer(cn.graph, cnMatcher, { kind: "mentions", perToken: true });
  assert.equal(perWord.scoreTexts(paragraphs), perWord.score(paragraphs.join("\n")));
});

Deno.test("ConceptScorer rejects a matcher of another graph and an unknown kind", () => {
  const g = graphOf(["cat|IsA|animal"]);
  const other = graphOf(["cat|IsA|animal"], ["dog"]);
  assert.throws(() => new ConceptScorer(g, ConceptMatcher.fromGraph(other)), RangeError);
  assert.throws(
    () => new ConceptScorer(g, ConceptMatcher.fromGraph(g), { kind: "words" as "edges" }),
    RangeError,
  );
});
