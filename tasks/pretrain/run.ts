/**
 * The pre-training run: data, model, the step loop with evaluation, checkpoints and metrics, Ctrl-C
 * and resume. Everything the loop needs for step k is a function of (config, k), so a run resumed
 * from a checkpoint at step k continues with the losses an uninterrupted run has.
 * @module
 */
import { type BertConfig, bertPreset } from "../../core/bert/config.ts";
import { BertMlm, initialParameters } from "../../core/bert/model.ts";
import { bertShape } from "../../core/bert/shape.ts";
import { MlmTrainer } from "../../core/bert/trainer.ts";
import {
  loadBertDir,
  loadTrainingState,
  saveBertDir,
  saveTrainingState,
} from "../../core/checkpoint/bert_dir.ts";
import { Gpu } from "../../core/device.ts";
import { bertParameterCount, describeFlops, stepFlops, stepsForBudget } from "../../core/flops.ts";
import { cpuOps, gpuOps, type Ops } from "../../core/ops.ts";
import { linearWarmupSchedule } from "../../core/schedule.ts";
import { ConceptMatcher } from "../../data/concept_matcher.ts";
import { loadConceptNet } from "../../data/conceptnet.ts";
import { ShardReader } from "../../data/shards.ts";
import { DEFAULT_VOCAB, loadVocab, type Vocab } from "../../data/vocab.ts";
import type { MaskedBatch } from "../masking/batch.ts";
import { curriculumStages, evenBoundaries } from "../masking/curriculum.ts";
import { createMasker } from "../masking/strategies.ts";
import { BatchSource } from "./batches.ts";
import { configJson, type PretrainConfig, runName } from "./config.ts";
import { prepareData } from "./data.ts";
import { Validation } from "./evaluate.ts";
import { largestFittingBatch, misfit } from "./fit.ts";
import { writeLossPlot } from "./loss_plot.ts";
import { writeMetricsCsv } from "./metrics_csv.ts";
import { type EvalRecord, MetricsLog, type StepRecord } from "./metrics_log.ts";
import { Progress } from "./progress.ts";
import { formatSummary, type RunSummary, writeSummary } from "./summary.ts";
import { writeFileAtomic } from "../_atomic_write.ts";

/** Options of {@linkcode runPretrain} that are not part of the saved config. */
export interface RunOptions {
  /** Aborting (Ctrl-C) stops after the current step, saves a checkpoint and returns. */
  signal?: AbortSignal;
  /** Lines of progress (default: stderr). */
  log?: (line: string) => void;
  /** An open device to use (left open). */
  gpu?: Gpu;
  /** Continue the run in this directory (its config.json is `config`). */
  resume?: boolean;
  /** The command line, for the summary. */
  command?: string;
}

/** Runs `config` in `out`; returns the summary (also written to `out`). */
export async function runPretrain(
  config: PretrainConfig,
  out: string,
  options: RunOptions = {},
): Promise<RunSummary> {
  const log = options.log ?? ((line: string) => console.error(line));
  const wallStart = performance.now();
  // ---- model config and vocab
  const init = config.init ? await loadBertDir(config.init, { head: "mlm" }) : null;
  const vocabPath = config.init && await isFile(`${config.init}/vocab.txt`)
    ? `${config.init}/vocab.txt`
    : DEFAULT_VOCAB;
  const vocab = await loadVocab(vocabPath);
  const modelConfig: BertConfig = init?.config ?? bertPreset(config.preset, { vocab_size: vocab.size });
  if (vocab.size > modelConfig.vocab_size) {
    throw new Error(
      `Cannot train: vocab ${vocabPath} has ${vocab.size} ids, the model only ${modelConfig.vocab_size}`,
    );
  }
  if (config.seq_len > modelConfig.max_position_embeddings) {
    throw new Error(
      `Cannot train: --seq-len ${config.seq_len} exceeds the model's max_position_embeddings ${modelConfig.max_position_embeddings}`,
    );
  }
  const shape = bertShape(modelConfig);

  // ---- compute budget, before any data work, so a bad budget fails at once
  const perStep = stepFlops(modelConfig, {
    head: "mlm",
    batch: config.batch,
    seq: config.seq_len,
    predictionsPerSequence: config.max_predictions,
  });
  const stepCost = config.flops_convention === "6nd" ? perStep.sixND : perStep.electra;
  if (config.flops !== null && config.flops < stepCost) {
    throw new Error(
      `Cannot train: --flops ${config.flops.toExponential(2)} is less than one step (${
        stepCost.toExponential(2)
      } ${config.flops_convention} FLOPs at batch ${config.batch} x ${config.seq_len})`,
    );
  }
  const totalSteps = config.steps ?? stepsForBudget(config.flops!, stepCost);
  const schedule = linearWarmupSchedule({
    baseLr: config.lr,
    totalSteps,
    ...(config.warmup < 1 ? { warmupRatio: config.warmup } : { warmupSteps: Math.round(config.warmup) }),
  });
  log(
    `pretrain: ${totalSteps} steps of ${config.batch} x ${config.seq_len} tokens` +
      (config.grad_accum > 1
        ? ` (${config.grad_accum} micro-batches of ${config.batch / config.grad_accum})`
        : "") +
      `, ${describeFlops({ sixND: perStep.sixND * totalSteps, electra: perStep.electra * totalSteps })}`,
  );

  // ---- device, and whether a micro-batch fits it
  const micro = config.batch / config.grad_accum;
  const microShape = { batch: micro, seq: config.seq_len, predictions: micro * config.max_predictions };
  let gpu = options.gpu ?? null;
  const opened = !gpu && config.backend !== "cpu";
  if (opened) gpu = await Gpu.open({ backend: config.backend });
  try {
    if (gpu) {
      const limits = {
        maxBufferSize: gpu.info.limits.maxBufferSize!,
        maxStorageBufferBindingSize: gpu.info.limits.maxStorageBufferBindingSize!,
      };
      const why = await misfit(shape, microShape, limits);
      if (why) {
        const largest = await largestFittingBatch(
          shape,
          micro,
          config.seq_len,
          config.max_predictions,
          limits,
        );
        throw new Error(
          `Cannot train: a micro-batch of ${micro} x ${config.seq_len} does not fit ${gpu.info.adapter}: ${why}; ` +
            (largest > 0
              ? `the largest that fits is ${largest} (e.g. --grad-accum ${Math.ceil(config.batch / largest)})`
              : `not even one sequence fits`),
        );
      }
    }
    const device = gpu
      ? { backend: gpu.backend, adapter: gpu.info.adapter }
      : { backend: "cpu", adapter: "CPU reference" };
    log(`pretrain: ${device.backend} on ${device.adapter}`);
    const context: TrainContext = {
      config,
      out,
      log,
      vocab,
      vocabPath,
      modelConfig,
      shape,
      initParams: init?.params ?? null,
      totalSteps,
      schedule,
      perStep,
      device,
      wallStart,
      microShape,
      signal: options.signal,
      resume: options.resume ?? false,
      command: options.command ?? "",
    };
    return gpu ? await train(gpuOps(gpu), context) : await train(cpuOps("f32"), context);
  } finally {
    if (opened) gpu?.destroy();
  }
}

interface TrainContext {
  config: PretrainConfig;
  out: string;
  log: (line: string) => void;
  vocab: Vocab;
  vocabPath: string;
  modelConfig: BertConfig;
  shape: ReturnType<typeof bertShape>;
  initParams: Float32Array | null;
  totalSteps: number;
  schedule: ReturnType<typeof linearWarmupSchedule>;
  perStep: ReturnType<typeof stepFlops>;
  device: { backend: string; adapter: string };
  wallStart: number;
  microShape: { batch: number; seq: number; predictions: number };
  signal?: AbortSignal;
  resume: boolean;
  command: string;
}

async function train<T>(ops: Ops<T>, c: TrainContext): Promise<RunSummary> {
  const { config, out, log, vocab, totalSteps, schedule, perStep } = c;

  // ---- data and masking
  const data = await prepareData(config, c.vocabPath, log);
  const concept = config.masking === "concept" || config.masking === "curriculum";
  const matcher = concept ? await conceptMatcher(config.conceptnet, log) : null;
  const masker = createMasker(config.masking, {
    vocab,
    maxPredictions: config.max_predictions,
    ...(config.masking === "curriculum"
      ? await curriculum(matcher!, data.train, vocab, totalSteps, log)
      : {}),
  });
  const micro = c.microShape.batch;
  const source = await BatchSource.open(data.train, {
    batch: config.batch,
    microBatch: micro,
    seed: config.seed,
    masker,
    vocab,
    matcher: matcher?.matcher ?? null,
  });
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

  // Nothing is written before the inputs are known good.
  await Deno.mkdir(out, { recursive: true });
  if (!c.resume) await writeFileAtomic(`${out}/config.json`, configJson(config));

  // ---- model, optimizer, and the state to resume from
  const model = new BertMlm(ops, c.shape, c.microShape);
  const trainer = new MlmTrainer(ops, model, {
    weightDecay: config.weight_decay,
    maxGradNorm: config.max_grad_norm,
  });
  let startStep = 0;
  if (c.resume) {
    const loaded = await loadBertDir(`${out}/checkpoint`, { head: "mlm" });
    ops.write(model.params, loaded.params);
    const state = await loadTrainingState(`${out}/checkpoint`, { parameters: model.layout.size });
    trainer.restore(state.step, state.m, state.v);
    startStep = state.step;
    log(`pretrain: resuming ${out} at step ${startStep} of ${totalSteps}`);
  } else {
    ops.write(
      model.params,
      c.initParams ?? initialParameters(model.layout, c.modelConfig.initializer_range, config.seed),
    );
  }
  const metrics = await MetricsLog.open(out, { resumeAtStep: startStep });
  const stepTokens = config.batch * config.seq_len;
  const totals = (step: number) => ({
    tokens: step * stepTokens,
    flops_6nd: step * perStep.sixND,
    flops_electra: step * perStep.electra,
  });

  const saveCheckpoint = async (step: number) => {
    const tmp = `${out}/checkpoint.tmp`;
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
    await saveBertDir(tmp, { ops, model, config: c.modelConfig, vocabPath: c.vocabPath });
    await saveTrainingState(tmp, {
      ops,
      trainer,
      meta: { step, total_steps: totalSteps, config: JSON.parse(configJson(config)) },
    });
    // The previous checkpoint stays until the new one has its name.
    const old = `${out}/checkpoint.old`;
    await Deno.remove(old, { recursive: true }).catch(() => {});
    await Deno.rename(`${out}/checkpoint`, old).catch(() => {});
    await Deno.rename(tmp, `${out}/checkpoint`);
    await Deno.remove(old, { recursive: true }).catch(() => {});
  };
  const evaluate = async (step: number, elapsed: number) => {
    if (!validation) return null;
    const e = await validation.evaluate(ops, model);
    const record: EvalRecord = {
      kind: "eval",
      step,
      val_loss: e.loss,
      val_accuracy: e.accuracy,
      ...totals(step),
      elapsed_s: elapsed,
    };
    await metrics.append(record);
    return record;
  };

  // ---- the loop, after a first evaluation of the starting point
  let lastEval: EvalRecord | null = startStep === 0
    ? await evaluate(0, (performance.now() - c.wallStart) / 1000)
    : null;
  if (lastEval) {
    log(`step 0: val_loss ${lastEval.val_loss.toFixed(4)} val_accuracy ${lastEval.val_accuracy.toFixed(4)}`);
  }
  const progress = new Progress({ total: totalSteps, startStep });
  const trainStart = performance.now();
  let hostMs = 0, waitMs = 0;
  let lastLoss: number | null = null;
  let stepsRun = 0;
  const prepare = async (step: number): Promise<MaskedBatch[]> => {
    const t = performance.now();
    const batches: MaskedBatch[] = [];
    for (let k = 0; k < config.grad_accum; k++) batches.push(await source.batch(step, k));
    hostMs += performance.now() - t;
    return batches;
  };
  let step = startStep;
  let next: Promise<MaskedBatch[]> | null = step < totalSteps ? prepare(step + 1) : null;
  try {
    while (step < totalSteps && !c.signal?.aborted) {
      const waitStart = performance.now();
      const batches = await next!;
      waitMs += performance.now() - waitStart;
      step++;
      const logged = step % config.log_every === 0 || step === totalSteps;
      const lr = schedule.lr(step - 1);
      const pending = trainer.trainAccumulated(batches, lr, { accuracy: logged });
      // Let the step's submit go out, then mask the next batch while the device works.
      await new Promise((resolve) => setTimeout(resolve, 0));
      next = step < totalSteps ? prepare(step + 1) : null;
      const result = await pending;
      stepsRun++;
      lastLoss = result.loss;
      if (!Number.isFinite(result.loss)) {
        throw new Error(`Training diverged at step ${step}: loss ${result.loss} (try a lower --lr)`);
      }
      const elapsed = (performance.now() - c.wallStart) / 1000;
      const trainSeconds = (performance.now() - trainStart) / 1000;
      const tokensPerS = (stepsRun * stepTokens) / trainSeconds;
      if (logged) {
        const record: StepRecord = {
          kind: "train",
          step,
          loss: result.loss,
          ...(result.accuracy !== undefined ? { accuracy: result.accuracy } : {}),
          lr,
          ...totals(step),
          tokens_per_s: tokensPerS,
          elapsed_s: elapsed,
        };
        await metrics.append(record);
      }
      if ((config.eval_every > 0 && step % config.eval_every === 0) || step === totalSteps) {
        lastEval = await evaluate(step, elapsed) ?? lastEval;
        if (lastEval?.step === step) {
          progress.message(
            `step ${step}: val_loss ${lastEval.val_loss.toFixed(4)} val_accuracy ${
              lastEval.val_accuracy.toFixed(4)
            }`,
          );
        }
      }
      progress.update({ step, loss: result.loss, tokensPerS, lr, valLoss: lastEval?.val_loss });
      if (config.save_every > 0 && step % config.save_every === 0 && step < totalSteps) {
        await saveCheckpoint(step);
      }
    }
  } finally {
    progress.stop();
    await next?.catch(() => {});
    source.close();
  }
  const interrupted = step < totalSteps;
  if (interrupted) log(`pretrain: interrupted at step ${step}; saving a checkpoint to resume from`);
  await saveCheckpoint(step);
  const records = metrics.records();
  metrics.close();
  await writeMetricsCsv(`${out}/metrics.csv`, records);
  await writeLossPlot(`${out}/loss.svg`, records, { title: runName(config) });
  const trainS = (performance.now() - trainStart) / 1000;
  const evals = records.filter((r): r is EvalRecord => r.kind === "eval");
  const summary: RunSummary = {
    name: runName(config),
    out,
    status: interrupted ? "interrupted" : "completed",
    steps: step,
    total_steps: totalSteps,
    ...totals(step),
    wall_s: (performance.now() - c.wallStart) / 1000,
    train_s: trainS,
    tokens_per_s: stepsRun > 0 ? (stepsRun * stepTokens) / trainS : 0,
    host_share: trainS > 0 ? waitMs / 1000 / trainS : 0,
    final_loss: lastLoss,
    best_val_loss: evals.length > 0 ? Math.min(...evals.map((e) => e.val_loss)) : null,
    final_val_loss: evals.at(-1)?.val_loss ?? null,
    final_val_accuracy: evals.at(-1)?.val_accuracy ?? null,
    device: c.device,
    model: {
      preset: config.init ? null : config.preset,
      init: config.init,
      parameters: bertParameterCount(c.modelConfig, "mlm"),
      hidden: c.modelConfig.hidden_size,
      layers: c.modelConfig.num_hidden_layers,
      heads: c.modelConfig.num_attention_heads,
    },
    data: {
      source: data.source,
      path: data.text.join(", "),
      train_sequences: source.sequences,
      validation_sequences: validation ? validation.batches.length * micro : 0,
      masking: config.masking,
    },
    command: c.command,
  };
  await writeSummary(out, summary);
  log(
    `pretrain: host work ${(hostMs / 1000).toFixed(1)} s overlapped with the device; ` +
      `the device waited ${(waitMs / 1000).toFixed(2)} s for data (${
        (100 * summary.host_share).toFixed(1)
      }% of training)`,
  );
  console.log(formatSummary(summary));
  return summary;
}

async function conceptMatcher(path: string, log: (line: string) => void) {
  const start = performance.now();
  const { graph } = await loadConceptNet(path);
  if (graph.conceptCount === 0) throw new Error(`Cannot mask concepts: ${path} has no English concepts`);
  const matcher = ConceptMatcher.fromGraph(graph);
  log(
    `masking: ${graph.conceptCount} concepts, ${graph.edgeCount} edges from ${path} (${
      ((performance.now() - start) / 1000).toFixed(1)
    } s)`,
  );
  return { graph, matcher };
}

// CCM's curriculum: basic concepts by degree among those frequent in the training text (counted on
// its first sequences), then 1-hop growth; the first fifth of the steps is plain MLM, then 4 stages.
async function curriculum(
  m: Awaited<ReturnType<typeof conceptMatcher>>,
  trainPath: string,
  vocab: Vocab,
  totalSteps: number,
  log: (line: string) => void,
) {
  const reader = await ShardReader.open(trainPath);
  const count = Math.min(reader.header.sequences, 20_000);
  const ids = await reader.read(0, count);
  const T = reader.header.seqLen;
  reader.close();
  const frequency = new Uint32Array(m.graph.conceptCount);
  for (let s = 0; s < count; s++) {
    for (const span of m.matcher.matchTokens(ids.subarray(s * T, (s + 1) * T), vocab)) {
      frequency[span.concept]!++;
    }
  }
  const stages = curriculumStages(m.graph, frequency);
  const boundaries = evenBoundaries(Math.floor(totalSteps / 5), totalSteps, stages.length);
  log(
    `masking: curriculum stages of ${stages.map((s) => s.size).join(", ")} concepts from steps ${
      boundaries.join(", ")
    }`,
  );
  return { stages, boundaries };
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch {
    return false;
  }
}
