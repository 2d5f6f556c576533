/**
 * `deno task bench [NAME...]`: the benchmark suite (`bench/suite.ts`) on one WebGPU runtime; a
 * table, or with `--json` one JSON object per line with `bench`, `backend`, `adapter`, `value`,
 * `unit` (and `variant`, `precision` where they apply). `--precision fp32|mixed|both` picks the
 * precisions of the matmul and train_step benchmarks; `--torch` times PyTorch's step beside ours.
 * @module
 */
import { type CommandRun, type CommandSpec, runCommand } from "../config/command.ts";
import { type JsonOption, jsonOption } from "../config/options.ts";
import { BENCH_SETTINGS, type BenchSettings, formatBenchRow, runBenchmarks } from "../bench/suite.ts";

/** `deno task bench`. */
export const BENCH_COMMAND: CommandSpec<BenchSettings, JsonOption> = {
  name: "bench",
  summary: "Benchmark the kernels, training steps and host work (GFLOP/s, tokens/s, MB/s, memory)",
  settings: BENCH_SETTINGS,
  options: jsonOption("bench", "one JSON object per result instead of a table"),
  positional: { key: "names", label: "[NAME...]", description: "benchmarks to run (as --names)" },
  examples: [
    "deno task bench",
    "deno task bench matmul_1024 train_step --backend deno --json",
    "deno task bench train_step --torch --precision both",
    "deno task bench matmul_4096 matmul_bert train_step_base --precision mixed --torch",
  ],
};

/** Runs the command line read by {@linkcode BENCH_COMMAND}. */
export async function main(run: CommandRun<BenchSettings, JsonOption>): Promise<void> {
  const json = run.options.json;
  await runBenchmarks(run.settings(), (result, device) => {
    if (device !== null && !json) console.log(`# ${device}`);
    console.log(json ? JSON.stringify(result) : formatBenchRow(result));
  });
}

if (import.meta.main) await runCommand(BENCH_COMMAND, main);
