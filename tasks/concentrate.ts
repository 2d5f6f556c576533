/**
 * `deno task concentrate`: the part of a corpus densest in ConceptNet knowledge and its random
 * control (the library's concentration pipeline), or one shard of it (`--shard i/n`), or the merge
 * of shards (`--merge DIR,...`); a summary (or `--json`, the report) on stdout.
 * @module
 */
import { z } from "zod";
import { type CommandRun, type CommandSpec, runCommand } from "../config/command.ts";
import { UsageError } from "../config/errors.ts";
import { defineSettings } from "../config/settings.ts";
import { concentrate, mergeShards, runShard } from "../data/concentrate/pipeline.ts";
import { formatReport } from "../data/concentrate/report.ts";
import {
  CONCENTRATE_SETTINGS,
  type ConcentrateSettings,
  concentrationJob,
} from "../data/concentrate/settings.ts";
import { formatBytes } from "../data/concentrate/size.ts";
import { CONCEPTNET_LINES_HELP } from "../data/conceptnet.ts";

/** The command's own options: the sharded modes and the output format. */
export interface ConcentrateCommandOptions {
  /** Scan shard `i/n` (0-based) of the corpus files and write its partial to `out`. */
  shard: string | null;
  /** Merge these partial folders into `out` instead of scanning. */
  merge: string[] | null;
  /** Print the report (or the partial's candidates) as one JSON line. */
  json: boolean;
}

/** `deno task concentrate`. */
export const CONCENTRATE_COMMAND: CommandSpec<ConcentrateSettings, ConcentrateCommandOptions> = {
  name: "concentrate",
  summary: "Keep the part of a corpus densest in ConceptNet knowledge, and an equal-size random control",
  details: "Writes concentrated.txt (the highest-scoring units filling --budget, or those above --alpha),\n" +
    "random.txt (a seeded random control of the same size within one unit) and report.json to --out.\n" +
    "Sizes: B, KB, MB, GB, TB (powers of 1000) or KiB, MiB, GiB, TiB. --shard i/n scans the corpus\n" +
    "files whose index modulo n is i and writes a partial; --merge combines the partials of shards\n" +
    "0..n-1 into the same bytes one process writes. The output does not depend on --workers, which\n" +
    "is at most the machine's cores (each worker holds its own matcher, about 150 MB).\n" +
    CONCEPTNET_LINES_HELP,
  settings: CONCENTRATE_SETTINGS,
  options: defineSettings<ConcentrateCommandOptions>()(
    "concentrate",
    z.object({
      shard: z.string().regex(/^\d+\/\d+$/, "i/n with 0 <= i < n (shards count from 0)").refine((s) => {
        const [i, n] = s.split("/").map(Number);
        return n! >= 1 && i! < n!;
      }, "must be i/n with 0 <= i < n (shards count from 0)").nullable().default(null).describe(
        "scan shard i/n of the corpus files and write its partial to --out",
      ),
      merge: z.array(z.string().min(1)).min(1).nullable().default(null).describe(
        "merge these partial folders (of shards 0..n-1) into --out instead of scanning",
      ),
      json: z.boolean().default(false).describe("print the report as one JSON line"),
    }).strict(),
  ),
  configFile: true,
  positional: { key: "corpus", label: "[PATH...]", description: "corpus files or directories (as --corpus)" },
  examples: [
    "deno task concentrate",
    "deno task concentrate --corpus wiki/ --corpus books.txt.gz --conceptnet assertions.csv.gz --budget 50MB --out out/c50",
    "deno task concentrate --corpus wiki/ --budget 50MB --shard 0/2 --out out/s0",
  ],
};

/** Runs the command line read by {@linkcode CONCENTRATE_COMMAND}. */
export async function main(run: CommandRun<ConcentrateSettings, ConcentrateCommandOptions>): Promise<void> {
  const { shard, merge, json } = run.options;
  const given = { ...run.file?.values, ...run.flags.values };
  if (merge) {
    if (given.corpus !== undefined || given.conceptnet !== undefined || shard !== null) {
      throw new UsageError(
        "--merge takes its inputs from the partials; drop --corpus, --conceptnet and --shard",
      );
    }
    if (given.out === undefined) throw new UsageError("--merge needs --out DIR for the merged result");
    const out = run.settings().out;
    const report = await mergeShards(merge, out);
    console.log(json ? JSON.stringify(report) : formatReport(report));
    return;
  }
  const settings = run.settings();
  const job = concentrationJob(
    settings,
    (bytes, units) => console.error(`concentrate: ${formatBytes(bytes)} read, ${units} units scored`),
  );
  if (shard !== null) {
    if (given.out === undefined) throw new UsageError("--shard needs --out DIR for its partial");
    const [index, count] = shard.split("/").map(Number) as [number, number];
    const p = await runShard(job, { index, count }, settings.out);
    console.log(
      json
        ? JSON.stringify(p.candidates)
        : `concentrate shard ${index}/${count}: ${p.unitsSeen} units, ${
          formatBytes(p.bytesSeen)
        } of text; ${p.candidates.records} candidates (${formatBytes(p.candidates.bytes)}) in ${
          p.scanSeconds.toFixed(1)
        } s -> ${settings.out}`,
    );
    return;
  }
  const report = await concentrate(job, settings.out);
  console.log(json ? JSON.stringify(report) : formatReport(report));
}

if (import.meta.main) await runCommand(CONCENTRATE_COMMAND, main);
