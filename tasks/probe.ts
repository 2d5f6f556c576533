/**
 * `deno task probe --model DIR`: the LAMA-style knowledge probe (the library's `runProbe`) on
 * CN-100K's held-out facts: a table of P@1, P@10 and MRR with 95% intervals over all facts and per
 * relation, with the baselines, or with `--json` the results as one JSON line; `predictions.tsv`
 * and `results.json` go to `--out` (default `out/probe/<time>/`).
 * @module
 */
import { type CommandRun, type CommandSpec, runCommand } from "../config/command.ts";
import { type JsonOption, jsonOption } from "../config/options.ts";
import { formatProbeReport, runProbe } from "../probe/run.ts";
import { PROBE_SETTINGS, type ProbeSettings } from "../probe/settings.ts";
import { writeStdout } from "../util/stdio.ts";

/** `deno task probe`. */
export const PROBE_COMMAND: CommandSpec<ProbeSettings, JsonOption> = {
  name: "probe",
  summary:
    "Knowledge probe (LAMA-style): P@1, P@10 and MRR of a checkpoint on CN-100K's held-out facts, with baselines",
  details:
    "Each true fact of --facts whose tail is one token of the model's vocab.txt becomes one sentence\n" +
    'from its relation\'s template ("[H] is used for [MASK]."); the model ranks the whole vocabulary but\n' +
    "the special tokens and [unusedN] at the [MASK]. Baselines: corpus unigram frequency (--corpus) and\n" +
    "the relation's most frequent one-token tails in --conceptnet. Intervals: percentile bootstrap over\n" +
    "the facts (--resamples, --seed). Skipped rows (malformed, duplicate, no template, multi-token tail,\n" +
    "tail not in vocab, too long) are counted per relation in results.json.",
  settings: PROBE_SETTINGS,
  options: jsonOption("probe", "print results.json as one JSON line instead of the table"),
  examples: [
    "deno task probe --model out/runs/my-run/checkpoint",
    "deno task probe --model tests/fixtures/hf_tiny/mlm --backend cpu --out out/probe/hf-tiny",
  ],
};

/** Runs the command line read by {@linkcode PROBE_COMMAND}. */
export async function main(run: CommandRun<ProbeSettings, JsonOption>): Promise<void> {
  const { results } = await runProbe(run.settings());
  await writeStdout(run.options.json ? JSON.stringify(results) + "\n" : formatProbeReport(results));
}

if (import.meta.main) await runCommand(PROBE_COMMAND, main);
