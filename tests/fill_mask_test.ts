import assert from "node:assert/strict";
import { bertPreset } from "../core/bert/config.ts";
import { BertMlm, type HostBatch, initialParameters } from "../core/bert/model.ts";
import { bertShape } from "../core/bert/shape.ts";
import { MlmTrainer } from "../core/bert/trainer.ts";
import { saveBertDir } from "../core/checkpoint/bert_dir.ts";
import { cpuOps } from "../core/ops.ts";
import { BertTokenizer } from "../data/tokenizer.ts";
import { DEFAULT_VOCAB } from "../data/samples.ts";
import type { Gpu } from "../core/device.ts";
import {
  fillMask,
  type FillMaskResult,
  type FillMaskSettings,
  formatFillMask,
  topK,
} from "../pretrain/fill_mask.ts";
import { assertClose, gpuTest, runTaskFile, type TaskRun } from "./_helpers.ts";

const SENTENCE = "the cat sat on the mat .";
const tok = await BertTokenizer.load();
const id = (token: string) => tok.vocab.id(token)!;

// A tiny BERT over the real vocab (a 30522 x 32 embedding), trained on the CPU on one sentence
// until it predicts "mat" (and "cat") where they are masked, and saved as this project saves.
const CONFIG = bertPreset("tiny", { hidden_size: 32, num_attention_heads: 2, max_position_embeddings: 64 });

async function trainCheckpoint(): Promise<string> {
  const shape = bertShape(CONFIG);
  const ops = cpuOps();
  const seq = tok.encode(SENTENCE).ids;
  const mask = tok.vocab.special.mask;
  // Sequence 0 masks "mat" (row 6); sequence 1 masks "cat" (row 2) and "mat".
  const masked = [[6], [2, 6]];
  const batch: HostBatch = {
    ids: Int32Array.from(masked.flatMap((rows) => seq.map((t, i) => (rows.includes(i) ? mask : t)))),
    typeIds: new Int32Array(2 * seq.length),
    attentionMask: new Int32Array(2 * seq.length).fill(1),
    positions: Int32Array.from(masked.flatMap((rows, b) => rows.map((r) => b * seq.length + r))),
    labels: Int32Array.from(masked.flatMap((rows) => rows.map((r) => seq[r]!))),
  };
  const model = new BertMlm(ops, shape, { batch: 2, seq: seq.length, predictions: 3 });
  ops.write(model.params, initialParameters(model.layout, CONFIG.initializer_range, 5));
  const trainer = new MlmTrainer(ops, model, { weightDecay: 0 });
  let loss = Infinity;
  for (let s = 0; s < 300 && loss > 0.02; s++) loss = (await trainer.trainStep(batch, 1e-2)).loss;
  if (!(loss <= 0.02)) throw new Error(`the tiny BERT did not learn the sentence: loss ${loss}`);
  const dir = await Deno.makeTempDir({ prefix: "fill_mask_test_" });
  globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));
  await saveBertDir(dir, { ops, model, config: CONFIG, vocabPath: DEFAULT_VOCAB });
  return dir;
}

let checkpoint: Promise<string> | undefined;
const trained = () => checkpoint ??= trainCheckpoint();

async function fill(
  settings: Partial<FillMaskSettings> & { text: string },
  gpu?: Gpu,
): Promise<{ result: FillMaskResult; out: string; log: string[] }> {
  const log: string[] = [];
  const result = await fillMask(
    { model: await trained(), top_k: 5, backend: "cpu", ...settings },
    { log: (line) => log.push(line), ...(gpu ? { gpu } : {}) },
  );
  return { result, out: formatFillMask(result), log };
}

function task(...args: string[]): Promise<TaskRun> {
  return runTaskFile("fill_mask.ts", ...args);
}

function assertRanked(result: FillMaskResult, k: number): void {
  for (const m of result.masks) {
    assert.equal(m.top.length, k);
    const probs = m.top.map((t) => t.prob);
    for (let i = 1; i < k; i++) assert.ok(probs[i]! <= probs[i - 1]!, `not sorted: ${probs}`);
    assert.ok(probs.every((p) => p > 0 && p <= 1), `out of (0, 1]: ${probs}`);
    assert.ok(probs.reduce((a, b) => a + b, 0) <= 1 + 1e-9, `sum above 1: ${probs}`);
    for (const t of m.top) assert.equal(t.token, tok.vocab.token(t.id));
  }
}

Deno.test("topK() ranks a softmax row and breaks ties by the lower id", () => {
  const got = topK(Float32Array.of(1, 3, 2, 3, -1), 3);
  assert.deepEqual(got.map((t) => t.id), [1, 3, 2]);
  const z = Math.exp(1) + 2 * Math.exp(3) + Math.exp(2) + Math.exp(-1);
  assertClose(got.map((t) => t.prob), [Math.exp(3) / z, Math.exp(3) / z, Math.exp(2) / z], {
    rtol: 1e-12,
    atol: 0,
  }, "probabilities");
  assert.deepEqual(topK(Float32Array.of(0.5, 0.25), 5).map((t) => t.id), [0, 1]);
});

Deno.test("fill-mask puts mat first on a checkpoint this project trained, on the CPU", async () => {
  const { result, out, log } = await fill({ text: "the cat sat on the [MASK] ." });
  assert.equal(result.masks.length, 1);
  assert.equal(result.masks[0]!.position, 6);
  assert.deepEqual(result.masks[0]!.top[0]!, { ...result.masks[0]!.top[0]!, token: "mat", id: id("mat") });
  assertRanked(result, 5);
  assert.match(out, /^\[MASK\] 1 \(position 6\): mat 0\.\d{4}(, \S+ (0\.\d{4}|\d\.\d\de-\d+)){4}\n$/);
  const vocab = `vocab ${await trained()}/vocab.txt`;
  assert.ok(log.some((l) => l.includes(vocab)), log.join("\n"));
  assert.ok(log.some((l) => l.includes("backend cpu")), log.join("\n"));
});

Deno.test("fill-mask predicts every [MASK] of a text, in order", async () => {
  const { result, out } = await fill({ text: "The [MASK] sat on the [MASK].", top_k: 3 });
  assert.deepEqual(result.masks.map((m) => m.position), [2, 6]);
  assert.deepEqual(result.masks.map((m) => m.top[0]!.token), ["cat", "mat"]);
  assertRanked(result, 3);
  assert.equal(out.split("\n").length, 3);
  assert.match(out.split("\n")[1]!, /^\[MASK\] 2 \(position 6\): mat /);
});

Deno.test("fill-mask refuses a model without vocab.txt instead of using the shipped vocab", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fill_mask_novocab_" });
  try {
    for (const f of ["config.json", "model.safetensors"]) {
      await Deno.copyFile(`${await trained()}/${f}`, `${dir}/${f}`);
    }
    const log: string[] = [];
    await assert.rejects(
      () =>
        fillMask({ model: dir, text: "the cat sat on the [MASK] .", backend: "cpu" }, {
          log: (l) => log.push(l),
        }),
      {
        message: `Cannot load model "${dir}": it has no vocab.txt ` +
          `(expected "${dir}/vocab.txt", the vocabulary its token ids index)`,
      },
    );
    assert.ok(!log.some((l) => l.includes(DEFAULT_VOCAB)), log.join("\n"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("fill-mask cuts a long text to max_position_embeddings tokens and says so", async () => {
  const long = " and the dog ran".repeat(30);
  const { result, log } = await fill({ text: `the cat sat on the [MASK] .${long}` });
  assert.deepEqual(result.masks.map((m) => m.position), [6]);
  assert.ok(log.some((l) => l.includes("cut to 64 tokens")), log.join("\n"));
  await assert.rejects(
    () => fill({ text: `${long} [MASK]` }),
    /every \[MASK\] lies past the first 64 tokens/,
  );
});

Deno.test("deno task fill-mask --json prints exactly the result of fillMask()", async () => {
  const text = "the cat sat on the [MASK] .";
  const { result } = await fill({ text, top_k: 4 });
  const r = await task("--model", await trained(), "--top-k", "4", "--json", "--backend", "cpu", text);
  assert.equal(r.code, 0, r.errors.join("\n"));
  assert.equal(r.stdout, JSON.stringify(result) + "\n");
  assert.match(r.stdout, /^\{"masks":\[\{"position":6,"top":\[\{"token":"mat","id":13523,"prob":[\d.e-]+\},/);
});

gpuTest("fill-mask on the device ranks the same top-k as on the CPU", async (g) => {
  const text = "the [MASK] sat on the [MASK] .";
  const cpu = (await fill({ text, top_k: 5 })).result;
  const gpu = (await fill({ text, top_k: 5, backend: g.backend }, g)).result;
  assert.deepEqual(
    gpu.masks.map((m) => m.top.map((t) => t.id)),
    cpu.masks.map((m) => m.top.map((t) => t.id)),
  );
  assertClose(
    gpu.masks.flatMap((m) => m.top.map((t) => t.prob)),
    cpu.masks.flatMap((m) => m.top.map((t) => t.prob)),
    { rtol: 1e-4, atol: 1e-7 },
    `probabilities [${g.backend}]`,
  );
});

Deno.test("fill-mask fails with one line: exit 1 for a missing model, exit 2 for bad input", async () => {
  const missing = `${await Deno.makeTempDir({ prefix: "fill_mask_gone_" })}/no_such_model`;
  const gone = await task("--model", missing, "--backend", "cpu", "a [MASK] here");
  assert.equal(gone.code, 1);
  assert.equal(gone.errors.length, 1);
  assert.ok(gone.errors[0]!.includes(missing), gone.errors[0]);
  await Deno.remove(missing.slice(0, missing.lastIndexOf("/")));
  const model = await trained();
  for (
    const [args, message] of [
      [
        ["--model", model, "--backend", "cpu", "no mask here"],
        "error: fill-mask: the text has no [MASK] token",
      ],
      [
        ["--model", model, "--top-k", "0", "x [MASK]"],
        "error: --top-k must be a positive integer, got 0",
      ],
      [["x [MASK]"], /^error: --model is required/],
      [["--model", model, "--backend", "vulkan", "x [MASK]"], /--backend must be one of/],
      [["--model", model, "a [MASK]", "b"], /expected one TEXT/],
    ] as const
  ) {
    const r = await task(...args);
    assert.equal(r.code, 2, `${args.join(" ")}: exit ${r.code}`);
    assert.equal(r.errors.length, 1, r.errors.join("\n"));
    if (typeof message === "string") assert.equal(r.errors[0], message);
    else assert.match(r.errors[0]!, message);
  }
});
