import assert from "node:assert/strict";
import { ConceptGraphBuilder, loadConceptNet } from "../data/conceptnet.ts";
import { type ConceptMatch, ConceptMatcher, longestSpans } from "../data/concept_matcher.ts";
import { normalizeWords, splitWords, WordTable } from "../data/concept_words.ts";
import { readParagraphs } from "../data/corpus.ts";
import { BertTokenizer } from "../data/tokenizer.ts";
import { seededRandom } from "./_helpers.ts";

const CN100K = "data/conceptnet/cn100k/train100k.txt.gz";
const WIKI = "data/corpus/enwiki-2015-wikiextractor/AA/wiki_00.gz";

/** A graph whose lexicon is exactly `terms` (concept id = index), linked in a chain. */
function graphOf(terms: string[]) {
  const b = new ConceptGraphBuilder();
  const rel = b.relation("RelatedTo");
  const ids = terms.map((t) => b.concept(t));
  for (let i = 1; i < ids.length; i++) b.add(ids[i - 1]!, rel, ids[i]!, 1);
  return b.finish();
}

/** Matches as "term@start-end", in the matcher's order. */
function named(terms: readonly string[], matches: readonly ConceptMatch[]): string[] {
  return matches.map((m) => `${terms[m.concept]}@${m.start}-${m.end}`);
}

/**
 * The slow obvious matcher: every n-gram of the words joined with spaces and looked up in a map of
 * normalised terms, longest first at each start.
 */
function referenceMatcher(
  terms: readonly string[],
  maxN = 4,
  stops = ["a", "an", "the", "to"],
): (words: readonly string[]) => ConceptMatch[] {
  const lexicon = new Map<string, number[]>();
  terms.forEach((t, c) => {
    const w = splitWords(t).words;
    if (w.length === 0 || w.length > maxN || (w.length > 1 && stops.includes(w[0]!))) return;
    const key = w.join(" ");
    lexicon.set(key, [...(lexicon.get(key) ?? []), c]);
  });
  return (words) => {
    const out: ConceptMatch[] = [];
    for (let i = 0; i < words.length; i++) {
      for (let n = Math.min(maxN, words.length - i); n >= 1; n--) {
        for (const c of lexicon.get(words.slice(i, i + n).join(" ")) ?? []) {
          out.push({ concept: c, start: i, end: i + n });
        }
      }
    }
    return out;
  };
}

const cn = await loadConceptNet(CN100K);
const cnMatcher = ConceptMatcher.fromGraph(cn.graph);
const tokenizer = await BertTokenizer.load();
const wikiParagraphs: string[] = [];
for await (const p of readParagraphs(WIKI)) {
  wikiParagraphs.push(p.text);
  if (wikiParagraphs.length === 400) break;
}

Deno.test("splitWords lowercases, strips accents and splits punctuation off with UTF-16 spans", () => {
  const text = "Café's, New-York";
  const w = splitWords(text);
  assert.deepEqual(w.words, ["cafe", "'", "s", ",", "new", "-", "york"]);
  assert.deepEqual(w.starts, [0, 4, 5, 6, 8, 11, 12]);
  assert.deepEqual(w.ends, [4, 5, 6, 7, 11, 12, 16]);
  // A combining accent stays inside its word; a dropped soft hyphen joins; CJK ideographs stand alone.
  const t2 = "Ne\u0301e ICE\u00adCREAM 北京 x\u{1F600}y";
  const w2 = splitWords(t2);
  assert.deepEqual(w2.words, ["nee", "icecream", "北", "京", "x\u{1F600}y"]);
  assert.deepEqual(w2.words.map((_, k) => t2.slice(w2.starts[k], w2.ends[k])), [
    "Ne\u0301e",
    "ICE\u00adCREAM",
    "北",
    "京",
    "x\u{1F600}y",
  ]);
  // A trailing combining accent belongs to the word it modifies.
  assert.deepEqual(splitWords("Cafe\u0301!"), { words: ["cafe", "!"], starts: [0, 5], ends: [5, 6] });
  assert.equal(normalizeWords("  Ice   CREAM "), "ice cream");
  // ASCII control characters are dropped inside a word, not split on.
  assert.deepEqual(splitWords("ice\u0001cream").words, ["icecream"]);
});

Deno.test("splitWords cuts text into the same words as BERT's tokenizer before WordPiece", () => {
  let checked = 0;
  for (const text of wikiParagraphs.slice(0, 200)) {
    const pieces = tokenizer.tokenize(text);
    if (pieces.includes("[UNK]")) continue;
    const joined: string[] = [];
    for (const p of pieces) {
      if (p.startsWith("##")) joined[joined.length - 1] += p.slice(2);
      else joined.push(p);
    }
    assert.deepEqual(splitWords(text).words, joined, text);
    checked++;
  }
  assert.ok(checked > 150, `only ${checked} paragraphs without [UNK]`);
});

Deno.test("WordTable finds words from strings and from text ranges, lowercasing ASCII", () => {
  const table = new WordTable(["ice", "cream", "café", "a"]);
  assert.equal(table.size, 4);
  assert.equal(table.id("cream"), 1);
  assert.equal(table.id("café"), 2);
  assert.equal(table.id("crea"), -1);
  assert.equal(table.id("creams"), -1);
  assert.equal(table.idOfRun("I like ICE cream", 7, 10), 0);
  assert.equal(table.idOfRun("I like ICE cream", 0, 1), -1);
  assert.equal(table.idOfRun("A", 0, 1), 3);
  assert.throws(() => new WordTable(["x", "x"]), RangeError);
});

Deno.test("WordTable.scan cuts words exactly as splitWords and looks each one up", () => {
  const texts = [
    ...wikiParagraphs.slice(0, 100),
    "Café's, NEW-York; naïve ICE\u00adCREAM 北京 e\u0301 x\u{1F600}y [MASK] a\tb\r\nC",
    "ice\u0001cream DEL\u007fETE \u0000",
  ];
  // A table of every other distinct word, so both hits and misses occur.
  const all = [...new Set(texts.flatMap((t) => splitWords(t).words))];
  const table = new WordTable(all.filter((_, k) => k % 2 === 0));
  for (const text of texts) {
    const w = splitWords(text);
    const got: string[] = [];
    table.scan(text, { id: (id, start, end) => got.push(`${id}@${start}-${end}`) });
    assert.deepEqual(got, w.words.map((word, k) => `${table.id(word)}@${w.starts[k]}-${w.ends[k]}`), text);
  }
  assert.ok(table.id("the") >= 0 || table.id(",") >= 0);
});

Deno.test("ConceptMatcher finds multi-word concepts and their parts", () => {
  const terms = ["ice cream", "ice", "cream", "i", "like"];
  const m = ConceptMatcher.fromGraph(graphOf(terms));
  assert.deepEqual(named(terms, m.matchWords(splitWords("I like Ice Cream.").words)), [
    "i@0-1",
    "like@1-2",
    "ice cream@2-4",
    "ice@2-3",
    "cream@3-4",
  ]);
  // The words must be adjacent: a comma between them breaks the bigram.
  assert.deepEqual(named(terms, m.matchWords(splitWords("ice, cream").words)), ["ice@0-1", "cream@2-3"]);
});

Deno.test("ConceptMatcher drops leading articles and 'to' from multi-word n-grams", () => {
  const terms = ["mall", "the mall", "go", "to go", "go to the mall", "the", "bus to"];
  const m = ConceptMatcher.fromGraph(graphOf(terms));
  assert.equal(m.counts.stopWordStart, 2); // "the mall", "to go" can never match
  assert.deepEqual(named(terms, m.matchWords(["at", "the", "mall"])), ["the@1-2", "mall@2-3"]);
  assert.deepEqual(named(terms, m.matchWords(["to", "go"])), ["go@1-2"]);
  // Stop words inside or at the end of a term are kept: only the start is special.
  assert.deepEqual(named(terms, m.matchWords(splitWords("Go to the mall by bus to").words)), [
    "go to the mall@0-4",
    "go@0-1",
    "the@2-3",
    "mall@3-4",
    "bus to@5-7",
  ]);
  const custom = ConceptMatcher.fromGraph(graphOf(terms), { leadingStopWords: [] });
  assert.deepEqual(named(terms, custom.matchWords(["the", "mall"])), ["the mall@0-2", "the@0-1", "mall@1-2"]);
  assert.throws(() => ConceptMatcher.fromGraph(graphOf(terms), { leadingStopWords: ["of the"] }), RangeError);
});

Deno.test("ConceptMatcher matches terms with punctuation and keeps commas out of spans", () => {
  const terms = ["cat", "cat's", "new york", "york", "s"];
  const m = ConceptMatcher.fromGraph(graphOf(terms));
  const text = "The cat's toy went to New York, then home.";
  const found = m.matchText(text);
  assert.deepEqual(named(terms, found), ["cat's@1-4", "cat@1-2", "s@3-4", "new york@7-9", "york@8-9"]);
  assert.deepEqual(
    found.map((x) => `${terms[x.concept]}=${text.slice(x.charStart, x.charEnd)}`),
    ["cat's=cat's", "cat=cat", "s=s", "new york=New York", "york=York"],
  );
});

Deno.test("ConceptMatcher ignores case and accents, and keeps every term a normalisation merges", () => {
  const terms = ["café", "cafe", "naive"];
  const m = ConceptMatcher.fromGraph(graphOf(terms));
  const text = "CAFÉ or Cafe, NAÏVE";
  assert.deepEqual(
    m.matchText(text).map((x) => `${terms[x.concept]}=${text.slice(x.charStart, x.charEnd)}`),
    ["café=CAFÉ", "cafe=CAFÉ", "café=Cafe", "cafe=Cafe", "naive=NAÏVE"],
  );
  assert.deepEqual([...m.conceptsIn(text)], [0, 1, 2]);
});

Deno.test("ConceptMatcher records overlapping matches sorted by start, longer first", () => {
  const terms = ["stand", "dog stand", "hot", "hot dog stand", "dog", "hot dog"];
  const m = ConceptMatcher.fromGraph(graphOf(terms));
  const found = m.matchWords(["hot", "dog", "stand"]);
  assert.deepEqual(named(terms, found), [
    "hot dog stand@0-3",
    "hot dog@0-2",
    "hot@0-1",
    "dog stand@1-3",
    "dog@1-2",
    "stand@2-3",
  ]);
  assert.deepEqual(named(terms, longestSpans(found)), ["hot dog stand@0-3"]);
});

Deno.test("ConceptMatcher's maxN leaves longer terms out", () => {
  const terms = ["a b c d e", "b c d", "b c", "c"];
  const words = ["a", "b", "c", "d", "e"];
  const all = ConceptMatcher.fromTerms(terms, { maxN: 5, leadingStopWords: [] });
  assert.deepEqual(named(terms, all.matchWords(words)), ["a b c d e@0-5", "b c d@1-4", "b c@1-3", "c@2-3"]);
  const four = ConceptMatcher.fromTerms(terms, { leadingStopWords: [] });
  assert.equal(four.maxN, 4);
  assert.equal(four.counts.tooLong, 1);
  assert.deepEqual(named(terms, four.matchWords(words)), ["b c d@1-4", "b c@1-3", "c@2-3"]);
  const two = ConceptMatcher.fromTerms(terms, { maxN: 2 });
  assert.deepEqual(named(terms, two.matchWords(words)), ["b c@1-3", "c@2-3"]);
  assert.throws(() => ConceptMatcher.fromTerms(terms, { maxN: 0 }), RangeError);
});

Deno.test("ConceptMatcher agrees with a slow n-gram reference on random word sequences", () => {
  const vocab = ["a", "the", "to", "x", "y", "z", "w", ",", "q"];
  const rand = seededRandom(7);
  const pick = () => vocab[Math.floor(rand() * vocab.length)]!;
  const terms = Array.from(
    { length: 120 },
    () => Array.from({ length: 1 + Math.floor(rand() * 6) }, pick).join(" "),
  );
  for (const maxN of [1, 2, 3, 4]) {
    const m = ConceptMatcher.fromTerms(terms, { maxN });
    const reference = referenceMatcher(terms, maxN);
    for (let s = 0; s < 50; s++) {
      const words = Array.from({ length: Math.floor(rand() * 30) }, pick);
      const expected = reference(words);
      const key = (x: ConceptMatch) => `${x.start}:${x.end}:${x.concept}`;
      // Same set, and the order rule: by start, then longer first.
      assert.deepEqual(m.matchWords(words).map(key).sort(), expected.map(key).sort());
      const got = m.matchWords(words);
      for (let k = 1; k < got.length; k++) {
        const a = got[k - 1]!, b = got[k]!;
        assert.ok(a.start < b.start || (a.start === b.start && a.end >= b.end));
      }
    }
  }
});

Deno.test("ConceptMatcher on Wikipedia with CN-100K matches the reference and offsets round-trip", () => {
  const terms = cn.graph.terms;
  const reference = referenceMatcher(terms);
  let matches = 0;
  for (const text of wikiParagraphs.slice(0, 120)) {
    const found = cnMatcher.matchText(text);
    const expected = reference(splitWords(text).words);
    assert.deepEqual(found.map(({ concept, start, end }) => ({ concept, start, end })), expected);
    for (const f of found) {
      assert.equal(normalizeWords(text.slice(f.charStart, f.charEnd)), normalizeWords(terms[f.concept]!));
    }
    assert.deepEqual(
      [...cnMatcher.conceptsIn(text)],
      [...new Set(found.map((f) => f.concept))].sort((a, b) => a - b),
    );
    matches += found.length;
  }
  assert.ok(matches > 1000, `only ${matches} matches`);
});

Deno.test("ConceptMatcher maps matches onto WordPiece token spans", () => {
  const text = "I like strawberries and ice cream.";
  const e = tokenizer.encode(text);
  const tokens = e.ids.map((id) => tokenizer.vocab.tokens[id]);
  assert.deepEqual(tokens, ["[CLS]", "i", "like", "straw", "##berries", "and", "ice", "cream", ".", "[SEP]"]);
  const terms = ["strawberries", "straw", "berries", "ice cream", "cream", "like strawberries"];
  const m = ConceptMatcher.fromGraph(graphOf(terms));
  // "straw" and "berries" are pieces of one word, never concepts of their own.
  assert.deepEqual(named(terms, m.matchTokens(e.ids, tokenizer.vocab)), [
    "like strawberries@2-5",
    "strawberries@3-5",
    "ice cream@6-8",
    "cream@7-8",
  ]);
  // Real CN-100K: "straw" is a concept, but not inside "strawberries".
  const real = cnMatcher.matchTokens(e.ids, tokenizer.vocab).map((s) => cn.graph.terms[s.concept]);
  assert.deepEqual(real, ["i", "like", "ice cream", "ice", "cream"]);
});

Deno.test("ConceptMatcher's token spans break at special tokens and orphan ## pieces", () => {
  const v = tokenizer.vocab;
  const id = (t: string) => v.id(t)!;
  const terms = ["ice cream", "ice", "cream", "berries", "hot dog"];
  const m = ConceptMatcher.fromGraph(graphOf(terms));
  // [CLS] ice [SEP] cream [SEP]: the pair's boundary breaks the bigram.
  const pair = [v.special.cls, id("ice"), v.special.sep, id("cream"), v.special.sep];
  assert.deepEqual(named(terms, m.matchTokens(pair, v)), ["ice@1-2", "cream@3-4"]);
  const masked = [id("ice"), v.special.mask, id("cream"), v.special.pad, v.special.unk, id("hot"), id("dog")];
  assert.deepEqual(named(terms, m.matchTokens(masked, v)), ["ice@0-1", "cream@2-3", "hot dog@5-7"]);
  // A packed sequence cut mid-word starts with "##berries": no concept "berries" there.
  const cut = [id("##berries"), id("ice"), id("cream"), v.special.sep, id("##berries")];
  assert.deepEqual(named(terms, m.matchTokens(cut, v)), ["ice cream@1-3", "ice@1-2", "cream@2-3"]);
  assert.throws(() => m.matchTokens([v.size], v), RangeError);
});

Deno.test("ConceptMatcher's token spans cover the same text as its char spans on Wikipedia", () => {
  let compared = 0;
  for (const text of wikiParagraphs.slice(0, 150)) {
    const e = tokenizer.encode(text);
    if (e.ids.includes(tokenizer.vocab.special.unk)) continue;
    const fromText = cnMatcher.matchText(text).map((x) => `${x.concept}@${x.charStart}-${x.charEnd}`);
    const fromTokens = cnMatcher.matchTokens(e.ids, tokenizer.vocab).map((s) =>
      `${s.concept}@${e.offsets[s.start]![0]}-${e.offsets[s.end - 1]![1]}`
    );
    assert.deepEqual(fromTokens, fromText, text);
    compared += fromText.length;
  }
  assert.ok(compared > 1000, `only ${compared} matches compared`);
});

Deno.test("longestSpans keeps the longest non-overlapping spans, leftmost first on ties", () => {
  const s = (start: number, end: number, concept = 0) => ({ concept, start, end });
  assert.deepEqual(longestSpans([s(0, 2), s(1, 3), s(3, 4)]), [s(0, 2), s(3, 4)]);
  // The longest wins even when it starts later; the result is sorted by start.
  assert.deepEqual(longestSpans([s(0, 1), s(1, 2), s(1, 4), s(4, 5), s(3, 5)]), [s(0, 1), s(1, 4), s(4, 5)]);
  // Equal spans: the first given is kept.
  assert.deepEqual(longestSpans([s(2, 4, 7), s(2, 4, 3)]), [s(2, 4, 7)]);
  assert.deepEqual(longestSpans([]), []);
  // Against brute force: no two kept spans overlap and every dropped span overlaps a longer-or-equal kept one.
  const rand = seededRandom(3);
  for (let round = 0; round < 100; round++) {
    const spans = Array.from({ length: Math.floor(rand() * 12) }, (_, k) => {
      const start = Math.floor(rand() * 20);
      return s(start, start + 1 + Math.floor(rand() * 4), k);
    });
    const kept = longestSpans(spans);
    for (let k = 1; k < kept.length; k++) assert.ok(kept[k - 1]!.end <= kept[k]!.start);
    for (const x of spans) {
      if (kept.includes(x)) continue;
      assert.ok(kept.some((y) => y.start < x.end && x.start < y.end && y.end - y.start >= x.end - x.start));
    }
  }
});
