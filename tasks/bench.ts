/**
 * `deno task bench [NAME...] [--backend auto|dawn|deno] [--json] [--seconds N]`: kernel benchmarks on
 * one WebGPU runtime. Without names, every benchmark but `stress` runs. `--json` prints one JSON object
 * per line with `bench`, `backend`, `adapter`, `value`, `unit`.
 * @module
 */
import { Gpu } from "../core/device.ts";
import { backendFlag, main, parseFlags, UsageError } from "./_cli.ts";
import { matmul1024, matmulBert, matmulVariants } from "./bench/matmul.ts";
import { layerShare } from "./bench/layer_share.ts";
import { stress } from "./bench/stress.ts";
import { tokenizeBench } from "./bench/tokenize.ts";
import { conceptnetBench } from "./bench/conceptnet.ts";
import { concentrateBench } from "./bench/concentrate.ts";
import { trainStepBench } from "./bench/train_step.ts";
import { finetuneStepBench } from "./bench/finetune_step.ts";
import { memoryBench } from "./bench/memory.ts";
import type { BenchResult } from "./bench/timing.ts";

/** Options of {@linkcode run}. */
export interface BenchConfig {
  names: string[];
  backend: "auto" | "dawn" | "deno";
  json: boolean;
  seconds: number;
  batch: number;
}

/** A benchmark: device ones get the opened device, host ones (`gpu: false`) run on the CPU alone. */
type Bench =
  | { gpu: true; run: (gpu: Gpu, config: BenchConfig) => Promise<BenchResult[]> }
  | { gpu: false; run: (config: BenchConfig) => Promise<BenchResult[]> };

const BENCHES: Record<string, Bench> = {
  matmul_1024: { gpu: true, run: (gpu) => matmul1024(gpu) },
  matmul_variants: { gpu: true, run: (gpu) => matmulVariants(gpu) },
  matmul_bert: { gpu: true, run: (gpu) => matmulBert(gpu) },
  layer_share: { gpu: true, run: (gpu, c) => layerShare(gpu, c.batch) },
  stress: { gpu: true, run: (gpu, c) => stress(gpu, c.seconds, (line) => console.error(line)) },
  train_step: { gpu: true, run: (gpu, c) => trainStepBench(gpu, ["tiny", "mini", "small"], c.batch) },
  finetune_step_tiny: { gpu: true, run: (gpu, c) => finetuneStepBench(gpu, ["tiny"], c.batch) },
  memory: { gpu: false, run: (c) => memoryBench(c.batch) },
  tokenize: { gpu: false, run: () => tokenizeBench() },
  conceptnet: { gpu: false, run: () => conceptnetBench() },
  concentrate: { gpu: false, run: () => concentrateBench() },
};
// Minutes-long runs only when named.
const ON_REQUEST = new Set(["stress", "conceptnet"]);
const DEFAULT = Object.keys(BENCHES).filter((n) => !ON_REQUEST.has(n));

/** Runs the named benchmarks; prints a table or JSON lines; returns the results. */
export async function run(config: BenchConfig): Promise<BenchResult[]> {
  const names = config.names.length > 0 ? config.names : DEFAULT;
  for (const n of names) {
    if (!BENCHES[n]) {
      throw new UsageError(`bench: unknown benchmark "${n}"; known: ${Object.keys(BENCHES).join(", ")}`);
    }
  }
  let gpu: Gpu | null = null;
  const all: BenchResult[] = [];
  try {
    for (const name of names) {
      const bench = BENCHES[name]!;
      let results: BenchResult[];
      let where: { backend: string; adapter: string };
      if (bench.gpu) {
        if (!gpu) {
          gpu = await Gpu.open({ backend: config.backend });
          if (!config.json) console.log(`# ${gpu.backend} on ${gpu.info.adapter}`);
        }
        results = await bench.run(gpu, config);
        where = { backend: gpu.backend, adapter: gpu.info.adapter };
      } else {
        results = await bench.run(config);
        where = { backend: "cpu", adapter: `${Deno.build.arch}, ${navigator.hardwareConcurrency} threads` };
      }
      for (const r of results) {
        const line = { ...r, ...where };
        all.push(line);
        if (config.json) console.log(JSON.stringify(line));
        else console.log(formatRow(line));
      }
    }
  } finally {
    gpu?.destroy();
  }
  const failed = all.filter((r) => r.ok === false);
  if (failed.length > 0) throw new Error(`bench: ${failed.map((r) => r.bench).join(", ")} failed its bound`);
  return all;
}

function formatRow(r: BenchResult): string {
  const extra = Object.entries(r)
    .filter(([k]) => !["bench", "value", "unit", "backend", "adapter"].includes(k))
    .map(([k, v]) => `${k}=${typeof v === "number" ? +v.toFixed(3) : v}`)
    .join(" ");
  return `${r.bench.padEnd(28)} ${r.value.toFixed(2).padStart(10)} ${r.unit.padEnd(8)} ${extra}`;
}

if (import.meta.main) {
  await main(async () => {
    const { values, positionals } = parseFlags("bench", Deno.args, {
      backend: { type: "string" },
      json: { type: "boolean" },
      seconds: { type: "string" },
      batch: { type: "string" },
    });
    const backend = backendFlag("bench", values.backend);
    if (backend === "cpu") {
      throw new UsageError(`bench: benchmarks time WebGPU kernels; --backend cpu has none`);
    }
    const number = (flag: string, fallback: number) => {
      const raw = values[flag];
      if (raw === undefined) return fallback;
      const v = Number(raw);
      if (!Number.isFinite(v) || v <= 0) {
        throw new UsageError(`bench: --${flag} must be a positive number, got "${raw}"`);
      }
      return v;
    };
    await run({
      names: positionals,
      backend,
      json: Boolean(values.json),
      seconds: number("seconds", 180),
      batch: Math.round(number("batch", 32)),
    });
  });
}
