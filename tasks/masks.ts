/**
 * `deno task masks`: what a masking strategy masks in the first sequences of a corpus, and its
 * statistics (the library's `inspectMasking`), on stdout.
 * @module
 */
import { z } from "zod";
import { type CommandRun, type CommandSpec, runCommand } from "../config/command.ts";
import { defineSettings } from "../config/settings.ts";
import { formatMasksReport, inspectMasking, MASKS_SETTINGS, type MasksSettings } from "../masking/inspect.ts";

/** The command's own options. */
export interface MasksCommandOptions {
  /** The report as one JSON line. */
  json: boolean;
}

/** `deno task masks`. */
export const MASKS_COMMAND: CommandSpec<MasksSettings, MasksCommandOptions> = {
  name: "masks",
  summary: "Show what a masking strategy (bert, bernoulli, concept, curriculum) masks in a corpus, " +
    "with statistics",
  details: "In the shown sequences [x] became [MASK], {x->y} a random id, <x> is predicted but kept.\n" +
    "For curriculum, concept frequencies are counted over the sequences read and --step picks the stage\n" +
    "through --boundaries.",
  settings: MASKS_SETTINGS,
  options: defineSettings<MasksCommandOptions>()(
    "masks",
    z.object({ json: z.boolean().default(false).describe("print the report as one JSON line") }).strict(),
  ),
  configFile: true,
  examples: ["deno task masks", "deno task masks --masking curriculum --step 2500 --show 5 --whole-word"],
};

/** Runs the command line read by {@linkcode MASKS_COMMAND}. */
export async function main(run: CommandRun<MasksSettings, MasksCommandOptions>): Promise<void> {
  const report = await inspectMasking(run.settings());
  console.log(run.options.json ? JSON.stringify(report) : formatMasksReport(report));
}

if (import.meta.main) await runCommand(MASKS_COMMAND, main);
