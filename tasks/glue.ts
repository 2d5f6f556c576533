/**
 * `deno task glue [--model DIR] [--data GLUE_DIR] [--tasks cola,sst2,...] [--out DIR] [--batch 32]
 * [--lr 2e-5] [--epochs 3] [--warmup 0.1] [--max-length 128] [--dropout 0.1]
 * [--lr-grid 5e-5,4e-5,3e-5,2e-5] [--seeds N] [--max-train-examples N] [--max-eval-examples N]
 * [--eval-only] [--save-models] [--backend auto|dawn|deno|cpu] [--json]`
 *
 * Fine-tunes a BERT checkpoint on each GLUE task (a classifier; STS-B a regression head with MSE),
 * evaluates it on the dev sets (MNLI matched and mismatched) with the official metrics, predicts
 * the test sets that are present, and writes into `--out` (default `out/glue/<time>`):
 *
 * | file | content |
 * | --- | --- |
 * | `results.json`, `results.md` | per task metrics (mean +- std over seeds), n, hyperparameters, seeds, wall time; the three aggregates |
 * | `predictions/<SET>-dev.tsv` | `index prediction label` per dev example |
 * | `submission/<NAME>.tsv`, `submission.zip` | the GLUE server's files, for the test files present |
 * | `models/<TASK>/` | with `--save-models`: the best run's classifier, HuggingFace format |
 *
 * With `--lr-grid` every rate is run with each of `--seeds N` seeds (1..N); the rate with the best
 * mean dev score is reported (mean +- std over its seeds) and its best run predicts the test sets.
 * `--max-train-examples N` trains on a seeded sample of N examples (printed); `--max-eval-examples
 * N` keeps the first N rows of each dev and test file. `--eval-only` evaluates fine-tuned
 * classifiers without training: `--model` is one classifier directory (with one `--tasks`) or a
 * folder of `<TASK>/` classifier directories, as `--save-models` writes under `models/`.
 *
 * Batches have one shape per task, so the device reuses one graph: sequences are padded to the
 * task's longest example rounded up to a multiple of 8 (at most `--max-length`); training batches
 * are always full (the epochs' seeded permutations form one stream cut into batches, as BERT's
 * `run_classifier.py` repeats the data and drops the remainder, so `ceil(epochs * n / batch)`
 * steps), and the last evaluation batch is padded with rows whose outputs are dropped.
 *
 * The embedded default: without `--model`, the latest `deno task pretrain` output
 * (`runs/<timestamp>-<name>/checkpoint/`); without `--data`, the GLUE samples shipped in
 * `data/glue/` (the tasks with a train and a dev file), capped (see `tasks/glue/defaults.ts`) so
 * the whole run takes under 15 minutes on 2 cores with lavapipe.
 *
 * Without `--tasks` every task whose files are found is run and the others are listed as missing;
 * a task named in `--tasks` must have its files. Bad input (no such model directory, not a BERT,
 * missing task files, an unknown task) fails with one line before anything is written.
 * @module
 */
import { loadBertClassifierDir, type LoadedBertClassifier } from "../core/checkpoint/bert_dir.ts";
import { readBertConfig } from "../core/bert/config.ts";
import { type BackendName, Gpu } from "../core/device.ts";
import { cpuOps, gpuOps, type Ops } from "../core/ops.ts";
import { GLUE_TASKS, glueOutputSize } from "../data/glue_tasks.ts";
import { BertTokenizer } from "../data/tokenizer.ts";
import { DEFAULT_VOCAB } from "../data/vocab.ts";
import { backendFlag, main, parseFlags, UsageError } from "./_cli.ts";
import { formatAggregates } from "./glue/aggregate.ts";
import { EMBEDDED_CAPS, latestPretrainCheckpoint, SHIPPED_GLUE } from "./glue/defaults.ts";
import { GLUE_METRIC_LABELS } from "./glue/metrics.ts";
import { writeSubmissionZip } from "./glue/predictions.ts";
import type { ProgressOptions } from "./glue/progress.ts";
import { buildResults, type GlueResults, type GlueTaskResult, writeResults } from "./glue/results.ts";
import { GLUE_SCORED_TASKS, glueDevSets, type GlueScoredTask, glueScoredTask } from "./glue/sets.ts";
import { findTaskFiles, loadTaskSets, type TaskFiles } from "./glue/task_data.ts";
import { runGlueTask } from "./glue/task_runner.ts";
import { formatLr } from "./glue/finetune.ts";

/** Options of {@linkcode run}; {@linkcode parseGlueArgs} makes them from the command line. */
export interface GlueConfig {
  /** The checkpoint (or, with `evalOnly`, the fine-tuned classifiers); default: the latest pretrain output. */
  model?: string;
  /** The GLUE folder (download_glue_data.py layout); default: the shipped samples, capped. */
  data?: string;
  /** The tasks to run; default: every task whose files are found. */
  tasks?: GlueScoredTask[];
  /** The output folder; default `out/glue/<time>`. */
  out?: string;
  batch: number;
  lr: number;
  epochs: number;
  warmup: number;
  maxLength: number;
  dropout: number;
  /** Learning rates to search; default: `[lr]`. */
  lrGrid?: number[];
  /** Seeds per learning rate (seeds 1..N). */
  seeds: number;
  maxTrainExamples?: number;
  maxEvalExamples?: number;
  evalOnly: boolean;
  /** Save each task's best model to `<out>/models/<TASK>/`. */
  saveModels: boolean;
  /** `cpu` runs the CPU reference ops; the others open a WebGPU device (one per task). */
  backend: BackendName;
  /** Print `results.json`'s content as one line instead of the text summary. */
  json: boolean;
  /** An open device to use instead of opening one (left open); `backend` is then ignored. */
  gpu?: Gpu;
  /** Where to look for pretrain runs (default `runs/`). */
  runsDir?: string;
  /** Receives the summary (default: stdout). */
  write?: (text: string) => Promise<void>;
  /** Receives log lines (default: stderr). */
  log?: (line: string) => void;
  /** Progress bars (default: stderr, in place on a terminal). */
  progress?: ProgressOptions;
}

/** BERT's fine-tuning defaults (Devlin et al. 2019; METHOD.md §6). */
export const GLUE_DEFAULTS = {
  batch: 32,
  lr: 2e-5,
  epochs: 3,
  warmup: 0.1,
  maxLength: 128,
  dropout: 0.1,
  seeds: 1,
} as const;

/** One task's plan: its files and the model directory it starts from. */
interface TaskPlan {
  task: GlueScoredTask;
  files: TaskFiles;
  model: string;
}

/** Runs the GLUE tasks; returns what `results.json` holds. */
export async function run(config: GlueConfig): Promise<GlueResults> {
  const log = config.log ?? ((line: string) => console.error(line));
  const write = config.write ?? writeStdout;
  checkConfig(config);

  // Everything is checked before the first file is written.
  const data = config.data ?? SHIPPED_GLUE;
  const embedded = config.data === undefined;
  const modelDir = config.model ?? await latestPretrainCheckpoint(config.runsDir);
  if (config.model === undefined) {
    log(`glue: model ${modelDir} (the latest pretrain output; --model to choose)`);
  }
  await assertDirectory(modelDir, "Cannot load model");
  await assertDirectory(data, "Cannot read GLUE data");
  const caps = {
    maxTrainExamples: config.maxTrainExamples ?? (embedded ? EMBEDDED_CAPS.maxTrainExamples : undefined),
    maxEvalExamples: config.maxEvalExamples ?? (embedded ? EMBEDDED_CAPS.maxEvalExamples : undefined),
  };
  if (embedded) {
    log(
      `glue: data ${data} (the shipped GLUE samples; --data to choose), capped: ` +
        `--max-train-examples ${caps.maxTrainExamples ?? "none"}, --max-eval-examples ${
          caps.maxEvalExamples ?? "none"
        }, ` +
        `--epochs ${config.epochs}`,
    );
  }
  const plans = await planTasks(config, data, modelDir, log);
  // Fine-tuning reads the checkpoint once per head size; evaluation reads each task's model when
  // its turn comes (holding nine fine-tuned models at once would cost nine models' memory).
  const checkpoints = new Map<number, Promise<LoadedBertClassifier>>();
  const checkpoint = (plan: TaskPlan): Promise<LoadedBertClassifier> => {
    const numLabels = glueOutputSize(GLUE_TASKS[plan.task]);
    const load = () =>
      loadBertClassifierDir(plan.model, {
        numLabels,
        ignoreMismatchedSizes: !config.evalOnly,
        requireHead: config.evalOnly,
      });
    if (config.evalOnly) return load();
    let c = checkpoints.get(numLabels);
    if (!c) checkpoints.set(numLabels, c = load());
    return c;
  };
  const reported = new Set<LoadedBertClassifier>();
  const report = (plan: TaskPlan, c: LoadedBertClassifier) => {
    if (reported.has(c)) return;
    reported.add(c);
    if (c.initialized.length > 0) {
      log(`glue: not in the checkpoint, newly initialized for fine-tuning: ${c.initialized.join(", ")}`);
    }
    for (const w of c.warnings) log(`glue: ${plan.task}: ${w}`);
  };
  // Every model is checked before anything runs.
  for (const plan of config.evalOnly ? plans : plans.slice(0, 1)) report(plan, await checkpoint(plan));
  const tokenizers = new Map<string, Promise<{ tok: BertTokenizer; path: string }>>();
  const tokenizer = (dir: string) => {
    let t = tokenizers.get(dir);
    if (!t) tokenizers.set(dir, t = loadTokenizer(dir, log));
    return t;
  };

  const out = config.out ?? `out/glue/${new Date().toISOString().slice(0, 19).replaceAll(":", "-")}`;
  const lrGrid = config.lrGrid ?? [config.lr];
  const seeds = Array.from({ length: config.seeds }, (_, i) => i + 1);
  log(
    `glue: ${config.evalOnly ? "evaluating" : "fine-tuning"} ${
      plans.map((p) => p.task).join(", ")
    } into ${out}` +
      (config.evalOnly
        ? ""
        : `: batch ${config.batch}, lr ${
          lrGrid.map(formatLr).join(",")
        }, epochs ${config.epochs}, warm-up ${config.warmup}, ` +
          `dropout ${config.dropout}, ${seeds.length} seed(s)`),
  );

  const done: GlueTaskResult[] = [];
  let results = buildResults({ model: modelDir, tasks: [], created: new Date().toISOString() });
  let submissions = 0;
  let backend: BackendName = config.backend;
  let clampLogged = false;
  for (const plan of plans) {
    const loaded = await checkpoint(plan);
    if (!config.evalOnly) report(plan, loaded);
    const { tok, path: vocabPath } = await tokenizer(plan.model);
    if (tok.vocab.size > loaded.shape.vocab) {
      throw new Error(
        `Cannot use vocab "${vocabPath}" with model "${plan.model}": ${tok.vocab.size} tokens, the model has ${loaded.shape.vocab}`,
      );
    }
    const maxLength = Math.min(config.maxLength, loaded.shape.maxPositions);
    if (maxLength < config.maxLength && !clampLogged) {
      clampLogged = true;
      log(
        `glue: --max-length ${config.maxLength} exceeds the model's ${loaded.shape.maxPositions} positions; using ${maxLength}`,
      );
    }
    const { sets, summary } = await loadTaskSets(tok, plan.files, { maxLength, ...caps });
    log(`glue: ${summary}`);
    const runTask = async <T>(ops: Ops<T>) =>
      await runGlueTask(ops, {
        sets,
        checkpoint: loaded,
        out,
        batch: config.batch,
        dropout: config.dropout,
        lrGrid,
        seeds,
        epochs: config.epochs,
        warmup: config.warmup,
        evalOnly: config.evalOnly,
        ...(config.saveModels ? { saveModel: { vocabPath } } : {}),
        hyperparameters: {
          maxLength,
          seqLength: sets.seq,
          ...(caps.maxTrainExamples !== undefined ? { maxTrainExamples: caps.maxTrainExamples } : {}),
          ...(caps.maxEvalExamples !== undefined ? { maxEvalExamples: caps.maxEvalExamples } : {}),
        },
        ...(config.progress ? { progress: config.progress } : {}),
        log,
      });
    let result: GlueTaskResult;
    if (config.gpu) result = await runTask(gpuOps(config.gpu));
    else if (backend === "cpu") result = await runTask(cpuOps());
    else {
      // A device per task: its buffers (models, optimizer state, activations) go with it.
      const gpu = await Gpu.open({ backend });
      if (backend !== gpu.backend) log(`glue: backend ${gpu.backend} (${gpu.info.adapter})`);
      backend = gpu.backend;
      try {
        result = await runTask(gpuOps(gpu));
      } finally {
        gpu.destroy();
      }
    }
    submissions += sets.test.length;
    done.push(result);
    results = buildResults({ model: modelDir, tasks: done, created: results.created });
    await writeResults(out, results);
  }

  if (submissions > 0) {
    const zip = await writeSubmissionZip(out);
    log(`glue: wrote ${zip.path} (${zip.included.join(", ")})`);
    if (zip.missing.length > 0) {
      log(`glue: the GLUE server also expects ${zip.missing.map((m) => `${m}.tsv`).join(", ")}`);
    }
    for (const w of zip.wrongRows) {
      log(`glue: ${w.name}.tsv has ${w.rows} rows, the official test set ${w.expected}`);
    }
  }
  log(`glue: wrote ${out}/results.json and ${out}/results.md`);
  await write(config.json ? JSON.stringify(results) + "\n" : formatSummary(results));
  return results;
}

/** The text summary: one line per task, then the three aggregates with their definitions. */
export function formatSummary(results: GlueResults): string {
  const lines = [`GLUE dev results for ${results.model} (x100)`];
  for (const task of GLUE_SCORED_TASKS) {
    const t = results.tasks[task];
    if (!t) continue;
    const metrics = glueDevSets(task).flatMap((s) =>
      GLUE_TASKS[task].metrics.map((m) => {
        const name = glueDevSets(task).length > 1
          ? `${s.name} ${GLUE_METRIC_LABELS[m]}`
          : GLUE_METRIC_LABELS[m];
        const v = 100 * (t.metrics[s.name]?.[m] ?? NaN);
        const sd = 100 * (t.std[s.name]?.[m] ?? 0);
        return `${name} ${v.toFixed(1)}${t.seeds.length > 1 ? ` ± ${sd.toFixed(1)}` : ""}`;
      })
    );
    const n = glueDevSets(task).map((s) => t.n[s.name]).join("/");
    lines.push(
      `  ${task.padEnd(6)} ${metrics.join(", ").padEnd(34)} score ${t.score.toFixed(1).padStart(5)}  ` +
        `(dev ${n}, ${t.seeds.length} seed(s), ${t.wallSeconds.toFixed(1)} s)`,
    );
  }
  if (results.missing.length > 0) lines.push(`  not run: ${results.missing.join(", ")}`);
  lines.push("", formatAggregates(Object.values(results.aggregates)), "");
  return lines.join("\n");
}

/** Parses the command line into a {@linkcode GlueConfig}; a UsageError names a bad flag. */
export function parseGlueArgs(args: string[]): GlueConfig {
  const { values, positionals } = parseFlags("glue", args, {
    model: { type: "string" },
    data: { type: "string" },
    tasks: { type: "string" },
    out: { type: "string" },
    batch: { type: "string" },
    lr: { type: "string" },
    epochs: { type: "string" },
    warmup: { type: "string" },
    "max-length": { type: "string" },
    dropout: { type: "string" },
    "lr-grid": { type: "string" },
    seeds: { type: "string" },
    "max-train-examples": { type: "string" },
    "max-eval-examples": { type: "string" },
    "eval-only": { type: "boolean" },
    "save-models": { type: "boolean" },
    backend: { type: "string" },
    json: { type: "boolean" },
  });
  if (positionals.length > 0) throw new UsageError(`glue: unexpected argument "${positionals[0]}"`);
  const str = (flag: string) => values[flag] as string | undefined;
  const number = (flag: string, ok: (v: number) => boolean, what: string, fallback?: number) => {
    const raw = str(flag);
    if (raw === undefined) return fallback;
    const v = Number(raw);
    if (raw.trim() === "" || !ok(v)) throw new UsageError(`glue: --${flag} must be ${what}, got "${raw}"`);
    return v;
  };
  const positiveInt = (v: number) => Number.isSafeInteger(v) && v > 0;
  const positive = (v: number) => Number.isFinite(v) && v > 0;
  const evalOnly = Boolean(values["eval-only"]);
  const config: GlueConfig = {
    batch: number("batch", positiveInt, "a positive integer", GLUE_DEFAULTS.batch)!,
    lr: number("lr", positive, "a positive number", GLUE_DEFAULTS.lr)!,
    epochs: number("epochs", positive, "a positive number", GLUE_DEFAULTS.epochs)!,
    warmup: number("warmup", (v) => v >= 0 && v <= 1, "a fraction in [0, 1]", GLUE_DEFAULTS.warmup)!,
    maxLength: number(
      "max-length",
      (v) => Number.isSafeInteger(v) && v >= 4,
      "an integer >= 4",
      GLUE_DEFAULTS.maxLength,
    )!,
    dropout: number("dropout", (v) => v >= 0 && v < 1, "a probability in [0, 1)", GLUE_DEFAULTS.dropout)!,
    seeds: number("seeds", positiveInt, "a positive integer", GLUE_DEFAULTS.seeds)!,
    evalOnly,
    saveModels: Boolean(values["save-models"]),
    backend: backendFlag("glue", values.backend),
    json: Boolean(values.json),
  };
  const optional = <K extends keyof GlueConfig>(key: K, value: GlueConfig[K] | undefined) => {
    if (value !== undefined) config[key] = value;
  };
  optional("model", str("model"));
  optional("data", str("data"));
  optional("out", str("out"));
  optional("maxTrainExamples", number("max-train-examples", positiveInt, "a positive integer"));
  optional("maxEvalExamples", number("max-eval-examples", positiveInt, "a positive integer"));
  const tasks = str("tasks");
  if (tasks !== undefined) {
    const names = tasks.split(",").map((t) => t.trim()).filter((t) => t !== "");
    if (names.length === 0) throw new UsageError(`glue: --tasks must name at least one task, got "${tasks}"`);
    config.tasks = [
      ...new Set(names.map((name) => {
        try {
          return glueScoredTask(name);
        } catch (error) {
          throw new UsageError(`glue: --tasks: ${(error as Error).message}`);
        }
      })),
    ];
  }
  const grid = str("lr-grid");
  if (grid !== undefined) {
    const rates = grid.split(",").map((r) => r.trim());
    if (rates.some((r) => r === "" || !positive(Number(r)))) {
      throw new UsageError(
        `glue: --lr-grid must be a comma-separated list of positive numbers, got "${grid}"`,
      );
    }
    if (str("lr") !== undefined) throw new UsageError(`glue: give --lr or --lr-grid, not both`);
    config.lrGrid = [...new Set(rates.map(Number))];
  }
  if (evalOnly) {
    for (const flag of ["lr", "lr-grid", "seeds", "epochs", "warmup", "max-train-examples", "save-models"]) {
      if (values[flag] !== undefined) {
        throw new UsageError(`glue: --eval-only does not train; --${flag} has no use`);
      }
    }
    if (config.model === undefined) {
      throw new UsageError(
        `glue: --eval-only needs --model DIR, a fine-tuned classifier (or a folder of them)`,
      );
    }
  }
  return config;
}

function checkConfig(c: GlueConfig): void {
  const fail = (what: string) => {
    throw new RangeError(`Cannot run GLUE: ${what}`);
  };
  if (!Number.isSafeInteger(c.batch) || c.batch < 1) fail(`batch must be a positive integer, got ${c.batch}`);
  if (!Number.isSafeInteger(c.seeds) || c.seeds < 1) fail(`seeds must be a positive integer, got ${c.seeds}`);
  if (!(c.epochs > 0)) fail(`epochs must be positive, got ${c.epochs}`);
  if (!(c.warmup >= 0 && c.warmup <= 1)) fail(`warmup must be in [0, 1], got ${c.warmup}`);
  if (!(c.dropout >= 0 && c.dropout < 1)) fail(`dropout must be in [0, 1), got ${c.dropout}`);
  if (!Number.isSafeInteger(c.maxLength) || c.maxLength < 4) {
    fail(`maxLength must be an integer >= 4, got ${c.maxLength}`);
  }
  for (const lr of c.lrGrid ?? [c.lr]) {
    if (!(lr > 0 && Number.isFinite(lr))) fail(`learning rate ${lr} is not positive`);
  }
}

/** The tasks to run, their files and model directories; skipped tasks are logged. */
async function planTasks(
  config: GlueConfig,
  data: string,
  modelDir: string,
  log: (line: string) => void,
): Promise<TaskPlan[]> {
  const explicit = config.tasks !== undefined;
  const single = config.evalOnly && await isFile(`${modelDir}/config.json`);
  if (single && (!explicit || config.tasks!.length !== 1)) {
    throw new UsageError(
      `glue: --eval-only with one classifier directory ("${modelDir}") needs --tasks naming its one task`,
    );
  }
  const plans: TaskPlan[] = [];
  const skipped: string[] = [];
  for (const task of config.tasks ?? GLUE_SCORED_TASKS) {
    const model = !config.evalOnly || single ? modelDir : `${modelDir}/${task}`;
    if (config.evalOnly && !single && !(await isFile(`${model}/config.json`))) {
      if (explicit) {
        throw new Error(
          `Cannot evaluate ${task}: "${model}/config.json" not found (expected a fine-tuned classifier there)`,
        );
      }
      skipped.push(`${task} (no ${model}/)`);
      continue;
    }
    try {
      plans.push({ task, model, files: await findTaskFiles(data, task, { train: !config.evalOnly }) });
    } catch (error) {
      const message = (error as Error).message;
      if (explicit || !/not found/.test(message)) throw error;
      skipped.push(
        `${task} (${message.replace(/^Cannot read GLUE task \S+( \S+)?: /, "").replace(/; expected.*/, "")})`,
      );
    }
  }
  if (skipped.length > 0) log(`glue: skipping ${skipped.join("; ")}`);
  if (plans.length === 0) {
    throw new Error(
      `Cannot run GLUE: no task has its files in "${data}"${
        config.evalOnly ? ` and a model in "${modelDir}"` : ""
      }`,
    );
  }
  if (config.evalOnly && single) {
    // The one classifier must have the task's number of outputs.
    const c = await readBertConfig(`${modelDir}/config.json`);
    const want = glueOutputSize(GLUE_TASKS[plans[0]!.task]);
    if (c.num_labels !== undefined && c.num_labels !== want) {
      throw new Error(
        `Cannot evaluate ${
          plans[0]!.task
        } with "${modelDir}": it has ${c.num_labels} labels, the task needs ${want}`,
      );
    }
  }
  return plans;
}

/** The model directory's `vocab.txt`, or the shipped one; says which. */
async function loadTokenizer(
  dir: string,
  log: (line: string) => void,
): Promise<{ tok: BertTokenizer; path: string }> {
  const own = `${dir}/vocab.txt`;
  if (await isFile(own)) return { tok: await BertTokenizer.load(own), path: own };
  log(`glue: "${dir}" has no vocab.txt; using the shipped bert-base-uncased vocab ${DEFAULT_VOCAB}`);
  return { tok: await BertTokenizer.load(DEFAULT_VOCAB), path: DEFAULT_VOCAB };
}

async function assertDirectory(dir: string, action: string): Promise<void> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(dir);
  } catch (error) {
    const reason = error instanceof Deno.errors.NotFound ? "no such directory" : (error as Error).message;
    throw new Error(`${action} "${dir}": ${reason}`);
  }
  if (!info.isDirectory) throw new Error(`${action} "${dir}": not a directory`);
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch {
    return false;
  }
}

async function writeStdout(text: string): Promise<void> {
  const bytes = new TextEncoder().encode(text);
  for (let off = 0; off < bytes.length;) off += await Deno.stdout.write(bytes.subarray(off));
}

if (import.meta.main) {
  await main(async () => {
    await run(parseGlueArgs(Deno.args));
  });
}
