/**
 * `deno task fill-mask --model DIR "text with [MASK]"`: the masked-LM's top-k tokens per [MASK]
 * (the library's `fillMask`): one line per [MASK], or with `--json` one JSON line.
 * @module
 */
import { type CommandRun, type CommandSpec, runCommand } from "../config/command.ts";
import { type JsonOption, jsonOption } from "../config/options.ts";
import {
  FILL_MASK_SETTINGS,
  fillMask,
  type FillMaskSettings,
  formatFillMask,
} from "../pretrain/fill_mask.ts";
import { writeStdout } from "../util/stdio.ts";

/** `deno task fill-mask`. */
export const FILL_MASK_COMMAND: CommandSpec<FillMaskSettings, JsonOption> = {
  name: "fill-mask",
  summary: "Top-k tokens with probabilities for every [MASK] of a text, from a checkpoint directory",
  details: 'Text output, one line per [MASK]: "[MASK] 1 (position 6): mat 0.9731, rug 0.0042, ...", the\n' +
    "position counting tokens from [CLS] = 0.",
  settings: FILL_MASK_SETTINGS,
  options: jsonOption("fill-mask", "one JSON line instead of one line per [MASK]"),
  positional: { key: "text", label: "TEXT", description: "the text, with one or more [MASK] (as --text)" },
  examples: ['deno task fill-mask --model out/runs/my-run/checkpoint "The cat sat on the [MASK]."'],
};

/** Runs the command line read by {@linkcode FILL_MASK_COMMAND}. */
export async function main(run: CommandRun<FillMaskSettings, JsonOption>): Promise<void> {
  const result = await fillMask(run.settings());
  await writeStdout(run.options.json ? JSON.stringify(result) + "\n" : formatFillMask(result));
}

if (import.meta.main) await runCommand(FILL_MASK_COMMAND, main);
