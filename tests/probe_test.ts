// The knowledge probe: its metrics and bootstrap on hand-computed ranks, the facts and templates
// readers with every kind of bad row, the baselines on hand-counted data, the HF fixture through
// runProbe agreeing with fillMask, a tiny BERT trained to memorise templated facts reaching P@1 = 1,
// and the command's failures (exit 1 naming the input, exit 2 for an --out that holds files).
import assert from "node:assert/strict";
import { bertPreset } from "../core/bert/config.ts";
import { BertMlm, type HostBatch, initialParameters } from "../core/bert/model.ts";
import { bertShape } from "../core/bert/shape.ts";
import { MlmTrainer } from "../core/bert/trainer.ts";
import { saveBertDir } from "../core/checkpoint/bert_dir.ts";
import type { Gpu } from "../core/device.ts";
import { cpuOps } from "../core/ops.ts";
import { BertTokenizer } from "../data/tokenizer.ts";
import { fillMask } from "../pretrain/fill_mask.ts";
import { countCorpusTokens, countRelationTails, relationPriorRanks } from "../probe/baselines.ts";
import { readProbeFacts } from "../probe/facts.ts";
import { bootstrapRankMetrics, percentileInterval, rankMetrics, subtractSamples } from "../probe/metrics.ts";
import { PROBE_PREDICTION_COLUMNS } from "../probe/outputs.ts";
import { frequencyRanks, goldRank, scoredTokens, topScored } from "../probe/ranking.ts";
import { formatProbeReport, type ProbeRun, runProbe } from "../probe/run.ts";
import type { ProbeSettings } from "../probe/settings.ts";
import { parseProbeTemplates } from "../probe/templates.ts";
import { gpuTest, runTaskFile, type TaskRun } from "./_helpers.ts";

const HF = new URL("./fixtures/hf_tiny/mlm", import.meta.url).pathname;
const hfTok = await BertTokenizer.load(`${HF}/vocab.txt`);
const TEMPLATES = "relation\ttemplate\nIsA\t[H] is a [MASK].\nAtLocation\tthe [H] ran to the [MASK].\n";

async function tempDir(prefix: string): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix });
  globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));
  return dir;
}

function task(...args: string[]): Promise<TaskRun> {
  return runTaskFile("probe.ts", ...args);
}

Deno.test("rankMetrics: P@1, P@10 and MRR of hand-computed ranks", () => {
  const m = rankMetrics([1, 3, 12, 1, 10]);
  assert.equal(m.precisionAt1, 2 / 5);
  assert.equal(m.precisionAt10, 4 / 5);
  assert.ok(Math.abs(m.mrr - (1 + 1 / 3 + 1 / 12 + 1 + 1 / 10) / 5) < 1e-15, String(m.mrr));
  assert.deepEqual(rankMetrics([11]), { precisionAt1: 0, precisionAt10: 0, mrr: 1 / 11 });
  assert.throws(() => rankMetrics([1, 0]), /rank 0/);
  assert.throws(() => rankMetrics([]), /no ranks/);
});

Deno.test("percentileInterval interpolates as numpy's percentile", () => {
  const samples = Float64Array.from({ length: 101 }, (_, i) => 100 - i); // unsorted on purpose
  const close = (got: [number, number], want: [number, number]) =>
    assert.ok(got.every((x, i) => Math.abs(x - want[i]!) < 1e-9), `${got} != ${want}`);
  close(percentileInterval(samples, 0.9), [5, 95]);
  close(percentileInterval([0, 10], 0.5), [2.5, 7.5]);
  assert.deepEqual(percentileInterval([3], 0.95), [3, 3]);
});

Deno.test("the bootstrap is seeded, shares its resamples across systems, and brackets the estimate", () => {
  const model = Array.from({ length: 200 }, (_, i) => (i % 3 === 0 ? 1 : i % 3 === 1 ? 5 : 40));
  const unigram = Array.from({ length: 200 }, (_, i) => (i % 4 === 0 ? 7 : 300));
  const options = { resamples: 1000, seed: 7 };
  const a = bootstrapRankMetrics({ model, unigram, copy: model }, options);
  const b = bootstrapRankMetrics({ model, unigram, copy: model }, options);
  const other = bootstrapRankMetrics({ model, unigram }, { resamples: 1000, seed: 8 });
  assert.deepEqual(a, b);
  assert.notDeepEqual(a.model!.mrr, other.model!.mrr);
  // The same resamples for every system: a copy of the model has the same samples, and the paired
  // difference with itself is 0 on every resample.
  assert.deepEqual(a.copy, a.model);
  assert.ok(subtractSamples(a.model!.mrr, a.copy!.mrr).every((d) => d === 0));
  const point = rankMetrics(model);
  for (const metric of ["precisionAt1", "precisionAt10", "mrr"] as const) {
    const [low, high] = percentileInterval(a.model![metric], 0.95);
    assert.ok(low < point[metric] && point[metric] < high, `${metric}: ${low} ${point[metric]} ${high}`);
    // A mean of 200 draws: the 95% interval is about +-2 standard errors wide.
    const p = point[metric];
    if (metric !== "mrr") {
      const se = Math.sqrt(p * (1 - p) / 200);
      assert.ok(Math.abs((high - low) / (2 * 1.96 * se) - 1) < 0.15, `${metric} width ${high - low}`);
    }
  }
  // The resamples differ per stream key (per group), and stay the same for one.
  const g1 = bootstrapRankMetrics({ model }, { ...options, stream: [1] });
  assert.notDeepEqual(g1.model!.mrr, a.model!.mrr);
  assert.deepEqual(g1, bootstrapRankMetrics({ model }, { ...options, stream: [1] }));
});

Deno.test("ranks leave out special and [unusedN] tokens, and break ties by the lower id", () => {
  const scored = scoredTokens(hfTok.vocab);
  // [PAD] [unused0] [UNK] [CLS] [SEP] [MASK] are ids 0-5.
  assert.deepEqual([...scored.subarray(0, 7)], [0, 0, 0, 0, 0, 0, 1]);
  assert.equal(scored.reduce((a, b) => a + b, 0), 17);
  const logits = new Float32Array(23);
  logits[5] = 9; // [MASK]: above all, but not ranked
  logits[10] = 3; // mat
  logits[8] = 3; // sat: ties with mat, lower id first
  logits[20] = 2;
  assert.equal(goldRank(logits, 8, scored), 1);
  assert.equal(goldRank(logits, 10, scored), 2);
  assert.equal(goldRank(logits, 20, scored), 3);
  assert.equal(goldRank(logits, 6, scored), 4); // the lowest id of the zeros
  assert.equal(goldRank(logits, 22, scored), 17);
  assert.deepEqual(topScored(logits, 5, scored), [8, 10, 20, 6, 7]);
  assert.equal(topScored(logits, 50, scored).length, 17);
  // Frequency order: counts first, then the tie rank, then the id; unscored ids get 0.
  const counts = new Float64Array(23);
  counts[4] = 100; // [SEP]: never ranked
  counts[9] = 5;
  counts[7] = 5;
  counts[12] = 2;
  const byId = frequencyRanks(counts, scored);
  assert.deepEqual([byId[7], byId[9], byId[12], byId[6], byId[8], byId[4]], [1, 2, 3, 4, 5, 0]);
  const tie = Int32Array.from({ length: 23 }, (_, i) => 23 - i); // prefers higher ids
  const byTie = frequencyRanks(counts, scored, tie);
  assert.deepEqual([byTie[9], byTie[7], byTie[12], byTie[22], byTie[6]], [1, 2, 3, 4, 17]);
});

Deno.test("templates: a header, one [H] and one [MASK] each, no relation twice", () => {
  const t = parseProbeTemplates(TEMPLATES.split("\n"), "t.tsv");
  assert.deepEqual([...t], [["IsA", "[H] is a [MASK]."], ["AtLocation", "the [H] ran to the [MASK]."]]);
  for (
    const [text, message] of [
      ["IsA\t[H] is a [MASK].", /t\.tsv" line 1: expected the header/],
      ["relation\ttemplate\nIsA\t[H] is a [MASK] [MASK].", /line 2: the template of IsA has 2 \[MASK\]/],
      ["relation\ttemplate\nIsA\tit is a [MASK].", /line 2: the template of IsA has 0 \[H\]/],
      ["relation\ttemplate\nIsA\t[H] is [MASK]\nIsA\t[H] is a [MASK]", /line 3: IsA has a template already/],
      ["relation\ttemplate\nIsA [H] is [MASK]", /line 2: expected two tab-separated columns/],
      ["", /the file is empty/],
    ] as const
  ) {
    assert.throws(() => parseProbeTemplates(text === "" ? [] : text.split("\n"), "t.tsv"), message);
  }
});

Deno.test("facts: malformed rows, duplicates, missing templates, multi-token and unknown tails are counted", async () => {
  const dir = await tempDir("probe_facts_");
  const rows = [
    "IsA\tcat\tdog\t1", // kept
    "IsA\tcat\tdog\t1", // duplicate
    "IsA\tdog\tcat\t0", // a negative: ignored
    "IsA\tcat\tice cream\t1", // two tokens
    "IsA\tcat\tzebra\t1", // [UNK]
    "IsA\tcat\t[MASK]\t1", // an unscored token
    "AtLocation\tdog\tpark\t1", // kept
    "AtLocation\tthe cat sat on the mat and the dog ran to the park\tpark\t1", // too long
    "Causes\tice\tcold\t1", // no template
    "", // blank
    "IsA\tcat\tdog", // three columns
    "IsA\tcat\tdog\tyes", // bad label
    "\tcat\tdog\t1", // empty relation
    "IsA\t[MASK]\tdog\t1", // a head holding [MASK]
  ];
  await Deno.writeTextFile(`${dir}/a.txt`, rows.join("\n") + "\n");
  await Deno.writeTextFile(`${dir}/b.txt`, "AtLocation\tdog\tpark\t1\nIsA\tmat\tcat\t1");
  const { facts, report } = await readProbeFacts([`${dir}/a.txt`, `${dir}/b.txt`], {
    tokenizer: hfTok,
    templates: parseProbeTemplates(TEMPLATES.split("\n"), "t"),
    scored: scoredTokens(hfTok.vocab),
    maxTokens: 16,
  });
  assert.deepEqual(facts.map((f) => [f.relation, f.head, f.tail, f.source.slice(dir.length + 1)]), [
    ["IsA", "cat", "dog", "a.txt:1"],
    ["AtLocation", "dog", "park", "a.txt:7"],
    ["IsA", "mat", "cat", "b.txt:2"],
  ]);
  const f = facts[1]!;
  assert.equal(f.text, "the dog ran to the [MASK].");
  assert.deepEqual([...f.ids], [3, 6, 12, 13, 14, 6, 5, 17, 4]); // [CLS] the dog ran to the [MASK] . [SEP]
  assert.equal(f.mask, 6);
  assert.equal(f.gold, hfTok.vocab.id("park"));
  const zero = {
    read: 0,
    kept: 0,
    malformed: 0,
    duplicate: 0,
    noTemplate: 0,
    tailNotInVocab: 0,
    multiTokenTail: 0,
    tooLong: 0,
  };
  assert.deepEqual(report.relations, {
    "(none)": { ...zero, read: 1, malformed: 1 },
    AtLocation: { ...zero, read: 3, kept: 1, tooLong: 1, duplicate: 1 },
    Causes: { ...zero, read: 1, noTemplate: 1 },
    IsA: {
      ...zero,
      read: 9,
      kept: 2,
      duplicate: 1,
      multiTokenTail: 1,
      tailNotInVocab: 2,
      malformed: 3,
    },
  });
  assert.deepEqual(report.total, {
    ...zero,
    read: 14,
    kept: 3,
    duplicate: 2,
    noTemplate: 1,
    tailNotInVocab: 2,
    multiTokenTail: 1,
    tooLong: 1,
    malformed: 4,
  });
  assert.deepEqual(report.files.map(({ path: _, ...c }) => c), [
    { lines: 14, blank: 1, positives: 8, negatives: 1, malformed: 4 },
    { lines: 2, blank: 0, positives: 2, negatives: 0, malformed: 0 },
  ]);
  assert.deepEqual(report.malformedRows.map((m) => m.source.slice(dir.length + 1)), [
    "a.txt:11",
    "a.txt:12",
    "a.txt:13",
    "a.txt:14",
  ]);
  assert.match(report.malformedRows[1]!.reason, /label must be 0 or 1, got "yes"/);
});

Deno.test("baselines: unigram counts of a corpus, one-token tails per relation, prior then unigram order", async () => {
  const dir = await tempDir("probe_baselines_");
  await Deno.writeTextFile(
    `${dir}/corpus.txt`,
    "the cat sat on the mat .\n\nthe dog ran to the park . the dog\n",
  );
  await Deno.writeTextFile(
    `${dir}/train.txt`,
    "IsA\tx\tdog\t1.5\nIsA\ty\tdog\t2\nIsA\tz\tcat\t1\nIsA\tw\tice cream\t1\nIsA\tv\tzebra\t1\nbad line\nAtLocation\tq\tpark\t3\n",
  );
  const scored = scoredTokens(hfTok.vocab);
  const counts = await countCorpusTokens([`${dir}/corpus.txt`], hfTok);
  const id = (t: string) => hfTok.vocab.id(t)!;
  assert.deepEqual([counts[id("the")], counts[id("dog")], counts[id("cat")], counts[id("cold")]], [
    5,
    2,
    1,
    0,
  ]);
  const unigram = frequencyRanks(counts, scored);
  assert.equal(unigram[id("the")], 1);
  assert.equal(unigram[id("dog")], 2); // "." also occurs twice, but has the higher id
  assert.equal(unigram[id(".")], 3);
  const tails = await countRelationTails(`${dir}/train.txt`, hfTok, scored);
  assert.deepEqual([tails.rows, tails.counted, tails.malformed], [7, 4, 1]);
  const isA = relationPriorRanks(tails.counts.get("IsA")!, scored, unigram);
  assert.deepEqual([isA[id("dog")], isA[id("cat")], isA[id("the")], isA[id(".")]], [1, 2, 3, 4]);
  // A relation without tails falls back to unigram order.
  assert.deepEqual(relationPriorRanks(tails.counts.get("Causes") ?? null, scored, unigram), unigram);
});

// The HF fixture's random BertForMaskedLM, probed on facts whose words are in its 23-token vocab.
const HF_FACTS = [
  "IsA\tcat\tdog\t1",
  "IsA\tdog\tcat\t1",
  "IsA\tice cream\tcold\t1",
  "AtLocation\tdog\tpark\t1",
  "AtLocation\tcat\tmat\t1",
  "AtLocation\tcat\tpark\t1",
  "HasA\tcat\tmat\t1",
].join("\n");

async function hfInputs(): Promise<Partial<ProbeSettings>> {
  const dir = await tempDir("probe_hf_");
  await Deno.writeTextFile(`${dir}/facts.txt`, HF_FACTS + "\n");
  await Deno.writeTextFile(`${dir}/templates.tsv`, TEMPLATES);
  await Deno.writeTextFile(`${dir}/corpus.txt`, "the cat sat on the mat . the dog ran to the park .\n");
  await Deno.writeTextFile(`${dir}/train.txt`, "IsA\tx\tdog\t1\nAtLocation\ty\tpark\t1\n");
  return {
    model: HF,
    facts: [`${dir}/facts.txt`],
    templates: `${dir}/templates.tsv`,
    corpus: [`${dir}/corpus.txt`],
    conceptnet: `${dir}/train.txt`,
    backend: "cpu",
    batch: 4,
    resamples: 200,
  };
}

async function probeHf(gpu?: Gpu): Promise<ProbeRun & { log: string[] }> {
  const log: string[] = [];
  const out = `${await tempDir("probe_hf_out_")}/out`;
  const run = await runProbe(
    { ...(await hfInputs()), out, ...(gpu ? { backend: gpu.backend } : {}) },
    { log: (l) => log.push(l), progress: { tty: false, log: () => {} }, ...(gpu ? { gpu } : {}) },
  );
  return { ...run, log };
}

Deno.test("the HF fixture through runProbe: ranks and top-10 agree with fillMask's top-k, files written", async () => {
  const { results, predictions, log } = await probeHf();
  assert.equal(predictions.length, 6);
  assert.equal(results.counts.total.noTemplate, 1); // HasA
  const scored = scoredTokens(hfTok.vocab);
  for (const p of predictions) {
    const filled = await fillMask({ model: HF, text: p.text, top_k: 23, backend: "cpu" }, { log: () => {} });
    const order = filled.masks[0]!.top.filter((t) => scored[t.id] === 1).map((t) => t.token);
    assert.equal(order.length, 17);
    assert.equal(p.rank, order.indexOf(p.gold) + 1, `${p.text} -> ${p.gold}`);
    assert.deepEqual(p.top, order.slice(0, 10), p.text);
    // The probability too, so that a sentence read differently in a padded batch shows.
    const prob = filled.masks[0]!.top.find((t) => t.token === p.gold)!.prob;
    assert.ok(Math.abs(p.prob - prob) <= 1e-5 * prob, `${p.text}: probability ${p.prob}, fill-mask ${prob}`);
  }
  // Baselines by hand. Unigram: the (4), . (2), then the words seen once by id (cat 3, sat, on,
  // mat 6, dog 7, ran, to, park 10), then the rest by id (cold last, 17). The prior puts IsA's one
  // tail (dog) and AtLocation's (park) first, then the unigram order.
  assert.deepEqual(predictions.map((p) => [p.gold, p.unigramRank, p.relationPriorRank]), [
    ["dog", 7, 1],
    ["cat", 3, 4],
    ["cold", 17, 17],
    ["park", 10, 1],
    ["mat", 6, 7],
    ["park", 10, 1],
  ]);
  // The files: predictions.tsv one line per fact, results.json exactly what was returned.
  const tsv = (await Deno.readTextFile(`${results.out}/predictions.tsv`)).trimEnd().split("\n");
  assert.equal(tsv[0], PROBE_PREDICTION_COLUMNS.join("\t"));
  assert.equal(tsv.length, 7);
  assert.equal(tsv[1]!.split("\t")[4], String(predictions[0]!.rank));
  assert.equal(tsv[1]!.split("\t")[5], predictions[0]!.prob.toPrecision(6));
  const json = JSON.parse(await Deno.readTextFile(`${results.out}/results.json`));
  assert.deepEqual(json, JSON.parse(JSON.stringify(results)));
  assert.equal(results.overall.facts, 6);
  assert.deepEqual(Object.keys(results.relations), ["AtLocation", "IsA"]);
  assert.equal(results.relations.IsA!.facts, 3);
  assert.equal(results.overall.model.precisionAt10.value, predictions.filter((p) => p.rank <= 10).length / 6);
  const report = formatProbeReport(results);
  assert.match(report, /^probe: 6 of 7 facts scored; skipped: 1 no template\n/);
  assert.match(report, /\nall +7 +6 {2}\.\d{3} \[/);
  assert.match(report, /\nHasA +1 +0\n/);
  assert.ok(log.some((l) => l.includes("backend cpu")), log.join("\n"));
});

gpuTest("the probe on the device gives the CPU's ranks", async (g) => {
  const cpu = await probeHf();
  const gpu = await probeHf(g);
  assert.deepEqual(gpu.predictions.map((p) => [p.rank, p.top]), cpu.predictions.map((p) => [p.rank, p.top]));
  assert.equal(gpu.results.device.backend, g.backend);
});

// A tiny BERT over a 30-token vocab, trained on the CPU until it fills in six templated facts, and
// saved as this project saves: the probe must then rank every gold tail first.
const MEMO_VOCAB = [
  "[PAD]",
  "[UNK]",
  "[CLS]",
  "[SEP]",
  "[MASK]",
  "[unused0]",
  "is",
  "a",
  "can",
  ".",
  "the",
  "robin",
  "trout",
  "cat",
  "dog",
  "bird",
  "fish",
  "mammal",
  "bark",
  "fly",
  "swim",
  "meow",
  "animal",
  "water",
  "tree",
];
const MEMO_FACTS: [string, string, string][] = [
  ["IsA", "robin", "bird"],
  ["IsA", "trout", "fish"],
  ["IsA", "cat", "mammal"],
  ["CapableOf", "dog", "bark"],
  ["CapableOf", "robin", "fly"],
  ["CapableOf", "trout", "swim"],
];

Deno.test("a tiny BERT trained on templated facts scores P@1 = 1 on them", async () => {
  const dir = await tempDir("probe_memo_");
  await Deno.writeTextFile(`${dir}/vocab.txt`, MEMO_VOCAB.join("\n") + "\n");
  const tok = await BertTokenizer.load(`${dir}/vocab.txt`);
  const id = (t: string) => tok.vocab.id(t)!;
  // The training sentences, built here independently of the probe's own code.
  const sentence = (
    rel: string,
    head: string,
  ) => (rel === "IsA" ? `${head} is a [MASK].` : `${head} can [MASK].`);
  const seqs = MEMO_FACTS.map(([rel, head]) => tok.encode(sentence(rel, head)).ids);
  const S = Math.max(...seqs.map((s) => s.length));
  const B = seqs.length;
  const batch: HostBatch = {
    ids: Int32Array.from(seqs.flatMap((s) => [...s, ...new Array(S - s.length).fill(0)])),
    typeIds: new Int32Array(B * S),
    attentionMask: Int32Array.from(
      seqs.flatMap((s) => [...s.map(() => 1), ...new Array(S - s.length).fill(0)]),
    ),
    positions: Int32Array.from(seqs.map((s, b) => b * S + s.indexOf(id("[MASK]")))),
    labels: Int32Array.from(MEMO_FACTS.map(([, , tail]) => id(tail))),
  };
  const config = bertPreset("tiny", {
    vocab_size: MEMO_VOCAB.length,
    hidden_size: 32,
    num_attention_heads: 2,
    intermediate_size: 64,
    max_position_embeddings: 16,
  });
  const ops = cpuOps();
  const model = new BertMlm(ops, bertShape(config), { batch: B, seq: S, predictions: B });
  ops.write(model.params, initialParameters(model.layout, config.initializer_range, 3));
  const trainer = new MlmTrainer(ops, model, { weightDecay: 0 });
  let loss = Infinity;
  for (let s = 0; s < 400 && loss > 0.01; s++) loss = (await trainer.trainStep(batch, 3e-3)).loss;
  assert.ok(loss <= 0.01, `the tiny BERT did not learn the facts: loss ${loss}`);
  await saveBertDir(`${dir}/model`, { ops, model, config, vocabPath: `${dir}/vocab.txt` });

  await Deno.writeTextFile(
    `${dir}/facts.txt`,
    MEMO_FACTS.map(([r, h, t]) => `${r}\t${h}\t${t}\t1\n${r}\t${h}\ttree\t0\n`).join(""),
  );
  await Deno.writeTextFile(
    `${dir}/templates.tsv`,
    "relation\ttemplate\nIsA\t[H] is a [MASK].\nCapableOf\t[H] can [MASK].\n",
  );
  await Deno.writeTextFile(`${dir}/corpus.txt`, "the cat is a animal . the dog is a animal . water\n");
  await Deno.writeTextFile(`${dir}/train.txt`, "IsA\tdog\tanimal\t1\nCapableOf\tfish\tswim\t1\n");
  const { results, predictions } = await runProbe({
    model: `${dir}/model`,
    facts: [`${dir}/facts.txt`],
    templates: `${dir}/templates.tsv`,
    corpus: [`${dir}/corpus.txt`],
    conceptnet: `${dir}/train.txt`,
    out: `${dir}/out`,
    backend: "cpu",
    batch: 4, // two passes, the second padded
  }, { log: () => {}, progress: { tty: false, log: () => {} } });
  assert.deepEqual(predictions.map((p) => [p.gold, p.rank]), MEMO_FACTS.map(([, , t]) => [t, 1]));
  assert.equal(results.overall.model.precisionAt1.value, 1);
  assert.deepEqual(results.overall.model.precisionAt1, { value: 1, low: 1, high: 1 });
  assert.equal(results.relations.CapableOf!.model.mrr.value, 1);
  assert.ok(results.overall.unigram.precisionAt1.value < 1);
  assert.ok(results.overall.modelMinusUnigram.mrr.value > 0);
});

Deno.test("deno task probe: --json prints results.json; exit 1 without vocab.txt or facts; exit 2 for a full --out", async () => {
  const inputs = await hfInputs();
  const dir = await tempDir("probe_task_");
  const args = [
    "--templates",
    inputs.templates!,
    "--corpus",
    inputs.corpus![0]!,
    "--conceptnet",
    inputs.conceptnet!,
    "--backend",
    "cpu",
    "--resamples",
    "100",
  ];
  const ok = await task("--model", HF, "--facts", inputs.facts![0]!, "--out", `${dir}/ok`, "--json", ...args);
  assert.equal(ok.code, 0, ok.errors.join("\n"));
  assert.deepEqual(
    JSON.parse(ok.stdout),
    JSON.parse(await Deno.readTextFile(`${dir}/ok/results.json`)),
  );

  // The same --out again: it holds files now.
  const full = await task("--model", HF, "--facts", inputs.facts![0]!, "--out", `${dir}/ok`, ...args);
  assert.equal(full.code, 2);
  assert.deepEqual(full.errors, [`error: probe: --out "${dir}/ok" is not empty; give a new or empty folder`]);

  // A model without vocab.txt: exit 1 naming it, no fall-back to the shipped vocab.
  await Deno.mkdir(`${dir}/novocab`);
  for (const f of ["config.json", "model.safetensors"]) {
    await Deno.copyFile(`${HF}/${f}`, `${dir}/novocab/${f}`);
  }
  const novocab = await task("--model", `${dir}/novocab`, "--facts", inputs.facts![0]!, ...args);
  assert.equal(novocab.code, 1);
  assert.equal(novocab.errors.length, 1, novocab.errors.join("\n"));
  assert.match(novocab.errors[0]!, new RegExp(`"${dir}/novocab": it has no vocab\\.txt`));

  // An empty facts file, and one whose facts the model cannot be asked: exit 1 naming the file.
  await Deno.writeTextFile(`${dir}/empty.txt`, "");
  const empty = await task("--model", HF, "--facts", `${dir}/empty.txt`, ...args);
  assert.equal(empty.code, 1);
  assert.deepEqual(empty.errors, [`error: Cannot probe: no true facts (label 1) in "${dir}/empty.txt"`]);
  await Deno.writeTextFile(`${dir}/unknown.txt`, "IsA\tzebra\tanimal\t1\nIsA\tcat\tdog\t0\n");
  const none = await task("--model", HF, "--facts", `${dir}/unknown.txt`, ...args);
  assert.equal(none.code, 1);
  assert.equal(none.errors.length, 1);
  assert.match(
    none.errors[0]!,
    /none of the 1 facts in ".*unknown\.txt" can be asked \(1 tail not in vocab\)/,
  );
});
