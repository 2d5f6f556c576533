/**
 * `conceptnet`: loads a generated ConceptNet 5.7-style assertions dump as large as the English part
 * of the real one (~3.4M English-English edges, gzipped like `conceptnet-assertions-5.7.0.csv.gz`)
 * and reports load throughput and peak RSS, which must stay under 2 GB. Not run in CI: the file is
 * about 1 GB of text and the run takes minutes.
 * @module
 */
import { keyedRng } from "../util/rng.ts";
import { loadConceptNet } from "../data/conceptnet.ts";

/** Options of {@linkcode conceptnetBench}; the defaults are the real English part's size. */
export interface ConceptNetBenchOptions {
  /** English-English edges to generate (default 3,400,000). */
  edges?: number;
  /** Write the file gzipped, as ConceptNet ships it (default true). */
  gzip?: boolean;
  /** Seed of the generator (default 1). */
  seed?: number;
}

type Row = { bench: string; value: number; unit: string; [k: string]: string | number };

const MB = 1e6;
const RSS_LIMIT_MB = 2048;

/** Generates the file in a temporary folder, loads it while sampling RSS, and removes it. */
export async function conceptnetBench(options: ConceptNetBenchOptions = {}): Promise<Row[]> {
  const edges = options.edges ?? 3_400_000;
  const gzip = options.gzip ?? true;
  const dir = await Deno.makeTempDir({ prefix: "conceptnet_bench_" });
  try {
    const path = `${dir}/assertions.csv${gzip ? ".gz" : ""}`;
    const written = await writeSyntheticAssertions(path, { edges, gzip, seed: options.seed ?? 1 });
    const baseline = Deno.memoryUsage().rss;
    let peak = baseline;
    const timer = setInterval(() => peak = Math.max(peak, Deno.memoryUsage().rss), 20);
    const t0 = performance.now();
    let loaded;
    try {
      loaded = await loadConceptNet(path);
    } finally {
      clearInterval(timer);
    }
    const seconds = (performance.now() - t0) / 1000;
    peak = Math.max(peak, Deno.memoryUsage().rss);
    const { graph, report } = loaded;
    const common = { gzip: gzip ? "yes" : "no", seconds: +seconds.toFixed(2) };
    return [
      {
        bench: "conceptnet_load_edges",
        value: report.english / seconds,
        unit: "edges/s",
        english_edges: report.english,
        unique_edges: graph.edgeCount,
        concepts: graph.conceptCount,
        ...common,
      },
      {
        bench: "conceptnet_load_text",
        value: report.textBytes / MB / seconds,
        unit: "MB/s",
        text_mb: +(written.textBytes / MB).toFixed(1),
        file_mb: +(written.fileBytes / MB).toFixed(1),
        ...common,
      },
      {
        bench: "conceptnet_peak_rss",
        value: peak / MB,
        unit: "MB",
        baseline_rss_mb: +(baseline / MB).toFixed(0),
        limit_mb: RSS_LIMIT_MB,
        ...common,
      },
    ];
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

// Relation mix roughly as in ConceptNet 5.7's English edges (RelatedTo about half, then FormOf,
// DerivedFrom, IsA, HasContext, Synonym, ...), with a few excluded ones so the filter runs too.
const RELATIONS: [string, number][] = [
  ["RelatedTo", 500],
  ["FormOf", 110],
  ["DerivedFrom", 95],
  ["IsA", 68],
  ["HasContext", 66],
  ["Synonym", 64],
  ["UsedFor", 12],
  ["SimilarTo", 9],
  ["AtLocation", 8],
  ["HasSubevent", 7],
  ["CapableOf", 7],
  ["HasPrerequisite", 7],
  ["Antonym", 6],
  ["Causes", 5],
  ["PartOf", 4],
  ["MannerOf", 4],
  ["HasProperty", 3],
  ["DistinctFrom", 3],
  ["MotivatedByGoal", 3],
  ["Desires", 1],
  ["NotDesires", 1],
  ["dbpedia/genre", 1],
  ["NotCapableOf", 1],
];
const SYLLABLES = ("ka to ri mon sel ba den ful ter ing ar pos lo ve mi an tra cor ex ple sun har " +
  "do gen ti er ow ish pa ro lin qu es cha ne ab vi mar to st on ic al ur de sta ble ment tion ness ly")
  .split(" ");
const VOCABULARY = 3_000_000;

/**
 * Writes `edges` synthetic English assertions in ConceptNet 5.7's format: realistic edge, relation
 * and concept URIs (with and without part of speech and sense), JSON like the real datasets'
 * (wiktionary, OMCS with surface text, WordNet, verbosity), Zipf-like concept frequencies.
 * Returns the text size and the size on disk.
 */
export async function writeSyntheticAssertions(
  path: string,
  options: { edges: number; gzip: boolean; seed: number },
): Promise<{ textBytes: number; fileBytes: number }> {
  const rng = keyedRng([options.seed]);
  const random = () => rng.next();
  const total = RELATIONS.reduce((s, [, w]) => s + w, 0);
  const pickRelation = () => {
    let x = random() * total;
    for (const [name, w] of RELATIONS) if ((x -= w) < 0) return name;
    return RELATIONS[0]![0];
  };
  const concept = () => Math.floor(VOCABULARY * random() ** 2);
  const file = await Deno.open(path, { write: true, create: true, truncate: true });
  let sink: WritableStream<Uint8Array> = file.writable;
  let done: Promise<void> = Promise.resolve();
  if (options.gzip) {
    const gz = new CompressionStream("gzip") as unknown as TransformStream<Uint8Array, Uint8Array>;
    done = gz.readable.pipeTo(file.writable);
    sink = gz.writable;
  }
  const writer = sink.getWriter();
  const encoder = new TextEncoder();
  let textBytes = 0;
  const batch: string[] = [];
  for (let e = 0; e < options.edges; e++) {
    batch.push(assertionLine(pickRelation(), concept(), concept(), random));
    if (batch.length === 20_000 || e === options.edges - 1) {
      const bytes = encoder.encode(batch.join(""));
      textBytes += bytes.length;
      await writer.write(bytes);
      batch.length = 0;
    }
  }
  await writer.close();
  await done;
  return { textBytes, fileBytes: (await Deno.stat(path)).size };
}

function assertionLine(rel: string, a: number, b: number, random: () => number): string {
  const ta = termOf(a), tb = termOf(b);
  const start = conceptUri(ta, random), end = conceptUri(tb, random);
  const sa = ta.replaceAll("_", " "), sb = tb.replaceAll("_", " ");
  const surface = (text: string) =>
    `"surfaceEnd": "${sb}", "surfaceStart": "${sa}", "surfaceText": "${text}"`;
  const kind = random();
  let json: string;
  if (kind < 0.55) {
    json = `{"dataset": "/d/wiktionary/en", "license": "cc:by-sa/4.0", "sources": [{"contributor": ` +
      `"/s/resource/wiktionary/en", "process": "/s/process/wikiparsec/2"}], "weight": 1.0}`;
  } else if (kind < 0.8) {
    const user = Math.floor(random() * 20000);
    json = `{"dataset": "/d/conceptnet/4/en", "license": "cc:by/4.0", "sources": [{"activity": ` +
      `"/s/activity/omcs/omcs1_possibly_free_text", "contributor": "/s/contributor/omcs/user${user}"}], ` +
      `${surface(`[[${sa}]] is related to [[${sb}]]`)}, "weight": ${
        (1 + Math.floor(random() * 4) * 0.5).toFixed(1)
      }}`;
  } else if (kind < 0.92) {
    json = `{"dataset": "/d/wordnet/3.1", "license": "cc:by/4.0", "sources": [{"contributor": ` +
      `"/s/resource/wordnet/rdf/3.1"}], ${surface(`[[${sa}]] is a type of [[${sb}]]`)}, "weight": 2.0}`;
  } else {
    json = `{"dataset": "/d/verbosity", "license": "cc:by/4.0", "sources": [{"contributor": ` +
      `"/s/resource/verbosity", "process": "/s/process/split_words"}], "weight": ${random().toFixed(3)}}`;
  }
  return `/a/[/r/${rel}/,${start}/,${end}/]\t/r/${rel}\t${start}\t${end}\t${json}\n`;
}

function conceptUri(term: string, random: () => number): string {
  const r = random();
  if (r < 0.6) return `/c/en/${term}`;
  if (r < 0.8) return `/c/en/${term}/n`;
  if (r < 0.9) return `/c/en/${term}/n/wn/food`;
  return `/c/en/${term}/v/wikt/en_1`;
}

/** A deterministic term for vocabulary slot `i`: one to three words of two to four syllables. */
function termOf(i: number): string {
  let h = Math.imul(i + 1, 0x9e3779b1) >>> 0;
  const next = () => {
    h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d) >>> 0;
    h ^= h >>> 12;
    return h >>> 0;
  };
  const r = next() % 100;
  const words = r < 70 ? 1 : r < 95 ? 2 : 3;
  const out: string[] = [];
  for (let w = 0; w < words; w++) {
    const n = 2 + (next() % 3);
    let word = "";
    for (let s = 0; s < n; s++) word += SYLLABLES[next() % SYLLABLES.length]!;
    out.push(word);
  }
  return out.join("_");
}
