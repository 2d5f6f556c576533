import assert from "node:assert/strict";
import { cpuOps } from "../core/ops.ts";
import { type BertConfig, bertPreset } from "../core/bert/config.ts";
import { BertClassifier } from "../core/bert/classifier.ts";
import { BertMlm, initialParameters } from "../core/bert/model.ts";
import { bertShape } from "../core/bert/shape.ts";
import { saveBertClassifierDir, saveBertDir } from "../core/checkpoint/bert_dir.ts";
import { GLUE_TASKS } from "../glue/tasks.ts";
import { DEV_PREDICTIONS_HEADER, SUBMISSION_HEADER } from "../glue/predictions.ts";
import type { GlueResults } from "../glue/results.ts";
import { GLUE_SUBMISSION_NAMES, GLUE_TEST_SETS } from "../glue/sets.ts";
import { readCommand } from "../config/command.ts";
import { GLUE_COMMAND, type GlueCommandIo, main } from "../tasks/glue.ts";
import { assertClose, gpuTest, messageOf, seededRandom } from "./_helpers.ts";
import type { Gpu } from "../core/device.ts";
import { BertTokenizer } from "../data/tokenizer.ts";
import { SAMPLE_GLUE } from "../data/samples.ts";
import { findTaskFiles, loadTaskSets } from "../glue/task_data.ts";

const ROOT = new URL("..", import.meta.url);

// ---------------------------------------------------------------------------------------------
// A GLUE folder with every task, a few rows each, in download_glue_data.py's layouts

const WORDS = [
  "the",
  "a",
  "cat",
  "dog",
  "sat",
  "ran",
  "good",
  "bad",
  "film",
  "is",
  "not",
  "very",
  "on",
  "mat",
];
const TRAIN = 8, DEV = 6, TEST = 5;
const NLI = ["contradiction", "entailment", "neutral"];
const QNLI = ["entailment", "not_entailment"];

function sentences(seed: number): () => string {
  const r = seededRandom(seed);
  return () =>
    Array.from({ length: 2 + Math.floor(r() * 6) }, () => WORDS[Math.floor(r() * WORDS.length)]).join(" ");
}

/** Gold labels of the fixture, per file, as the strings written. */
type Gold = Record<string, string[]>;

async function writeGlueFixture(root: string): Promise<Gold> {
  const s = sentences(1);
  const r = seededRandom(2);
  const gold: Gold = {};
  const files: Record<string, string[]> = {};
  const put = (path: string, header: string | null, rows: string[]) => {
    files[path] = header === null ? rows : [header, ...rows];
  };
  const rows = (n: number, make: (i: number) => string) => Array.from({ length: n }, (_, i) => make(i));
  const labels = (path: string, n: number, vocab: string[]) =>
    gold[path] = Array.from({ length: n }, (_, i) => vocab[(i + Math.floor(r() * 2)) % vocab.length]!);
  const binary = ["0", "1"];
  const mnli12 = "index\tpromptID\tpairID\tgenre\tb1\tb2\tp1\tp2\tsentence1\tsentence2\tlabel1\tgold_label";
  const mnli16 = "index\tpromptID\tpairID\tgenre\tb1\tb2\tp1\tp2\tsentence1\tsentence2\t" +
    "label1\tlabel2\tlabel3\tlabel4\tlabel5\tgold_label";
  const mnli10 = "index\tpromptID\tpairID\tgenre\tb1\tb2\tp1\tp2\tsentence1\tsentence2";
  const stsHeader = "index\tgenre\tfilename\tyear\told_index\tsource1\tsource2\tsentence1\tsentence2";
  for (const [split, n] of [["train", TRAIN], ["dev", DEV]] as const) {
    const base = split === "dev" ? 1000 : 0; // dev index columns differ from row numbers
    let g = labels(`CoLA/${split}`, n, binary);
    put(`CoLA/${split}.tsv`, null, rows(n, (i) => `gj04\t${g[i]}\t${g[i] === "0" ? "*" : ""}\t${s()}`));
    g = labels(`SST-2/${split}`, n, binary);
    put(`SST-2/${split}.tsv`, "sentence\tlabel", rows(n, (i) => `${s()} \t${g[i]}`));
    g = labels(`MRPC/${split}`, n, binary);
    put(
      `MRPC/${split}.tsv`,
      "\ufeffQuality\t#1 ID\t#2 ID\t#1 String\t#2 String",
      rows(n, (i) => `${g[i]}\t${i}\t${i + 1}\t${s()}\t${s()}`),
    );
    gold[`STS-B/${split}`] = rows(n, (i) => ((i * 7 + (split === "dev" ? 3 : 0)) % 11 / 2).toFixed(3));
    put(
      `STS-B/${split}.tsv`,
      `${stsHeader}\tscore`,
      rows(
        n,
        (i) =>
          `${base + i}\tmain-news\theadlines\t2016\t${i}\tnone\tnone\t${s()}\t${s()}\t${
            gold[`STS-B/${split}`]![i]
          }`,
      ),
    );
    g = labels(`QQP/${split}`, n, binary);
    put(
      `QQP/${split}.tsv`,
      "id\tqid1\tqid2\tquestion1\tquestion2\tis_duplicate",
      rows(n, (i) => `${base + i}\t1\t2\t${s()} ?\t${s()} ?\t${g[i]}`),
    );
    for (const [task, vocab] of [["QNLI", QNLI], ["RTE", QNLI], ["WNLI", binary]] as const) {
      g = labels(`${task}/${split}`, n, [...vocab]);
      put(
        `${task}/${split}.tsv`,
        task === "QNLI" ? "index\tquestion\tsentence\tlabel" : "index\tsentence1\tsentence2\tlabel",
        rows(n, (i) => `${base + i}\t${s()}\t${s()}\t${g[i]}`),
      );
    }
  }
  const p4 = "(a)\t(b)\t(c)\t(d)";
  let g = labels("MNLI/train", TRAIN, NLI);
  put(
    "MNLI/train.tsv",
    mnli12,
    rows(TRAIN, (i) => `${i}\t1\t1e\tgov\t${p4}\t${s()}\t${s()}\t${g[i]}\t${g[i]}`),
  );
  for (const split of ["dev_matched", "dev_mismatched"]) {
    g = labels(`MNLI/${split}`, DEV, NLI);
    put(
      `MNLI/${split}.tsv`,
      mnli16,
      rows(DEV, (i) => `${1000 + i}\t1\t1e\tfiction\t${p4}\t${s()}\t${s()}\tx\tx\tx\tx\tx\t${g[i]}`),
    );
  }
  for (const split of ["test_matched", "test_mismatched"]) {
    put(`MNLI/${split}.tsv`, mnli10, rows(TEST, (i) => `${i}\t1\t1e\tgov\t${p4}\t${s()}\t${s()}`));
  }
  put("CoLA/test.tsv", "index\tsentence", rows(TEST, (i) => `${i}\t${s()}`));
  put("SST-2/test.tsv", "index\tsentence", rows(TEST, (i) => `${i}\t${s()}`));
  put(
    "MRPC/test.tsv",
    "index\t#1 ID\t#2 ID\t#1 String\t#2 String",
    rows(TEST, (i) => `${i}\t1\t2\t${s()}\t${s()}`),
  );
  put(
    "STS-B/test.tsv",
    stsHeader,
    rows(TEST, (i) => `${i}\tmain-news\theadlines\t2016\t${i}\tnone\tnone\t${s()}\t${s()}`),
  );
  put("QQP/test.tsv", "id\tquestion1\tquestion2", rows(TEST, (i) => `${i}\t${s()} ?\t${s()} ?`));
  for (const task of ["QNLI", "RTE", "WNLI"]) {
    put(
      `${task}/test.tsv`,
      task === "QNLI" ? "index\tquestion\tsentence" : "index\tsentence1\tsentence2",
      rows(TEST, (i) => `${i}\t${s()}\t${s()}`),
    );
  }
  put("diagnostic/diagnostic.tsv", "index\tsentence1\tsentence2", rows(TEST, (i) => `${i}\t${s()}\t${s()}`));
  for (const [path, lines] of Object.entries(files)) {
    await Deno.mkdir(`${root}/${path.slice(0, path.lastIndexOf("/"))}`, { recursive: true });
    await Deno.writeTextFile(`${root}/${path}`, lines.join("\n") + "\n");
  }
  return gold;
}

const VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "?", "(", ")", ...WORDS];
const CONFIG: BertConfig = bertPreset("tiny", {
  vocab_size: VOCAB.length,
  hidden_size: 16,
  num_attention_heads: 2,
  intermediate_size: 32,
  num_hidden_layers: 1,
  max_position_embeddings: 64,
});

interface Fixture {
  root: string;
  glue: string;
  model: string;
  gold: Gold;
}

async function makeFixture(): Promise<Fixture> {
  const root = await Deno.makeTempDir({ prefix: "glue_task_test_" });
  globalThis.addEventListener("unload", () => Deno.removeSync(root, { recursive: true }));
  const glue = `${root}/glue`;
  const gold = await writeGlueFixture(glue);
  await Deno.writeTextFile(`${root}/vocab.txt`, VOCAB.join("\n") + "\n");
  const ops = cpuOps();
  const model = new BertMlm(ops, bertShape(CONFIG), { batch: 1, seq: 4, predictions: 1 });
  ops.write(model.params, initialParameters(model.layout, CONFIG.initializer_range, 1));
  await saveBertDir(`${root}/model`, { ops, model, config: CONFIG, vocabPath: `${root}/vocab.txt` });
  return { root, glue, model: `${root}/model`, gold };
}

let fixture: Promise<Fixture> | undefined;
const setup = () => fixture ??= makeFixture();

/** Runs the CLI's parse + run in this process, collecting the log and the output. */
async function glue(
  args: string[],
  extra: GlueCommandIo = {},
): Promise<{ results: GlueResults; log: string[]; out: string }> {
  const log: string[] = [];
  let out = "";
  const read = await readCommand(GLUE_COMMAND, args);
  if (read === "help") throw new Error("help");
  const results = await main(read, {
    log: (line) => log.push(line),
    write: (text) => {
      out += text;
      return Promise.resolve();
    },
    progress: { tty: false, log: () => {} },
    ...extra,
  });
  return { results, log, out };
}

function seqOf(summary: string): number {
  return Number(/padded to (\d+) tokens/.exec(summary)![1]);
}

async function readTsv(path: string): Promise<string[][]> {
  const text = await Deno.readTextFile(path);
  assert.ok(text.endsWith("\n"), `${path} ends with a newline`);
  return text.slice(0, -1).split("\n").map((l) => l.split("\t"));
}

const TRAIN_ARGS = ["--batch", "4", "--epochs", "1", "--lr", "1e-3", "--backend", "cpu"];

let allTasks: Promise<{ results: GlueResults; log: string[]; out: string; dir: string }> | undefined;
const runAllTasks = () =>
  allTasks ??= (async () => {
    const f = await setup();
    const dir = `${f.root}/all`;
    return {
      ...(await glue([
        "--model",
        f.model,
        "--data",
        f.glue,
        "--out",
        dir,
        "--save-models",
        "--json",
        ...TRAIN_ARGS,
      ])),
      dir,
    };
  })();

// ---------------------------------------------------------------------------------------------

Deno.test("glue runs all nine tasks end to end through the CLI and writes every file", async () => {
  const f = await setup();
  const { results, out, dir } = await runAllTasks();
  assert.deepEqual(Object.keys(results.tasks), [
    "CoLA",
    "SST-2",
    "MRPC",
    "STS-B",
    "QQP",
    "MNLI",
    "QNLI",
    "RTE",
    "WNLI",
  ]);
  assert.deepEqual(results.missing, []);
  for (const a of Object.values(results.aggregates)) assert.equal(a.partial, false, a.name);
  // --json prints results.json's content on one line.
  assert.deepEqual(JSON.parse(out), results);
  assert.deepEqual(JSON.parse(await Deno.readTextFile(`${dir}/results.json`)), results);
  assert.match(await Deno.readTextFile(`${dir}/results.md`), /^# GLUE dev results/);
  assert.equal(results.tasks.RTE!.hyperparameters.trainExamples, TRAIN);
  assert.equal(results.tasks.RTE!.hyperparameters.batchSize, 4);

  // Dev predictions: header, one row per dev example with the file's index, gold labels as strings;
  // the metrics recomputed from the file equal those reported.
  const devFiles: [string, string, string][] = [
    ["CoLA", "CoLA/dev", "CoLA"],
    ["SST-2", "SST-2/dev", "SST-2"],
    ["MRPC", "MRPC/dev", "MRPC"],
    ["STS-B", "STS-B/dev", "STS-B"],
    ["QQP", "QQP/dev", "QQP"],
    ["MNLI-m", "MNLI/dev_matched", "MNLI"],
    ["MNLI-mm", "MNLI/dev_mismatched", "MNLI"],
    ["QNLI", "QNLI/dev", "QNLI"],
    ["RTE", "RTE/dev", "RTE"],
    ["WNLI", "WNLI/dev", "WNLI"],
  ];
  for (const [set, goldKey, task] of devFiles) {
    const [header, ...body] = await readTsv(`${dir}/predictions/${set}-dev.tsv`);
    assert.equal(header!.join("\t"), DEV_PREDICTIONS_HEADER, set);
    assert.equal(body.length, DEV, set);
    const indexed = !["CoLA", "SST-2", "MRPC"].includes(task);
    assert.deepEqual(
      body.map((r) => r[0]),
      Array.from({ length: DEV }, (_, i) => String(indexed ? 1000 + i : i)),
      set,
    );
    if (set === "STS-B") {
      assert.deepEqual(body.map((r) => Number(r[2])), f.gold[goldKey]!.map(Number));
      assert.ok(body.every((r) => Number.isFinite(Number(r[1]))));
      continue;
    }
    assert.deepEqual(body.map((r) => r[2]), f.gold[goldKey], `${set} labels`);
    const labels = (GLUE_TASKS[task as "RTE"].output as { labels: readonly string[] }).labels;
    assert.ok(body.every((r) => labels.includes(r[1]!)), `${set} predictions in ${labels}`);
    if (!["CoLA", "MRPC", "QQP"].includes(task)) {
      const acc = body.filter((r) => r[1] === r[2]).length / DEV;
      assert.equal(results.tasks[task as "RTE"]!.metrics[set as "RTE"]!.accuracy, acc, `${set} accuracy`);
    }
  }

  // Submission files: the server's names, header, one row per test example, the label vocabulary.
  const vocab: Record<string, RegExp> = {
    "CoLA": /^[01]$/,
    "SST-2": /^[01]$/,
    "MRPC": /^[01]$/,
    "QQP": /^[01]$/,
    "WNLI": /^[01]$/,
    "STS-B": /^[0-5]\.\d{3}$/,
    "MNLI-m": /^(contradiction|entailment|neutral)$/,
    "MNLI-mm": /^(contradiction|entailment|neutral)$/,
    "AX": /^(contradiction|entailment|neutral)$/,
    "QNLI": /^(entailment|not_entailment)$/,
    "RTE": /^(entailment|not_entailment)$/,
  };
  const names = [...Deno.readDirSync(`${dir}/submission`)].map((e) => e.name).sort();
  assert.deepEqual(names, GLUE_SUBMISSION_NAMES.map((n) => `${n}.tsv`).sort());
  for (const name of GLUE_SUBMISSION_NAMES) {
    const [header, ...body] = await readTsv(`${dir}/submission/${name}.tsv`);
    assert.equal(header!.join("\t"), SUBMISSION_HEADER, name);
    assert.equal(body.length, TEST, name);
    assert.deepEqual(body.map((r) => r[0]), ["0", "1", "2", "3", "4"], name);
    for (const r of body) assert.match(r[1]!, vocab[name]!, `${name} prediction`);
    if (name === "STS-B") assert.ok(body.every((r) => Number(r[1]) >= 0 && Number(r[1]) <= 5));
  }
  const zip = await Deno.readFile(`${dir}/submission.zip`);
  assert.deepEqual([...zip.subarray(0, 4)], [0x50, 0x4b, 0x03, 0x04]);
  const text = new TextDecoder("latin1").decode(zip);
  for (const name of GLUE_SUBMISSION_NAMES) assert.ok(text.includes(`${name}.tsv`), `${name}.tsv in the zip`);
  assert.equal(GLUE_TEST_SETS.AX.model, "MNLI");
  // --save-models: one HuggingFace classifier per task, MNLI's labels in the readers' order.
  const mnli = JSON.parse(await Deno.readTextFile(`${dir}/models/MNLI/config.json`));
  assert.deepEqual(mnli.id2label, { "0": "contradiction", "1": "entailment", "2": "neutral" });
  assert.equal(
    JSON.parse(await Deno.readTextFile(`${dir}/models/STS-B/config.json`)).problem_type,
    "regression",
  );
});

Deno.test("glue --eval-only reproduces the fine-tuned models' dev metrics and prediction files", async () => {
  const f = await setup();
  const { results, dir } = await runAllTasks();
  const evalDir = `${f.root}/eval`;
  const { results: again, log } = await glue([
    "--eval-only",
    "--model",
    `${dir}/models`,
    "--data",
    f.glue,
    "--tasks",
    "rte,stsb,mnli",
    "--batch",
    "3",
    "--backend",
    "cpu",
    "--out",
    evalDir,
  ]);
  assert.ok(!log.some((l) => l.includes("newly initialized")), log.join("\n"));
  for (const task of ["RTE", "STS-B", "MNLI"] as const) {
    for (const [set, values] of Object.entries(results.tasks[task]!.metrics)) {
      for (const [metric, v] of Object.entries(values ?? {})) {
        assertClose([again.tasks[task]!.metrics[set as "RTE"]![metric as "accuracy"]!], [v], {
          rtol: 1e-5,
          atol: 1e-6,
        }, `${set} ${metric}`);
      }
    }
  }
  assert.equal(
    await Deno.readTextFile(`${evalDir}/predictions/MNLI-mm-dev.tsv`),
    await Deno.readTextFile(`${dir}/predictions/MNLI-mm-dev.tsv`),
  );
  assert.equal(again.tasks.RTE!.hyperparameters.evalOnly, true);
});

Deno.test("MNLI class ids follow the readers' order [contradiction, entailment, neutral] in every file", async () => {
  const f = await setup();
  for (const [cls, label] of [[1, "entailment"], [2, "neutral"]] as const) {
    // A classifier that always answers `cls`: zero weights, a large bias on that class.
    const ops = cpuOps();
    const model = new BertClassifier(ops, bertShape(CONFIG), { batch: 1, seq: 4 }, { numLabels: 3 });
    const params = initialParameters(model.layout, 0.02, 3);
    const w = model.layout.byName.get("classifier.weight")!, b = model.layout.byName.get("classifier.bias")!;
    params.fill(0, w.offset, w.offset + w.size);
    params.set(Array.from({ length: 3 }, (_, c) => (c === cls ? 10 : 0)), b.offset);
    ops.write(model.params, params);
    const dir = `${f.root}/always-${label}`;
    await saveBertClassifierDir(`${dir}/model`, {
      ops,
      model,
      config: CONFIG,
      labels: NLI,
      vocabPath: `${f.root}/vocab.txt`,
    });
    const { results } = await glue([
      "--eval-only",
      "--model",
      `${dir}/model`,
      "--data",
      f.glue,
      "--tasks",
      "mnli",
      "--backend",
      "cpu",
      "--out",
      `${dir}/out`,
    ]);
    for (const [set, key] of [["MNLI-m", "MNLI/dev_matched"], ["MNLI-mm", "MNLI/dev_mismatched"]] as const) {
      const [, ...body] = await readTsv(`${dir}/out/predictions/${set}-dev.tsv`);
      assert.deepEqual(body.map((r) => r[1]), new Array(DEV).fill(label), set);
      assert.deepEqual(body.map((r) => r[2]), f.gold[key]);
      const expected = f.gold[key]!.filter((g) => g === label).length / DEV;
      assert.equal(results.tasks.MNLI!.metrics[set]!.accuracy, expected, `${set} accuracy`);
    }
    for (const name of ["MNLI-m", "MNLI-mm", "AX"]) {
      const [, ...body] = await readTsv(`${dir}/out/submission/${name}.tsv`);
      assert.deepEqual(body.map((r) => r[1]), new Array(TEST).fill(label), name);
    }
  }
});

Deno.test("glue --max-train-examples trains on a printed seeded sample; --lr-grid and --seeds report mean and std", async () => {
  const f = await setup();
  const { results, log } = await glue([
    "--model",
    f.model,
    "--data",
    f.glue,
    "--tasks",
    "wnli",
    "--max-train-examples",
    "5",
    "--max-eval-examples",
    "4",
    "--lr-grid",
    "1e-3,1e-4",
    "--seeds",
    "2",
    "--out",
    `${f.root}/grid`,
    ...TRAIN_ARGS.filter((a, i, all) => a !== "--lr" && all[i - 1] !== "--lr"),
  ]);
  const summary = log.find((l) => l.startsWith("glue: WNLI: train"));
  const prefix =
    "glue: WNLI: train 5 of 8 (a seeded sample per seed), WNLI dev 4 of 6 (first rows), WNLI test 4 of 5 (first rows), ";
  assert.ok(summary?.startsWith(prefix), summary);
  const [, seq, longest] = /sequences padded to (\d+) tokens \(longest (\d+)\)$/.exec(summary!)!.map(Number);
  assert.ok(seq! % 8 === 0 && seq! >= longest! && seq! - longest! < 8, summary);

  const wnli = results.tasks.WNLI!;
  assert.equal(wnli.hyperparameters.seqLength, seqOf(summary!));
  assert.deepEqual(wnli.seeds, [1, 2]);
  assert.equal(wnli.trials!.length, 2);
  assert.deepEqual(wnli.trials!.map((t) => t.hyperparameters.lr), [1e-3, 1e-4]);
  assert.equal(wnli.hyperparameters.trainExamples, 5);
  assert.equal(wnli.n.WNLI, 4);
  const scores = wnli.runs.map((r) => r.score);
  const mean = (scores[0]! + scores[1]!) / 2;
  assert.equal(wnli.score, mean);
  assert.ok(Math.abs(wnli.scoreStd - Math.abs(scores[0]! - scores[1]!) / Math.SQRT2) < 1e-9);
  const best = wnli.trials!.reduce((a, t) => (t.score > a.score ? t : a));
  assert.equal(wnli.hyperparameters.lr, best.hyperparameters.lr);
  const [, ...body] = await readTsv(`${f.root}/grid/submission/WNLI.tsv`);
  assert.equal(body.length, 4);
});

Deno.test("glue without --model takes the latest pretrain checkpoint, or says to run pretrain first", async () => {
  const f = await setup();
  const runs = `${f.root}/runs`;
  await Deno.mkdir(runs);
  const message = await messageOf(() => glue(["--backend", "cpu"], { runsDir: runs }));
  assert.equal(
    message,
    `No pre-trained checkpoint in "${runs}" (<run>/checkpoint/model.safetensors): run \`deno task pretrain\` first or pass --model DIR`,
  );
  for (const name of ["20250101-000000-old", "20250102-000000-new", "20250103-000000-empty"]) {
    await Deno.mkdir(`${runs}/${name}/checkpoint`, { recursive: true });
  }
  for (const name of ["20250101-000000-old", "20250102-000000-new"]) {
    for (const file of ["config.json", "model.safetensors", "vocab.txt"]) {
      await Deno.copyFile(`${f.model}/${file}`, `${runs}/${name}/checkpoint/${file}`);
    }
  }
  await Deno.utime(`${runs}/20250101-000000-old/checkpoint/model.safetensors`, 1e9, 1e9);
  // The embedded default data (the shipped samples), with caps small enough for a test.
  const { results, log } = await glue(
    [
      "--tasks",
      "wnli",
      "--max-train-examples",
      "4",
      "--max-eval-examples",
      "4",
      "--out",
      `${f.root}/embedded`,
      ...TRAIN_ARGS,
    ],
    { runsDir: runs },
  );
  assert.ok(
    log[0]!.startsWith(`glue: model ${runs}/20250102-000000-new/checkpoint (the latest pretrain output`),
    log[0],
  );
  assert.ok(
    log.some((l) => l.includes("the shipped GLUE samples") && l.includes("--max-train-examples 4")),
    log.join("\n"),
  );
  assert.ok(
    log.some((l) => l.includes("WNLI: train 4 of 635 (a seeded sample per seed), WNLI dev 4 of 35")),
    log.join("\n"),
  );
  assert.equal(results.model, `${runs}/20250102-000000-new/checkpoint`);
});

Deno.test("glue fails with one line, a non-zero exit and nothing written on bad input", async () => {
  const f = await setup();
  await Deno.mkdir(`${f.root}/not-bert`, { recursive: true });
  await Deno.writeTextFile(`${f.root}/not-bert/notes.txt`, "hello\n");
  const out = `${f.root}/bad-out`;
  const cases: [string[], number, string][] = [
    [["--model", `${f.root}/nope`], 1, `error: Cannot load model "${f.root}/nope": no such directory`],
    [
      ["--model", `${f.root}/not-bert`],
      1,
      `error: Cannot read BERT config "${f.root}/not-bert/config.json": `,
    ],
    [
      ["--tasks", "mnli", "--data", `${f.root}/glue/RTE`],
      1,
      `error: Cannot read GLUE task MNLI: folder "${f.root}/glue/RTE/MNLI" not found`,
    ],
    [
      ["--tasks", "rte,foo"],
      2,
      `error: --tasks must be a list of 1 or more values from CoLA, SST-2, MRPC, STS-B, QQP, MNLI, QNLI, RTE, WNLI or none, got ["rte","foo"]`,
    ],
    [["--batch", "0"], 2, `error: --batch must be a positive integer, got 0`],
  ];
  await Promise.all(cases.map(async ([args, code, start]) => {
    const child = await new Deno.Command(Deno.execPath(), {
      args: [
        "task",
        "-q",
        "glue",
        "--model",
        f.model,
        "--data",
        f.glue,
        "--backend",
        "cpu",
        "--out",
        out,
        ...args,
      ],
      cwd: ROOT,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(child.stderr).trimEnd();
    assert.equal(child.code, code, `${args.join(" ")}: ${stderr}`);
    assert.equal(stderr.split("\n").length, 1, `one line: ${stderr}`);
    assert.ok(stderr.startsWith(start), `${args.join(" ")}: ${stderr}`);
    assert.equal(new TextDecoder().decode(child.stdout), "");
  }));
  await assert.rejects(Deno.stat(out), Deno.errors.NotFound);
});

gpuTest("glue fine-tunes on the device as on the CPU: STS-B predictions agree", async (gpu: Gpu) => {
  const f = await setup();
  const args = (
    out: string,
  ) => ["--model", f.model, "--data", f.glue, "--tasks", "stsb,rte", "--out", out, ...TRAIN_ARGS];
  await glue(args(`${f.root}/cpu-${gpu.backend}`));
  const { results } = await glue(args(`${f.root}/gpu-${gpu.backend}`), { gpu });
  const read = async (dir: string) =>
    (await readTsv(`${dir}/predictions/STS-B-dev.tsv`)).slice(1).map((r) => Number(r[1]));
  const cpu = await read(`${f.root}/cpu-${gpu.backend}`);
  const device = await read(`${f.root}/gpu-${gpu.backend}`);
  assertClose(device, cpu, { rtol: 1e-3, atol: 1e-4 }, `STS-B dev predictions [${gpu.backend}]`);
  assert.ok(Number.isFinite(results.tasks.RTE!.score));
  const [, ...body] = await readTsv(`${f.root}/gpu-${gpu.backend}/submission/RTE.tsv`);
  assert.equal(body.length, TEST);
});

Deno.test("with a cap and several seeds, each seed fine-tunes on its own seeded sample", async () => {
  const tok = await BertTokenizer.load();
  const files = await findTaskFiles(SAMPLE_GLUE, "RTE", { train: true });
  const { sets, summary } = await loadTaskSets(tok, files, {
    maxLength: 64,
    maxTrainExamples: 50,
    seeds: [1, 2],
  });
  assert.match(summary, /train 50 of 2490 \(a seeded sample per seed\)/);
  const one = sets.trainRows!.get(1)!, two = sets.trainRows!.get(2)!;
  assert.equal(one.length, 50);
  assert.equal(two.length, 50);
  assert.notDeepEqual([...one], [...two]);
  assert.equal(sets.train!.n, new Set([...one, ...two]).size, "the union is encoded once");
  // The same seeds draw the same samples.
  const again = await loadTaskSets(tok, files, { maxLength: 64, maxTrainExamples: 50, seeds: [2] });
  const rowsOf = (s: typeof sets, seed: number) => [...s.trainRows!.get(seed)!].map((i) => s.train!.index[i]);
  assert.deepEqual(rowsOf(again.sets, 2), rowsOf(sets, 2));
});
