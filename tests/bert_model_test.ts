import { cpuOps, gpuOps, type Ops } from "../core/ops.ts";
import {
  type BatchShape,
  BertMlm,
  type BertShape,
  type HostBatch,
  initialParameters,
} from "../core/bert/model.ts";
import { assertClose, gpuTest, randomInts } from "./_helpers.ts";
import { assertFiniteDifferences, assertGradientsClose } from "./_model_checks.ts";

// A tiny BERT with awkward sizes: head size 8, 3 heads, 7 tokens, one padded sequence.
const SHAPE: BertShape = {
  vocab: 50,
  hidden: 24,
  layers: 2,
  heads: 3,
  intermediate: 40,
  maxPositions: 16,
  typeVocab: 2,
  layerNormEps: 1e-12,
  hiddenDropout: 0.1,
  attentionDropout: 0.1,
};
const BATCH: BatchShape = { batch: 2, seq: 7, predictions: 5 };

function hostBatch(): HostBatch {
  const n = BATCH.batch * BATCH.seq;
  const ids = randomInts(n, 3, SHAPE.vocab);
  const typeIds = Int32Array.from({ length: n }, (_, i) => (i % BATCH.seq) >= 4 ? 1 : 0);
  // The second sequence has two padding tokens at its end.
  const attentionMask = Int32Array.from({ length: n }, (_, i) => (i >= n - 2 ? 0 : 1));
  const positions = Int32Array.of(1, 3, 6, 8, 10);
  const labels = Int32Array.of(4, 17, -100, 33, 2);
  return { ids, typeIds, attentionMask, positions, labels };
}

async function run<T>(ops: Ops<T>, train: boolean, shape: BertShape, batch: BatchShape, host: HostBatch) {
  const model = new BertMlm(ops, shape, batch);
  ops.write(model.params, initialParameters(model.layout, 0.2, 5));
  model.setBatch(host);
  const { loss, correct } = model.forward(3, train);
  model.backward(3, train);
  return {
    loss: (await ops.read(loss))[0]!,
    correct: (await ops.read(correct))[0]!,
    grads: await ops.read(model.grads),
    layout: model.layout,
  };
}

// The odd size: H=72, A=3 (head size 24), T=37 with padding.
const ODD: BertShape = { ...SHAPE, vocab: 61, hidden: 72, heads: 3, intermediate: 100, maxPositions: 40 };
const ODD_BATCH: BatchShape = { batch: 2, seq: 37, predictions: 9 };

function oddBatch(): HostBatch {
  const n = ODD_BATCH.batch * ODD_BATCH.seq;
  return {
    ids: randomInts(n, 8, ODD.vocab),
    typeIds: Int32Array.from({ length: n }, (_, i) => (i % 37) >= 20 ? 1 : 0),
    // The second sequence ends in 7 padding tokens.
    attentionMask: Int32Array.from({ length: n }, (_, i) => (i >= 37 + 30 ? 0 : 1)),
    positions: Int32Array.of(0, 5, 11, 20, 29, 36, 40, 52, 66),
    labels: Int32Array.of(3, 60, 17, -100, 8, 44, 12, 0, 29),
  };
}

const CASES = [
  { what: "tiny", shape: SHAPE, batch: BATCH, host: hostBatch },
  { what: "H=72 A=3 T=37", shape: ODD, batch: ODD_BATCH, host: oddBatch },
];

for (const c of CASES) {
  for (const train of [false, true]) {
    const name = `BertMlm ${c.what}: loss and every gradient match the CPU reference (dropout ${
      train ? "on" : "off"
    })`;
    gpuTest(name, async (g) => {
      const ref = await run(cpuOps(), train, c.shape, c.batch, c.host());
      const got = await run(gpuOps(g), train, c.shape, c.batch, c.host());
      assertClose([got.loss], [ref.loss], { rtol: 1e-5, atol: 0 }, "loss");
      assertClose([got.correct], [ref.correct], { rtol: 0, atol: 0 }, "correct");
      assertGradientsClose(ref.layout, got.grads, ref.grads, `[${g.backend}]`);
    });
  }
}

Deno.test("BertMlm loss starts near ln(vocab) at small init, and its gradient is not zero", async () => {
  const ops = cpuOps();
  const model = new BertMlm(ops, SHAPE, BATCH);
  ops.write(model.params, initialParameters(model.layout, 0.02, 1));
  model.setBatch(hostBatch());
  const { loss } = model.forward(0, false);
  model.backward(0, false);
  const l = (await ops.read(loss))[0]!;
  if (!(Math.abs(l - Math.log(SHAPE.vocab)) < 0.2)) {
    throw new Error(`loss ${l}, expected about ${Math.log(SHAPE.vocab)}`);
  }
  const grads = await ops.read(model.grads);
  if (!grads.some((v) => v !== 0)) throw new Error("all gradients are zero");
});

Deno.test("BertMlm's CPU gradients match finite differences of the loss (float64, dropout on)", () => {
  const ops = cpuOps("f64");
  const model = new BertMlm(ops, SHAPE, BATCH);
  ops.write(model.params, initialParameters(model.layout, 0.2, 5));
  model.setBatch(hostBatch());
  const lossAt = () => model.forward(3, true).loss.f[0]!;
  lossAt();
  model.backward(3, true);
  assertFiniteDifferences(
    model.layout,
    model.params.f as Float64Array,
    Float64Array.from(model.grads.f),
    lossAt,
    9,
  );
});
