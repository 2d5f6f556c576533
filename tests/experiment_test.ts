import assert from "node:assert/strict";
import { bertPreset } from "../core/bert/config.ts";
import { readCommand } from "../config/command.ts";
import { readSettingsFile } from "../config/file.ts";
import type { SettingsLayer } from "../config/settings.ts";
import { EXPERIMENT_COMMAND } from "../tasks/experiment.ts";
import { ARM_NAMES, ARMS } from "../experiment/arms.ts";
import { armPretrainSettings, experimentBudget } from "../experiment/budget.ts";
import { runExperiment as run } from "../experiment/run.ts";
import { EXPERIMENT_SETTINGS, type ExperimentSettings } from "../experiment/settings.ts";
import { armGlue } from "../experiment/report.ts";
import { buildResults, summarizeTask } from "../glue/results.ts";
import { UsageError } from "../config/errors.ts";
import { gpuTestOn, seededRandom } from "./_helpers.ts";
import { GENERAL_MODEL } from "../data/samples.ts";

const ROOT = new URL("..", import.meta.url).pathname;

// The tiny BERT's parameters with the MLM head, by hand (vocab 30522, 512 positions, 2 types,
// hidden 128, 2 layers, intermediate 512; the decoder is tied to the word embeddings):
// embeddings 30522*128 + 512*128 + 2*128 + LayerNorm 2*128 = 3,972,864;
// per layer 4*(128*128 + 128) + 2*128 + (128*512 + 512) + (512*128 + 128) + 2*128 = 198,272;
// MLM head (128*128 + 128) + 2*128 + decoder bias 30522 = 47,290.
const TINY_PARAMETERS = 3_972_864 + 2 * 198_272 + 47_290;

/** Defaults, then a file's values, then flags' values, as the command resolves them. */
function resolveExperimentConfig(
  file: Record<string, unknown>,
  flags: Record<string, unknown> = {},
  name = "config",
): ExperimentSettings {
  const layers: SettingsLayer[] = [{ source: "file", name, values: file }, {
    source: "flags",
    values: flags,
  }];
  return EXPERIMENT_SETTINGS.resolve(layers);
}

/** The settings of an experiment command line. */
async function commandSettings(args: string[]): Promise<ExperimentSettings> {
  const read = await readCommand(EXPERIMENT_COMMAND, args);
  if (read === "help") throw new Error("help");
  return read.settings();
}

Deno.test("experiment settings: defaults, then the file, then flags; unknown and per-arm keys are errors", async () => {
  const d = resolveExperimentConfig({});
  assert.deepEqual(d.arms, [...ARM_NAMES]);
  assert.equal(d.seeds, 1);
  assert.equal(d.pretrain_seeds, 2);
  assert.equal(d.multiplier, 20);
  assert.equal(d.pretrain.init, GENERAL_MODEL);
  assert.equal(d.pretrain.flops, 1.7e12);
  assert.equal(d.pretrain.steps, null);
  assert.equal(d.pretrain.budget, "200KB");
  assert.equal(d.pretrain.validation, 0);
  assert.equal(d.pretrain.probe, false, "the experiment probes every arm itself");
  assert.deepEqual(d.glue.tasks, ["SST-2"]);
  assert.equal(d.glue.max_train_examples, 2000);
  assert.equal(d.glue.max_eval_examples, null);
  assert.equal(d.glue.lr, 1e-3);

  const c = resolveExperimentConfig(
    { seeds: 2, out: "a", pretrain: { steps: 7, lr: 5e-4 }, glue: { tasks: ["wnli", "cola"], lr: 3e-4 } },
    { seeds: 5, arms: ["concentrated", "general"] },
    "x.jsonc",
  );
  assert.equal(c.seeds, 5);
  assert.equal(c.out, "a");
  // Naming steps drops the default FLOPs budget; arms and tasks come back in table order.
  assert.equal(c.pretrain.steps, 7);
  assert.equal(c.pretrain.flops, null);
  assert.equal(c.pretrain.lr, 5e-4);
  assert.deepEqual(c.arms, ["general", "concentrated"]);
  assert.deepEqual(c.glue.tasks, ["CoLA", "WNLI"]);
  assert.equal(c.glue.lr, 3e-4);

  assert.throws(
    () => resolveExperimentConfig({ bogus: 1 }, {}, "x.jsonc"),
    /x\.jsonc: "bogus" is not a setting/,
  );
  assert.throws(
    () => resolveExperimentConfig({ pretrain: { masking: "bert" } }),
    /pretrain\.masking" is set per arm/,
  );
  assert.throws(() => resolveExperimentConfig({ glue: { epoch: 3 } }), /"glue\.epoch" is not a setting/);
  assert.throws(() => resolveExperimentConfig({ glue: { lr: -1 } }), /"glue\.lr" cannot be negative/);
  assert.throws(
    () => resolveExperimentConfig({ arms: ["general", "nope"] }),
    /"arms" must be a list of 1 or more values from general, .*"nope"/,
  );
  assert.throws(() => resolveExperimentConfig({ pretrain: { batch: 0 } }), /batch/);
  await assert.rejects(() => commandSettings(["--arms", "general,general"]), UsageError);
  await assert.rejects(
    () => commandSettings(["--glue.tasks", "sst3"]),
    /--glue\.tasks must be a list of 1 or more values from CoLA, .*"sst3"/,
  );
  await assert.rejects(() => commandSettings(["--seeds", "0"]), /--seeds must be a positive integer/);
  const flags = await commandSettings(["--arms", "random,general", "--seeds", "2", "--pretrain.lr", "2e-4"]);
  assert.deepEqual([flags.arms, flags.seeds, flags.pretrain.lr], [["general", "random"], 2, 2e-4]);
});

Deno.test("paper_base.jsonc resolves to the paper's BERT-base setting", async () => {
  const path = `${ROOT}experiment/paper_base.jsonc`;
  const c = EXPERIMENT_SETTINGS.resolve([await readSettingsFile(path)]);
  assert.equal(c.pretrain.init, "models/bert-base-uncased");
  assert.equal(c.pretrain.flops, 9.6e15);
  assert.equal(c.pretrain.steps, null);
  assert.equal(c.pretrain.budget, "50MB");
  assert.equal(c.pretrain.batch, 128);
  assert.equal(c.pretrain.grad_accum, 4);
  assert.equal(c.pretrain.seq_len, 128);
  assert.equal(c.pretrain.lr, 5e-5);
  assert.equal(c.multiplier, 20);
  assert.equal(c.seeds, 3);
  assert.deepEqual(c.arms, [...ARM_NAMES]);
  assert.deepEqual(c.glue.tasks, ["CoLA", "SST-2", "MRPC", "STS-B", "QQP", "MNLI", "QNLI", "RTE", "WNLI"]);
  assert.equal(c.glue.max_train_examples, null);
  assert.equal(c.glue.max_eval_examples, null);
});

Deno.test("the budget is one step count for every equal arm, and general-20x runs exactly 20 times it", async () => {
  const config = resolveExperimentConfig({});
  const budget = await experimentBudget(config);
  assert.equal(budget.perStep.parameters, TINY_PARAMETERS);
  const perStep = 6 * TINY_PARAMETERS * 32 * 128;
  assert.equal(budget.perStep.sixND, perStep);
  // 1.7e12 / 1.085e11 = 15.7: the budget rounds up to whole steps, as deno task pretrain does.
  assert.equal(budget.steps, Math.ceil(1.7e12 / perStep));
  assert.equal(budget.steps, 16);
  assert.equal(budget.scaledSteps, 320);
  const configs = ARM_NAMES.map((arm) => armPretrainSettings(config, budget, arm, `out/${arm}`));
  for (const [i, c] of configs.entries()) {
    const arm = ARM_NAMES[i]!;
    assert.equal(c.steps, arm === "general-20x" ? 320 : 16, arm);
    assert.equal(c.flops, null);
    assert.equal(c.data, ARMS[arm].data);
    assert.equal(c.masking, ARMS[arm].masking);
    assert.equal(c.eval_every, arm === "general-20x" ? 107 : 6);
    // Everything but data, masking, steps, name, out and eval_every is shared.
    const { data: _d, masking: _m, steps: _s, name: _n, out: _o, eval_every: _e, ...rest } = c;
    const { data: _d0, masking: _m0, steps: _s0, name: _n0, out: _o0, eval_every: _e0, ...rest0 } =
      configs[0]!;
    assert.deepEqual(rest, rest0);
  }
  assert.deepEqual(
    configs.map((c) => `${c.data}/${c.masking}`),
    ["full/bert", "full/bert", "random/bert", "concentrated/concept", "concentrated/bert", "random/concept"],
  );
  await assert.rejects(
    experimentBudget(resolveExperimentConfig({ pretrain: { flops: 1e9 } })),
    /less than one step/,
  );
});

Deno.test("an arm's GLUE score is each seed's score over the tasks, then mean and sample std", () => {
  const rte = summarizeTask({
    task: "RTE",
    n: { RTE: 100 },
    hyperparameters: {},
    wallSeconds: 1,
    runs: [0.5, 0.6, 0.7].map((accuracy, i) => ({ seed: i + 1, metrics: { RTE: { accuracy } } })),
  });
  const mrpc = summarizeTask({
    task: "MRPC",
    n: { MRPC: 100 },
    hyperparameters: {},
    wallSeconds: 1,
    runs: [[0.8, 0.7], [0.82, 0.72], [0.78, 0.68]].map(([f1, accuracy], i) => ({
      seed: i + 1,
      metrics: { MRPC: { f1: f1!, accuracy: accuracy! } },
    })),
  });
  const g = armGlue(buildResults({ model: "m", tasks: [rte, mrpc] }));
  // Seed 1: (50 + (80 + 70) / 2) / 2 = 62.5; seed 2: (60 + 77) / 2 = 68.5; seed 3: (70 + 73) / 2 = 71.5.
  assert.deepEqual(g.per_seed.map((s) => s.seed), [1, 2, 3]);
  for (const [i, want] of [62.5, 68.5, 71.5].entries()) {
    assert.ok(Math.abs(g.per_seed[i]!.score - want) < 1e-9);
  }
  assert.ok(Math.abs(g.score! - 67.5) < 1e-9);
  // Deviations -5, 1, 4: sqrt((25 + 1 + 16) / 2).
  assert.ok(Math.abs(g.score_std - Math.sqrt(21)) < 1e-9);
  assert.equal(g.partial, true);
  assert.ok(Math.abs(g.tasks.RTE!.score - 60) < 1e-9);
});

// ---------------------------------------------------------------------------------------------
// End to end: a shortened experiment on a small synthetic corpus and ConceptNet.

const CONCEPTNET = [
  "IsA\tcat\tanimal\t1.0",
  "IsA\tdog\tanimal\t1.0",
  "IsA\tcat\tpet\t1.0",
  "HasA\tcat\tfur\t1.0",
  "CapableOf\tdog\tbark\t1.0",
  "AtLocation\tbook\tlibrary\t1.0",
  "UsedFor\tpen\twrite\t1.0",
  "AtLocation\tfish\triver\t1.0",
].join("\n") + "\n";
const CONCEPT_WORDS = [
  "cat",
  "dog",
  "animal",
  "pet",
  "fur",
  "bark",
  "book",
  "library",
  "pen",
  "write",
  "fish",
  "river",
];
const OTHER_WORDS = [
  "the",
  "a",
  "old",
  "man",
  "walked",
  "slowly",
  "through",
  "city",
  "after",
  "rain",
  "and",
  "then",
  "sang",
  "loud",
  "song",
  "about",
  "summer",
  "green",
  "hills",
  "of",
  "north",
];

async function corpusFixture(dir: string): Promise<{ corpus: string[]; conceptnet: string }> {
  const random = seededRandom(7);
  const pick = (words: string[]) => words[Math.floor(random() * words.length)]!;
  const corpus: string[] = [];
  for (let f = 0; f < 2; f++) {
    const lines: string[] = [];
    for (let doc = 0; doc < 40; doc++) {
      for (let p = 0; p < 3; p++) {
        // A third of the paragraphs mention concepts; the rest are ordinary words only.
        const concepts = random() < 0.33;
        const n = 12 + Math.floor(random() * 20);
        const words = Array.from(
          { length: n },
          () => concepts && random() < 0.4 ? pick(CONCEPT_WORDS) : pick(OTHER_WORDS),
        );
        lines.push(words.join(" ") + ".");
      }
      lines.push("");
    }
    corpus.push(`${dir}/corpus_${f}.txt`);
    await Deno.writeTextFile(corpus[f]!, lines.join("\n"));
  }
  await Deno.writeTextFile(`${dir}/cn.txt`, CONCEPTNET);
  return { corpus, conceptnet: `${dir}/cn.txt` };
}

function shortConfig(dir: string, fx: { corpus: string[]; conceptnet: string }, out: string) {
  return {
    out,
    multiplier: 20,
    seeds: 1,
    pretrain_seeds: 1,
    evals: 2,
    heldout: 0.1,
    heldout_sequences: 16,
    pretrain: {
      corpus: fx.corpus,
      conceptnet: fx.conceptnet,
      init: null,
      budget: "3KB",
      steps: 2,
      validation: 0.1,
      batch: 8,
      seq_len: 64,
      max_predictions: 10,
      eval_batches: 1,
      log_every: 1,
      cache: `${dir}/cache`,
    },
    glue: {
      tasks: ["WNLI"],
      max_train_examples: 16,
      max_eval_examples: 16,
      batch: 8,
      epochs: 1,
      max_length: 64,
      lr: 1e-4,
    },
  };
}

async function sha256(path: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", await Deno.readFile(path));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

const QUIET = { progress: { tty: false, log: () => {} } };

/** A file where an arm's folder belongs: that arm fails, the others run. */
async function blockArm(out: string, arm: string): Promise<void> {
  await Deno.mkdir(`${out}/arms`, { recursive: true });
  await Deno.writeTextFile(`${out}/arms/${arm}`, "not a folder\n");
}

function recordedCorpus(configJson: string): string[] {
  return JSON.parse(configJson).corpus;
}

gpuTestOn(
  "dawn",
  "a shortened experiment runs every arm at equal FLOPs, writes the table, resumes and reuses",
  async (gpu) => {
    const dir = await Deno.makeTempDir({ prefix: "experiment_test_" });
    const fx = await corpusFixture(dir);
    const out = `${dir}/exp`;
    const config = resolveExperimentConfig(shortConfig(dir, fx, out), { backend: "dawn" });

    // Run 1: interrupt general-20x (run last) once its third step is logged.
    const abort = new AbortController();
    const watch = setInterval(() => {
      const text = (() => {
        try {
          return Deno.readTextFileSync(`${out}/arms/general-20x/seed-1/metrics.jsonl`);
        } catch {
          return "";
        }
      })();
      if (text.includes(`"kind":"train","step":3,`)) abort.abort();
    }, 20);
    const log1: string[] = [];
    let first;
    try {
      first = await run(config, { gpu, log: (l) => log1.push(l), signal: abort.signal, ...QUIET });
    } finally {
      clearInterval(watch);
    }
    const arm1 = new Map(first.runs.map((a) => [a.arm, a]));
    assert.deepEqual(first.runs.map((a) => a.arm), [...ARM_NAMES], "table order");
    for (const name of ARM_NAMES.filter((a) => a !== "general-20x")) {
      assert.equal(
        arm1.get(name)!.status,
        "completed",
        `${name}: ${arm1.get(name)!.error}\n${log1.join("\n")}`,
      );
    }
    const cut = arm1.get("general-20x")!;
    assert.equal(cut.status, "interrupted");
    assert.ok(cut.steps! >= 3 && cut.steps! < 40, `stopped at ${cut.steps}`);

    // Run 2: the five finished arms are reused, general-20x resumes from its checkpoint.
    const log2: string[] = [];
    const second = await run(config, { gpu, log: (l) => log2.push(l), ...QUIET });
    const text2 = log2.join("\n");
    for (const name of ARM_NAMES.filter((a) => a !== "general-20x")) {
      assert.match(text2, new RegExp(`reusing arm ${name} seed 1 `));
    }
    assert.match(text2, /\[general-20x seed 1\] resuming/);
    const arms = new Map(second.runs.map((a) => [a.arm, a]));
    for (const a of second.runs) assert.equal(a.status, "completed", `${a.arm}: ${a.error}`);

    // FLOPs: equal for the equal-compute arms, by hand; exactly 20x for general-20x.
    const perStep6 = 6 * TINY_PARAMETERS * 8 * 64;
    for (const a of second.runs) {
      const steps = a.arm === "general-20x" ? 40 : 2;
      assert.equal(a.steps, steps, a.arm);
      assert.equal(a.tokens, steps * 8 * 64, a.arm);
      assert.ok(Math.abs(a.flops_6nd! - steps * perStep6) <= 1e-9 * a.flops_6nd!, a.arm);
    }
    const general = arms.get("general")!;
    for (const a of second.runs) {
      const k = a.arm === "general-20x" ? 20 : 1;
      assert.ok(Math.abs(a.flops_6nd! - k * general.flops_6nd!) <= 1e-12 * a.flops_6nd!, a.arm);
      assert.ok(Math.abs(a.flops_electra! - k * general.flops_electra!) <= 1e-12 * a.flops_electra!, a.arm);
    }
    const resumed = (await Deno.readTextFile(`${out}/arms/general-20x/seed-1/metrics.jsonl`)).trim().split(
      "\n",
    )
      .map((l) => JSON.parse(l)).filter((r) => r.kind === "train").map((r) => r.step);
    assert.deepEqual(resumed, Array.from({ length: 40 }, (_, i) => i + 1));

    // Data and masking: as recorded by each pre-training run; hashes are the train shards' SHA-256.
    const hashes = new Map<string, string>();
    for (const a of second.runs) {
      const recorded = JSON.parse(await Deno.readTextFile(`${a.dir}/config.json`));
      assert.equal(recorded.data, ARMS[a.arm].data, a.arm);
      assert.equal(recorded.masking, ARMS[a.arm].masking, a.arm);
      assert.equal(recorded.seed, 1);
      const summary = JSON.parse(await Deno.readTextFile(`${a.dir}/summary.json`));
      assert.equal(summary.data.source, ARMS[a.arm].data);
      assert.equal(summary.data.masking, ARMS[a.arm].masking);
      assert.equal(a.data_hash, await sha256(a.data_files!.train), a.arm);
      hashes.set(a.arm, a.data_hash!);
    }
    assert.equal(hashes.get("general-20x"), hashes.get("general"));
    assert.equal(hashes.get("concentrated-bert"), hashes.get("concentrated"));
    assert.equal(hashes.get("random-concept"), hashes.get("random"));
    assert.equal(new Set([...hashes.values()]).size, 3);
    const concentrated = arms.get("concentrated")!;
    const random = arms.get("random")!;
    assert.equal(concentrated.text_bytes, (await Deno.stat(concentrated.data_files!.text[0]!)).size);
    assert.ok(concentrated.text_bytes! > 1000 && concentrated.text_bytes! <= 3 * 1024 + 200);
    assert.ok(Math.abs(random.text_bytes! - concentrated.text_bytes!) < 400, `${random.text_bytes}`);
    // The arms read the corpus without the held-out documents, which no arm's text holds.
    const trainText = await Deno.readTextFile(`${out}/data/train.txt`);
    const heldoutText = await Deno.readTextFile(`${out}/data/heldout.txt`);
    assert.deepEqual(recordedCorpus(await Deno.readTextFile(`${general.dir}/config.json`)), [
      `${out}/data/train.txt`,
    ]);
    assert.ok(
      general.text_bytes! > 0 && general.text_bytes! <= new TextEncoder().encode(trainText).length + 1,
    );
    const trainLines = new Set(trainText.split("\n").filter((l) => l !== ""));
    const heldoutLines = heldoutText.split("\n").filter((l) => l !== "");
    assert.ok(heldoutLines.length > 0);
    const concentratedText = await Deno.readTextFile(concentrated.data_files!.text[0]!);
    for (const line of heldoutLines) {
      if (!trainLines.has(line)) assert.ok(!concentratedText.includes(line), "a held-out line was selected");
    }

    // Every completed run is measured on the same held-out batches, and the probe ran.
    const batchCounts = new Set(second.runs.map((a) => a.heldout_loss === null ? -1 : 1));
    assert.deepEqual([...batchCounts], [1]);
    for (const a of second.arms) {
      assert.ok(
        a.heldout_loss!.low <= a.heldout_loss!.value && a.heldout_loss!.value <= a.heldout_loss!.high,
      );
      assert.ok(a.probe!.facts > 1000, `${a.arm}: ${a.probe?.facts} facts`);
    }
    const pair = second.comparisons.find((c) =>
      c.a === "concentrated" && c.b === "random" &&
      c.measure === "held-out MLM loss"
    )!;
    assert.ok(pair.low <= pair.difference && pair.difference <= pair.high);
    assert.match(pair.sentence, /^concentrated − random, held-out MLM loss: .*distinguishable from zero/);

    // GLUE ran per arm, and the outputs are written.
    for (const a of second.runs) {
      assert.equal(a.glue!.tasks.WNLI!.seeds.length, 1);
      assert.ok(a.glue!.score! >= 0 && a.glue!.score! <= 100);
      assert.ok(await Deno.stat(`${a.dir}/glue/results.json`));
    }
    const md = await Deno.readTextFile(`${out}/experiment.md`);
    assert.match(md, /\| Arm \| Data \| Masking \| Steps \| Passes \| Held-out loss \| Dense loss \|/);
    assert.match(md, /WNLI \(majority\)/);
    for (const name of ARM_NAMES) assert.match(md, new RegExp(`^\\| ${name} \\|`, "m"));
    assert.match(md, /concentrated − random/);
    const json = JSON.parse(await Deno.readTextFile(`${out}/experiment.json`));
    assert.equal(json.format, "experiment/2");
    assert.equal(json.arms.length, 6);
    assert.equal(json.runs[0].config.masking, "bert");
    assert.match(await Deno.readTextFile(`${out}/experiment.svg`), /^<svg/);

    // Run 3: everything is reused.
    const log3: string[] = [];
    const third = await run(config, { gpu, log: (l) => log3.push(l), ...QUIET });
    for (const a of third.runs) assert.deepEqual(a.reused, { pretrain: true, glue: true }, a.arm);
    assert.equal(log3.filter((l) => /reusing arm/.test(l)).length, 6);

    // A failing arm is recorded with its one-line error and the others go on.
    const broken = resolveExperimentConfig(
      { ...shortConfig(dir, fx, `${dir}/broken`), arms: ["general", "random-concept"], probe: false },
      { backend: "dawn" },
    );
    await blockArm(`${dir}/broken`, "random-concept");
    const failed = await run(broken, { gpu, log: () => {}, ...QUIET });
    assert.equal(failed.runs[0]!.status, "completed");
    assert.equal(failed.runs[1]!.status, "failed");
    assert.match(failed.runs[1]!.error!, /random-concept/);
    assert.match(
      await Deno.readTextFile(`${dir}/broken/experiment.md`),
      /\| random-concept \| 1 \| failed: /,
    );
    await Deno.remove(dir, { recursive: true });
  },
);

Deno.test("deno task experiment exits 1 when an arm fails, after writing the table", async () => {
  const dir = await Deno.makeTempDir({ prefix: "experiment_cli_" });
  const fx = await corpusFixture(dir);
  const config = { ...shortConfig(dir, fx, `${dir}/exp`), arms: ["random-concept"], probe: false };
  await blockArm(`${dir}/exp`, "random-concept");
  await Deno.writeTextFile(`${dir}/config.jsonc`, `// a comment\n${JSON.stringify(config)}\n`);
  const output = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--unstable-webgpu",
      `${ROOT}tasks/experiment.ts`,
      "--config",
      `${dir}/config.jsonc`,
      "--backend",
      "cpu",
    ],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(output.stderr);
  assert.equal(output.code, 1, stderr);
  assert.match(stderr, /experiment: arm random-concept \(seed 1\) failed: /);
  assert.match(stderr, /budget per arm: 2 steps of 8 x 64 tokens/);
  const json = JSON.parse(await Deno.readTextFile(`${dir}/exp/experiment.json`));
  assert.equal(json.runs[0].status, "failed");
  await Deno.remove(dir, { recursive: true });
});

// bertPreset is imported so a change of the tiny preset's sizes shows here first.
Deno.test("the tiny preset has the sizes TINY_PARAMETERS is computed from", () => {
  const t = bertPreset("tiny");
  assert.deepEqual(
    [
      t.vocab_size,
      t.max_position_embeddings,
      t.type_vocab_size,
      t.hidden_size,
      t.num_hidden_layers,
      t.intermediate_size,
    ],
    [30522, 512, 2, 128, 2, 512],
  );
});
