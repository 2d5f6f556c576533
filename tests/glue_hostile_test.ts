import assert from "node:assert/strict";
import { cpuOps } from "../core/ops.ts";
import { type BertConfig, bertPreset } from "../core/bert/config.ts";
import { BertMlm, initialParameters } from "../core/bert/model.ts";
import { bertShape } from "../core/bert/shape.ts";
import { saveBertDir } from "../core/checkpoint/bert_dir.ts";
import { readCommand } from "../config/command.ts";
import { buildAllResults } from "../glue/all_results.ts";
import { exampleLoss } from "../glue/finetune.ts";
import { parseGlue, readGlue } from "../glue/read.ts";
import { buildResults, type GlueResults, summarizeTask } from "../glue/results.ts";
import { checkTaskFiles, findTaskFiles } from "../glue/task_data.ts";
import {
  GLUE_TASK_NAMES,
  GLUE_TASKS,
  type GlueSplit,
  type GlueTaskName,
  isTestSplit,
} from "../glue/tasks.ts";
import { GLUE_COMMAND, main } from "../tasks/glue.ts";
import { messageOf, runTaskFile } from "./_helpers.ts";

const SHIPPED = new URL("../data/glue", import.meta.url).pathname;

/** Writes `files` (path relative to the GLUE root -> text) under a fresh temp folder. */
async function tempGlue(files: Record<string, string>): Promise<string> {
  const root = await Deno.makeTempDir({ prefix: "glue_hostile_" });
  for (const [path, body] of Object.entries(files)) {
    await Deno.mkdir(`${root}/${path.slice(0, path.lastIndexOf("/"))}`, { recursive: true });
    await Deno.writeTextFile(`${root}/${path}`, body);
  }
  return root;
}

/** The error `promise` rejects with; fails when it resolves or the message is not one line. */
async function errorOf(promise: Promise<unknown>): Promise<string> {
  const message = await messageOf(() => promise);
  assert.ok(!message.includes("\n"), `one line: ${message}`);
  return message;
}

const SST_HEADER = "sentence\tlabel";
const RTE_HEADER = "index\tsentence1\tsentence2\tlabel";

Deno.test("the header table matches line 1 of every shipped GLUE file that has a header", async () => {
  let checked = 0;
  for (const task of GLUE_TASK_NAMES) {
    const t = GLUE_TASKS[task];
    for (const [split, files] of Object.entries(t.files) as [GlueSplit, string[]][]) {
      for (const file of files) {
        const path = `${SHIPPED}/${file}`;
        let text: string;
        try {
          text = await Deno.readTextFile(path);
        } catch {
          continue; // not shipped
        }
        const first = text.slice(0, text.indexOf("\n")).replace(/^\uFEFF/, "").replace(/\r$/, "");
        const layout = isTestSplit(split) ? t.test : t.labeled;
        if (layout.header) assert.equal(first, t.columns[split]!.join("\t"), path);
        else assert.equal(first.split("\t").length, t.columns[split]!.length, path);
        checked++;
      }
    }
  }
  assert.ok(checked >= 13, `${checked} shipped files checked`);
});

Deno.test("a train file without its header fails on line 1 naming the expected header, losing no row", async () => {
  const root = await tempGlue({
    "SST-2/train.tsv": "hide new secretions \t0\ngood film\t1\n",
    "MRPC/train.tsv": "1\t702876\t702977\tAmrozi accused his brother .\tReferring to him .\n",
    "MNLI/dev_matched.tsv": "0\t1\t1e\tfiction\tp\tp\tp\tp\tA.\tB.\tneutral\tx\tx\tx\tx\tneutral\n",
    "RTE/test.tsv": "0\tA dog ran.\tAn animal ran.\n",
  });
  // The line found is quoted (tabs as \t) and cut after 60 characters.
  const cases: [GlueTaskName, GlueSplit, string, string][] = [
    ["SST-2", "train", "SST-2/train.tsv", '"hide new secretions \\t0", expected "sentence\\tlabel"'],
    [
      "MRPC",
      "train",
      "MRPC/train.tsv",
      '"1\\t702876\\t702977\\tAmrozi accused his brother .\\tReferring to hi...", ' +
      'expected "Quality\\t#1 ID\\t#2 ID\\t#1 String\\t#2 String"',
    ],
    [
      "MNLI",
      "dev_matched",
      "MNLI/dev_matched.tsv",
      '"0\\t1\\t1e\\tfiction\\tp\\tp\\tp\\tp\\tA.\\tB.\\tneutral\\tx\\tx\\tx\\tx\\tneutral", ' +
      `expected "${GLUE_TASKS.MNLI.columns.dev_matched!.join("\\t")}"`,
    ],
    [
      "RTE",
      "test",
      "RTE/test.tsv",
      '"0\\tA dog ran.\\tAn animal ran.", expected "index\\tsentence1\\tsentence2"',
    ],
  ];
  for (const [task, split, file, tail] of cases) {
    assert.equal(
      await errorOf(readGlue(root, task, split)),
      `Cannot read GLUE file "${root}/${file}": line 1 is not the ${task} ${split} header: found ${tail} ` +
        "(download_glue_data.py layout)",
    );
  }
  // A header that names other columns where the reader reads is no header either (RTE's for SST-2).
  assert.match(
    await errorOf(
      Promise.resolve().then(() => parseGlue(`${RTE_HEADER}\n0\tA\tB\t1\n`, "SST-2", "dev", "x.tsv")),
    ),
    /^Cannot read GLUE file "x\.tsv": line 1 is not the SST-2 dev header: found "index\\tsentence1/,
  );
  // The right header, BOM, \r\n and all, still reads every row.
  const sst = parseGlue(`\uFEFF${SST_HEADER}\r\na \t0\r\nb\t1\r\n`, "SST-2", "train");
  assert.deepEqual(sst.examples.map((e) => [e.line, e.textA, e.label]), [[2, "a ", 0], [3, "b", 1]]);
  await Deno.remove(root, { recursive: true });
});

Deno.test("a CoLA train or dev file that starts with a header fails on line 1 saying CoLA has none", async () => {
  const root = await tempGlue({
    "CoLA/train.tsv": "source\tlabel\toriginal judgement\tsentence\ngj04\t1\t\tOne.\n",
    "CoLA/dev.tsv": "sentence\tlabel\nOne.\t1\n",
  });
  const train = await errorOf(readGlue(root, "CoLA", "train"));
  assert.equal(
    train,
    `Cannot read GLUE file "${root}/CoLA/train.tsv": line 1 unknown label "label" for CoLA, expected one of 0, 1: ` +
      "CoLA train files have no header, so line 1 must be a row (source, label, original judgement, sentence), " +
      'found "source\\tlabel\\toriginal judgement\\tsentence"',
  );
  const dev = await errorOf(readGlue(root, "CoLA", "dev"));
  assert.match(
    dev,
    /CoLA\/dev\.tsv": line 1 has 2 column\(s\), expected at least 4 for CoLA dev: CoLA dev files have no header/,
  );
  // Without a header, line 1 is the first example.
  const ok = parseGlue("gj04\t1\t\tOne.\ngj04\t0\t*\tTwo.\n", "CoLA", "train");
  assert.deepEqual(ok.examples.map((e) => [e.line, e.textA]), [[1, "One."], [2, "Two."]]);
  await Deno.remove(root, { recursive: true });
});

Deno.test("a row with too many or too few columns fails naming the file and its line", async () => {
  const root = await tempGlue({
    // A tab inside the sentence: without the check CoLA would keep "Half" and lose the rest.
    "CoLA/train.tsv": "gj04\t1\t\tOne.\ngj04\t1\t\tHalf\tthe sentence.\n",
    "SST-2/dev.tsv": `${SST_HEADER}\ngood\t1\nbad\n`,
    "MRPC/dev.tsv": "Quality\t#1 ID\t#2 ID\t#1 String\t#2 String\n1\t1\t2\tA .\tB .\textra\n",
  });
  assert.equal(
    await errorOf(readGlue(root, "CoLA", "train")),
    `Cannot read GLUE file "${root}/CoLA/train.tsv": line 2 has 5 column(s), expected 4 for CoLA train ` +
      "(source, label, original judgement, sentence): a tab inside a text?",
  );
  assert.equal(
    await errorOf(readGlue(root, "SST-2", "dev")),
    `Cannot read GLUE file "${root}/SST-2/dev.tsv": line 3 has 1 column(s), expected at least 2 for SST-2 dev`,
  );
  assert.match(
    await errorOf(readGlue(root, "MRPC", "dev")),
    /MRPC\/dev\.tsv": line 2 has 6 column\(s\), expected 5 for MRPC dev \(Quality, #1 ID/,
  );
  await Deno.remove(root, { recursive: true });
});

Deno.test("a label outside the task's label set fails naming the file and its line", async () => {
  const root = await tempGlue({
    "SST-2/train.tsv": `${SST_HEADER}\ngood\t1\nbad\tnegative\n`,
    "RTE/dev.tsv": `${RTE_HEADER}\n0\tA.\tB.\tentailment\n1\tA.\tB.\t1\n`,
  });
  assert.equal(
    await errorOf(readGlue(root, "SST-2", "train")),
    `Cannot read GLUE file "${root}/SST-2/train.tsv": line 3 unknown label "negative" for SST-2, expected one of 0, 1`,
  );
  assert.equal(
    await errorOf(readGlue(root, "RTE", "dev")),
    `Cannot read GLUE file "${root}/RTE/dev.tsv": line 3 unknown label "1" for RTE, expected one of entailment, not_entailment`,
  );
  await Deno.remove(root, { recursive: true });
});

Deno.test("an empty or header-only file fails before any task runs, naming the file and what was expected", async () => {
  const root = await tempGlue({
    "SST-2/train.tsv": "",
    "SST-2/dev.tsv": `${SST_HEADER}\ngood\t1\n`,
    "RTE/train.tsv": `${RTE_HEADER}\n\n`,
    "RTE/dev.tsv": `${RTE_HEADER}\n0\tA.\tB.\tentailment\n`,
    "CoLA/train.tsv": "gj04\t1\t\tOne.\n",
    "CoLA/dev.tsv": "gj04\t1\t\tOne.\n",
    "CoLA/test.tsv": "index\tsentence\n",
  });
  const check = async (task: "SST-2" | "RTE" | "CoLA") =>
    await errorOf(checkTaskFiles(await findTaskFiles(root, task, { train: true })));
  assert.equal(
    await check("SST-2"),
    `Cannot fine-tune SST-2: "${root}/SST-2/train.tsv" is empty, expected the header "sentence\\tlabel" then one row per example`,
  );
  assert.equal(
    await check("RTE"),
    `Cannot fine-tune RTE: "${root}/RTE/train.tsv" has no examples (line 1 is the header; line(s) 2 blank or malformed), ` +
      `expected the header "index\\tsentence1\\tsentence2\\tlabel" then one row per example`,
  );
  assert.match(
    await check("CoLA"),
    /^Cannot predict CoLA: ".*CoLA\/test\.tsv" has no examples \(line 1 is the header\)/,
  );
  await Deno.remove(root, { recursive: true });
});

// ---------------------------------------------------------------------------------------------
// Through the glue command, with a random-weight tiny model

const WORDS = ["the", "a", "cat", "dog", "sat", "ran", "good", "bad", "film", "is", "not", "on", "mat"];
const VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", ...WORDS];
const CONFIG: BertConfig = bertPreset("tiny", {
  vocab_size: VOCAB.length,
  hidden_size: 16,
  num_attention_heads: 2,
  intermediate_size: 32,
  num_hidden_layers: 1,
  max_position_embeddings: 32,
});
const TRAIN = 6, DEV = 5;

async function tinyModel(root: string): Promise<string> {
  await Deno.writeTextFile(`${root}/vocab.txt`, VOCAB.join("\n") + "\n");
  const ops = cpuOps();
  const model = new BertMlm(ops, bertShape(CONFIG), { batch: 1, seq: 4, predictions: 1 });
  ops.write(model.params, initialParameters(model.layout, CONFIG.initializer_range, 1));
  await saveBertDir(`${root}/model`, { ops, model, config: CONFIG, vocabPath: `${root}/vocab.txt` });
  return `${root}/model`;
}

/** A few rows of STS-B and MNLI (matched and mismatched) in download_glue_data.py's layout. */
function tinyGlue(): Record<string, string> {
  const text = (i: number, k: number) =>
    `${WORDS[(i * 3 + k) % WORDS.length]} ${WORDS[(i + 2 * k) % WORDS.length]}`;
  const rows = (n: number, row: (i: number) => string) =>
    Array.from({ length: n }, (_, i) => row(i) + "\n").join("");
  const sts = (n: number) =>
    "index\tgenre\tfilename\tyear\told_index\tsource1\tsource2\tsentence1\tsentence2\tscore\n" +
    rows(
      n,
      (i) => `${i}\tmain\tf\t2012\t${i}\tnone\tnone\t${text(i, 0)}\t${text(i, 1)}\t${(i % 6).toFixed(3)}`,
    );
  const parse = "p\tp\tp\tp";
  const nli = ["contradiction", "entailment", "neutral"];
  const mnliDev = (k: number) =>
    "index\tpromptID\tpairID\tgenre\tsentence1_binary_parse\tsentence2_binary_parse\tsentence1_parse\t" +
    "sentence2_parse\tsentence1\tsentence2\tlabel1\tlabel2\tlabel3\tlabel4\tlabel5\tgold_label\n" +
    rows(
      DEV,
      (i) => `${i}\t1\t1e\tg\t${parse}\t${text(i, k)}\t${text(i, 2)}\tx\tx\tx\tx\tx\t${nli[(i + k) % 3]}`,
    );
  return {
    "STS-B/train.tsv": sts(TRAIN),
    "STS-B/dev.tsv": sts(DEV),
    "MNLI/train.tsv":
      "index\tpromptID\tpairID\tgenre\tsentence1_binary_parse\tsentence2_binary_parse\tsentence1_parse\t" +
      "sentence2_parse\tsentence1\tsentence2\tlabel1\tgold_label\n" +
      rows(
        TRAIN,
        (i) => `${i}\t1\t1e\tg\t${parse}\t${text(i, 0)}\t${text(i, 1)}\t${nli[i % 3]}\t${nli[i % 3]}`,
      ),
    "MNLI/dev_matched.tsv": mnliDev(0),
    "MNLI/dev_mismatched.tsv": mnliDev(1),
  };
}

interface Fixture {
  root: string;
  model: string;
  glue: string;
}
let fixture: Promise<Fixture> | undefined;
const setup = () =>
  fixture ??= (async () => {
    const root = await Deno.makeTempDir({ prefix: "glue_hostile_cli_" });
    globalThis.addEventListener("unload", () => Deno.removeSync(root, { recursive: true }));
    const model = await tinyModel(root);
    const glue = `${root}/glue`;
    for (const [path, body] of Object.entries(tinyGlue())) {
      await Deno.mkdir(`${glue}/${path.slice(0, path.lastIndexOf("/"))}`, { recursive: true });
      await Deno.writeTextFile(`${glue}/${path}`, body);
    }
    return { root, model, glue };
  })();

const TRAIN_ARGS = ["--batch", "4", "--epochs", "1", "--lr", "1e-3", "--backend", "cpu"];

Deno.test("glue exits 1 with one line and writes nothing for a headerless train file or a missing task", async () => {
  const f = await setup();
  const bad = `${f.root}/headerless`;
  const files = tinyGlue();
  // MNLI's train file without its header: its line 1, a data row, would otherwise vanish. STS-B
  // is fine and runs first, so the check must come before any task runs for nothing to be written.
  const mnli = files["MNLI/train.tsv"]!;
  const first = mnli.split("\n")[1]!;
  files["MNLI/train.tsv"] = mnli.slice(mnli.indexOf("\n") + 1);
  for (const [path, body] of Object.entries(files)) {
    await Deno.mkdir(`${bad}/${path.slice(0, path.lastIndexOf("/"))}`, { recursive: true });
    await Deno.writeTextFile(`${bad}/${path}`, body);
  }
  const cases: [string[], string][] = [
    [
      ["--data", bad, "--tasks", "stsb,mnli"],
      `error: Cannot read GLUE file "${bad}/MNLI/train.tsv": line 1 is not the MNLI train header: ` +
      `found ${JSON.stringify(first.length > 60 ? `${first.slice(0, 60)}...` : first)}, ` +
      `expected ${JSON.stringify(GLUE_TASKS.MNLI.columns.train!.join("\t"))} (download_glue_data.py layout)`,
    ],
    [
      ["--data", bad, "--tasks", "stsb,rte"],
      `error: Cannot read GLUE task RTE: folder "${bad}/RTE" not found; ` +
      `expected ${bad}/RTE/{train,dev,test}.tsv (download_glue_data.py layout)`,
    ],
  ];
  assert.ok(first.startsWith("0\t1\t1e\t"), first);
  for (const [args, message] of cases) {
    const out = `${f.root}/never-${args.at(-1)}`;
    const run = await runTaskFile("glue.ts", "--model", f.model, "--out", out, ...TRAIN_ARGS, ...args);
    assert.equal(run.code, 1, `${args.join(" ")}: ${run.errors.join("\n")}`);
    assert.deepEqual(run.errors, [message]);
    assert.equal(run.stdout, "");
    await assert.rejects(Deno.stat(out), Deno.errors.NotFound, `${out} must not exist`);
  }
});

Deno.test("glue writes all_results.json beside results.json with HuggingFace's keys, means over seeds", async () => {
  const f = await setup();
  const out = `${f.root}/all-results`;
  const read = await readCommand(GLUE_COMMAND, [
    "--model",
    f.model,
    "--data",
    f.glue,
    "--tasks",
    "stsb,mnli",
    "--seeds",
    "2",
    "--out",
    out,
    ...TRAIN_ARGS,
  ]);
  if (read === "help") throw new Error("help");
  const results: GlueResults = await main(read, {
    log: () => {},
    write: () => Promise.resolve(),
    progress: { tty: false, log: () => {} },
  });
  const all = JSON.parse(await Deno.readTextFile(`${out}/all_results.json`));
  const train = [
    "epoch",
    "learning_rate",
    "num_seeds",
    "train_loss",
    "train_runtime",
    "train_samples",
    "train_samples_per_second",
    "train_steps_per_second",
  ];
  const sorted = (keys: string[]) => [...keys].sort();
  assert.deepEqual(Object.keys(all), ["stsb", "mnli", "aggregates"]);
  assert.deepEqual(
    Object.keys(all.stsb),
    sorted(["eval_pearson", "eval_spearmanr", "eval_combined_score", "eval_loss", "eval_samples", ...train]),
  );
  assert.deepEqual(
    Object.keys(all.mnli),
    sorted([
      "eval_accuracy",
      "eval_loss",
      "eval_samples",
      "eval_accuracy_mm",
      "eval_loss_mm",
      "eval_samples_mm",
      ...train,
    ]),
  );
  const sts = results.tasks["STS-B"]!, mnli = results.tasks.MNLI!;
  assert.equal(all.stsb.eval_pearson, sts.metrics["STS-B"]!.pearson);
  assert.equal(
    all.stsb.eval_combined_score,
    (sts.metrics["STS-B"]!.pearson! + sts.metrics["STS-B"]!.spearman!) / 2,
  );
  assert.equal(all.mnli.eval_accuracy_mm, mnli.metrics["MNLI-mm"]!.accuracy);
  assert.deepEqual([all.stsb.eval_samples, all.mnli.eval_samples, all.mnli.eval_samples_mm], [DEV, DEV, DEV]);
  assert.deepEqual([all.stsb.train_samples, all.stsb.epoch, all.stsb.num_seeds, all.stsb.learning_rate], [
    TRAIN,
    1,
    2,
    1e-3,
  ]);
  // eval_loss is the mean over seeds of each run's dev loss; the kept run's matches its predictions.
  const losses = sts.runs.map((r) => r.devLoss!["STS-B"]!);
  assert.equal(all.stsb.eval_loss, (losses[0]! + losses[1]!) / 2);
  const best = sts.runs.reduce((a, r) => (r.score > a.score ? r : a));
  const lines = (await Deno.readTextFile(`${out}/predictions/STS-B-dev.tsv`)).trimEnd().split("\n").slice(1);
  const mse = lines.map((l) => l.split("\t").map(Number)).reduce((s, [, p, y]) => s + (p! - y!) ** 2, 0) /
    DEV;
  assert.ok(Math.abs(best.devLoss!["STS-B"]! - mse) < 1e-6, `${best.devLoss!["STS-B"]} vs ${mse}`);
  assert.ok(all.stsb.train_runtime > 0 && all.stsb.train_samples_per_second > 0 && all.mnli.train_loss > 0);
  // MNLI's loss is cross-entropy over 3 classes: near ln 3 for a barely trained random model.
  assert.ok(Math.abs(all.mnli.eval_loss - Math.log(3)) < 1, `${all.mnli.eval_loss}`);
  assert.deepEqual(Object.keys(all.aggregates), ["glue", "bert", "electra"]);
  assert.deepEqual(all.aggregates.glue, { value: results.aggregates.glue.value, partial: true });
  // The file is a view of results.json: rebuilding it from there gives the same content.
  const fromDisk = JSON.parse(await Deno.readTextFile(`${out}/results.json`));
  assert.deepEqual(buildAllResults(fromDisk), all);
});

Deno.test("buildAllResults() keeps only eval keys for an evaluation-only task and averages seeds", () => {
  const train = (seconds: number) => ({ loss: 0.5, steps: 10, examples: 40, epochs: 2, seconds });
  const rte = summarizeTask({
    task: "RTE",
    n: { RTE: 277 },
    hyperparameters: { lr: 2e-5 },
    runs: [
      { seed: 1, metrics: { RTE: { accuracy: 0.5 } }, devLoss: { RTE: 0.7 }, train: train(4) },
      { seed: 2, metrics: { RTE: { accuracy: 0.75 } }, devLoss: { RTE: 0.5 }, train: train(2) },
    ],
    wallSeconds: 9,
  });
  const cola = summarizeTask({
    task: "CoLA",
    n: { CoLA: 1043 },
    hyperparameters: { evalOnly: true },
    runs: [{ seed: 0, metrics: { CoLA: { matthews: 0.5 } }, devLoss: { CoLA: 0.6 } }],
    wallSeconds: 3,
  });
  const all = buildAllResults(buildResults({ model: "m", tasks: [rte, cola] }));
  assert.deepEqual(all.cola, { eval_loss: 0.6, eval_matthews_correlation: 0.5, eval_samples: 1043 });
  assert.deepEqual(all.rte, {
    epoch: 2,
    eval_accuracy: 0.625,
    eval_loss: 0.6,
    eval_samples: 277,
    learning_rate: 2e-5,
    num_seeds: 2,
    train_loss: 0.5,
    train_runtime: 3,
    train_samples: 40,
    train_samples_per_second: (80 / 4 + 80 / 2) / 2,
    train_steps_per_second: (10 / 4 + 10 / 2) / 2,
  });
  // BERT-paper style over the two columns present: (62.5 + 50) / 2.
  assert.equal(all.aggregates.bert.partial, true);
  assert.ok(Math.abs(all.aggregates.bert.value! - 56.25) < 1e-9, `${all.aggregates.bert.value}`);
});

Deno.test("exampleLoss() is the cross-entropy of the softmax, or the squared error for one output", () => {
  assert.ok(Math.abs(exampleLoss([0, 0], 0, 2, 1) - Math.LN2) < 1e-12);
  // Large logits: computed from the maximum, no overflow.
  assert.ok(Math.abs(exampleLoss([9, 1000, 1000, 5], 1, 2, 0) - Math.LN2) < 1e-12);
  assert.ok(
    Math.abs(exampleLoss([1, 2, 3], 0, 3, 0) - (Math.log(Math.E + Math.E ** 2 + Math.E ** 3) - 1)) < 1e-12,
  );
  assert.equal(exampleLoss([2.5], 0, 1, 3), 0.25);
});
