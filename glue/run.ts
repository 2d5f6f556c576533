/**
 * GLUE from a checkpoint to files: every task whose files are found (or those named) is fine-tuned
 * over the learning-rate grid and seeds (or, with `eval_only`, evaluated as it is), scored on its
 * dev sets with the official metrics, its test sets predicted, and `results.json`, `results.md`,
 * `all_results.json` (HuggingFace's names), `predictions/`, `submission/` and `submission.zip`
 * written to `out`. Every input is checked before the first file is written: each file's
 * existence, header and first row (a bad row further down fails when its task's turn comes).
 *
 * @example
 * ```ts
 * import { formatGlueSummary, runGlue } from "./run.ts";
 *
 * const results = await runGlue({ model: "out/runs/my-run/checkpoint", tasks: ["RTE"], backend: "cpu" });
 * console.log(formatGlueSummary(results));
 * ```
 * @module
 */
import { logToStderr } from "../util/stdio.ts";
import { UsageError } from "../config/errors.ts";
import { readBertConfig } from "../core/bert/config.ts";
import {
  bertDirVocabPath,
  loadBertClassifierDir,
  type LoadedBertClassifier,
} from "../core/checkpoint/bert_dir.ts";
import { namesInBrief } from "../core/checkpoint/hf_names.ts";
import { type BackendName, Gpu } from "../core/device.ts";
import { cpuOps, gpuOps, type Ops } from "../core/ops.ts";
import { SAMPLE_GLUE } from "../data/samples.ts";
import { BertTokenizer } from "../data/tokenizer.ts";
import { isFile, requireDirectory } from "../util/files.ts";
import { outputPath, timestamp } from "../util/output.ts";
import { formatAggregates } from "./aggregate.ts";
import { writeAllResults } from "./all_results.ts";
import { formatLr } from "./finetune.ts";
import { GLUE_METRIC_LABELS } from "./metrics.ts";
import { writeSubmissionZip } from "./predictions.ts";
import type { ProgressOptions } from "../util/progress.ts";
import { buildResults, type GlueResults, type GlueTaskResult, writeResults } from "./results.ts";
import { GLUE_SCORED_TASKS, glueDevSets, type GlueScoredTask } from "./sets.ts";
import { GLUE_SETTINGS, type GlueSettings, SAMPLE_CAPS } from "./settings.ts";
import { checkTaskFiles, findTaskFiles, loadTaskSets, type TaskFiles } from "./task_data.ts";
import { runGlueTask } from "./task_runner.ts";
import { GLUE_TASKS, glueOutputSize } from "./tasks.ts";

/** How {@linkcode runGlue} runs, besides its settings. */
export interface GlueRunOptions {
  /** An open device to use instead of opening one per task (left open); `backend` is then ignored. */
  gpu?: Gpu;
  /** Receives log lines (default: stderr). */
  log?: (line: string) => void;
  /** Progress bars (default: stderr, in place on a terminal). */
  progress?: ProgressOptions;
}

/** One task's plan: its files and the model directory it starts from. */
interface TaskPlan {
  task: GlueScoredTask;
  files: TaskFiles;
  model: string;
}

/**
 * Runs the GLUE tasks of `settings` (the rest of {@linkcode GLUE_SETTINGS} at its defaults);
 * returns what `results.json` holds.
 *
 * @throws {UsageError} for bad settings; {Error} for bad input (no such model, not a BERT, a task's
 * files missing), before anything is written
 */
export async function runGlue(
  settings: Partial<GlueSettings>,
  options: GlueRunOptions = {},
): Promise<GlueResults> {
  const config = GLUE_SETTINGS.withDefaults(settings);
  const log = options.log ?? logToStderr;
  if (config.model === null) {
    throw new UsageError(
      "glue needs model: the checkpoint directory to fine-tune (or, with eval_only, the classifiers)",
    );
  }

  // Everything is checked before the first file is written.
  const data = config.data ?? SAMPLE_GLUE;
  const embedded = config.data === null;
  const modelDir = config.model;
  await requireDirectory(modelDir, "Cannot load model");
  await requireDirectory(data, "Cannot read GLUE data");
  const caps = {
    maxTrainExamples: config.max_train_examples ?? (embedded ? SAMPLE_CAPS.maxTrainExamples : undefined),
    maxEvalExamples: config.max_eval_examples ?? (embedded ? SAMPLE_CAPS.maxEvalExamples : undefined),
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
        ignoreMismatchedSizes: !config.eval_only,
        requireHead: config.eval_only,
      });
    if (config.eval_only) return load();
    let c = checkpoints.get(numLabels);
    if (!c) checkpoints.set(numLabels, c = load());
    return c;
  };
  const reported = new Set<LoadedBertClassifier>();
  const report = (plan: TaskPlan, c: LoadedBertClassifier) => {
    if (reported.has(c)) return;
    reported.add(c);
    if (c.initialized.length > 0) {
      log(`glue: not in the checkpoint, newly initialized for fine-tuning: ${namesInBrief(c.initialized)}`);
    }
    for (const w of c.warnings) log(`glue: ${plan.task}: ${w}`);
  };
  // Every model is checked before anything runs.
  for (const plan of config.eval_only ? plans : plans.slice(0, 1)) {
    report(plan, await checkpoint(plan));
    await bertDirVocabPath(plan.model);
  }
  const tokenizers = new Map<string, Promise<{ tok: BertTokenizer; path: string }>>();
  const tokenizer = (dir: string) => {
    let t = tokenizers.get(dir);
    if (!t) tokenizers.set(dir, t = loadTokenizer(dir));
    return t;
  };

  const out = config.out ?? outputPath("glue", timestamp());
  const lrGrid = config.lr_grid ?? [config.lr];
  const seeds = Array.from({ length: config.seeds }, (_, i) => i + 1);
  log(
    `glue: ${config.eval_only ? "evaluating" : "fine-tuning"} ${
      plans.map((p) => p.task).join(", ")
    } into ${out}` +
      (config.eval_only
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
    if (!config.eval_only) report(plan, loaded);
    const { tok, path: vocabPath } = await tokenizer(plan.model);
    if (tok.vocab.size > loaded.shape.vocab) {
      throw new Error(
        `Cannot use vocab "${vocabPath}" with model "${plan.model}": ${tok.vocab.size} tokens, the model has ${loaded.shape.vocab}`,
      );
    }
    const maxLength = Math.min(config.max_length, loaded.shape.maxPositions);
    if (maxLength < config.max_length && !clampLogged) {
      clampLogged = true;
      log(
        `glue: max_length ${config.max_length} exceeds the model's ${loaded.shape.maxPositions} positions; using ${maxLength}`,
      );
    }
    const { sets, summary } = await loadTaskSets(tok, plan.files, {
      maxLength,
      ...caps,
      ...(config.eval_only ? {} : { seeds }),
    });
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
        evalOnly: config.eval_only,
        ...(config.save_models ? { saveModel: { vocabPath } } : {}),
        hyperparameters: {
          maxLength,
          seqLength: sets.seq,
          ...(caps.maxTrainExamples !== undefined ? { maxTrainExamples: caps.maxTrainExamples } : {}),
          ...(caps.maxEvalExamples !== undefined ? { maxEvalExamples: caps.maxEvalExamples } : {}),
        },
        ...(options.progress ? { progress: options.progress } : {}),
        log,
      });
    let result: GlueTaskResult;
    if (options.gpu) result = await runTask(gpuOps(options.gpu));
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
    await writeAllResults(out, results);
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
  log(`glue: wrote ${out}/results.json, ${out}/results.md and ${out}/all_results.json`);
  return results;
}

/** The text summary: one line per task, then the three aggregates with their definitions. */
export function formatGlueSummary(results: GlueResults): string {
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
        (t.majority ? `majority ${t.majority.score.toFixed(1).padStart(5)}  ` : "") +
        `(dev ${n}, ${t.seeds.length} seed(s), ${t.wallSeconds.toFixed(1)} s)`,
    );
  }
  if (results.missing.length > 0) lines.push(`  not run: ${results.missing.join(", ")}`);
  lines.push("", formatAggregates(Object.values(results.aggregates)), "");
  return lines.join("\n");
}

/** The tasks to run, their files and model directories; skipped tasks are logged. */
async function planTasks(
  config: GlueSettings,
  data: string,
  modelDir: string,
  log: (line: string) => void,
): Promise<TaskPlan[]> {
  const explicit = config.tasks !== null;
  const single = config.eval_only && await isFile(`${modelDir}/config.json`);
  if (single && (!explicit || config.tasks!.length !== 1)) {
    throw new UsageError(
      `glue: eval_only with one classifier directory ("${modelDir}") needs --tasks naming its one task`,
    );
  }
  const plans: TaskPlan[] = [];
  const skipped: string[] = [];
  for (const task of config.tasks ?? GLUE_SCORED_TASKS) {
    const model = !config.eval_only || single ? modelDir : `${modelDir}/${task}`;
    if (config.eval_only && !single && !(await isFile(`${model}/config.json`))) {
      if (explicit) {
        throw new Error(
          `Cannot evaluate ${task}: "${model}/config.json" not found (expected a fine-tuned classifier there)`,
        );
      }
      skipped.push(`${task} (no ${model}/)`);
      continue;
    }
    let files: TaskFiles;
    try {
      files = await findTaskFiles(data, task, { train: !config.eval_only });
    } catch (error) {
      const message = (error as Error).message;
      if (explicit || !/not found/.test(message)) throw error;
      skipped.push(
        `${task} (${message.replace(/^Cannot read GLUE task \S+( \S+)?: /, "").replace(/; expected.*/, "")})`,
      );
      continue;
    }
    await checkTaskFiles(files);
    plans.push({ task, model, files });
  }
  if (skipped.length > 0) log(`glue: skipping ${skipped.join("; ")}`);
  if (plans.length === 0) {
    throw new Error(
      `Cannot run GLUE: no task has its files in "${data}"${
        config.eval_only ? ` and a model in "${modelDir}"` : ""
      }`,
    );
  }
  if (config.eval_only && single) {
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

/** The model directory's own `vocab.txt`, read. */
async function loadTokenizer(dir: string): Promise<{ tok: BertTokenizer; path: string }> {
  const path = await bertDirVocabPath(dir);
  return { tok: await BertTokenizer.load(path), path };
}
