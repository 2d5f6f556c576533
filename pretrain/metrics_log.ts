/**
 * The run's `metrics.jsonl`: one JSON object per logged training step or evaluation, appended and
 * handed to the OS as soon as it is logged, so a crash or Ctrl-C loses nothing already logged.
 * Resuming from a checkpoint drops the records logged after it (they will be logged again).
 * @module
 */
import { writeFileAtomic } from "../util/atomic_write.ts";

/** One logged optimizer step. Counters (`tokens`, FLOPs) are cumulative over the run. */
export interface StepRecord {
  /** Marks a training record. */
  kind: "train";
  /** The optimizer step just done, 1-based. */
  step: number;
  /** Masked-LM loss of this step's batch. */
  loss: number;
  /** Masked-LM accuracy of this step's batch, when measured. */
  accuracy?: number;
  /** The learning rate this step used. */
  lr: number;
  /** Tokens seen so far (sequences x sequence length). */
  tokens: number;
  /** FLOPs so far, 6 x parameters x tokens. */
  flops_6nd: number;
  /** FLOPs so far, ELECTRA-style (METHOD.md §5). */
  flops_electra: number;
  /** Training throughput of this session so far, tokens per second of wall time. */
  tokens_per_s: number;
  /** Seconds since this session of the run started (a resume starts from 0). */
  elapsed_s: number;
  /** Mixed precision: the loss scale of this step (HF logs GradScaler's scale the same way). */
  loss_scale?: number;
  /** Mixed precision: steps of this session skipped so far because their gradients overflowed. */
  skipped_steps?: number;
}

/** One evaluation on the held-out split, after optimizer step `step`. */
export interface EvalRecord {
  /** Marks an evaluation record. */
  kind: "eval";
  /** Optimizer steps done before the evaluation (0: before training). */
  step: number;
  /** Masked-LM loss over the held-out split. */
  val_loss: number;
  /** Masked-LM accuracy over the held-out split, in [0, 1]. */
  val_accuracy: number;
  /** Tokens seen so far (sequences x sequence length). */
  tokens: number;
  /** FLOPs so far, 6 x parameters x tokens. */
  flops_6nd: number;
  /** FLOPs so far, ELECTRA-style (METHOD.md §5). */
  flops_electra: number;
  /** Seconds since this session of the run started (a resume starts from 0). */
  elapsed_s: number;
}

/** A line of `metrics.jsonl`. */
export type MetricRecord = StepRecord | EvalRecord;

/** The file name inside the run directory. */
export const METRICS_FILE = "metrics.jsonl";

const encoder = new TextEncoder();

/**
 * An open `metrics.jsonl`: the records so far in memory, new ones appended one line each.
 *
 * @example
 * ```ts
 * import { MetricsLog } from "./metrics_log.ts";
 *
 * const log = await MetricsLog.open("runs/demo");
 * await log.append({
 *   kind: "train", step: 1, loss: 10.4, lr: 1e-4, tokens: 4096,
 *   flops_6nd: 1.1e12, flops_electra: 1.2e12, tokens_per_s: 2000, elapsed_s: 2.1,
 * });
 * log.close();
 * ```
 */
export class MetricsLog {
  /** The file's path. */
  readonly path: string;
  readonly #records: MetricRecord[];
  #file: Deno.FsFile | null;

  private constructor(path: string, records: MetricRecord[], file: Deno.FsFile) {
    this.path = path;
    this.#records = records;
    this.#file = file;
  }

  /**
   * Opens `<dir>/metrics.jsonl` (creating `dir` and the file) for appending, after reading the
   * records already there. With `resumeAtStep`, records with a larger step (logged after the
   * checkpoint the run resumes from) are dropped and the file is rewritten atomically first.
   *
   * @throws {Error} naming the file and line when a line is not a metrics record
   */
  static async open(
    dir: string,
    options: { resumeAtStep?: number; warn?: (line: string) => void } = {},
  ): Promise<MetricsLog> {
    const { resumeAtStep } = options;
    if (resumeAtStep !== undefined && !(Number.isInteger(resumeAtStep) && resumeAtStep >= 0)) {
      throw new RangeError(`MetricsLog.open: resumeAtStep must be an integer >= 0, got ${resumeAtStep}`);
    }
    await Deno.mkdir(dir, { recursive: true });
    const path = `${dir.replace(/\/+$/, "")}/${METRICS_FILE}`;
    const read = await readMetricsFile(path);
    let records = read.records;
    // A last record without its newline is rewritten too, or the next append would join its line.
    let changed = read.torn !== null || !read.terminated;
    if (read.torn !== null) {
      options.warn?.(
        `pretrain: warning: dropped the unfinished last line of ${path} (${
          JSON.stringify(read.torn.slice(0, 40))
        }...), left by a crash mid-write`,
      );
    }
    if (resumeAtStep !== undefined) {
      const kept = records.filter((r) => r.step <= resumeAtStep);
      changed ||= kept.length !== records.length;
      records = kept;
    }
    if (changed) await rewrite(path, records);
    const file = await Deno.open(path, { append: true, create: true });
    return new MetricsLog(path, records, file);
  }

  /**
   * Appends one record as one line, written to the file before the promise resolves. Steps never
   * go back: a record's step is at least the last one's, and a training step is past the last one.
   *
   * @throws {RangeError} when the record is not a metrics record or its step goes back
   */
  append(record: MetricRecord): Promise<void> {
    try {
      if (this.#file === null) throw new Error(`Cannot append to ${this.path}: the log is closed`);
      checkRecord(record, `MetricsLog.append: expected`, RangeError);
      this.#checkOrder(record);
      // One synchronous write per line: concurrent appends cannot interleave, and nothing sits in
      // a user-space buffer when the process dies.
      writeAllSync(this.#file, encoder.encode(`${JSON.stringify(record)}\n`));
      this.#records.push(record);
      return Promise.resolve();
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Every record: those read at open (after resume truncation) and those appended since. */
  records(): readonly MetricRecord[] {
    return this.#records;
  }

  /** Closes the file; further appends fail. Safe to call twice. */
  close(): void {
    this.#file?.close();
    this.#file = null;
  }

  #checkOrder(record: MetricRecord): void {
    const last = this.#records.at(-1);
    if (last !== undefined && record.step < last.step) {
      throw new RangeError(
        `MetricsLog.append: step ${record.step} goes back (the last record is at step ${last.step})`,
      );
    }
    if (record.kind === "train") {
      const lastTrain = this.#records.findLast((r) => r.kind === "train");
      if (lastTrain !== undefined && record.step <= lastTrain.step) {
        throw new RangeError(
          `MetricsLog.append: training step ${record.step} was already logged (the last is ${lastTrain.step})`,
        );
      }
    }
  }
}

/**
 * Reads a `metrics.jsonl`; a missing file is empty.
 *
 * @throws {Error} naming the file and line when a line is not a metrics record
 */
export async function readMetrics(path: string): Promise<MetricRecord[]> {
  const { records, torn } = await readMetricsFile(path);
  if (torn !== null) {
    throw new Error(
      `Cannot read ${path}: its last line is unfinished (${JSON.stringify(torn.slice(0, 40))}...)`,
    );
  }
  return records;
}

/**
 * Reads a `metrics.jsonl`, telling apart an unfinished last line (no newline after it and not a
 * record: what a crash in the middle of an append leaves), which comes back as `torn`;
 * `terminated` says whether the file ends with a newline (or is empty).
 *
 * @throws {Error} naming the file and line when any other line is not a metrics record
 */
export async function readMetricsFile(
  path: string,
): Promise<{ records: MetricRecord[]; torn: string | null; terminated: boolean }> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return { records: [], torn: null, terminated: true };
    throw new Error(`Cannot read ${path}: ${(error as Error).message}`);
  }
  const records: MetricRecord[] = [];
  const lines = text.split("\n");
  const terminated = text === "" || text.endsWith("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === "") continue;
    const where = `Cannot read ${path} line ${i + 1}: expected`;
    const unfinished = i === lines.length - 1;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      if (unfinished) return { records, torn: line, terminated };
      throw new Error(`${where} a JSON object, got ${JSON.stringify(line.slice(0, 60))}`);
    }
    try {
      checkRecord(value, where, Error);
    } catch (error) {
      if (unfinished) return { records, torn: line, terminated };
      throw error;
    }
    records.push(value);
  }
  return { records, torn: null, terminated };
}

function checkRecord(
  value: unknown,
  where: string,
  ErrorType: ErrorConstructor | RangeErrorConstructor,
): asserts value is MetricRecord {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ErrorType(`${where} a JSON object, got ${JSON.stringify(value)}`);
  }
  const { kind, step } = value as { kind?: unknown; step?: unknown };
  if (kind !== "train" && kind !== "eval") {
    throw new ErrorType(`${where} kind "train" or "eval", got ${JSON.stringify(kind)}`);
  }
  if (typeof step !== "number" || !Number.isInteger(step) || step < 0) {
    throw new ErrorType(`${where} an integer step >= 0, got ${JSON.stringify(step)}`);
  }
}

async function rewrite(path: string, records: readonly MetricRecord[]): Promise<void> {
  try {
    await writeFileAtomic(path, records.map((r) => `${JSON.stringify(r)}\n`).join(""));
  } catch (error) {
    throw new Error(`Cannot rewrite ${path} for resuming: ${(error as Error).message}`);
  }
}

function writeAllSync(file: Deno.FsFile, bytes: Uint8Array): void {
  for (let off = 0; off < bytes.length;) off += file.writeSync(bytes.subarray(off));
}
