/**
 * `metrics.csv`: the records of `metrics.jsonl` as one table for spreadsheets and pandas, written
 * with fast-csv. Training and evaluation rows share the table; a cell a row lacks is empty.
 * @module
 */
import { writeToString } from "fast-csv";
import { writeFileAtomic } from "../util/atomic_write.ts";
import type { MetricRecord } from "./metrics_log.ts";

/** The column order; keys outside it (fields added later) follow in the order first seen. */
export const METRICS_COLUMNS = [
  "kind",
  "step",
  "loss",
  "accuracy",
  "lr",
  "tokens",
  "flops_6nd",
  "flops_electra",
  "tokens_per_s",
  "elapsed_s",
  "val_loss",
  "val_accuracy",
] as const;

/**
 * The header: the keys present in any record, in {@linkcode METRICS_COLUMNS} order, then unknown
 * keys in first-seen order. With no records, every known column.
 */
export function metricsHeader(records: readonly MetricRecord[]): string[] {
  if (records.length === 0) return [...METRICS_COLUMNS];
  const present = new Set<string>();
  for (const record of records) for (const key of Object.keys(record)) present.add(key);
  const known: readonly string[] = METRICS_COLUMNS;
  return [...known.filter((c) => present.has(c)), ...[...present].filter((c) => !known.includes(c))];
}

/**
 * The CSV text: header line, then one row per record. Numbers are written in full (JavaScript's
 * shortest round-trip form); a missing value, or a non-finite one (JSON's `null`), is an empty cell.
 *
 * @example
 * ```ts
 * import { formatMetricsCsv } from "./metrics_csv.ts";
 * await formatMetricsCsv([{ kind: "eval", step: 0, val_loss: 10.5, val_accuracy: 0, tokens: 0,
 *   flops_6nd: 0, flops_electra: 0, elapsed_s: 0.4 }]);
 * // "kind,step,tokens,flops_6nd,flops_electra,elapsed_s,val_loss,val_accuracy\neval,0,0,0,0,0.4,10.5,0\n"
 * ```
 */
export async function formatMetricsCsv(records: readonly MetricRecord[]): Promise<string> {
  const header = metricsHeader(records);
  const rows = records.map((record) => {
    const cells = record as unknown as Record<string, unknown>;
    return header.map((column) => cell(cells[column]));
  });
  const text = await writeToString([header, ...rows], { headers: false, includeEndRowDelimiter: true });
  return text;
}

/**
 * Writes `records` to `path` as CSV (temporary name, then rename).
 *
 * @example
 * ```ts
 * import { MetricsLog } from "./metrics_log.ts";
 * import { writeMetricsCsv } from "./metrics_csv.ts";
 *
 * const log = await MetricsLog.open("runs/demo");
 * await writeMetricsCsv("runs/demo/metrics.csv", log.records());
 * ```
 * @throws {Error} naming the file when it cannot be written
 */
export async function writeMetricsCsv(path: string, records: readonly MetricRecord[]): Promise<void> {
  await writeFileAtomic(path, await formatMetricsCsv(records));
}

function cell(value: unknown): string {
  if (value === undefined || value === null) return "";
  if (typeof value === "number") return Number.isFinite(value) ? String(value) : "";
  return String(value);
}
