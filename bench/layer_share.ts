/**
 * `layer_share`: each kernel's time within one BERT-base layer's forward and backward at
 * batch x 128 tokens, each call timed alone, grouped by kernel.
 * @module
 */
import type { Gpu } from "../core/device.ts";
import { BERT_BASE_LAYER, layerCalls } from "./layer.ts";
import { type BenchResult, timeDevice } from "./timing.ts";

/** One line per kernel (ms per layer and share), then the layer total. */
export async function layerShare(gpu: Gpu, batch: number): Promise<BenchResult[]> {
  const { calls, tensors } = layerCalls(gpu, { batch, seq: 128, ...BERT_BASE_LAYER });
  const perKernel = new Map<string, number>();
  for (const c of calls) {
    const ms = await timeDevice(gpu, c.record, { reps: 1, runs: 1 });
    perKernel.set(c.kernel, (perKernel.get(c.kernel) ?? 0) + ms);
  }
  for (const x of tensors) x.buffer.destroy();
  const total = [...perKernel.values()].reduce((a, b) => a + b, 0);
  const rows: BenchResult[] = [...perKernel.entries()]
    .sort((a, b) => b[1] - a[1])
    .map(([kernel, ms]) => ({
      bench: `layer_share_${kernel}`,
      value: ms,
      unit: "ms",
      share: ms / total,
      batch,
    }));
  rows.push({ bench: "layer_total", value: total, unit: "ms", batch });
  return rows;
}
