import assert from "node:assert/strict";
import { exists } from "../util/files.ts";
import { cpuOps, gpuOps, type Ops } from "../core/ops.ts";
import { type BertConfig, bertPreset, readBertConfig } from "../core/bert/config.ts";
import { type BatchShape, BertMlm, type HostBatch, initialParameters } from "../core/bert/model.ts";
import { bertShape } from "../core/bert/shape.ts";
import { MlmTrainer } from "../core/bert/trainer.ts";
import {
  CONFIG_FILE,
  loadBertDir,
  loadTrainingState,
  MODEL_FILE,
  OPTIMIZER_FILE,
  saveBertDir,
  saveTrainingState,
  VOCAB_FILE,
} from "../core/checkpoint/bert_dir.ts";
import { readSafetensors, type SafetensorsTensor, writeSafetensors } from "../core/checkpoint/safetensors.ts";
import { gpuTest, messageOf, randomFloats, randomInts, seededRandom } from "./_helpers.ts";

// The tiny model of bert_trainer_test.ts, as a HuggingFace config.
const CONFIG: BertConfig = bertPreset("tiny", {
  vocab_size: 40,
  hidden_size: 32,
  num_attention_heads: 2,
  intermediate_size: 64,
  max_position_embeddings: 16,
});
const SHAPE = bertShape(CONFIG);
const BATCH: BatchShape = { batch: 2, seq: 9, predictions: 6 };
const STEPS = 6;
const SPLIT = 3;

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "bert_dir_test_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** The bits of an f32 array, so comparisons are exact (-0 vs 0, NaN payloads). */
const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

/** A model holding seeded parameters with nonzero biases and LayerNorm weights != 1. */
function seededModel<T>(ops: Ops<T>, seed: number): BertMlm<T> {
  const model = new BertMlm(ops, SHAPE, BATCH);
  const params = initialParameters(model.layout, CONFIG.initializer_range, seed);
  const noise = randomFloats(params.length, seed + 1, -0.5, 0.5);
  for (const e of model.layout.entries) {
    for (let i = e.offset; i < e.offset + e.size; i++) params[i] = params[i]! + noise[i]!;
  }
  ops.write(model.params, params);
  return model;
}

/** Batch `k` of a fixed sequence: seeded ids, padding and predicted positions. */
function batchAt(k: number): HostBatch {
  const { batch: B, seq: S, predictions: P } = BATCH;
  const n = B * S;
  const r = seededRandom(100 + k);
  const lengths = [S - (k % 3), S - ((k + 1) % 4)];
  const mask = Int32Array.from({ length: n }, (_, i) => (i % S < lengths[Math.floor(i / S)]! ? 1 : 0));
  const rows = [...Array(n).keys()].filter((i) => mask[i] === 1);
  for (let i = rows.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [rows[i], rows[j]] = [rows[j]!, rows[i]!];
  }
  return {
    ids: randomInts(n, 200 + k, SHAPE.vocab),
    typeIds: Int32Array.from({ length: n }, (_, i) => (i % S >= 5 ? 1 : 0)),
    attentionMask: mask,
    positions: Int32Array.from(rows.slice(0, P)),
    labels: Int32Array.from({ length: P }, (_, i) => (i === P - 1 && k % 2 ? -100 : Math.floor(r() * 40))),
  };
}

/** Warm-up then constant: the rate depends on the step, as the real schedule does. */
const rate = (step: number) => 2e-3 * Math.min(1, step / 4);

Deno.test("bertShape() converts a HuggingFace config to the model's sizes", () => {
  assert.deepEqual(SHAPE, {
    vocab: 40,
    hidden: 32,
    layers: 2,
    heads: 2,
    intermediate: 64,
    maxPositions: 16,
    typeVocab: 2,
    layerNormEps: 1e-12,
    hiddenDropout: 0.1,
    attentionDropout: 0.1,
  });
  const base = bertShape(bertPreset("base"));
  assert.equal(base.intermediate, 3072);
  assert.equal(base.vocab, 30522);
  assert.throws(
    () => bertShape({ ...CONFIG, hidden_act: "relu" } as unknown as BertConfig, "x/config.json"),
    /Invalid BERT config "x\/config.json": field "hidden_act" is "relu", only "gelu"/,
  );
  assert.throws(
    () => bertShape({ ...CONFIG, num_attention_heads: 3 }),
    /"hidden_size" \(32\) must be a multiple of "num_attention_heads" \(3\)/,
  );
});

async function roundTrip<T>(ops: Ops<T>, dir: string): Promise<void> {
  const model = seededModel(ops, 3);
  const vocab = Array.from({ length: 38 }, (_, i) => (i < 5 ? `[unused${i}]` : `tok${i}`)).join("\n") + "\n";
  const vocabPath = `${dir}/source_vocab.txt`;
  await Deno.writeTextFile(vocabPath, vocab);
  const out = `${dir}/saved/nested`;
  await saveBertDir(out, { ops, model, config: CONFIG, vocabPath });

  const names = [...Deno.readDirSync(out)].map((e) => e.name).sort();
  assert.deepEqual(names, [CONFIG_FILE, MODEL_FILE, VOCAB_FILE], "only the final files, no temporaries");
  assert.equal(await Deno.readTextFile(`${out}/${VOCAB_FILE}`), vocab);

  const loaded = await loadBertDir(out, { head: "mlm" });
  assert.deepEqual(loaded.config, CONFIG);
  assert.deepEqual(loaded.shape, SHAPE);
  assert.deepEqual(loaded.unused, []);
  assert.deepEqual(loaded.renamed, []);
  assert.deepEqual(loaded.warnings, []);
  const before = await ops.read(model.params);
  assert.deepEqual(bits(loaded.params), bits(before), "loaded parameters, bit for bit");

  const fresh = new BertMlm(ops, loaded.shape, BATCH);
  ops.write(fresh.params, loaded.params);
  assert.deepEqual(bits(await ops.read(fresh.params)), bits(before), "parameters on the backend");
}

Deno.test("saveBertDir() then loadBertDir() round-trips the parameters bit for bit [cpu]", async () => {
  await withTempDir((dir) => roundTrip(cpuOps(), dir));
});

gpuTest("saveBertDir() then loadBertDir() round-trips the parameters bit for bit", async (g) => {
  await withTempDir((dir) => roundTrip(gpuOps(g), dir));
});

Deno.test("saveBertDir() writes config.json as HuggingFace does and it reads back equal", async () => {
  await withTempDir(async (dir) => {
    const ops = cpuOps();
    await saveBertDir(dir, { ops, model: seededModel(ops, 1), config: CONFIG });
    const json = JSON.parse(await Deno.readTextFile(`${dir}/${CONFIG_FILE}`));
    assert.deepEqual(json.architectures, ["BertForMaskedLM"]);
    assert.equal(json.model_type, "bert");
    assert.equal(json.hidden_act, "gelu");
    assert.equal(json.vocab_size, 40);
    assert.deepEqual(await readBertConfig(`${dir}/${CONFIG_FILE}`), CONFIG);

    const tensors = await readSafetensors(`${dir}/${MODEL_FILE}`);
    assert.deepEqual(tensors.get("bert.encoder.layer.1.intermediate.dense.weight")?.shape, [64, 32]);
    assert.deepEqual(tensors.get("cls.predictions.bias")?.shape, [40]);
    assert.equal(tensors.size, 5 + 2 * 16 + 5, "every parameter, no tied copy, no pooler");
  });
});

Deno.test("saveBertDir() refuses a config that does not match the model, naming the tensor", async () => {
  await withTempDir(async (dir) => {
    const ops = cpuOps();
    const model = seededModel(ops, 1);
    const message = await messageOf(() =>
      saveBertDir(`${dir}/out`, { ops, model, config: { ...CONFIG, intermediate_size: 48 } })
    );
    assert.match(message, /^Cannot save BERT checkpoint ".*\/out": the model does not match the config/);
    assert.match(message, /bert\.encoder\.layer\.0\.intermediate\.dense\.weight is \[64,32\] in the model/);
    assert.ok(!(await exists(`${dir}/out`)), "nothing written");
  });
});

Deno.test("loadBertDir() reads HuggingFace variants: TF names, tied decoder, pooler, extra heads", async () => {
  await withTempDir(async (dir) => {
    const ops = cpuOps();
    await saveBertDir(dir, { ops, model: seededModel(ops, 5), config: CONFIG });
    const reference = await loadBertDir(dir, { head: "mlm" });
    const saved = await readSafetensors(`${dir}/${MODEL_FILE}`);

    const variant = new Map<string, SafetensorsTensor>();
    for (const [name, t] of saved) {
      let n = name.replace(/LayerNorm\.weight$/, "LayerNorm.gamma").replace(
        /LayerNorm\.bias$/,
        "LayerNorm.beta",
      );
      if (n.startsWith("bert.encoder.layer.1.")) n = n.slice("bert.".length);
      variant.set(n, t);
    }
    variant.set("cls.predictions.decoder.weight", saved.get("bert.embeddings.word_embeddings.weight")!);
    variant.set("cls.predictions.decoder.bias", saved.get("cls.predictions.bias")!);
    variant.set("bert.pooler.dense.weight", { shape: [32, 32], data: randomFloats(32 * 32, 9) });
    variant.set("bert.pooler.dense.bias", { shape: [32], data: randomFloats(32, 10) });
    variant.set("cls.seq_relationship.weight", { shape: [2, 32], data: randomFloats(64, 11) });
    await writeSafetensors(`${dir}/${MODEL_FILE}`, variant, { format: "pt" });

    const loaded = await loadBertDir(dir, { head: "mlm" });
    assert.deepEqual(bits(loaded.params), bits(reference.params));
    assert.deepEqual(loaded.unused.sort(), [
      "bert.pooler.dense.bias",
      "bert.pooler.dense.weight",
      "cls.seq_relationship.weight",
    ]);
    assert.ok(
      loaded.renamed.some(([from, to]) =>
        from === "encoder.layer.1.output.LayerNorm.gamma" &&
        to === "bert.encoder.layer.1.output.LayerNorm.weight"
      ),
    );
    assert.deepEqual(loaded.warnings, []);
  });
});

Deno.test("loadBertDir() names the file and the tensor of a corrupted model.safetensors", async () => {
  await withTempDir(async (dir) => {
    const ops = cpuOps();
    await saveBertDir(dir, { ops, model: seededModel(ops, 2), config: CONFIG });
    const path = `${dir}/${MODEL_FILE}`;
    const good = await Deno.readFile(path);
    const headerEnd = 8 + Number(new DataView(good.buffer).getBigUint64(0, true));
    const header = new TextDecoder().decode(good.subarray(8, headerEnd));

    // Truncated: the last tensor in the file runs past its end.
    await Deno.writeFile(path, good.subarray(0, good.length - 100));
    let message = await messageOf(() => loadBertDir(dir, { head: "mlm" }));
    assert.ok(message.includes(`"${path}"`), message);
    assert.match(message, /tensor "cls\.predictions\.transform\.dense\.weight": .*truncated/);

    // A dtype this reader does not know, in the first tensor of the header.
    const tampered = good.slice();
    tampered.set(new TextEncoder().encode(header.replace(`"dtype":"F32"`, `"dtype":"F99"`)), 8);
    await Deno.writeFile(path, tampered);
    message = await messageOf(() => loadBertDir(dir, { head: "mlm" }));
    assert.equal(
      message,
      `Invalid safetensors file "${path}": tensor "bert.embeddings.LayerNorm.bias": unknown dtype "F99"`,
    );

    // Not a safetensors file at all.
    await Deno.writeTextFile(path, "<html>404 Not Found</html>");
    message = await messageOf(() => loadBertDir(dir, { head: "mlm" }));
    assert.match(
      message,
      /^Invalid safetensors file ".*model\.safetensors": header length \d+ is above the limit/,
    );

    // A NaN in the data.
    const tensors = await (async () => {
      await Deno.writeFile(path, good);
      return await readSafetensors(path);
    })();
    tensors.get("bert.encoder.layer.0.attention.self.key.weight")!.data[17] = NaN;
    await writeSafetensors(path, tensors, { format: "pt" });
    message = await messageOf(() => loadBertDir(dir, { head: "mlm" }));
    assert.equal(
      message,
      `Invalid checkpoint "${path}": tensor "bert.encoder.layer.0.attention.self.key.weight" holds NaN at element 17`,
    );

    // No model file.
    await Deno.remove(path);
    message = await messageOf(() => loadBertDir(dir, { head: "mlm" }));
    assert.match(message, /^Cannot read safetensors file ".*model\.safetensors": /);
  });
});

Deno.test("loadBertDir() names the file and the tensors when config.json does not match", async () => {
  await withTempDir(async (dir) => {
    const ops = cpuOps();
    await saveBertDir(dir, { ops, model: seededModel(ops, 4), config: CONFIG });
    const configPath = `${dir}/${CONFIG_FILE}`;
    const modelPath = `${dir}/${MODEL_FILE}`;
    const json = JSON.parse(await Deno.readTextFile(configPath));

    await Deno.writeTextFile(configPath, JSON.stringify({ ...json, vocab_size: 41 }));
    let message = await messageOf(() => loadBertDir(dir, { head: "mlm" }));
    assert.ok(message.startsWith(`Checkpoint "${modelPath}" does not match the BERT config`), message);
    assert.ok(
      message.includes("bert.embeddings.word_embeddings.weight is [40,32], expected [41,32]"),
      message,
    );
    assert.ok(message.includes("cls.predictions.bias is [40], expected [41]"), message);
    assert.ok(message.endsWith(`(config "${configPath}")`), message);

    await Deno.writeTextFile(configPath, JSON.stringify({ ...json, num_hidden_layers: 3 }));
    message = await messageOf(() => loadBertDir(dir, { head: "mlm" }));
    assert.match(message, /16 tensors missing: bert\.encoder\.layer\.2\.attention\.self\.query\.weight, /);

    await Deno.writeTextFile(configPath, JSON.stringify({ ...json, hidden_act: "relu" }));
    message = await messageOf(() => loadBertDir(dir, { head: "mlm" }));
    assert.equal(
      message,
      `Invalid BERT config "${configPath}": field "hidden_act" is "relu", only "gelu" (the exact erf form) is supported`,
    );
  });
});

Deno.test("loadBertDir() names the missing MLM head of a bare BertModel checkpoint", async () => {
  await withTempDir(async (dir) => {
    const ops = cpuOps();
    await saveBertDir(dir, { ops, model: seededModel(ops, 6), config: CONFIG });
    const path = `${dir}/${MODEL_FILE}`;
    const bare = new Map<string, SafetensorsTensor>();
    for (const [name, t] of await readSafetensors(path)) {
      if (name.startsWith("bert.")) bare.set(name.slice("bert.".length), t);
    }
    await writeSafetensors(path, bare, { format: "pt" });
    const message = await messageOf(() => loadBertDir(dir, { head: "mlm" }));
    assert.ok(message.startsWith(`Checkpoint "${path}" does not match`), message);
    assert.ok(
      message.includes(
        "5 tensors missing: cls.predictions.transform.dense.weight, cls.predictions.transform.dense.bias, " +
          "cls.predictions.transform.LayerNorm.weight, cls.predictions.transform.LayerNorm.bias, " +
          "cls.predictions.bias",
      ),
      message,
    );
  });
});

Deno.test("loadTrainingState() returns what saveTrainingState() wrote and checks the size", async () => {
  await withTempDir(async (dir) => {
    const ops = cpuOps();
    const model = seededModel(ops, 8);
    const trainer = new MlmTrainer(ops, model);
    await trainer.trainStep(batchAt(0), 1e-3);
    await trainer.trainStep(batchAt(1), 1e-3);
    const meta = { dataPosition: { shard: 0, sequence: 4 }, config: { lr: 1e-3, preset: "tiny" } };
    await saveTrainingState(`${dir}/ckpt`, { ops, trainer, meta });
    assert.deepEqual([...Deno.readDirSync(`${dir}/ckpt`)].map((e) => e.name), [OPTIMIZER_FILE]);

    const state = await loadTrainingState(`${dir}/ckpt`, { parameters: model.layout.size });
    assert.equal(state.step, 2);
    assert.deepEqual(state.meta, meta);
    assert.deepEqual(bits(state.m), bits(await ops.read(trainer.m)));
    assert.deepEqual(bits(state.v), bits(await ops.read(trainer.v)));

    const message = await messageOf(() => loadTrainingState(`${dir}/ckpt`, { parameters: 100 }));
    assert.equal(
      message,
      `Invalid optimizer state "${dir}/ckpt/${OPTIMIZER_FILE}": tensor "adam.m" has ${model.layout.size} values, ` +
        `the model has 100 parameters`,
    );
  });
});

/**
 * Trains STEPS steps straight, and SPLIT steps, save, fresh model and trainer, load, the rest;
 * returns both loss sequences and both final parameter buffers.
 */
async function straightAndResumed<T>(ops: Ops<T>, dir: string) {
  const run = async (trainer: MlmTrainer<T>, from: number, to: number) => {
    const out: number[] = [];
    for (let k = from; k < to; k++) {
      out.push((await trainer.trainStep(batchAt(k), rate(trainer.step + 1))).loss);
    }
    return out;
  };
  const straightModel = seededModel(ops, 7);
  const straight = await run(new MlmTrainer(ops, straightModel), 0, STEPS);

  const first = seededModel(ops, 7);
  const firstTrainer = new MlmTrainer(ops, first);
  const resumed = await run(firstTrainer, 0, SPLIT);
  await saveBertDir(dir, { ops, model: first, config: CONFIG });
  await saveTrainingState(dir, { ops, trainer: firstTrainer, meta: { dataPosition: SPLIT } });

  const loaded = await loadBertDir(dir, { head: "mlm" });
  const state = await loadTrainingState(dir, { parameters: loaded.layout.size });
  const second = new BertMlm(ops, loaded.shape, BATCH);
  ops.write(second.params, loaded.params);
  const secondTrainer = new MlmTrainer(ops, second);
  secondTrainer.restore(state.step, state.m, state.v);
  resumed.push(...await run(secondTrainer, state.meta.dataPosition as number, STEPS));
  return {
    straight,
    resumed,
    straightParams: await ops.read(straightModel.params),
    resumedParams: await ops.read(second.params),
    state,
  };
}

async function checkResume<T>(ops: Ops<T>, what: string): Promise<void> {
  await withTempDir(async (dir) => {
    const r = await straightAndResumed(ops, dir);
    assert.equal(r.state.step, SPLIT);
    assert.ok(r.straight.every(Number.isFinite), `finite losses ${r.straight}`);
    assert.equal(new Set(r.straight).size, STEPS, `a loss per step, all different: ${r.straight}`);
    assert.deepEqual(r.resumed, r.straight, `${what}: resumed losses, bit for bit`);
    assert.deepEqual(bits(r.resumedParams), bits(r.straightParams), `${what}: final parameters`);
  });
}

Deno.test("resuming from a saved step reproduces the uninterrupted run's losses exactly [cpu]", async () => {
  await checkResume(cpuOps(), "cpu");
});

gpuTest("resuming from a saved step reproduces the uninterrupted run's losses exactly", async (g) => {
  await checkResume(gpuOps(g), g.backend);
});

Deno.test("resuming is sensitive to the step: restoring step 0 changes the next loss [cpu]", async () => {
  // Guards the test above: dropout masks and AdamW's bias correction are keyed by the step, so a
  // resume that lost it would not reproduce the losses.
  await withTempDir(async (dir) => {
    const ops = cpuOps();
    const { straight, state } = await straightAndResumed(ops, dir);
    const loaded = await loadBertDir(dir, { head: "mlm" });
    const model = new BertMlm(ops, loaded.shape, BATCH);
    ops.write(model.params, loaded.params);
    const trainer = new MlmTrainer(ops, model);
    trainer.restore(0, state.m, state.v);
    const loss = (await trainer.trainStep(batchAt(SPLIT), rate(SPLIT + 1))).loss;
    assert.notEqual(loss, straight[SPLIT]);
  });
});
