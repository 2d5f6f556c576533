/**
 * `deno task masks`: what a masking strategy masks in the first sequences of a corpus, and its
 * statistics (the library's `inspectMasking`), on stdout.
 * @module
 */
import { type CommandRun, type CommandSpec, runCommand } from "../config/command.ts";
import { type JsonOption, jsonOption } from "../config/options.ts";
import { CONCEPTNET_LINES_HELP } from "../data/conceptnet.ts";
import { formatMasksReport, inspectMasking, MASKS_SETTINGS, type MasksSettings } from "../masking/inspect.ts";

/** `deno task masks`. */
export const MASKS_COMMAND: CommandSpec<MasksSettings, JsonOption> = {
  name: "masks",
  summary: "Show what a masking strategy (bert, bernoulli, concept, curriculum) masks in a corpus, " +
    "with statistics",
  details: "In the shown sequences [x] became [MASK], {x->y} a random id, <x> is predicted but kept.\n" +
    "For curriculum, concept frequencies are counted over the sequences read and --step picks the stage\n" +
    "through --boundaries.\n" + CONCEPTNET_LINES_HELP,
  settings: MASKS_SETTINGS,
  options: jsonOption("masks", "print the report as one JSON line"),
  configFile: true,
  examples: ["deno task masks", "deno task masks --masking curriculum --step 2500 --show 5 --whole-word"],
};

/** Runs the command line read by {@linkcode MASKS_COMMAND}. */
export async function main(run: CommandRun<MasksSettings, JsonOption>): Promise<void> {
  const report = await inspectMasking(run.settings());
  console.log(run.options.json ? JSON.stringify(report) : formatMasksReport(report));
}

if (import.meta.main) await runCommand(MASKS_COMMAND, main);
