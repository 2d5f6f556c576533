/**
 * The benchmark suite behind `deno task bench`: kernels and training steps on one WebGPU runtime,
 * and host work (tokenizing, ConceptNet, concentration, memory counts) on the CPU.
 *
 * @example
 * ```ts
 * import { formatBenchRow, runBenchmarks } from "./suite.ts";
 * await runBenchmarks(
 *   { names: ["matmul_1024"], backend: "auto", seconds: 180, batch: 32, precision: "fp32", torch: false },
 *   (r) => console.log(formatBenchRow(r)),
 * );
 * ```
 * @module
 */
import { z } from "zod";
import { defineSettings, type SettingsSpec } from "../config/settings.ts";
import { Gpu } from "../core/device.ts";
import { logToStderr } from "../util/stdio.ts";
import { MIXED_FEATURE, type Precision } from "../core/precision.ts";
import { matmulBert, matmulCube, matmulVariants } from "./matmul.ts";
import { layerShare } from "./layer_share.ts";
import { stress } from "./stress.ts";
import { tokenizeBench } from "./tokenize.ts";
import { conceptnetBench } from "./conceptnet.ts";
import { concentrateBench } from "./concentrate.ts";
import { trainStepBench } from "./train_step.ts";
import { finetuneStepBench } from "./finetune_step.ts";
import { memoryBench } from "./memory.ts";
import type { BenchResult } from "./timing.ts";
import type { BertPresetName } from "../core/bert/config.ts";

/** Which benchmarks run, and how; the keys are `deno task bench`'s flags with `_` for `-`. */
export interface BenchSettings {
  /** Benchmark names; none: every benchmark but the minutes-long ones. */
  names: string[];
  /** The WebGPU runtime the device benchmarks run on. */
  backend: "auto" | "dawn" | "deno";
  /** Seconds of `stress`. */
  seconds: number;
  /** Sequences per batch of the training-step benchmarks (x 128 tokens). */
  batch: number;
  /**
   * The precisions the matmul and training-step benchmarks time: `auto` is fp32 for training steps,
   * and fp32 plus mixed for the matmuls where the adapter has shader-f16.
   */
  precision: "auto" | Precision | "both";
  /** Also run the PyTorch reference of each training step on the same kind of device. */
  torch: boolean;
}

/** Which precisions a benchmark of `kind` times, given the setting and whether mixed is open. */
export function benchPrecisions(
  setting: BenchSettings["precision"],
  kind: "kernel" | "step",
  mixedAvailable: boolean,
): Precision[] {
  if (setting === "both") return ["fp32", "mixed"];
  if (setting !== "auto") return [setting];
  return kind === "kernel" && mixedAvailable ? ["fp32", "mixed"] : ["fp32"];
}

/** What a device benchmark is given: the device, the settings, and the precisions of each kind. */
interface DeviceContext {
  gpu: Gpu;
  config: BenchSettings;
  precisions: (kind: "kernel" | "step") => Precision[];
}

/** A benchmark: device ones get the opened device, host ones (`gpu: false`) run on the CPU alone. */
type Bench =
  | { gpu: true; run: (context: DeviceContext) => Promise<BenchResult[]> }
  | { gpu: false; run: (config: BenchSettings) => Promise<BenchResult[]> };

function trainSteps(names: BertPresetName[]): Bench {
  return {
    gpu: true,
    run: ({ gpu, config, precisions }) =>
      trainStepBench(gpu, names, {
        batch: config.batch,
        precisions: precisions("step"),
        torch: config.torch,
        log: logToStderr,
      }),
  };
}

const BENCHES: Record<string, Bench> = {
  matmul_1024: { gpu: true, run: ({ gpu, precisions }) => matmulCube(gpu, 1024, precisions("kernel")) },
  matmul_4096: { gpu: true, run: ({ gpu, precisions }) => matmulCube(gpu, 4096, precisions("kernel")) },
  matmul_variants: { gpu: true, run: ({ gpu, precisions }) => matmulVariants(gpu, precisions("kernel")) },
  matmul_bert: {
    gpu: true,
    run: ({ gpu, precisions }) => matmulBert(gpu, precisions("kernel"), logToStderr),
  },
  layer_share: { gpu: true, run: ({ gpu, config }) => layerShare(gpu, config.batch) },
  stress: { gpu: true, run: ({ gpu, config }) => stress(gpu, config.seconds, logToStderr) },
  train_step: trainSteps(["tiny", "mini", "small"]),
  train_step_base: trainSteps(["base"]),
  finetune_step_tiny: { gpu: true, run: ({ gpu, config }) => finetuneStepBench(gpu, ["tiny"], config.batch) },
  memory: { gpu: false, run: (c) => memoryBench(c.batch) },
  tokenize: { gpu: false, run: () => tokenizeBench() },
  conceptnet: { gpu: false, run: () => conceptnetBench() },
  concentrate: { gpu: false, run: () => concentrateBench() },
};
// Minutes-long runs only when named (matmul_4096 is ~5 s a rep on a CPU-emulated adapter, and a
// BERT-base step minutes there; both are for hardware adapters).
const ON_REQUEST = new Set(["stress", "conceptnet", "matmul_4096", "train_step_base"]);
/** The benchmarks that `--torch` applies to. */
const TORCH_BENCHES: readonly string[] = ["train_step", "train_step_base"];
/** Every benchmark, by name. */
export const BENCHMARK_NAMES: readonly string[] = Object.keys(BENCHES);
/** The benchmarks run when none is named. */
export const DEFAULT_BENCHMARKS: readonly string[] = BENCHMARK_NAMES.filter((n) => !ON_REQUEST.has(n));

/**
 * Runs the named benchmarks; `report` gets each result as it comes (with the backend and adapter it
 * ran on); returns them all.
 *
 * @throws {Error} when a benchmark fails its bound (after every one has run)
 */
export async function runBenchmarks(
  config: BenchSettings,
  report: (result: BenchResult, device: string | null) => void = () => {},
): Promise<BenchResult[]> {
  const names = config.names.length > 0 ? config.names : DEFAULT_BENCHMARKS;
  let gpu: Gpu | null = null;
  let mixedOpen = false;
  let device: string | null = null;
  const all: BenchResult[] = [];
  try {
    for (const name of names) {
      const bench = BENCHES[name]!;
      let results: BenchResult[];
      let where: { backend: string; adapter: string };
      if (bench.gpu) {
        if (!gpu) {
          ({ gpu, mixedOpen } = await openForBench(config));
          device = `${gpu.backend} on ${gpu.info.adapter}`;
        }
        const open = mixedOpen;
        results = await bench.run({
          gpu,
          config,
          precisions: (kind) => benchPrecisions(config.precision, kind, open),
        });
        where = { backend: gpu.backend, adapter: gpu.info.adapter };
      } else {
        results = await bench.run(config);
        where = { backend: "cpu", adapter: `${Deno.build.arch}, ${navigator.hardwareConcurrency} threads` };
      }
      for (const r of results) {
        const line = { ...r, ...where };
        all.push(line);
        report(line, device);
        device = null;
      }
    }
  } finally {
    gpu?.destroy();
  }
  const failed = all.filter((r) => r.ok === false);
  if (failed.length > 0) throw new Error(`bench: ${failed.map((r) => r.bench).join(", ")} failed its bound`);
  return all;
}

// `mixed` needs shader-f16 (and on Dawn a toggle the device is opened with): asked for `mixed` or
// `both`, a device without it is an error; with `auto` it is tried, and its absence said once.
async function openForBench(config: BenchSettings): Promise<{ gpu: Gpu; mixedOpen: boolean }> {
  const { backend, precision } = config;
  if (precision === "fp32") return opened(await Gpu.open({ backend }));
  if (precision !== "auto") return opened(await Gpu.open({ backend, precision: "mixed" }));
  try {
    return opened(await Gpu.open({ backend, precision: "mixed" }));
  } catch (error) {
    logToStderr(`bench: no mixed precision here (${(error as Error).message}); fp32 only`);
    return opened(await Gpu.open({ backend }));
  }
}

function opened(gpu: Gpu): { gpu: Gpu; mixedOpen: boolean } {
  return { gpu, mixedOpen: gpu.features.has(MIXED_FEATURE) };
}

/** A result as a table row. */
export function formatBenchRow(r: BenchResult): string {
  const extra = Object.entries(r)
    .filter(([k]) => !["bench", "value", "unit", "backend", "adapter"].includes(k))
    .map(([k, v]) => `${k}=${typeof v === "number" ? +v.toFixed(3) : v}`)
    .join(" ");
  return `${r.bench.padEnd(28)} ${r.value.toFixed(2).padStart(10)} ${r.unit.padEnd(8)} ${extra}`;
}

/** The settings of {@linkcode runBenchmarks}. */
export const BENCH_SETTINGS: SettingsSpec<BenchSettings> = defineSettings<BenchSettings>()(
  "bench",
  z.object({
    names: z.array(z.enum(BENCHMARK_NAMES as [string, ...string[]])).default([]).describe(
      `benchmarks to run; none: all but ${[...ON_REQUEST].join(" and ")}`,
    ),
    backend: z.enum(["auto", "dawn", "deno"]).default("auto").describe(
      "the WebGPU runtime the device benchmarks time (benchmarks time WebGPU kernels: no cpu)",
    ),
    seconds: z.number().positive().finite().default(180).describe("how long stress runs"),
    batch: z.number().int().positive().default(32).describe(
      "sequences per batch (x 128 tokens) of the step benchmarks",
    ),
    precision: z.enum(["auto", "fp32", "mixed", "both"]).default("auto").describe(
      "precisions of the matmul and train_step benchmarks; auto: fp32 steps, fp32 and mixed matmuls " +
        "where the adapter has shader-f16",
    ),
    torch: z.boolean().default(false).describe(
      "also run the PyTorch reference of each train_step on the same kind of device (CPU or CUDA) " +
        "and give ours / PyTorch's; needs python3 with torch and transformers",
    ),
  }).strict(),
  {
    check: (s, { name }) => {
      const names = s.names.length > 0 ? s.names : DEFAULT_BENCHMARKS;
      if (s.torch && !names.some((n) => TORCH_BENCHES.includes(n))) {
        return `${name("torch")} applies to ${TORCH_BENCHES.join(" and ")}: name one of them`;
      }
      return null;
    },
  },
);
