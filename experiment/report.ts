/**
 * The experiment's results: `experiment.json` (every number; each run's config, data hash and
 * measures) and `experiment.md`: per arm, the common measures (masked-LM loss on the held-out
 * documents and on their concept-dense part, the knowledge probe) and GLUE beside its majority
 * baseline, each the mean over pre-training seeds with a 95% bootstrap interval; then the paired
 * differences between arms with their intervals and one sentence each on whether they are told
 * apart from zero; then each run, the settings and the wall time.
 * @module
 */
import { computeAggregate, GLUE_AGGREGATES } from "../glue/aggregate.ts";
import type { DevMetrics } from "../glue/metrics.ts";
import type { GlueResults } from "../glue/results.ts";
import { GLUE_SCORED_TASKS, glueDevSets, type GlueScoredTask } from "../glue/sets.ts";
import type { PretrainSettings } from "../pretrain/settings.ts";
import type { ArmOutcome, CommonMeasures, CurvePoint } from "./arm.ts";
import type { HeldOutData } from "./heldout.ts";
import { meanUnits, type PairedDifference, pairedDifference, seedMean, type Units } from "./paired.ts";
import type { ArmData } from "./data_hash.ts";
import { formatDuration } from "../util/duration.ts";
import { type ArmName, ARMS } from "./arms.ts";
import type { Budget } from "./budget.ts";
import type { ExperimentSettings } from "./settings.ts";
import type { GlueSettings } from "../glue/settings.ts";

/** One task's result in an arm. */
export interface ArmTask {
  /** Mean over seeds of each dev metric (fractions), per dev set. */
  metrics: DevMetrics;
  /** Task score x100, mean over seeds. */
  score: number;
  /** Sample standard deviation of the task score over seeds (x100). */
  score_std: number;
  /** The fine-tuning seeds that ran the task. */
  seeds: number[];
  /** Dev examples per dev set. */
  n: Record<string, number | undefined>;
}

/** An arm's GLUE summary. */
export interface ArmGlue {
  /** Each task's result, for the tasks run. */
  tasks: Partial<Record<GlueScoredTask, ArmTask>>;
  /** The GLUE score (leaderboard style, over the tasks run) of each seed's models. */
  per_seed: { seed: number; score: number }[];
  /** Mean of `per_seed` (equal to the score of the mean metrics). */
  score: number | null;
  /** Sample standard deviation of `per_seed` (0 for one seed). */
  score_std: number;
  /** Whether the score covers fewer than the 9 GLUE tasks. */
  partial: boolean;
}

/** A value with its 95% bootstrap interval. */
export interface Interval {
  /** The estimate. */
  value: number;
  /** Lower end. */
  low: number;
  /** Upper end. */
  high: number;
}

/** One run (an arm and a pre-training seed), as `experiment.json` holds it. */
export interface ArmEntry {
  /** The arm. */
  arm: ArmName;
  /** Its pre-training seed. */
  seed: number;
  /** What it trains on, in words. */
  description: string;
  /** Whether it completed. */
  status: ArmOutcome["status"];
  /** The one-line error of a failed run. */
  error: string | null;
  /** Which parts were reused from an earlier invocation. */
  reused: ArmOutcome["reused"];
  /** Its folder. */
  dir: string;
  /** `full`, `random` or `concentrated`. */
  data: PretrainSettings["data"];
  /** Its masking strategy. */
  masking: PretrainSettings["masking"];
  /** Its compute relative to the equal-compute arms. */
  compute: number;
  /** Bytes of the text it trains on. */
  text_bytes: number | null;
  /** SHA-256 of its training shard. */
  data_hash: string | null;
  /** Its data files. */
  data_files: ArmData | null;
  /** Passes over its training text: steps x batch / training sequences. */
  passes: number | null;
  /** Optimizer steps done. */
  steps: number | null;
  /** Tokens seen. */
  tokens: number | null;
  /** FLOPs, 6ND. */
  flops_6nd: number | null;
  /** FLOPs, ELECTRA-style. */
  flops_electra: number | null;
  /** Masked-LM loss on the common held-out documents. */
  heldout_loss: number | null;
  /** Masked-LM accuracy there. */
  heldout_accuracy: number | null;
  /** Masked-LM loss on their concept-dense part. */
  dense_loss: number | null;
  /** The probe's P@1, P@10 and MRR. */
  probe: { facts: number; p_at_1: number; p_at_10: number; mrr: number } | null;
  /** Seconds of pre-training. */
  pretrain_wall_s: number | null;
  /** Seconds of GLUE. */
  glue_wall_s: number | null;
  /** Its GLUE scores. */
  glue: ArmGlue | null;
  /** Its own validation curve (when `pretrain.validation` > 0; not comparable between arms). */
  curve: CurvePoint[];
  /** Its pre-training config. */
  config: PretrainSettings;
}

/** The common measures of one model with intervals (over the measured units, mean over seeds). */
export interface MeasureSummary {
  /** Masked-LM loss on the held-out documents. */
  heldout_loss: Interval | null;
  /** Masked-LM accuracy there. */
  heldout_accuracy: Interval | null;
  /** Masked-LM loss on the concept-dense part. */
  dense_loss: Interval | null;
  /** The probe, with the unigram baseline's P@10 for reference. */
  probe:
    | { facts: number; p_at_1: Interval; p_at_10: Interval; mrr: Interval; unigram_p_at_10: number }
    | null;
}

/** One task of an arm's GLUE summary: accuracy with an interval, and the majority baseline. */
export interface TaskSummary {
  /** Mean task score x100 over every run (pre-training x fine-tuning seeds). */
  score: number;
  /** Sample standard deviation of the runs' scores. */
  score_std: number;
  /** Runs. */
  runs: number;
  /** Dev accuracy x100 with its interval over dev examples (single-dev-set tasks). */
  accuracy: Interval | null;
  /** The majority-class baseline's task score x100. */
  majority: number | null;
}

/** One arm over its completed seeds: the table's row. */
export interface ArmSummary extends MeasureSummary {
  /** The arm. */
  arm: ArmName;
  /** What it trains on. */
  description: string;
  /** `full`, `random` or `concentrated`. */
  data: string;
  /** Its masking. */
  masking: string;
  /** Pre-training seeds that completed. */
  seeds: number[];
  /** Runs that did not complete, as `seed: status`. */
  missing: string[];
  /** Steps per run. */
  steps: number | null;
  /** The fewest passes over its training text of any seed. */
  passes: number | null;
  /** Mean bytes of its training text. */
  text_bytes: number | null;
  /** GLUE per task. */
  glue: Partial<Record<GlueScoredTask, TaskSummary>>;
}

/** The content of `experiment.json`. */
export interface ExperimentResults {
  /** The file format's version. */
  format: "experiment/2";
  /** When the results were assembled, ISO 8601. */
  created: string;
  /** The command line that ran, to repeat it. */
  command: string;
  /** Wall time of this invocation. */
  wall_s: number;
  /** The experiment's settings. */
  config: ExperimentSettings;
  /** Pre-training seeds per arm, and GLUE fine-tuning seeds per pre-training run. */
  seeds: { pretrain: number[]; glue: number[] };
  /**
   * The compute each arm gets: steps of an equal-compute arm and of the scaled arm (`steps` x
   * `multiplier`), tokens and FLOPs (both conventions) per step, the equal-compute arm's total
   * FLOPs, and the parameters the FLOPs are counted for.
   */
  budget: {
    steps: number;
    scaled_steps: number;
    multiplier: number;
    tokens_per_step: number;
    per_step_6nd: number;
    per_step_electra: number;
    flops_6nd: number;
    flops_electra: number;
    parameters: number;
  };
  /** The common held-out text: documents, paragraphs and sequences. */
  heldout: HeldOutData["counts"];
  /** The starting model's common measures (null when starting from random weights). */
  start: MeasureSummary | null;
  /** One row per arm, in table order. */
  arms: ArmSummary[];
  /** One entry per run (arm x pre-training seed). */
  runs: ArmEntry[];
  /** Paired differences between arms (see {@linkcode COMPARISONS}). */
  comparisons: Comparison[];
}

/** A paired difference between two arms on one measure. */
export interface Comparison extends PairedDifference {
  /** The arm subtracted from. */
  a: ArmName;
  /** The arm compared with. */
  b: ArmName;
  /** What the difference measures, in words. */
  question: string;
  /** The measure. */
  measure: string;
  /** Whether a lower value is better (losses). */
  lower_is_better: boolean;
  /** Seeds both arms ran (pre-training x fine-tuning for GLUE). */
  seeds: number;
  /** One plain sentence. */
  sentence: string;
}

/** The pairs of arms compared, when both ran. */
export const COMPARISONS: readonly { a: ArmName; b: ArmName; question: string }[] = [
  { a: "concentrated", b: "random", question: "concentration (data and masking) vs random data" },
  { a: "concentrated", b: "general", question: "concentration vs the whole corpus" },
  { a: "concentrated", b: "general-20x", question: "concentration vs the whole corpus at 20x compute" },
  { a: "general-20x", b: "general", question: "20x compute on the whole corpus" },
  { a: "concentrated-bert", b: "random", question: "concentrated data alone (BERT masking)" },
  { a: "random-concept", b: "random", question: "concept masking alone (random data)" },
];

/**
 * An arm's GLUE summary: per task the mean metrics and score +- std, and the GLUE score of each
 * seed (its models on every task), their mean and sample std.
 *
 * @example
 * ```ts
 * import { buildResults, summarizeTask } from "../glue/results.ts";
 * import { armGlue } from "./report.ts";
 * const rte = summarizeTask({
 *   task: "RTE", n: { RTE: 100 }, hyperparameters: {}, wallSeconds: 1,
 *   runs: [{ seed: 1, metrics: { RTE: { accuracy: 0.5 } } }, { seed: 2, metrics: { RTE: { accuracy: 0.6 } } }],
 * });
 * console.log(armGlue(buildResults({ model: "m", tasks: [rte] })).score); // 55
 * ```
 */
export function armGlue(results: GlueResults): ArmGlue {
  const tasks: Partial<Record<GlueScoredTask, ArmTask>> = {};
  const bySeed = new Map<number, DevMetrics>();
  for (const name of GLUE_SCORED_TASKS) {
    const t = results.tasks[name];
    if (!t) continue;
    tasks[name] = {
      metrics: t.metrics,
      score: t.score,
      score_std: t.scoreStd,
      seeds: [...t.seeds],
      n: { ...t.n },
    };
    for (const run of t.runs) {
      bySeed.set(run.seed, { ...bySeed.get(run.seed), ...run.metrics });
    }
  }
  const taskCount = Object.keys(tasks).length;
  // A seed scores only when it ran every task (a GLUE score over different tasks is another number).
  const per_seed = [...bySeed].filter(([seed]) => Object.values(tasks).every((t) => t.seeds.includes(seed)))
    .sort((x, y) => x[0] - y[0]).map(([seed, metrics]) => ({
      seed,
      score: computeAggregate(GLUE_AGGREGATES.glue, metrics).value!,
    }));
  const scores = per_seed.map((s) => s.score);
  return {
    tasks,
    per_seed,
    score: scores.length > 0 ? mean(scores) : null,
    score_std: sampleStd(scores),
    partial: taskCount < GLUE_AGGREGATES.glue.columns.length,
  };
}

/** Assembles `experiment.json`'s content. */
export function buildExperiment(options: {
  config: ExperimentSettings;
  budget: Budget;
  heldout: HeldOutData;
  start: CommonMeasures | null;
  outcomes: readonly ArmOutcome[];
  /** Bytes of the whole corpus, for the `full` arms' text size. */
  corpusBytes: number | null;
  command: string;
  wallSeconds: number;
  created?: string;
}): ExperimentResults {
  const { config, budget } = options;
  const outcomes = inTableOrder(options.outcomes);
  const runs = outcomes.map((o) => armEntry(o, options.corpusBytes, config.multiplier));
  const resampling = { resamples: BOOTSTRAP_RESAMPLES, seed: 1 };
  return {
    format: "experiment/2",
    created: options.created ?? new Date().toISOString(),
    command: options.command,
    wall_s: options.wallSeconds,
    config,
    seeds: {
      pretrain: Array.from({ length: config.pretrain_seeds }, (_, k) => config.pretrain.seed + k),
      glue: Array.from({ length: config.seeds }, (_, i) => i + 1),
    },
    budget: {
      steps: budget.steps,
      scaled_steps: budget.scaledSteps,
      multiplier: config.multiplier,
      tokens_per_step: budget.perStep.tokens,
      per_step_6nd: budget.perStep.sixND,
      per_step_electra: budget.perStep.electra,
      flops_6nd: budget.steps * budget.perStep.sixND,
      flops_electra: budget.steps * budget.perStep.electra,
      parameters: budget.perStep.parameters,
    },
    heldout: options.heldout.counts,
    start: options.start ? measureSummary([options.start], resampling) : null,
    arms: armSummaries(outcomes, runs, resampling),
    runs,
    comparisons: compare(outcomes, resampling),
  };
}

/** Resamples of every bootstrap interval of the report. */
const BOOTSTRAP_RESAMPLES = 1000;

function inTableOrder(outcomes: readonly ArmOutcome[]): ArmOutcome[] {
  const order = Object.keys(ARMS);
  return [...outcomes].sort((a, b) => order.indexOf(a.arm) - order.indexOf(b.arm) || a.seed - b.seed);
}

function armEntry(o: ArmOutcome, corpusBytes: number | null, multiplier: number): ArmEntry {
  const s = o.summary;
  const glueWall = o.glue
    ? Object.values(o.glue.tasks).reduce((sum, t) => sum + (t?.wallSeconds ?? 0), 0)
    : null;
  const m = o.measures;
  const probe = m?.probe ?? null;
  return {
    arm: o.arm,
    seed: o.seed,
    description: ARMS[o.arm].description,
    status: o.status,
    error: o.error,
    reused: o.reused,
    dir: o.dir,
    data: o.config.data,
    masking: o.config.masking,
    compute: ARMS[o.arm].scaled ? multiplier : 1,
    text_bytes: o.data ? (o.data.text_bytes ?? (o.data.source === "full" ? corpusBytes : null)) : null,
    data_hash: o.data?.sha256 ?? null,
    data_files: o.data,
    passes: o.data && s && o.data.train_sequences > 0
      ? (s.steps * o.config.batch) / o.data.train_sequences
      : null,
    steps: s?.steps ?? null,
    tokens: s?.tokens ?? null,
    flops_6nd: s?.flops_6nd ?? null,
    flops_electra: s?.flops_electra ?? null,
    heldout_loss: m?.heldout.loss ?? null,
    heldout_accuracy: m?.heldout.accuracy ?? null,
    dense_loss: m?.dense.loss ?? null,
    probe: probe
      ? {
        facts: probe.facts,
        p_at_1: probe.model.precisionAt1.value,
        p_at_10: probe.model.precisionAt10.value,
        mrr: probe.model.mrr.value,
      }
      : null,
    pretrain_wall_s: s?.wall_s ?? null,
    glue_wall_s: glueWall,
    glue: o.glue ? armGlue(o.glue) : null,
    curve: o.curve,
    config: o.config,
  };
}

/** A measure a paired comparison or an interval is made of: per seed, unit by unit. */
interface Measure {
  name: string;
  lowerIsBetter: boolean;
  units: (m: CommonMeasures) => Units | null;
}

/** Summed loss over predictions, per held-out batch. */
const lossUnits = (batches: CommonMeasures["heldout"]["batches"]): Units => ({
  num: batches.map((b) => b.loss_sum),
  den: batches.map((b) => b.predictions),
});

const HELDOUT_LOSS: Measure = {
  name: "held-out MLM loss",
  lowerIsBetter: true,
  units: (m) => lossUnits(m.heldout.batches),
};
const DENSE_LOSS: Measure = {
  name: "concept-dense held-out MLM loss",
  lowerIsBetter: true,
  units: (m) => lossUnits(m.dense.batches),
};
const PROBE_P10: Measure = {
  name: "probe P@10",
  lowerIsBetter: false,
  units: (m) => m.probe ? meanUnits(m.probe.ranks.map((r) => (r <= 10 ? 1 : 0))) : null,
};
const PROBE_MRR: Measure = {
  name: "probe MRR",
  lowerIsBetter: false,
  units: (m) => m.probe ? meanUnits(m.probe.ranks.map((r) => 1 / r)) : null,
};

/** The common measures the paired comparisons cover, in table order. */
const MEASURES: readonly Measure[] = [HELDOUT_LOSS, DENSE_LOSS, PROBE_P10, PROBE_MRR];

function measureSummary(
  measures: readonly CommonMeasures[],
  options: { resamples: number; seed: number },
): MeasureSummary {
  const interval = (units: (m: CommonMeasures) => Units | null): Interval | null => {
    const list = measures.map(units);
    if (list.length === 0 || list.some((u) => u === null)) return null;
    return seedMean(list as Units[], options);
  };
  const probes = measures.map((m) => m.probe);
  const probe = probes.length > 0 && probes.every((p) => p !== null)
    ? {
      facts: probes[0]!.facts,
      p_at_1: interval((m) => meanUnits(m.probe!.ranks.map((r) => (r === 1 ? 1 : 0))))!,
      p_at_10: interval(PROBE_P10.units)!,
      mrr: interval(PROBE_MRR.units)!,
      unigram_p_at_10: probes[0]!.unigram.precisionAt10.value,
    }
    : null;
  return {
    heldout_loss: interval(HELDOUT_LOSS.units),
    heldout_accuracy: interval((m) => ({
      num: m.heldout.batches.map((b) => b.correct),
      den: m.heldout.batches.map((b) => b.predictions),
    })),
    dense_loss: interval(DENSE_LOSS.units),
    probe,
  };
}

/** Per GLUE run of a completed outcome: the dev examples' correctness of a single-dev-set task. */
function glueUnits(o: ArmOutcome, task: GlueScoredTask): Map<number, Units> {
  const out = new Map<number, Units>();
  const t = o.glue?.tasks[task];
  const sets = glueDevSets(task);
  if (!t || sets.length !== 1 || !t.devLabels) return out;
  const labels = t.devLabels[sets[0]!.name];
  if (!labels) return out;
  for (const run of t.runs) {
    const predictions = run.predictions?.[sets[0]!.name];
    if (!predictions) continue;
    out.set(run.seed, meanUnits(labels.map((l, i) => (predictions[i] === l ? 1 : 0))));
  }
  return out;
}

function armSummaries(
  outcomes: readonly ArmOutcome[],
  runs: readonly ArmEntry[],
  options: { resamples: number; seed: number },
): ArmSummary[] {
  const arms = [...new Set(outcomes.map((o) => o.arm))];
  return arms.map((arm) => {
    const mine = outcomes.filter((o) => o.arm === arm);
    const done = mine.filter((o) => o.status === "completed" && o.measures !== null);
    const entries = runs.filter((r) => r.arm === arm && r.status === "completed");
    const glue: Partial<Record<GlueScoredTask, TaskSummary>> = {};
    for (const task of GLUE_SCORED_TASKS) {
      const results = done.map((o) => o.glue?.tasks[task]).filter((t) => t !== undefined);
      if (results.length === 0) continue;
      const scores = results.flatMap((t) => t.runs.map((r) => r.score));
      const units = done.flatMap((o) => [...glueUnits(o, task).values()]);
      glue[task] = {
        score: mean(scores),
        score_std: sampleStd(scores),
        runs: scores.length,
        accuracy: units.length > 0 ? scaled(seedMean(units, options), 100) : null,
        majority: results[0]!.majority?.score ?? null,
      };
    }
    const passes = entries.map((e) => e.passes).filter((p) => p !== null);
    const bytes = entries.map((e) => e.text_bytes).filter((b) => b !== null);
    return {
      arm,
      description: ARMS[arm].description,
      data: ARMS[arm].data,
      masking: ARMS[arm].masking,
      seeds: done.map((o) => o.seed),
      missing: mine.filter((o) => !done.includes(o)).map((o) => `${o.seed}: ${o.status}`),
      steps: entries[0]?.steps ?? null,
      passes: passes.length > 0 ? Math.min(...passes) : null,
      text_bytes: bytes.length > 0 ? mean(bytes) : null,
      ...(done.length > 0
        ? measureSummary(done.map((o) => o.measures!), options)
        : { heldout_loss: null, heldout_accuracy: null, dense_loss: null, probe: null }),
      glue,
    };
  });
}

function scaled(i: Interval, k: number): Interval {
  return { value: i.value * k, low: i.low * k, high: i.high * k };
}

function compare(
  outcomes: readonly ArmOutcome[],
  options: { resamples: number; seed: number },
): Comparison[] {
  const done = (arm: ArmName) =>
    new Map(
      outcomes.filter((o) => o.arm === arm && o.status === "completed" && o.measures !== null)
        .map((o) => [o.seed, o]),
    );
  const out: Comparison[] = [];
  for (const c of COMPARISONS) {
    const a = done(c.a), b = done(c.b);
    const seeds = [...a.keys()].filter((s) => b.has(s)).sort((x, y) => x - y);
    if (seeds.length === 0) continue;
    const add = (measure: string, lowerIsBetter: boolean, ua: Units[], ub: Units[]) => {
      if (ua.length === 0 || ua.length !== ub.length) return;
      const d = pairedDifference(ua, ub, options);
      out.push({
        ...c,
        ...d,
        measure,
        lower_is_better: lowerIsBetter,
        seeds: ua.length,
        sentence: sentenceOf(c.a, c.b, measure, lowerIsBetter, d, ua.length),
      });
    };
    for (const m of MEASURES) {
      const ua = seeds.map((s) => m.units(a.get(s)!.measures!));
      const ub = seeds.map((s) => m.units(b.get(s)!.measures!));
      if (ua.some((u) => u === null) || ub.some((u) => u === null)) continue;
      add(m.name, m.lowerIsBetter, ua as Units[], ub as Units[]);
    }
    for (const task of GLUE_SCORED_TASKS) {
      const ua: Units[] = [], ub: Units[] = [];
      for (const s of seeds) {
        const ga = glueUnits(a.get(s)!, task), gb = glueUnits(b.get(s)!, task);
        for (const [g, u] of ga) {
          const v = gb.get(g);
          if (v) {
            ua.push({ num: Array.from(u.num, (x) => 100 * x), den: u.den });
            ub.push({ num: Array.from(v.num, (x) => 100 * x), den: v.den });
          }
        }
      }
      add(`${task} accuracy`, false, ua, ub);
    }
  }
  return out;
}

function sentenceOf(
  a: ArmName,
  b: ArmName,
  measure: string,
  lowerIsBetter: boolean,
  d: PairedDifference,
  seeds: number,
): string {
  const digits = measure.includes("accuracy") ? 2 : 4;
  const value = `${signedDigits(d.difference, digits)} [${signedDigits(d.low, digits)}, ${
    signedDigits(d.high, digits)
  }]`;
  const where = `${seeds} seed(s), ${d.units} units resampled`;
  if (!d.distinguishable) {
    return `${a} − ${b}, ${measure}: ${value} (${where}): not distinguishable from zero.`;
  }
  const better = (d.difference < 0) === lowerIsBetter;
  return `${a} − ${b}, ${measure}: ${value} (${where}): distinguishable from zero; ${
    better ? a : b
  } is better.`;
}

/**
 * `experiment.md`: the table of arms (common measures and GLUE beside the majority baseline, with
 * intervals), the paired differences, the runs, and the settings.
 */
export function formatExperimentMarkdown(r: ExperimentResults): string {
  const tasks = experimentTasks(r);
  const p = r.config.pretrain;
  const b = r.budget;
  const cell = (i: Interval | null, digits: number) =>
    i === null ? "-" : `${fixed(i.value, digits)} [${fixed(i.low, digits)}, ${fixed(i.high, digits)}]`;
  const header = [
    "Arm",
    "Data",
    "Masking",
    "Steps",
    "Passes",
    "Held-out loss",
    "Dense loss",
    "Held-out acc.",
    "Probe P@1",
    "Probe P@10",
    "Probe MRR",
    ...tasks.map((t) => `${t} (majority)`),
    "Seeds",
  ];
  const measureCells = (m: MeasureSummary) => [
    cell(m.heldout_loss, 3),
    cell(m.dense_loss, 3),
    cell(m.heldout_accuracy && scaled(m.heldout_accuracy, 100), 1),
    cell(m.probe?.p_at_1 ?? null, 3),
    cell(m.probe?.p_at_10 ?? null, 3),
    cell(m.probe?.mrr ?? null, 4),
  ];
  const rows = r.arms.map((a) =>
    row([
      a.arm,
      a.data,
      a.masking,
      a.steps === null ? "-" : grouped(a.steps),
      a.passes === null ? "-" : fixed(a.passes, 2),
      ...measureCells(a),
      ...tasks.map((t) => {
        const g = a.glue[t];
        if (!g) return "-";
        const score = g.accuracy ? cell(g.accuracy, 1) : fixed(g.score, 1);
        return `${score} (${g.majority === null ? "-" : fixed(g.majority, 1)})`;
      }),
      a.seeds.join(", ") + (a.missing.length > 0 ? `; not done: ${a.missing.join(", ")}` : ""),
    ])
  );
  if (r.start) {
    rows.unshift(row(["start", "-", "-", "0", "-", ...measureCells(r.start), ...tasks.map(() => "-"), "-"]));
  }
  const start = p.init ? `continues \`${p.init}\`` : `starts from a ${p.preset} BERT with random weights`;
  const h = r.heldout;
  const unigram = r.start?.probe?.unigram_p_at_10 ?? r.arms.find((a) => a.probe)?.probe?.unigram_p_at_10;
  const lines = [
    "# Concentrated learning: equal-FLOPs experiment",
    "",
    `Every arm ${start}, pre-trained with seeds ${r.seeds.pretrain.join(", ")} ` +
    `(data order, masks, and the random subset; the concentrated subset is the same for every seed), ${
      grouped(b.tokens_per_step)
    } tokens per ` +
    `step (batch ${p.batch} x ${p.seq_len}). Equal-compute arms: ${grouped(b.steps)} steps, ${
      exp(b.flops_6nd)
    } FLOPs (6ND) / ${exp(b.flops_electra)} (ELECTRA-style); general-20x: ${grouped(b.scaled_steps)} steps ` +
    `(${b.multiplier}x). GLUE: fine-tuning seeds ${r.seeds.glue.join(", ")} per pre-training run, each on ` +
    `its own training sample; no setting was chosen on a dev set.`,
    "",
    `Common measures: ${h.heldout_documents} documents (${h.heldout_sequences} sequences) were held out of ` +
    `the corpus before any selection; every arm is measured on the same ${r.config.heldout_sequences} ` +
    `or fewer of those sequences with the same BERT masks (held-out loss and accuracy), and on the densest ` +
    `${h.dense_paragraphs} held-out paragraphs by ConceptNet edges per word (${h.dense_sequences} sequences; ` +
    `dense loss).` +
    (unigram === undefined
      ? ""
      : ` Probe: CN-100K's held-out facts; the corpus-frequency baseline's P@10 is ${fixed(unigram, 3)}.`),
    "",
    row(header),
    row(header.map((_, i) => (i < 3 ? "---" : "---:"))),
    ...rows,
    "",
    "Cells: the mean over pre-training seeds (GLUE: over every fine-tuning run) with a 95% percentile " +
    "bootstrap interval over the measured units (held-out batches of 8 sequences, probe facts, dev " +
    "examples); the intervals cover the evaluation sample, the seeds show in the paired differences " +
    "below. Passes: steps x batch over the arm's training sequences (the fewest of its seeds). GLUE " +
    "cells: dev accuracy x100, the majority-class baseline in parentheses.",
    "",
    "## Paired differences",
    "",
    ...(r.comparisons.length === 0 ? ["(no pair of arms completed a common seed)"] : [
      row(["Comparison", "Measure", "Difference", "95% interval", "Per seed", "Verdict"]),
      row(["---", "---", "---:", "---:", "---:", "---"]),
      ...r.comparisons.map((c) => {
        const digits = c.measure.includes("accuracy") ? 2 : 4;
        return row([
          `${c.a} − ${c.b}`,
          c.measure,
          signedDigits(c.difference, digits),
          `[${signedDigits(c.low, digits)}, ${signedDigits(c.high, digits)}]`,
          c.per_seed.map((x) => signedDigits(x, digits)).join(", "),
          c.distinguishable
            ? ((c.difference < 0) === c.lower_is_better ? `${c.a} better` : `${c.b} better`)
            : "not distinguishable",
        ]);
      }),
      "",
      ...r.comparisons.filter((c) => KEY_PAIRS.has(`${c.a}|${c.b}`)).map((c) => `- ${c.sentence}`),
    ]),
    "",
    "Differences are a − b, averaged over the seeds both arms ran; the interval resamples the units " +
    "(the same resample for both arms and every seed), so it covers evaluation noise, and the per-seed " +
    "column shows how much pre-training seeds move it.",
    "",
    "## Runs",
    "",
    row([
      "Arm",
      "Seed",
      "Status",
      "Data hash (SHA-256 of the train shard)",
      "Train sequences",
      "Passes",
      "Wall time",
    ]),
    row(["---", "---:", "---", "---", "---:", "---:", "---:"]),
    ...r.runs.map((a) =>
      row([
        a.arm,
        String(a.seed),
        a.status === "failed"
          ? `failed: ${escapeCell(a.error ?? "")}`
          : a.status + (a.reused.pretrain && a.reused.glue ? " (reused)" : ""),
        a.data_hash ? `\`${a.data_hash.slice(0, 16)}\`` : "-",
        a.data_files ? grouped(a.data_files.train_sequences) : "-",
        a.passes === null ? "-" : fixed(a.passes, 2),
        wall(a),
      ])
    ),
    "",
    "## Settings",
    "",
    `- GLUE: ${glueLine(r.config.glue, r.config.seeds)}`,
    `- pre-training (every arm; data, masking, seed and steps per run as above): ${pretrainLine(p)}`,
    `- output: \`${r.config.out}\`, each run in \`arms/<arm>/seed-<seed>/\` (pre-training, \`common.json\`, ` +
    `\`probe/\`, \`glue/\`), the held-out text in \`data/\`, the starting model's measures in \`start/\``,
    `- wall time of this invocation: ${formatDuration(r.wall_s)}; the runs' own records sum to ${
      formatDuration(r.runs.reduce((s, a) => s + (a.pretrain_wall_s ?? 0) + (a.glue_wall_s ?? 0), 0))
    }`,
    `- command: \`${r.command}\``,
    "",
    "```json",
    JSON.stringify(r.config, null, 2),
    "```",
    "",
  ];
  return lines.join("\n");
}

/** The comparisons spelled out as sentences below the table. */
const KEY_PAIRS = new Set([
  "concentrated|random",
  "concentrated|general",
  "concentrated-bert|random",
  "random-concept|random",
]);

/** The GLUE tasks of an experiment: those configured, or (all found) those any arm ran. */
export function experimentTasks(r: ExperimentResults): GlueScoredTask[] {
  return r.config.glue.tasks ?? GLUE_SCORED_TASKS.filter((t) => r.arms.some((a) => a.glue[t]));
}

function glueLine(g: GlueSettings, seeds: number): string {
  const caps = [
    g.max_train_examples === null
      ? "all training examples"
      : `${g.max_train_examples} training examples (a seeded sample per seed)`,
    g.max_eval_examples === null ? "all dev examples" : `the first ${g.max_eval_examples} dev examples`,
  ];
  return `${g.tasks?.join(", ") ?? "every task found"} from \`${g.data ?? "the shipped samples"}\`; ${
    caps.join(", ")
  }; batch ${g.batch}, lr ${
    g.lr_grid ? `grid ${g.lr_grid.join(", ")}` : g.lr
  }, ${g.epochs} epochs, warm-up ${g.warmup}, dropout ${g.dropout}, max length ${g.max_length}; ` +
    `seeds 1..${seeds}`;
}

function pretrainLine(p: PretrainSettings): string {
  return `ConceptNet \`${p.conceptnet}\`, budget ${p.budget}, unit ${p.unit}, score ${p.score}` +
    `${p.per_token ? " per word" : ""}, lr ${p.lr}, warm-up ${p.warmup}, weight decay ${p.weight_decay}, ` +
    `grad-accum ${p.grad_accum}, max predictions ${p.max_predictions}, FLOPs convention ${p.flops_convention}`;
}

function wall(a: ArmEntry): string {
  const parts = [
    a.pretrain_wall_s === null ? null : `pre-training ${formatDuration(a.pretrain_wall_s)}`,
    a.glue_wall_s === null ? null : `GLUE ${formatDuration(a.glue_wall_s)}`,
  ].filter((x) => x !== null);
  return parts.length > 0 ? parts.join(", ") : "-";
}

function signedDigits(x: number, digits: number): string {
  return `${x >= 0 ? "+" : "−"}${Math.abs(x).toFixed(digits)}`;
}

function row(cells: readonly string[]): string {
  return `| ${cells.join(" | ")} |`;
}

function escapeCell(text: string): string {
  return text.replaceAll("|", "\\|").replaceAll("\n", " ");
}

function fixed(x: number, digits: number): string {
  return Number.isFinite(x) ? x.toFixed(digits) : "n/a";
}

function exp(x: number | null): string {
  return x === null ? "-" : x.toExponential(2);
}

function grouped(x: number): string {
  return Math.round(x).toLocaleString("en-US");
}

function mean(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

function sampleStd(values: readonly number[]): number {
  if (values.length < 2) return 0;
  const m = mean(values);
  return Math.sqrt(values.reduce((s, v) => s + (v - m) ** 2, 0) / (values.length - 1));
}
