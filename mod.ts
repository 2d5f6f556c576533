/**
 * BERT pre-training on any WebGPU adapter: the device layer, every kernel as WGSL with a CPU twin.
 *
 * @example
 * ```ts
 * import { cpu, Gpu, webgpu } from "./mod.ts";
 *
 * const gpu = await Gpu.open({ backend: "auto" });
 * const x = gpu.upload(new Float32Array([-1, 0, 1]), "x");
 * const y = gpu.tensor(3, "y");
 * webgpu.geluForward(gpu, y, x, { n: 3 });
 * console.log(await gpu.read(y)); // ≈ [-0.1587, 0, 0.8413]
 *
 * const ref = new Float64Array(3);
 * cpu.geluForward(ref, Float64Array.of(-1, 0, 1), { n: 3 });
 * gpu.destroy();
 * ```
 * @module
 */
export {
  type BackendName,
  chooseBackend,
  f32,
  Gpu,
  type GpuBackend,
  type GpuInfo,
  type GpuTensor,
  i32,
} from "./core/device.ts";
export * as cpu from "./core/cpu/mod.ts";
export * as webgpu from "./core/webgpu/mod.ts";
export * as data from "./data/mod.ts";
export { cpuOps, type CpuTensor, gpuOps, type Ops } from "./core/ops.ts";
export { BertEncoder, type BertShape, type SequenceShape } from "./core/bert/encoder.ts";
export {
  type BackwardOptions,
  type BatchShape,
  BertMlm,
  type HostBatch,
  initialParameters,
  mlmParameters,
} from "./core/bert/model.ts";
export { BertClassifier, type ClassifierBatch, classifierParameters } from "./core/bert/classifier.ts";
export {
  MlmTrainer,
  type StepResult,
  type TrainableModel,
  Trainer,
  type TrainerOptions,
} from "./core/bert/trainer.ts";
export {
  loadBertClassifierDir,
  loadBertDir,
  loadTrainingState,
  saveBertClassifierDir,
  saveBertDir,
  saveTrainingState,
} from "./core/checkpoint/bert_dir.ts";
export * from "./core/bert/config.ts";
export * from "./core/flops.ts";
export * from "./core/schedule.ts";
export * from "./core/checkpoint/safetensors.ts";
