/**
 * One run of an arm (one pre-training seed): pre-training into `<out>/arms/<arm>/seed-<seed>/`, then
 * the common measures of its checkpoint (`common.json`: masked-LM loss on the held-out documents
 * and on their concept-dense part; `probe/`: the knowledge probe), then GLUE fine-tuning into
 * `glue/`. Resumable: a completed pre-training is reused, an interrupted one (a checkpoint with
 * optimizer state) is resumed, and measures and GLUE results made with the same settings are
 * reused. A folder made with another config is refused rather than mixed into the table.
 * @module
 */
import type { Gpu } from "../core/device.ts";
import { formatGlueSummary, runGlue } from "../glue/run.ts";
import type { ProgressOptions } from "../util/progress.ts";
import { type GlueResults, readResults } from "../glue/results.ts";
import { GLUE_SCORED_TASKS } from "../glue/sets.ts";
import { writeFileAtomic } from "../util/atomic_write.ts";
import { exists, readJsonFile } from "../util/files.ts";
import { type PretrainSettings, RESUMABLE_SETTINGS, settingsJson } from "../pretrain/settings.ts";
import { type EvalRecord, readMetrics } from "../pretrain/metrics_log.ts";
import { recoverCheckpoint } from "../pretrain/checkpointer.ts";
import { pretrain as runPretrain } from "../pretrain/run.ts";
import type { RunSummary } from "../pretrain/summary.ts";
import { type ArmData, armData } from "./data_hash.ts";
import { type ArmName, ARMS } from "./arms.ts";
import { armPretrainSettings, type Budget } from "./budget.ts";
import type { ExperimentSettings } from "./settings.ts";
import { type CommonEvaluation, evaluateCommon } from "./common_eval.ts";
import type { HeldOutData } from "./heldout.ts";
import { runProbe } from "../probe/run.ts";
import type { MetricIntervals } from "../probe/results.ts";

/** A point of an arm's validation curve. */
export interface CurvePoint {
  /** Optimizer steps done before the evaluation (0: before training). */
  step: number;
  /** Cumulative FLOPs at `step`, 6 x parameters x tokens. */
  flops_6nd: number;
  /** Cumulative FLOPs at `step`, ELECTRA-style (METHOD.md §5). */
  flops_electra: number;
  /** Held-out masked-LM loss. */
  val_loss: number;
  /** Held-out masked-LM accuracy, in [0, 1]. */
  val_accuracy: number;
}

/** A checkpoint's knowledge probe: the overall metrics and each fact's rank, in the probe's fact order. */
export interface ArmProbe {
  /** Facts scored. */
  facts: number;
  /** P@1, P@10 and MRR with bootstrap intervals. */
  model: MetricIntervals;
  /** The unigram baseline's. */
  unigram: MetricIntervals;
  /** The gold tail's rank of every fact (1 = best). */
  ranks: number[];
}

/** The measures every arm gets on the same material. */
export interface CommonMeasures {
  /** Masked-LM loss and accuracy on the held-out documents. */
  heldout: CommonEvaluation;
  /** The same on their concept-dense part. */
  dense: CommonEvaluation;
  /** The knowledge probe; null when the experiment runs without it. */
  probe: ArmProbe | null;
}

/** What became of one run of an arm. */
export interface ArmOutcome {
  /** Which arm. */
  arm: ArmName;
  /** Its pre-training seed. */
  seed: number;
  /** `interrupted`: Ctrl-C; a re-run resumes it. */
  status: "completed" | "failed" | "interrupted";
  /** The one-line error of a failed arm. */
  error: string | null;
  /** Which parts were found done and reused. */
  reused: { pretrain: boolean; glue: boolean };
  /** The arm's folder. */
  dir: string;
  /** Its pre-training config, as run. */
  config: PretrainSettings;
  /** The pre-training's summary; null when it failed before finishing a session. */
  summary: RunSummary | null;
  /** What the arm trained on; null unless pre-training completed. */
  data: ArmData | null;
  /** The common measures; null unless pre-training completed. */
  measures: CommonMeasures | null;
  /** The GLUE scores; null unless the arm completed. */
  glue: GlueResults | null;
  /** Every evaluation of the pre-training, in step order (empty when none ran). */
  curve: CurvePoint[];
  /** Seconds this invocation spent on the arm. */
  wall_s: number;
}

/** Everything an arm needs besides its name. */
export interface ArmContext {
  /** The experiment's settings. */
  config: ExperimentSettings;
  /** The steps every arm gets, and what they cost. */
  budget: Budget;
  /** The common held-out text and the corpus without it. */
  heldout: HeldOutData;
  /** Receives progress lines, prefixed with the arm's name. */
  log: (line: string) => void;
  /** Stops the arm after the step under way; it ends `interrupted`. */
  signal?: AbortSignal;
  /** An open device for both pre-training and GLUE (tests); default: each opens its own. */
  gpu?: Gpu;
  /** GLUE progress bars (default: stderr). */
  progress?: ProgressOptions;
  /** Told whether pre-training or GLUE is running (the CLI's Ctrl-C differs between them). */
  phase?: (phase: "pretrain" | "glue" | "idle") => void;
  /** The command line, for each run's summary. */
  command?: string;
}

/** The folder of one run of an arm. */
export function armDir(out: string, arm: ArmName, seed: number): string {
  return `${out.replace(/\/+$/, "")}/arms/${arm}/seed-${seed}`;
}

/**
 * The GLUE settings that make an arm's results: saved next to them, and compared on re-runs.
 */
export function glueSettings(config: ExperimentSettings): Record<string, unknown> {
  return { ...config.glue, seeds: config.seeds };
}

/**
 * Runs (or reuses, or resumes) one arm. Never throws for the arm's own failures: they come back
 * as `status: "failed"` with a one-line `error`, so the other arms go on.
 */
export async function runArm(arm: ArmName, seed: number, c: ArmContext): Promise<ArmOutcome> {
  const start = performance.now();
  const dir = armDir(c.config.out, arm, seed);
  const config = armPretrainSettings(c.config, c.budget, arm, dir, { seed, corpus: [c.heldout.train] });
  const outcome = notStarted(arm, seed, dir, config, "failed");
  const log = (line: string) => c.log(`[${arm} seed ${seed}] ${line}`);
  try {
    outcome.summary = await pretrain(arm, config, dir, c, log, outcome);
    outcome.curve = await curve(dir);
    if (outcome.summary.status !== "completed") {
      outcome.status = "interrupted";
      return outcome;
    }
    outcome.data = await armData(config, c.budget.vocabPath, dir, log, { reused: outcome.reused.pretrain });
    outcome.measures = await commonMeasures(`${dir}/checkpoint`, dir, c, log);
    if (c.signal?.aborted) {
      outcome.status = "interrupted";
      return outcome;
    }
    outcome.glue = await glue(config, dir, c, log, outcome);
    outcome.status = "completed";
  } catch (error) {
    outcome.status = "failed";
    outcome.error = oneLine(error);
    c.log(`experiment: arm ${arm} (seed ${seed}) failed: ${outcome.error}`);
  } finally {
    c.phase?.("idle");
    outcome.wall_s = (performance.now() - start) / 1000;
  }
  return outcome;
}

async function pretrain(
  arm: ArmName,
  config: PretrainSettings,
  dir: string,
  c: ArmContext,
  log: (line: string) => void,
  outcome: ArmOutcome,
): Promise<RunSummary> {
  const saved = await readJsonFile<Partial<PretrainSettings>>(`${dir}/config.json`);
  if (saved) checkSameConfig(arm, dir, saved, config);
  const summary = saved ? await readJsonFile<RunSummary>(`${dir}/summary.json`) : null;
  if (summary?.status === "completed" && summary.steps === config.steps) {
    outcome.reused.pretrain = true;
    log(`reusing the pre-training in ${dir} (${summary.steps} steps)`);
    return summary;
  }
  if (saved) await recoverCheckpoint(dir, log);
  const resume = saved !== null && await exists(`${dir}/checkpoint/optimizer.safetensors`);
  if (!resume) {
    // Leftovers of a run that died before its first checkpoint would be appended to.
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
  log(
    `${resume ? "resuming" : "pre-training"} ${ARMS[arm].description}: ${config.steps} steps into ${dir}`,
  );
  c.phase?.("pretrain");
  try {
    return await runPretrain(config, {
      ...(c.signal ? { signal: c.signal } : {}),
      ...(c.gpu ? { gpu: c.gpu } : {}),
      log,
      resume,
      command: c.command ?? "deno task experiment",
    });
  } finally {
    c.phase?.("idle");
  }
}

async function glue(
  config: PretrainSettings,
  dir: string,
  c: ArmContext,
  log: (line: string) => void,
  outcome: ArmOutcome,
): Promise<GlueResults> {
  const out = `${dir}/glue`;
  const settings = JSON.stringify(glueSettings(c.config));
  const savedSettings = await readJsonFile<unknown>(`${out}/settings.json`);
  if (
    savedSettings !== null && JSON.stringify(savedSettings) === settings &&
    await exists(`${out}/results.json`)
  ) {
    const results = await readResults(`${out}/results.json`);
    const tasks = c.config.glue.tasks ?? GLUE_SCORED_TASKS.filter((t) => results.tasks[t]);
    if (tasks.every((t) => results.tasks[t]?.seeds.length === c.config.seeds)) {
      outcome.reused.glue = true;
      log(`reusing the GLUE results in ${out}`);
      return results;
    }
  }
  await Deno.remove(out, { recursive: true }).catch(() => {});
  c.phase?.("glue");
  const results = await runGlue(
    {
      ...c.config.glue,
      model: `${dir}/checkpoint`,
      out,
      seeds: c.config.seeds,
      backend: config.backend,
      eval_only: false,
      save_models: false,
    },
    { log, ...(c.gpu ? { gpu: c.gpu } : {}), ...(c.progress ? { progress: c.progress } : {}) },
  );
  for (const line of formatGlueSummary(results).trimEnd().split("\n")) log(line);
  c.phase?.("idle");
  await writeFileAtomic(`${out}/settings.json`, settings + "\n");
  return results;
}

/** The outcome of a run that has done nothing yet: `status` until it does. */
export function notStarted(
  arm: ArmName,
  seed: number,
  dir: string,
  config: PretrainSettings,
  status: ArmOutcome["status"],
): ArmOutcome {
  return {
    arm,
    seed,
    status,
    error: null,
    reused: { pretrain: false, glue: false },
    dir,
    config,
    summary: null,
    data: null,
    measures: null,
    glue: null,
    curve: [],
    wall_s: 0,
  };
}

/** The settings that make a checkpoint's common measures: saved with them, compared on re-runs. */
function measureSettings(c: ArmContext): Record<string, unknown> {
  return {
    heldout: c.heldout.counts,
    heldout_sequences: c.config.heldout_sequences,
    max_predictions: c.config.pretrain.max_predictions,
    probe: c.config.probe,
  };
}

/**
 * The held-out losses and the probe of the checkpoint in `modelDir`, written to (or reused from)
 * `<dir>/common.json`; the probe's own files go to `<dir>/probe/`.
 */
export async function commonMeasures(
  modelDir: string,
  dir: string,
  c: ArmContext,
  log: (line: string) => void,
): Promise<CommonMeasures> {
  const settings = measureSettings(c);
  const path = `${dir}/common.json`;
  const saved = await readJsonFile<{ settings: unknown; measures: CommonMeasures }>(path);
  if (saved && JSON.stringify(saved.settings) === JSON.stringify(settings)) {
    log(`reusing the common measures in ${path}`);
    return saved.measures;
  }
  const sizes = {
    maxSequences: c.config.heldout_sequences,
    maxPredictions: c.config.pretrain.max_predictions,
  };
  const device = c.gpu ? { gpu: c.gpu, backend: c.config.backend } : { backend: c.config.backend };
  const heldout = await evaluateCommon(modelDir, c.heldout.heldoutShard, { ...sizes, ...device });
  const dense = await evaluateCommon(modelDir, c.heldout.denseShard, { ...sizes, ...device });
  log(
    `held-out loss ${heldout.loss.toFixed(4)} (accuracy ${(100 * heldout.accuracy).toFixed(2)}%), ` +
      `concept-dense part ${dense.loss.toFixed(4)} (${(100 * dense.accuracy).toFixed(2)}%)`,
  );
  let probe: ArmProbe | null = null;
  if (c.config.probe) {
    await Deno.remove(`${dir}/probe`, { recursive: true }).catch(() => {});
    const run = await runProbe(
      { model: modelDir, out: `${dir}/probe`, backend: c.config.backend, corpus: [c.heldout.train] },
      { log: () => {}, ...(c.gpu ? { gpu: c.gpu } : {}), progress: { tty: false, log: () => {} } },
    );
    const o = run.results.overall;
    probe = { facts: o.facts, model: o.model, unigram: o.unigram, ranks: run.predictions.map((p) => p.rank) };
    log(
      `probe: P@1 ${o.model.precisionAt1.value.toFixed(3)}, P@10 ${
        o.model.precisionAt10.value.toFixed(3)
      }, ` +
        `MRR ${o.model.mrr.value.toFixed(4)} on ${o.facts} facts (unigram P@10 ${
          o.unigram.precisionAt10.value.toFixed(3)
        })`,
    );
  }
  const measures = { heldout, dense, probe };
  await Deno.mkdir(dir, { recursive: true });
  await writeFileAtomic(path, JSON.stringify({ settings, measures }) + "\n");
  return measures;
}

/** The arm's validation curve from its `metrics.jsonl`. */
async function curve(dir: string): Promise<CurvePoint[]> {
  const records = await readMetrics(`${dir}/metrics.jsonl`);
  return records.filter((r): r is EvalRecord => r.kind === "eval").map((r) => ({
    step: r.step,
    flops_6nd: r.flops_6nd,
    flops_electra: r.flops_electra,
    val_loss: r.val_loss,
    val_accuracy: r.val_accuracy,
  }));
}

function checkSameConfig(
  arm: ArmName,
  dir: string,
  saved: Partial<PretrainSettings>,
  planned: PretrainSettings,
): void {
  const plannedJson = JSON.parse(settingsJson(planned)) as Record<string, unknown>;
  for (const [key, value] of Object.entries(plannedJson)) {
    if (RESUMABLE_SETTINGS.includes(key as keyof PretrainSettings)) continue;
    const was = (saved as Record<string, unknown>)[key];
    if (JSON.stringify(was) !== JSON.stringify(value)) {
      throw new Error(
        `Cannot reuse arm ${arm} in ${dir}: it was run with ${key} ${JSON.stringify(was)}, this experiment ` +
          `asks for ${JSON.stringify(value)}; choose another --out or remove ${dir}`,
      );
    }
  }
}

/** An error's first line (stack traces and multi-line advice stay out of the table). */
export function oneLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split("\n")[0]!.trim() || (error instanceof Error ? error.name : "Error");
}
