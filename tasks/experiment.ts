/**
 * `deno task experiment [--config FILE.jsonc] [--out DIR] [--arms a,b,...] [--seeds N]
 * [--tasks sst2,rte,...] [--backend auto|dawn|deno|cpu]`: the paper's experiment as one command.
 * From one starting point (a `pretrain.init` checkpoint, or a `pretrain.preset` from scratch) it
 * pre-trains each arm at equal FLOPs, then fine-tunes each arm's checkpoint on GLUE with seeds 1..N:
 *
 * | arm | data | masking | compute |
 * | --- | --- | --- | --- |
 * | `general` | the whole corpus | bert | 1x |
 * | `general-20x` | the whole corpus | bert | 20x (`multiplier`) |
 * | `random` | a random subset of the concentrated size | bert | 1x |
 * | `concentrated` | the ConceptNet-concentrated subset | concept | 1x |
 * | `concentrated-bert` | the concentrated subset (ablation) | bert | 1x |
 * | `random-concept` | the random subset (ablation) | concept | 1x |
 *
 * Every arm has the same seed, batch, sequence length and steps (the FLOPs budget is turned into
 * steps once), so the FLOPs columns are equal, and `general-20x` runs exactly 20 times the steps.
 * Writes into `--out` (default `out/experiment`): `arms/<arm>/` (a `deno task pretrain` run, with
 * `data.json`: the SHA-256 of its training shard) and `arms/<arm>/glue/` (a `deno task glue`
 * output), and `experiment.md` (the paper's table), `experiment.json` and `experiment.svg`.
 *
 * Resumable: re-running the same command reuses the finished arms ("reusing"), resumes an arm
 * whose pre-training was interrupted, and runs the rest; an arm that fails is recorded with its
 * error and the others go on (the exit code is then 1). Ctrl-C stops after the current step (or
 * the current arm's GLUE runs) and keeps what is done.
 *
 * The embedded default (no arguments) runs the shipped samples: a tiny BERT from scratch on the
 * Wikipedia sample and CN-100K (the pretrain defaults' data, 500KB concentrated), 1.6e12 6ND FLOPs
 * per arm (15 steps of 32 x 128; general-20x 300 steps), GLUE on SST-2, MRPC and RTE with 400
 * training and 200 dev examples, 3 epochs, lr 1e-4, 3 seeds. Planned for under 60 minutes on a
 * 2-core machine with lavapipe (see `tasks/experiment/config.ts`); `tasks/experiment/paper_base.jsonc`
 * is the paper's setting (bert-base, 9.6e15 FLOPs, 50MB of a 16GB corpus) for a real GPU.
 * @module
 */
import { bertParameterCount, describeFlops } from "../core/flops.ts";
import type { Gpu } from "../core/device.ts";
import { backendFlag, main, parseFlags, UsageError } from "./_cli.ts";
import { writeFileAtomic } from "./_atomic_write.ts";
import type { ProgressOptions } from "./glue/progress.ts";
import { armDir, type ArmOutcome, runArm } from "./experiment/arm.ts";
import {
  ARM_NAMES,
  armPretrainConfig,
  ARMS,
  type Budget,
  EXPERIMENT_DEFAULTS,
  EXPERIMENT_GLUE_DEFAULTS,
  EXPERIMENT_PRETRAIN_DEFAULTS,
  experimentBudget,
  type ExperimentConfig,
  type ExperimentFlags,
  parseArms,
  parseTasks,
  readExperimentFile,
  resolveExperimentConfig,
} from "./experiment/config.ts";
import { corpusBytes } from "./experiment/data_hash.ts";
import { writeExperimentPlot } from "./experiment/plot.ts";
import {
  buildExperiment,
  duration,
  type ExperimentResults,
  formatExperimentMarkdown,
} from "./experiment/report.ts";

/** What the command line asks for. */
export interface ExperimentArgs {
  config: string | null;
  flags: ExperimentFlags;
  help: boolean;
}

/** Options of {@linkcode run} that are not part of the config. */
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

/** The output files inside `--out`. */
export const EXPERIMENT_FILES = {
  markdown: "experiment.md",
  json: "experiment.json",
  svg: "experiment.svg",
} as const;

/** Parses the flags; a bad flag or value is a UsageError naming it. */
export function parseExperimentArgs(args: string[]): ExperimentArgs {
  const { values, positionals } = parseFlags("experiment", args, {
    config: { type: "string" },
    out: { type: "string" },
    arms: { type: "string" },
    seeds: { type: "string" },
    tasks: { type: "string" },
    backend: { type: "string" },
    help: { type: "boolean" },
  });
  if (positionals.length > 0) throw new UsageError(`experiment: unexpected argument "${positionals[0]}"`);
  const flags: ExperimentFlags = {};
  const str = (key: string) => values[key] as string | undefined;
  if (str("out") !== undefined) {
    if (str("out")!.trim() === "") throw new UsageError(`experiment: --out must name a folder`);
    flags.out = str("out")!;
  }
  if (str("arms") !== undefined) flags.arms = parseArms(str("arms")!);
  if (str("seeds") !== undefined) {
    const n = Number(str("seeds"));
    if (!Number.isSafeInteger(n) || n < 1) {
      throw new UsageError(`experiment: --seeds must be a positive integer, got "${str("seeds")}"`);
    }
    flags.seeds = n;
  }
  if (str("tasks") !== undefined) flags.tasks = parseTasks(str("tasks")!);
  if (values.backend !== undefined) flags.backend = backendFlag("experiment", values.backend);
  return { config: str("config") ?? null, flags, help: values.help === true };
}

/** The config of a command line: the embedded default, then `--config`, then the flags. */
export async function resolveExperiment(args: ExperimentArgs): Promise<ExperimentConfig> {
  const file = args.config ? await readExperimentFile(args.config) : {};
  return resolveExperimentConfig(file, args.flags, args.config ?? "config");
}

/**
 * Runs (or resumes) the experiment: every arm, then `experiment.md`, `.json` and `.svg` (also
 * written after each arm, so a long run shows its progress). Returns what `experiment.json` holds;
 * failed arms are in it with their error (the CLI exits 1 for them).
 *
 * @throws {Error} only when the experiment cannot start (a bad budget or `init`); an arm's own
 * failure is recorded instead
 */
export async function run(
  config: ExperimentConfig,
  options: ExperimentOptions = {},
): Promise<ExperimentResults> {
  const log = options.log ?? ((line: string) => console.error(line));
  const start = performance.now();
  const command = options.command ?? "deno task experiment";
  const budget = await experimentBudget(config);
  for (const line of planLines(config, budget)) log(`experiment: ${line}`);

  // The cheap arms first: a long scaled arm must not hold back the comparison at equal compute.
  const order = [...config.arms].sort((a, b) => Number(ARMS[a].scaled) - Number(ARMS[b].scaled));
  const outcomes: ArmOutcome[] = [];
  const write = async () => {
    const results = await assemble(config, budget, outcomes, command, start);
    await writeOutputs(config.out, results);
    return results;
  };
  for (const arm of order) {
    if (options.signal?.aborted) {
      outcomes.push(notRun(config, budget, arm));
      continue;
    }
    log(`experiment: arm ${arm} (${ARMS[arm].description})`);
    const outcome = await runArm(arm, {
      config,
      budget,
      log,
      command,
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.gpu ? { gpu: options.gpu } : {}),
      ...(options.progress ? { progress: options.progress } : {}),
      ...(options.phase ? { phase: options.phase } : {}),
    });
    outcomes.push(outcome);
    if (outcome.reused.pretrain && outcome.reused.glue) {
      log(`experiment: reusing arm ${arm} (${outcome.dir})`);
    }
    // The outputs so far; a problem writing them must not stop the arms still to run.
    await write().catch((error) => log(`experiment: ${(error as Error).message}`));
  }
  const results = await write();
  log(
    `experiment: wrote ${config.out}/${EXPERIMENT_FILES.markdown}, ${EXPERIMENT_FILES.json} and ` +
      `${EXPERIMENT_FILES.svg} (${duration(results.wall_s)})`,
  );
  return results;
}

/** The plan, printed at start: arms, budget, GLUE tasks, caps and seeds. */
export function planLines(config: ExperimentConfig, budget: Budget): string[] {
  const p = config.pretrain;
  const g = config.glue;
  const parameters = bertParameterCount(budget.model, "mlm");
  const per = budget.perStep;
  const total = (steps: number) => describeFlops({ sixND: per.sixND * steps, electra: per.electra * steps });
  const scaled = config.arms.filter((a) => ARMS[a].scaled);
  const runs = config.arms.length * g.tasks.length * config.seeds * (g.lr_grid?.length ?? 1);
  return [
    `${config.arms.length} arm(s) into ${config.out}: ${config.arms.join(", ")}`,
    `start: ${p.init ? `continued pre-training of ${p.init}` : `a ${p.preset} BERT from scratch`} ` +
    `(${(parameters / 1e6).toFixed(2)}M parameters), pre-training seed ${p.seed}, backend ${config.backend}`,
    `budget per arm: ${budget.steps} steps of ${p.batch} x ${p.seq_len} tokens = ${total(budget.steps)}` +
    (scaled.length > 0 ? `; ${scaled.join(", ")}: ${budget.scaledSteps} steps (${config.multiplier}x)` : ""),
    `text: corpus ${p.corpus.length} file(s); concentrated and random subsets of ${p.budget} by ${p.conceptnet}`,
    `GLUE: ${g.tasks.join(", ")} from ${g.data}; training examples ${
      g.max_train_examples === null ? "all" : `capped at ${g.max_train_examples} (seeded sample)`
    }, dev examples ${g.max_eval_examples === null ? "all" : `capped at ${g.max_eval_examples}`}; ` +
    `batch ${g.batch}, lr ${g.lr_grid ? `grid ${g.lr_grid.join(",")}` : g.lr}, ${g.epochs} epochs; ` +
    `seeds 1..${config.seeds}: ${runs} fine-tuning runs`,
  ];
}

async function assemble(
  config: ExperimentConfig,
  budget: Budget,
  outcomes: readonly ArmOutcome[],
  command: string,
  start: number,
): Promise<ExperimentResults> {
  return buildExperiment({
    config,
    budget,
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

function notRun(config: ExperimentConfig, budget: Budget, arm: (typeof ARM_NAMES)[number]): ArmOutcome {
  const dir = armDir(config.out, arm);
  return {
    arm,
    status: "interrupted",
    error: null,
    reused: { pretrain: false, glue: false },
    dir,
    config: armPretrainConfig(config, budget, arm, dir),
    summary: null,
    data: null,
    glue: null,
    curve: [],
    wall_s: 0,
  };
}

function help(): string {
  return [
    "deno task experiment [--config FILE.jsonc] [--out DIR] [--arms a,b,...] [--seeds N] [--tasks t1,t2]",
    "                     [--backend auto|dawn|deno|cpu]",
    `Arms: ${ARM_NAMES.join(", ")} (default: all)`,
    "A config file has top-level keys out, arms, multiplier, seeds, backend, evals, and the objects",
    '"pretrain" (deno task pretrain\'s keys, except data, masking, name, out, backend) and "glue";',
    "tasks/experiment/paper_base.jsonc is an example. Flags win over the file.",
    `Embedded defaults: ${JSON.stringify({ ...EXPERIMENT_DEFAULTS, arms: undefined })}`,
    `  pretrain: ${JSON.stringify(EXPERIMENT_PRETRAIN_DEFAULTS)} (the rest: deno task pretrain's defaults)`,
    `  glue: ${JSON.stringify({ ...EXPERIMENT_GLUE_DEFAULTS, data: "data/glue" })}`,
  ].join("\n");
}

if (import.meta.main) {
  await main(async () => {
    const args = parseExperimentArgs(Deno.args);
    if (args.help) {
      console.log(help());
      return;
    }
    const config = await resolveExperiment(args);
    const abort = new AbortController();
    let phase: "pretrain" | "glue" | "idle" = "idle";
    let interrupts = 0;
    const onInterrupt = () => {
      interrupts++;
      if (interrupts > 1) Deno.exit(130);
      console.error(
        phase === "glue"
          ? `\nexperiment: Ctrl-C: stopping after this arm's GLUE runs (again to quit at once; its GLUE runs again on re-run)`
          : `\nexperiment: Ctrl-C: finishing this step and saving a checkpoint (again to quit at once)`,
      );
      abort.abort();
    };
    Deno.addSignalListener("SIGINT", onInterrupt);
    const command = ["deno task experiment", ...Deno.args].join(" ");
    let results: ExperimentResults;
    try {
      results = await run(config, {
        signal: abort.signal,
        command,
        phase: (p) => void (phase = p),
      });
    } finally {
      Deno.removeSignalListener("SIGINT", onInterrupt);
    }
    const markdown = formatExperimentMarkdown(results);
    console.log(markdown.split("\n## Arms")[0]!.trimEnd());
    const failed = results.arms.filter((a) => a.status === "failed");
    for (const a of failed) console.error(`experiment: arm ${a.arm} failed: ${a.error}`);
    if (results.arms.some((a) => a.status === "interrupted")) {
      console.error(`experiment: interrupted; run the same command again to resume: ${command}`);
      Deno.exit(130);
    }
    if (failed.length > 0) {
      console.error(
        `experiment: ${failed.length} of ${results.arms.length} arm(s) failed; the others are in the table`,
      );
      Deno.exit(1);
    }
  });
}
