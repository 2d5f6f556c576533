/**
 * `stress`: thousands of mixed kernel dispatches and read-backs for a while, with the JavaScript
 * thread busy (allocating) between iterations as during data preparation; fails if an iteration
 * gets more than 10% slower from the first fifth of the run to the last.
 * @module
 */
import type { Gpu } from "../core/device.ts";
import { layerCalls } from "./layer.ts";
import type { BenchResult } from "./timing.ts";

const PASSES = 4;

/** Allowed change of the (trimmed mean) iteration time between the first and last fifth of the run. */
export const MAX_DRIFT = 0.1;

/** Runs for `seconds`; returns the drift and counts. Throws on drift over {@linkcode MAX_DRIFT}. */
export async function stress(gpu: Gpu, seconds: number, log: (line: string) => void): Promise<BenchResult[]> {
  // Sized so that one iteration is tens of milliseconds on either kind of adapter: read-back
  // latency (a timer tick, or Deno's WebGPU's polling) is then not what the drift measures.
  const size = gpu.isSoftware
    ? { batch: 4, seq: 64, hidden: 128, heads: 2, intermediate: 512 }
    : { batch: 16, seq: 128, hidden: 512, heads: 8, intermediate: 2048 };
  const { calls, tensors } = layerCalls(gpu, size);
  const big = tensors.find((x) => x.label === "ffn_in")!;
  const small = tensors.find((x) => x.label === "mean")!;
  const times: number[] = [];
  const start = performance.now();
  let dispatches = 0;
  let lastLog = start;
  while (performance.now() - start < seconds * 1000) {
    busyAllocating(20);
    const t0 = performance.now();
    for (let pass = 0; pass < PASSES; pass++) for (const c of calls) c.record();
    dispatches += PASSES * calls.length;
    const a = await gpu.read(small);
    const b = await gpu.read(big);
    times.push(performance.now() - t0);
    if (!Number.isFinite(a[0]!) && !Number.isNaN(a[0]!)) throw new Error("stress: read back garbage");
    if (b.length !== big.size) throw new Error("stress: short read-back");
    if (performance.now() - lastLog > 10_000) {
      lastLog = performance.now();
      log(`stress: ${times.length} iterations, last ${times.at(-1)!.toFixed(1)} ms`);
    }
  }
  for (const x of tensors) x.buffer.destroy();
  const fifth = Math.max(1, Math.floor(times.length / 5));
  const warm = times.slice(Math.min(3, times.length - 1));
  const first = trimmedMean(warm.slice(0, fifth));
  const last = trimmedMean(warm.slice(-fifth));
  const drift = (last - first) / first;
  const result: BenchResult = {
    bench: "stress",
    value: drift * 100,
    unit: "% drift",
    iterations: times.length,
    dispatches,
    first_ms: first,
    last_ms: last,
    ok: Math.abs(drift) <= MAX_DRIFT,
  };
  return [result];
}

// Iteration times are bimodal where a read-back waits on a poll (Deno's WebGPU polls every few
// milliseconds): a median jumps between the modes as their shares shift by a few percent, so compare
// means without the slowest and fastest tenth instead.
function trimmedMean(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const cut = Math.floor(sorted.length / 10);
  const kept = sorted.slice(cut, sorted.length - cut);
  return kept.reduce((a, b) => a + b, 0) / kept.length;
}

// Synchronous work that allocates, like tokenising and masking a batch: the pattern that once let
// the garbage collector free dawn.node's instance under a live device.
function busyAllocating(ms: number): void {
  const end = performance.now() + ms;
  let keep = 0;
  while (performance.now() < end) keep += new Float64Array(1024).fill(1).length;
  if (keep < 0) console.log(keep);
}
