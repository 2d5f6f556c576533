import { cpuOps, gpuOps, type Ops } from "../core/ops.ts";
import { BertMlm, initialParameters } from "../core/bert/model.ts";
import { MlmTrainer, type StepResult, trainerExtraState } from "../core/bert/trainer.ts";
import { LossScaler } from "../core/loss_scaler.ts";
import { TINY_BATCH, TINY_SHAPE, tinyBatch } from "./_tiny_mlm.ts";
import { assertClose, gpuTest, messageOf } from "./_helpers.ts";

const SHAPE = TINY_SHAPE;
const BATCH = TINY_BATCH;
const fixedBatch = tinyBatch;

function setup<T>(ops: Ops<T>) {
  const model = new BertMlm(ops, SHAPE, BATCH);
  ops.write(model.params, initialParameters(model.layout, 0.02, 7));
  return { model, trainer: new MlmTrainer(ops, model) };
}

async function run<T>(ops: Ops<T>, steps: number, lr: number): Promise<StepResult[]> {
  const { trainer } = setup(ops);
  const batch = fixedBatch();
  const out: StepResult[] = [];
  for (let s = 0; s < steps; s++) out.push(await trainer.trainStep(batch, lr));
  return out;
}

Deno.test("LossScaler halves on overflow, doubles after growthInterval good steps, as GradScaler", () => {
  const s = new LossScaler(null, { growthInterval: 3 });
  const scaleOf = (x: LossScaler): number => x.scale;
  if (scaleOf(s) !== 65536) throw new Error(`initial scale ${s.scale}`);
  if (s.update(false) !== false || scaleOf(s) !== 32768) throw new Error(`after overflow: ${s.scale}`);
  for (let i = 0; i < 2; i++) if (!s.update(true)) throw new Error("a finite step was skipped");
  if (scaleOf(s) !== 32768) throw new Error(`grew early: ${s.scale}`);
  s.update(true);
  if (scaleOf(s) !== 65536 || s.state().goodSteps !== 0) {
    throw new Error(`did not grow: ${JSON.stringify(s.state())}`);
  }
  s.update(true);
  const copy = new LossScaler(s.state(), { growthInterval: 3 });
  if (JSON.stringify(copy.state()) !== JSON.stringify({ scale: 65536, goodSteps: 1 })) {
    throw new Error(`state did not round-trip: ${JSON.stringify(copy.state())}`);
  }
});

Deno.test("LossScaler stops, naming divergence, when gradients overflow at every scale", async () => {
  const s = new LossScaler({ scale: 2 ** -23, goodSteps: 0 });
  s.update(false);
  const message = await messageOf(() => s.update(false));
  if (!/not finite even at loss scale .*diverged/.test(message)) throw new Error(message);
  if (!/positive finite/.test(await messageOf(() => new LossScaler({ scale: Infinity, goodSteps: 0 })))) {
    throw new Error("an infinite scale was accepted");
  }
});

Deno.test("a mixed trainer skips an overflowing step: parameters and moments untouched, scale halved", async () => {
  const ops = cpuOps("f32", { precision: "mixed" });
  const { model, trainer } = setup(ops);
  // 2^40 times the loss gradient overflows f16 in the backward matmuls.
  trainer.restore(0, new Float32Array(model.layout.size), new Float32Array(model.layout.size), {
    loss_scale: 2 ** 40,
  });
  const before = await ops.read(model.params);
  const result = await trainer.trainStep(fixedBatch(), 1e-3);
  if (result.skipped !== true || result.lossScale !== 2 ** 40) throw new Error(JSON.stringify(result));
  const after = await ops.read(model.params);
  if (after.some((v, i) => v !== before[i])) throw new Error("a skipped step changed the parameters");
  if ((await ops.read(trainer.m)).some((v) => v !== 0)) throw new Error("a skipped step changed the moments");
  const extra = trainer.extraState();
  if (extra.loss_scale !== 2 ** 39 || extra.adam_updates !== 0 || trainer.step !== 1) {
    throw new Error(`after the skip: ${JSON.stringify(extra)}, step ${trainer.step}`);
  }
  // Halving until the gradients fit: the first applied update is AdamW's step 1.
  let steps = 1;
  while ((await trainer.trainStep(fixedBatch(), 1e-3)).skipped) steps++;
  const done = trainer.extraState();
  if (done.adam_updates !== 1 || !(done.loss_scale! < 2 ** 40) || trainer.step !== steps + 1) {
    throw new Error(`after ${steps} skips: ${JSON.stringify(done)}, step ${trainer.step}`);
  }
});

Deno.test("an fp32 trainer keeps no extra state, and a bad saved loss scale names its file", async () => {
  const { trainer } = setup(cpuOps());
  if (Object.keys(trainer.extraState()).length !== 0) throw new Error(JSON.stringify(trainer.extraState()));
  const message = await messageOf(() =>
    trainerExtraState({ loss_scale: "big" }, "ckpt/optimizer.safetensors")
  );
  if (!/ckpt\/optimizer\.safetensors.*loss_scale.*finite number/.test(message)) throw new Error(message);
});

// The band: f16 operands err by 2^-11 relative (5e-4); over 50 AdamW steps of a 2-layer model
// memorising one batch the two loss curves must stay within 0.5% of each other, ten times that
// (measured on lavapipe through Dawn: at most 5.6e-5 apart, loss 3.73 -> 1.49), and both fall.
const BAND = 0.005;

gpuTest("a mixed-precision tiny BERT tracks the fp32 run within 0.5% over 50 steps", async (g) => {
  const fp32 = (await run(gpuOps(g), 50, 1e-3)).map((r) => r.loss);
  const mixedRun = await run(gpuOps(g, { precision: "mixed" }), 50, 1e-3);
  const mixed = mixedRun.map((r) => r.loss);
  assertClose(mixed, fp32, { rtol: BAND, atol: 0 }, `mixed vs fp32 losses [${g.backend}]`);
  if (mixedRun.some((r) => r.skipped !== false || r.lossScale !== 65536)) {
    throw new Error(`unexpected skips or scale: ${JSON.stringify(mixedRun.find((r) => r.skipped))}`);
  }
  if (!(mixed[49]! < 0.5 * mixed[0]!)) {
    throw new Error(`mixed loss did not fall: ${mixed[0]} -> ${mixed[49]}`);
  }
  if (mixed.every((v, i) => v === fp32[i])) throw new Error("mixed equals fp32 exactly: no f16 rounding ran");
});

gpuTest("mixed precision on the device matches the CPU's mixed twins over 5 steps", async (g) => {
  const ref = (await run(cpuOps("f32", { precision: "mixed" }), 5, 1e-3)).map((r) => r.loss);
  const got = (await run(gpuOps(g, { precision: "mixed" }), 5, 1e-3)).map((r) => r.loss);
  assertClose(got, ref, { rtol: 1e-4, atol: 0 }, `mixed loss sequence [${g.backend}]`);
});
