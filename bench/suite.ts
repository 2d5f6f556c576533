/**
 * The benchmark suite behind `deno task bench`: kernels and training steps on one WebGPU runtime,
 * and host work (tokenizing, ConceptNet, concentration, memory counts) on the CPU.
 *
 * @example
 * ```ts
 * import { formatBenchRow, runBenchmarks } from "./suite.ts";
 * await runBenchmarks({ names: ["matmul_1024"], backend: "auto", seconds: 180, batch: 32 }, (r) =>
 *   console.log(formatBenchRow(r)));
 * ```
 * @module
 */
import { z } from "zod";
import { defineSettings, type SettingsSpec } from "../config/settings.ts";
import { Gpu } from "../core/device.ts";
import { logToStderr } from "../util/stdio.ts";
import { matmul1024, matmulBert, matmulVariants } from "./matmul.ts";
import { layerShare } from "./layer_share.ts";
import { stress } from "./stress.ts";
import { tokenizeBench } from "./tokenize.ts";
import { conceptnetBench } from "./conceptnet.ts";
import { concentrateBench } from "./concentrate.ts";
import { trainStepBench } from "./train_step.ts";
import { finetuneStepBench } from "./finetune_step.ts";
import { memoryBench } from "./memory.ts";
import type { BenchResult } from "./timing.ts";

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
}

/** A benchmark: device ones get the opened device, host ones (`gpu: false`) run on the CPU alone. */
type Bench =
  | { gpu: true; run: (gpu: Gpu, config: BenchSettings) => Promise<BenchResult[]> }
  | { gpu: false; run: (config: BenchSettings) => Promise<BenchResult[]> };

const BENCHES: Record<string, Bench> = {
  matmul_1024: { gpu: true, run: (gpu) => matmul1024(gpu) },
  matmul_variants: { gpu: true, run: (gpu) => matmulVariants(gpu) },
  matmul_bert: { gpu: true, run: (gpu) => matmulBert(gpu) },
  layer_share: { gpu: true, run: (gpu, c) => layerShare(gpu, c.batch) },
  stress: { gpu: true, run: (gpu, c) => stress(gpu, c.seconds, logToStderr) },
  train_step: { gpu: true, run: (gpu, c) => trainStepBench(gpu, ["tiny", "mini", "small"], c.batch) },
  finetune_step_tiny: { gpu: true, run: (gpu, c) => finetuneStepBench(gpu, ["tiny"], c.batch) },
  memory: { gpu: false, run: (c) => memoryBench(c.batch) },
  tokenize: { gpu: false, run: () => tokenizeBench() },
  conceptnet: { gpu: false, run: () => conceptnetBench() },
  concentrate: { gpu: false, run: () => concentrateBench() },
};
// Minutes-long runs only when named.
const ON_REQUEST = new Set(["stress", "conceptnet"]);
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
  let device: string | null = null;
  const all: BenchResult[] = [];
  try {
    for (const name of names) {
      const bench = BENCHES[name]!;
      let results: BenchResult[];
      let where: { backend: string; adapter: string };
      if (bench.gpu) {
        const opened = !gpu;
        gpu ??= await Gpu.open({ backend: config.backend });
        if (opened) device = `${gpu.backend} on ${gpu.info.adapter}`;
        results = await bench.run(gpu, config);
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
  }).strict(),
);
