import { cpuOps, gpuOps, type Ops } from "../core/ops.ts";
import { BertClassifier, type ClassifierBatch } from "../core/bert/classifier.ts";
import type { BertShape, SequenceShape } from "../core/bert/encoder.ts";
import { initialParameters } from "../core/bert/model.ts";
import { assertClose, gpuTest, randomFloats, randomInts, seededRandom } from "./_helpers.ts";

const SHAPE: BertShape = {
  vocab: 30,
  hidden: 24,
  layers: 2,
  heads: 3,
  intermediate: 40,
  maxPositions: 12,
  typeVocab: 2,
  layerNormEps: 1e-12,
  hiddenDropout: 0.1,
  attentionDropout: 0.1,
};
const BATCH: SequenceShape = { batch: 3, seq: 6 };

function batchFor(numLabels: number): ClassifierBatch {
  const n = BATCH.batch * BATCH.seq;
  const inputs = {
    ids: randomInts(n, 4, SHAPE.vocab),
    typeIds: Int32Array.from({ length: n }, (_, i) => (i % BATCH.seq) >= 3 ? 1 : 0),
    attentionMask: Int32Array.from({ length: n }, (_, i) => (i === n - 1 ? 0 : 1)),
  };
  return numLabels === 1
    ? { ...inputs, targets: Float32Array.from(randomFloats(BATCH.batch, 5, 0, 5)) }
    : { ...inputs, labels: Int32Array.of(0, 2, 1) };
}

async function run<T>(ops: Ops<T>, numLabels: number) {
  const model = new BertClassifier(ops, SHAPE, BATCH, { numLabels });
  ops.write(model.params, initialParameters(model.layout, 0.2, 3));
  model.setBatch(batchFor(numLabels));
  const { loss } = model.forward(2, true);
  model.backward(2, true);
  return { loss: (await ops.read(loss))[0]!, grads: await ops.read(model.grads), layout: model.layout };
}

for (const numLabels of [3, 1]) {
  const kind = numLabels === 1 ? "regression (MSE)" : "classification (3 labels)";
  gpuTest(`BertClassifier ${kind}: loss and every gradient match the CPU reference`, async (g) => {
    const ref = await run(cpuOps(), numLabels);
    const got = await run(gpuOps(g), numLabels);
    assertClose([got.loss], [ref.loss], { rtol: 1e-5, atol: 0 }, "loss");
    const largest = ref.grads.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    for (const e of ref.layout.entries) {
      const r = ref.grads.subarray(e.offset, e.offset + e.size);
      const x = got.grads.subarray(e.offset, e.offset + e.size);
      const scale = r.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      // As in bert_model_test.ts: a floor relative to the largest gradient for cancelling entries.
      assertClose(x, r, { rtol: 1e-3, atol: 1e-4 * scale + 1e-6 * largest }, `grad ${e.name} [${g.backend}]`);
    }
  });

  Deno.test(`BertClassifier ${kind}: CPU gradients match finite differences (float64)`, () => {
    const ops = cpuOps("f64");
    const model = new BertClassifier(ops, SHAPE, BATCH, { numLabels });
    ops.write(model.params, initialParameters(model.layout, 0.2, 3));
    model.setBatch(batchFor(numLabels));
    const lossAt = () => model.forward(2, true).loss.f[0]!;
    lossAt();
    model.backward(2, true);
    const grads = Float64Array.from(model.grads.f);
    const params = model.params.f;
    const r = seededRandom(13);
    const eps = 1e-6;
    for (const e of model.layout.entries) {
      const numeric: number[] = [], analytic: number[] = [];
      for (let k = 0; k < 3; k++) {
        const at = e.offset + Math.floor(r() * e.size);
        const keep = params[at]!;
        params[at] = keep + eps;
        const up = lossAt();
        params[at] = keep - eps;
        const down = lossAt();
        params[at] = keep;
        numeric.push((up - down) / (2 * eps));
        analytic.push(grads[at]!);
      }
      assertClose(analytic, numeric, { rtol: 1e-4, atol: 1e-7 }, `d loss / d ${e.name}`);
    }
  });
}

Deno.test("BertClassifier refuses a batch without labels", () => {
  const model = new BertClassifier(cpuOps(), SHAPE, BATCH, { numLabels: 2 });
  const { labels: _, ...noLabels } = batchFor(2);
  let message = "";
  try {
    model.setBatch(noLabels);
  } catch (e) {
    message = (e as Error).message;
  }
  if (!/needs 3 labels, got none/.test(message)) throw new Error(`got "${message}"`);
});
