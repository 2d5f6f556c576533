/**
 * `deno task experiment`: the paper's arms at equal FLOPs, each fine-tuned on GLUE (the library's
 * `runExperiment`); the table on stdout; exit 1 when an arm failed, 130 when interrupted.
 * @module
 */
import { type CommandRun, type CommandSpec, runCommand } from "../config/command.ts";
import { runExperiment } from "../experiment/run.ts";
import { formatExperimentMarkdown } from "../experiment/report.ts";
import { EXPERIMENT_SETTINGS, type ExperimentSettings } from "../experiment/settings.ts";

/** `deno task experiment`. */
export const EXPERIMENT_COMMAND: CommandSpec<ExperimentSettings, Record<never, never>> = {
  name: "experiment",
  summary: "Run the paper's experiment: general, general-20x, random and concentrated pre-training " +
    "(and two ablations) at equal FLOPs, each fine-tuned on GLUE",
  details: "Arms: general (the whole corpus, bert masking), general-20x (20x the compute), random (a\n" +
    "random subset of the concentrated size, bert), concentrated (the ConceptNet subset, concept\n" +
    "masking), and the ablations concentrated-bert and random-concept. Writes arms/<arm>/ (a pretrain\n" +
    "run and its glue/ results), experiment.md (the paper's table), experiment.json and experiment.svg\n" +
    "to --out. Re-running the same command reuses finished arms and resumes an interrupted one.\n" +
    "experiment/paper_base.jsonc is the paper's setting (bert-base-uncased, 9.6e15 FLOPs) for a GPU.",
  settings: EXPERIMENT_SETTINGS,
  configFile: true,
  interruptible: true,
  examples: [
    "deno task experiment",
    "deno task experiment --arms general,concentrated --seeds 1 --glue.tasks sst2,rte --pretrain.flops 1e13",
    "deno task experiment --config experiment/paper_base.jsonc",
  ],
};

/** Runs the command line read by {@linkcode EXPERIMENT_COMMAND}; returns the exit code. */
export async function main(run: CommandRun<ExperimentSettings, Record<never, never>>): Promise<number> {
  const settings = run.settings();
  const command = ["deno task experiment", ...run.args].join(" ");
  const results = await runExperiment(settings, {
    signal: run.signal,
    command,
    phase: (phase) =>
      run.setInterruptNote(
        phase === "glue"
          ? "stopping after this arm's GLUE runs (they run again on re-run)"
          : "finishing this step and saving a checkpoint",
      ),
  });
  console.log(formatExperimentMarkdown(results).split("\n## Runs")[0]!.trimEnd());
  const failed = results.runs.filter((a) => a.status === "failed");
  for (const a of failed) console.error(`experiment: arm ${a.arm} (seed ${a.seed}) failed: ${a.error}`);
  if (results.runs.some((a) => a.status === "interrupted")) {
    console.error(`experiment: interrupted; run the same command again to resume: ${command}`);
    return 130;
  }
  if (failed.length > 0) {
    console.error(
      `experiment: ${failed.length} of ${results.runs.length} run(s) failed; the others are in the table`,
    );
    return 1;
  }
  return 0;
}

if (import.meta.main) await runCommand(EXPERIMENT_COMMAND, main);
