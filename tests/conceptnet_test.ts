import assert from "node:assert/strict";
import {
  type ConceptGraph,
  ConceptGraphBuilder,
  formatConceptNetReport,
  loadConceptNet,
} from "../data/conceptnet.ts";
import { englishTerm, normalizePhrase, parseConceptUri, relationName } from "../data/conceptnet_uri.ts";
import {
  canonicalRelation,
  CONCEPTNET_57_RELATIONS,
  isExcludedByDefault,
  LEGACY_RELATIONS,
} from "../data/conceptnet_relations.ts";

const ASSERTIONS = "data/conceptnet/conceptnet5-testdata/assertions.csv";
const ASSERTIONS_EN = "data/conceptnet/conceptnet5-testdata/assertions_en.csv";
const CN100K = "data/conceptnet/cn100k/train100k.txt.gz";

async function withTempDir(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "conceptnet_test_" });
  try {
    await body(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function gzipBytes(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(
    new CompressionStream("gzip"),
  );
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

async function gunzipBytes(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(
    new DecompressionStream("gzip"),
  );
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** Edges as "head|relation|tail" -> weight, for comparisons independent of ids. */
function edgeMap(g: ConceptGraph): Map<string, number> {
  const m = new Map<string, number>();
  for (let e = 0; e < g.edgeCount; e++) {
    m.set(`${g.terms[g.heads[e]!]}|${g.relations[g.rels[e]!]}|${g.terms[g.tails[e]!]}`, g.weights[e]!);
  }
  return m;
}

function assertSameGraph(a: ConceptGraph, b: ConceptGraph): void {
  assert.deepEqual(a.terms, b.terms);
  assert.deepEqual(a.relations, b.relations);
  assert.deepEqual(a.heads, b.heads);
  assert.deepEqual(a.rels, b.rels);
  assert.deepEqual(a.tails, b.tails);
  assert.deepEqual(a.weights, b.weights);
  assert.deepEqual(a.offsets, b.offsets);
  assert.deepEqual(a.neighbourIds, b.neighbourIds);
}

/** Neighbour lists sorted, without self-loops, symmetric, and equal to a brute-force recount. */
function assertNeighbourLists(g: ConceptGraph): void {
  const expected = Array.from({ length: g.conceptCount }, () => new Set<number>());
  for (let e = 0; e < g.edgeCount; e++) {
    const h = g.heads[e]!, t = g.tails[e]!;
    if (h === t) continue;
    expected[h]!.add(t);
    expected[t]!.add(h);
  }
  assert.equal(g.offsets.length, g.conceptCount + 1);
  assert.equal(g.offsets[g.conceptCount], g.neighbourIds.length);
  for (let c = 0; c < g.conceptCount; c++) {
    const list = g.neighbours(c);
    assert.equal(g.degrees[c], list.length, `degree of "${g.terms[c]}"`);
    assert.equal(list.length, expected[c]!.size, `neighbour count of "${g.terms[c]}"`);
    for (let i = 0; i < list.length; i++) {
      const v = list[i]!;
      assert.ok(i === 0 || v > list[i - 1]!, `neighbours of "${g.terms[c]}" not strictly increasing`);
      assert.notEqual(v, c, `"${g.terms[c]}" lists itself`);
      assert.ok(expected[c]!.has(v));
      assert.ok(g.neighbours(v).includes(c), `"${g.terms[v]}" lacks "${g.terms[c]}": not symmetric`);
    }
  }
}

Deno.test("parseConceptUri() and englishTerm() take path segment 3 with _ as a space", () => {
  assert.equal(englishTerm("/c/en/ice_cream/n"), "ice cream");
  assert.equal(englishTerm("/c/en/ice_cream/n/wn/food"), "ice cream");
  assert.equal(englishTerm("/c/en/ice_cream"), "ice cream");
  assert.equal(englishTerm("/c/en/ice_cream/"), "ice cream");
  assert.equal(englishTerm("/c/en/a_b_c/v"), "a b c");
  assert.equal(englishTerm("/c/en/test/n/wp/assessment"), "test");
  assert.equal(englishTerm("/c/en/"), null);
  assert.equal(englishTerm("/c/en"), null);
  assert.equal(englishTerm("/c/en//n"), null);
  assert.equal(englishTerm("/c/fr/glace/n"), null);
  assert.equal(englishTerm("/c/eng/ice"), null);
  assert.equal(englishTerm("http://dbpedia.org/resource/Test"), null);
  assert.deepEqual(parseConceptUri("/c/fr/crème_glacée/n"), { lang: "fr", term: "crème glacée" });
  assert.deepEqual(parseConceptUri("/c/en/ice_cream/n/wn/food"), { lang: "en", term: "ice cream" });
  assert.equal(parseConceptUri("/c//x"), null);
  assert.equal(parseConceptUri("/c/ja/"), null);
  assert.equal(parseConceptUri("/r/IsA"), null);
});

Deno.test("relationName() strips /r/ and keeps dbpedia's sub-path", () => {
  assert.equal(relationName("/r/IsA"), "IsA");
  assert.equal(relationName("/r/IsA/"), "IsA");
  assert.equal(relationName("/r/dbpedia/genre"), "dbpedia/genre");
  assert.equal(relationName("/r/"), null);
  assert.equal(relationName("IsA"), null);
  assert.equal(normalizePhrase("  Go to\tthe_mall "), "go to the mall");
});

Deno.test("canonical relations match relations.tsv and cover CN-100K's rel.txt", async () => {
  const tsv = (await Deno.readTextFile("data/conceptnet/relations.tsv")).trim().split("\n").slice(1);
  assert.deepEqual(CONCEPTNET_57_RELATIONS, tsv.map((l) => l.split("\t")[0]!.slice(3)));
  const canonical = new Set([...CONCEPTNET_57_RELATIONS, ...LEGACY_RELATIONS]);
  const rel = (await Deno.readTextFile("data/conceptnet/cn100k/rel.txt")).trim().split("\n");
  assert.equal(rel.length, 34);
  for (const r of rel) assert.ok(canonical.has(canonicalRelation(r)), `rel.txt "${r}" has no canonical name`);
  assert.equal(canonicalRelation("atlocation"), "AtLocation");
  assert.equal(canonicalRelation("DBPEDIA/INFLUENCEDBY"), "dbpedia/influencedBy");
  assert.equal(canonicalRelation("SomethingNew"), "SomethingNew");
  for (
    const r of ["ExternalURL", "dbpedia/genre", "NotDesires", "NotUsedFor", "NotCapableOf", "NotHasProperty"]
  ) {
    assert.ok(isExcludedByDefault(r), r);
  }
  for (const r of ["IsA", "RelatedTo", "Antonym", "DistinctFrom", "Desires"]) {
    assert.ok(!isExcludedByDefault(r), r);
  }
});

Deno.test("loadConceptNet() reads the 5-column assertions sample: 96 English-English edges", async () => {
  const { graph, report } = await loadConceptNet(ASSERTIONS);
  assert.equal(report.format, "assertions");
  assert.equal(report.lines, 764);
  assert.equal(report.english, 96);
  assert.equal(report.notEnglish, 764 - 96);
  assert.equal(report.malformed, 0);
  assert.equal(report.excluded, 0);
  assert.equal(report.kept, 96);
  assert.equal(report.duplicates, 8);
  assert.equal(graph.edgeCount, 88);
  // Relation counts as given in data/SOURCES.md for assertions_en.csv.
  assert.deepEqual(
    Object.fromEntries(report.relationCounts),
    {
      RelatedTo: 49,
      Synonym: 12,
      HasContext: 10,
      IsA: 7,
      DerivedFrom: 6,
      FormOf: 5,
      UsedFor: 2,
      AtLocation: 2,
      Antonym: 2,
      HasProperty: 1,
    },
  );
  const edges = edgeMap(graph);
  assert.equal(edges.get("wheat|AtLocation|field"), 2);
  assert.equal(edges.get("assay|IsA|test"), 2);
  assert.equal(edges.get("education in united states|RelatedTo|test"), 0.5);
  assert.equal(edges.get("test|Antonym|breeze"), 1);
  assert.match(formatConceptNetReport(report, graph, 3), /top concepts by degree: test \(\d+\)/);
});

Deno.test("loadConceptNet() agrees with assertions_en.csv and an independent parse of it", async () => {
  const all = await loadConceptNet(ASSERTIONS);
  const en = await loadConceptNet(ASSERTIONS_EN);
  assert.equal(en.report.lines, 96);
  assert.equal(en.report.english, 96);
  assert.equal(en.report.notEnglish, 0);
  assertSameGraph(all.graph, en.graph);
  // Reference: split on tabs, term = segment 3, weight from JSON, max over duplicates.
  const expected = new Map<string, number>();
  for (const line of (await Deno.readTextFile(ASSERTIONS_EN)).split("\n").filter((l) => l)) {
    const [, rel, start, end, json] = line.split("\t");
    const key = `${start!.split("/")[3]!.replaceAll("_", " ")}|${rel!.slice(3)}|${
      end!.split("/")[3]!.replaceAll("_", " ")
    }`;
    expected.set(key, Math.max(expected.get(key) ?? -Infinity, Math.fround(JSON.parse(json!).weight)));
  }
  assert.deepEqual(edgeMap(en.graph), expected);
});

Deno.test("loadConceptNet() reads CN-100K (4 columns, gzip): canonical relations, weights", async () => {
  const { graph, report } = await loadConceptNet(CN100K);
  assert.equal(report.format, "extract");
  assert.ok(report.gzip);
  assert.equal(report.lines, 100_000);
  assert.equal(report.english, 100_000);
  assert.equal(report.malformed, 0);
  assert.equal(report.textBytes, 4_954_738);
  // NotDesires 1626 + NotCapableOf 1043 + NotHasProperty 339 + NotIsA 152 + NotHasA 120 + NotMadeOf 13.
  assert.equal(report.excluded, 3293);
  assert.equal(report.kept, 100_000 - 3293);
  assert.equal(report.relationCounts.get("IsA"), 14925);
  assert.equal(report.relationCounts.get("AtLocation"), 14380);
  assert.equal(report.relationCounts.get("HasPainCharacter"), 1);
  const canonical = new Set([...CONCEPTNET_57_RELATIONS, ...LEGACY_RELATIONS]);
  for (const r of graph.relations) assert.ok(canonical.has(r), `relation "${r}" is not canonical`);
  assert.equal(graph.relations.length, 34 - 6);
  const edges = edgeMap(graph);
  assert.equal(edges.get("hockey|ReceivesAction|play on ice"), Math.fround(3.4594316186372978));
  assert.equal(graph.topByDegree(1)[0]!.term, "person");

  const all = await loadConceptNet(CN100K, { keepExcludedRelations: true });
  assert.equal(all.report.excluded, 0);
  assert.equal(all.report.kept, 100_000);
  assert.equal(all.report.relationCounts.get("NotDesires"), 1626);
  assert.equal(all.graph.relations.length, 34);
});

Deno.test("neighbour lists are symmetric, sorted, self-loop free, with correct degrees", async () => {
  const small = await loadConceptNet(ASSERTIONS);
  assertNeighbourLists(small.graph);
  const self = small.graph.ids.get("education in united states")!;
  assert.ok(!small.graph.neighbours(self).includes(self));
  const cn = await loadConceptNet(CN100K);
  assertNeighbourLists(cn.graph);
  const person = cn.graph.ids.get("person")!;
  assert.equal(cn.graph.degrees[person], cn.graph.topByDegree(1)[0]!.degree);
});

Deno.test("ConceptGraphBuilder keeps the largest weight of duplicate edges", () => {
  const b = new ConceptGraphBuilder();
  const isA = b.relation("IsA"), partOf = b.relation("PartOf");
  const cat = b.concept("cat"), animal = b.concept("animal");
  assert.ok(b.add(cat, isA, animal, 1));
  assert.ok(!b.add(cat, isA, animal, 3));
  assert.ok(!b.add(cat, isA, animal, 2));
  assert.ok(b.add(animal, isA, cat, 0.5)); // reversed: another edge
  assert.ok(b.add(cat, partOf, animal, 0.25)); // another relation: another edge
  // Enough edges to grow the arrays and rehash the table several times.
  for (let i = 0; i < 5000; i++) b.add(b.concept(`c${i}`), isA, b.concept(`c${i + 1}`), i);
  assert.ok(!b.add(b.concept("c4999"), isA, b.concept("c5000"), 1));
  const g = b.finish();
  assert.equal(g.edgeCount, 3 + 5000);
  assert.deepEqual([...g.weights.subarray(0, 3)], [3, 0.5, 0.25]);
  assert.equal(g.weights[3 + 4999], 4999);
  assert.equal(g.degrees[cat], 1); // three edges, one neighbour
  assertNeighbourLists(g);
});

const EDGE_JSON = (w: string) => `{"dataset": "/d/x", "sources": [{"contributor": "/s/y"}], "weight": ${w}}`;
const assertion = (rel: string, start: string, end: string, json: string) =>
  [`/a/[${rel}/,${start}/,${end}/]`, rel, start, end, json].join("\t");

Deno.test("malformed lines are skipped, counted and reported by line number", async () => {
  await withTempDir(async (dir) => {
    const lines = [
      assertion("/r/IsA", "/c/en/cat/n", "/c/en/animal", EDGE_JSON("2.5")), // 1
      ["/a/x", "/r/IsA", "/c/en/dog", "/c/en/animal"].join("\t"), // 2: 4 columns
      "", // 3: blank
      assertion("/r/IsA", "/c/en/dog", "/c/en/animal", "{not json"), // 4
      assertion("/r/IsA", "/c/en/dog", "/c/en/animal", EDGE_JSON('"heavy"')), // 5
      assertion("/r/IsA", "/c/en/", "/c/en/animal", EDGE_JSON("1.0")), // 6
      assertion("IsA", "/c/en/dog", "/c/en/animal", EDGE_JSON("1.0")), // 7: relation not a URI
      assertion("/r/IsA", "/c/en/dog", "/c/en/animal", "[1]"), // 8
      assertion("/r/IsA", "/c/en/dog", "/c/en/animal", `{"dataset": "/d/x"}`), // 9: no weight -> 1.0
      assertion("/r/IsA", "/c/fr/chien", "/c/en/animal", "{not json either"), // 10: not English, JSON unread
    ];
    const path = `${dir}/bad.csv`;
    await Deno.writeTextFile(path, lines.join("\n") + "\n");
    const { graph, report } = await loadConceptNet(path, { maxMalformedSamples: 3 });
    assert.equal(report.lines, 10);
    assert.equal(report.blank, 1);
    assert.equal(report.malformed, 6);
    assert.equal(report.notEnglish, 1);
    assert.equal(report.english, 2);
    assert.deepEqual(report.malformedSamples, [
      { line: 2, reason: "expected 5 tab-separated columns, got 4" },
      { line: 4, reason: "JSON column is not valid JSON" },
      { line: 5, reason: 'weight "heavy" is not a number' },
    ]);
    const all = await loadConceptNet(path, { maxMalformedSamples: 10 });
    assert.deepEqual(all.report.malformedSamples.map((m) => m.line), [2, 4, 5, 6, 7, 8]);
    assert.match(all.report.malformedSamples[3]!.reason, /"\/c\/en\/" has no term/);
    assert.deepEqual(edgeMap(graph), new Map([["cat|IsA|animal", 2.5], ["dog|IsA|animal", 1]]));
    assert.match(formatConceptNetReport(report, graph), /malformed line 2: expected 5/);
    assert.match(formatConceptNetReport(report, graph), /\.\.\. and 3 more malformed lines/);

    const extract = `${dir}/bad.tsv`;
    await Deno.writeTextFile(
      extract,
      [
        "IsA\tcat\tanimal\t1.5",
        "IsA\tdog\tanimal\theavy",
        "IsA\t\tanimal\t1",
        "IsA\tdog\tanimal",
        "IsA\tcow\tanimal\t",
      ]
        .join("\n"),
    );
    const x = await loadConceptNet(extract);
    assert.equal(x.report.format, "extract");
    assert.equal(x.report.malformed, 4);
    assert.deepEqual(x.report.malformedSamples, [
      { line: 2, reason: 'weight "heavy" is not a number' },
      { line: 3, reason: "empty head" },
      { line: 4, reason: "expected 4 tab-separated columns, got 3" },
      { line: 5, reason: 'weight "" is not a number' },
    ]);
    assert.equal(x.graph.edgeCount, 1);
  });
});

Deno.test("relation filters work; 4-column extracts accept URIs and any case", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/filters.csv`;
    await Deno.writeTextFile(
      path,
      [
        assertion("/r/IsA", "/c/en/cat", "/c/en/animal", EDGE_JSON("1")),
        assertion("/r/dbpedia/genre", "/c/en/nirvana", "/c/en/grunge", EDGE_JSON("0.5")),
        assertion("/r/NotDesires", "/c/en/cat", "/c/en/bath", EDGE_JSON("1")),
        assertion("/r/ExternalURL", "/c/en/cat", "http://dbpedia.org/resource/Cat", EDGE_JSON("1")),
        assertion("/r/Antonym", "/c/en/hot", "/c/en/cold", EDGE_JSON("1")),
      ].join("\n"),
    );
    const def = await loadConceptNet(path);
    assert.deepEqual(Object.fromEntries(def.report.excludedCounts), { "dbpedia/genre": 1, NotDesires: 1 });
    assert.equal(def.report.notEnglish, 1); // ExternalURL's end is a URL, not an English concept
    assert.deepEqual([...edgeMap(def.graph).keys()], ["cat|IsA|animal", "hot|Antonym|cold"]);
    const keep = await loadConceptNet(path, { keepExcludedRelations: true });
    assert.equal(keep.report.excluded, 0);
    assert.ok(edgeMap(keep.graph).has("nirvana|dbpedia/genre|grunge"));
    const custom = await loadConceptNet(path, { isExcluded: (r) => r === "IsA" });
    assert.deepEqual(Object.fromEntries(custom.report.excludedCounts), { IsA: 1 });

    const extract = `${dir}/extract.txt`;
    await Deno.writeTextFile(
      extract,
      [
        "atlocation\tBook\t Table \t2",
        "/r/IsA\t/c/en/ice_cream/n\t/c/en/dessert\t1",
        "IsA\t/c/fr/glace\t/c/en/dessert\t1",
        'UsedFor\t"quoted\tphrase"\t3',
        "notdesires\tcat\tbath\t1",
      ].join("\r\n") + "\r\n",
    );
    const x = await loadConceptNet(extract);
    assert.equal(x.report.lines, 5);
    assert.equal(x.report.notEnglish, 1);
    assert.deepEqual(Object.fromEntries(x.report.excludedCounts), { NotDesires: 1 });
    assert.deepEqual(
      edgeMap(x.graph),
      new Map([["book|AtLocation|table", 2], ["ice cream|IsA|dessert", 1], ['"quoted|UsedFor|phrase"', 3]]),
    );
  });
});

Deno.test("format detection by column count, forcing, BOM and quotes taken literally", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/quotes.csv`;
    // A field opening with a quote must not swallow the tabs and newline after it.
    await Deno.writeTextFile(
      path,
      "\ufeff\n" + assertion("/r/IsA", '/c/en/"cat', "/c/en/animal", EDGE_JSON("1")) + "\n" +
        assertion("/r/IsA", "/c/en/dog", '/c/en/animal"', EDGE_JSON("1")) + "\n",
    );
    const q = await loadConceptNet(path);
    assert.equal(q.report.lines, 3);
    assert.equal(q.report.blank, 1);
    assert.deepEqual([...edgeMap(q.graph).keys()], ['"cat|IsA|animal', 'dog|IsA|animal"']);

    const forced = loadConceptNet(CN100K, { format: "assertions" });
    await assert.rejects(forced, /train100k\.txt\.gz: none of its 100000 data lines .* assertions format/);
    const three = `${dir}/three.tsv`;
    await Deno.writeTextFile(three, "a\tb\tc\n".repeat(12));
    await assert.rejects(
      loadConceptNet(three),
      /three\.tsv: line 10: the first 10 data line\(s\) have neither/,
    );
    const blank = `${dir}/blank.csv`;
    await Deno.writeTextFile(blank, "\n\n");
    await assert.rejects(loadConceptNet(blank), /blank\.csv: the file has no data lines/);
  });
});

Deno.test("gzip and plain files load to the same graph", async () => {
  await withTempDir(async (dir) => {
    const plain = `${dir}/train100k.txt`;
    await Deno.writeFile(plain, await gunzipBytes(await Deno.readFile(CN100K)));
    assertSameGraph((await loadConceptNet(plain)).graph, (await loadConceptNet(CN100K)).graph);
    // Gzip detected by magic bytes, whatever the name.
    const gz = `${dir}/assertions.csv`;
    await Deno.writeFile(gz, await gzipBytes(await Deno.readFile(ASSERTIONS)));
    const g = await loadConceptNet(gz);
    assert.ok(g.report.gzip);
    assert.equal(g.report.textBytes, (await Deno.stat(ASSERTIONS)).size);
    assertSameGraph(g.graph, (await loadConceptNet(ASSERTIONS)).graph);
  });
});

Deno.test("a missing file, a directory and unreadable gzip fail with one line naming the path", async () => {
  await withTempDir(async (dir) => {
    const oneLine = (path: string, pattern: RegExp) => (error: Error) => {
      assert.ok(!error.message.includes("\n"), error.message);
      assert.ok(error.message.startsWith(`Cannot load ConceptNet file ${path}: `), error.message);
      assert.match(error.message, pattern);
      return true;
    };
    const missing = `${dir}/nope.csv.gz`;
    await assert.rejects(loadConceptNet(missing), oneLine(missing, /no such file/));
    await assert.rejects(loadConceptNet(dir), oneLine(dir, /is a directory/));
    const fake = `${dir}/fake.csv.gz`;
    await Deno.writeTextFile(fake, "IsA\tcat\tanimal\t1\n");
    await assert.rejects(loadConceptNet(fake), oneLine(fake, /not gzip/));
    const gz = await gzipBytes(await Deno.readFile(ASSERTIONS));
    const truncated = `${dir}/truncated.csv.gz`;
    await Deno.writeFile(truncated, gz.subarray(0, gz.length >> 1));
    await assert.rejects(loadConceptNet(truncated), oneLine(truncated, /not a readable gzip stream/));
    const corrupt = `${dir}/corrupt.csv.gz`;
    const bad = gz.slice();
    for (let i = 20; i < bad.length; i += 7) bad[i] = bad[i]! ^ 0x5a;
    await Deno.writeFile(corrupt, bad);
    await assert.rejects(loadConceptNet(corrupt), oneLine(corrupt, /not a readable gzip stream/));
  });
});
