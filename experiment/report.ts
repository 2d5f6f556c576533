/**
 * The experiment's results: `experiment.json` (every number, each arm's config and data hash) and
 * `experiment.md`, the paper's table (arm, data, text size, masking, FLOPs in both conventions,
 * per-task GLUE metrics and the GLUE score, mean +- std over fine-tuning seeds), with paired
 * comparisons, the config, the seeds and the wall time.
 * @module
 */
import { computeAggregate, GLUE_AGGREGATES } from "../glue/aggregate.ts";
import { devMetric, type DevMetrics, GLUE_METRIC_LABELS } from "../glue/metrics.ts";
import type { GlueResults } from "../glue/results.ts";
import { GLUE_SCORED_TASKS, type GlueScoredTask } from "../glue/sets.ts";
import type { PretrainSettings } from "../pretrain/settings.ts";
import type { ArmOutcome, CurvePoint } from "./arm.ts";
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

/** One arm's row, as `experiment.json` holds it. */
export interface ArmEntry {
  /** Which arm. */
  arm: ArmName;
  /** The arm's one-line description, from {@linkcode ARMS}. */
  description: string;
  /** `completed`, `failed`, or `interrupted` (a re-run resumes it). */
  status: ArmOutcome["status"];
  /** The one-line error of a failed arm, else null. */
  error: string | null;
  /** Whether pre-training and GLUE were found done and reused. */
  reused: ArmOutcome["reused"];
  /** The arm's folder. */
  dir: string;
  /** The pre-training's `data` setting: `full`, `random` or `concentrated`. */
  data: PretrainSettings["data"];
  /** The masking strategy. */
  masking: PretrainSettings["masking"];
  /** 1, or the multiplier for `general-20x`. */
  compute: number;
  /** Bytes of the text trained on (the whole corpus for `full`, as the concentration counted it). */
  text_bytes: number | null;
  /** SHA-256 of the training shard. */
  data_hash: string | null;
  /** The training shard, the text it came from and its hash; null until pre-training completes. */
  data_files: ArmData | null;
  /** Optimizer steps done (null: pre-training never finished a session; so for the fields below). */
  steps: number | null;
  /** Tokens pre-trained on (steps x batch x sequence length). */
  tokens: number | null;
  /** Pre-training FLOPs, 6 x parameters x tokens. */
  flops_6nd: number | null;
  /** Pre-training FLOPs, ELECTRA-style (METHOD.md §5). */
  flops_electra: number | null;
  /** Held-out masked-LM loss of the last evaluation. */
  final_val_loss: number | null;
  /** Lowest held-out masked-LM loss of any evaluation. */
  best_val_loss: number | null;
  /** Seconds of the pre-training's last session, from its summary. */
  pretrain_wall_s: number | null;
  /** Seconds of GLUE fine-tuning and evaluation, summed over tasks; null without GLUE results. */
  glue_wall_s: number | null;
  /** The GLUE summary; null unless the arm completed. */
  glue: ArmGlue | null;
  /** The pre-training's validation curve. */
  curve: CurvePoint[];
  /** The arm's pre-training settings, as run. */
  config: PretrainSettings;
}

/** The content of `experiment.json`. */
export interface ExperimentResults {
  /** The file format's version. */
  format: "experiment/1";
  /** When the results were assembled, ISO 8601. */
  created: string;
  /** The command line that ran, to repeat it. */
  command: string;
  /** Wall time of this invocation. */
  wall_s: number;
  /** The experiment's settings. */
  config: ExperimentSettings;
  /** GLUE fine-tuning seeds; pre-training uses `config.pretrain.seed` for every arm. */
  seeds: number[];
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
  /** One row per arm run, in table order. */
  arms: ArmEntry[];
  /** Differences of GLUE scores between arms (see {@linkcode COMPARISONS}). */
  comparisons: Comparison[];
}

/** A difference of mean GLUE scores between two arms. */
export interface Comparison {
  /** The arm whose score is subtracted from. */
  a: ArmName;
  /** The arm it is compared with. */
  b: ArmName;
  /** What the difference measures, in words. */
  question: string;
  /** Mean score of `a` minus that of `b`; null when either has none. */
  difference: number | null;
  /** Its standard error over fine-tuning seeds: sqrt(s_a^2 / n_a + s_b^2 / n_b). */
  standard_error: number | null;
  /** The fewer seeds of the two arms. */
  seeds: number;
}

/** The comparisons reported, when both arms ran. */
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
  outcomes: readonly ArmOutcome[];
  /** Bytes of the whole corpus, for the `full` arms' text size. */
  corpusBytes: number | null;
  command: string;
  wallSeconds: number;
  created?: string;
}): ExperimentResults {
  const { config, budget } = options;
  const arms = inTableOrder(options.outcomes).map((o) => armEntry(o, options.corpusBytes, config.multiplier));
  return {
    format: "experiment/1",
    created: options.created ?? new Date().toISOString(),
    command: options.command,
    wall_s: options.wallSeconds,
    config,
    seeds: Array.from({ length: config.seeds }, (_, i) => i + 1),
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
    arms,
    comparisons: compare(arms),
  };
}

function inTableOrder(outcomes: readonly ArmOutcome[]): ArmOutcome[] {
  const order = Object.keys(ARMS);
  return [...outcomes].sort((a, b) => order.indexOf(a.arm) - order.indexOf(b.arm));
}

function armEntry(o: ArmOutcome, corpusBytes: number | null, multiplier: number): ArmEntry {
  const s = o.summary;
  const glueWall = o.glue
    ? Object.values(o.glue.tasks).reduce((sum, t) => sum + (t?.wallSeconds ?? 0), 0)
    : null;
  return {
    arm: o.arm,
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
    steps: s?.steps ?? null,
    tokens: s?.tokens ?? null,
    flops_6nd: s?.flops_6nd ?? null,
    flops_electra: s?.flops_electra ?? null,
    final_val_loss: s?.final_val_loss ?? null,
    best_val_loss: s?.best_val_loss ?? null,
    pretrain_wall_s: s?.wall_s ?? null,
    glue_wall_s: glueWall,
    glue: o.glue ? armGlue(o.glue) : null,
    curve: o.curve,
    config: o.config,
  };
}

function compare(arms: readonly ArmEntry[]): Comparison[] {
  const byName = new Map(arms.map((a) => [a.arm, a]));
  return COMPARISONS.filter((c) => byName.has(c.a) && byName.has(c.b)).map((c) => {
    const a = byName.get(c.a)!.glue;
    const b = byName.get(c.b)!.glue;
    if (!a || !b || a.score === null || b.score === null) {
      return { ...c, difference: null, standard_error: null, seeds: 0 };
    }
    const na = a.per_seed.length;
    const nb = b.per_seed.length;
    return {
      ...c,
      difference: a.score - b.score,
      standard_error: Math.sqrt(a.score_std ** 2 / na + b.score_std ** 2 / nb),
      seeds: Math.min(na, nb),
    };
  });
}

/**
 * `experiment.md`: the paper-style table, the arms' status and data hashes, the comparisons, the
 * config and the wall time.
 */
export function formatExperimentMarkdown(r: ExperimentResults): string {
  const tasks = experimentTasks(r);
  const columns = GLUE_AGGREGATES.glue.columns.filter((c) => tasks.includes(c.task));
  const taskHeader = columns.map((c) => {
    const metrics = c.task === "MNLI"
      ? "m/mm acc"
      : c.parts.map((p) => GLUE_METRIC_LABELS[p.metric]).join("/");
    return `${c.name} (${metrics})`;
  });
  const header = [
    "Arm",
    "Data",
    "Text (bytes)",
    "Masking",
    "Steps",
    "FLOPs (6ND)",
    "FLOPs (ELECTRA)",
    "Val MLM loss",
    ...taskHeader,
    "GLUE",
  ];
  const rows = r.arms.map((a) => {
    const cells = columns.map((c) => {
      const t = a.glue?.tasks[c.task];
      if (!t) return "-";
      const values = c.parts.map((p) => fixed(100 * devMetric(t.metrics, p.set, p.metric), 1)).join("/");
      return t.seeds.length > 1 ? `${values} ± ${fixed(t.score_std, 1)}` : values;
    });
    const glue = a.glue?.score == null
      ? (a.status === "failed" ? "failed" : "-")
      : a.glue.per_seed.length > 1
      ? `**${fixed(a.glue.score, 1)} ± ${fixed(a.glue.score_std, 1)}**`
      : `**${fixed(a.glue.score, 1)}**`;
    return row([
      a.arm,
      a.data,
      a.text_bytes === null ? "n/a" : grouped(a.text_bytes),
      a.masking,
      a.steps === null ? "-" : grouped(a.steps),
      exp(a.flops_6nd),
      exp(a.flops_electra),
      a.final_val_loss === null ? "-" : fixed(a.final_val_loss, 3),
      ...cells,
      glue,
    ]);
  });
  const c = r.config;
  const p = c.pretrain;
  const start = p.init ? `continued pre-training of \`${p.init}\`` : `a ${p.preset} BERT from scratch`;
  const b = r.budget;
  const partial = r.arms.some((a) => a.glue?.partial);
  const lines = [
    "# Concentrated learning: equal-FLOPs experiment",
    "",
    `Every arm starts from ${start}, pre-training seed ${p.seed}, ${
      grouped(b.tokens_per_step)
    } tokens per step ` +
    `(batch ${p.batch} x ${p.seq_len}), and is fine-tuned on GLUE with seeds ${r.seeds.join(", ")}. ` +
    `Equal-compute arms: ${grouped(b.steps)} steps, ${exp(b.flops_6nd)} FLOPs (6ND) / ${
      exp(b.flops_electra)
    } (ELECTRA-style); general-20x: ${grouped(b.scaled_steps)} steps (${b.multiplier}x).`,
    "",
    row(header),
    row(header.map((_, i) => (i < 2 || i === 3 ? "---" : "---:"))),
    ...rows,
    "",
    "Task cells: dev metrics x100, mean over seeds, `/`-separated in the header's order, ± the sample " +
    "standard deviation of the task score over seeds. GLUE: the leaderboard-style score" +
    (partial ? ` over the ${columns.length} task(s) run (partial: not the 9-task score)` : "") +
    ", mean ± sample standard deviation over seeds (each seed's models on every task). The error bars " +
    "cover fine-tuning seeds only: each arm is pre-trained once. Val MLM loss: the last validation loss " +
    "on held-out text of the arm's own data, BERT-masked for every arm, so it compares arms on the same " +
    "data (e.g. concentrated and concentrated-bert), not arms on different data.",
    "",
    "## Comparisons",
    "",
    ...comparisonLines(r.comparisons),
    ...identicalNote(r.arms),
    "",
    "## Arms",
    "",
    row([
      "Arm",
      "Status",
      "What it trains on",
      "Data hash (SHA-256 of the train shard)",
      "Train sequences",
      "Wall time",
    ]),
    row(["---", "---", "---", "---", "---:", "---:"]),
    ...r.arms.map((a) =>
      row([
        a.arm,
        a.status === "failed"
          ? `failed: ${escapeCell(a.error ?? "")}`
          : a.status + (a.reused.pretrain && a.reused.glue ? " (reused)" : ""),
        a.description,
        a.data_hash ? `\`${a.data_hash.slice(0, 16)}\`` : "-",
        a.data_files ? grouped(a.data_files.train_sequences) : "-",
        wall(a),
      ])
    ),
    "",
    "## Settings",
    "",
    `- GLUE: ${glueLine(c.glue, c.seeds)}`,
    `- pre-training (every arm; data, masking and steps per arm as above): ${pretrainLine(p)}`,
    `- output: \`${c.out}\`, each arm in \`arms/<arm>/\` (pre-training run) and \`arms/<arm>/glue/\``,
    `- wall time of this invocation: ${formatDuration(r.wall_s)}; the arms' own records sum to ${
      formatDuration(r.arms.reduce((s, a) => s + (a.pretrain_wall_s ?? 0) + (a.glue_wall_s ?? 0), 0))
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

function comparisonLines(comparisons: readonly Comparison[]): string[] {
  if (comparisons.length === 0) return ["(no pair of arms to compare)"];
  return comparisons.map((c) => {
    if (c.difference === null || c.standard_error === null) {
      return `- ${c.a} − ${c.b} (${c.question}): n/a`;
    }
    const se = c.standard_error;
    const verdict = c.seeds < 2
      ? "one seed: no error bar"
      : se === 0
      ? (c.difference === 0 ? "every seed scored the same: no difference" : "no spread over seeds")
      : Math.abs(c.difference) > 2 * se
      ? "more than 2 standard errors"
      : "within 2 standard errors: no clear difference";
    return `- ${c.a} − ${c.b} (${c.question}): ${signed(c.difference)} GLUE points ± ${
      fixed(se, 1)
    } (${verdict})`;
  });
}

// Arms whose fine-tuned models all score the same have classifiers that most likely predict one
// class whatever the input: their encoders did not learn enough to separate the examples.
function identicalNote(arms: readonly ArmEntry[]): string[] {
  const scored = arms.filter((a) => a.glue && a.glue.per_seed.length > 0);
  if (scored.length < 2) return [];
  const key = (a: ArmEntry) => JSON.stringify(Object.values(a.glue!.tasks).map((t) => t?.metrics));
  if (new Set(scored.map(key)).size > 1) return [];
  return [
    "",
    "Every arm has exactly the same dev metrics: the fine-tuned classifiers most likely predict " +
    "one class whatever the input, because no encoder learned enough to separate the examples. " +
    "The table then says nothing about the arms; more pre-training, or a pre-trained `init`, is needed.",
  ];
}

/** The GLUE tasks of an experiment: those configured, or (all found) those any arm ran. */
export function experimentTasks(r: ExperimentResults): GlueScoredTask[] {
  return r.config.glue.tasks ?? GLUE_SCORED_TASKS.filter((t) => r.arms.some((a) => a.glue?.tasks[t]));
}

function glueLine(g: GlueSettings, seeds: number): string {
  const caps = [
    g.max_train_examples === null
      ? "all training examples"
      : `${g.max_train_examples} training examples (seeded sample)`,
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
  return `corpus ${p.corpus.length} file(s), ConceptNet \`${p.conceptnet}\`, budget ${p.budget}, ` +
    `lr ${p.lr}, warm-up ${p.warmup}, weight decay ${p.weight_decay}, grad-accum ${p.grad_accum}, ` +
    `max predictions ${p.max_predictions}, FLOPs convention ${p.flops_convention}`;
}

function wall(a: ArmEntry): string {
  const parts = [
    a.pretrain_wall_s === null ? null : `pre-training ${formatDuration(a.pretrain_wall_s)}`,
    a.glue_wall_s === null ? null : `GLUE ${formatDuration(a.glue_wall_s)}`,
  ].filter((x) => x !== null);
  return parts.length > 0 ? parts.join(", ") : "-";
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

function signed(x: number): string {
  return `${x >= 0 ? "+" : "−"}${Math.abs(x).toFixed(1)}`;
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
