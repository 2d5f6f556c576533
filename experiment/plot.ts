/**
 * `experiment.svg`: the common measures only, one panel each, one point per arm (and the starting
 * model) with its 95% bootstrap interval: masked-LM loss on the held-out documents, on their
 * concept-dense part, the probe's P@10, and each GLUE task's dev accuracy with the majority-class
 * baseline as a dashed line. Every arm is measured on the same material, so the panels compare
 * arms; each arm's own validation loss is left out, as it is measured on its own text. A
 * vega-lite spec rendered to SVG by vega headless (renderer "none"), as `pretrain/loss_plot.ts` does.
 * @module
 */
import { renderVegaLite, type VegaLiteSpec } from "../util/vega.ts";
import { writeFileAtomic } from "../util/atomic_write.ts";
import { ARM_NAMES } from "./arms.ts";
import { type ExperimentResults, experimentTasks, type Interval, type MeasureSummary } from "./report.ts";

/** One point of a panel. */
export interface MeasurePoint {
  /** The panel. */
  measure: string;
  /** The arm, or `start`. */
  arm: string;
  /** The estimate. */
  value: number;
  /** Bottom of the interval. */
  low: number;
  /** Top of the interval. */
  high: number;
}

/** A baseline drawn across a panel. */
export interface BaselineRule {
  /** The panel. */
  measure: string;
  /** The baseline's value. */
  value: number;
}

/** The panels' points and baselines. */
export function plotData(results: ExperimentResults): { points: MeasurePoint[]; baselines: BaselineRule[] } {
  const points: MeasurePoint[] = [];
  const baselines: BaselineRule[] = [];
  const add = (measure: string, arm: string, i: Interval | null | undefined) => {
    if (i && Number.isFinite(i.value)) {
      points.push({ measure, arm, value: i.value, low: i.low, high: i.high });
    }
  };
  const common = (arm: string, m: MeasureSummary) => {
    add("held-out MLM loss", arm, m.heldout_loss);
    add("concept-dense held-out MLM loss", arm, m.dense_loss);
    add("probe P@10", arm, m.probe?.p_at_10);
  };
  if (results.start) common("start", results.start);
  for (const a of results.arms) {
    common(a.arm, a);
    for (const task of experimentTasks(results)) add(`${task} dev accuracy`, a.arm, a.glue[task]?.accuracy);
  }
  const unigram = results.start?.probe?.unigram_p_at_10 ??
    results.arms.find((a) => a.probe)?.probe?.unigram_p_at_10;
  if (unigram !== undefined) baselines.push({ measure: "probe P@10", value: unigram });
  for (const task of experimentTasks(results)) {
    const majority = results.arms.map((a) => a.glue[task]?.majority).find((m) =>
      m !== null && m !== undefined
    );
    if (majority !== undefined && majority !== null) {
      baselines.push({ measure: `${task} dev accuracy`, value: majority });
    }
  }
  return { points, baselines };
}

/**
 * The vega-lite spec of `experiment.svg`.
 *
 * @example
 * ```ts
 * import { experimentPlotSpec } from "./plot.ts";
 * declare const results: import("./report.ts").ExperimentResults;
 * const spec = experimentPlotSpec(results);
 * ```
 */
export function experimentPlotSpec(results: ExperimentResults): VegaLiteSpec {
  const { points, baselines } = plotData(results);
  const measures = [...new Set(points.map((p) => p.measure))];
  const domain = ["start", ...ARM_NAMES];
  const seeds = results.seeds.pretrain.length;
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v5.json",
    title: {
      text: "Concentrated learning at equal FLOPs: common measures",
      subtitle:
        `mean over ${seeds} pre-training seed(s), 95% bootstrap intervals; dashed: corpus-frequency ` +
        "baseline (probe) and majority class (GLUE)",
    },
    background: "white",
    hconcat: measures.map((measure) => ({
      title: measure,
      width: 200,
      height: 240,
      layer: [
        {
          data: { values: points.filter((p) => p.measure === measure) },
          mark: { type: "rule", strokeWidth: 2 },
          encoding: {
            x: { field: "arm", type: "nominal", scale: { domain }, sort: domain, title: null },
            y: { field: "low", type: "quantitative", scale: { zero: false }, title: measure },
            y2: { field: "high" },
            color: { field: "arm", type: "nominal", scale: { domain }, legend: null },
          },
        },
        {
          data: { values: points.filter((p) => p.measure === measure) },
          mark: { type: "point", filled: true, size: 70 },
          encoding: {
            x: { field: "arm", type: "nominal", scale: { domain }, sort: domain },
            y: { field: "value", type: "quantitative" },
            color: { field: "arm", type: "nominal", scale: { domain }, legend: null },
          },
        },
        {
          data: { values: baselines.filter((b) => b.measure === measure) },
          mark: { type: "rule", strokeDash: [4, 3], color: "grey" },
          encoding: { y: { field: "value", type: "quantitative" } },
        },
      ],
    })),
  };
}

/**
 * Renders and writes `path` (temporary name, then rename).
 *
 * @throws {Error} naming the file when it cannot be rendered or written
 */
export async function writeExperimentPlot(path: string, results: ExperimentResults): Promise<void> {
  let svg: string;
  try {
    svg = await renderVegaLite(experimentPlotSpec(results));
  } catch (error) {
    throw new Error(`Cannot render ${path}: ${(error as Error).message}`);
  }
  await writeFileAtomic(path, svg);
}
