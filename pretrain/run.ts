/**
 * A pre-training run, settings in, run folder out: the model (a preset from scratch, or `init`),
 * the compute budget in steps, the device and whether a micro-batch fits it, the data and the
 * masking, then the step loop ({@linkcode runSteps}), checkpoints ({@linkcode Checkpointer}),
 * metrics, `loss.svg` and the summary. A run resumed from its checkpoint continues with the losses
 * an uninterrupted run has.
 *
 * @example
 * ```ts
 * import { pretrain } from "./run.ts";
 *
 * const summary = await pretrain({ preset: "tiny", steps: 20, out: "out/runs/demo" });
 * console.log(summary.final_val_loss, summary.out);
 * ```
 * @module
 */
import { logToStderr } from "../util/stdio.ts";
import { UsageError } from "../config/errors.ts";
import type { BertConfig } from "../core/bert/config.ts";
import { BertMlm, initialParameters } from "../core/bert/model.ts";
import { bertShape } from "../core/bert/shape.ts";
import { MlmTrainer } from "../core/bert/trainer.ts";
import { loadBertDir } from "../core/checkpoint/bert_dir.ts";
import { runProbe } from "../probe/run.ts";
import { Gpu } from "../core/device.ts";
import { bertParameterCount, describeFlops, type StepFlops } from "../core/flops.ts";
import { cpuOps, gpuOps, type Ops } from "../core/ops.ts";
import { type LinearSchedule, linearWarmupSchedule } from "../core/schedule.ts";
import { ShardReader } from "../data/shards.ts";
import type { Vocab } from "../data/vocab.ts";
import { prepareMasking } from "../masking/prepare.ts";
import { maskingSettings } from "../masking/settings.ts";
import { writeFileAtomic } from "../util/atomic_write.ts";
import { timestamp } from "../util/output.ts";
import { BatchSource } from "./batches.ts";
import { Checkpointer } from "./checkpointer.ts";
import { prepareData } from "./data.ts";
import { RUNS_DIR } from "./runs.ts";
import { Validation } from "./evaluate.ts";
import { largestFittingBatch, misfit } from "./fit.ts";
import { writeLossPlot } from "./loss_plot.ts";
import { evaluateAt, runSteps } from "./loop.ts";
import { writeMetricsCsv } from "./metrics_csv.ts";
import { MetricsLog } from "./metrics_log.ts";
import { planSteps, PRETRAIN_SETTINGS, type PretrainSettings, runName, settingsJson } from "./settings.ts";
import { startingModel } from "./start.ts";
import { checkRunFolder, clearRunFolder, completedRun } from "./run_folder.ts";
import {
  TRAINER_STATE_FILE,
  trainerState,
  type TrainerStateFacts,
  trainerStateJson,
} from "./trainer_state.ts";
import { type ProbeBrief, type RunSummary, summarizeRun, writeSummary } from "./summary.ts";

/** How {@linkcode pretrain} runs, besides its settings. */
export interface PretrainOptions {
  /** Aborting (Ctrl-C) stops after the current step, saves a checkpoint and returns. */
  signal?: AbortSignal;
  /** Lines of progress (default: stderr). */
  log?: (line: string) => void;
  /** An open device to use (left open). */
  gpu?: Gpu;
  /**
   * Continue the run in `settings.out` from its checkpoint (its `config.json` holds the settings);
   * a completed run is left untouched and its summary returned.
   */
  resume?: boolean;
  /**
   * Start a new run in a folder that already holds files, removing those a run writes
   * (HuggingFace's `overwrite_output_dir`); without it such a folder is refused.
   */
  overwrite?: boolean;
  /** The command line, for the summary. */
  command?: string;
}

/** The folder of a run without `out`: `out/runs/<time>-<name>`. */
export function defaultRunDir(settings: PretrainSettings, date: Date = new Date()): string {
  return `${RUNS_DIR}/${timestamp(date)}-${runName(settings)}`;
}

/**
 * Runs (or, with `resume`, continues) the pre-training of `settings` (the rest of
 * {@linkcode PRETRAIN_SETTINGS} at its defaults); returns the summary, also written to the run
 * folder.
 *
 * @throws {UsageError} for bad settings, a budget below one step, a micro-batch the adapter cannot
 * hold or an `out` that holds files (without `overwrite`); {Error} for bad data or a device failure;
 * nothing is written before the inputs are checked
 */
export async function pretrain(
  settings: Partial<PretrainSettings>,
  options: PretrainOptions = {},
): Promise<RunSummary> {
  const config = PRETRAIN_SETTINGS.withDefaults(settings);
  const log = options.log ?? logToStderr;
  const resume = options.resume ?? false;
  if (resume && config.out === null) throw new UsageError("resuming needs out: the run's folder");
  const out = config.out ?? defaultRunDir(config);
  if (resume) {
    const done = await completedRun(out);
    if (done) {
      log(
        `pretrain: ${out} completed all ${done.total_steps} steps already; nothing to resume, nothing changed`,
      );
      return done;
    }
  } else await checkRunFolder(out, { overwrite: options.overwrite ?? false });
  log(`pretrain: ${resume ? "resuming" : "writing"} ${out}\n${settingsJson(config).trimEnd()}`);
  const wallStart = performance.now();

  const { modelConfig, vocabPath, vocab } = await startingModel(config);
  const init = config.init ? await loadBertDir(config.init, { head: "mlm" }) : null;
  if (config.seq_len > modelConfig.max_position_embeddings) {
    throw new UsageError(
      `seq_len ${config.seq_len} exceeds the model's max_position_embeddings ${modelConfig.max_position_embeddings}`,
    );
  }

  // The budget before any data work, so that a bad one fails at once.
  const plan = planSteps(config, modelConfig);
  const totalSteps = plan.steps;
  log(
    `pretrain: ${totalSteps} steps of ${config.batch} x ${config.seq_len} tokens` +
      (config.grad_accum > 1
        ? ` (${config.grad_accum} micro-batches of ${config.batch / config.grad_accum})`
        : "") +
      `, ${
        describeFlops({ sixND: plan.perStep.sixND * totalSteps, electra: plan.perStep.electra * totalSteps })
      }`,
  );

  const micro = config.batch / config.grad_accum;
  const microShape = { batch: micro, seq: config.seq_len, predictions: micro * config.max_predictions };
  let gpu = options.gpu ?? null;
  const opened = !gpu && config.backend !== "cpu";
  if (opened) gpu = await Gpu.open({ backend: config.backend, precision: config.precision });
  try {
    if (gpu) await checkFits(gpu, bertShape(modelConfig), microShape, config);
    const device = gpu
      ? { backend: gpu.backend, adapter: gpu.info.adapter }
      : { backend: "cpu", adapter: "CPU reference" };
    log(`pretrain: ${device.backend} on ${device.adapter}, precision ${config.precision}`);
    const context: RunContext = {
      config,
      out,
      log,
      vocab,
      vocabPath,
      modelConfig,
      initParams: init?.params ?? null,
      totalSteps,
      schedule: linearWarmupSchedule({
        baseLr: config.lr,
        totalSteps,
        ...(config.warmup < 1 ? { warmupRatio: config.warmup } : { warmupSteps: Math.round(config.warmup) }),
      }),
      perStep: plan.perStep,
      device,
      wallStart,
      microShape,
      signal: options.signal,
      resume,
      command: options.command ?? "",
    };
    const { precision } = config;
    const summary = gpu
      ? await train(gpuOps(gpu, { precision }), context)
      : await train(cpuOps("f32", { precision }), context);
    if (config.probe && summary.status === "completed") {
      const probeOf = (model: string, into: string) => probeBrief(model, into, config, gpu, log);
      summary.probe = {
        before: config.init ? await probeOf(config.init, `${out}/probe-start`) : null,
        after: await probeOf(`${out}/checkpoint`, `${out}/probe`),
      };
      await writeSummary(out, summary);
    }
    return summary;
  } finally {
    if (opened) gpu?.destroy();
  }
}

/** The probe's overall numbers for `model`, its files (`deno task probe`'s) in `into`. */
async function probeBrief(
  model: string,
  into: string,
  config: PretrainSettings,
  gpu: Gpu | null,
  log: (line: string) => void,
): Promise<ProbeBrief> {
  await Deno.remove(into, { recursive: true }).catch(() => {});
  const { results } = await runProbe(
    { model, corpus: config.corpus, backend: config.backend, out: into },
    { log: () => {}, ...(gpu ? { gpu } : {}), progress: { tty: false, log: () => {} } },
  );
  const o = results.overall;
  log(
    `pretrain: probe of ${model}: P@10 ${
      o.model.precisionAt10.value.toFixed(3)
    } on ${o.facts} facts (${results.out})`,
  );
  return {
    model,
    facts: o.facts,
    p_at_1: o.model.precisionAt1.value,
    p_at_10: o.model.precisionAt10,
    mrr: o.model.mrr.value,
    unigram_p_at_10: o.unigram.precisionAt10.value,
  };
}

/** Refuses a micro-batch the adapter cannot hold, naming the largest that fits. */
async function checkFits(
  gpu: Gpu,
  shape: ReturnType<typeof bertShape>,
  microShape: { batch: number; seq: number; predictions: number },
  config: PretrainSettings,
): Promise<void> {
  const limits = {
    maxBufferSize: gpu.info.limits.maxBufferSize!,
    maxStorageBufferBindingSize: gpu.info.limits.maxStorageBufferBindingSize!,
  };
  const why = await misfit(shape, microShape, limits);
  if (!why) return;
  const largest = await largestFittingBatch(
    shape,
    microShape.batch,
    config.seq_len,
    config.max_predictions,
    limits,
  );
  throw new UsageError(
    `a micro-batch of ${microShape.batch} x ${config.seq_len} does not fit ${gpu.info.adapter}: ${why}; ` +
      (largest > 0
        ? `the largest that fits is ${largest} (e.g. --grad-accum ${Math.ceil(config.batch / largest)})`
        : `not even one sequence fits`),
  );
}

interface RunContext {
  config: PretrainSettings;
  out: string;
  log: (line: string) => void;
  vocab: Vocab;
  vocabPath: string;
  modelConfig: BertConfig;
  initParams: Float32Array | null;
  totalSteps: number;
  schedule: LinearSchedule;
  perStep: StepFlops;
  device: { backend: string; adapter: string };
  wallStart: number;
  microShape: { batch: number; seq: number; predictions: number };
  signal?: AbortSignal;
  resume: boolean;
  command: string;
}

async function train<T>(ops: Ops<T>, c: RunContext): Promise<RunSummary> {
  const { config, out, log, vocab, totalSteps } = c;
  const data = await prepareData(config, c.vocabPath, log);
  const masking = await prepareMasking(maskingSettings(config), {
    vocab,
    totalSteps,
    log,
    // CCM's basic concepts are the frequent ones: counted on the training text's first sequences.
    sample: () => firstSequences(data.train, 20_000),
  });
  const micro = c.microShape.batch;
  const source = await BatchSource.open(data.train, {
    batch: config.batch,
    microBatch: micro,
    seed: config.seed,
    masker: masking.masker,
    vocab,
    matcher: masking.matcher,
  });
  try {
    const validation = data.validation
      ? await Validation.open(data.validation, {
        microBatch: micro,
        maxBatches: config.eval_batches,
        seed: config.seed,
        vocab,
        maxPredictions: config.max_predictions,
      })
      : null;
    log(
      `data: ${data.source} text, ${source.sequences} train sequences` +
        (validation
          ? `, ${validation.batches.length} validation batches of ${micro}`
          : ", no validation split"),
    );

    // Nothing is written (or, with overwrite, removed) before the inputs are known good.
    if (!c.resume) await clearRunFolder(out);
    await Deno.mkdir(out, { recursive: true });
    if (!c.resume) await writeFileAtomic(`${out}/config.json`, settingsJson(config));

    const model = new BertMlm(ops, bertShape(c.modelConfig), c.microShape);
    const trainer = new MlmTrainer(ops, model, {
      weightDecay: config.weight_decay,
      maxGradNorm: config.max_grad_norm,
    });
    let metrics: MetricsLog | null = null;
    const stateAt = (step: number, final?: TrainerStateFacts["final"]) =>
      trainerStateJson(trainerState({
        step,
        totalSteps,
        records: metrics?.records() ?? [],
        trainSequences: source.sequences,
        settings: config,
        flops6ndPerStep: c.perStep.sixND,
        ...(final ? { final } : {}),
      }));
    const checkpoints = new Checkpointer(out, {
      ops,
      model,
      trainer,
      modelConfig: c.modelConfig,
      vocabPath: c.vocabPath,
      meta: { total_steps: totalSteps, config: JSON.parse(settingsJson(config)) },
      files: (step) => ({ [TRAINER_STATE_FILE]: stateAt(step) }),
      saveTotalLimit: config.save_total_limit,
      log,
    });
    let startStep = 0;
    if (c.resume) {
      startStep = await checkpoints.restore();
      if (startStep > totalSteps) {
        throw new Error(
          `Cannot resume ${out}: its checkpoint (${checkpoints.dir}/optimizer.safetensors) is at step ` +
            `${startStep}, past the run's ${totalSteps} steps`,
        );
      }
      log(`pretrain: resuming ${out} at step ${startStep} of ${totalSteps}`);
    } else {
      ops.write(
        model.params,
        c.initParams ?? initialParameters(model.layout, c.modelConfig.initializer_range, config.seed),
      );
    }
    metrics = await MetricsLog.open(out, { resumeAtStep: startStep, warn: log });
    const parts = {
      settings: config,
      ops,
      model,
      trainer,
      source,
      validation,
      metrics,
      checkpoints,
      schedule: c.schedule,
      perStep: c.perStep,
      totalSteps,
      wallStart: c.wallStart,
      signal: c.signal,
    };
    // The starting point is evaluated once, before training.
    const first = startStep === 0 ? await evaluateAt(parts, 0) : null;
    if (first) {
      log(`step 0: val_loss ${first.val_loss.toFixed(4)} val_accuracy ${first.val_accuracy.toFixed(4)}`);
    }
    const loop = await runSteps(parts, startStep, first);
    const interrupted = loop.step < totalSteps;
    if (interrupted) log(`pretrain: interrupted at step ${loop.step}; saving a checkpoint to resume from`);
    // A run resumed after its last save but before its summary has its checkpoint already.
    if (loop.stepsRun > 0 || !c.resume) await checkpoints.save(loop.step);
    const records = metrics.records();
    metrics.close();
    await writeMetricsCsv(`${out}/metrics.csv`, records);
    await writeLossPlot(`${out}/loss.svg`, records, { title: runName(config) });
    const summary = summarizeRun({
      settings: config,
      out,
      loop,
      totalSteps,
      records,
      perStep: c.perStep,
      wallSeconds: (performance.now() - c.wallStart) / 1000,
      device: c.device,
      parameters: bertParameterCount(c.modelConfig, "mlm"),
      modelConfig: c.modelConfig,
      data: {
        source: data.source,
        path: data.text.join(", "),
        train_sequences: source.sequences,
        validation_sequences: validation ? validation.batches.length * micro : 0,
        masking: config.masking,
      },
      command: c.command,
    });
    await writeSummary(out, summary);
    await writeFileAtomic(
      `${out}/${TRAINER_STATE_FILE}`,
      stateAt(
        loop.step,
        interrupted ? undefined : { trainSeconds: summary.train_s, tokensPerSecond: summary.tokens_per_s },
      ),
    );
    log(
      `pretrain: host work ${(loop.hostMs / 1000).toFixed(1)} s overlapped with the device; ` +
        `the device waited ${(loop.waitMs / 1000).toFixed(2)} s for data (${
          (100 * summary.host_share).toFixed(1)
        }% of training)`,
    );
    return summary;
  } finally {
    source.close();
  }
}

/** The first `count` sequences of a shard (fewer if it holds fewer). */
async function firstSequences(path: string, count: number): Promise<Int32Array[]> {
  const reader = await ShardReader.open(path);
  try {
    const n = Math.min(reader.header.sequences, count);
    const T = reader.header.seqLen;
    const ids = await reader.read(0, n);
    return Array.from({ length: n }, (_, s) => Int32Array.from(ids.subarray(s * T, (s + 1) * T)));
  } finally {
    reader.close();
  }
}
