/**
 * What a run folder holds and the rules that keep it: a new run never writes into a folder that
 * already holds something unless asked (`--overwrite`, HuggingFace's `overwrite_output_dir`), and
 * then removes only the files a run writes; a completed run is left as it is when resumed.
 *
 * @example
 * ```ts
 * import { checkRunFolder, clearRunFolder, completedRun } from "./run_folder.ts";
 *
 * await checkRunFolder("out/runs/demo", { overwrite: false }); // UsageError if it holds anything
 * await clearRunFolder("out/runs/demo"); // with overwrite: the old run's files go
 * const done = await completedRun("out/runs/demo"); // its summary, or null
 * ```
 * @module
 */
import { UsageError } from "../config/errors.ts";
import { readJsonFile } from "../util/files.ts";
import type { RunSummary } from "./summary.ts";

/** Files a run writes at its top level (folders are matched by {@linkcode isRunEntry}). */
const RUN_FILES = new Set([
  "config.json",
  "metrics.jsonl",
  "metrics.csv",
  "loss.svg",
  "summary.json",
  "summary.md",
  "trainer_state.json",
]);
const RUN_FOLDERS = /^(checkpoint|checkpoint\.tmp|checkpoint\.old|checkpoint-\d+(\.tmp)?|probe|probe-start)$/;

/** Whether `name`, an entry of a run folder, is one that a run writes. */
export function isRunEntry(name: string): boolean {
  return RUN_FILES.has(name) || RUN_FOLDERS.test(name) || /\.\d+\.\d+\.tmp$/.test(name);
}

/**
 * Checks that a new run may write into `out`: a folder that does not exist or is empty is fine; one
 * that holds anything needs `overwrite`.
 *
 * @throws {UsageError} naming the folder, what it holds and the three ways on
 */
export async function checkRunFolder(out: string, options: { overwrite: boolean }): Promise<void> {
  const entries = await folderEntries(out);
  if (entries === null || entries.length === 0 || options.overwrite) return;
  const shown = entries.slice(0, 3).join(", ") +
    (entries.length > 3 ? `, ... (${entries.length} in all)` : "");
  throw new UsageError(
    `--out ${out} already holds ${shown}; choose another --out, continue it with --resume ${out}, ` +
      `or replace it with --overwrite`,
  );
}

/**
 * Removes from `out` the entries a run writes, and nothing else, so that `--out .` with
 * `--overwrite` cannot take the user's own files with it. Called once the new run's inputs are
 * known good.
 */
export async function clearRunFolder(out: string): Promise<void> {
  for (const name of await folderEntries(out) ?? []) {
    if (isRunEntry(name)) await Deno.remove(`${out}/${name}`, { recursive: true });
  }
}

/**
 * The summary of the run in `out` when it completed (its `summary.json` says so), else null:
 * resuming it has nothing left to do and must leave its files as they are.
 *
 * @throws {Error} naming `summary.json` when it is there but not a run summary
 */
export async function completedRun(out: string): Promise<RunSummary | null> {
  const path = `${out}/summary.json`;
  const summary = await readJsonFile(path);
  if (summary === null) return null;
  if (typeof summary !== "object" || Array.isArray(summary) || !("status" in summary)) {
    throw new Error(`Cannot read ${path}: expected a run summary with a "status"`);
  }
  return (summary as RunSummary).status === "completed" ? summary as RunSummary : null;
}

/** The names in `dir`, sorted; null when there is no such folder. */
async function folderEntries(dir: string): Promise<string[] | null> {
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) names.push(entry.name);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    if (error instanceof Deno.errors.NotADirectory) {
      throw new UsageError(`--out ${dir} is a file, not a folder`);
    }
    throw new Error(`Cannot read --out ${dir}: ${(error as Error).message}`);
  }
  return names.sort();
}
