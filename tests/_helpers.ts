/**
 * Shared test helpers: seeded inputs, tolerance checks that report the worst element, the one
 * kernel-check used by every GPU test, and central finite differences for the CPU backwards.
 * @module
 */
import { Gpu, type GpuBackend, type GpuTensor } from "../core/device.ts";
import { keyedRng } from "../util/rng.ts";

/** Uniform draws in [0, 1) from the project's seeded streams, so every test input is reproducible. */
export function seededRandom(seed: number): () => number {
  const rng = keyedRng([seed]);
  return () => rng.next();
}

/** `n` seeded uniform values in [lo, hi), rounded to f32 so CPU and GPU see the same numbers. */
export function randomFloats(n: number, seed: number, lo = -2, hi = 2): Float32Array {
  const r = seededRandom(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * r();
  return out;
}

/** `n` seeded integers in [0, max). */
export function randomInts(n: number, seed: number, max: number): Int32Array {
  const r = seededRandom(seed);
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.floor(r() * max);
  return out;
}

/** Tolerance of a comparison: |actual - expected| <= atol + rtol * |expected|. */
export interface Tolerance {
  rtol: number;
  atol: number;
}

/** Throws, naming the worst element and both values, unless every element is within tolerance. */
export function assertClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  { rtol, atol }: Tolerance,
  what: string,
): void {
  if (actual.length !== expected.length) {
    throw new Error(`${what}: length ${actual.length}, expected ${expected.length}`);
  }
  let worst = -1;
  let worstExcess = 0;
  let failures = 0;
  let maxRel = 0;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    const err = Math.abs(a - e);
    const allowed = atol + rtol * Math.abs(e);
    if (!(err <= allowed)) { // NaN fails here
      failures++;
      const excess = Number.isNaN(err) ? Infinity : err / allowed;
      if (worst < 0 || excess > worstExcess) {
        worst = i;
        worstExcess = excess;
      }
    }
    if (e !== 0) maxRel = Math.max(maxRel, err / Math.abs(e));
  }
  if (failures > 0) {
    const a = actual[worst]!;
    const e = expected[worst]!;
    throw new Error(
      `${what}: ${failures} of ${expected.length} elements out of tolerance (rtol ${rtol}, atol ${atol}); ` +
        `worst at [${worst}]: got ${a}, expected ${e}, |error| ${Math.abs(a - e)}`,
    );
  }
}

// ---------------------------------------------------------------------------------------------
// GPU runtimes under test

const ALL_BACKENDS: GpuBackend[] = ["dawn", "deno"];

function backendsUnderTest(): GpuBackend[] {
  const env = Deno.env.get("WEBGPU_TEST_BACKENDS");
  if (!env) return ALL_BACKENDS;
  const names = env.split(",").map((s) => s.trim()).filter(Boolean);
  for (const n of names) {
    if (n !== "dawn" && n !== "deno") throw new Error(`WEBGPU_TEST_BACKENDS: unknown backend "${n}"`);
  }
  return names as GpuBackend[];
}

const devices = new Map<GpuBackend, Promise<Gpu | Error>>();

/** One device per runtime per test module, opened on first use. */
function sharedGpu(backend: GpuBackend): Promise<Gpu | Error> {
  let d = devices.get(backend);
  if (!d) {
    d = Gpu.open({ backend }).catch((e: Error) => e);
    devices.set(backend, d);
  }
  return d;
}

/**
 * Registers `name [dawn]` and `name [deno]`. Without an adapter the test fails under CI (CI=true)
 * and is skipped with a loud warning elsewhere.
 */
export function gpuTest(name: string, fn: (gpu: Gpu) => Promise<void>): void {
  for (const backend of backendsUnderTest()) gpuTestOn(backend, name, fn);
}

/**
 * A test on one WebGPU runtime only, for end-to-end runs that cost too much to repeat per runtime
 * (the kernels under them are tested on both). Fails in CI when that runtime has no adapter.
 */
export function gpuTestOn(backend: GpuBackend, name: string, fn: (gpu: Gpu) => Promise<void>): void {
  Deno.test({
    name: `${name} [${backend}]`,
    sanitizeResources: false,
    sanitizeOps: false,
    async fn() {
      const gpu = await sharedGpu(backend);
      if (gpu instanceof Error) {
        if (Deno.env.get("CI")) {
          throw new Error(`No WebGPU adapter through ${backend} in CI: ${gpu.message}`);
        }
        console.warn(
          `\n!!! SKIPPED: no WebGPU adapter through ${backend} (${gpu.message}); GPU not tested\n`,
        );
        return;
      }
      await fn(gpu);
    },
  });
}

// ---------------------------------------------------------------------------------------------
// The kernel check

type HostArray = Float32Array | Int32Array;

/** An output of a kernel under test. `accumulate`: the kernel adds into it (starts from random values). */
export interface OutputSpec {
  size: number;
  accumulate?: boolean;
}

/** What the CPU twin receives for each input: f32 inputs widened to float64, integers as they are. */
export type HostInputs<In extends Record<string, HostArray>> = {
  [K in keyof In]: In[K] extends Int32Array ? Int32Array : Float64Array;
};

/** One kernel compared between its CPU twin (in float64) and the device. */
export interface KernelCase<In extends Record<string, HostArray>, O extends string> {
  what: string;
  inputs: In;
  outputs: Record<O, OutputSpec>;
  cpu: (out: Record<O, Float64Array>, inp: HostInputs<In>) => void;
  gpu: (out: Record<O, GpuTensor>, inp: Record<keyof In, GpuTensor>) => void;
  tolerance: Tolerance | Partial<Record<O, Tolerance>>;
  seed?: number;
}

/**
 * Runs the CPU twin in float64 on the same (f32-rounded) inputs as the device, with overwritten
 * outputs pre-filled with NaN on the device and accumulated ones starting from the same random
 * values on both sides, then compares every output.
 */
export async function checkKernel<In extends Record<string, HostArray>, O extends string>(
  gpu: Gpu,
  c: KernelCase<In, O>,
): Promise<Record<O, Float32Array>> {
  const seed = c.seed ?? 7;
  const hostIn: Record<string, Float64Array | Int32Array> = {};
  const devIn: Record<string, GpuTensor> = {};
  for (const [name, data] of Object.entries(c.inputs)) {
    hostIn[name] = data instanceof Int32Array ? data : Float64Array.from(data);
    devIn[name] = gpu.upload(data, name);
  }
  const hostOut = {} as Record<O, Float64Array>;
  const devOut = {} as Record<O, GpuTensor>;
  let k = 0;
  for (const [name, spec] of Object.entries(c.outputs) as [O, OutputSpec][]) {
    const start = spec.accumulate
      ? randomFloats(spec.size, seed * 131 + ++k)
      : new Float32Array(spec.size).fill(NaN);
    hostOut[name] = spec.accumulate ? Float64Array.from(start) : new Float64Array(spec.size);
    devOut[name] = gpu.upload(start, name);
  }
  c.cpu(hostOut, hostIn as HostInputs<In>);
  c.gpu(devOut, devIn as Record<keyof In, GpuTensor>);
  const results = {} as Record<O, Float32Array>;
  for (const name of Object.keys(c.outputs) as O[]) {
    const got = await gpu.read(devOut[name]);
    const tol = "rtol" in c.tolerance
      ? c.tolerance as Tolerance
      : (c.tolerance as Record<O, Tolerance>)[name];
    if (!tol) throw new Error(`${c.what}: no tolerance stated for output "${name}"`);
    assertClose(got, hostOut[name], tol, `${c.what} [${gpu.backend}] output "${name}"`);
    results[name] = got;
  }
  for (const t of [...Object.values(devIn), ...Object.values(devOut)] as GpuTensor[]) t.buffer.destroy();
  return results;
}

// ---------------------------------------------------------------------------------------------
// Finite differences

/** A CPU forward and backward to check against central differences of L = sum(out * dout). */
export interface GradientCase<I extends string> {
  what: string;
  /** Differentiable inputs, float64. */
  inputs: Record<I, Float64Array>;
  /** Runs the forward on the given inputs and returns its output (fresh array). */
  forward: (inp: Record<I, Float64Array>) => Float64Array;
  /** Runs the backward for upstream gradient `dout`; returns gradients (fresh arrays, started at 0). */
  backward: (inp: Record<I, Float64Array>, dout: Float64Array) => Partial<Record<I, Float64Array>>;
  /** Step of the central difference. */
  eps?: number;
  tolerance?: Tolerance;
  /** Check at most this many elements of each input (seeded sample). */
  samples?: number;
  seed?: number;
}

/** Checks every gradient the backward returns against central finite differences in float64. */
export function checkGradient<I extends string>(c: GradientCase<I>): void {
  const eps = c.eps ?? 1e-6;
  const tol = c.tolerance ?? { rtol: 1e-5, atol: 1e-7 };
  const seed = c.seed ?? 11;
  const out0 = c.forward(c.inputs);
  const dout = Float64Array.from(randomFloats(out0.length, seed));
  const loss = (inp: Record<I, Float64Array>) => {
    const out = c.forward(inp);
    let s = 0;
    for (let i = 0; i < out.length; i++) s += out[i]! * dout[i]!;
    return s;
  };
  const grads = c.backward(c.inputs, dout);
  const names = Object.keys(grads) as I[];
  if (names.length === 0) throw new Error(`${c.what}: the backward returned no gradients`);
  const r = seededRandom(seed + 1);
  for (const name of names) {
    const x = c.inputs[name];
    const g = grads[name]!;
    const count = Math.min(x.length, c.samples ?? 64);
    const picks = count === x.length
      ? [...Array(x.length).keys()]
      : Array.from({ length: count }, () => Math.floor(r() * x.length));
    const numeric = new Float64Array(picks.length);
    const analytic = new Float64Array(picks.length);
    picks.forEach((i, j) => {
      const keep = x[i]!;
      x[i] = keep + eps;
      const up = loss(c.inputs);
      x[i] = keep - eps;
      const down = loss(c.inputs);
      x[i] = keep;
      numeric[j] = (up - down) / (2 * eps);
      analytic[j] = g[i]!;
    });
    assertClose(analytic, numeric, tol, `${c.what}: d/d${name} vs finite differences`);
  }
}

/** A float64 array of zeros (a gradient to accumulate into). */
export const zeros = (n: number): Float64Array => new Float64Array(n);

/** Runs `fn` and returns the message of what it threw (sync or async); fails if nothing was thrown. */
export async function messageOf(fn: () => unknown): Promise<string> {
  try {
    await fn();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error("expected an error, got none");
}

/** What a command printed: its exit code, stdout, and the `error:` lines of its stderr. */
export interface TaskRun {
  /** Exit code. */
  code: number;
  /** Standard output. */
  stdout: string;
  /** Standard error, whole. */
  stderr: string;
  /** The lines of stderr that start with `error:`. */
  errors: string[];
  /** Wall time of the run, in milliseconds. */
  ms: number;
}

/** Runs `tasks/<file>` with `args` in the repository root, as `deno task` does. */
export async function runTaskFile(file: string, ...args: string[]): Promise<TaskRun> {
  const started = performance.now();
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--unstable-webgpu", `tasks/${file}`, ...args],
    cwd: new URL("..", import.meta.url).pathname,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  return {
    code: out.code,
    stdout: new TextDecoder().decode(out.stdout),
    stderr,
    errors: stderr.split("\n").filter((l) => l.startsWith("error:")),
    ms: performance.now() - started,
  };
}
