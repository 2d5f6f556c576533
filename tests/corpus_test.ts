import assert from "node:assert/strict";
import { GENERAL_CORPUS, SAMPLE_CORPUS } from "../data/samples.ts";
import {
  type CorpusDocument,
  corpusFiles,
  fnv1a32,
  readDocuments,
  readLines,
  readParagraphs,
  splitOf,
} from "../data/corpus.ts";

const WIKI_DIR = new URL("../data/corpus/enwiki-2015-wikiextractor", import.meta.url).pathname;
const WIKI_00 = `${WIKI_DIR}/AA/wiki_00.gz`;

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

async function gunzip(path: string): Promise<Uint8Array> {
  const stream = (await Deno.open(path)).readable.pipeThrough(new DecompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

async function withTempFile<T>(content: string | Uint8Array, body: (path: string) => Promise<T>): Promise<T> {
  const path = await Deno.makeTempFile({ prefix: "corpus_test_" });
  try {
    if (typeof content === "string") await Deno.writeTextFile(path, content);
    else await Deno.writeFile(path, content);
    return await body(path);
  } finally {
    await Deno.remove(path);
  }
}

Deno.test("readDocuments() reads the 38 articles of the shipped wiki_00.gz without tags or title lines", async () => {
  const text = new TextDecoder().decode(await gunzip(WIKI_00));
  const tags = [...text.matchAll(/^<doc id="(\d+)" url="[^"]*" title="([^"]*)">$/gm)];
  assert.equal(tags.length, 38);

  const docs = await collect(readDocuments(WIKI_00));
  assert.deepEqual(docs.map((d) => [d.id, d.title]), tags.map((m) => [m[1], m[2]]));
  assert.equal(docs[0]!.title, "Anarchism");
  assert.equal(docs[0]!.id, "12");
  assert.equal(docs[0]!.url, "http://en.wikipedia.org/wiki?curid=12");
  assert.match(docs[0]!.paragraphs[0]!, /^Anarchism is a political philosophy/);
  for (const d of docs) {
    assert.ok(d.paragraphs.length > 0, `${d.title} has text`);
    assert.notEqual(d.paragraphs[0], d.title, `${d.title}: title line dropped`);
    for (const p of d.paragraphs) {
      assert.ok(!p.includes("<doc") && !p.includes("</doc>"), `${d.title}: no tags in "${p.slice(0, 40)}"`);
      assert.notEqual(p.trim(), "", `${d.title}: no empty paragraphs`);
    }
  }
  // Every non-empty line that is not a tag or a title line is a paragraph, none lost.
  const lines = text.split("\n").filter((l) => l.trim() !== "");
  const total = docs.reduce((n, d) => n + d.paragraphs.length, 0);
  assert.equal(total, lines.length - 3 * 38);
});

Deno.test("corpusFiles() finds the 15 shipped wiki files: the sample's 5 hold 233 articles, the general corpus' 10 hold 731", async () => {
  const files = await corpusFiles([WIKI_DIR]);
  assert.deepEqual(
    files.map((f) => f.slice(WIKI_DIR.length)),
    Array.from({ length: 15 }, (_, i) => `/AA/wiki_${String(i).padStart(2, "0")}.gz`),
  );
  assert.deepEqual(files.slice(0, 5), [...SAMPLE_CORPUS]);
  assert.deepEqual(files.slice(5), [...GENERAL_CORPUS]);
  let docs = 0;
  const ids = new Set<string>();
  for (const f of SAMPLE_CORPUS) {
    for await (const d of readDocuments(f)) {
      docs++;
      ids.add(d.id);
      assert.notEqual(d.paragraphs[0], d.title);
    }
  }
  assert.equal(docs, 233);
  assert.equal(ids.size, 233);
  let general = 0;
  for (const f of GENERAL_CORPUS) for await (const _ of readDocuments(f)) general++;
  assert.equal(general, 731);
});

Deno.test("plain text and gzip give the same lines, paragraphs and documents", async () => {
  const plain = await gunzip(WIKI_00);
  await withTempFile(plain, async (path) => {
    assert.deepEqual(await collect(readLines(path)), await collect(readLines(WIKI_00)));
    const strip = (ds: CorpusDocument[]) => ds.map(({ source: _, ...d }) => d);
    assert.deepEqual(strip(await collect(readDocuments(path))), strip(await collect(readDocuments(WIKI_00))));
    const paras = (await collect(readParagraphs(path))).map((p) => [p.doc.id, p.text, p.line]);
    assert.deepEqual(paras, (await collect(readParagraphs(WIKI_00))).map((p) => [p.doc.id, p.text, p.line]));
    let counted = 0;
    await collect(readLines(WIKI_00, { onBytes: (n) => counted += n }));
    assert.equal(counted, plain.length);
  });
});

Deno.test("a gzip file is recognised by its magic bytes whatever its name", async () => {
  await withTempFile(await Deno.readFile(WIKI_00), async (path) => {
    assert.equal((await collect(readDocuments(path))).length, 38);
  });
});

Deno.test("a missing final newline loses nothing; CRLF endings are dropped", async () => {
  await withTempFile("one\r\ntwo\n\nthree", async (path) => {
    assert.deepEqual(await collect(readLines(path)), ["one", "two", "", "three"]);
  });
  await withTempFile("one\n", async (path) => assert.deepEqual(await collect(readLines(path)), ["one"]));
  await withTempFile("", async (path) => assert.deepEqual(await collect(readLines(path)), []));
  const wiki = '<doc id="7" url="u" title="T">\nT\n\nfirst\nlast\n</doc>';
  await withTempFile(wiki, async (path) => {
    const docs = await collect(readDocuments(path));
    assert.deepEqual(docs.map((d) => [d.id, d.title, d.paragraphs]), [["7", "T", ["first", "last"]]]);
  });
  await withTempFile('<doc id="8" url="u" title="Cut">\nCut\n\nno closing tag', async (path) => {
    const docs = await collect(readDocuments(path));
    assert.deepEqual(docs.map((d) => d.paragraphs), [["no closing tag"]]);
  });
});

Deno.test("plain text documents are separated by empty lines", async () => {
  await withTempFile("a1\na2\n\n\nb1\n\nc1\r\nc2", async (path) => {
    const docs = await collect(readDocuments(path));
    const name = path.split("/").pop();
    assert.deepEqual(docs.map((d) => [d.id, d.title, d.paragraphs]), [
      [`${name}#0`, "", ["a1", "a2"]],
      [`${name}#1`, "", ["b1"]],
      [`${name}#2`, "", ["c1", "c2"]],
    ]);
    const paras = await collect(readParagraphs(path));
    assert.deepEqual(paras.map((p) => p.line), [1, 2, 5, 7, 8]);
    assert.equal(paras[0]!.doc, paras[1]!.doc);
    assert.notEqual(paras[1]!.doc, paras[2]!.doc);
  });
});

Deno.test("wiki titles with entities match their title line, and only the first line is dropped", async () => {
  const wiki =
    '<doc id="1" url="u" title="AT&amp;T &quot;Bell&quot;">\nAT&T "Bell"\n\nAT&T "Bell"\nbody\n</doc>\n' +
    '<doc id="2" url="u" title="Empty">\nEmpty\n\n</doc>\n';
  await withTempFile(wiki, async (path) => {
    const docs = await collect(readDocuments(path));
    assert.deepEqual(docs.map((d) => [d.title, d.paragraphs]), [
      ['AT&T "Bell"', ['AT&T "Bell"', "body"]],
      ["Empty", []],
    ]);
    // An empty document has no paragraphs to stream.
    assert.deepEqual((await collect(readParagraphs(path))).map((p) => p.text), ['AT&T "Bell"', "body"]);
  });
});

Deno.test("the split is deterministic, disjoint, seed-dependent and near the asked fraction", async () => {
  const docs = Array.from({ length: 20000 }, (_, i) => ({ id: String(i), title: `Title ${i}` }));
  const a = docs.map((d) => splitOf(d, { validation: 0.1, seed: 1 }));
  const b = docs.map((d) => splitOf(d, { validation: 0.1, seed: 1 }));
  const c = docs.map((d) => splitOf(d, { validation: 0.1, seed: 2 }));
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
  const held = a.filter((s) => s === "validation").length;
  assert.ok(Math.abs(held - 2000) < 200, `${held} of 20000 held out at 0.1`);
  assert.ok(a.every((s) => s === "train" || s === "validation"));
  // A larger fraction only moves documents from train to validation, never back.
  const d = docs.map((x) => splitOf(x, { validation: 0.2, seed: 1 }));
  assert.ok(a.every((s, i) => s === "train" || d[i] === "validation"));
  assert.ok(docs.every((x) => splitOf(x, { validation: 0, seed: 1 }) === "train"));
  assert.throws(() => splitOf(docs[0]!, { validation: 1, seed: 1 }), RangeError);

  // On the real articles: train and validation ids partition the set, whatever the reading order.
  const real = await collect(readDocuments(WIKI_00));
  const split = (ds: CorpusDocument[]) =>
    new Map(ds.map((x) => [x.id, splitOf(x, { validation: 0.3, seed: 1 })] as const));
  const forward = split(real);
  assert.deepEqual(split([...real].reverse()), forward);
  const val = [...forward].filter(([, s]) => s === "validation").map(([id]) => id);
  const train = [...forward].filter(([, s]) => s === "train").map(([id]) => id);
  assert.equal(val.length + train.length, 38);
  assert.ok(val.length > 0 && train.length > 0);
  assert.ok(!val.some((id) => train.includes(id)));
});

Deno.test("fnv1a32() matches the published FNV-1a test vectors", () => {
  assert.equal(fnv1a32(""), 0x811c9dc5);
  assert.equal(fnv1a32("a"), 0xe40c292c);
  assert.equal(fnv1a32("foobar"), 0xbf9cf968);
});

Deno.test("bad corpus input fails with one line naming the path", async () => {
  const missing = "/nonexistent/wiki_00.gz";
  await assert.rejects(
    collect(readLines(missing)),
    /^Error: Cannot read corpus file "\/nonexistent\/wiki_00.gz": no such file/,
  );
  await assert.rejects(
    corpusFiles([missing]),
    /Cannot read corpus "\/nonexistent\/wiki_00.gz": no such file/,
  );
  const empty = await Deno.makeTempDir();
  try {
    await assert.rejects(corpusFiles([empty]), (e: Error) => {
      assert.equal(
        e.message,
        `Cannot read corpus "${empty}": expected wiki_NN or wiki_NN.gz files in this directory`,
      );
      return true;
    });
    await assert.rejects(collect(readLines(empty)), /expected a file, found a directory/);
  } finally {
    await Deno.remove(empty);
  }
  // A gzip header followed by garbage.
  const bad = Uint8Array.of(0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3, 4, 5, 6, 7, 8, 9);
  await withTempFile(bad, async (path) => {
    await assert.rejects(collect(readLines(path)), (e: Error) => {
      assert.ok(
        e.message.startsWith(`Cannot read corpus file "${path}": not a valid gzip stream`),
        e.message,
      );
      assert.ok(!e.message.includes("\n"));
      return true;
    });
  });
});
