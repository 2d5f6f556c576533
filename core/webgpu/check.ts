/**
 * Argument checks shared by the device ops: a shape mismatch names the kernel, the tensor and sizes.
 * @module
 */
import type { GpuTensor } from "../device.ts";

/** Throws unless each tensor holds at least the number of elements paired with it. */
export function checkSizes(kernel: string, tensors: Record<string, readonly [GpuTensor, number]>): void {
  for (const [name, [tensor, needed]] of Object.entries(tensors)) {
    if (!Number.isInteger(needed) || needed < 0) {
      throw new RangeError(`Kernel "${kernel}": bad size ${needed} for "${name}"`);
    }
    if (tensor.size < needed) {
      throw new RangeError(
        `Kernel "${kernel}": "${name}" (${tensor.label}) holds ${tensor.size} elements, needs ${needed}`,
      );
    }
  }
}
