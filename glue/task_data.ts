/**
 * A task's files under a GLUE folder, found before anything runs (so a missing file fails at
 * once, with nothing written), then read, capped and tokenized into the {@linkcode TaskSets} the
 * fine-tuner takes.
 *
 * @example
 * ```ts
 * import { BertTokenizer } from "../data/tokenizer.ts";
 * import { findTaskFiles, loadTaskSets } from "./task_data.ts";
 *
 * const files = await findTaskFiles("data/glue", "RTE", { train: true });
 * const tok = await BertTokenizer.load();
 * const { sets, summary } = await loadTaskSets(tok, files, { maxLength: 128, maxTrainExamples: 500 });
 * console.log(summary); // "RTE: train 500 of 2490 (seeded sample, seed 0), dev 138, seq 128 ..."
 * ```
 * @module
 */
import { findGlueFile, type GlueFile, readGlueFile } from "./read.ts";
import { GLUE_TASKS, glueOutputSize, type GlueSplit, type GlueTaskName, isTestSplit } from "./tasks.ts";
import type { BertTokenizer } from "../data/tokenizer.ts";
import { type EncodedSet, encodeExamples, sequenceLength } from "./encode.ts";
import type { TaskSets } from "./finetune.ts";
import { seededSample } from "./sampling.ts";
import {
  type GlueDevSetName,
  glueDevSets,
  type GlueScoredTask,
  type GlueSubmissionName,
  glueTestSets,
} from "./sets.ts";

/** The seed of the `--max-train-examples` sample: one sample for every run, whatever its seed. */
export const SAMPLE_SEED = 0;

/** Where a task's files are. */
export interface TaskFiles {
  /** The task the files are for. */
  readonly task: GlueScoredTask;
  /** The training file, when training. */
  readonly train: string | null;
  /** The dev files (MNLI: matched and mismatched). */
  readonly dev: readonly { readonly set: GlueDevSetName; readonly split: GlueSplit; readonly path: string }[];
  /** The test files present (none is an error: test files are optional). */
  readonly test: readonly {
    readonly name: GlueSubmissionName;
    readonly task: GlueTaskName;
    readonly split: GlueSplit;
    readonly path: string;
  }[];
}

/**
 * Finds a task's training file (when `train`), its dev files and whichever test files exist.
 *
 * @throws {Error} one line naming the missing folder or file and the expected layout.
 */
export async function findTaskFiles(
  dir: string,
  task: GlueScoredTask,
  options: { train: boolean },
): Promise<TaskFiles> {
  const table = GLUE_TASKS[task];
  const train = options.train ? await findGlueFile(dir, table, "train") : null;
  const dev = [];
  for (const s of glueDevSets(task)) {
    dev.push({ set: s.name, split: s.split, path: await findGlueFile(dir, table, s.split) });
  }
  const test = [];
  for (const t of glueTestSets(task)) {
    try {
      test.push({
        name: t.name,
        task: t.task,
        split: t.split,
        path: await findGlueFile(dir, GLUE_TASKS[t.task], t.split),
      });
    } catch (error) {
      if (!/not found/.test((error as Error).message)) throw error;
    }
  }
  return { task, train, dev, test };
}

/**
 * Reads the start of each of a task's files, its header and first row, so that a file without its
 * header, an empty file or a bad first row fails before any task runs rather than after the tasks
 * before it; a bad row further down fails when the task's turn comes.
 *
 * @throws {Error} one line naming the file, the line and what was expected.
 */
export async function checkTaskFiles(files: TaskFiles): Promise<void> {
  const all = [
    ...(files.train === null
      ? []
      : [{ path: files.train, task: files.task, split: "train" as const, action: "fine-tune" }]),
    ...files.dev.map((d) => ({ path: d.path, task: files.task, split: d.split, action: "evaluate" })),
    ...files.test.map((t) => ({ path: t.path, task: t.task, split: t.split, action: "predict" })),
  ];
  for (const f of all) {
    const file = await readGlueFile(f.path, f.task, f.split, { maxRows: 1 });
    if (file.examples.length === 0) throw new Error(`Cannot ${f.action} ${f.task}: ${describeEmpty(file)}`);
  }
}

/** Caps and lengths of {@linkcode loadTaskSets}. */
export interface LoadTaskOptions {
  /** Longest encoding, special tokens included (`--max-length`). */
  maxLength: number;
  /** Train on a seeded sample of this many examples (`--max-train-examples`). */
  maxTrainExamples?: number;
  /** The fine-tuning seeds: with a cap, each seed trains on its own sample (default: one sample for all). */
  seeds?: readonly number[];
  /** Evaluate and predict only the first this many examples of each dev and test set. */
  maxEvalExamples?: number;
}

/**
 * Reads and tokenizes a task's files, applying the caps, and says what it did in one line
 * (`summary`: examples used of those available, the sequence length, truncations).
 */
export async function loadTaskSets(
  tok: BertTokenizer,
  files: TaskFiles,
  options: LoadTaskOptions,
): Promise<{ sets: TaskSets; summary: string }> {
  const task = files.task;
  // An empty file is an error for every split: a test file too, as the GLUE server would refuse
  // an empty submission.
  const readExamples = async (path: string, t: GlueTaskName, split: GlueSplit, action: string) => {
    const file = await readGlueFile(path, t, split);
    if (file.examples.length === 0) throw new Error(`Cannot ${action}: ${describeEmpty(file)}`);
    return file.examples;
  };
  const parts: string[] = [];
  let train: EncodedSet | null = null;
  let trainRows: Map<number, Int32Array> | undefined;
  if (files.train !== null) {
    const all = await readExamples(files.train, task, "train", `fine-tune ${task}`);
    const cap = options.maxTrainExamples;
    const seeds = options.seeds ?? [];
    // Sampled before tokenizing: a capped run does not pay for the whole file (SST-2: 67k rows).
    if (cap !== undefined && cap < all.length && seeds.length > 0) {
      // Each seed draws its own sample, so seeds measure the sample's variance too; the union is encoded once.
      const samples = seeds.map((seed) => seededSample(all.length, cap, seed));
      const union = [...new Set(samples.flatMap((rows) => [...rows]))].sort((a, b) => a - b);
      const at = new Map(union.map((row, i) => [row, i]));
      train = encodeExamples(tok, task, union.map((r) => all[r]!), options.maxLength);
      trainRows = new Map(seeds.map((seed, k) => [seed, Int32Array.from(samples[k]!, (r) => at.get(r)!)]));
      parts.push(`train ${cap} of ${all.length} (a seeded sample per seed)`);
    } else {
      const rows = cap !== undefined && cap < all.length ? seededSample(all.length, cap, SAMPLE_SEED) : null;
      train = encodeExamples(tok, task, rows ? Array.from(rows, (r) => all[r]!) : all, options.maxLength);
      parts.push(
        rows ? `train ${cap} of ${all.length} (seeded sample, seed ${SAMPLE_SEED})` : `train ${all.length}`,
      );
    }
  }
  const readCapped = async (
    path: string,
    t: GlueTaskName,
    split: GlueSplit,
    what: string,
    action: string,
  ) => {
    const examples = await readExamples(path, t, split, action);
    const k = options.maxEvalExamples;
    if (k === undefined || k >= examples.length) parts.push(`${what} ${examples.length}`);
    else parts.push(`${what} ${k} of ${examples.length} (first rows)`);
    return encodeExamples(tok, task, k === undefined ? examples : examples.slice(0, k), options.maxLength);
  };
  const dev = [];
  for (const d of files.dev) {
    const data = await readCapped(d.path, task, d.split, `${d.set} dev`, `evaluate ${task}`);
    dev.push({ set: d.set, data });
  }
  const test = [];
  for (const t of files.test) {
    test.push({
      name: t.name,
      data: await readCapped(t.path, t.task, t.split, `${t.name} test`, `predict ${t.task}`),
    });
  }
  if (files.test.length === 0) parts.push("no test files");

  const all = [...(train ? [train] : []), ...dev.map((d) => d.data), ...test.map((t) => t.data)];
  const seq = sequenceLength(all, options.maxLength);
  const longest = Math.max(...all.map((s) => s.longest));
  const truncated = all.reduce((c, s) => c + s.truncated, 0);
  parts.push(
    `sequences padded to ${seq} tokens (longest ${longest}${
      truncated > 0 ? `, ${truncated} examples cut to --max-length ${options.maxLength}` : ""
    })`,
  );
  return {
    sets: {
      task,
      numLabels: glueOutputSize(GLUE_TASKS[task]),
      seq,
      train,
      ...(trainRows ? { trainRows } : {}),
      dev,
      test,
    },
    summary: `${task}: ${parts.join(", ")}`,
  };
}

/** Why a file gave no example (empty, or only its header and blank or skipped lines), and what was expected. */
function describeEmpty(file: GlueFile): string {
  const task = GLUE_TASKS[file.task];
  const layout = isTestSplit(file.split) ? task.test : task.labeled;
  const expected = layout.header
    ? `the header ${JSON.stringify(task.columns[file.split]!.join("\t"))} then one row per example`
    : "one row per example";
  const { skipped, skippedLines } = file.counts;
  if (file.header === undefined && skipped === 0) return `"${file.path}" is empty, expected ${expected}`;
  const lines = skippedLines.slice(0, 5).join(", ") + (skipped > 5 ? ", ..." : "");
  const found = [
    ...(file.header === undefined ? [] : ["line 1 is the header"]),
    ...(skipped === 0 ? [] : [`line(s) ${lines} blank or malformed`]),
  ];
  return `"${file.path}" has no examples (${found.join("; ")}), expected ${expected}`;
}
