import assert from "node:assert/strict";
import { exists } from "../util/files.ts";
import { bertParameterCount } from "../core/flops.ts";
import { BertMlm, initialParameters } from "../core/bert/model.ts";
import { bertPreset } from "../core/bert/config.ts";
import { bertShape } from "../core/bert/shape.ts";
import { MlmTrainer } from "../core/bert/trainer.ts";
import { cpuOps } from "../core/ops.ts";
import { PRETRAIN_SETTINGS, type PretrainSettings } from "../pretrain/settings.ts";
import { BLOCK, EpochOrder } from "../pretrain/batches.ts";
import { fillMask } from "../pretrain/fill_mask.ts";
import { readCommand } from "../config/command.ts";
import { readSettingsFile } from "../config/file.ts";
import { PRETRAIN_COMMAND } from "../tasks/pretrain.ts";
import { readOptimizerState } from "../core/checkpoint/optimizer_state.ts";
import { gpuTestOn } from "./_helpers.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const CACHE = await Deno.makeTempDir({ prefix: "pretrain_cache_" });

// A short run that still exercises everything: concept masking, evaluation, logging every step.
const SHORT = [
  "--init",
  "none",
  "--no-probe",
  "--batch",
  "8",
  "--seq-len",
  "64",
  "--max-predictions",
  "10",
  "--eval-every",
  "2",
  "--log-every",
  "1",
];

interface Cli {
  code: number;
  stdout: string;
  stderr: string;
}

async function pretrain(args: string[], backend: string): Promise<Cli> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--unstable-webgpu",
      `${ROOT}tasks/pretrain.ts`,
      "--backend",
      backend,
      "--cache",
      CACHE,
      ...args,
    ],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: decode(out.stdout), stderr: decode(out.stderr) };
}

async function jsonl(path: string): Promise<Record<string, number | string>[]> {
  return (await Deno.readTextFile(path)).trim().split("\n").map((l) => JSON.parse(l));
}

Deno.test("pretrain settings: defaults, then the file, then flags; unknown keys and bad values are errors", async () => {
  const resolve = (file: Partial<PretrainSettings>, flags: Partial<PretrainSettings>) =>
    PRETRAIN_SETTINGS.resolve([
      { source: "file", name: "run.json", values: file },
      { source: "flags", values: flags },
    ]);
  const config = resolve({ lr: 2e-4, batch: 64 }, { lr: 3e-4 });
  assert.equal(config.lr, 3e-4);
  assert.equal(config.batch, 64);
  assert.equal(config.masking, "concept");
  assert.throws(
    () => resolve({ learning_rate: 1 } as never, {}),
    /run.json: "learning_rate" is not a setting of pretrain/,
  );
  assert.throws(() => resolve({}, { preset: "huge" as never }), /--preset must be one of tiny, .*"huge"/);
  assert.throws(() => resolve({}, { batch: 30, grad_accum: 4 }), /not a multiple of --grad-accum/);
  assert.throws(() => resolve({}, { steps: 5, flops: 1e12 }), /not both/);
  // Naming --steps drops the default FLOPs budget.
  assert.equal(resolve({}, { steps: 5 }).flops, null);
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(
    `${dir}/c.jsonc`,
    `{\n  // a comment\n  "masking": "bert", /* more */ "steps": 3,\n}\n`,
  );
  const file = await readSettingsFile(`${dir}/c.jsonc`);
  assert.deepEqual(file.values, { masking: "bert", steps: 3 });
  await Deno.remove(dir, { recursive: true });
  await assert.rejects(
    () => readCommand(PRETRAIN_COMMAND, ["--lr", "fast"]),
    /--lr must be a positive number/,
  );
  await assert.rejects(() => readCommand(PRETRAIN_COMMAND, ["--no-such-flag", "1"]), /no-such-flag/);
});

Deno.test("EpochOrder is a permutation per epoch, seeded, and differs between epochs", () => {
  for (const count of [1, 7, BLOCK + 5]) {
    const order = new EpochOrder(count, 3);
    const epoch0 = Array.from({ length: count }, (_, i) => order.at(i));
    const epoch1 = Array.from({ length: count }, (_, i) => order.at(count + i));
    assert.deepEqual([...epoch0].sort((a, b) => a - b), Array.from({ length: count }, (_, i) => i));
    assert.deepEqual([...epoch1].sort((a, b) => a - b), Array.from({ length: count }, (_, i) => i));
    if (count > 1) assert.notDeepEqual(epoch0, epoch1);
    // Random access gives what sequential access gave: the order is a function of the index.
    assert.equal(new EpochOrder(count, 3).at(count + count - 1), epoch1[count - 1]);
  }
});

Deno.test("trainAccumulated over micro-batches equals one step on the whole batch (no dropout, float64)", async () => {
  const ops = cpuOps("f64");
  const config = bertPreset("tiny", {
    vocab_size: 40,
    hidden_size: 16,
    num_attention_heads: 2,
    hidden_dropout_prob: 0,
    attention_probs_dropout_prob: 0,
  });
  const shape = bertShape(config);
  const seq = 6, per = 2;
  const ids = Int32Array.from({ length: 4 * seq }, (_, i) => 5 + ((i * 7) % 30));
  const batchOf = (first: number, count: number) => ({
    ids: ids.slice(first * seq, (first + count) * seq),
    typeIds: new Int32Array(count * seq),
    attentionMask: new Int32Array(count * seq).fill(1),
    positions: Int32Array.from({ length: count * per }, (_, j) => Math.floor(j / per) * seq + 1 + (j % per)),
    // One slot ignored, so the micro-batches have different labelled counts.
    labels: Int32Array.from({ length: count * per }, (_, j) => {
      const slot = first * per + j;
      return slot === 1 ? -100 : 7 + (slot % 9);
    }),
  });
  const init = initialParameters(
    new BertMlm(ops, shape, { batch: 4, seq, predictions: 4 * per }).layout,
    0.02,
    5,
  );
  const whole = new BertMlm(ops, shape, { batch: 4, seq, predictions: 4 * per });
  ops.write(whole.params, init);
  const one = await new MlmTrainer(ops, whole).trainStep(batchOf(0, 4), 1e-3);
  const parts = new BertMlm(ops, shape, { batch: 2, seq, predictions: 2 * per });
  ops.write(parts.params, init);
  const two = await new MlmTrainer(ops, parts).trainAccumulated([batchOf(0, 2), batchOf(2, 2)], 1e-3);
  // Losses and parameters come back as float32: equal to its rounding.
  assert.ok(Math.abs(one.loss - two.loss) < 1e-6, `loss ${one.loss} vs ${two.loss}`);
  const [a, b] = [await ops.read(whole.params), await ops.read(parts.params)];
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  assert.ok(worst < 1e-7, `parameters differ by ${worst}`);
});

gpuTestOn("dawn", "pretrain runs end to end through the CLI and writes every output", async () => {
  const out = `${await Deno.makeTempDir({ prefix: "pretrain_e2e_" })}/run`;
  // With the knowledge probe, as the default runs it: after training, on the final checkpoint.
  const withProbe = SHORT.filter((a) => a !== "--no-probe");
  const r = await pretrain([...withProbe, "--steps", "4", "--out", out], "dawn");
  assert.equal(r.code, 0, r.stderr);
  const config = JSON.parse(await Deno.readTextFile(`${out}/config.json`));
  assert.equal(config.steps, 4);
  assert.equal(config.masking, "concept");
  const records = await jsonl(`${out}/metrics.jsonl`);
  const train = records.filter((r) => r.kind === "train");
  const evals = records.filter((r) => r.kind === "eval");
  assert.deepEqual(train.map((r) => r.step), [1, 2, 3, 4]);
  assert.deepEqual(evals.map((r) => r.step), [0, 2, 4]);
  const params = bertParameterCount(bertPreset("tiny"), "mlm");
  for (const r of train) {
    const step = r.step as number;
    assert.equal(r.tokens, step * 8 * 64);
    assert.ok(
      Math.abs((r.flops_6nd as number) - 6 * params * step * 8 * 64) < 1e-6 * (r.flops_6nd as number),
    );
    assert.ok(
      (r.flops_electra as number) > 0 && Number.isFinite(r.loss as number) && (r.tokens_per_s as number) > 0,
    );
  }
  for (const e of evals) assert.ok((e.val_loss as number) > 0 && (e.val_accuracy as number) >= 0);
  const csv = (await Deno.readTextFile(`${out}/metrics.csv`)).trim().split("\n");
  assert.equal(csv.length, records.length + 1);
  assert.match(csv[0]!, /^kind,step,loss/);
  assert.match(await Deno.readTextFile(`${out}/loss.svg`), /^<svg/);
  const summary = JSON.parse(await Deno.readTextFile(`${out}/summary.json`));
  assert.equal(summary.status, "completed");
  assert.equal(summary.steps, 4);
  assert.match(await Deno.readTextFile(`${out}/summary.md`), /tiny/);
  assert.equal(summary.probe.before, null, "from scratch there is no starting model to probe");
  assert.equal(summary.probe.after.facts, 1273);
  assert.ok(summary.probe.after.p_at_10.low <= summary.probe.after.p_at_10.value);
  assert.ok(await exists(`${out}/probe/predictions.tsv`));
  assert.match(r.stdout, /\nprobe \(1273 facts\): after P@1 /);
  assert.equal(summary.initial_val_loss, evals[0]!.val_loss);
  for (const f of ["model.safetensors", "config.json", "vocab.txt", "optimizer.safetensors"]) {
    assert.ok(await exists(`${out}/checkpoint/${f}`), f);
  }
  const filled = await fillMask(
    { model: `${out}/checkpoint`, text: "the cat sat on the [MASK].", top_k: 3, backend: "cpu" },
    { log: () => {} },
  );
  assert.equal(filled.masks[0]!.top.length, 3);
  await Deno.remove(out.replace(/\/run$/, ""), { recursive: true });
});

for (const precision of ["fp32", "mixed"]) {
  gpuTestOn(
    "dawn",
    `Ctrl-C saves a checkpoint, and --resume continues with the uninterrupted run's losses (${precision})`,
    async () => {
      const dir = await Deno.makeTempDir({ prefix: "pretrain_resume_" });
      const args = [
        ...SHORT,
        "--masking",
        "bert",
        "--steps",
        "6",
        "--eval-every",
        "0",
        "--precision",
        precision,
      ];
      const whole = await pretrain([...args, "--out", `${dir}/whole`], "dawn");
      assert.equal(whole.code, 0, whole.stderr);

      const child = new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "-A",
          "--unstable-webgpu",
          `${ROOT}tasks/pretrain.ts`,
          "--backend",
          "dawn",
          "--cache",
          CACHE,
          ...args,
          "--out",
          `${dir}/cut`,
        ],
        cwd: ROOT,
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      // Interrupt once step 2 is logged: the run finishes the step under way and saves.
      let stderr = "";
      const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
      while (!/step 2\/6/.test(stderr)) {
        const { value, done } = await reader.read();
        if (done) break;
        stderr += value;
      }
      child.kill("SIGINT");
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        stderr += value;
      }
      const status = await child.status;
      await child.stdout.cancel();
      assert.equal(status.code, 130, stderr);
      const cut = JSON.parse(await Deno.readTextFile(`${dir}/cut/summary.json`));
      assert.equal(cut.status, "interrupted");
      assert.ok(cut.steps >= 2 && cut.steps < 6, `stopped at ${cut.steps}`);
      assert.ok(await exists(`${dir}/cut/checkpoint/model.safetensors`));

      const resumed = await pretrain(["--resume", `${dir}/cut`], "dawn");
      assert.equal(resumed.code, 0, resumed.stderr);
      const losses = async (run: string) =>
        (await jsonl(`${dir}/${run}/metrics.jsonl`)).filter((r) => r.kind === "train").map((
          r,
        ) => [r.step, r.loss]);
      assert.deepEqual(await losses("cut"), await losses("whole"));
      if (precision === "mixed") {
        // The loss scale and AdamW's update count are saved with the moments and restored from them.
        const { meta } = await readOptimizerState(`${dir}/cut/checkpoint/optimizer.safetensors`);
        assert.equal(meta.loss_scale, 65536);
        assert.equal(meta.adam_updates, 6);
        const scales = (await jsonl(`${dir}/cut/metrics.jsonl`)).filter((r) => r.kind === "train");
        assert.ok(
          scales.every((r) => r.loss_scale === 65536 && r.skipped_steps === 0),
          JSON.stringify(scales),
        );
      }
      await Deno.remove(dir, { recursive: true });
    },
  );
}

gpuTestOn(
  "dawn",
  "pretrain refuses bad input with one line, exit code 1 (data) or 2 (settings), nothing written",
  async () => {
    const dir = await Deno.makeTempDir({ prefix: "pretrain_bad_" });
    await Deno.mkdir(`${dir}/not-a-bert`);
    const cases: [string[], number, RegExp][] = [
      [["--corpus", `${dir}/missing.txt`], 1, /corpus .*missing\.txt: no such file/],
      [["--preset", "huge"], 2, /--preset must be one of/],
      [["--init", `${dir}/not-a-bert`], 1, /not-a-bert/],
      [["--flops", "1"], 2, /flops 1\.00e\+0 is less than one step/],
    ];
    for (const [args, code, message] of cases) {
      const out = `${dir}/out`;
      const r = await pretrain([...args, "--out", out], "dawn");
      assert.equal(r.code, code, `${args.join(" ")}: ${r.stderr}`);
      const last = r.stderr.trim().split("\n").at(-1)!;
      assert.match(last, /^error: /);
      assert.match(last, message);
      assert.equal(await exists(out), false, `${args.join(" ")} wrote ${out}`);
    }
    await Deno.remove(dir, { recursive: true });
  },
);

gpuTestOn(
  "dawn",
  "pretrain keeps checkpoint-<step>/ folders up to --save-total-limit and HuggingFace's trainer_state.json",
  async () => {
    const dir = await Deno.makeTempDir({ prefix: "pretrain_saves_" });
    const out = `${dir}/run`;
    const r = await pretrain(
      [
        ...SHORT,
        "--masking",
        "bert",
        "--steps",
        "4",
        "--save-every",
        "1",
        "--save-total-limit",
        "2",
        "--out",
        out,
      ],
      "dawn",
    );
    assert.equal(r.code, 0, r.stderr);
    const kept = [];
    for await (const e of Deno.readDir(out)) if (e.name.startsWith("checkpoint-")) kept.push(e.name);
    assert.deepEqual(kept.sort(), ["checkpoint-3", "checkpoint-4"]);
    // Hard links: the latest save and checkpoint/ are one file on disk.
    const [a, b] = [
      await Deno.stat(`${out}/checkpoint/model.safetensors`),
      await Deno.stat(`${out}/checkpoint-4/model.safetensors`),
    ];
    assert.equal(a.ino, b.ino);
    const at3 = JSON.parse(await Deno.readTextFile(`${out}/checkpoint-3/trainer_state.json`));
    assert.equal(at3.global_step, 3);
    assert.equal(at3.max_steps, 4);
    assert.deepEqual(at3.log_history.map((e: { step: number }) => e.step), [0, 1, 2, 2, 3]);

    const state = JSON.parse(await Deno.readTextFile(`${out}/trainer_state.json`));
    const records = await jsonl(`${out}/metrics.jsonl`);
    const history = state.log_history as Record<string, number>[];
    assert.equal(history.length, records.length + 1, "every record, then the closing entry");
    records.forEach((rec, i) => {
      const entry = history[i]!;
      assert.equal(entry.step, rec.step);
      if (rec.kind === "train") {
        assert.equal(entry.loss, rec.loss);
        assert.equal(entry.learning_rate, rec.lr);
      } else assert.equal(entry.eval_loss, rec.val_loss);
    });
    const closing = history.at(-1)!;
    assert.equal(closing.step, 4);
    assert.ok(closing.train_runtime! > 0 && closing.train_loss! > 0);
    assert.equal(state.global_step, 4);
    assert.equal(state.train_batch_size, 8);
    assert.equal(state.num_input_tokens_seen, 4 * 8 * 64);
    await Deno.remove(dir, { recursive: true });
  },
);

globalThis.addEventListener("unload", () => {
  try {
    Deno.removeSync(CACHE, { recursive: true });
  } catch {
    // already gone
  }
});
