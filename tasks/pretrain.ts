/**
 * `deno task pretrain`: masked-LM pre-training (the library's `pretrain`), its settings from flags
 * and `--config`, `--resume DIR` to continue a run, the summary on stdout.
 * @module
 */
import { type CommandRun, type CommandSpec, runCommand } from "../config/command.ts";
import { UsageError } from "../config/errors.ts";
import { readSettingsFile } from "../config/file.ts";
import { defineSettings } from "../config/settings.ts";
import { pretrain } from "../pretrain/run.ts";
import { PRETRAIN_SETTINGS, type PretrainSettings, RESUMABLE_SETTINGS } from "../pretrain/settings.ts";
import { formatSummary } from "../pretrain/summary.ts";
import { isDirectory, isFile } from "../util/files.ts";
import { resolve } from "node:path";
import { z } from "zod";

/** The command's own options. */
export interface PretrainCommandOptions {
  /** A run folder to continue from its checkpoint, with the settings in its `config.json`. */
  resume: string | null;
  /** Start a new run in an `--out` folder that holds files, replacing the run files there. */
  overwrite: boolean;
}

/** `deno task pretrain`. */
export const PRETRAIN_COMMAND: CommandSpec<PretrainSettings, PretrainCommandOptions> = {
  name: "pretrain",
  summary: "Pre-train a BERT with masked-LM: by default continue the shipped general tiny BERT on the " +
    "Wikipedia sample concentrated by CN-100K, with concept masking, and probe it before and after",
  details: "Writes out/runs/<time>-<name>/ (or --out, which must be new or empty unless --overwrite):\n" +
    "config.json, metrics.jsonl, metrics.csv, trainer_state.json (HuggingFace Trainer's, with\n" +
    "log_history), loss.svg, checkpoint/ (the latest: HuggingFace format, optimizer state,\n" +
    "trainer_state.json), checkpoint-<step>/ (each save, hard links; --save-total-limit keeps the\n" +
    "newest), summary.json, summary.md, probe-start/ and probe/ (the knowledge probe before and\n" +
    "after; --no-probe skips them). Ctrl-C finishes the step under way, saves a checkpoint and exits\n" +
    "130; --resume DIR continues with the losses an uninterrupted run has, and leaves a completed\n" +
    "run as it is.",
  settings: PRETRAIN_SETTINGS,
  options: defineSettings<PretrainCommandOptions>()(
    "pretrain",
    z.object({
      resume: z.string().min(1).nullable().default(null).describe(
        "continue the run in this folder from its checkpoint; it may change only " +
          RESUMABLE_SETTINGS.filter((k) => k !== "out").map((k) => `--${k.replaceAll("_", "-")}`).join(", "),
      ),
      overwrite: z.boolean().default(false).describe(
        "start a new run in an --out folder that holds files, removing the files a run writes there " +
          "(HuggingFace's --overwrite_output_dir); without it such a folder is refused",
      ),
    }).strict(),
  ),
  configFile: true,
  interruptible: true,
  examples: [
    "deno task pretrain",
    "deno task pretrain --preset mini --data random --masking bert --steps 200 --out out/runs/mini-random",
    "deno task pretrain --resume out/runs/mini-random --backend deno",
    "deno task pretrain --out out/runs/mini-random --overwrite --steps 400",
  ],
};

/** Runs the command line read by {@linkcode PRETRAIN_COMMAND}; returns the exit code. */
export async function main(run: CommandRun<PretrainSettings, PretrainCommandOptions>): Promise<number> {
  const dir = run.options.resume;
  let settings: PretrainSettings;
  if (dir !== null) {
    if (run.file) throw new UsageError(`--resume takes the run's own config; drop --config`);
    if (run.options.overwrite) {
      throw new UsageError(`--overwrite starts a new run; drop it to --resume ${dir}`);
    }
    const out = run.flags.values.out;
    if (out !== undefined && out !== null && resolve(String(out)) !== resolve(dir)) {
      throw new UsageError(
        `--out ${out}: a resumed run continues in its own folder ${dir}; drop --out (or copy the folder first)`,
      );
    }
    if (!await isDirectory(dir)) throw new UsageError(`--resume ${dir}: no such run folder`);
    if (!await isFile(`${dir}/config.json`)) {
      throw new UsageError(`--resume ${dir}: not a pretrain run folder (it has no config.json)`);
    }
    const saved = await readSettingsFile(`${dir}/config.json`);
    const before = PRETRAIN_SETTINGS.resolve([saved]);
    settings = PRETRAIN_SETTINGS.resolve([saved, run.flags, { source: "code", values: { out: dir } }]);
    for (const key of Object.keys(run.flags.values) as (keyof PretrainSettings)[]) {
      if (
        !RESUMABLE_SETTINGS.includes(key) && JSON.stringify(settings[key]) !== JSON.stringify(before[key])
      ) {
        throw new UsageError(
          `${
            PRETRAIN_SETTINGS.field(key)!.flag
          } differs from the run being resumed; a resumed run may only change ` +
            RESUMABLE_SETTINGS.map((k) => `--${k.replaceAll("_", "-")}`).join(", "),
        );
      }
    }
  } else settings = run.settings();
  run.setInterruptNote("finishing this step and saving a checkpoint");
  const summary = await pretrain(settings, {
    signal: run.signal,
    resume: dir !== null,
    overwrite: run.options.overwrite,
    command: ["deno task pretrain", ...run.args].join(" "),
  });
  console.log(formatSummary(summary));
  if (summary.status === "interrupted") {
    console.error(`pretrain: resume with: deno task pretrain --resume ${summary.out}`);
    return 130;
  }
  return 0;
}

if (import.meta.main) await runCommand(PRETRAIN_COMMAND, main);
