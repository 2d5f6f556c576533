/**
 * `deno task shards`: a corpus tokenized once and packed into train and validation token shards
 * (the library's `buildShards`); the counts on stdout.
 * @module
 */
import { z } from "zod";
import { type CommandRun, type CommandSpec, runCommand } from "../config/command.ts";
import { defineSettings } from "../config/settings.ts";
import {
  buildShards,
  formatShardsSummary,
  SHARDS_SETTINGS,
  type ShardsSettings,
} from "../data/shard_build.ts";

/** The command's own options. */
export interface ShardsCommandOptions {
  /** The counts as one JSON line. */
  json: boolean;
}

/** `deno task shards`. */
export const SHARDS_COMMAND: CommandSpec<ShardsSettings, ShardsCommandOptions> = {
  name: "shards",
  summary: "Pack a corpus (text, gzip, WikiExtractor) into masked-LM token shards, train and validation",
  settings: SHARDS_SETTINGS,
  options: defineSettings<ShardsCommandOptions>()(
    "shards",
    z.object({ json: z.boolean().default(false).describe("print the counts as one JSON line") }).strict(),
  ),
  configFile: true,
  examples: ["deno task shards --corpus data/corpus/enwiki-2015-wikiextractor --out out/wiki.shard"],
};

/** Runs the command line read by {@linkcode SHARDS_COMMAND}. */
export async function main(run: CommandRun<ShardsSettings, ShardsCommandOptions>): Promise<void> {
  const summary = await buildShards(run.settings());
  console.log(run.options.json ? JSON.stringify(summary) : formatShardsSummary(summary));
}

if (import.meta.main) await runCommand(SHARDS_COMMAND, main);
