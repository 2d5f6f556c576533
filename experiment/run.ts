/**
 * The paper's experiment, settings in, tables out: a seeded set of documents is held out of the
 * corpus first; from one starting point (a `pretrain.init` checkpoint, by default the project's
 * general model, or a `pretrain.preset` from scratch) every arm is pre-trained at equal FLOPs
 * ({@linkcode ARMS}) with each pre-training seed, measured on the held-out text and the knowledge
 * probe, and fine-tuned on GLUE with seeds 1..N; `experiment.md` (the table and the paired
 * differences), `experiment.json` and `experiment.svg` are written to `out` after each run.
 * Resumable: finished runs are reused, an interrupted one resumed; a failed run is recorded and
 * the others go on.
 *
 * @example
 * ```ts
 * import { runExperiment } from "./run.ts";
 * const results = await runExperiment({ arms: ["general", "concentrated"], seeds: 1 });
 * console.log(results.arms.map((a) => [a.arm, a.glue?.score]));
 * ```
 * @module
 */
import { logToStderr } from "../util/stdio.ts";
import type { Gpu } from "../core/device.ts";
import { bertParameterCount, describeFlops } from "../core/flops.ts";
import { writeFileAtomic } from "../util/atomic_write.ts";
import { formatDuration } from "../util/duration.ts";
import type { ProgressOptions } from "../util/progress.ts";
import { armDir, type ArmOutcome, type CommonMeasures, commonMeasures, notStarted, runArm } from "./arm.ts";
import { type HeldOutData, prepareHeldOut } from "./heldout.ts";
import { type ArmName, ARMS } from "./arms.ts";
import { armPretrainSettings, type Budget, experimentBudget } from "./budget.ts";
import { corpusBytes } from "./data_hash.ts";
import { writeExperimentPlot } from "./plot.ts";
import { buildExperiment, type ExperimentResults, formatExperimentMarkdown } from "./report.ts";
import { EXPERIMENT_SETTINGS, type ExperimentSettings } from "./settings.ts";

/** The output files inside `out`. */
export const EXPERIMENT_FILES = {
  markdown: "experiment.md",
  json: "experiment.json",
  svg: "experiment.svg",
} as const;

/** How {@linkcode runExperiment} runs, besides its settings. */
export interface ExperimentOptions {
  /** Log lines (default: stderr). */
  log?: (line: string) => void;
  /** Aborting stops after the current pre-training step, or after the current arm's GLUE runs. */
  signal?: AbortSignal;
  /** An open device for every arm (tests); default: each run opens its own. */
  gpu?: Gpu;
  /** GLUE progress bars (default: stderr). */
  progress?: ProgressOptions;
  /** Told whether pre-training or GLUE is running. */
  phase?: (phase: "pretrain" | "glue" | "idle") => void;
  /** The command line, for the outputs. */
  command?: string;
}

/**
 * Runs (or resumes) the experiment: every arm, then `experiment.md`, `.json` and `.svg` (also
 * written after each arm, so a long run shows its progress). Returns what `experiment.json` holds;
 * failed arms are in it with their error (the CLI exits 1 for them).
 *
 * @throws {Error} only when the experiment cannot start (a bad budget or `init`); an arm's own
 * failure is recorded instead
 */
export async function runExperiment(
  settings: Partial<ExperimentSettings>,
  options: ExperimentOptions = {},
): Promise<ExperimentResults> {
  const config = EXPERIMENT_SETTINGS.withDefaults(settings);
  const log = options.log ?? logToStderr;
  const start = performance.now();
  const command = options.command ?? "deno task experiment";
  const budget = await experimentBudget(config);
  for (const line of planLines(config, budget)) log(`experiment: ${line}`);
  const heldout = await prepareHeldOut(config, budget.vocabPath, (l) => log(`experiment: ${l}`));
  const context = {
    config,
    budget,
    heldout,
    log,
    command,
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.gpu ? { gpu: options.gpu } : {}),
    ...(options.progress ? { progress: options.progress } : {}),
    ...(options.phase ? { phase: options.phase } : {}),
  };
  // The starting model, measured alike: what continued pre-training adds to or takes from it.
  const startMeasures = config.pretrain.init
    ? await commonMeasures(
      config.pretrain.init,
      `${config.out.replace(/\/+$/, "")}/start`,
      context,
      (l) => log(`[start] ${l}`),
    )
    : null;

  // The cheap arms first: a long scaled arm must not hold back the comparison at equal compute.
  const order = [...config.arms].sort((a, b) => Number(ARMS[a].scaled) - Number(ARMS[b].scaled));
  const seeds = pretrainSeeds(config);
  const outcomes: ArmOutcome[] = [];
  const write = async () => {
    const results = await assemble(config, budget, heldout, startMeasures, outcomes, command, start);
    await writeOutputs(config.out, results);
    return results;
  };
  for (const seed of seeds) {
    for (const arm of order) {
      if (options.signal?.aborted) {
        outcomes.push(notRun(config, budget, heldout, arm, seed));
        continue;
      }
      log(`experiment: arm ${arm}, seed ${seed} (${ARMS[arm].description})`);
      const outcome = await runArm(arm, seed, context);
      outcomes.push(outcome);
      if (outcome.reused.pretrain && outcome.reused.glue) {
        log(`experiment: reusing arm ${arm} seed ${seed} (${outcome.dir})`);
      }
      // The outputs so far; a problem writing them must not stop the runs still to do.
      await write().catch((error) => log(`experiment: ${(error as Error).message}`));
    }
  }
  const results = await write();
  log(
    `experiment: wrote ${config.out}/${EXPERIMENT_FILES.markdown}, ${EXPERIMENT_FILES.json} and ` +
      `${EXPERIMENT_FILES.svg} (${formatDuration(results.wall_s)})`,
  );
  return results;
}

/** The plan, printed at start: arms, budget, GLUE tasks, caps and seeds. */
export function planLines(config: ExperimentSettings, budget: Budget): string[] {
  const p = config.pretrain;
  const g = config.glue;
  const parameters = bertParameterCount(budget.model, "mlm");
  const per = budget.perStep;
  const total = (steps: number) => describeFlops({ sixND: per.sixND * steps, electra: per.electra * steps });
  const scaled = config.arms.filter((a) => ARMS[a].scaled);
  const runs = config.arms.length * (g.tasks?.length ?? 9) * config.seeds * (g.lr_grid?.length ?? 1);
  return [
    `${config.arms.length} arm(s) into ${config.out}: ${config.arms.join(", ")}`,
    `start: ${p.init ? `continued pre-training of ${p.init}` : `a ${p.preset} BERT from scratch`} ` +
    `(${(parameters / 1e6).toFixed(2)}M parameters), pre-training seeds ${
      pretrainSeeds(config).join(", ")
    }, backend ${config.backend}`,
    `common measures: masked-LM loss on ${config.heldout} of the documents held out before any selection ` +
    `(and on its densest ${config.dense_share} by ConceptNet edges per word)` +
    (config.probe ? ", the knowledge probe" : ""),
    `budget per arm: ${budget.steps} steps of ${p.batch} x ${p.seq_len} tokens = ${total(budget.steps)}` +
    (scaled.length > 0 ? `; ${scaled.join(", ")}: ${budget.scaledSteps} steps (${config.multiplier}x)` : ""),
    `text: corpus ${p.corpus.length} file(s); concentrated and random subsets of ${p.budget} by ${p.conceptnet}`,
    `GLUE: ${g.tasks?.join(", ") ?? "every task found"} from ${
      g.data ?? "the shipped samples"
    }; training examples ${
      g.max_train_examples === null ? "all" : `capped at ${g.max_train_examples} (seeded sample)`
    }, dev examples ${g.max_eval_examples === null ? "all" : `capped at ${g.max_eval_examples}`}; ` +
    `batch ${g.batch}, lr ${g.lr_grid ? `grid ${g.lr_grid.join(",")}` : g.lr}, ${g.epochs} epochs; ` +
    `seeds 1..${config.seeds}: ${runs} fine-tuning runs`,
  ];
}

/** The pre-training seeds: `pretrain.seed` and the ones after it. */
export function pretrainSeeds(config: ExperimentSettings): number[] {
  return Array.from({ length: config.pretrain_seeds }, (_, k) => config.pretrain.seed + k);
}

async function assemble(
  config: ExperimentSettings,
  budget: Budget,
  heldout: HeldOutData,
  startMeasures: CommonMeasures | null,
  outcomes: readonly ArmOutcome[],
  command: string,
  start: number,
): Promise<ExperimentResults> {
  return buildExperiment({
    config,
    budget,
    heldout,
    start: startMeasures,
    outcomes,
    corpusBytes: await corpusBytes(outcomes.map((o) => o.data?.concentration ?? null)),
    command,
    wallSeconds: (performance.now() - start) / 1000,
  });
}

async function writeOutputs(out: string, results: ExperimentResults): Promise<void> {
  await writeFileAtomic(`${out}/${EXPERIMENT_FILES.json}`, JSON.stringify(results, null, 2) + "\n");
  await writeFileAtomic(`${out}/${EXPERIMENT_FILES.markdown}`, formatExperimentMarkdown(results));
  await writeExperimentPlot(`${out}/${EXPERIMENT_FILES.svg}`, results);
}

function notRun(
  config: ExperimentSettings,
  budget: Budget,
  heldout: HeldOutData,
  arm: ArmName,
  seed: number,
): ArmOutcome {
  const dir = armDir(config.out, arm, seed);
  const settings = armPretrainSettings(config, budget, arm, dir, { seed, corpus: [heldout.train] });
  return notStarted(arm, seed, dir, settings, "interrupted");
}
