/**
 * Opens a WebGPU runtime: Dawn's Node bindings (npm `webgpu`) loaded in Deno, or Deno's built-in
 * WebGPU. Only `device.ts` imports this.
 * @module
 */

/** WebGPU runtimes: Dawn's Node bindings (npm `webgpu`) or Deno's built-in `navigator.gpu`. */
export type GpuBackend = "dawn" | "deno";

/** A loaded runtime's entry point. */
export interface GpuRuntime {
  /** Which runtime this is. */
  readonly name: GpuBackend;
  /** Its `navigator.gpu` equivalent, for `requestAdapter`. */
  readonly gpu: GPU;
  /**
   * Awaits a promise of this runtime's device (mapAsync, onSubmittedWorkDone). `sharesCpu`: the
   * adapter runs on the CPU, so polling must leave it cores.
   */
  wait<T>(start: () => Promise<T>, sharesCpu: boolean): Promise<T>;
}

const plainWait = <T>(start: () => Promise<T>): Promise<T> => start();

// While any of its promises is pending, dawn.node polls the device by re-scheduling ProcessEvents
// with globalThis.setImmediate, spinning the JavaScript thread at 100%. On a CPU-emulated adapter
// that core is one the device's own threads need: identical 0.3 s dispatches drifted to 0.9 s under
// Deno (measured; 83,898 polls for 8 dispatches). So during a wait, polls after the first
// millisecond go through a 1 ms timer instead: short waits keep their microsecond latency, long ones
// cost at most 1 ms more, and the CPU stays free (measured: 128 polls, steady 34 ms dispatches).
// On a hardware adapter the spin costs the device nothing and the timer's 1 ms granularity would
// only add jitter (measured on an H100: 5.7 to 8 ms per stress iteration), so it keeps spinning.
const nativeSetImmediate = globalThis.setImmediate;
let waiting = 0;
let waitStart = 0;

function politeSetImmediate(fn: (...args: unknown[]) => void, ...args: unknown[]) {
  if (performance.now() - waitStart < 1) return nativeSetImmediate(fn, ...args);
  return setTimeout(fn, 1, ...args);
}

async function dawnWait<T>(start: () => Promise<T>, sharesCpu: boolean): Promise<T> {
  if (!sharesCpu) return await start();
  if (waiting++ === 0) {
    waitStart = performance.now();
    (globalThis as { setImmediate: unknown }).setImmediate = politeSetImmediate;
  }
  try {
    return await start();
  } finally {
    if (--waiting === 0) globalThis.setImmediate = nativeSetImmediate;
  }
}

// dawn.node's event loop (AsyncRunner) keeps a raw pointer into the instance owned by the object that
// create() returns, while adapters and devices keep only the runner alive: once that object is garbage
// collected, the next ProcessEvents reads freed memory (SIGSEGV, "std::system_error: Invalid argument",
// robust-mutex assertions, hangs). Under Deno and Node alike; busy, allocating JS makes it likely.
// So each instance (one per set of toggles) is created once and held here for the life of the
// process, and every Gpu holds it too.
const dawnInstances = new Map<string, GPU>();

/**
 * Dawn toggles the instance is created with, e.g. `vulkan_enable_f16_on_nvidia` (Dawn hides
 * shader-f16 on NVIDIA's Vulkan driver without it) or `allow_unsafe_apis`; ignored by Deno's runtime.
 */
export interface RuntimeOptions {
  /** Passed as dawn.node's `enable-dawn-features=<comma-separated>`. */
  dawnToggles?: readonly string[];
}

/** Loads the named runtime, or throws a one-line error saying why it is not available. */
export async function openRuntime(name: GpuBackend, options: RuntimeOptions = {}): Promise<GpuRuntime> {
  if (name === "deno") {
    if (!("gpu" in navigator) || !navigator.gpu) {
      throw new Error(
        `Cannot use backend "deno": navigator.gpu is missing (run Deno with --unstable-webgpu)`,
      );
    }
    return { name, gpu: navigator.gpu, wait: plainWait };
  }
  if (name === "dawn") {
    const toggles = [...new Set(options.dawnToggles ?? [])].sort();
    const key = toggles.join(",");
    let dawn = dawnInstances.get(key);
    if (!dawn) {
      let mod: { create: (options: string[]) => unknown };
      try {
        mod = await import("webgpu");
      } catch (error) {
        throw new Error(`Cannot use backend "dawn": npm:webgpu failed to load: ${(error as Error).message}`);
      }
      dawn = mod.create(toggles.length > 0 ? [`enable-dawn-features=${key}`] : []) as GPU;
      dawnInstances.set(key, dawn);
    }
    return { name, gpu: dawn, wait: dawnWait };
  }
  throw new RangeError(`Unknown WebGPU backend "${name}": expected "dawn" or "deno"`);
}
