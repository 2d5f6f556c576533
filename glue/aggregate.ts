/**
 * The three GLUE aggregates of METHOD.md §6, each a mean of columns, each column the mean of some
 * dev-set metrics x100:
 *
 * - `glue`: GLUE leaderboard style (Wang et al. 2019): the 9 task scores, a task with two metrics
 *   scoring their mean and MNLI the mean of matched and mismatched accuracy.
 * - `bert`: BERT-paper style (Devlin et al. 2019, Table 1 "Average"): WNLI excluded; F1 for MRPC
 *   and QQP, Spearman for STS-B, accuracy otherwise; MNLI-m and MNLI-mm are two columns (9 columns
 *   over 8 tasks). This reproduces the table's averages from its own per-task numbers.
 * - `electra`: the 8-task dev-set average of ELECTRA (Clark et al. 2020), whose columns CCM (Lee et
 *   al. 2022) reports: WNLI excluded; CoLA MCC, STS-B Spearman, accuracy for the other six
 *   (MRPC and QQP included); MNLI is the matched dev set only, as ELECTRA's `run_finetuning.py`
 *   evaluates `dev_matched`.
 *
 * With fewer tasks run, an aggregate is the mean over the columns present and is marked partial,
 * listing the missing columns.
 *
 * @example
 * ```ts
 * import { computeAggregate, formatAggregate, GLUE_AGGREGATES } from "./aggregate.ts";
 *
 * const a = computeAggregate(GLUE_AGGREGATES.glue, { RTE: { accuracy: 0.664 }, CoLA: { matthews: 0.521 } });
 * console.log(formatAggregate(a)); // "GLUE score (leaderboard style): 59.3 (partial: 2 of 9 tasks; missing SST-2, ...)"
 * ```
 * @module
 */
import type { GlueMetric } from "./tasks.ts";
import { type DevMetrics, GLUE_METRIC_LABELS } from "./metrics.ts";
import type { GlueDevSetName, GlueScoredTask } from "./sets.ts";

/** The aggregates' keys. */
export type GlueAggregateName = "glue" | "bert" | "electra";

/** One metric of one dev set. */
export interface AggregatePart {
  /** The dev set. */
  readonly set: GlueDevSetName;
  /** Its metric. */
  readonly metric: GlueMetric;
}

/** One column of an aggregate: the mean of its parts, x100; missing unless every part is present. */
export interface AggregateColumn {
  /** The column's name in tables and in the list of missing columns (`MNLI`, `MNLI-m`, ...). */
  readonly name: string;
  /** The task the column belongs to. */
  readonly task: GlueScoredTask;
  /** The metrics averaged. */
  readonly parts: readonly AggregatePart[];
}

/** How an aggregate is computed. */
export interface AggregateDefinition {
  /** Its key. */
  readonly name: GlueAggregateName;
  /** Its title, as printed. */
  readonly title: string;
  /** Whether its columns are tasks (`"tasks"`) or can split a task (`"columns"`). */
  readonly unit: "tasks" | "columns";
  /** The columns whose mean it is. */
  readonly columns: readonly AggregateColumn[];
  /** Where the definition comes from and what it leaves out. */
  readonly source: string;
}

/** An aggregate's value over the columns present. */
export interface GlueAggregate {
  /** The definition's key. */
  readonly name: GlueAggregateName;
  /** The definition's title. */
  readonly title: string;
  /** The full definition, for printing next to the value (see {@linkcode describeAggregate}). */
  readonly definition: string;
  /** The mean of the present columns x100; `null` when none is present. */
  readonly value: number | null;
  /** Whether some columns are missing. */
  readonly partial: boolean;
  /** Columns present. */
  readonly present: number;
  /** Columns in the definition. */
  readonly total: number;
  /** Names of the missing columns, in definition order. */
  readonly missing: readonly string[];
  /** Every column's value x100, `null` when missing. */
  readonly columns: readonly { readonly name: string; readonly value: number | null }[];
}

const part = (set: GlueDevSetName, metric: GlueMetric): AggregatePart => ({ set, metric });
const column = (name: string, task: GlueScoredTask, ...parts: AggregatePart[]): AggregateColumn => ({
  name,
  task,
  parts,
});
const single = (task: GlueScoredTask & GlueDevSetName, metric: GlueMetric) =>
  column(task, task, part(task, metric));

/** The three aggregates, keyed by name. */
export const GLUE_AGGREGATES: Readonly<Record<GlueAggregateName, AggregateDefinition>> = {
  glue: {
    name: "glue",
    title: "GLUE score (leaderboard style)",
    unit: "tasks",
    columns: [
      single("CoLA", "matthews"),
      single("SST-2", "accuracy"),
      column("MRPC", "MRPC", part("MRPC", "f1"), part("MRPC", "accuracy")),
      column("STS-B", "STS-B", part("STS-B", "pearson"), part("STS-B", "spearman")),
      column("QQP", "QQP", part("QQP", "f1"), part("QQP", "accuracy")),
      column("MNLI", "MNLI", part("MNLI-m", "accuracy"), part("MNLI-mm", "accuracy")),
      single("QNLI", "accuracy"),
      single("RTE", "accuracy"),
      single("WNLI", "accuracy"),
    ],
    source: "Wang et al. 2019 (GLUE leaderboard), a task with several metrics scoring their unweighted " +
      "mean; all 9 tasks, AX not scored",
  },
  bert: {
    name: "bert",
    title: "GLUE score (BERT-paper style)",
    unit: "columns",
    columns: [
      column("MNLI-m", "MNLI", part("MNLI-m", "accuracy")),
      column("MNLI-mm", "MNLI", part("MNLI-mm", "accuracy")),
      single("QQP", "f1"),
      single("QNLI", "accuracy"),
      single("SST-2", "accuracy"),
      single("CoLA", "matthews"),
      single("STS-B", "spearman"),
      single("MRPC", "f1"),
      single("RTE", "accuracy"),
    ],
    source: "Devlin et al. 2019 (BERT), Table 1 'Average', WNLI excluded, one metric per task " +
      "(F1 for QQP and MRPC, Spearman for STS-B, accuracy otherwise), MNLI-m and MNLI-mm as two columns",
  },
  electra: {
    name: "electra",
    title: "GLUE dev average (ELECTRA/CCM style)",
    unit: "tasks",
    columns: [
      single("CoLA", "matthews"),
      single("SST-2", "accuracy"),
      single("MRPC", "accuracy"),
      single("STS-B", "spearman"),
      single("QQP", "accuracy"),
      column("MNLI-m", "MNLI", part("MNLI-m", "accuracy")),
      single("QNLI", "accuracy"),
      single("RTE", "accuracy"),
    ],
    source: "Clark et al. 2020 (ELECTRA) dev-set GLUE score, whose 8 columns CCM (Lee et al. 2022) " +
      "reports; WNLI excluded, MCC for CoLA, Spearman for STS-B, accuracy for the other tasks including " +
      "MRPC and QQP, MNLI matched only",
  },
};

/** The aggregates in print order. */
export const GLUE_AGGREGATE_NAMES: readonly GlueAggregateName[] = ["glue", "bert", "electra"];

/**
 * An aggregate's definition as one line: the formula of each column, then the source.
 *
 * @example
 * ```ts
 * import { describeAggregate, GLUE_AGGREGATES } from "./aggregate.ts";
 * console.log(describeAggregate(GLUE_AGGREGATES.electra));
 * // "mean over 8 tasks of CoLA MCC, SST-2 acc, MRPC acc, ...; x100. Source: Clark et al. 2020 ..."
 * ```
 */
export function describeAggregate(definition: AggregateDefinition): string {
  const tasks = new Set(definition.columns.map((c) => c.task)).size;
  const over = definition.unit === "tasks"
    ? `${definition.columns.length} tasks`
    : `${definition.columns.length} columns (${tasks} tasks)`;
  const formulas = definition.columns.map(describeColumn).join(", ");
  return `mean over ${over} of ${formulas}; x100. Source: ${definition.source}`;
}

/**
 * Computes an aggregate from dev-set metrics (fractions), over the columns present.
 *
 * @example
 * ```ts
 * import { computeAggregate, GLUE_AGGREGATES } from "./aggregate.ts";
 * const a = computeAggregate(GLUE_AGGREGATES.bert, { "MNLI-m": { accuracy: 0.84 } });
 * console.log(a.value, a.partial, a.missing.length); // 84 true 8
 * ```
 */
export function computeAggregate(definition: AggregateDefinition, metrics: DevMetrics): GlueAggregate {
  const columns = definition.columns.map((c) => ({ name: c.name, value: columnValue(c, metrics) }));
  const values = columns.map((c) => c.value).filter((v): v is number => v !== null);
  const missing = columns.filter((c) => c.value === null).map((c) => c.name);
  return {
    name: definition.name,
    title: definition.title,
    definition: describeAggregate(definition),
    value: values.length === 0 ? null : values.reduce((a, b) => a + b, 0) / values.length,
    partial: missing.length > 0,
    present: values.length,
    total: columns.length,
    missing,
    columns,
  };
}

/**
 * The three aggregates, in print order.
 *
 * @example
 * ```ts
 * import { glueAggregates } from "./aggregate.ts";
 * console.log(glueAggregates({ RTE: { accuracy: 0.7 } }).map((a) => a.value)); // [70, 70, 70]
 * ```
 */
export function glueAggregates(metrics: DevMetrics): GlueAggregate[] {
  return GLUE_AGGREGATE_NAMES.map((n) => computeAggregate(GLUE_AGGREGATES[n], metrics));
}

/**
 * One line: the title, the value (1 decimal) and, when partial, how many columns are present and
 * which are missing.
 *
 * @example
 * ```ts
 * import { formatAggregate, glueAggregates } from "./aggregate.ts";
 * console.log(formatAggregate(glueAggregates({})[0]!)); // "GLUE score (leaderboard style): n/a (no tasks run)"
 * ```
 */
export function formatAggregate(aggregate: GlueAggregate): string {
  return `${aggregate.title}: ${formatAggregateValue(aggregate)}`;
}

/** The value with its partial note: `80.5`, `59.3 (partial: 2 of 9 tasks; missing ...)`. */
export function formatAggregateValue(aggregate: GlueAggregate): string {
  const unit = GLUE_AGGREGATES[aggregate.name].unit;
  if (aggregate.value === null) return `n/a (no ${unit} run)`;
  const value = aggregate.value.toFixed(1);
  if (!aggregate.partial) return value;
  return `${value} (partial: ${aggregate.present} of ${aggregate.total} ${unit}; missing ${
    aggregate.missing.join(", ")
  })`;
}

/**
 * The aggregates as printed by the CLI: per aggregate, its value line and its definition indented
 * below it.
 */
export function formatAggregates(aggregates: readonly GlueAggregate[]): string {
  return aggregates.map((a) => `${formatAggregate(a)}\n  = ${a.definition}`).join("\n");
}

function columnValue(c: AggregateColumn, metrics: DevMetrics): number | null {
  let sum = 0;
  for (const p of c.parts) {
    const v = metrics[p.set]?.[p.metric];
    if (v === undefined) return null;
    sum += v;
  }
  return (100 * sum) / c.parts.length;
}

/** `CoLA MCC`, `MRPC mean(F1, acc)`, `MNLI mean(MNLI-m acc, MNLI-mm acc)`. */
function describeColumn(c: AggregateColumn): string {
  const sameSet = c.parts.every((p) => p.set === c.name);
  const terms = c.parts.map((p) =>
    sameSet ? GLUE_METRIC_LABELS[p.metric] : `${p.set} ${GLUE_METRIC_LABELS[p.metric]}`
  );
  if (terms.length === 1) return sameSet ? `${c.name} ${terms[0]}` : terms[0]!;
  return `${c.name} mean(${terms.join(", ")})`;
}
