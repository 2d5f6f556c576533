/**
 * Opens a WebGPU runtime: Dawn's Node bindings (npm `webgpu`) loaded in Deno, or Deno's built-in
 * WebGPU. Only `device.ts` imports this.
 * @module
 */
import type { GpuBackend } from "./device.ts";

/** A loaded runtime's entry point. */
export interface GpuRuntime {
  readonly name: GpuBackend;
  readonly gpu: GPU;
  /** Called when a device of this runtime is destroyed. */
  release(): void;
}

// dawn.node's event loop (AsyncRunner) keeps a raw pointer into the instance owned by the object that
// create() returns, while adapters and devices keep only the runner alive: once that object is garbage
// collected, the next ProcessEvents reads freed memory (SIGSEGV, "std::system_error: Invalid argument",
// robust-mutex assertions, hangs). Under Deno and Node alike; busy, allocating JS makes it likely.
// So the instance is created once and held here for the life of the process, and every Gpu holds it too.
let dawn: GPU | null = null;

/** Loads the named runtime, or throws a one-line error saying why it is not available. */
export async function openRuntime(name: GpuBackend): Promise<GpuRuntime> {
  if (name === "deno") {
    if (!("gpu" in navigator) || !navigator.gpu) {
      throw new Error(
        `Cannot use backend "deno": navigator.gpu is missing (run Deno with --unstable-webgpu)`,
      );
    }
    return { name, gpu: navigator.gpu, release() {} };
  }
  if (name === "dawn") {
    if (!dawn) {
      let mod: { create: (options: string[]) => unknown };
      try {
        mod = await import("webgpu");
      } catch (error) {
        throw new Error(`Cannot use backend "dawn": npm:webgpu failed to load: ${(error as Error).message}`);
      }
      dawn = mod.create([]) as GPU;
    }
    return { name, gpu: dawn, release() {} };
  }
  throw new RangeError(`Unknown WebGPU backend "${name}": expected "dawn" or "deno"`);
}
