import assert from "node:assert/strict";
import { type BertConfig, bertPreset } from "../core/bert/config.ts";
import { mlmParameters } from "../core/bert/model.ts";
import {
  bertTensorNames,
  canonicalTensorName,
  HF_SAFETENSORS_METADATA,
  isHfBuffer,
  validateCheckpoint,
} from "../core/checkpoint/hf_names.ts";
import { readSafetensors, type SafetensorsTensor, writeSafetensors } from "../core/checkpoint/safetensors.ts";
import { messageOf, randomFloats } from "./_helpers.ts";

/** A checkpoint with every tensor of `config` + `head`, filled with seeded values. */
function fullCheckpoint(config: BertConfig, head: "mlm" | "classification"): Map<string, SafetensorsTensor> {
  const out = new Map<string, SafetensorsTensor>();
  let seed = 1;
  for (const { name, shape } of bertTensorNames(config, { head })) {
    out.set(name, { shape, data: randomFloats(shape.reduce((a, b) => a * b, 1), seed++) });
  }
  return out;
}

const TINY = bertPreset("tiny", { vocab_size: 50, max_position_embeddings: 16, num_labels: 3 });

Deno.test("bertTensorNames() lists bert-base's 204 MLM tensors in HuggingFace's names and shapes", () => {
  const base = bertPreset("base");
  const names = bertTensorNames(base, { head: "mlm" });
  assert.equal(names.length, 5 + 16 * 12 + 2 + 5);
  assert.equal(names.length, 204);
  assert.equal(new Set(names.map((t) => t.name)).size, names.length);
  const shape = new Map(names.map((t) => [t.name, t.shape]));
  assert.deepEqual(names[0], { name: "bert.embeddings.word_embeddings.weight", shape: [30522, 768] });
  assert.deepEqual(shape.get("bert.embeddings.position_embeddings.weight"), [512, 768]);
  assert.deepEqual(shape.get("bert.embeddings.token_type_embeddings.weight"), [2, 768]);
  assert.deepEqual(shape.get("bert.embeddings.LayerNorm.bias"), [768]);
  assert.deepEqual(shape.get("bert.encoder.layer.11.attention.self.query.weight"), [768, 768]);
  assert.deepEqual(shape.get("bert.encoder.layer.0.attention.self.value.bias"), [768]);
  assert.deepEqual(shape.get("bert.encoder.layer.3.attention.output.LayerNorm.weight"), [768]);
  assert.deepEqual(shape.get("bert.encoder.layer.5.intermediate.dense.weight"), [3072, 768]);
  assert.deepEqual(shape.get("bert.encoder.layer.5.intermediate.dense.bias"), [3072]);
  assert.deepEqual(shape.get("bert.encoder.layer.7.output.dense.weight"), [768, 3072]);
  assert.deepEqual(shape.get("bert.pooler.dense.weight"), [768, 768]);
  assert.deepEqual(shape.get("cls.predictions.transform.LayerNorm.bias"), [768]);
  assert.deepEqual(names.at(-1), { name: "cls.predictions.bias", shape: [30522] });
  assert.equal(shape.has("cls.predictions.decoder.weight"), false, "tied: not saved");
  assert.equal(shape.has("cls.predictions.decoder.bias"), false, "alias: not saved");
  // HuggingFace's BertForMaskedLM has 109,514,298 parameters (decoder tied); the pooler adds H*H + H.
  const count = names.reduce((n, t) => n + t.shape.reduce((a, b) => a * b, 1), 0);
  assert.equal(count, 109_514_298 + 768 * 768 + 768);
});

Deno.test("bertTensorNames() lists a tiny model's tensors, and a classifier of numLabels outputs", () => {
  const mlm = bertTensorNames(TINY, { head: "mlm" });
  assert.equal(mlm.length, 5 + 16 * 2 + 2 + 5);
  const cls = bertTensorNames(TINY, { head: "classification" });
  assert.equal(cls.length, 5 + 16 * 2 + 2 + 2);
  assert.deepEqual(cls.slice(-2), [
    { name: "classifier.weight", shape: [3, 128] },
    { name: "classifier.bias", shape: [3] },
  ]);
  assert.deepEqual(bertTensorNames(TINY, { head: "classification", numLabels: 1 }).at(-1)!.shape, [1]);
  assert.deepEqual(mlm.slice(0, -5), cls.slice(0, -2), "the same encoder under both heads");
  const noLabels = bertPreset("tiny");
  assert.throws(
    () => bertTensorNames(noLabels, { head: "classification" }),
    /numLabels must be a positive integer, got undefined/,
  );
});

Deno.test("bertTensorNames() agrees with the model's parameter layout (which has no pooler)", () => {
  const config = bertPreset("tiny", { hidden_size: 72, num_attention_heads: 3, vocab_size: 37 });
  const names = new Map(bertTensorNames(config, { head: "mlm" }).map((t) => [t.name, t.shape]));
  const model = mlmParameters({
    vocab: config.vocab_size,
    hidden: config.hidden_size,
    layers: config.num_hidden_layers,
    heads: config.num_attention_heads,
    intermediate: config.intermediate_size,
    maxPositions: config.max_position_embeddings,
    typeVocab: config.type_vocab_size,
    layerNormEps: config.layer_norm_eps,
    hiddenDropout: config.hidden_dropout_prob,
    attentionDropout: config.attention_probs_dropout_prob,
  });
  for (const { name, shape } of model) assert.deepEqual(names.get(name), shape, name);
  const modelNames = new Set(model.map((t) => t.name));
  const extra = [...names.keys()].filter((n) => !modelNames.has(n));
  assert.ok(extra.every((n) => n.startsWith("bert.pooler.")), `only the pooler is extra: ${extra}`);
});

Deno.test("canonicalTensorName() maps TF-converted and prefix-less names to HuggingFace's", () => {
  assert.equal(canonicalTensorName("bert.embeddings.LayerNorm.gamma"), "bert.embeddings.LayerNorm.weight");
  assert.equal(
    canonicalTensorName("bert.encoder.layer.0.output.LayerNorm.beta"),
    "bert.encoder.layer.0.output.LayerNorm.bias",
  );
  assert.equal(
    canonicalTensorName("encoder.layer.3.attention.self.key.weight"),
    "bert.encoder.layer.3.attention.self.key.weight",
  );
  assert.equal(canonicalTensorName("embeddings.LayerNorm.gamma"), "bert.embeddings.LayerNorm.weight");
  assert.equal(canonicalTensorName("pooler.dense.bias"), "bert.pooler.dense.bias");
  assert.equal(canonicalTensorName("cls.predictions.bias"), "cls.predictions.bias");
  assert.equal(canonicalTensorName("classifier.weight"), "classifier.weight");
  assert.ok(isHfBuffer("bert.embeddings.position_ids"));
  assert.ok(!isHfBuffer("bert.embeddings.position_embeddings.weight"));
});

Deno.test("validateCheckpoint() accepts a complete checkpoint and returns it in layout order", () => {
  const ckpt = fullCheckpoint(TINY, "mlm");
  const shuffled = new Map([...ckpt].reverse());
  const check = validateCheckpoint(shuffled, TINY, { head: "mlm" });
  assert.deepEqual([...check.tensors.keys()], [...ckpt.keys()]);
  assert.equal(check.tensors.get("cls.predictions.bias"), ckpt.get("cls.predictions.bias"));
  assert.deepEqual(check.missing, []);
  assert.deepEqual(check.unexpected, []);
  assert.deepEqual(check.renamed, []);
  assert.deepEqual(check.warnings, []);
});

Deno.test("validateCheckpoint() reads old names, a bare BertModel's names and the tied decoder copies", () => {
  const ckpt = fullCheckpoint(TINY, "mlm");
  const old = new Map<string, SafetensorsTensor>();
  for (const [name, t] of ckpt) {
    let n = name.replace(/LayerNorm\.weight$/, "LayerNorm.gamma").replace(
      /LayerNorm\.bias$/,
      "LayerNorm.beta",
    );
    if (n.startsWith("bert.")) n = n.slice("bert.".length);
    if (n === "cls.predictions.bias") n = "cls.predictions.decoder.bias";
    old.set(n, t);
  }
  const embeddings = ckpt.get("bert.embeddings.word_embeddings.weight")!;
  old.set("cls.predictions.decoder.weight", { shape: embeddings.shape, data: embeddings.data.slice() });
  old.set("cls.seq_relationship.weight", { shape: [2, 128], data: new Float32Array(256) });
  old.set("cls.seq_relationship.bias", { shape: [2], data: new Float32Array(2) });

  const check = validateCheckpoint(old, TINY, { head: "mlm" });
  assert.deepEqual([...check.tensors.keys()], [...ckpt.keys()]);
  for (const [name, t] of ckpt) assert.equal(check.tensors.get(name)!.data, t.data, name);
  assert.deepEqual(check.unexpected, ["cls.seq_relationship.weight", "cls.seq_relationship.bias"]);
  assert.deepEqual(check.warnings, []);
  assert.ok(
    check.renamed.some(([a, b]) =>
      a === "embeddings.LayerNorm.gamma" && b === "bert.embeddings.LayerNorm.weight"
    ),
  );
  assert.ok(
    check.renamed.some(([a, b]) => a === "cls.predictions.decoder.bias" && b === "cls.predictions.bias"),
  );

  // An untied decoder loads, with a warning that the word embeddings are used.
  old.set("cls.predictions.decoder.weight", {
    shape: embeddings.shape,
    data: new Float32Array(embeddings.data.length),
  });
  assert.match(
    validateCheckpoint(old, TINY, { head: "mlm" }).warnings.join("\n"),
    /decoder\.weight differs from bert\.embeddings\.word_embeddings\.weight/,
  );
});

Deno.test("validateCheckpoint() names every missing, mis-shaped and doubled tensor in one message", async () => {
  const ckpt = fullCheckpoint(TINY, "mlm");
  ckpt.delete("bert.encoder.layer.1.output.dense.bias");
  ckpt.delete("cls.predictions.transform.dense.weight");
  ckpt.set("bert.embeddings.word_embeddings.weight", { shape: [49, 128], data: new Float32Array(49 * 128) });
  ckpt.set("cls.predictions.decoder.weight", { shape: [50, 12], data: new Float32Array(600) });
  ckpt.set("embeddings.LayerNorm.gamma", { shape: [128], data: new Float32Array(128) });
  ckpt.set("classifier.weight", { shape: [2, 128], data: new Float32Array(256) });
  const message = await messageOf(() =>
    validateCheckpoint(ckpt, TINY, { head: "mlm" }, { source: "out/model.safetensors" })
  );
  assert.equal(
    message,
    'Checkpoint "out/model.safetensors" does not match the BERT config (L2/H128/A2/V50, mlm head): ' +
      "2 tensors missing: bert.encoder.layer.1.output.dense.bias, cls.predictions.transform.dense.weight; " +
      "2 tensors mis-shaped: cls.predictions.decoder.weight is [50,12], expected [50,128]; " +
      "bert.embeddings.word_embeddings.weight is [49,128], expected [50,128]; " +
      '1 tensor given twice: "bert.embeddings.LayerNorm.weight" and "embeddings.LayerNorm.gamma" are both ' +
      "bert.embeddings.LayerNorm.weight",
  );
});

Deno.test("validateCheckpoint() lets a classifier start from a pre-trained MLM checkpoint", async () => {
  const mlm = fullCheckpoint(TINY, "mlm");
  const strict = await messageOf(() => validateCheckpoint(mlm, TINY, { head: "classification" }));
  assert.match(strict, /2 tensors missing: classifier\.weight, classifier\.bias$/);
  const check = validateCheckpoint(mlm, TINY, { head: "classification" }, { allowMissingHead: true });
  assert.deepEqual(check.missing, ["classifier.weight", "classifier.bias"]);
  assert.deepEqual(check.unexpected, [
    "cls.predictions.transform.dense.weight",
    "cls.predictions.transform.dense.bias",
    "cls.predictions.transform.LayerNorm.weight",
    "cls.predictions.transform.LayerNorm.bias",
    "cls.predictions.bias",
  ]);
  assert.equal(check.tensors.size, 5 + 16 * 2 + 2);

  // HuggingFace's BertForMaskedLM saves no pooler: the MLM head does not need one.
  mlm.delete("bert.pooler.dense.weight");
  mlm.delete("bert.pooler.dense.bias");
  assert.deepEqual(validateCheckpoint(mlm, TINY, { head: "mlm" }).missing, [
    "bert.pooler.dense.weight",
    "bert.pooler.dense.bias",
  ]);
});

Deno.test("an MLM checkpoint written with HuggingFace's names reads back bit-exact and validates", async () => {
  const dir = await Deno.makeTempDir({ prefix: "checkpoint_names_test_" });
  try {
    const path = `${dir}/model.safetensors`;
    const ckpt = fullCheckpoint(TINY, "mlm");
    await writeSafetensors(path, ckpt, { ...HF_SAFETENSORS_METADATA });
    const back = await readSafetensors(path, { skip: isHfBuffer });
    const { tensors } = validateCheckpoint(back, TINY, { head: "mlm" }, { source: path });
    for (const [name, t] of ckpt) {
      assert.deepEqual(tensors.get(name)!.shape, t.shape, name);
      assert.deepEqual(
        new Uint32Array(tensors.get(name)!.data.buffer),
        new Uint32Array(t.data.buffer),
        name,
      );
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
