/**
 * The end of a run: `summary.json` (every final number, for scripts), `summary.md` (a short table
 * for people) and the few lines printed when the run ends.
 * @module
 */
import type { BertConfig } from "../core/bert/config.ts";
import { describeFlops, type StepFlops } from "../core/flops.ts";
import { writeFileAtomic } from "../util/atomic_write.ts";
import { formatDuration } from "../util/duration.ts";
import { type LoopResult, totalsAt } from "./loop.ts";
import type { EvalRecord, MetricRecord } from "./metrics_log.ts";
import { type PretrainSettings, runName } from "./settings.ts";

/** What a run did and reached. FLOPs and tokens are cumulative over all sessions of the run. */
export interface RunSummary {
  /** The run's name: `--name`, else `<preset or init>-<data>-<masking>`. */
  name: string;
  /** The run directory. */
  out: string;
  /** "interrupted": stopped early (Ctrl-C) after saving a checkpoint; `--resume` continues it. */
  status: "completed" | "interrupted";
  /** Optimizer steps done. */
  steps: number;
  /** Optimizer steps planned. */
  total_steps: number;
  /** Tokens trained on (steps x batch x sequence length). */
  tokens: number;
  /** 6 x parameters x tokens. */
  flops_6nd: number;
  /** ELECTRA-style count (METHOD.md §5). */
  flops_electra: number;
  /** Wall time of this session of the run, in seconds, setup and evaluation included. */
  wall_s: number;
  /** Time in training steps. */
  train_s: number;
  /** Training tokens per second of step time. */
  tokens_per_s: number;
  /** Share of step time spent outside the device (data loading, masking, host work), 0 to 1. */
  host_share: number;
  /** Training loss of the last logged step. */
  final_loss: number | null;
  /** Lowest held-out masked-LM loss of any evaluation; null without a validation split. */
  best_val_loss: number | null;
  /** Held-out masked-LM loss before training (step 0); null without a validation split. */
  initial_val_loss: number | null;
  /** Held-out masked-LM loss of the last evaluation; null without a validation split. */
  final_val_loss: number | null;
  /** Held-out masked-LM accuracy of the last evaluation, in [0, 1]; null without a validation split. */
  final_val_accuracy: number | null;
  /** The backend (`dawn`, `deno`, `cpu`) and the adapter's description. */
  device: { backend: string; adapter: string };
  /**
   * The model: its size preset (null with `init`) or the checkpoint it started from, its parameter
   * count (masked-LM head included), hidden size, layers and attention heads.
   */
  model: {
    preset: string | null;
    init: string | null;
    parameters: number;
    hidden: number;
    layers: number;
    heads: number;
  };
  /**
   * The data: its source (`concentrated`, `random`, `full`, `path`), the text or shard trained on,
   * the sequences in the train shard and those evaluated, and the masking strategy.
   */
  data: {
    source: string;
    path: string;
    train_sequences: number;
    validation_sequences: number;
    masking: string;
  };
  /** The command line that ran, to repeat it. */
  command: string;
  /** The knowledge probe of the starting model (null from scratch) and of the final checkpoint. */
  probe?: { before: ProbeBrief | null; after: ProbeBrief };
}

/** The probe's overall numbers for one model. */
export interface ProbeBrief {
  /** The model probed. */
  model: string;
  /** Facts scored. */
  facts: number;
  /** P@1. */
  p_at_1: number;
  /** P@10, with its 95% bootstrap interval. */
  p_at_10: { value: number; low: number; high: number };
  /** Mean reciprocal rank. */
  mrr: number;
  /** The corpus-frequency baseline's P@10. */
  unigram_p_at_10: number;
}

/** What {@linkcode summarizeRun} sums up. */
export interface RunFacts {
  /** The run's settings. */
  settings: PretrainSettings;
  /** The run folder. */
  out: string;
  /** What the step loop did. */
  loop: LoopResult;
  /** Steps planned. */
  totalSteps: number;
  /** Every metrics record of the run (all sessions). */
  records: readonly MetricRecord[];
  /** One step's FLOPs. */
  perStep: StepFlops;
  /** Seconds since the run (this session) started. */
  wallSeconds: number;
  /** The backend and adapter it ran on. */
  device: RunSummary["device"];
  /** Parameters of the masked-LM model. */
  parameters: number;
  /** The model's config. */
  modelConfig: BertConfig;
  /** The data trained on. */
  data: RunSummary["data"];
  /** The command line. */
  command: string;
}

/** The summary of a run that has saved its last checkpoint. */
export function summarizeRun(f: RunFacts): RunSummary {
  const { settings, loop } = f;
  const evals = f.records.filter((r): r is EvalRecord => r.kind === "eval");
  const stepTokens = settings.batch * settings.seq_len;
  return {
    name: runName(settings),
    out: f.out,
    status: loop.step < f.totalSteps ? "interrupted" : "completed",
    steps: loop.step,
    total_steps: f.totalSteps,
    ...totalsAt(loop.step, settings, f.perStep),
    wall_s: f.wallSeconds,
    train_s: loop.trainSeconds,
    tokens_per_s: loop.stepsRun > 0 ? (loop.stepsRun * stepTokens) / loop.trainSeconds : 0,
    host_share: loop.trainSeconds > 0 ? loop.waitMs / 1000 / loop.trainSeconds : 0,
    final_loss: loop.lastLoss ?? f.records.findLast((r) => r.kind === "train")?.loss ?? null,
    best_val_loss: evals.length > 0 ? Math.min(...evals.map((e) => e.val_loss)) : null,
    initial_val_loss: evals.find((e) => e.step === 0)?.val_loss ?? null,
    final_val_loss: evals.at(-1)?.val_loss ?? null,
    final_val_accuracy: evals.at(-1)?.val_accuracy ?? null,
    device: f.device,
    model: {
      preset: settings.init ? null : settings.preset,
      init: settings.init,
      parameters: f.parameters,
      hidden: f.modelConfig.hidden_size,
      layers: f.modelConfig.num_hidden_layers,
      heads: f.modelConfig.num_attention_heads,
    },
    data: f.data,
    command: f.command,
  };
}

/** The summary's file name inside the run directory, for scripts. */
export const SUMMARY_JSON = "summary.json";
/** The summary table's file name inside the run directory, for people. */
export const SUMMARY_MD = "summary.md";

/**
 * Writes `<dir>/summary.json` and `<dir>/summary.md`, each to a temporary name then renamed.
 *
 * @example
 * ```ts
 * import { type RunSummary, writeSummary } from "./summary.ts";
 * declare const summary: RunSummary;
 * await writeSummary(summary.out, summary);
 * ```
 * @throws {Error} naming the file that cannot be written
 */
export async function writeSummary(dir: string, summary: RunSummary): Promise<void> {
  const base = dir.replace(/\/+$/, "");
  await writeFileAtomic(`${base}/${SUMMARY_JSON}`, `${JSON.stringify(summary, null, 2)}\n`);
  await writeFileAtomic(`${base}/${SUMMARY_MD}`, formatSummaryMarkdown(summary));
}

/**
 * The lines printed at the end of a run (no trailing newline).
 *
 * @example
 * ```ts
 * import { formatSummary, type RunSummary } from "./summary.ts";
 * declare const summary: RunSummary;
 * console.log(formatSummary(summary));
 * // pretrain tiny-concentrated-concept: completed 400/400 steps in 8m12s (training 7m30s)
 * // loss 6.912 (last training step); validation loss 6.801 (final), 6.750 (best), accuracy 12.3%
 * // ...
 * ```
 */
export function formatSummary(summary: RunSummary): string {
  const s = summary;
  const verb = s.status === "completed" ? "completed" : "interrupted after";
  return [
    `pretrain ${s.name}: ${verb} ${s.steps}/${s.total_steps} steps in ${formatDuration(s.wall_s)} ` +
    `(training ${formatDuration(s.train_s)})`,
    `loss ${fixed(s.final_loss)} (last training step); validation loss ${fixed(s.final_val_loss)} (final), ` +
    `${fixed(s.best_val_loss)} (best), accuracy ${percent(s.final_val_accuracy)}`,
    ...(s.initial_val_loss !== null && s.final_val_loss !== null
      ? [`held-out loss ${fixed(s.initial_val_loss)} before, ${fixed(s.final_val_loss)} after`]
      : []),
    ...(s.probe ? [formatProbeLine(s.probe)] : []),
    `${grouped(s.tokens)} tokens; ${describeFlops({ sixND: s.flops_6nd, electra: s.flops_electra })}`,
    `${grouped(s.tokens_per_s)} tokens/s; ${percent(s.host_share)} of step time outside the device`,
    `device: ${s.device.backend}, ${s.device.adapter}`,
    s.status === "completed" ? `outputs: ${s.out}` : `outputs: ${s.out} (continue with --resume ${s.out})`,
  ].join("\n");
}

function formatProbeLine(p: NonNullable<RunSummary["probe"]>): string {
  const brief = (b: ProbeBrief) =>
    `P@1 ${b.p_at_1.toFixed(3)}, P@10 ${b.p_at_10.value.toFixed(3)} [${b.p_at_10.low.toFixed(3)}, ${
      b.p_at_10.high.toFixed(3)
    }], MRR ${b.mrr.toFixed(4)}`;
  return `probe (${p.after.facts} facts): ` + (p.before ? `before ${brief(p.before)}; ` : "") +
    `after ${brief(p.after)}; corpus-frequency baseline P@10 ${p.after.unigram_p_at_10.toFixed(3)}`;
}

/**
 * The `summary.md` text: what ran, the final and best numbers, FLOPs in both conventions, time and
 * device.
 */
export function formatSummaryMarkdown(summary: RunSummary): string {
  const s = summary;
  const start = s.model.init !== null
    ? `continued from ${s.model.init}`
    : `preset ${s.model.preset ?? "?"}, from scratch`;
  const rows: [string, string][] = [
    [
      "status",
      s.status === "completed" ? "completed" : "interrupted (checkpoint saved; `--resume` continues)",
    ],
    [
      "model",
      `${start}; ${compact(s.model.parameters)} parameters, hidden ${s.model.hidden}, ` +
      `${s.model.layers} layers, ${s.model.heads} heads`,
    ],
    [
      "data",
      `${s.data.source} (${s.data.path}); ${grouped(s.data.train_sequences)} training and ` +
      `${grouped(s.data.validation_sequences)} validation sequences`,
    ],
    ["masking", s.data.masking],
    ["steps", `${grouped(s.steps)} of ${grouped(s.total_steps)}`],
    ["tokens", grouped(s.tokens)],
    ["FLOPs, 6ND (6 x parameters x tokens)", s.flops_6nd.toExponential(3)],
    [
      "FLOPs, ELECTRA-style (matmuls incl. attention, backward = 2 x forward)",
      s.flops_electra.toExponential(3),
    ],
    ["training loss (last step)", fixed(s.final_loss)],
    ["validation loss (final / best)", `${fixed(s.final_val_loss)} / ${fixed(s.best_val_loss)}`],
    ["validation accuracy (final)", percent(s.final_val_accuracy)],
    ["wall time (training steps)", `${formatDuration(s.wall_s)} (${formatDuration(s.train_s)})`],
    ["throughput", `${grouped(s.tokens_per_s)} tokens/s`],
    ["step time outside the device", percent(s.host_share)],
    ["device", `${s.device.backend}: ${s.device.adapter}`],
    ["output", s.out],
  ];
  return [
    `# Pre-training run ${escapeCell(s.name)}`,
    "",
    "| | |",
    "|---|---|",
    ...rows.map(([key, value]) => `| ${key} | ${escapeCell(value)} |`),
    "",
    "Command:",
    "",
    "```sh",
    s.command,
    "```",
    "",
  ].join("\n");
}

function fixed(value: number | null): string {
  return value === null || !Number.isFinite(value) ? "n/a" : value.toFixed(3);
}

function percent(value: number | null): string {
  return value === null || !Number.isFinite(value) ? "n/a" : `${(100 * value).toFixed(1)}%`;
}

function grouped(value: number): string {
  return Math.round(value).toLocaleString("en-US");
}

/** 4,385,000 -> "4.39M". */
function compact(value: number): string {
  if (value >= 1e9) return `${(value / 1e9).toFixed(2)}B`;
  if (value >= 1e6) return `${(value / 1e6).toFixed(2)}M`;
  if (value >= 1e3) return `${(value / 1e3).toFixed(1)}k`;
  return String(value);
}

function escapeCell(text: string): string {
  return text.replaceAll("|", "\\|").replaceAll("\n", " ");
}
