// Checkpoints written by HuggingFace transformers load here and compute what transformers computes.
// The fixture (tests/fixtures/hf_tiny) was made by its make.py with the torch and transformers
// versions recorded in expected.json: an odd-sized random BertForMaskedLM and a
// BertForSequenceClassification saved by save_pretrained (safetensors), and their eval-mode logits
// on a padded batch with token types.
import { BertClassifier } from "../core/bert/classifier.ts";
import { BertMlm } from "../core/bert/model.ts";
import { loadBertClassifierDir, loadBertDir } from "../core/checkpoint/bert_dir.ts";
import { cpuOps, gpuOps, type Ops } from "../core/ops.ts";
import { assertClose, gpuTest } from "./_helpers.ts";

const DIR = new URL("./fixtures/hf_tiny/", import.meta.url).pathname;
const expected = JSON.parse(await Deno.readTextFile(`${DIR}expected.json`)) as {
  input_ids: number[][];
  token_type_ids: number[][];
  attention_mask: number[][];
  mlm_logits: number[][][];
  classifier_logits: number[][];
};
const B = expected.input_ids.length, T = expected.input_ids[0]!.length;
const inputs = {
  ids: Int32Array.from(expected.input_ids.flat()),
  typeIds: Int32Array.from(expected.token_type_ids.flat()),
  attentionMask: Int32Array.from(expected.attention_mask.flat()),
};
// transformers computes in float32; ours reads float32 weights too.
const TOLERANCE = { rtol: 1e-4, atol: 1e-5 };

async function mlmLogits<T>(ops: Ops<T>): Promise<Float32Array> {
  const { shape, params } = await loadBertDir(`${DIR}mlm`, { head: "mlm" });
  // Every position is "predicted", so the logits cover the whole batch as transformers gives them.
  const model = new BertMlm(ops, shape, { batch: B, seq: T, predictions: B * T });
  ops.write(model.params, params);
  model.setBatch({
    ...inputs,
    positions: Int32Array.from({ length: B * T }, (_, i) => i),
    labels: new Int32Array(B * T),
  });
  model.forward(0, false);
  return await ops.read(model.logits());
}

async function classifierLogits<T>(ops: Ops<T>): Promise<Float32Array> {
  const loaded = await loadBertClassifierDir(`${DIR}classifier`, { requireHead: true });
  const model = new BertClassifier(ops, loaded.shape, { batch: B, seq: T }, { numLabels: loaded.numLabels });
  ops.write(model.params, loaded.params);
  model.setBatch({ ...inputs, labels: new Int32Array(B) });
  model.forward(0, false);
  return await ops.read(model.logits());
}

Deno.test("a transformers BertForMaskedLM loads and gives transformers' logits (CPU)", async () => {
  assertClose(await mlmLogits(cpuOps("f64")), expected.mlm_logits.flat(2), TOLERANCE, "mlm logits");
});

Deno.test("a transformers BertForSequenceClassification loads and gives transformers' logits (CPU)", async () => {
  assertClose(
    await classifierLogits(cpuOps("f64")),
    expected.classifier_logits.flat(),
    TOLERANCE,
    "classifier logits",
  );
});

gpuTest("a transformers BertForMaskedLM gives transformers' logits on the device", async (gpu) => {
  assertClose(await mlmLogits(gpuOps(gpu)), expected.mlm_logits.flat(2), TOLERANCE, "mlm logits");
});

gpuTest(
  "a transformers BertForSequenceClassification gives transformers' logits on the device",
  async (gpu) => {
    assertClose(
      await classifierLogits(gpuOps(gpu)),
      expected.classifier_logits.flat(),
      TOLERANCE,
      "classifier logits",
    );
  },
);
