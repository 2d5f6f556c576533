import assert from "node:assert/strict";
import { type GlueFile, parseGlue, readGlue, readGlueFile } from "../glue/read.ts";
import {
  GLUE_TASK_NAMES,
  GLUE_TASKS,
  glueOutputSize,
  type GlueSplit,
  glueTask,
  type GlueTaskName,
} from "../glue/tasks.ts";

const GLUE = new URL("../data/glue", import.meta.url).pathname;

/** Writes `files` (relative path -> bytes or text) under a fresh temp folder and returns it. */
async function tempGlue(files: Record<string, string | Uint8Array>): Promise<string> {
  const root = await Deno.makeTempDir({ prefix: "glue_test_" });
  for (const [path, body] of Object.entries(files)) {
    await Deno.mkdir(`${root}/${path.slice(0, path.lastIndexOf("/"))}`, { recursive: true });
    await (typeof body === "string"
      ? Deno.writeTextFile(`${root}/${path}`, body)
      : Deno.writeFile(`${root}/${path}`, body));
  }
  return root;
}

function labelCounts(file: GlueFile): number[] {
  const counts: number[] = [];
  for (const e of file.examples) counts[e.label!] = (counts[e.label!] ?? 0) + 1;
  return counts;
}

async function errorOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof Error);
    assert.ok(!error.message.includes("\n"), `error message must be one line: ${error.message}`);
    return error;
  }
  throw new Error("Expected an error, none was thrown");
}

// Rows per file from data/SOURCES.md; label counts from `cut -f<label> | sort | uniq -c` on the
// shipped files, in the task's label order.
const SHIPPED: [GlueTaskName, GlueSplit, number, number[]][] = [
  ["CoLA", "train", 8551, [2528, 6023]],
  ["CoLA", "dev", 521, [158, 363]],
  ["SST-2", "train", 67349, [29780, 37569]],
  ["SST-2", "dev", 436, [208, 228]],
  ["MRPC", "train", 3668, [1194, 2474]],
  ["MRPC", "dev", 204, [64, 140]],
  ["QNLI", "dev", 2731, [1338, 1393]],
  ["RTE", "train", 2490, [1249, 1241]],
  ["RTE", "dev", 138, [74, 64]],
  ["WNLI", "train", 635, [323, 312]],
  ["WNLI", "dev", 35, [20, 15]],
];

Deno.test("readGlue() reads every shipped classification file with its real row count and label set", async () => {
  for (const [task, split, rows, labels] of SHIPPED) {
    const file = await readGlue(GLUE, task, split);
    const where = `${task} ${split}`;
    assert.equal(file.counts.rows, rows, where);
    assert.equal(file.examples.length, rows, where);
    assert.equal(file.counts.skipped, 0, where);
    assert.deepEqual(labelCounts(file), labels, where);
    assert.equal(new Set(file.examples.map((e) => e.guid)).size, rows, `${where}: guids are unique`);
    const pair = GLUE_TASKS[task].input === "pair";
    for (const e of file.examples) {
      assert.ok(e.textA.length > 0, `${where} line ${e.line}: textA`);
      assert.equal(e.textB !== undefined, pair, `${where} line ${e.line}: textB`);
      assert.equal(e.score, undefined);
    }
  }
});

Deno.test("readGlue() reads STS-B scores as floats in [0, 5]", async () => {
  // Means from `awk -F'\t' 'NR>1 {s+=$10} END {print s/(NR-1)}'`.
  for (const [split, rows, mean] of [["train", 5749, 2.701], ["dev", 750, 2.2444]] as const) {
    const file = await readGlue(GLUE, "STS-B", split);
    assert.equal(file.counts.rows, rows);
    const scores = file.examples.map((e) => e.score!);
    assert.ok(scores.every((s) => s >= 0 && s <= 5));
    assert.equal(Math.min(...scores), 0);
    assert.equal(Math.max(...scores), 5);
    assert.ok(Math.abs(scores.reduce((a, b) => a + b) / rows - mean) < 1e-3, `${split} mean`);
    assert.ok(file.examples.every((e) => e.label === undefined && e.textB !== undefined));
  }
  const first = (await readGlue(GLUE, "STS-B", "train")).examples[1]!;
  assert.deepEqual(first, {
    guid: "train-1",
    index: "1",
    textA: "A man is playing a large flute.",
    textB: "A man is playing a flute.",
    score: 3.8,
    line: 3,
  });
});

Deno.test("readGlueFile() reads an explicitly named file: QQP dev_first9.tsv", async () => {
  const file = await readGlueFile(`${GLUE}/QQP/dev_first9.tsv`, "QQP", "dev");
  assert.equal(file.counts.rows, 9);
  assert.deepEqual(labelCounts(file), [5, 4]);
  assert.deepEqual(file.header, ["id", "qid1", "qid2", "question1", "question2", "is_duplicate"]);
  assert.deepEqual(file.examples[0], {
    guid: "dev-201359",
    index: "201359",
    textA: "Why are African-Americans so beautiful?",
    textB: "Why are hispanics so beautiful?",
    label: 0,
    line: 2,
  });
  // dev.tsv itself is not shipped, so the layout lookup must fail and say what it expected.
  const error = await errorOf(readGlue(GLUE, "QQP", "dev"));
  assert.match(error.message, /QQP\/dev\.tsv" not found; expected .*QQP\/\{train,dev,test\}\.tsv/);
});

Deno.test("readGlue() keeps double quotes literally in the shipped files", async () => {
  // An unbalanced quote (MRPC dev row 1) would swallow rows under CSV quoting.
  const mrpc = await readGlue(GLUE, "MRPC", "dev");
  assert.equal(
    mrpc.examples[0]!.textB,
    '" The foodservice pie business does not fit our long-term growth strategy .',
  );
  const rte = await readGlue(GLUE, "RTE", "train");
  const e = rte.examples.find((x) => x.index === "50")!;
  assert.ok(e.textA.startsWith('"Instead of action on crime, we got the federal long gun registry'), e.textA);
  assert.equal(e.line, 52);
});

Deno.test("readGlueFile() streams large files exactly as parsing the whole text does", async () => {
  // SST-2 train (3.8 MB) spans many stream chunks; a line cut at a chunk edge would show here.
  const path = `${GLUE}/SST-2/train.tsv`;
  const streamed = await readGlueFile(path, "SST-2", "train");
  const parsed = parseGlue(await Deno.readTextFile(path), "SST-2", "train", path);
  assert.deepEqual(streamed, parsed);
});

Deno.test("readGlue() strips the UTF-8 BOM before the header and before a headerless first row", async () => {
  const bom = "\uFEFF";
  const root = await tempGlue({
    "MRPC/dev.tsv": `${bom}Quality\t#1 ID\t#2 ID\t#1 String\t#2 String\n0\t1\t2\tA .\tB .\n`,
    "CoLA/dev.tsv": `${bom}gj04\t0\t*\tThe more.\n`,
    "AX/test.tsv": `${bom}index\tsentence1\tsentence2\n0\tA\tB\n`,
  });
  const mrpc = await readGlue(root, "MRPC", "dev");
  assert.deepEqual(mrpc.header, ["Quality", "#1 ID", "#2 ID", "#1 String", "#2 String"]);
  assert.deepEqual(mrpc.examples, [{ guid: "dev-0", textA: "A .", textB: "B .", label: 0, line: 2 }]);
  const cola = await readGlue(root, "CoLA", "dev");
  assert.deepEqual(cola.examples, [{ guid: "dev-0", textA: "The more.", label: 0, line: 1 }]);
  assert.equal((await readGlue(root, "AX", "test")).header![0], "index");
  // Text already in memory keeps its BOM unless the parser drops it.
  assert.deepEqual(parseGlue(`${bom}sentence\tlabel\nok\t1`, "SST-2", "dev").header, ["sentence", "label"]);
  await Deno.remove(root, { recursive: true });
});

Deno.test("readGlue() reads CoLA train/dev without a header and CoLA test with one", async () => {
  const root = await tempGlue({
    "CoLA/train.tsv": "gj04\t1\t\tOne.\nclc95\t0\t*\tTwo two.\nbc01\t1\t\tThree.\n",
    "CoLA/test.tsv": "index\tsentence\n0\tBill whistled past the house.\n1\tThe car honked.\n",
  });
  const train = await readGlue(root, "CoLA", "train");
  assert.equal(train.header, undefined);
  assert.deepEqual(train.examples.map((e) => [e.line, e.textA, e.label]), [
    [1, "One.", 1],
    [2, "Two two.", 0],
    [3, "Three.", 1],
  ]);
  const test = await readGlue(root, "CoLA", "test");
  assert.deepEqual(test.examples, [
    { guid: "test-0", index: "0", textA: "Bill whistled past the house.", line: 2 },
    { guid: "test-1", index: "1", textA: "The car honked.", line: 3 },
  ]);
  await Deno.remove(root, { recursive: true });
});

Deno.test("readGlue() reads a last line without a final newline, and \\r\\n line ends", async () => {
  const root = await tempGlue({
    "SST-2/train.tsv": "sentence\tlabel\r\na b \t0\r\nc d\t1",
    "CoLA/train.tsv": "s\t1\t\tEnds here.\r\ns\t0\t*\tNo newline.",
    "RTE/dev.tsv": "index\tsentence1\tsentence2\tlabel\r\n0\tA.\tB.\tentailment\r\n",
  });
  const sst = await readGlue(root, "SST-2", "train");
  assert.deepEqual(sst.header, ["sentence", "label"]);
  assert.deepEqual(sst.examples.map((e) => [e.textA, e.label]), [["a b ", 0], ["c d", 1]]);
  const cola = await readGlue(root, "CoLA", "train");
  assert.deepEqual(cola.examples.map((e) => e.textA), ["Ends here.", "No newline."]);
  const rte = await readGlue(root, "RTE", "dev");
  assert.deepEqual(rte.examples.map((e) => [e.textB, e.label]), [["B.", 0]]);
  assert.equal(rte.counts.skipped, 0);
  await Deno.remove(root, { recursive: true });
});

Deno.test("readGlue() never interprets quotes: a sentence may start with one and never close it", async () => {
  const root = await tempGlue({
    "SST-2/dev.tsv": 'sentence\tlabel\n"open quote\t1\nsecond "row\t0\n"""\t1\n',
    "QNLI/dev.tsv":
      'index\tquestion\tsentence\tlabel\n0\t"Who?\t"He, said.\tentailment\n1\tq\ts\tnot_entailment\n',
  });
  const sst = await readGlue(root, "SST-2", "dev");
  assert.deepEqual(sst.examples.map((e) => e.textA), ['"open quote', 'second "row', '"""']);
  const qnli = await readGlue(root, "QNLI", "dev");
  assert.deepEqual(qnli.examples.map((e) => [e.textA, e.textB, e.label]), [
    ['"Who?', '"He, said.', 0],
    ["q", "s", 1],
  ]);
  await Deno.remove(root, { recursive: true });
});

Deno.test("readGlue() skips and counts malformed QQP rows but rejects them elsewhere", async () => {
  const header = "id\tqid1\tqid2\tquestion1\tquestion2\tis_duplicate\n";
  const root = await tempGlue({
    // Row 2's first question holds a newline, so it is cut into two short lines.
    "QQP/train.tsv":
      `${header}1\t2\t3\tHow?\tWhy?\t0\n4\t5\t6\tWhat is\nbroken?\tWhere?\t1\n7\t8\t9\tA?\tB?\t1\n\n`,
    "QQP/test.tsv": "id\tquestion1\tquestion2\n0\tIs it?\tIs that?\n1\ttoo short\n",
    "RTE/train.tsv": "index\tsentence1\tsentence2\tlabel\n0\tA.\tB.\tentailment\n1\tA.\n",
  });
  const qqp = await readGlue(root, "QQP", "train");
  assert.deepEqual(qqp.examples.map((e) => [e.index, e.textA, e.textB, e.label]), [
    ["1", "How?", "Why?", 0],
    ["7", "A?", "B?", 1],
  ]);
  assert.deepEqual(qqp.counts, { rows: 2, skipped: 3, skippedLines: [3, 4, 6] });
  const test = await readGlue(root, "QQP", "test");
  assert.deepEqual(test.examples, [{
    guid: "test-0",
    index: "0",
    textA: "Is it?",
    textB: "Is that?",
    line: 2,
  }]);
  assert.deepEqual(test.counts, { rows: 1, skipped: 1, skippedLines: [3] });
  const error = await errorOf(readGlue(root, "RTE", "train"));
  assert.match(error.message, /RTE\/train\.tsv": line 3 has 2 column\(s\), expected at least 4/);
  await Deno.remove(root, { recursive: true });
});

Deno.test("readGlue() reads MNLI's matched and mismatched files with gold_label in the last column", async () => {
  const parse = (n: number) => Array.from({ length: n }, (_, i) => `p${i}`).join("\t");
  const row16 = (i: number, gold: string) =>
    `${i}\t1\t1e\tfiction\t${parse(4)}\tS1 ${i}\tS2 ${i}\tx\tx\tx\tx\tx\t${gold}`;
  const header16 = "index\tpromptID\tpairID\tgenre\tb1\tb2\tp1\tp2\tsentence1\tsentence2\t" +
    "label1\tlabel2\tlabel3\tlabel4\tlabel5\tgold_label";
  const root = await tempGlue({
    "MNLI/train.tsv":
      "index\tpromptID\tpairID\tgenre\tb1\tb2\tp1\tp2\tsentence1\tsentence2\tlabel1\tgold_label\n" +
      `0\t1\t1e\tgov\t${parse(4)}\tT1\tT2\tneutral\tneutral\n`,
    "MNLI/dev_matched.tsv": `${header16}\n${row16(0, "entailment")}\n${row16(1, "contradiction")}\n`,
    "MNLI/dev_mismatched.tsv": `${header16}\n${row16(0, "neutral")}\n`,
    "MNLI/test_matched.tsv": `index\tpromptID\tpairID\tgenre\tb1\tb2\tp1\tp2\tsentence1\tsentence2\n` +
      `0\t1\t1e\tgov\t${parse(4)}\tU1\tU2\n`,
  });
  const labels = async (split: GlueSplit) =>
    (await readGlue(root, "MNLI", split)).examples.map((e) => [e.textA, e.textB, e.label]);
  assert.deepEqual(await labels("train"), [["T1", "T2", 2]]);
  assert.deepEqual(await labels("dev_matched"), [["S1 0", "S2 0", 1], ["S1 1", "S2 1", 0]]);
  assert.deepEqual(await labels("dev_mismatched"), [["S1 0", "S2 0", 2]]);
  assert.deepEqual(await labels("test_matched"), [["U1", "U2", undefined]]);
  const missing = await errorOf(readGlue(root, "MNLI", "test_mismatched"));
  assert.match(missing.message, /MNLI\/test_mismatched\.tsv" not found/);
  await assert.rejects(
    readGlue(root, "MNLI", "dev"),
    /GLUE task MNLI has no split "dev": expected one of train, dev_matched/,
  );
  await Deno.remove(root, { recursive: true });
});

Deno.test("readGlue() finds AX as diagnostic/diagnostic.tsv or AX/test.tsv, without labels", async () => {
  const body = "index\tsentence1\tsentence2\n0\tThe cat sat.\tThe cat did not sit.\n";
  for (const path of ["diagnostic/diagnostic.tsv", "AX/test.tsv"]) {
    const root = await tempGlue({ [path]: body });
    const ax = await readGlue(root, "AX", "test");
    assert.ok(ax.path.endsWith(path));
    assert.deepEqual(ax.examples, [
      { guid: "test-0", index: "0", textA: "The cat sat.", textB: "The cat did not sit.", line: 2 },
    ]);
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("readGlue() reads test files of pair tasks by their index column", async () => {
  const root = await tempGlue({
    "MRPC/test.tsv": "index\t#1 ID\t#2 ID\t#1 String\t#2 String\n0\t1089874\t1089925\tA .\tB .\n",
    "STS-B/test.tsv": "index\tgenre\tfilename\tyear\told_index\tsource1\tsource2\tsentence1\tsentence2\n" +
      "0\tmain-news\theadlines\t2016\t0001\tnone\tnone\tX.\tY.\n",
    "SST-2/test.tsv": "index\tsentence\n0\tuneasy mishmash .\n",
  });
  const pick = async (task: GlueTaskName) =>
    (await readGlue(root, task, "test")).examples.map((e) => [e.index, e.textA, e.textB, e.label, e.score]);
  assert.deepEqual(await pick("MRPC"), [["0", "A .", "B .", undefined, undefined]]);
  assert.deepEqual(await pick("STS-B"), [["0", "X.", "Y.", undefined, undefined]]);
  assert.deepEqual(await pick("SST-2"), [["0", "uneasy mishmash .", undefined, undefined, undefined]]);
  await Deno.remove(root, { recursive: true });
});

Deno.test("readGlue() rejects an unknown label or score with the file and line", async () => {
  const root = await tempGlue({
    "SST-2/train.tsv": "sentence\tlabel\ngood\t1\nbad\t2\n",
    "RTE/train.tsv": "index\tsentence1\tsentence2\tlabel\n0\tA.\tB.\tneutral\n",
    "STS-B/train.tsv":
      "index\tgenre\tfilename\tyear\told_index\tsource1\tsource2\tsentence1\tsentence2\tscore\n0\tg\tf\ty\to\ts\ts\tA.\tB.\t5.2\n",
    "STS-B/dev.tsv":
      "index\tgenre\tfilename\tyear\told_index\tsource1\tsource2\tsentence1\tsentence2\tscore\n0\tg\tf\ty\to\ts\ts\tA.\tB.\t\n",
  });
  const cases: [GlueTaskName, GlueSplit, RegExp][] = [
    ["SST-2", "train", /SST-2\/train\.tsv": line 3 unknown label "2" for SST-2, expected one of 0, 1$/],
    [
      "RTE",
      "train",
      /RTE\/train\.tsv": line 2 unknown label "neutral" for RTE, expected one of entailment, not_entailment$/,
    ],
    ["STS-B", "train", /STS-B\/train\.tsv": line 2 score "5\.2" for STS-B is not a number in \[0, 5\]$/],
    ["STS-B", "dev", /STS-B\/dev\.tsv": line 2 score "" for STS-B/],
  ];
  for (const [task, split, pattern] of cases) {
    assert.match((await errorOf(readGlue(root, task, split))).message, pattern);
  }
  await Deno.remove(root, { recursive: true });
});

Deno.test("readGlue() names the missing folder or file and the expected layout", async () => {
  const root = await tempGlue({ "CoLA/train.tsv": "s\t1\t\tOne.\n" });
  const cases: [string, GlueTaskName, GlueSplit, string][] = [
    [
      `${root}/nowhere`,
      "CoLA",
      "train",
      `Cannot read GLUE task CoLA: folder "${root}/nowhere" not found; ` +
      `expected ${root}/nowhere/CoLA/{train,dev,test}.tsv (download_glue_data.py layout)`,
    ],
    [
      root,
      "RTE",
      "dev",
      `Cannot read GLUE task RTE: folder "${root}/RTE" not found; ` +
      `expected ${root}/RTE/{train,dev,test}.tsv (download_glue_data.py layout)`,
    ],
    [
      root,
      "CoLA",
      "dev",
      `Cannot read GLUE task CoLA dev: file "${root}/CoLA/dev.tsv" not found; ` +
      `expected ${root}/CoLA/{train,dev,test}.tsv (download_glue_data.py layout)`,
    ],
  ];
  for (const [dir, task, split, message] of cases) {
    assert.equal((await errorOf(readGlue(dir, task, split))).message, message);
  }
  const taskFolder = await errorOf(readGlue(`${root}/CoLA`, "CoLA", "train"));
  assert.match(taskFolder.message, /looks like a task folder: pass its parent\)$/);
  const file = await errorOf(readGlueFile(`${root}/QQP/dev.tsv`, "QQP", "dev"));
  assert.match(file.message, /^Cannot read GLUE file ".*QQP\/dev\.tsv": not found/);
  await Deno.remove(root, { recursive: true });
});

Deno.test("readGlue() rejects a file that is not UTF-8, naming it", async () => {
  const root = await tempGlue({
    "SST-2/dev.tsv": new Uint8Array([...new TextEncoder().encode("sentence\tlabel\nok\t1\n"), 0xff, 0x0a]),
  });
  const error = await errorOf(readGlue(root, "SST-2", "dev"));
  assert.match(error.message, /SST-2\/dev\.tsv": not valid UTF-8/);
  await Deno.remove(root, { recursive: true });
});

Deno.test("the task table follows METHOD.md §6", () => {
  assert.deepEqual(GLUE_TASK_NAMES, [
    "CoLA",
    "SST-2",
    "MRPC",
    "STS-B",
    "QQP",
    "MNLI",
    "QNLI",
    "RTE",
    "WNLI",
    "AX",
  ]);
  const metrics = Object.fromEntries(GLUE_TASK_NAMES.map((n) => [n, GLUE_TASKS[n].metrics]));
  assert.deepEqual(metrics, {
    "CoLA": ["matthews"],
    "SST-2": ["accuracy"],
    "MRPC": ["f1", "accuracy"],
    "STS-B": ["pearson", "spearman"],
    "QQP": ["f1", "accuracy"],
    "MNLI": ["accuracy"],
    "QNLI": ["accuracy"],
    "RTE": ["accuracy"],
    "WNLI": ["accuracy"],
    "AX": [],
  });
  const singles = GLUE_TASK_NAMES.filter((n) => GLUE_TASKS[n].input === "single");
  assert.deepEqual(singles, ["CoLA", "SST-2"]);
  assert.deepEqual(GLUE_TASK_NAMES.map((n) => glueOutputSize(GLUE_TASKS[n])), [2, 2, 2, 1, 2, 3, 2, 2, 2, 3]);
  assert.equal(glueTask("sts-b").name, "STS-B");
  assert.throws(() => glueTask("SNLI"), /Unknown GLUE task "SNLI": expected one of CoLA, SST-2/);
});
