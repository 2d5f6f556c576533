/**
 * `loss.svg`: training and validation masked-LM loss against FLOPs, as a vega-lite spec rendered
 * to SVG by vega without a browser or canvas (renderer "none"; text widths are estimated), so it
 * works offline and headless.
 * @module
 */
import { renderVegaLite, type VegaLiteSpec } from "../util/vega.ts";
import { writeFileAtomic } from "../util/atomic_write.ts";
import type { EvalRecord, MetricRecord, StepRecord } from "./metrics_log.ts";

/** How the plot is drawn. */
export interface LossPlotOptions {
  /** The title (default "Masked-LM loss"). */
  title?: string;
  /** Which FLOPs convention is the x axis (default "electra"). */
  flops?: "6nd" | "electra";
  /**
   * The x scale. Default "linear": a run's evaluations are evenly spaced in steps, so they stay
   * evenly spaced, and the evaluation before training (0 FLOPs) is drawn. "log" spreads the first
   * steps out (useful to compare runs of very different budgets); points at 0 FLOPs cannot sit on
   * it and are left out.
   */
  scale?: "log" | "linear";
  /** Most training points drawn; longer runs are averaged over buckets of steps (default 1000). */
  maxTrainPoints?: number;
}

/** One point of the plot's data. */
export interface LossPoint {
  /** Which curve the point is on. */
  series: "training" | "validation";
  /** The optimizer step (a bucket's last step for averaged points). */
  step: number;
  /** Cumulative FLOPs in the plot's convention, the x axis (a bucket's mean for averaged points). */
  flops: number;
  /** Masked-LM loss (a bucket's mean for averaged points). */
  loss: number;
}

const SERIES = ["training", "validation"] as const;

const FLOPS_NAMES = { "6nd": "6ND", electra: "ELECTRA-style" } as const;

/**
 * The points drawn: training loss (bucket means when there are more than `maxTrainPoints`) and
 * validation loss, against the chosen FLOPs; non-finite values, and points at <= 0 FLOPs on a log
 * scale, are left out.
 */
export function lossPoints(records: readonly MetricRecord[], options: LossPlotOptions = {}): LossPoint[] {
  return plotData(records, options).points;
}

function plotData(
  records: readonly MetricRecord[],
  options: LossPlotOptions,
): { points: LossPoint[]; bucket: number } {
  const maxPoints = options.maxTrainPoints ?? 1000;
  if (!(Number.isInteger(maxPoints) && maxPoints >= 1)) {
    throw new RangeError(`lossPlotSpec: maxTrainPoints must be an integer >= 1, got ${maxPoints}`);
  }
  const key = options.flops === "6nd" ? "flops_6nd" : "flops_electra";
  const log = options.scale === "log";
  const drawable = (flops: number, loss: number) =>
    Number.isFinite(flops) && Number.isFinite(loss) && (!log || flops > 0);
  const train = records.filter((r): r is StepRecord => r.kind === "train" && drawable(r[key], r.loss));
  const evals = records.filter((r): r is EvalRecord => r.kind === "eval" && drawable(r[key], r.val_loss));
  const bucket = Math.max(1, Math.ceil(train.length / maxPoints));
  const points: LossPoint[] = [];
  for (let i = 0; i < train.length; i += bucket) {
    const group = train.slice(i, i + bucket);
    points.push({
      series: "training",
      step: group.at(-1)!.step,
      flops: mean(group.map((r) => r[key])),
      loss: mean(group.map((r) => r.loss)),
    });
  }
  for (const r of evals) points.push({ series: "validation", step: r.step, flops: r[key], loss: r.val_loss });
  return { points, bucket };
}

/**
 * The vega-lite spec of the plot: training loss as a line, validation loss as points joined by a
 * line, one colour each, x = FLOPs in the named convention.
 *
 * @example
 * ```ts
 * import { lossPlotSpec } from "./loss_plot.ts";
 * const spec = lossPlotSpec([], { title: "tiny run", flops: "6nd" });
 * ```
 */
export function lossPlotSpec(records: readonly MetricRecord[], options: LossPlotOptions = {}): VegaLiteSpec {
  const scale = options.scale ?? "linear";
  const { points, bucket } = plotData(records, options);
  const axisTitle = `FLOPs, ${FLOPS_NAMES[options.flops ?? "electra"]} convention (${scale} scale)`;
  const text = options.title ?? "Masked-LM loss";
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v5.json",
    // Bucketing is said on the plot: a mean over steps is smoother than any single step was.
    title: bucket > 1
      ? { text, subtitle: `training loss averaged over every ${bucket} logged steps` }
      : { text },
    width: 640,
    height: 360,
    background: "white",
    data: { values: points },
    encoding: {
      x: {
        field: "flops",
        type: "quantitative",
        title: axisTitle,
        scale: { type: scale, nice: false },
        // The paper's notation (9.6e15); a bare 0 rather than "0e+0".
        axis: { labelExpr: "datum.value === 0 ? '0' : format(datum.value, '~e')" },
      },
      y: { field: "loss", type: "quantitative", title: "masked-LM loss", scale: { zero: false } },
      color: {
        field: "series",
        type: "nominal",
        scale: { domain: [...SERIES], range: ["#4c78a8", "#e45756"] },
        legend: { title: null },
      },
    },
    layer: [
      {
        transform: [{ filter: { field: "series", equal: "training" } }],
        mark: { type: "line", strokeWidth: 1.5 },
      },
      {
        transform: [{ filter: { field: "series", equal: "validation" } }],
        mark: { type: "line", point: { size: 40 }, strokeWidth: 2 },
      },
    ],
  };
}

/**
 * Renders the plot to SVG text.
 *
 * @throws {Error} when vega cannot compile or render the spec
 */
export async function renderLossPlot(
  records: readonly MetricRecord[],
  options: LossPlotOptions = {},
): Promise<string> {
  return await renderVegaLite(lossPlotSpec(records, options));
}

/**
 * Writes the plot as SVG to `path` (temporary name, then rename).
 *
 * @example
 * ```ts
 * import { MetricsLog } from "./metrics_log.ts";
 * import { writeLossPlot } from "./loss_plot.ts";
 *
 * const log = await MetricsLog.open("runs/demo");
 * await writeLossPlot("runs/demo/loss.svg", log.records(), { title: "demo" });
 * ```
 * @throws {Error} naming the file when it cannot be rendered or written
 */
export async function writeLossPlot(
  path: string,
  records: readonly MetricRecord[],
  options: LossPlotOptions = {},
): Promise<void> {
  let svg: string;
  try {
    svg = await renderLossPlot(records, options);
  } catch (error) {
    throw new Error(`Cannot render ${path}: ${(error as Error).message}`);
  }
  await writeFileAtomic(path, svg);
}

function mean(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}
