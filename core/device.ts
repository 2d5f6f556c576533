/**
 * The device layer: the only module that knows which WebGPU runtime is in use (Dawn's Node bindings,
 * npm `webgpu`, loaded in Deno; or Deno's built-in `navigator.gpu`). Everything above it records
 * dispatches of named kernels on {@linkcode GpuTensor}s and awaits {@linkcode Gpu.read} or
 * {@linkcode Gpu.sync}.
 *
 * @example
 * ```ts
 * const gpu = await Gpu.open({ backend: "auto" });
 * const x = gpu.upload(new Float32Array([1, 2, 3]), "x");
 * console.log(await gpu.read(x));
 * gpu.destroy();
 * ```
 * @module
 */
import { loadShader, shaderPath } from "./shaders.ts";
import { type GpuBackend, type GpuRuntime, openRuntime } from "./runtime.ts";
import { MIXED_FEATURE, type Precision } from "./precision.ts";

export type { GpuBackend } from "./runtime.ts";

/** WebGPU usage flags, as numbers, so that no runtime's globals are needed. */
export const BufferUsage = {
  MAP_READ: 0x0001,
  COPY_SRC: 0x0004,
  COPY_DST: 0x0008,
  UNIFORM: 0x0040,
  STORAGE: 0x0080,
} as const;
const MAP_MODE_READ = 0x0001;

/**
 * Backends a user can ask for: `auto` picks the WebGPU runtime that is reliable and fastest here,
 * `dawn` and `deno` name one, `cpu` runs the CPU reference ops (for the model, when asked for).
 */
export const BACKEND_NAMES: readonly ["auto", "dawn", "deno", "cpu"] = ["auto", "dawn", "deno", "cpu"];

/** One of {@linkcode BACKEND_NAMES}. */
export type BackendName = typeof BACKEND_NAMES[number];

/** A view of `size` 32-bit elements (f32, i32 or u32) at byte `offset` of a device buffer. */
export interface GpuTensor {
  /** The device buffer, shared by every view of it. */
  readonly buffer: GPUBuffer;
  /** Byte offset into `buffer`; a multiple of minStorageBufferOffsetAlignment. */
  readonly offset: number;
  /** Elements (4 bytes each), not bytes. */
  readonly size: number;
  /** Names the tensor in errors; a new tensor's buffer carries it as its WebGPU label. */
  readonly label: string;
}

/** A float parameter of a kernel (plain numbers are u32). */
export interface F32Param {
  /** The value, written as an f32. */
  readonly f32: number;
}
/** A signed integer parameter of a kernel. */
export interface I32Param {
  /** The value, written as an i32. */
  readonly i32: number;
}
/** One word of a kernel's uniform `Params` struct (binding 0). */
export type Param = number | F32Param | I32Param;
/** Marks a kernel parameter as f32. */
export const f32 = (value: number): F32Param => ({ f32: value });
/** Marks a kernel parameter as i32. */
export const i32 = (value: number): I32Param => ({ i32: value });

/** A kernel: a WGSL entry point in `shaders/<file>.wgsl`, with optional override constants. */
export interface KernelSpec {
  /** The shader: `matmul` for `shaders/matmul.wgsl`, or a path ending in `.wgsl`. */
  readonly file: string;
  /** The `@compute` function to run. */
  readonly entry: string;
  /** Values of the shader's `override` declarations; each distinct set is its own pipeline. */
  readonly constants?: Readonly<Record<string, number>>;
}

/** The limits this project requests from the adapter (its real values, not the spec's defaults). */
export const REQUESTED_LIMITS = [
  "maxStorageBufferBindingSize",
  "maxBufferSize",
  "maxComputeWorkgroupStorageSize",
  "maxStorageBuffersPerShaderStage",
  "maxComputeInvocationsPerWorkgroup",
  "maxComputeWorkgroupSizeX",
  "maxComputeWorkgroupSizeY",
  "maxComputeWorkgroupsPerDimension",
] as const;

/** What `doctor` prints. */
export interface GpuInfo {
  /** The runtime the device was opened through. */
  backend: GpuBackend;
  /** The adapter's description (else its device or vendor name): what logs and errors show. */
  adapter: string;
  /** Adapter vendor as the runtime reports it (may be empty). */
  vendor: string;
  /** Adapter architecture as the runtime reports it (may be empty). */
  architecture: string;
  /** The runtime marked the adapter as a fallback (software) one. */
  isFallbackAdapter: boolean;
  /** The adapter's features, sorted. */
  features: string[];
  /** Subgroup sizes the adapter reports (0 when the runtime does not say). */
  subgroupMinSize: number;
  /** See {@linkcode GpuInfo.subgroupMinSize}. */
  subgroupMaxSize: number;
  /** Dawn toggles the instance was created with (always empty on Deno's runtime). */
  toggles: string[];
  /** The device's values of {@linkcode REQUESTED_LIMITS} and the two offset alignments. */
  limits: Record<string, number>;
}

interface Dispatch {
  kernel: string;
  /** Null for a clear: `tensors[0]` zeroed by the encoder, between compute passes. */
  pipeline: Promise<GPUComputePipeline> | null;
  tensors: readonly GpuTensor[];
  params: readonly Param[];
  workgroups: readonly [number, number, number];
}

/**
 * Features asked for whenever the adapter has them: timestamps for benchmarks, f16 for
 * `--precision mixed`, subgroups for reductions.
 */
const OPTIONAL_FEATURES: readonly string[] = ["timestamp-query", MIXED_FEATURE, "subgroups"];

/** The Dawn toggles `--precision mixed` sets (and no others). */
export const MIXED_DAWN_TOGGLES: readonly string[] = ["vulkan_enable_f16_on_nvidia"];

/** What logs and errors call an adapter. */
export function adapterName(info: GPUAdapterInfo): string {
  return info.description || info.device || info.vendor || "unknown adapter";
}

let nextBufferId = 1;
const UNIFORM_SLOT = 256; // minUniformBufferOffsetAlignment is at most 256 on every adapter
const MAX_PARAMS = UNIFORM_SLOT / 4;

/** A WebGPU device with a pipeline cache and a queue of recorded dispatches. */
export class Gpu {
  /** The runtime this device was opened through. */
  readonly backend: GpuBackend;
  /** The underlying WebGPU device, for what this class does not wrap. */
  readonly device: GPUDevice;
  /** Adapter identity and the device's limits, fixed at open. */
  readonly info: GpuInfo;
  /** The features the device was opened with (a subset of the adapter's). */
  readonly features: ReadonlySet<string>;
  readonly #runtime: GpuRuntime;
  readonly #pipelines = new Map<string, Promise<GPUComputePipeline>>();
  readonly #modules = new Map<string, GPUShaderModule>();
  readonly #entryFiles = new Map<string, string>();
  #pending: Dispatch[] = [];
  #uniforms: GPUBuffer | null = null;
  #staging = new Map<number, GPUBuffer[]>();
  #lastKernels: string[] = [];
  #failure: Error | null = null;
  #destroyed = false;
  // Bind groups are cached: a training step records the same dispatches on the same tensors every
  // time, so the hot path creates no objects (measured on an H100: a 168-dispatch stress iteration
  // went from 7.1 to 5.7 ms). Keyed by kernel, uniform slot and tensors.
  readonly #bindGroups = new Map<string, GPUBindGroup>();
  readonly #bufferIds = new WeakMap<GPUBuffer, number>();
  // Submits are serialised: a batch waits for its pipelines, and a later batch whose pipelines are
  // ready must not overtake it.
  #lastSubmit: Promise<void> = Promise.resolve();
  #submitting = 0;

  private constructor(runtime: GpuRuntime, device: GPUDevice, info: GpuInfo) {
    this.#runtime = runtime;
    this.backend = runtime.name;
    this.device = device;
    this.info = info;
    this.features = new Set([...device.features]);
    device.addEventListener("uncapturederror", (event) => {
      const error = (event as GPUUncapturedErrorEvent).error;
      this.#failure ??= new Error(
        `WebGPU error after kernels [${this.#lastKernels.join(", ")}]: ${error.message}`,
      );
    });
    device.lost.then((lost) => {
      if (this.#destroyed) return;
      this.#failure ??= new Error(
        `WebGPU device lost (${lost.reason}) after kernels [${
          this.#lastKernels.join(", ")
        }]: ${lost.message}`,
      );
    });
  }

  /**
   * Opens a device on the named runtime. `auto` takes {@linkcode chooseBackend}'s pick and logs it;
   * if that runtime has no adapter it says so on stderr and tries the other. `precision: "mixed"`
   * requires shader-f16, and on Dawn sets the one toggle it needs for that (NVIDIA's Vulkan driver
   * is denied f16 without it).
   */
  static async open(options: { backend?: BackendName; precision?: Precision } = {}): Promise<Gpu> {
    const precision = options.precision ?? "fp32";
    const name = options.backend ?? "auto";
    if (name === "cpu") throw new RangeError(`Cannot open a GPU for backend "cpu": use the CPU ops instead`);
    if (name !== "auto" && name !== "dawn" && name !== "deno") {
      throw new RangeError(`Unknown backend "${name}": expected auto, dawn, deno or cpu`);
    }
    if (name !== "auto") return await Gpu.#open(name, precision);
    const first = chooseBackend();
    try {
      const gpu = await Gpu.#open(first, precision);
      console.error(`webgpu: backend auto -> ${first} (${gpu.info.adapter})`);
      return gpu;
    } catch (error) {
      const other: GpuBackend = first === "dawn" ? "deno" : "dawn";
      console.error(`webgpu: backend auto: ${first} failed (${(error as Error).message}); trying ${other}`);
      return await Gpu.#open(other, precision);
    }
  }

  static async #open(backend: GpuBackend, precision: Precision): Promise<Gpu> {
    const toggles = precision === "mixed" && backend === "dawn" ? [...MIXED_DAWN_TOGGLES] : [];
    const runtime = await openRuntime(backend, { dawnToggles: toggles });
    const adapter = await runtime.gpu.requestAdapter({ powerPreference: "high-performance" });
    if (!adapter) {
      throw new Error(
        `Cannot open a WebGPU adapter through ${backend}: requestAdapter() gave none; without a GPU, ` +
          `install Mesa's lavapipe (Mesa >= 25; Debian: mesa-vulkan-drivers from bookworm-backports, ` +
          `README "Setting up a machine") or run with --backend cpu`,
      );
    }
    const requiredLimits: Record<string, number> = {};
    for (const key of REQUESTED_LIMITS) requiredLimits[key] = adapter.limits[key];
    const requiredFeatures = [...adapter.features].filter((f) =>
      OPTIONAL_FEATURES.includes(f)
    ) as GPUFeatureName[];
    if (precision === "mixed" && !adapter.features.has(MIXED_FEATURE)) {
      throw new Error(
        `Cannot train with --precision mixed on ${
          adapterName(adapter.info)
        } through ${backend}: the adapter ` +
          `lacks ${MIXED_FEATURE} (features: ${
            [...adapter.features].sort().join(" ") || "none"
          }); use --precision fp32`,
      );
    }
    const device = await adapter.requestDevice({ requiredLimits, requiredFeatures });
    const limits: Record<string, number> = {};
    for (const key of REQUESTED_LIMITS) limits[key] = device.limits[key];
    limits.minStorageBufferOffsetAlignment = device.limits.minStorageBufferOffsetAlignment;
    limits.minUniformBufferOffsetAlignment = device.limits.minUniformBufferOffsetAlignment;
    const info: GpuInfo = {
      backend,
      adapter: adapterName(adapter.info),
      vendor: adapter.info.vendor,
      architecture: adapter.info.architecture,
      isFallbackAdapter: Boolean((adapter.info as { isFallbackAdapter?: boolean }).isFallbackAdapter),
      features: [...adapter.features].sort(),
      subgroupMinSize: (adapter.info as { subgroupMinSize?: number }).subgroupMinSize ?? 0,
      subgroupMaxSize: (adapter.info as { subgroupMaxSize?: number }).subgroupMaxSize ?? 0,
      toggles,
      limits,
    };
    return new Gpu(runtime, device, info);
  }

  /** True for CPU-emulated adapters (lavapipe, SwiftShader, WARP), which want different kernels. */
  get isSoftware(): boolean {
    return this.info.isFallbackAdapter || /llvmpipe|lavapipe|swiftshader|warp/i.test(this.info.adapter);
  }

  /** Allocates a zero-filled tensor of `size` 32-bit elements in its own buffer. */
  tensor(size: number, label: string): GpuTensor {
    if (!Number.isInteger(size) || size < 0) {
      throw new RangeError(`Cannot allocate "${label}": bad size ${size}`);
    }
    const bytes = Math.max(4, size * 4);
    // A buffer may be larger than one binding (views of it are bound); dispatch checks each binding.
    const max = this.info.limits.maxBufferSize!;
    if (bytes > max) {
      throw new RangeError(
        `Cannot allocate "${label}": ${bytes} bytes exceeds maxBufferSize ${max} of this adapter`,
      );
    }
    const buffer = this.device.createBuffer({
      label,
      size: align(bytes, 16),
      usage: BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST,
    });
    return { buffer, offset: 0, size, label };
  }

  /** A view of `size` elements starting `elementOffset` elements into `parent`. */
  view(parent: GpuTensor, elementOffset: number, size: number, label: string): GpuTensor {
    const offset = parent.offset + elementOffset * 4;
    const alignment = this.info.limits.minStorageBufferOffsetAlignment!;
    if (offset % alignment !== 0) {
      throw new RangeError(`Cannot view "${label}": byte offset ${offset} is not a multiple of ${alignment}`);
    }
    if (elementOffset + size > parent.size) {
      throw new RangeError(
        `Cannot view "${label}": ${elementOffset}+${size} exceeds "${parent.label}" (${parent.size})`,
      );
    }
    return { buffer: parent.buffer, offset, size, label };
  }

  /** Allocates a tensor holding a copy of `data`. */
  upload(data: Float32Array | Int32Array | Uint32Array, label: string): GpuTensor {
    const t = this.tensor(data.length, label);
    this.write(t, data);
    return t;
  }

  /** Writes `data` into `tensor` (queued before any dispatch recorded after this call). */
  write(tensor: GpuTensor, data: Float32Array | Int32Array | Uint32Array): void {
    if (data.length > tensor.size) {
      throw new RangeError(`Cannot write ${data.length} elements into "${tensor.label}" of ${tensor.size}`);
    }
    this.#assertNothingRecorded();
    // Nothing to write; Deno's WebGPU panics on an empty writeBuffer (2.9.6, queue.rs:153).
    if (data.length === 0) return;
    this.device.queue.writeBuffer(tensor.buffer, tensor.offset, data as Float32Array<ArrayBuffer>);
  }

  /**
   * Returns (creating once) the pipeline of a kernel; creation runs in an error scope. Kernels are
   * known by entry name (and constants) in logs, errors and caches, so an entry name used by two
   * shader files is refused rather than silently given the other file's pipeline.
   */
  pipeline(spec: KernelSpec): Promise<GPUComputePipeline> {
    const key = kernelKey(spec);
    const file = this.#entryFiles.get(spec.entry);
    if (file === undefined) this.#entryFiles.set(spec.entry, spec.file);
    else if (file !== spec.file) {
      throw new Error(
        `Kernel "${spec.entry}" is defined in both ${shaderPath(file)} and ${shaderPath(spec.file)}: ` +
          `entry names must be unique across shaders`,
      );
    }
    let p = this.#pipelines.get(key);
    if (!p) {
      p = this.#createPipeline(spec, key);
      // Recorded dispatches await this at submit; until then a failure must not count as unhandled.
      p.catch(() => {});
      this.#pipelines.set(key, p);
    }
    return p;
  }

  async #createPipeline(spec: KernelSpec, key: string): Promise<GPUComputePipeline> {
    let module = this.#modules.get(spec.file);
    if (!module) {
      const code = loadShader(spec.file);
      this.device.pushErrorScope("validation");
      module = this.device.createShaderModule({ label: spec.file, code });
      const info = await module.getCompilationInfo();
      const scopeError = await this.device.popErrorScope();
      const errors = info.messages.filter((m) => m.type === "error");
      if (errors.length > 0 || scopeError) {
        const where = errors.map((m) => `${shaderPath(spec.file)}:${m.lineNum}:${m.linePos}: ${m.message}`);
        throw new Error(
          `Cannot compile kernel "${spec.entry}": ${where.join("; ") || scopeError?.message}`,
        );
      }
      this.#modules.set(spec.file, module);
    }
    this.device.pushErrorScope("validation");
    let pipeline: GPUComputePipeline | null = null;
    let failure: string | undefined;
    try {
      pipeline = await this.device.createComputePipelineAsync({
        label: key,
        layout: "auto",
        compute: { module, entryPoint: spec.entry, constants: spec.constants ?? {} },
      });
    } catch (error) {
      failure = (error as Error).message;
    }
    const scopeError = await this.device.popErrorScope();
    if (!pipeline || scopeError) {
      this.#pipelines.delete(key);
      throw new Error(`Cannot create pipeline "${key}": ${failure ?? scopeError?.message}`);
    }
    return pipeline;
  }

  /**
   * Records a dispatch. `tensors` bind to bindings 1..n in order; `params` fill the uniform struct at
   * binding 0 (omitted when empty). Nothing runs until {@linkcode flush}, `read` or `sync`.
   */
  dispatch(
    spec: KernelSpec,
    tensors: readonly GpuTensor[],
    params: readonly Param[],
    workgroups: readonly [number, number?, number?],
  ): void {
    this.#check();
    const [x, y = 1, z = 1] = workgroups;
    const max = this.info.limits.maxComputeWorkgroupsPerDimension!;
    if (x > max || y > max || z > max) {
      throw new RangeError(
        `Kernel "${spec.entry}": workgroup grid ${x}x${y}x${z} exceeds ${max} per dimension`,
      );
    }
    if (params.length > MAX_PARAMS) {
      throw new RangeError(`Kernel "${spec.entry}": over ${MAX_PARAMS} parameters`);
    }
    const maxBinding = this.info.limits.maxStorageBufferBindingSize!;
    for (const t of tensors) {
      if (t.size * 4 > maxBinding) {
        throw new RangeError(
          `Kernel "${spec.entry}": "${t.label}" is ${t.size * 4} bytes, over maxStorageBufferBindingSize ` +
            `${maxBinding} of this adapter (bind a view of it)`,
        );
      }
    }
    if (x === 0 || y === 0 || z === 0) return;
    this.#pending.push({
      kernel: kernelKey(spec),
      pipeline: this.pipeline(spec),
      tensors,
      params,
      workgroups: [x, y, z],
    });
  }

  /**
   * Records zeroing `tensor`, in order with the dispatches: the encoder's clearBuffer, a memset on
   * CPU-emulated adapters, where a fill kernel ran at 1 GB/s (zeroing gradients took 6% of a step).
   */
  clear(tensor: GpuTensor): void {
    this.#check();
    if (tensor.size === 0) return;
    this.#pending.push({
      kernel: "clear",
      pipeline: null,
      tensors: [tensor],
      params: [],
      workgroups: [0, 0, 0],
    });
  }

  /** Encodes and submits every recorded dispatch: one uniform upload, one pass, one submit. */
  flush(): Promise<void> {
    if (this.#pending.length === 0) return Promise.resolve();
    const batch = this.#pending;
    this.#pending = [];
    return this.#submit(batch, null);
  }

  // queue.writeBuffer runs before any later submit, so a write after recorded dispatches would overtake them.
  #assertNothingRecorded(): void {
    if (this.#submitting > 0) throw new Error(`Cannot write while a submit is under way: await it first`);
    if (this.#pending.length > 0) {
      throw new Error(
        `Cannot write while kernels [${
          this.#pending.map((d) => d.kernel).join(", ")
        }] are recorded: flush first`,
      );
    }
  }

  #submit(batch: Dispatch[], copy: ((encoder: GPUCommandEncoder) => void) | null): Promise<void> {
    this.#submitting++;
    const run = this.#lastSubmit.then(() => this.#encodeAndSubmit(batch, copy));
    const done = run.finally(() => this.#submitting--);
    this.#lastSubmit = done.catch(() => {});
    return done;
  }

  async #encodeAndSubmit(
    batch: Dispatch[],
    copy: ((encoder: GPUCommandEncoder) => void) | null,
  ): Promise<void> {
    const pipelines = await Promise.all(batch.map((d) => d.pipeline));
    this.#check();
    const uniformBytes = batch.length * UNIFORM_SLOT;
    if (!this.#uniforms || this.#uniforms.size < uniformBytes) {
      this.#uniforms?.destroy();
      this.#bindGroups.clear();
      this.#uniforms = this.device.createBuffer({
        label: "kernel params",
        size: Math.max(uniformBytes, 64 * UNIFORM_SLOT),
        usage: BufferUsage.UNIFORM | BufferUsage.COPY_DST,
      });
    }
    if (uniformBytes > 0) {
      const staging = new ArrayBuffer(uniformBytes);
      const view = new DataView(staging);
      batch.forEach((d, i) => writeParams(view, i * UNIFORM_SLOT, d));
      this.device.queue.writeBuffer(this.#uniforms, 0, staging);
    }

    this.device.pushErrorScope("out-of-memory");
    this.device.pushErrorScope("validation");
    this.#lastKernels = batch.map((d) => d.kernel);
    const encoder = this.device.createCommandEncoder();
    let pass: GPUComputePassEncoder | null = null;
    batch.forEach((d, i) => {
      const pipeline = pipelines[i];
      if (!pipeline) {
        // clearBuffer is an encoder command: it ends the pass, and the next dispatch opens another.
        pass?.end();
        pass = null;
        const t = d.tensors[0]!;
        encoder.clearBuffer(t.buffer, t.offset, t.size * 4);
        return;
      }
      pass ??= encoder.beginComputePass();
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, this.#bindGroup(d, i, pipeline));
      pass.dispatchWorkgroups(...d.workgroups);
    });
    (pass as GPUComputePassEncoder | null)?.end();
    copy?.(encoder);
    this.device.queue.submit([encoder.finish()]);
    const validation = this.device.popErrorScope();
    const memory = this.device.popErrorScope();
    const [v, m] = await Promise.all([validation, memory]);
    const error = v ?? m;
    if (error) {
      this.#bindGroups.clear(); // an invalid bind group must not be reused
      throw new Error(`WebGPU error in ${culprits(batch, error.message)}: ${error.message}`);
    }
  }

  #bindGroup(d: Dispatch, slot: number, pipeline: GPUComputePipeline): GPUBindGroup {
    const key = `${d.kernel}|${d.params.length > 0 ? slot : "-"}|` +
      d.tensors.map((t) => `${this.#bufferId(t.buffer)}:${t.offset}:${t.size}`).join(",");
    let group = this.#bindGroups.get(key);
    if (!group) {
      const entries: GPUBindGroupEntry[] = d.params.length > 0
        ? [{
          binding: 0,
          resource: { buffer: this.#uniforms!, offset: slot * UNIFORM_SLOT, size: UNIFORM_SLOT },
        }]
        : [];
      d.tensors.forEach((t, j) => {
        entries.push({
          binding: j + 1,
          resource: { buffer: t.buffer, offset: t.offset, size: Math.max(4, t.size * 4) },
        });
      });
      group = this.device.createBindGroup({
        label: d.kernel,
        layout: pipeline.getBindGroupLayout(0),
        entries,
      });
      // Tests and benchmarks make many short-lived tensors: bound the cache rather than track frees.
      if (this.#bindGroups.size >= 4096) this.#bindGroups.clear();
      this.#bindGroups.set(key, group);
    }
    return group;
  }

  #bufferId(buffer: GPUBuffer): number {
    let id = this.#bufferIds.get(buffer);
    if (id === undefined) {
      id = nextBufferId++;
      this.#bufferIds.set(buffer, id);
    }
    return id;
  }

  /** Submits recorded work and waits until the device has finished it. */
  async sync(): Promise<void> {
    await this.flush();
    await this.#runtime.wait(() => this.device.queue.onSubmittedWorkDone(), this.isSoftware);
    this.#check();
  }

  /** Submits recorded work plus a copy of `tensor`, and returns its contents as f32. */
  async read(tensor: GpuTensor): Promise<Float32Array> {
    const bytes = await this.readBytes(tensor);
    return new Float32Array(bytes);
  }

  /** Like {@linkcode read}, as i32. */
  async readInt(tensor: GpuTensor): Promise<Int32Array> {
    return new Int32Array(await this.readBytes(tensor));
  }

  /** Submits recorded work plus a copy of `tensor`, and returns its bytes. */
  async readBytes(tensor: GpuTensor): Promise<ArrayBuffer> {
    const bytes = align(Math.max(4, tensor.size * 4), 4);
    const staging = this.#takeStaging(bytes);
    const copy = (encoder: GPUCommandEncoder) =>
      encoder.copyBufferToBuffer(tensor.buffer, tensor.offset, staging, 0, bytes);
    const batch = this.#pending;
    this.#pending = [];
    await this.#submit(batch, copy);
    try {
      await this.#runtime.wait(() => staging.mapAsync(MAP_MODE_READ, 0, bytes), this.isSoftware);
    } catch (error) {
      this.#check();
      throw new Error(`Cannot read back "${tensor.label}": ${(error as Error).message}`);
    }
    const out = staging.getMappedRange(0, bytes).slice(0, tensor.size * 4);
    staging.unmap();
    this.#giveStaging(staging);
    this.#check();
    return out;
  }

  #takeStaging(bytes: number): GPUBuffer {
    const size = Math.max(256, 2 ** Math.ceil(Math.log2(bytes)));
    return this.#staging.get(size)?.pop() ?? this.device.createBuffer({
      label: `read-back ${size}`,
      size,
      usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST,
    });
  }

  #giveStaging(buffer: GPUBuffer): void {
    const list = this.#staging.get(buffer.size) ?? [];
    list.push(buffer);
    this.#staging.set(buffer.size, list);
  }

  #check(): void {
    if (this.#destroyed) throw new Error(`The ${this.backend} WebGPU device was destroyed`);
    if (this.#failure) throw this.#failure;
  }

  /** Releases the device. */
  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    this.#pending = [];
    this.device.destroy();
  }
}

// Names the kernels a validation message points at (by their label, or through a buffer label it
// quotes), else all of the batch. Dawn writes [Buffer "x"], wgpu writes Buffer with 'x' label.
function culprits(batch: Dispatch[], message: string): string {
  const label = /\[Buffer "([^"]*)"\]|Buffer with '([^']*)' label/.exec(message)?.slice(1).find((x) => x);
  const named = batch.filter((d) =>
    message.includes(`"${d.kernel}"`) || message.includes(`'${d.kernel}'`) ||
    (label !== undefined && d.tensors.some((t) => t.buffer.label === label))
  );
  const kernels = [...new Set((named.length > 0 ? named : batch).map((d) => d.kernel))];
  return `kernel${kernels.length > 1 ? "s" : ""} [${kernels.join(", ")}]`;
}

function kernelKey(spec: KernelSpec): string {
  const constants = spec.constants ? Object.entries(spec.constants).map(([k, v]) => `${k}=${v}`) : [];
  return constants.length > 0 ? `${spec.entry}<${constants.join(",")}>` : spec.entry;
}

function writeParams(view: DataView, offset: number, d: Dispatch): void {
  d.params.forEach((p, i) => {
    const at = offset + i * 4;
    if (typeof p === "number") {
      if (!Number.isInteger(p) || p < 0 || p > 0xffffffff) {
        throw new RangeError(
          `Kernel "${d.kernel}": parameter ${i} = ${p} is not a u32 (wrap floats in f32())`,
        );
      }
      view.setUint32(at, p, true);
    } else if ("f32" in p) view.setFloat32(at, p.f32, true);
    else view.setInt32(at, p.i32, true);
  });
}

/** Rounds `n` up to a multiple of `to`. */
export function align(n: number, to: number): number {
  return Math.ceil(n / to) * to;
}

/**
 * The runtime `auto` picks: Dawn, unless `WEBGPU_BACKEND` says otherwise. Measured on lavapipe: a
 * device round trip costs ~76 us through Dawn against ~11 ms through Deno's WebGPU, and the matmul
 * runs 24 against 20 GFLOP/s; with the fixes in runtime.ts Dawn holds the stress benchmark (README,
 * "Runtimes").
 */
export function chooseBackend(): GpuBackend {
  const env = Deno.env.get("WEBGPU_BACKEND");
  if (env === "dawn" || env === "deno") return env;
  if (env) throw new RangeError(`WEBGPU_BACKEND must be "dawn" or "deno", got "${env}"`);
  return "dawn";
}

/** Splits `n` invocations of `size`-wide workgroups into a grid that respects the per-dimension limit. */
export function grid1d(n: number, size: number, maxPerDim = 65535): [number, number, number] {
  const groups = Math.ceil(n / size);
  if (groups <= maxPerDim) return [groups, 1, 1];
  const y = Math.ceil(groups / maxPerDim);
  return [Math.ceil(groups / y), y, 1];
}
