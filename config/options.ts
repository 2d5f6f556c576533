/**
 * Command options that several commands share, defined once.
 * @module
 */
import { z } from "zod";
import { defineSettings, type SettingsSpec } from "./settings.ts";

/** A command's choice of output: text for people, or JSON for programs. */
export interface JsonOption {
  /** Print JSON instead of text. */
  json: boolean;
}

/**
 * The `--json` option of command `name`, described as `description` in its help.
 *
 * @example
 * ```ts
 * import { jsonOption } from "./options.ts";
 * const options = jsonOption("shards", "print the counts as one JSON line");
 * ```
 */
export function jsonOption(name: string, description: string): SettingsSpec<JsonOption> {
  return defineSettings<JsonOption>()(
    name,
    z.object({ json: z.boolean().default(false).describe(description) }).strict(),
  );
}
