/**
 * `train_step` and `train_step_base`: masked-LM training steps of the tiny, mini and small presets
 * (or BERT-base) at batch B x 128 with 15% of positions predicted, in tokens/s per precision, plus
 * the forward-only rate; with `torch`, the same step in PyTorch (bench/reference/torch_train_step.py)
 * on the same kind of device, beside ours, and the ratio.
 * @module
 */
import type { Gpu } from "../core/device.ts";
import type { Precision } from "../core/precision.ts";
import { gpuOps, type Ops } from "../core/ops.ts";
import { BertMlm, type BertShape, type HostBatch, initialParameters } from "../core/bert/model.ts";
import { MlmTrainer } from "../core/bert/trainer.ts";
import { bertPreset, type BertPresetName } from "../core/bert/config.ts";
import { bertShape } from "../core/bert/shape.ts";
import { median } from "./timing.ts";
import type { BenchResult } from "./timing.ts";

function randomBatch(batch: number, seq: number, perSequence: number, vocab: number): HostBatch {
  let x = 7;
  const next = () => (x = (Math.imul(x, 1103515245) + 12345) >>> 0);
  const n = batch * seq;
  const ids = Int32Array.from({ length: n }, () => 1000 + (next() % (vocab - 1000)));
  const positions = new Int32Array(batch * perSequence);
  const labels = new Int32Array(batch * perSequence);
  for (let b = 0; b < batch; b++) {
    const chosen = new Set<number>();
    while (chosen.size < perSequence) chosen.add(1 + (next() % (seq - 2)));
    [...chosen].sort((p, q) => p - q).forEach((t, j) => {
      positions[b * perSequence + j] = b * seq + t;
      labels[b * perSequence + j] = ids[b * seq + t]!;
    });
  }
  return { ids, typeIds: new Int32Array(n), attentionMask: new Int32Array(n).fill(1), positions, labels };
}

// Times a few steps of a fresh model on `ops` (warm-up first); returns the median milliseconds.
async function stepMs<T>(ops: Ops<T>, shape: BertShape, batch: number, seq: number, host: HostBatch) {
  const model = new BertMlm(ops, shape, { batch, seq, predictions: host.positions.length });
  ops.write(model.params, initialParameters(model.layout, 0.02, 1));
  const trainer = new MlmTrainer(ops, model);
  await trainer.trainStep(host, 1e-4);
  const steps: number[] = [];
  for (let r = 0; r < 2; r++) {
    const start = performance.now();
    await trainer.trainStep(host, 1e-4);
    steps.push(performance.now() - start);
  }
  const forwards: number[] = [];
  for (let r = 0; r < 2; r++) {
    const start = performance.now();
    model.setBatch(host);
    await ops.read(model.forward(0, false).loss);
    forwards.push(performance.now() - start);
  }
  return { step: median(steps), forward: median(forwards) };
}

const MATMUL_OPS = new Set(["matmulForward", "matmulBackward"]);
const PLUMBING = new Set(["tensor", "upload", "write", "view", "read", "readInt", "flush"]);

// The same ops with every kernel but the matmuls (and the bias gradients inside their backward)
// turned into no-ops: a step on it costs what the matmuls cost, whatever the values computed.
function matmulsOnly<T>(ops: Ops<T>): Ops<T> {
  return new Proxy(ops, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof prop !== "string" || typeof value !== "function") return value;
      return MATMUL_OPS.has(prop) || PLUMBING.has(prop) ? value : () => {};
    },
  });
}

/** Options of {@linkcode trainStepBench}. */
export interface TrainStepOptions {
  /** Sequences per batch (x 128 tokens). */
  batch: number;
  /** The precisions to time, each preset in turn. */
  precisions: readonly Precision[];
  /** Also time the PyTorch reference on the same kind of device, and give the ratio. */
  torch: boolean;
  /** Where progress notes go. */
  log?: (line: string) => void;
}

/**
 * Tokens/s of full steps and of forwards for each preset and precision, and the matmuls' share of a
 * step's time (`train_step_<preset>`, `forward_<preset>`, `train_step_<preset>_matmul_share`); with
 * `torch`, PyTorch's tokens/s (`train_step_<preset>_torch`) and ours over PyTorch's
 * (`train_step_<preset>_vs_torch`).
 *
 * @throws {Error} when `torch` is set and PyTorch cannot run the step (one line saying why)
 */
export async function trainStepBench(
  gpu: Gpu,
  names: readonly BertPresetName[],
  options: TrainStepOptions,
): Promise<BenchResult[]> {
  const { batch, precisions, torch, log = () => {} } = options;
  const seq = 128, perSequence = Math.round(0.15 * seq);
  const results: BenchResult[] = [];
  const peer = torch ? torchDevice(gpu) : null;
  if (peer) await checkTorch(peer.device); // before minutes of our own steps
  const torchRuns = new Map<string, Awaited<ReturnType<typeof torchTrainStep>>>();
  for (const precision of precisions) {
    const ops = gpuOps(gpu, { precision });
    for (const name of names) {
      const shape = bertShape(bertPreset(name));
      const host = randomBatch(batch, seq, perSequence, shape.vocab);
      const full = await stepMs(ops, shape, batch, seq, host);
      const matmuls = await stepMs(matmulsOnly(ops), shape, batch, seq, host);
      const tokens = batch * seq;
      const ours = tokens / (full.step / 1000);
      const tags = { batch, precision };
      results.push({ bench: `train_step_${name}`, value: ours, unit: "tokens/s", ...tags });
      results.push({
        bench: `forward_${name}`,
        value: tokens / (full.forward / 1000),
        unit: "tokens/s",
        ...tags,
      });
      results.push({
        bench: `train_step_${name}_matmul_share`,
        value: 100 * matmuls.step / full.step,
        unit: "%",
        ...tags,
      });
      if (!peer) continue;
      // PyTorch's fp16 autocast on a CPU is emulated (minutes a step), no peer anyone trains with:
      // there the mixed step is compared with PyTorch fp32, which is run once per preset.
      const torchPrecision = peer.device === "cpu" ? "fp32" : precision;
      const key = `${name}/${torchPrecision}`;
      if (!torchRuns.has(key)) {
        log(`train_step_${name}: PyTorch ${torchPrecision} on ${peer.device} (${peer.threads} threads) ...`);
        torchRuns.set(key, await torchTrainStep({ preset: name, batch, precision: torchPrecision, ...peer }));
      }
      const ref = torchRuns.get(key)!;
      results.push({
        bench: `train_step_${name}_torch`,
        value: ref.tokens_per_s,
        unit: "tokens/s",
        ...tags,
        torch_precision: torchPrecision,
        torch: ref.torch,
        torch_device: ref.device,
        threads: ref.threads,
      });
      results.push({
        bench: `train_step_${name}_vs_torch`,
        value: ours / ref.tokens_per_s,
        unit: "x",
        ...tags,
      });
    }
  }
  return results;
}

/** Where the PyTorch reference runs: the kind of device our adapter is. */
export interface TorchDevice {
  device: "cpu" | "cuda";
  threads: number;
}

/**
 * The PyTorch device matching the adapter: the CPU with every hardware thread for a CPU-emulated
 * adapter, CUDA for a hardware NVIDIA one.
 *
 * @throws {Error} for any other adapter: PyTorch has no fair peer for it here
 */
export function torchDevice(gpu: Pick<Gpu, "isSoftware" | "info">): TorchDevice {
  const threads = navigator.hardwareConcurrency;
  if (gpu.isSoftware) return { device: "cpu", threads };
  if (/nvidia/i.test(`${gpu.info.vendor} ${gpu.info.adapter}`)) return { device: "cuda", threads };
  throw new Error(
    `Cannot pick a PyTorch device for --torch: the adapter "${gpu.info.adapter}" (vendor ` +
      `"${gpu.info.vendor}") is neither CPU-emulated nor NVIDIA`,
  );
}

/** The JSON line bench/reference/torch_train_step.py prints. */
export interface TorchStepResult {
  torch: string;
  preset: string;
  device: string;
  threads: number;
  precision: Precision;
  batch: number;
  tokens_per_s: number;
  step_ms: number;
}

/**
 * The result in the reference script's output: its last line that is a JSON object.
 *
 * @throws {Error} when there is none or it lacks a positive `tokens_per_s`
 */
export function parseTorchResult(stdout: string): TorchStepResult {
  const line = stdout.trim().split("\n").reverse().find((l) => l.trimStart().startsWith("{"));
  if (line === undefined) {
    throw new Error(`Cannot read the PyTorch reference's result: no JSON line in "${stdout}"`);
  }
  const result = JSON.parse(line) as TorchStepResult;
  if (!(typeof result.tokens_per_s === "number" && result.tokens_per_s > 0)) {
    throw new Error(`Cannot read the PyTorch reference's result: no positive tokens_per_s in ${line}`);
  }
  return result;
}

/** The reference script, beside this file. */
export const TORCH_SCRIPT: string = new URL("./reference/torch_train_step.py", import.meta.url).pathname;

async function python(args: string[]): Promise<Deno.CommandOutput> {
  try {
    return await new Deno.Command("python3", { args, stdout: "piped", stderr: "piped" }).output();
  } catch (error) {
    throw new Error(`Cannot run the PyTorch reference (--torch): python3: ${(error as Error).message}`);
  }
}

function lastLine(bytes: Uint8Array): string {
  return new TextDecoder().decode(bytes).trim().split("\n").at(-1) || "no message";
}

/**
 * Checks that python3 imports torch and transformers and, for `cuda`, sees a CUDA device.
 *
 * @throws {Error} in one line saying what is missing
 */
export async function checkTorch(device: TorchDevice["device"]): Promise<void> {
  const code = [
    "import sys",
    "try:\n import torch, transformers\nexcept ImportError as e:\n sys.exit(f'cannot import {e.name}')",
    `if "${device}" == "cuda" and not torch.cuda.is_available(): sys.exit(f"torch {torch.__version__} sees no CUDA device")`,
  ].join("\n");
  const out = await python(["-c", code]);
  if (!out.success) {
    throw new Error(
      `Cannot run the PyTorch reference (--torch) on ${device}: ${lastLine(out.stderr)}; ` +
        `it needs python3 with torch and transformers`,
    );
  }
}

/**
 * Runs bench/reference/torch_train_step.py with `python3` for one preset.
 *
 * @throws {Error} in one line when python3, torch, transformers or the device is missing
 */
export async function torchTrainStep(
  options: { preset: BertPresetName; batch: number; precision: Precision } & TorchDevice,
): Promise<TorchStepResult> {
  const args = [
    TORCH_SCRIPT,
    ...["--preset", options.preset, "--threads", String(options.threads), "--device", options.device],
    ...["--precision", options.precision, "--batch", String(options.batch)],
  ];
  const out = await python(args);
  if (!out.success) {
    throw new Error(`Cannot run the PyTorch reference (--torch), exit ${out.code}: ${lastLine(out.stderr)}`);
  }
  return parseTorchResult(new TextDecoder().decode(out.stdout));
}
