import assert from "node:assert/strict";
import {
  BERT_DEFAULTS,
  BERT_PRESETS,
  type BertConfig,
  bertConfigJson,
  bertPreset,
  type BertPresetName,
  parseBertConfig,
  readBertConfig,
  writeBertConfig,
} from "../core/bert/config.ts";
import { messageOf } from "./_helpers.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const BASE_CONFIG = `${ROOT}data/bert-base-uncased/config.json`;

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "bert_config_test_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("bertPreset() gives every size its layers, width, heads and a 4H feed-forward", () => {
  const expected: Record<BertPresetName, [number, number, number]> = {
    tiny: [2, 128, 2],
    mini: [4, 256, 4],
    small: [4, 512, 8],
    medium: [8, 512, 8],
    base: [12, 768, 12],
    large: [24, 1024, 16],
  };
  assert.deepEqual(Object.keys(BERT_PRESETS).sort(), Object.keys(expected).sort());
  for (const [name, [L, H, A]] of Object.entries(expected) as [BertPresetName, [number, number, number]][]) {
    const c = bertPreset(name);
    assert.equal(c.num_hidden_layers, L, name);
    assert.equal(c.hidden_size, H, name);
    assert.equal(c.num_attention_heads, A, name);
    assert.equal(c.intermediate_size, 4 * H, name);
    assert.equal(c.vocab_size, 30522, name);
    assert.equal(c.hidden_act, "gelu", name);
    assert.equal(c.max_position_embeddings, 512, name);
    assert.equal(c.type_vocab_size, 2, name);
  }
});

Deno.test("bertPreset() applies overrides, and the feed-forward follows an overridden width", () => {
  const c = bertPreset("tiny", { vocab_size: 8192, hidden_size: 72, num_attention_heads: 3 });
  assert.equal(c.vocab_size, 8192);
  assert.equal(c.hidden_size, 72);
  assert.equal(c.intermediate_size, 288);
  assert.equal(bertPreset("mini", { intermediate_size: 100 }).intermediate_size, 100);
  assert.equal(bertPreset("mini", { num_labels: 3 }).num_labels, 3);
});

Deno.test("bertPreset() refuses an unknown name and an override that breaks the config", async () => {
  const unknown = await messageOf(() => bertPreset("huge" as BertPresetName));
  assert.match(unknown, /Unknown BERT preset "huge": expected one of tiny, mini, small, medium, base, large/);
  assert.throws(() => bertPreset("huge" as BertPresetName), RangeError);
  const broken = await messageOf(() => bertPreset("base", { num_attention_heads: 7 }));
  assert.match(
    broken,
    /"preset base".*"hidden_size" \(768\) must be a multiple of "num_attention_heads" \(7\)/,
  );
});

Deno.test("readBertConfig() reads bert-base-uncased's config.json", async () => {
  const c = await readBertConfig(BASE_CONFIG);
  assert.equal(c.hidden_size, 768);
  assert.equal(c.num_hidden_layers, 12);
  assert.equal(c.num_attention_heads, 12);
  assert.equal(c.intermediate_size, 3072);
  assert.equal(c.vocab_size, 30522);
  assert.equal(c.layer_norm_eps, 1e-12);
  assert.equal(c.num_labels, undefined);
  assert.deepEqual(c, bertPreset("base"));
  assert.deepEqual(c, { ...BERT_DEFAULTS });
});

Deno.test("parseBertConfig() fills missing fields with HuggingFace's defaults", () => {
  assert.deepEqual(parseBertConfig({}, "empty"), { ...BERT_DEFAULTS });
  const c = parseBertConfig({ hidden_size: 256, num_attention_heads: 4, transformers_version: "4.6" }, "x");
  assert.equal(c.hidden_size, 256);
  assert.equal(c.intermediate_size, 3072);
  assert.equal("transformers_version" in c, false);
});

Deno.test("writeBertConfig() then readBertConfig() gives the same config, written as HuggingFace writes it", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/config.json`;
    const config = bertPreset("mini", { vocab_size: 8192, hidden_dropout_prob: 0 });
    await writeBertConfig(path, config);
    assert.deepEqual(await readBertConfig(path), config);
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["config.json"]);

    const text = await Deno.readTextFile(path);
    assert.ok(text.endsWith("}\n"));
    const json = JSON.parse(text);
    assert.deepEqual(json.architectures, ["BertForMaskedLM"]);
    assert.equal(json.model_type, "bert");
    assert.equal(json.position_embedding_type, "absolute");
    assert.deepEqual(Object.keys(json), Object.keys(json).sort());
    assert.ok(text.includes(`\n  "hidden_size": 256,\n`));

    // bert-base-uncased's own file round-trips through a write.
    const base = await readBertConfig(BASE_CONFIG);
    await writeBertConfig(path, base);
    const written = JSON.parse(await Deno.readTextFile(path));
    const original = JSON.parse(await Deno.readTextFile(BASE_CONFIG));
    for (const key of Object.keys(written)) {
      assert.deepEqual(written[key], original[key], `field "${key}"`);
    }
  });
});

Deno.test("a classification config carries its labels as id2label / label2id", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/config.json`;
    const config = bertPreset("tiny", { num_labels: 3, problem_type: "single_label_classification" });
    await writeBertConfig(path, config);
    const json = JSON.parse(await Deno.readTextFile(path));
    assert.deepEqual(json.architectures, ["BertForSequenceClassification"]);
    assert.deepEqual(json.id2label, { "0": "LABEL_0", "1": "LABEL_1", "2": "LABEL_2" });
    assert.deepEqual(json.label2id, { LABEL_0: 0, LABEL_1: 1, LABEL_2: 2 });
    assert.equal("num_labels" in json, false);
    const back = await readBertConfig(path);
    assert.equal(back.num_labels, 3);
    assert.equal(back.problem_type, "single_label_classification");

    const named = bertPreset("tiny", { id2label: { "0": "contradiction", "1": "entailment" } });
    assert.equal(named.num_labels, 2);
    assert.equal(JSON.parse(bertConfigJson(named)).label2id.entailment, 1);
    const regression = parseBertConfig({ num_labels: 1, problem_type: "regression" }, "stsb");
    assert.equal(regression.num_labels, 1);
    assert.deepEqual(JSON.parse(bertConfigJson(regression, { architectures: ["X"] })).architectures, ["X"]);
  });
});

Deno.test("parseBertConfig() refuses bad values, naming the source and the field", async () => {
  const cases: [Record<string, unknown>, RegExp, typeof TypeError | typeof RangeError][] = [
    [
      { hidden_size: 100, num_attention_heads: 3 },
      /"hidden_size" \(100\) must be a multiple of "num_attention_heads" \(3\)/,
      RangeError,
    ],
    [{ vocab_size: 0 }, /field "vocab_size" must be an integer >= 1, got 0/, RangeError],
    [{ num_hidden_layers: 2.5 }, /field "num_hidden_layers" must be an integer >= 1, got 2.5/, RangeError],
    [{ hidden_size: "768" }, /field "hidden_size" must be an integer, got "768"/, TypeError],
    [{ intermediate_size: null }, /field "intermediate_size" must be an integer, got null/, TypeError],
    [
      { hidden_dropout_prob: 1 },
      /field "hidden_dropout_prob" must be a probability in \[0, 1\), got 1/,
      RangeError,
    ],
    [
      { attention_probs_dropout_prob: -0.1 },
      /"attention_probs_dropout_prob" must be a probability/,
      RangeError,
    ],
    [{ layer_norm_eps: 0 }, /field "layer_norm_eps" must be a positive number, got 0/, RangeError],
    [
      { hidden_act: "relu" },
      /field "hidden_act" is "relu", only "gelu" \(the exact erf form\) is supported/,
      RangeError,
    ],
    [{ hidden_act: "gelu_new" }, /"hidden_act" is "gelu_new"/, RangeError],
    [{ model_type: "roberta" }, /field "model_type" is "roberta", only "bert" is supported/, RangeError],
    [{ position_embedding_type: "relative_key" }, /"position_embedding_type" is "relative_key"/, RangeError],
    [{ pad_token_id: 30522 }, /"pad_token_id" \(30522\) must be below "vocab_size" \(30522\)/, RangeError],
    [{ num_labels: 0 }, /field "num_labels" must be an integer >= 1, got 0/, RangeError],
    [
      { num_labels: 3, id2label: { "0": "a", "1": "b" } },
      /"num_labels" \(3\) disagrees with the 2 labels/,
      RangeError,
    ],
    [
      { id2label: { "0": "a", "2": "b" } },
      /"id2label" must map "0".."1" to strings, "1" is nothing/,
      TypeError,
    ],
    [{ problem_type: "ranking" }, /field "problem_type" must be one of regression, /, RangeError],
  ];
  for (const [json, pattern, Kind] of cases) {
    const message = await messageOf(() => parseBertConfig(json, "dir/config.json"));
    assert.match(message, /^Invalid BERT config "dir\/config\.json": /, JSON.stringify(json));
    assert.match(message, pattern, JSON.stringify(json));
    assert.throws(() => parseBertConfig(json, "dir/config.json"), Kind);
  }
  assert.match(
    await messageOf(() => parseBertConfig([1], "a.json")),
    /"a.json": expected a JSON object, got an array/,
  );
});

Deno.test("readBertConfig() names the file when it is missing or not JSON", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/config.json`;
    assert.match(
      await messageOf(() => readBertConfig(path)),
      new RegExp(`^Cannot read BERT config "${path}": `),
    );
    await Deno.writeTextFile(path, '{"hidden_size": 768,');
    assert.match(
      await messageOf(() => readBertConfig(path)),
      new RegExp(`^Invalid BERT config "${path}": not valid JSON`),
    );
    await Deno.writeTextFile(path, '{"num_attention_heads": 5}');
    assert.match(
      await messageOf(() => readBertConfig(path)),
      new RegExp(`^Invalid BERT config "${path}": field "hidden_size"`),
    );
  });
});

Deno.test("writeBertConfig() refuses an invalid config and leaves no file behind", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/config.json`;
    const bad = { ...bertPreset("tiny"), hidden_act: "tanh" } as unknown as BertConfig;
    assert.match(await messageOf(() => writeBertConfig(path, bad)), /"hidden_act" is "tanh"/);
    assert.deepEqual([...Deno.readDirSync(dir)], []);
  });
});
