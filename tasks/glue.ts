/**
 * `deno task glue`: fine-tunes and scores a checkpoint on GLUE (the library's `runGlue`); without
 * `--model`, the latest `pretrain` run's checkpoint; the summary (or `--json`, results.json's
 * content) on stdout.
 * @module
 */
import { logToStderr } from "../util/stdio.ts";
import { type CommandRun, type CommandSpec, runCommand } from "../config/command.ts";
import { type JsonOption, jsonOption } from "../config/options.ts";
import { formatGlueSummary, type GlueRunOptions, runGlue } from "../glue/run.ts";
import type { GlueResults } from "../glue/results.ts";
import { GLUE_SETTINGS, type GlueSettings } from "../glue/settings.ts";
import { latestCheckpoint } from "../pretrain/runs.ts";
import { writeStdout } from "../util/stdio.ts";

/** `deno task glue`. */
export const GLUE_COMMAND: CommandSpec<GlueSettings, JsonOption> = {
  name: "glue",
  summary: "Fine-tune and score a checkpoint on GLUE: dev metrics, the three GLUE aggregates, " +
    "prediction and GLUE-server files",
  details: "Writes out/glue/<time>/ (or --out): results.json, results.md, all_results.json,\n" +
    "predictions/<SET>-dev.tsv, submission/<NAME>.tsv and submission.zip for the test files present,\n" +
    "and with --save-models models/<TASK>/. With --lr-grid each rate runs with every seed and the best\n" +
    "mean dev score is reported. With no --model and no --data: the latest pretrain checkpoint on the\n" +
    "shipped samples, capped. The aggregates: the leaderboard's GLUE score, the BERT paper's, and\n" +
    "ELECTRA/CCM's.\n" +
    "\n" +
    "all_results.json uses HuggingFace run_glue.py's key names, one object per task under its\n" +
    "run_glue.py name (cola, sst2, mrpc, stsb, qqp, mnli, qnli, rte, wnli), each value the mean over\n" +
    "the seeds: eval_<metric> (accuracy, f1, matthews_correlation, pearson, spearmanr,\n" +
    "combined_score), eval_loss, eval_samples (MNLI mismatched: the same with _mm), and when trained\n" +
    "train_loss, train_runtime, train_samples, train_samples_per_second, train_steps_per_second,\n" +
    'epoch, learning_rate, num_seeds; then "aggregates": each aggregate\'s value (x100) and partial.\n' +
    "\n" +
    "Data files are checked before any task runs: each file's header (every GLUE file has\n" +
    "download_glue_data.py's header but CoLA train/dev, which have none) and its first row.",
  settings: GLUE_SETTINGS,
  options: jsonOption("glue", "print results.json's content as one line"),
  configFile: true,
  examples: [
    "deno task glue",
    "deno task glue --model out/runs/my-run/checkpoint --data glue_data --tasks cola,sst2 --seeds 3",
    "deno task glue --eval-only --model out/glue/20261206-120000/models --data glue_data",
  ],
};

/** Where the command's output goes and what it runs on (tests replace them). */
export interface GlueCommandIo extends GlueRunOptions {
  /** Receives the summary or JSON (default: stdout). */
  write?: (text: string) => Promise<void>;
  /** Where to look for the latest pretrain run (default `out/runs`). */
  runsDir?: string;
}

/** Runs the command line read by {@linkcode GLUE_COMMAND}; returns the results. */
export async function main(
  run: CommandRun<GlueSettings, JsonOption>,
  io: GlueCommandIo = {},
): Promise<GlueResults> {
  const { write = writeStdout, runsDir, ...options } = io;
  const log = options.log ?? logToStderr;
  const settings = run.settings();
  if (settings.model === null) {
    settings.model = await latestCheckpoint(runsDir);
    log(`glue: model ${settings.model} (the latest pretrain output; --model to choose)`);
  }
  const results = await runGlue(settings, options);
  await write(run.options.json ? JSON.stringify(results) + "\n" : formatGlueSummary(results));
  return results;
}

if (import.meta.main) await runCommand(GLUE_COMMAND, (run) => main(run).then(() => {}));
