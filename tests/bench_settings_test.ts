/**
 * `deno task bench`'s settings (`--precision`, `--torch`), which precisions and kernels each
 * benchmark times, reading the PyTorch reference's JSON line, and the device check script's syntax.
 * None of these opens a device or runs PyTorch.
 */
import assert from "node:assert/strict";
import { readCommand } from "../config/command.ts";
import { UsageError } from "../config/errors.ts";
import { BENCH_COMMAND } from "../tasks/bench.ts";
import { BENCH_SETTINGS, benchPrecisions, type BenchSettings, DEFAULT_BENCHMARKS } from "../bench/suite.ts";
import { bertKernels } from "../bench/matmul.ts";
import { parseTorchResult, TORCH_SCRIPT, torchDevice } from "../bench/train_step.ts";

const ROOT = new URL("..", import.meta.url).pathname;

async function settings(args: string[]): Promise<BenchSettings> {
  const run = await readCommand(BENCH_COMMAND, args);
  if (run === "help") throw new Error("unexpected help");
  return run.settings();
}

async function usageError(args: string[]): Promise<string> {
  try {
    await settings(args);
  } catch (error) {
    if (error instanceof UsageError) return error.message;
    throw error;
  }
  throw new Error(`bench ${args.join(" ")} was accepted`);
}

Deno.test("bench defaults to auto precision without PyTorch, and keeps the long runs on request", async () => {
  const s = await settings([]);
  assert.equal(s.precision, "auto");
  assert.equal(s.torch, false);
  assert.deepEqual(BENCH_SETTINGS.defaults(), s);
  for (const long of ["matmul_4096", "train_step_base", "stress"]) {
    assert.ok(!DEFAULT_BENCHMARKS.includes(long), long);
  }
  assert.ok(DEFAULT_BENCHMARKS.includes("train_step"));
});

Deno.test("bench reads --precision and --torch with the benchmarks named", async () => {
  const s = await settings([
    "train_step_base",
    "matmul_4096",
    "--precision",
    "both",
    "--torch",
    "--batch",
    "8",
  ]);
  assert.deepEqual(s.names, ["train_step_base", "matmul_4096"]);
  assert.equal(s.precision, "both");
  assert.equal(s.torch, true);
  assert.equal(s.batch, 8);
  assert.equal((await settings(["--precision=mixed", "train_step"])).precision, "mixed");
  // The default set holds train_step, so --torch alone is fine.
  assert.equal((await settings(["--torch"])).torch, true);
});

Deno.test("bench refuses an unknown precision and --torch without a train_step benchmark", async () => {
  assert.match(
    await usageError(["--precision", "fp16"]),
    /--precision must be one of auto, fp32, mixed, both/,
  );
  assert.match(
    await usageError(["matmul_1024", "--torch"]),
    /--torch applies to train_step and train_step_base/,
  );
});

Deno.test("benchPrecisions() gives mixed to the matmuls only where the device has it, unless asked", () => {
  assert.deepEqual(benchPrecisions("auto", "kernel", true), ["fp32", "mixed"]);
  assert.deepEqual(benchPrecisions("auto", "kernel", false), ["fp32"]);
  assert.deepEqual(benchPrecisions("auto", "step", true), ["fp32"]);
  assert.deepEqual(benchPrecisions("both", "step", false), ["fp32", "mixed"]);
  assert.deepEqual(benchPrecisions("mixed", "kernel", true), ["mixed"]);
  assert.deepEqual(benchPrecisions("fp32", "kernel", true), ["fp32"]);
});

Deno.test("bertKernels() skips the variants hopeless on a CPU-emulated adapter and says which", () => {
  const soft = bertKernels(true, ["fp32", "mixed"]);
  const names = (ks: { precision: string; variant: string }[]) =>
    ks.map((k) => `${k.precision}:${k.variant}`);
  for (const v of ["fp32:naive", "fp32:tiled", "fp32:simple", "mixed:tiled"]) {
    assert.ok(names(soft.skipped).includes(v), v);
    assert.ok(!names(soft.kernels).includes(v), v);
  }
  assert.ok(names(soft.kernels).includes("fp32:rows"));
  assert.ok(names(soft.kernels).includes("mixed:rows"));
  const hard = bertKernels(false, ["fp32"]);
  assert.deepEqual(hard.skipped, []);
  assert.ok(names(hard.kernels).includes("fp32:naive") && names(hard.kernels).includes("fp32:tiled"));
  assert.ok(hard.kernels.every((k) => k.precision === "fp32"));
});

Deno.test("parseTorchResult() reads the reference script's JSON line after other output", () => {
  const line = {
    torch: "2.13.0+cpu",
    preset: "mini",
    device: "cpu",
    threads: 2,
    precision: "fp32",
    batch: 32,
    tokens_per_s: 3865.2,
    step_ms: 1059.7,
  };
  const r = parseTorchResult(`some warning from transformers\n${JSON.stringify(line)}\n`);
  assert.deepEqual(r, line);
  assert.throws(() => parseTorchResult("Traceback ...\n"), /no JSON line/);
  assert.throws(() => parseTorchResult(`{"tokens_per_s": 0}`), /no positive tokens_per_s/);
});

Deno.test("the reference script prints the keys parseTorchResult() reads", async () => {
  const source = await Deno.readTextFile(TORCH_SCRIPT);
  for (const key of ["tokens_per_s", "threads", "precision", "device", "batch", "torch"]) {
    assert.match(source, new RegExp(`"${key}":`), key);
  }
  for (const flag of ["--preset", "--threads", "--device", "--precision", "--batch"]) {
    assert.ok(source.includes(`"${flag}"`), flag);
  }
  assert.match(source, /"base": \(12, 768, 12\)/);
});

Deno.test("torchDevice() runs PyTorch on the CPU beside lavapipe and on CUDA beside NVIDIA", () => {
  const info = (adapter: string, vendor: string) => ({ adapter, vendor }) as never;
  assert.deepEqual(torchDevice({ isSoftware: true, info: info("llvmpipe", "mesa") }), {
    device: "cpu",
    threads: navigator.hardwareConcurrency,
  });
  assert.equal(
    torchDevice({ isSoftware: false, info: info("NVIDIA H100 80GB HBM3", "nvidia") }).device,
    "cuda",
  );
  assert.throws(
    () => torchDevice({ isSoftware: false, info: info("AMD Radeon", "amd") }),
    /neither CPU-emulated nor NVIDIA/,
  );
});

Deno.test("tasks/bench/device_check.sh is valid bash", async () => {
  const out = await new Deno.Command("bash", {
    args: ["-n", `${ROOT}tasks/bench/device_check.sh`],
    stderr: "piped",
  })
    .output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
});
