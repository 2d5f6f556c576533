/**
 * The knowledge probe's files: `predictions.tsv` (a header, then one line per fact) and
 * `results.json`, each written through a temporary name; and the check that an output folder
 * given by name is new or empty, so a probe never mixes its files with another's.
 *
 * @example
 * ```ts
 * import { checkProbeOut, writeProbeOutputs } from "./outputs.ts";
 *
 * await checkProbeOut("out/probe/mine", { chosen: true }); // UsageError if it holds anything
 * await writeProbeOutputs("out/probe/mine", results, predictions);
 * ```
 * @module
 */
import { UsageError } from "../config/errors.ts";
import { writeFileAtomic } from "../util/atomic_write.ts";
import type { ProbePrediction, ProbeResults } from "./results.ts";

/** `predictions.tsv`'s file name. */
export const PROBE_PREDICTIONS_FILE = "predictions.tsv";
/** `results.json`'s file name. */
export const PROBE_RESULTS_FILE = "results.json";

/** The columns of `predictions.tsv`. */
export const PROBE_PREDICTION_COLUMNS: readonly string[] = [
  "relation",
  "head",
  "text",
  "gold",
  "rank",
  "prob",
  "top10",
  "unigram_rank",
  "relation_prior_rank",
  "source",
];

/**
 * Refuses an output folder that already holds files, when it was `chosen` by name (the default
 * timestamped folder of a probe started in the same second is reused instead).
 *
 * @throws {UsageError} `probe: --out "<dir>" ...` for a file or a folder that is not empty
 */
export async function checkProbeOut(dir: string, options: { chosen: boolean }): Promise<void> {
  if (!options.chosen) return;
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(dir);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return;
    throw error;
  }
  if (!info.isDirectory) throw new UsageError(`probe: --out "${dir}" is a file, not a folder`);
  for await (const _ of Deno.readDir(dir)) {
    throw new UsageError(`probe: --out "${dir}" is not empty; give a new or empty folder`);
  }
}

/** The text of `predictions.tsv`: the header and one line per prediction (tabs in fields become spaces). */
export function formatPredictions(predictions: readonly ProbePrediction[]): string {
  const clean = (s: string) => s.replace(/[\t\r\n]/g, " ");
  const lines = predictions.map((p) =>
    [
      p.relation,
      p.head,
      p.text,
      p.gold,
      String(p.rank),
      p.prob.toPrecision(6),
      p.top.join(" "),
      String(p.unigramRank),
      String(p.relationPriorRank),
      p.source,
    ].map(clean).join("\t")
  );
  return [PROBE_PREDICTION_COLUMNS.join("\t"), ...lines].join("\n") + "\n";
}

/** Writes `predictions.tsv` and `results.json` into `dir` (created). */
export async function writeProbeOutputs(
  dir: string,
  results: ProbeResults,
  predictions: readonly ProbePrediction[],
): Promise<void> {
  await writeFileAtomic(`${dir}/${PROBE_PREDICTIONS_FILE}`, formatPredictions(predictions));
  await writeFileAtomic(`${dir}/${PROBE_RESULTS_FILE}`, JSON.stringify(results, null, 2) + "\n");
}
