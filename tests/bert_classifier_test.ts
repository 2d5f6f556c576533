import { cpuOps, gpuOps, type Ops } from "../core/ops.ts";
import { BertClassifier, type ClassifierBatch } from "../core/bert/classifier.ts";
import type { BertShape, SequenceShape } from "../core/bert/encoder.ts";
import { initialParameters } from "../core/bert/model.ts";
import { assertClose, gpuTest, randomFloats, randomInts } from "./_helpers.ts";
import { assertFiniteDifferences, assertGradientsClose } from "./_model_checks.ts";

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
    assertGradientsClose(ref.layout, got.grads, ref.grads, `[${g.backend}]`);
  });

  Deno.test(`BertClassifier ${kind}: CPU gradients match finite differences (float64)`, () => {
    const ops = cpuOps("f64");
    const model = new BertClassifier(ops, SHAPE, BATCH, { numLabels });
    ops.write(model.params, initialParameters(model.layout, 0.2, 3));
    model.setBatch(batchFor(numLabels));
    const lossAt = () => model.forward(2, true).loss.f[0]!;
    lossAt();
    model.backward(2, true);
    assertFiniteDifferences(
      model.layout,
      model.params.f as Float64Array,
      Float64Array.from(model.grads.f),
      lossAt,
      13,
    );
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
