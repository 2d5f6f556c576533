import assert from "node:assert/strict";
import {
  concentrate,
  CONCENTRATE_SETTINGS,
  concentrateCached,
  type ConcentrateReport,
  type ConcentrateSettings,
  concentrationJob,
  detailScorerOf,
  loadScoringGraph,
  mergeShards,
  runShard,
  utf8Length,
} from "../data/concentrate/mod.ts";
import { SAMPLE_CONCEPTNET, SAMPLE_CORPUS } from "../data/samples.ts";
import { readCommand } from "../config/command.ts";
import { CONCENTRATE_COMMAND } from "../tasks/concentrate.ts";
import { seededRandom } from "./_helpers.ts";

const ROOT = new URL("..", import.meta.url);

async function cli(
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string; errors: string[] }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "tasks/concentrate.ts", ...args],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  const errors = stderr.split("\n").filter((l) => l.startsWith("error:"));
  return { code: out.code, stdout: new TextDecoder().decode(out.stdout), stderr, errors };
}

// A small ConceptNet extract (relation, head, tail, weight) and a corpus that uses its terms.
const CONCEPTNET = [
  "IsA\tcat\tanimal\t1.0",
  "IsA\tdog\tanimal\t1.0",
  "IsA\tcat\tpet\t1.0",
  "IsA\tdog\tpet\t1.0",
  "HasA\tcat\tfur\t1.0",
  "CapableOf\tdog\tbark\t1.0",
  "AtLocation\tcat\thouse\t1.0",
  "RelatedTo\tbig tree\ttree\t1.0",
].join("\n") + "\n";
const WORDS = [
  "cat",
  "dog",
  "animal",
  "pet",
  "fur",
  "bark",
  "house",
  "big",
  "tree",
  "the",
  "sleeps",
  "runs",
  "on",
];

interface Fixture {
  dir: string;
  conceptnet: string;
  corpus: string[];
  paragraphs: string[];
}

async function fixture(seed = 1): Promise<Fixture> {
  const dir = await Deno.makeTempDir({ prefix: "concentrate_task_test_" });
  const random = seededRandom(seed);
  const conceptnet = `${dir}/cn.txt`;
  await Deno.writeTextFile(conceptnet, CONCEPTNET);
  const corpus: string[] = [];
  const paragraphs: string[] = [];
  for (let f = 0; f < 3; f++) {
    const lines: string[] = [];
    for (let d = 0; d < 15; d++) {
      for (let p = 0; p < 1 + Math.floor(random() * 4); p++) {
        const n = 2 + Math.floor(random() * 15);
        const text = Array.from({ length: n }, () => WORDS[Math.floor(random() * WORDS.length)]!).join(" ") +
          ".";
        lines.push(text);
        paragraphs.push(text);
      }
      lines.push("");
    }
    const path = `${dir}/c${f}.txt${f === 1 ? ".gz" : ""}`;
    const bytes = new TextEncoder().encode(lines.join("\n"));
    const data = f === 1
      ? new Uint8Array(
        await new Response(new Blob([bytes]).stream().pipeThrough(new CompressionStream("gzip")))
          .arrayBuffer(),
      )
      : bytes;
    await Deno.writeFile(path, data);
    corpus.push(path);
  }
  return { dir, conceptnet, corpus, paragraphs };
}

function config(fx: Fixture, out: string, extra: Partial<ConcentrateSettings> = {}): ConcentrateSettings {
  return CONCENTRATE_SETTINGS.resolve([{
    source: "code",
    values: {
      corpus: fx.corpus,
      conceptnet: fx.conceptnet,
      budget: "1KB",
      out: `${fx.dir}/${out}`,
      ...extra,
    },
  }]);
}

/** Concentrates as the command does without --shard or --merge. */
function run(s: ConcentrateSettings) {
  return concentrate(concentrationJob(s), s.out);
}

const read = (dir: string, name: string) => Deno.readTextFile(`${dir}/${name}`);

Deno.test("concentrate writes the concentrated text, the random control, the report and a summary", async () => {
  const fx = await fixture();
  try {
    const out = `${fx.dir}/out`;
    const r = await cli(
      "--corpus",
      ...fx.corpus,
      "--conceptnet",
      fx.conceptnet,
      "--budget",
      "1KB",
      "--out",
      out,
      "--workers",
      "1",
      "--no-per-token",
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      /^concentrate: \d+ paragraph units, [\d.]+ KB of text in 3 files\n {2}concentrated: /,
    );
    assert.match(r.stdout, /random control: \d+ units/);
    const report = JSON.parse(await read(out, "report.json"));
    // The reference: the same ConceptNet scorer over every paragraph, sorted, the longest prefix that fits.
    const spec = { conceptnet: fx.conceptnet };
    const scorer = detailScorerOf((await loadScoringGraph(spec)).graph, spec);
    const units = fx.paragraphs.map((text, i) => ({
      i,
      text,
      bytes: utf8Length(text) + 1,
      score: scorer.details(text).score,
    }));
    const order = [...units].sort((a, b) => b.score - a.score || a.i - b.i);
    const kept = new Set<number>();
    let bytes = 0;
    for (const u of order) {
      if (bytes + u.bytes > 1000) break;
      bytes += u.bytes;
      kept.add(u.i);
    }
    const lines = (await read(out, "concentrated.txt")).split("\n").filter((l) => l !== "");
    assert.deepEqual(lines, units.filter((u) => kept.has(u.i)).map((u) => u.text));
    assert.equal(report.units_seen, fx.paragraphs.length);
    assert.equal(report.bytes_kept, bytes);
    assert.equal(report.alpha, order.find((u) => !kept.has(u.i))!.score);
    assert.ok(Math.abs(report.random.bytes - bytes) < 40, `random ${report.random.bytes} vs ${bytes}`);
    assert.deepEqual(report.inputs.corpus.map((c: { bytes: number }) => c.bytes), await sizes(fx.corpus));
    assert.ok(report.mb_per_s > 0 && report.elapsed_s > 0);
    assert.equal(report.top_edges[0].relation !== undefined, true);
    assert.ok(report.histogram.length > 1);
    assert.equal(report.inputs.scorer_info.edges, 8);
    assert.equal(report.inputs.scorer_info.malformed, 0);
  } finally {
    await Deno.remove(fx.dir, { recursive: true });
  }
});

async function sizes(paths: string[]): Promise<number[]> {
  return await Promise.all(paths.map(async (p) => (await Deno.stat(p)).size));
}

Deno.test("worker pools and sharded runs write the same bytes as one inline worker", async () => {
  const fx = await fixture(2);
  try {
    await run(config(fx, "w1", { workers: 1 }));
    await run(config(fx, "w2", { workers: 2 }));
    const s0 = config(fx, "s0", { workers: 2 });
    const s1 = config(fx, "s1", { workers: 1 });
    await runShard(concentrationJob(s0), { index: 0, count: 2 }, s0.out);
    await runShard(concentrationJob(s1), { index: 1, count: 2 }, s1.out);
    await mergeShards([s1.out, s0.out], `${fx.dir}/merged`);
    for (const name of ["concentrated.txt", "random.txt"]) {
      const one = await read(`${fx.dir}/w1`, name);
      assert.ok(one.length > 500);
      assert.equal(await read(`${fx.dir}/w2`, name), one, `workers 2: ${name}`);
      assert.equal(await read(`${fx.dir}/merged`, name), one, `merged: ${name}`);
    }
    const [a, b] = [
      JSON.parse(await read(`${fx.dir}/w1`, "report.json")),
      JSON.parse(await read(`${fx.dir}/w2`, "report.json")),
    ];
    assert.deepEqual(b.top_concepts, a.top_concepts);
    assert.deepEqual(b.top_edges, a.top_edges);
    assert.deepEqual(b.options.workers, [2]);
    // One file: the workers score batches of it instead of whole files.
    const one = { corpus: [fx.corpus[1]!], budget: "400B" };
    const [b1, b2] = [
      await run(config(fx, "b1", { ...one, workers: 1 })),
      await run(config(fx, "b2", { ...one, workers: 2 })),
    ] as ConcentrateReport[];
    assert.deepEqual([b2!.shard_runs[0]!.lanes, b2!.options.workers], [1, [2]]);
    assert.ok(b1!.units_kept > 3);
    for (const name of ["concentrated.txt", "random.txt"]) {
      assert.equal(await read(`${fx.dir}/b2`, name), await read(`${fx.dir}/b1`, name), `one file: ${name}`);
    }
    assert.equal(JSON.parse(await read(`${fx.dir}/w2`, "report.json")).shard_runs[0].lanes, 2);
    const again = config(fx, "w1", { workers: 2 });
    const cached = await concentrateCached(concentrationJob(again), again.out);
    assert.equal(cached.cached, true, "the worker count is not part of the key");
  } finally {
    await Deno.remove(fx.dir, { recursive: true });
  }
});

Deno.test("concentrate without arguments runs on the shipped samples with a 500KB budget", async () => {
  const read = await readCommand(CONCENTRATE_COMMAND, []);
  if (read === "help") throw new Error("help");
  const defaults = read.settings();
  assert.deepEqual(defaults.corpus, SAMPLE_CORPUS);
  assert.equal(defaults.conceptnet, SAMPLE_CONCEPTNET);
  assert.equal(defaults.budget, "500KB");
  assert.equal(defaults.out, "out/concentrate");
  const dir = await Deno.makeTempDir();
  try {
    const report = await run({ ...defaults, out: dir, workers: 2 });
    assert.ok("bytes_kept" in report);
    const maxUnit = 20_000; // the sample's longest paragraph is well under this
    assert.ok(report.bytes_kept <= 500_000 && report.bytes_kept > 500_000 - maxUnit);
    assert.ok(Math.abs(report.random.bytes - report.bytes_kept) < maxUnit);
    assert.equal(report.units_seen, 13_911);
    assert.ok(report.alpha > 0);
    // Concept hygiene: what f(t) counts holds no stop-concept edge or self-loop, and the
    // filters' shares are stated (METHOD.md 2a).
    assert.equal(report.hygiene.noise_share_counted, 0);
    assert.ok(report.hygiene.stop_end_share > 0.1 && report.hygiene.self_loop_share > 0.05);
    assert.ok(report.concentrated.mean_unit_words > 0 && report.random.mean_unit_words > 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("bad flags exit 2 and bad inputs exit 1, each with one error line", async () => {
  const fx = await fixture(3);
  try {
    const empty = `${fx.dir}/empty.txt`;
    await Deno.writeTextFile(empty, "\n");
    const french = `${fx.dir}/fr.csv`;
    await Deno.writeTextFile(
      french,
      '/a/[/r/IsA/,/c/fr/chat/,/c/fr/animal/]\t/r/IsA\t/c/fr/chat\t/c/fr/animal\t{"weight": 1.0}\n',
    );
    const out = ["--out", `${fx.dir}/bad`];
    const cases: [string[], number, RegExp][] = [
      [["--shard", "3/2", ...out], 2, /--shard must be i\/n with 0 <= i < n .*"3\/2"/],
      [["--shard", "2/2", ...out], 2, /--shard must be i\/n/],
      [
        ["--corpus", empty, "--budget", "1KB", "--alpha", "2", ...out],
        2,
        /give --budget or --alpha, not both/,
      ],
      [["--corpus", empty, ...out], 2, /give --budget SIZE/],
      [["--corpus", empty, "--budget", "5XB", ...out], 2, /--budget must be a size such as 500KB, .*"5XB"/],
      [["--unit", "sentence"], 2, /--unit must be one of paragraph, document, window/],
      [["--merge", `${fx.dir}/x`], 2, /--merge needs --out/],
      [
        ["--corpus", `${fx.dir}/missing.txt`, "--budget", "1KB", ...out],
        1,
        /Cannot read corpus ".*missing\.txt": no such file/,
      ],
      [
        ["--corpus", empty, "--conceptnet", fx.conceptnet, "--budget", "1KB", "--workers", "1", ...out],
        1,
        /the corpus has no text/,
      ],
      [
        ["--corpus", ...fx.corpus, "--conceptnet", french, "--budget", "1KB", "--workers", "1", ...out],
        1,
        /no English edges/,
      ],
      [
        [
          "--corpus",
          ...fx.corpus,
          "--conceptnet",
          fx.conceptnet,
          "--budget",
          "1GB",
          "--workers",
          "1",
          ...out,
        ],
        1,
        /the budget is not smaller than the corpus/,
      ],
      [["--merge", `${fx.dir}/nothing`, ...out], 1, /no partial\.json/],
    ];
    const results = await Promise.all(cases.map(([args]) => cli(...args)));
    cases.forEach(([args, code, pattern], i) => {
      const r = results[i]!;
      assert.equal(r.code, code, `${args.join(" ")}: ${r.stderr}`);
      assert.equal(r.errors.length, 1, r.stderr);
      assert.match(r.errors[0]!, pattern);
      assert.ok(!r.errors[0]!.endsWith("."), r.errors[0]);
    });
  } finally {
    await Deno.remove(fx.dir, { recursive: true });
  }
});
