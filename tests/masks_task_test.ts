import assert from "node:assert/strict";
import { hashVocabFile, ShardWriter } from "../data/shards.ts";
import { BertTokenizer } from "../data/tokenizer.ts";
import { DEFAULT_VOCAB } from "../data/samples.ts";
import { UsageError } from "../config/errors.ts";
import { readCommand } from "../config/command.ts";
import { formatMasksReport, inspectMasking, markPredictions, type MasksReport } from "../masking/inspect.ts";
import { MASKS_COMMAND } from "../tasks/masks.ts";

/** The settings of a `deno task masks` command line. */
async function masksArgs(args: string[]) {
  const run = await readCommand(MASKS_COMMAND, args);
  if (run === "help") throw new Error("help");
  return run.settings();
}

const ROOT = new URL("..", import.meta.url);
const tok = await BertTokenizer.load();
const vocab = tok.vocab;

const CONCEPTNET = [
  "IsA\tice cream\tdessert\t1",
  "AtLocation\tice cream\tfreezer\t1",
  "IsA\tcat\tanimal\t1",
  "CapableOf\tcat\tclimb tree\t1",
  "AtLocation\tstrawberry\tfield\t1",
  "IsA\tstrawberry\tfruit\t1",
  "RelatedTo\tfruit\tdessert\t1",
].join("\n") + "\n";

const SENTENCES = [
  "The cat ate ice cream from the freezer before the dessert was served.",
  "Strawberries grow in a field, and a strawberry is a fruit that a cat will not climb a tree for.",
  "Nothing here names a concept at all, only plain words about nothing in particular.",
  "Ice cream and fruit make a fine dessert; the animal in the field was a cat.",
];

async function tempFile(content: string, suffix: string): Promise<string> {
  const path = await Deno.makeTempFile({ suffix });
  await Deno.writeTextFile(path, content);
  return path;
}

/** Plain text documents separated by empty lines, each a few sentences. */
function corpusText(docs: number): string {
  return Array.from(
    { length: docs },
    (_, d) => Array.from({ length: 6 }, (_, k) => SENTENCES[(d + k) % SENTENCES.length]).join("\n"),
  ).join("\n\n") + "\n";
}

async function masks(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "tasks/masks.ts", ...args],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  return {
    code: out.code,
    stdout: new TextDecoder().decode(out.stdout),
    stderr: new TextDecoder().decode(out.stderr),
  };
}

const corpus = await tempFile(corpusText(40), ".txt");
const conceptnet = await tempFile(CONCEPTNET, ".tsv");
globalThis.addEventListener("unload", () => {
  Deno.removeSync(corpus);
  Deno.removeSync(conceptnet);
});

/** Checks that an example's marked text agrees with its positions, labels and inputs. */
function checkExample(e: MasksReport["examples"][number]): void {
  const tokens = e.text.split(" ");
  let k = 0;
  tokens.forEach((token, t) => {
    const marked = /^\[(.+)\]$/.exec(token) ?? /^<(.+)>$/.exec(token) ?? /^\{(.+)->(.+)\}$/.exec(token);
    const special = ["[CLS]", "[SEP]", "[PAD]", "[UNK]", "[MASK]"].includes(token);
    if (!marked || special) return;
    assert.equal(e.positions[k], t, `marked token ${token} is not prediction ${k}`);
    assert.equal(vocab.token(e.labels[k]!), marked[1]);
    if (token.startsWith("[")) assert.equal(e.inputs[k], vocab.special.mask);
    else if (token.startsWith("<")) assert.equal(e.inputs[k], e.labels[k]);
    else assert.equal(vocab.token(e.inputs[k]!), marked[2]);
    k++;
  });
  assert.equal(k, e.positions.length, "every prediction is marked");
}

Deno.test("deno task masks --json reports concept masking over a small corpus end to end", async () => {
  const r = await masks([
    "--corpus",
    corpus,
    "--conceptnet",
    conceptnet,
    "--masking",
    "concept",
    "--sequences",
    "30",
    "--seq-len",
    "64",
    "--max-predictions",
    "10",
    "--show",
    "4",
    "--json",
  ]);
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout) as MasksReport;
  assert.equal(report.masking, "concept");
  assert.equal(report.seq_len, 64);
  assert.equal(report.stats.sequences, 30);
  assert.equal(report.examples.length, 4);
  report.examples.forEach(checkExample);
  const s = report.stats;
  assert.equal(s.spanWholeness, 1, "concept never cuts a span");
  assert.ok(s.touchedSpans > 0 && s.spanTokens > 0);
  assert.ok(s.inSpanShare > s.spanTokenShare, `in spans ${s.inSpanShare} vs span tokens ${s.spanTokenShare}`);
  assert.ok(s.predicted <= 30 * 10);
  assert.equal(s.masked + s.random + s.kept, s.predicted);
  // Each sequence of 64 holds at most 62 eligible tokens: round(0.15 x 62) = 9 predictions at most.
  assert.ok(s.predicted / s.sequences <= 9);
});

Deno.test("deno task masks prints marked sequences and a summary; the curriculum names its stage", async () => {
  const r = await masks([
    "--corpus",
    corpus,
    "--conceptnet",
    conceptnet,
    "--masking",
    "bert",
    "--sequences",
    "20",
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^masks: strategy bert, step 0, seed 1/);
  assert.match(r.stdout, /#0: \[CLS\] /);
  assert.match(r.stdout, /predicted +\d+\.\d+% of \d+ eligible tokens/);
  assert.match(r.stdout, /span wholeness +\d+\.\d+% of \d+ touched spans/);
  const report = await inspectMasking(
    await masksArgs([
      "--corpus",
      corpus,
      "--conceptnet",
      conceptnet,
      "--masking",
      "curriculum",
      "--basic-concepts",
      "2",
      "--boundaries",
      "10,20,30",
      "--step",
      "15",
      "--sequences",
      "20",
    ]),
  );
  assert.equal(report.stage, 1);
  // 9 concepts, ids in first-seen order: ice cream, dessert, freezer, cat, animal, climb tree,
  // strawberry, field, fruit. Degree 2: ice cream, dessert, cat, strawberry, fruit; all occur but
  // climb tree, so ids break the tie: stage 1 = {ice cream, dessert}; stage 2 adds their neighbours
  // freezer and fruit; stage 3 is all 9.
  assert.deepEqual(report.stage_sizes, [2, 4, 9]);
  assert.match(formatMasksReport(report), /stage 1 \(concepts per stage: 2, 4, 9\)/);
});

Deno.test("deno task masks reads a token shard as its corpus", async () => {
  const path = await Deno.makeTempFile({ suffix: ".shard" });
  try {
    const { cls, sep, pad } = vocab.special;
    const writer = await ShardWriter.create(path, {
      vocabHash: await hashVocabFile(DEFAULT_VOCAB),
      vocabSize: vocab.size,
      seqLen: 16,
      special: { cls, sep, pad },
    });
    const ids = tok.encodeIds("the cat ate ice cream");
    for (let i = 0; i < 5; i++) {
      await writer.write([cls, ...ids, sep, ...new Array(16 - ids.length - 2).fill(pad)]);
    }
    await writer.close();
    const report = await inspectMasking(
      await masksArgs([
        "--corpus",
        path,
        "--conceptnet",
        conceptnet,
        "--masking",
        "concept",
        "--max-predictions",
        "5",
      ]),
    );
    assert.equal(report.seq_len, 16);
    assert.equal(report.stats.sequences, 5);
    assert.equal(report.stats.eligible, 5 * ids.length);
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("deno task masks fails with one line: exit 1 for bad input, exit 2 for bad flags", async () => {
  const missing = await masks(["--corpus", "/no/such/corpus.txt", "--conceptnet", conceptnet]);
  assert.equal(missing.code, 1);
  assert.deepEqual(missing.stderr.trim().split("\n"), [
    `error: Cannot read corpus "/no/such/corpus.txt": no such file or directory`,
  ]);
  const empty = await tempFile("\n\n", ".txt");
  try {
    const r = await masks(["--corpus", empty, "--conceptnet", conceptnet]);
    assert.equal(r.code, 1);
    assert.equal(r.stderr.trim(), `error: Cannot mask corpus "${empty}": it holds no text`);
  } finally {
    await Deno.remove(empty);
  }
  const bad = await masks(["--masking", "spanbert"]);
  assert.equal(bad.code, 2);
  assert.equal(bad.stderr.trim().split("\n").length, 1);
  assert.match(bad.stderr, /--masking must be one of bert, bernoulli, concept, curriculum/);
});

Deno.test("the masks command fills the defaults and names the bad flag", async () => {
  const c = await masksArgs([]);
  assert.equal(c.masking, "concept");
  assert.equal(c.seq_len, 128);
  assert.equal(c.max_predictions, 20);
  assert.deepEqual(c.boundaries, [1000, 2000, 3000, 4000]);
  assert.match(c.corpus[0]!, /enwiki-2015-wikiextractor\/AA\/wiki_00\.gz$/);
  assert.match(c.conceptnet, /cn100k\/train100k\.txt\.gz$/);
  const cases: [string[], RegExp][] = [
    [["--step=-1"], /--step cannot be negative: expected an integer >= 0, got -1/],
    [["--sequences", "0"], /--sequences must be a positive integer, got 0/],
    [["--boundaries", "5,2"], /--boundaries must be ascending/],
    [["--seq-len", "16", "--max-predictions", "17"], /must not exceed --seq-len/],
    [["--nope"], /unknown option --nope/],
  ];
  for (const [args, message] of cases) {
    await assert.rejects(
      () => masksArgs(args),
      (e: Error) => e instanceof UsageError && message.test(e.message),
    );
  }
});

Deno.test("markPredictions() marks [MASK], random and kept predictions and drops trailing [PAD]", () => {
  const ids = Int32Array.from([101, ...tok.encodeIds("i like strawberries"), 102, 0, 0]);
  // [CLS] i like straw ##berries [SEP]: i -> [MASK], like -> "dog", straw kept.
  const corrupted = ids.slice();
  corrupted[1] = vocab.special.mask;
  corrupted[2] = vocab.id("dog")!;
  const m = {
    ids: corrupted,
    positions: Int32Array.of(1, 2, 3),
    labels: Int32Array.of(ids[1]!, ids[2]!, ids[3]!),
  };
  assert.equal(markPredictions(ids, m, vocab), "[CLS] [i] {like->dog} <straw> ##berries [SEP]");
});
