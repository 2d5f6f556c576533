/**
 * `experiment.svg`: two panels side by side, one colour per arm: the GLUE score (mean +- std over
 * seeds) against pre-training FLOPs, and the validation masked-LM loss against FLOPs. A vega-lite
 * spec rendered to SVG by vega headless (renderer "none"), as `pretrain/loss_plot.ts` does.
 * @module
 */
import { renderVegaLite, type VegaLiteSpec } from "../util/vega.ts";
import { writeFileAtomic } from "../util/atomic_write.ts";
import { ARM_NAMES } from "./arms.ts";
import { type ExperimentResults, experimentTasks } from "./report.ts";

/** A point of the GLUE panel. */
export interface GluePoint {
  /** The arm, one colour each. */
  arm: string;
  /** FLOPs of the arm's pre-training. */
  flops: number;
  /** Where the point is drawn: `flops` spread a little when arms share it. */
  x: number;
  /** The arm's GLUE score, mean over seeds (x100). */
  score: number;
  /** Bottom of the error bar: `score` minus its sample std. */
  low: number;
  /** Top of the error bar: `score` plus its sample std. */
  high: number;
}

/** A point of the loss panel. */
export interface ArmLossPoint {
  /** The arm, one colour each. */
  arm: string;
  /** Cumulative pre-training FLOPs at the evaluation (> 0: the log axis has no 0). */
  flops: number;
  /** Held-out masked-LM loss. */
  loss: number;
}

// Equal-FLOPs arms would sit on one another: each is drawn this factor apart on the log axis.
const SPREAD = 1.05;

/** The two panels' data, in the FLOPs convention of the pre-training config. */
export function plotData(results: ExperimentResults): { glue: GluePoint[]; loss: ArmLossPoint[] } {
  const six = results.config.pretrain.flops_convention === "6nd";
  const glue: GluePoint[] = [];
  const loss: ArmLossPoint[] = [];
  const centre = (ARM_NAMES.length - 1) / 2;
  for (const a of results.arms) {
    const flops = six ? a.flops_6nd : a.flops_electra;
    const g = a.glue;
    if (flops !== null && flops > 0 && g && g.score !== null) {
      const i = ARM_NAMES.indexOf(a.arm);
      glue.push({
        arm: a.arm,
        flops,
        x: flops * SPREAD ** (i - centre),
        score: g.score,
        low: g.score - g.score_std,
        high: g.score + g.score_std,
      });
    }
    for (const p of a.curve) {
      const f = six ? p.flops_6nd : p.flops_electra;
      // A log axis has no 0: the evaluation before training is left out.
      if (f > 0 && Number.isFinite(p.val_loss)) loss.push({ arm: a.arm, flops: f, loss: p.val_loss });
    }
  }
  return { glue, loss };
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
  const { glue, loss } = plotData(results);
  const convention = results.config.pretrain.flops_convention === "6nd" ? "6ND" : "ELECTRA-style";
  const x = (field: string) => ({
    field,
    type: "quantitative" as const,
    title: `pre-training FLOPs, ${convention} (log scale)`,
    scale: { type: "log" as const, nice: false },
    axis: { labelExpr: "format(datum.value, '~e')", tickCount: 5 },
  });
  const color = {
    field: "arm",
    type: "nominal" as const,
    scale: { domain: [...ARM_NAMES] },
    legend: { title: "arm" },
  };
  const seeds = results.seeds.length;
  const partial = results.arms.some((a) => a.glue?.partial);
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v5.json",
    title: {
      text: "Concentrated learning at equal FLOPs",
      subtitle: `${results.arms.length} arm(s); GLUE mean ± std over ${seeds} fine-tuning seed(s)` +
        (partial ? ` on ${experimentTasks(results).join(", ")}` : ""),
    },
    background: "white",
    resolve: { scale: { color: "shared" } },
    hconcat: [
      {
        title: {
          text: "GLUE score",
          subtitle: `equal-FLOPs arms drawn ${Math.round((SPREAD - 1) * 100)}% apart to stay legible`,
        },
        width: 360,
        height: 300,
        data: { values: glue },
        encoding: { x: x("x"), color },
        layer: [
          {
            mark: { type: "rule", strokeWidth: 2 },
            encoding: { y: { field: "low", type: "quantitative" }, y2: { field: "high" } },
          },
          {
            mark: { type: "point", filled: true, size: 80 },
            encoding: {
              y: {
                field: "score",
                type: "quantitative",
                title: partial ? "GLUE score (tasks run)" : "GLUE score",
                scale: { zero: false },
              },
            },
          },
        ],
      },
      {
        title: {
          text: "Validation masked-LM loss",
          subtitle: "held-out text of each arm's own data, BERT masking",
        },
        width: 360,
        height: 300,
        data: { values: loss },
        mark: { type: "line", point: { size: 30 }, strokeWidth: 1.5 },
        encoding: {
          x: x("flops"),
          y: { field: "loss", type: "quantitative", title: "masked-LM loss", scale: { zero: false } },
          color,
        },
      },
    ],
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
