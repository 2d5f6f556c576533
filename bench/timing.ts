/**
 * Wall-clock timing of recorded device work: warm-up, then `reps` recordings per submit, median of
 * `runs` submits.
 * @module
 */
import type { Gpu } from "../core/device.ts";

/** Median milliseconds of one `record()` worth of device work. */
export async function timeDevice(
  gpu: Gpu,
  record: () => void,
  { reps = 3, runs = 3 }: { reps?: number; runs?: number } = {},
): Promise<number> {
  record();
  await gpu.sync();
  const times: number[] = [];
  for (let r = 0; r < runs; r++) {
    const start = performance.now();
    for (let i = 0; i < reps; i++) record();
    await gpu.sync();
    times.push((performance.now() - start) / reps);
  }
  return median(times);
}

/** The median of a non-empty list. */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** One benchmark result line. */
export interface BenchResult {
  bench: string;
  value: number;
  unit: string;
  [extra: string]: string | number | boolean;
}
