/**
 * The scratch space matmuls pack their operands (and split-K partial sums) into: one tensor per
 * device and use, grown as needed.
 * @module
 */
import type { Gpu, GpuTensor } from "../device.ts";

/**
 * What a scratch tensor holds. Split-K partial sums have a tensor of their own: a dispatch may not
 * write one view of a buffer while it reads another (packed operands are read by the kernel that
 * writes the partial sums).
 */
export type MatmulScratchUse = "operands" | "partials";

const pools: Record<MatmulScratchUse, WeakMap<Gpu, GpuTensor>> = {
  operands: new WeakMap(),
  partials: new WeakMap(),
};

/**
 * A tensor of at least `size` elements for `use`. Dispatches run in recording order, so every
 * matmul may reuse it; a replaced tensor stays alive while dispatches recorded on it are pending,
 * and WebGPU keeps it alive while submitted work uses it.
 */
export function matmulScratch(gpu: Gpu, size: number, use: MatmulScratchUse = "operands"): GpuTensor {
  const pool = pools[use];
  let t = pool.get(gpu);
  if (!t || t.size < size) {
    // Grow geometrically, but never past what one binding may hold.
    const limit = Math.floor(gpu.info.limits.maxStorageBufferBindingSize! / 4);
    t = gpu.tensor(Math.max(size, Math.min(2 * (t?.size ?? 0), limit)), `matmul: scratch for ${use}`);
    pool.set(gpu, t);
  }
  return t;
}
