/**
 * `deno task shards`: a corpus tokenized once and packed into train and validation token shards
 * (the library's `buildShards`); the counts on stdout.
 * @module
 */
import { type CommandRun, type CommandSpec, runCommand } from "../config/command.ts";
import { type JsonOption, jsonOption } from "../config/options.ts";
import {
  buildShards,
  formatShardsSummary,
  SHARDS_SETTINGS,
  type ShardsSettings,
} from "../data/shard_build.ts";

/** `deno task shards`. */
export const SHARDS_COMMAND: CommandSpec<ShardsSettings, JsonOption> = {
  name: "shards",
  summary: "Pack a corpus (text, gzip, WikiExtractor) into masked-LM token shards, train and validation",
  settings: SHARDS_SETTINGS,
  options: jsonOption("shards", "print the counts as one JSON line"),
  configFile: true,
  examples: ["deno task shards --corpus data/corpus/enwiki-2015-wikiextractor --out out/wiki.shard"],
};

/** Runs the command line read by {@linkcode SHARDS_COMMAND}. */
export async function main(run: CommandRun<ShardsSettings, JsonOption>): Promise<void> {
  const summary = await buildShards(run.settings());
  console.log(run.options.json ? JSON.stringify(summary) : formatShardsSummary(summary));
}

if (import.meta.main) await runCommand(SHARDS_COMMAND, main);
