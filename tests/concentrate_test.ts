import assert from "node:assert/strict";
import { readDocuments } from "../data/corpus.ts";
import {
  concentrate,
  concentrateCached,
  type ConcentrateJob,
  type DetailScorer,
  InlineScorer,
  KEY_BUCKETS,
  mergeShards,
  parseSize,
  randomKey,
  readUnits,
  RunningKeyCut,
  RunningScoreCut,
  runShard,
  scan,
  ScoreHistogram,
  type Tallies,
  type UnitScorer,
  utf8Length,
} from "../data/concentrate/mod.ts";
import { seededRandom } from "./_helpers.ts";

// A toy lexicon and edge list, scored by whole words: f(t) = edges with both ends among t's words.
const TERMS = ["cat", "dog", "animal", "pet", "fur", "bark"];
const EDGES: [number, string, number][] = [
  [0, "IsA", 2],
  [1, "IsA", 2],
  [0, "IsA", 3],
  [1, "IsA", 3],
  [0, "HasA", 4],
  [1, "CapableOf", 5],
];
const FILLER = ["the", "a", "runs", "sleeps", "big", "small", "house", "tree", "déjà", "vu", "東京", "🐈"];

function toyEdges(text: string): { concepts: number[]; edges: number[] } {
  const words = new Set(text.split(" "));
  const concepts = TERMS.map((t, i) => (words.has(t) ? i : -1)).filter((i) => i >= 0);
  const edges = EDGES.map(([h, , t], e) => (words.has(TERMS[h]!) && words.has(TERMS[t]!) ? e : -1))
    .filter((e) => e >= 0);
  return { concepts, edges };
}

const TOY: DetailScorer = {
  conceptCount: TERMS.length,
  edgeCount: EDGES.length,
  details(text) {
    const d = toyEdges(text);
    return { score: d.edges.length, concepts: d.concepts, edges: d.edges };
  },
  conceptName: (id) => TERMS[id]!,
  edgeName: (e) => [TERMS[EDGES[e]![0]]!, EDGES[e]![1], TERMS[EDGES[e]![2]]!],
};

/**
 * Scores like TOY but answers batches late and out of order, as a pool of `workers` would; with
 * `lanes`, it also scans whole lanes concurrently, as the pool's workers do.
 */
class ShuffledScorer implements UnitScorer {
  readonly workers: number;
  readonly #inner: InlineScorer;
  readonly #random: () => number;
  constructor(workers: number, seed: number, lanes = false, detail: DetailScorer = TOY) {
    this.workers = workers;
    this.#inner = new InlineScorer(detail);
    this.#random = seededRandom(seed);
    if (lanes) {
      this.scanLanes = (specs) => {
        assert.ok(specs.length <= workers);
        return Promise.all(specs.map((spec) => scan({ ...spec, scorer: this })));
      };
    }
  }
  scanLanes?: UnitScorer["scanLanes"];
  async scoreBatch(texts: readonly string[]): Promise<Float64Array> {
    const scores = await this.#inner.scoreBatch(texts);
    await new Promise((r) => setTimeout(r, Math.floor(this.#random() * 4)));
    return scores;
  }
  tallies(): Promise<Tallies> {
    return this.#inner.tallies();
  }
  close(): void {}
}

interface Unit {
  file: number;
  index: number;
  doc: number;
  text: string;
  bytes: number;
  score: number;
}

interface Fixture {
  dir: string;
  paths: string[];
  /** Every paragraph unit in corpus order, with its toy score. */
  units: Unit[];
}

// Four files: WikiExtractor plain, plain text gzipped, WikiExtractor gzipped, plain text.
async function makeCorpus(seed: number, docsPerFile = 12): Promise<Fixture> {
  const random = seededRandom(seed);
  const dir = await Deno.makeTempDir({ prefix: "concentrate_test_" });
  const pick = <T>(a: readonly T[]) => a[Math.floor(random() * a.length)]!;
  const paths: string[] = [];
  const units: Unit[] = [];
  for (let f = 0; f < 4; f++) {
    const wiki = f % 2 === 0;
    const lines: string[] = [];
    let index = 0;
    for (let d = 0; d < docsPerFile; d++) {
      const paragraphs = Array.from({ length: 1 + Math.floor(random() * 5) }, () => {
        const n = 3 + Math.floor(random() * 20);
        return Array.from({ length: n }, () => (random() < 0.3 ? pick(TERMS) : pick(FILLER))).join(" ");
      });
      if (wiki) lines.push(`<doc id="${f}-${d}" url="u" title="Title ${d}">`, `Title ${d}`, "");
      lines.push(...paragraphs);
      lines.push(wiki ? "</doc>" : "");
      for (const text of paragraphs) {
        units.push({
          file: f,
          index: index++,
          doc: d,
          text,
          bytes: utf8Length(text) + 1,
          score: toyEdges(text).edges.length,
        });
      }
    }
    const text = lines.join("\n") + "\n";
    const path = `${dir}/part_${f}${f === 1 || f === 2 ? ".gz" : ".txt"}`;
    if (path.endsWith(".gz")) await Deno.writeFile(path, await gzip(text));
    else await Deno.writeTextFile(path, text);
    paths.push(path);
  }
  return { dir, paths, units };
}

async function gzip(text: string): Promise<Uint8Array> {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

function toyJob(
  paths: string[],
  options: Partial<ConcentrateJob> = {},
  scorer?: () => UnitScorer,
): ConcentrateJob {
  return {
    corpus: paths,
    scorer: {
      scale: 1,
      workers: scorer ? scorer().workers : 1,
      describe: () => Promise.resolve({ toy: "animals" }),
      open: () => Promise.resolve(scorer ? scorer() : new InlineScorer(TOY)),
    },
    unit: "paragraph",
    windowWords: 128,
    seed: 7,
    budget: null,
    alpha: null,
    ...options,
  };
}

// The obvious reference: sort everything, take the longest prefix that fits, write in corpus order.
function takePrefix(order: Unit[], target: number): Set<Unit> {
  const out = new Set<Unit>();
  let sum = 0;
  for (const u of order) {
    if (sum + u.bytes > target) break;
    sum += u.bytes;
    out.add(u);
  }
  return out;
}

function byBudget(units: Unit[], budget: number): Set<Unit> {
  const order = [...units].sort((a, b) => b.score - a.score || a.file - b.file || a.index - b.index);
  return takePrefix(order, budget);
}

function byKey(units: Unit[], target: number, seed: number): Set<Unit> {
  const key = new Map(units.map((u) => [u, randomKey(seed, u.file, u.index)]));
  const order = [...units].sort((a, b) => key.get(a)! - key.get(b)! || a.file - b.file || a.index - b.index);
  return takePrefix(order, target);
}

function render(units: Unit[], keep: Set<Unit>): string {
  let out = "";
  let last: string | null = null;
  for (const u of units) {
    if (!keep.has(u)) continue;
    const doc = `${u.file}/${u.doc}`;
    if (last !== null && doc !== last) out += "\n";
    last = doc;
    out += u.text + "\n";
  }
  return out;
}

const sum = (s: Set<Unit>) => [...s].reduce((t, u) => t + u.bytes, 0);
const read = (dir: string, name: string) => Deno.readTextFile(`${dir}/${name}`);

Deno.test("parseSize reads decimal and binary units and rejects the rest", () => {
  assert.equal(parseSize("50MB"), 50_000_000);
  assert.equal(parseSize("50 mb"), 50_000_000);
  assert.equal(parseSize("1.5GiB"), 1_610_612_736);
  assert.equal(parseSize("2KiB"), 2048);
  assert.equal(parseSize("3KB"), 3000);
  assert.equal(parseSize("123"), 123);
  assert.equal(parseSize("7B"), 7);
  assert.equal(parseSize("1TB"), 1e12);
  for (const bad of ["", "MB", "5XB", "-5MB", "0", "0.1B", "5 M B", "1e3"]) {
    assert.throws(() => parseSize(bad), RangeError, bad);
  }
});

Deno.test("utf8Length agrees with TextEncoder on mixed scripts, emoji and lone surrogates", () => {
  for (const s of ["", "abc", "déjà vu", "東京", "🐈 cat", "a\ud800b", "\udc00", "x\ud83d"]) {
    assert.equal(utf8Length(s), new TextEncoder().encode(s).length, JSON.stringify(s));
  }
});

Deno.test("ScoreHistogram.cut finds the largest score whose units overflow the budget", () => {
  const h = new ScoreHistogram();
  for (const [s, b] of [[5, 10], [3, 20], [3, 20], [1, 50], [0, 100]] as const) h.add(s, b);
  assert.deepEqual(h.cut(9), { alpha: 5, above: 0 });
  assert.deepEqual(h.cut(10), { alpha: 3, above: 10 });
  assert.deepEqual(h.cut(49), { alpha: 3, above: 10 });
  assert.deepEqual(h.cut(50), { alpha: 1, above: 50 });
  assert.equal(h.cut(200), null);
  assert.deepEqual(h.bins(), [
    { score: 0, units: 1, bytes: 100 },
    { score: 1, units: 1, bytes: 50 },
    { score: 3, units: 2, bytes: 40 },
    { score: 5, units: 1, bytes: 10 },
  ]);
  assert.throws(() => h.add(-1, 1), RangeError);
  assert.throws(() => h.add(1.5, 1), RangeError);
});

Deno.test("the running cuts never drop a unit that the final selection takes", () => {
  const random = seededRandom(3);
  // Trials in which each cut dropped something: a cut that keeps everything passes trivially.
  let scoreDrops = 0, keyDrops = 0;
  for (let trial = 0; trial < 20; trial++) {
    const n = 400, budget = 2000 + Math.floor(random() * 8000);
    const units: Unit[] = Array.from({ length: n }, (_, i) => ({
      file: 0,
      index: i,
      doc: 0,
      text: "",
      bytes: 1 + Math.floor(random() * 80),
      // Rising scores late in the stream are the hard case for a running cut.
      score: Math.floor(random() * 6 + (trial % 2 === 0 ? (6 * i) / n : 0)),
    }));
    const scoreCut = new RunningScoreCut(budget), keyCut = new RunningKeyCut(budget);
    const keptScore = new Set<Unit>(), keptKey = new Set<Unit>();
    for (const u of units) {
      if (scoreCut.add(u.score, u.bytes)) keptScore.add(u);
      const key = randomKey(trial, 0, u.index);
      // Few buckets collide at this size; squeeze keys into 64 buckets so that ties happen.
      if (keyCut.add(Math.floor((key / 2 ** 32) * 64) * (KEY_BUCKETS / 64), u.bytes)) keptKey.add(u);
    }
    for (const u of byBudget(units, budget)) {
      assert.ok(keptScore.has(u), `trial ${trial}: unit ${u.index} dropped`);
    }
    const target = budget - Math.floor(random() * 500);
    for (const u of byKey(units, target, trial)) {
      assert.ok(keptKey.has(u), `trial ${trial}: random unit dropped`);
    }
    if (keptScore.size < n) scoreDrops++;
    if (keptKey.size < n) keyDrops++;
  }
  // A budget near the corpus size with rising scores may keep every unit; most trials must not.
  assert.ok(scoreDrops >= 15 && keyDrops >= 15, `the cuts drop something: ${scoreDrops}, ${keyDrops} of 20`);
});

Deno.test("readUnits cuts paragraphs, documents and windows, across WikiExtractor and plain text", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/c.txt`;
    await Deno.writeTextFile(
      path,
      '<doc id="1" url="u" title="T">\nT\n\none two three\nfour five\n</doc>\n<doc id="2" url="" title="E">\nE\n</doc>\n' +
        "six seven\n\neight  nine ten eleven\n",
    );
    const units = async (unit: "paragraph" | "document" | "window", windowWords = 2) => {
      const out = [];
      for await (const u of readUnits(path, 3, { unit, windowWords })) {
        out.push([u.index, u.doc, u.text, u.bytes]);
      }
      return out;
    };
    assert.deepEqual(await units("paragraph"), [
      [0, 0, "one two three", 14],
      [1, 0, "four five", 10],
      [2, 1, "six seven", 10],
      [3, 2, "eight  nine ten eleven", 23],
    ]);
    assert.deepEqual(await units("document"), [
      [0, 0, "one two three\nfour five", 24],
      [1, 2, "six seven", 10],
      [2, 3, "eight  nine ten eleven", 23],
    ]);
    assert.deepEqual(await units("window"), [
      [0, 0, "one two", 8],
      [1, 0, "three four", 11],
      [2, 0, "five", 5],
      [3, 1, "six seven", 10],
      [4, 2, "eight nine", 11],
      [5, 2, "ten eleven", 11],
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a budget run keeps exactly the reference selection, within one unit of the budget", async () => {
  const fx = await makeCorpus(11);
  try {
    const total = fx.units.reduce((t, u) => t + u.bytes, 0);
    for (const fraction of [0.05, 0.3, 0.8]) {
      const budget = Math.floor(total * fraction);
      const out = `${fx.dir}/out-${fraction}`;
      const report = await concentrate(toyJob(fx.paths, { budget }), out);
      const kept = byBudget(fx.units, budget);
      const keptBytes = sum(kept);
      assert.equal(await read(out, "concentrated.txt"), render(fx.units, kept));
      assert.equal(report.bytes_kept, keptBytes);
      assert.equal(report.units_seen, fx.units.length);
      assert.equal(report.bytes_seen, total);
      // Within one unit: it fits, and the next unit in score order would not.
      const maxUnit = Math.max(...fx.units.map((u) => u.bytes));
      assert.ok(keptBytes <= budget && budget - keptBytes < maxUnit, `${keptBytes} vs ${budget}`);
      // alpha: the score of the first unit left out in score order.
      const order = [...fx.units].sort((a, b) => b.score - a.score || a.file - b.file || a.index - b.index);
      assert.equal(report.alpha, order.find((u) => !kept.has(u))!.score);
      // The random control: same size within one unit, the reference's units.
      const random = byKey(fx.units, keptBytes, 7);
      assert.equal(await read(out, "random.txt"), render(fx.units, random));
      assert.equal(report.random.bytes, sum(random));
      assert.ok(keptBytes - sum(random) >= 0 && keptBytes - sum(random) < maxUnit);
      // The file is its unit bytes plus one empty line between documents.
      const stat = await Deno.stat(`${out}/concentrated.txt`);
      assert.equal(stat.size, report.concentrated.file_bytes);
      assert.equal(stat.size, keptBytes + report.concentrated.documents - 1);
      assert.deepEqual(
        report.histogram.map((b) => b.score),
        [...new Set(fx.units.map((u) => u.score))].sort(),
      );
    }
  } finally {
    await Deno.remove(fx.dir, { recursive: true });
  }
});

Deno.test("document units are selected whole, one document per block of lines", async () => {
  const fx = await makeCorpus(21);
  try {
    // The reference's document units: the paragraphs of each document joined by newlines.
    const docs: Unit[] = [];
    for (const u of fx.units) {
      const last = docs.at(-1);
      if (last && last.file === u.file && last.doc === u.doc) {
        last.text += "\n" + u.text;
        last.bytes += u.bytes;
      } else docs.push({ ...u, index: last && last.file === u.file ? last.index + 1 : 0 });
    }
    for (const d of docs) d.score = toyEdges(d.text).edges.length;
    const total = docs.reduce((t, d) => t + d.bytes, 0);
    const budget = Math.floor(total / 3);
    const report = await concentrate(toyJob(fx.paths, { budget, unit: "document" }), `${fx.dir}/out`);
    const kept = byBudget(docs, budget);
    assert.equal(await read(`${fx.dir}/out`, "concentrated.txt"), render(docs, kept));
    assert.equal(await read(`${fx.dir}/out`, "random.txt"), render(docs, byKey(docs, sum(kept), 7)));
    assert.equal(report.units_seen, docs.length);
    assert.equal(report.options.unit, "document");
  } finally {
    await Deno.remove(fx.dir, { recursive: true });
  }
});

Deno.test("the output reads back through data/corpus.ts with the source's document boundaries", async () => {
  const fx = await makeCorpus(12);
  try {
    const out = `${fx.dir}/out`;
    await concentrate(toyJob(fx.paths, { budget: 3000 }), out);
    const kept = byBudget(fx.units, 3000);
    const expected: string[][] = [];
    let last = "";
    for (const u of fx.units) {
      if (!kept.has(u)) continue;
      if (`${u.file}/${u.doc}` !== last) expected.push([]);
      last = `${u.file}/${u.doc}`;
      expected.at(-1)!.push(u.text);
    }
    const docs: string[][] = [];
    for await (const d of readDocuments(`${out}/concentrated.txt`)) docs.push(d.paragraphs);
    assert.deepEqual(docs, expected);
  } finally {
    await Deno.remove(fx.dir, { recursive: true });
  }
});

Deno.test("output is identical across runs, batch sizes and out-of-order scoring", async () => {
  const fx = await makeCorpus(13);
  try {
    const budget = 4000;
    await concentrate(toyJob(fx.paths, { budget }), `${fx.dir}/a`);
    await concentrate(toyJob(fx.paths, { budget }), `${fx.dir}/b`);
    await concentrate(
      toyJob(fx.paths, { budget, batchBytes: 200 }, () => new ShuffledScorer(3, 5)),
      `${fx.dir}/c`,
    );
    // Three lanes over four files, scanned concurrently; and three lanes scanned one after another.
    const lanes = () => new ShuffledScorer(3, 6, true);
    await concentrate(toyJob(fx.paths, { budget, batchBytes: 300 }, lanes), `${fx.dir}/d`);
    await concentrate(toyJob(fx.paths, { budget }, () => new ShuffledScorer(3, 6)), `${fx.dir}/e`);
    assert.equal(JSON.parse(await read(`${fx.dir}/d`, "report.json")).shard_runs[0].lanes, 3);
    const reports = [];
    for (const run of ["a", "b", "c", "d", "e"]) {
      reports.push(JSON.parse(await read(`${fx.dir}/${run}`, "report.json")));
      for (const name of ["concentrated.txt", "random.txt"]) {
        assert.equal(await read(`${fx.dir}/${run}`, name), await read(`${fx.dir}/a`, name), `${run} ${name}`);
      }
    }
    for (const r of reports) {
      assert.deepEqual(r.top_concepts, reports[0].top_concepts);
      assert.deepEqual(r.top_edges, reports[0].top_edges);
      assert.equal(r.key, reports[0].key);
    }
    // Tallies: units containing each concept, counted independently.
    const cat = fx.units.filter((u) => u.text.split(" ").includes("cat")).length;
    assert.equal(reports[0].top_concepts.find((c: { term: string }) => c.term === "cat").units, cat);
  } finally {
    await Deno.remove(fx.dir, { recursive: true });
  }
});

Deno.test("--shard i/n partials merge into the single-process output, whatever n", async () => {
  const fx = await makeCorpus(14);
  try {
    for (const options of [{ budget: 5000 }, { alpha: 1 }] as const) {
      const job = toyJob(fx.paths, options);
      const laneJob = toyJob(fx.paths, options, () => new ShuffledScorer(2, 9, true));
      const single = `${fx.dir}/single`;
      await concentrate(job, single);
      for (const n of [2, 3, 5]) {
        const dirs = [];
        // Shards run in any order; the fifth of five has no file.
        for (let i = n - 1; i >= 0; i--) {
          dirs.push(`${fx.dir}/shard-${n}-${i}`);
          await runShard(i % 2 === 0 ? laneJob : job, { index: i, count: n }, dirs.at(-1)!);
        }
        const merged = `${fx.dir}/merged-${n}`;
        const report = await mergeShards(dirs, merged);
        assert.equal(report.options.shards, n);
        for (const name of ["concentrated.txt", "random.txt"]) {
          assert.equal(
            await read(merged, name),
            await read(single, name),
            `${JSON.stringify(options)} n=${n} ${name}`,
          );
        }
        const a = JSON.parse(await read(single, "report.json")),
          b = JSON.parse(await read(merged, "report.json"));
        for (
          const k of [
            "key",
            "units_seen",
            "bytes_kept",
            "alpha",
            "tie",
            "histogram",
            "top_concepts",
            "top_edges",
          ]
        ) {
          assert.deepEqual(b[k], a[k], k);
        }
      }
    }
  } finally {
    await Deno.remove(fx.dir, { recursive: true });
  }
});

// Scores a line by its first word, a number: for hand-built corpora.
const LEADING: DetailScorer = {
  conceptCount: 0,
  edgeCount: 0,
  details: (text) => ({ score: Number(text.split(" ")[0]), concepts: [], edges: [] }),
  conceptName: () => "",
  edgeName: () => ["", "", ""],
};

function line(score: number, bytes: number, tag: string): string {
  const head = `${score} ${tag} `;
  return head + "x".repeat(bytes - 1 - head.length);
}

Deno.test("merge stops the ties at alpha where a shard dropped one, as one process would", async () => {
  // Budget 100. File 0: padding, A (score 2, 60 B), X (score 1, 50 B): shard 0 drops X, whose tie
  // overflows the budget. File 1: Y (score 1, 30 B) fits what is left, but comes after X.
  const dir = await Deno.makeTempDir();
  try {
    const zeros = (tag: string) => Array.from({ length: 40 }, (_, i) => line(0, 10, `${tag}${i}`));
    await Deno.writeTextFile(
      `${dir}/f0.txt`,
      [...zeros("p"), line(2, 60, "A"), line(1, 50, "X")].join("\n") + "\n",
    );
    await Deno.writeTextFile(`${dir}/f1.txt`, [line(1, 30, "Y"), ...zeros("q")].join("\n") + "\n");
    let tested = 0;
    for (let seed = 1; seed <= 20 && tested < 3; seed++) {
      const job = toyJob(
        [`${dir}/f0.txt`, `${dir}/f1.txt`],
        { budget: 100, seed },
        () => new InlineScorer(LEADING),
      );
      await runShard(job, { index: 0, count: 2 }, `${dir}/s0`);
      // Only a seed whose random control does not keep X hides X from the merge.
      if ((await Deno.readTextFile(`${dir}/s0/candidates-0.jsonl`)).includes(" X ")) continue;
      tested++;
      await runShard(job, { index: 1, count: 2 }, `${dir}/s1`);
      await mergeShards([`${dir}/s0`, `${dir}/s1`], `${dir}/merged`);
      await concentrate(job, `${dir}/single`);
      // The same two files as two lanes of one process.
      const lanes = () => new ShuffledScorer(2, seed, true, LEADING);
      await concentrate(toyJob(job.corpus as string[], { budget: 100, seed }, lanes), `${dir}/lanes`);
      for (const out of ["merged", "single", "lanes"]) {
        assert.equal(await read(`${dir}/${out}`, "concentrated.txt"), line(2, 60, "A") + "\n", out);
        assert.equal(
          await read(`${dir}/${out}`, "random.txt"),
          await read(`${dir}/single`, "random.txt"),
          out,
        );
      }
    }
    assert.equal(tested, 3, "seeds that hide X");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the random control orders units by exact key inside a histogram bucket", async () => {
  // 150,000 units over 65,536 buckets: the cut bucket holds several units.
  const dir = await Deno.makeTempDir();
  try {
    const random = seededRandom(20);
    const units: Unit[] = [];
    const lines: string[] = [];
    for (let i = 0; i < 150_000; i++) {
      const text = `${Math.floor(random() * 3)} ${"y".repeat(Math.floor(random() * 12))}`;
      lines.push(text);
      units.push({ file: 0, index: i, doc: 0, text, bytes: utf8Length(text) + 1, score: Number(text[0]) });
    }
    await Deno.writeTextFile(`${dir}/big.txt`, lines.join("\n") + "\n");
    for (const [seed, budget] of [[1, 123_457], [3, 54_321]] as const) {
      const job = toyJob([`${dir}/big.txt`], { budget, seed }, () => new InlineScorer(LEADING));
      await concentrate(job, `${dir}/out`);
      const kept = byBudget(units, budget);
      assert.equal(await read(`${dir}/out`, "concentrated.txt"), render(units, kept));
      assert.equal(await read(`${dir}/out`, "random.txt"), render(units, byKey(units, sum(kept), seed)));
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("merge refuses missing shards, repeated shards and partials of other runs", async () => {
  const fx = await makeCorpus(15, 3);
  try {
    const job = toyJob(fx.paths, { budget: 500 });
    const d = (name: string) => `${fx.dir}/${name}`;
    await runShard(job, { index: 0, count: 2 }, d("s0"));
    await runShard(job, { index: 1, count: 2 }, d("s1"));
    await runShard({ ...job, seed: 8 }, { index: 1, count: 2 }, d("other"));
    await assert.rejects(
      mergeShards([d("s0")], d("m")),
      /expected the 2 shards 0\.\.1 of one run once each, got shards 0$/,
    );
    await assert.rejects(mergeShards([d("s0"), d("s0")], d("m")), /got shards 0, 0/);
    await assert.rejects(
      mergeShards([d("s0"), d("other")], d("m")),
      /"[^"]*other": it was made from other inputs/,
    );
    await assert.rejects(mergeShards([d("s0"), d("nothing")], d("m")), /no partial\.json/);
    await assert.rejects(runShard(job, { index: 3, count: 2 }, d("bad")), RangeError);
  } finally {
    await Deno.remove(fx.dir, { recursive: true });
  }
});

Deno.test("alpha keeps every unit scoring above it, with a random control of the same size", async () => {
  const fx = await makeCorpus(16);
  try {
    for (const alpha of [0, 1.5, 3]) {
      const out = `${fx.dir}/alpha-${alpha}`;
      const report = await concentrate(toyJob(fx.paths, { alpha }), out);
      const kept = new Set(fx.units.filter((u) => u.score > alpha));
      assert.equal(await read(out, "concentrated.txt"), render(fx.units, kept));
      assert.equal(report.alpha, alpha);
      assert.equal(report.tie, null);
      const random = byKey(fx.units, sum(kept), 7);
      assert.equal(await read(out, "random.txt"), render(fx.units, random));
    }
    await assert.rejects(
      concentrate(toyJob(fx.paths, { alpha: 6 }), `${fx.dir}/none`),
      /no unit scores above alpha 6/,
    );
  } finally {
    await Deno.remove(fx.dir, { recursive: true });
  }
});

Deno.test("per-token scores are selected on 4 decimals", async () => {
  const fx = await makeCorpus(17);
  try {
    const perWord: DetailScorer = {
      ...TOY,
      details: (text) => ({ ...TOY.details(text), score: TOY.details(text).score / text.split(" ").length }),
    };
    const job = toyJob(fx.paths, { budget: 3000 });
    job.scorer = { ...job.scorer, scale: 1e4, open: () => Promise.resolve(new InlineScorer(perWord)) };
    const report = await concentrate(job, `${fx.dir}/out`);
    const units = fx.units.map((u) => ({
      ...u,
      score: Math.round((u.score / u.text.split(" ").length) * 1e4),
    }));
    const kept = byBudget(units, 3000);
    assert.equal(await read(`${fx.dir}/out`, "concentrated.txt"), render(units, kept));
    const order = [...units].sort((a, b) => b.score - a.score || a.file - b.file || a.index - b.index);
    assert.equal(report.alpha, order.find((u) => !kept.has(u))!.score / 1e4);
  } finally {
    await Deno.remove(fx.dir, { recursive: true });
  }
});

Deno.test("the random control spreads over the whole corpus", async () => {
  const fx = await makeCorpus(18, 60);
  try {
    const total = fx.units.reduce((t, u) => t + u.bytes, 0);
    const report = await concentrate(toyJob(fx.paths, { budget: Math.floor(total / 4) }), `${fx.dir}/out`);
    const picked = new Set((await read(`${fx.dir}/out`, "random.txt")).split("\n").filter((l) => l !== ""));
    // Each quarter of the corpus holds about a quarter of the random bytes (binomial spread ~ 3%).
    const quarter = Math.ceil(fx.units.length / 4);
    for (let q = 0; q < 4; q++) {
      const part = fx.units.slice(q * quarter, (q + 1) * quarter);
      const bytes = part.filter((u) => picked.has(u.text)).reduce((t, u) => t + u.bytes, 0);
      const share = bytes / report.random.bytes;
      assert.ok(share > 0.15 && share < 0.35, `quarter ${q}: ${share.toFixed(3)}`);
    }
  } finally {
    await Deno.remove(fx.dir, { recursive: true });
  }
});

Deno.test("concentrateCached reuses a finished result until an input changes", async () => {
  const fx = await makeCorpus(19, 4);
  try {
    const out = `${fx.dir}/out`;
    const job = toyJob(fx.paths, { budget: 800 });
    const first = await concentrateCached(job, out);
    assert.equal(first.cached, false);
    const again = await concentrateCached(job, out);
    assert.equal(again.cached, true);
    assert.equal(again.report.key, first.report.key);
    assert.equal((await concentrateCached({ ...job, seed: 9 }, out)).cached, false);
    await Deno.writeTextFile(fx.paths[3]!, "cat animal dog pet\n", { append: true });
    const changed = await concentrateCached({ ...job, seed: 9 }, out);
    assert.equal(changed.cached, false);
    assert.notEqual(changed.report.key, first.report.key);
  } finally {
    await Deno.remove(fx.dir, { recursive: true });
  }
});

Deno.test("bad corpora and budgets fail with one line naming the problem", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/empty.txt`, "\n\n");
    await Deno.writeTextFile(`${dir}/small.txt`, "cat animal\n");
    await assert.rejects(
      concentrate(toyJob([`${dir}/empty.txt`], { budget: 10 }), `${dir}/o1`),
      /the corpus has no text/,
    );
    await assert.rejects(
      concentrate(toyJob([`${dir}/small.txt`], { budget: 11 }), `${dir}/o2`),
      /budget is not smaller than the corpus \(11 bytes of text in 1 units\)/,
    );
    await assert.rejects(
      concentrate(toyJob([`${dir}/missing.txt`], { budget: 10 }), `${dir}/o3`),
      /Cannot read corpus/,
    );
    await assert.rejects(
      concentrate(toyJob([`${dir}/small.txt`], { budget: 10, alpha: 1 }), `${dir}/o4`),
      RangeError,
    );
    await assert.rejects(concentrate(toyJob([`${dir}/small.txt`]), `${dir}/o5`), RangeError);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
