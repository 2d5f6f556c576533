/**
 * Concentrated learning for BERT on any WebGPU adapter, as a library: concentrate a corpus with
 * ConceptNet, mask it, pre-train, fine-tune and score GLUE, fill masks, and run the paper's
 * experiment; underneath, the device layer, every kernel as WGSL with a CPU twin, the BERT model and
 * HuggingFace-format checkpoints.
 *
 * Every entry point takes its settings as an object with the keys of the matching command's flags
 * (`grad_accum` for `--grad-accum`), checked by the same schema; unset keys take the defaults.
 *
 * @example
 * ```ts
 * import { fillMask, formatFillMask, pretrain } from "./mod.ts";
 *
 * const run = await pretrain({ preset: "tiny", steps: 20, out: "out/runs/library-demo" });
 * console.log(run.final_val_loss);
 * const filled = await fillMask({ model: `${run.out}/checkpoint`, text: "the cat sat on the [MASK]." });
 * console.log(formatFillMask(filled));
 * ```
 * @module
 */
// The libraries: what the commands run.
export * from "./masking/mod.ts";
export * from "./pretrain/mod.ts";
export * from "./glue/mod.ts";
export * from "./experiment/mod.ts";
export * from "./data/mod.ts";
export * from "./data/concentrate/mod.ts";
export * from "./probe/mod.ts";
export { UsageError } from "./config/errors.ts";
export type { DeriveOptions, FieldInfo, FieldKind, SettingsLayer, SettingsSpec } from "./config/settings.ts";
export type { ProgressOptions, ProgressStream } from "./util/progress.ts";
export type { ByteWriter } from "./util/atomic_write.ts";
export { keyedRng, Rng } from "./util/rng.ts";
export type { VegaLiteSpec } from "./util/vega.ts";

// The machinery: device, kernels, model, checkpoints, FLOPs.
export {
  BACKEND_NAMES,
  type BackendName,
  chooseBackend,
  f32,
  type F32Param,
  Gpu,
  type GpuBackend,
  type GpuInfo,
  type GpuTensor,
  i32,
  type I32Param,
  type KernelSpec,
  type Param,
} from "./core/device.ts";
export { MIXED_FEATURE, type Precision, PRECISIONS } from "./core/precision.ts";
export {
  DEFAULT_LOSS_SCALER,
  LossScaler,
  type LossScalerOptions,
  type LossScalerState,
} from "./core/loss_scaler.ts";
export {
  type Capabilities,
  capabilities,
  type PrecisionSupport,
  type SubgroupMatrixConfig,
} from "./core/capabilities.ts";
/** The CPU twins of the kernels: plain loops with float64 accumulation, the reference for every WGSL op. */
export * as cpu from "./core/cpu/mod.ts";
/** The device ops: each records its WGSL kernel(s) on a {@linkcode Gpu}; names and arguments as in `cpu`. */
export * as webgpu from "./core/webgpu/mod.ts";
export type {
  AdamWMultiOptions,
  AdamWOptions,
  BiasShape,
  ClipShape,
  CrossEntropyBackwardShape,
  CrossEntropyShape,
  DropoutShape,
  ElementwiseShape,
  EmbeddingBackwardShape,
  EmbeddingShape,
  FillShape,
  GatherShape,
  HeadsShape,
  LayerNormOptions,
  LayerNormShape,
  MatmulShape,
  MseBackwardShape,
  MseShape,
  NormShape,
  ResidualShape,
  SoftmaxOptions,
  SumShape,
} from "./core/cpu/mod.ts";
export { cpuOps, type CpuTensor, gpuOps, type Ops } from "./core/ops.ts";
export {
  BertEncoder,
  type BertShape,
  type EncoderInputs,
  EncoderModel,
  type SequenceShape,
} from "./core/bert/encoder.ts";
export type { Layout, LayoutEntry } from "./core/bert/layout.ts";
export { bertShape } from "./core/bert/shape.ts";
export {
  type BackwardOptions,
  type BatchShape,
  BertMlm,
  type HostBatch,
  IGNORE_LABEL,
  initialParameters,
  mlmParameters,
  type StepTensors,
} from "./core/bert/model.ts";
export { BertClassifier, type ClassifierBatch, classifierParameters } from "./core/bert/classifier.ts";
export {
  type GenericTrainerOptions,
  MlmTrainer,
  type StepResult,
  type TrainableModel,
  Trainer,
  type TrainerExtraState,
  trainerExtraState,
  type TrainerOptions,
} from "./core/bert/trainer.ts";
export {
  loadBertClassifierDir,
  type LoadBertClassifierOptions,
  loadBertDir,
  type LoadBertDirOptions,
  type LoadedBert,
  type LoadedBertClassifier,
  loadTrainingState,
  type LoadTrainingStateOptions,
  saveBertClassifierDir,
  type SaveBertClassifierDirOptions,
  saveBertDir,
  type SaveBertDirOptions,
  saveTrainingState,
  type SaveTrainingStateOptions,
} from "./core/checkpoint/bert_dir.ts";
export type { Json, OptimizerState } from "./core/checkpoint/optimizer_state.ts";
export * from "./core/bert/config.ts";
export * from "./core/flops.ts";
export * from "./core/schedule.ts";
export * from "./core/checkpoint/safetensors.ts";
export { convertBertDir } from "./core/checkpoint/convert.ts";
