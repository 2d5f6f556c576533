/**
 * The op interface the model is written against, once, and its two implementations: the CPU twins
 * (the reference) and the WebGPU kernels. Same names and argument order as the twins; tensors are
 * opaque (`T`), so nothing above this module knows which backend runs.
 *
 * @example
 * ```ts
 * import { cpuOps } from "./ops.ts";
 *
 * const ops = cpuOps();
 * const x = ops.upload(Float32Array.of(-1, 0, 1), "x");
 * const y = ops.tensor(3, "y");
 * ops.geluForward(y, x, { n: 3 });
 * console.log(await ops.read(y));
 * ```
 * @module
 */
import type { Gpu, GpuTensor } from "./device.ts";
import { MIXED_FEATURE, type Precision } from "./precision.ts";
import * as cpu from "./cpu/mod.ts";
import * as dev from "./webgpu/mod.ts";
import type {
  AdamWMultiOptions,
  AdamWOptions,
  BiasShape,
  ClipShape,
  CrossEntropyBackwardShape,
  CrossEntropyShape,
  DropoutShape,
  ElementwiseShape,
  EmbeddingBackwardShape,
  EmbeddingShape,
  FillShape,
  GatherShape,
  HeadsShape,
  LayerNormOptions,
  LayerNormShape,
  MatmulShape,
  MseBackwardShape,
  MseShape,
  NormShape,
  ResidualShape,
  SoftmaxOptions,
  SumShape,
} from "./cpu/mod.ts";

/**
 * A tensor of the CPU backend. In f32 mode `f` and `i` view one buffer, like a device buffer; in
 * f64 mode (the float64 reference, for finite differences) they are separate arrays, and integer
 * uploads fill both.
 */
export interface CpuTensor {
  /** The elements as floats, what the float kernels read and write. */
  readonly f: Float32Array | Float64Array;
  /** The elements as integers (ids, labels, token index), what the integer inputs are read from. */
  readonly i: Int32Array;
  /** Elements, the length of `f` and of `i`. */
  readonly size: number;
  /** Names the tensor in errors. */
  readonly label: string;
}

/** Every kernel, forward and backward, plus tensor allocation and transfer. */
export interface Ops<T> {
  /** Which backend runs the kernels: the CPU twins or a WebGPU runtime. */
  readonly backend: "cpu" | "dawn" | "deno";
  /** `mixed`: the matmuls round their operands to f16 (and the trainer scales the loss). */
  readonly precision: Precision;
  /** The most elements one kernel may bind from a tensor (bigger tensors are bound as views). */
  readonly maxBinding: number;
  /** A zero-filled tensor of `size` 32-bit elements. */
  tensor(size: number, label: string): T;
  /** A new tensor holding `data`. */
  upload(data: Float32Array | Int32Array, label: string): T;
  /** Overwrites the start of `t` (on a device: nothing may be recorded and not yet flushed). */
  write(t: T, data: Float32Array | Int32Array): void;
  /** `size` elements of `t` from `offset` (on a device the offset must be aligned: 64 elements). */
  view(t: T, offset: number, size: number, label: string): T;
  /** Runs what was recorded and returns `t` as f32. */
  read(t: T): Promise<Float32Array>;
  /** Like {@linkcode read}, as i32. */
  readInt(t: T): Promise<Int32Array>;
  /** Submits recorded work without waiting for it. */
  flush(): Promise<void>;

  /** out (+)= alpha * op(a) op(b) + bias, `batch` products back to back; op transposes per `shape`. */
  matmulForward(out: T, a: T, b: T, bias: T | null, shape: MatmulShape): void;
  /** Accumulates da, db and dbias (null skips one); `scratch` serves dbias, as in `biasBackward`. */
  matmulBackward(
    da: T | null,
    db: T | null,
    dbias: T | null,
    dout: T,
    a: T,
    b: T,
    shape: MatmulShape,
    scratch: T | null,
  ): void;
  /** dbias[c] += sum_r dout[r, c]; `scratch` holds `biasBackwardScratchSize(shape)` elements. */
  biasBackward(dbias: T, dout: T, scratch: T, shape: BiasShape): void;
  /** LayerNorm of each row of [rows, cols]; also writes each row's `mean` and `rstd` for the backward. */
  layerNormForward(out: T, mean: T, rstd: T, inp: T, weight: T, bias: T, o: LayerNormOptions): void;
  /** Accumulates dinp, dweight, dbias from the forward's cached `mean` and `rstd`. */
  layerNormBackward(
    dinp: T,
    dweight: T,
    dbias: T,
    dout: T,
    inp: T,
    weight: T,
    mean: T,
    rstd: T,
    shape: LayerNormShape,
  ): void;
  /** out = inp * Phi(inp): GELU, the exact (erf) form. */
  geluForward(out: T, inp: T, shape: ElementwiseShape): void;
  /** dinp += dout * GELU'(inp). */
  geluBackward(dinp: T, inp: T, dout: T, shape: ElementwiseShape): void;
  /** out = tanh(inp) (the pooler's activation). */
  tanhForward(out: T, inp: T, shape: ElementwiseShape): void;
  /** dinp += dout * (1 - out^2), from the forward's output. */
  tanhBackward(dinp: T, out: T, dout: T, shape: ElementwiseShape): void;
  /**
   * Attention probabilities: out = softmax over cols of (scale * inp + mask), inp [batch, heads, rows,
   * cols]; `mask` is additive, [batch, cols], or null.
   */
  softmaxForward(out: T, inp: T, mask: T | null, o: SoftmaxOptions): void;
  /** dinp += the gradient with respect to the forward's pre-scale `inp`, from its output `out`. */
  softmaxBackward(dinp: T, out: T, dout: T, o: SoftmaxOptions): void;
  /** out [batch * seq, hidden] = word + position + token-type embedding of each token. */
  embeddingForward(out: T, ids: T, typeIds: T, wte: T, wpe: T, wtt: T, shape: EmbeddingShape): void;
  /**
   * Accumulates the gradients of the three tables. `order`, `starts` and `tokens` are the uploaded
   * `buildTokenIndex(ids)`; `shape.uniqueTokens` is its `tokens.length`.
   */
  embeddingBackward(
    dwte: T,
    dwpe: T,
    dwtt: T,
    dout: T,
    ids: T,
    typeIds: T,
    order: T,
    starts: T,
    tokens: T,
    shape: EmbeddingBackwardShape,
  ): void;
  /** out = inp * keep / (1 - p), inverted dropout; the mask is a function of (seed, stream, index). */
  dropoutForward(out: T, inp: T, shape: DropoutShape): void;
  /** dinp += dout * keep / (1 - p), the forward's mask recomputed from the same `shape`. */
  dropoutBackward(dinp: T, dout: T, shape: DropoutShape): void;
  /** out = a + b. */
  residualForward(out: T, a: T, b: T, shape: ResidualShape): void;
  /** da += dout, db += dout. */
  residualBackward(da: T, db: T, dout: T, shape: ResidualShape): void;
  /** [batch, seq, heads * headDim] -> [batch, heads, seq, headDim]. */
  splitHeadsForward(out: T, inp: T, shape: HeadsShape): void;
  /** dinp += dout permuted back: the inverse of {@linkcode splitHeadsForward}, accumulated. */
  splitHeadsBackward(dinp: T, dout: T, shape: HeadsShape): void;
  /** [batch, heads, seq, headDim] -> [batch, seq, heads * headDim]. */
  mergeHeadsForward(out: T, inp: T, shape: HeadsShape): void;
  /** dinp += dout permuted back: the inverse of {@linkcode mergeHeadsForward}, accumulated. */
  mergeHeadsBackward(dinp: T, dout: T, shape: HeadsShape): void;
  /** out[i, :] = inp[rows[i], :]: the MLM head's predicted positions, the classifier's [CLS] rows. */
  gatherRowsForward(out: T, inp: T, rows: T, shape: GatherShape): void;
  /** dinp[rows[i], :] += dout[i, :]; `rows` must be distinct (each row then has one writer). */
  gatherRowsBackward(dinp: T, dout: T, rows: T, shape: GatherShape): void;
  /**
   * Per row of logits [rows, classes]: losses = logsumexp - the target's logit, correct = 1 when the
   * argmax is the target; a target < 0 gives 0 and 0.
   */
  crossEntropyForward(losses: T, correct: T, logits: T, targets: T, shape: CrossEntropyShape): void;
  /** dlogits += scale * (softmax(logits) - onehot(target)) on the rows whose target is >= 0. */
  crossEntropyBackward(dlogits: T, logits: T, targets: T, shape: CrossEntropyBackwardShape): void;
  /** losses[r] = (preds[r] - targets[r])^2. */
  mseForward(losses: T, preds: T, targets: T, shape: MseShape): void;
  /** dpreds += scale * 2 * (preds - targets). */
  mseBackward(dpreds: T, preds: T, targets: T, shape: MseBackwardShape): void;
  /** out[0] = scale * sum(inp[0..n)); `scratch` holds `reduceScratchSize(n)` elements. */
  sumForward(out: T, scratch: T, inp: T, shape: SumShape): void;
  /** out[0] = sqrt(sum(inp[0..n)^2)), the global L2 norm; `scratch` as for {@linkcode sumForward}. */
  gradNorm(out: T, scratch: T, inp: T, shape: NormShape): void;
  /** PyTorch's clip_grad_norm_: grads *= maxNorm / (norm[0] + 1e-6) when that is below 1. */
  clipGradients(grads: T, norm: T, shape: ClipShape): void;
  /** One AdamW step (torch.optim.AdamW semantics), in place on `params`, `m` and `v`. */
  adamwUpdate(params: T, grads: T, m: T, v: T, o: AdamWOptions): void;
  /**
   * One AdamW step over all tensors of flat buffers (or a chunk of them, at `o.offset`), in place on
   * `params`, `m` and `v`: gradients enter as g * unscale * clip, clip = min(1, maxNorm / (norm[0] *
   * unscale + 1e-6)); weight decay only inside the [start, end) pairs of `ranges` (`decayRangeTable`).
   */
  adamwMulti(params: T, grads: T, m: T, v: T, norm: T, ranges: T, o: AdamWMultiOptions): void;
  /** out[0..n) = value (rounded to f32). */
  fill(out: T, shape: FillShape): void;
}

/**
 * The CPU backend: the twins on f32 storage (they accumulate in float64 inside), or on float64
 * storage throughout (`storage: "f64"`), the reference for finite differences. `precision: "mixed"`
 * runs the mixed-precision matmul twins (operands rounded to f16).
 */
export function cpuOps(
  storage: "f32" | "f64" = "f32",
  options: { precision?: Precision } = {},
): Ops<CpuTensor> {
  const precision = options.precision ?? "fp32";
  const matmul = precision === "mixed"
    ? { forward: cpu.matmulForwardMixed, backward: cpu.matmulBackwardMixed }
    : { forward: cpu.matmulForward, backward: cpu.matmulBackward };
  const f = (t: CpuTensor) => t.f;
  const i = (t: CpuTensor) => t.i;
  const fOrNull = (t: CpuTensor | null) => (t ? t.f : null);
  const make = (size: number, label: string): CpuTensor => {
    if (storage === "f64") return { f: new Float64Array(size), i: new Int32Array(size), size, label };
    const buffer = new ArrayBuffer(size * 4);
    return { f: new Float32Array(buffer), i: new Int32Array(buffer), size, label };
  };
  const write = (t: CpuTensor, data: Float32Array | Int32Array) => {
    if (data.length > t.size) throw new RangeError(`Cannot write ${data.length} elements into "${t.label}"`);
    if (data instanceof Int32Array) {
      t.i.set(data);
      if (storage === "f64") t.f.set(data);
    } else {
      t.f.set(data);
    }
  };
  return {
    backend: "cpu",
    precision,
    maxBinding: Number.MAX_SAFE_INTEGER,
    tensor: make,
    upload(data, label) {
      const t = make(data.length, label);
      write(t, data);
      return t;
    },
    write,
    view(t, offset, size, label) {
      if (offset + size > t.size) {
        throw new RangeError(`Cannot view "${label}": ${offset}+${size} exceeds "${t.label}"`);
      }
      return { f: t.f.subarray(offset, offset + size), i: t.i.subarray(offset, offset + size), size, label };
    },
    read: (t) => Promise.resolve(Float32Array.from(t.f)),
    readInt: (t) => Promise.resolve(t.i.slice()),
    flush: () => Promise.resolve(),

    matmulForward: (out, a, b, bias, s) => matmul.forward(f(out), f(a), f(b), fOrNull(bias), s),
    matmulBackward: (da, db, dbias, dout, a, b, s) =>
      matmul.backward(fOrNull(da), fOrNull(db), fOrNull(dbias), f(dout), f(a), f(b), s),
    biasBackward: (dbias, dout, scratch, s) => cpu.biasBackward(f(dbias), f(dout), f(scratch), s),
    layerNormForward: (out, mean, rstd, inp, w, b, o) =>
      cpu.layerNormForward(f(out), f(mean), f(rstd), f(inp), f(w), f(b), o),
    layerNormBackward: (dinp, dw, db, dout, inp, w, mean, rstd, s) =>
      cpu.layerNormBackward(f(dinp), f(dw), f(db), f(dout), f(inp), f(w), f(mean), f(rstd), s),
    geluForward: (out, inp, s) => cpu.geluForward(f(out), f(inp), s),
    geluBackward: (dinp, inp, dout, s) => cpu.geluBackward(f(dinp), f(inp), f(dout), s),
    tanhForward: (out, inp, s) => cpu.tanhForward(f(out), f(inp), s),
    tanhBackward: (dinp, out, dout, s) => cpu.tanhBackward(f(dinp), f(out), f(dout), s),
    softmaxForward: (out, inp, mask, o) => cpu.softmaxForward(f(out), f(inp), fOrNull(mask), o),
    softmaxBackward: (dinp, out, dout, o) => cpu.softmaxBackward(f(dinp), f(out), f(dout), o),
    embeddingForward: (out, ids, types, wte, wpe, wtt, s) =>
      cpu.embeddingForward(f(out), i(ids), i(types), f(wte), f(wpe), f(wtt), s),
    embeddingBackward: (dwte, dwpe, dwtt, dout, ids, types, order, starts, tokens, s) =>
      cpu.embeddingBackward(
        f(dwte),
        f(dwpe),
        f(dwtt),
        f(dout),
        i(ids),
        i(types),
        i(order),
        i(starts),
        i(tokens),
        s,
      ),
    dropoutForward: (out, inp, s) => cpu.dropoutForward(f(out), f(inp), s),
    dropoutBackward: (dinp, dout, s) => cpu.dropoutBackward(f(dinp), f(dout), s),
    residualForward: (out, a, b, s) => cpu.residualForward(f(out), f(a), f(b), s),
    residualBackward: (da, db, dout, s) => cpu.residualBackward(f(da), f(db), f(dout), s),
    splitHeadsForward: (out, inp, s) => cpu.splitHeadsForward(f(out), f(inp), s),
    splitHeadsBackward: (dinp, dout, s) => cpu.splitHeadsBackward(f(dinp), f(dout), s),
    mergeHeadsForward: (out, inp, s) => cpu.mergeHeadsForward(f(out), f(inp), s),
    mergeHeadsBackward: (dinp, dout, s) => cpu.mergeHeadsBackward(f(dinp), f(dout), s),
    gatherRowsForward: (out, inp, rows, s) => cpu.gatherRowsForward(f(out), f(inp), i(rows), s),
    gatherRowsBackward: (dinp, dout, rows, s) => cpu.gatherRowsBackward(f(dinp), f(dout), i(rows), s),
    crossEntropyForward: (losses, correct, logits, targets, s) =>
      cpu.crossEntropyForward(f(losses), f(correct), f(logits), i(targets), s),
    crossEntropyBackward: (dlogits, logits, targets, s) =>
      cpu.crossEntropyBackward(f(dlogits), f(logits), i(targets), s),
    mseForward: (losses, preds, targets, s) => cpu.mseForward(f(losses), f(preds), f(targets), s),
    mseBackward: (dpreds, preds, targets, s) => cpu.mseBackward(f(dpreds), f(preds), f(targets), s),
    sumForward: (out, scratch, inp, s) => cpu.sumForward(f(out), f(scratch), f(inp), s),
    gradNorm: (out, scratch, inp, s) => cpu.gradNorm(f(out), f(scratch), f(inp), s),
    clipGradients: (grads, norm, s) => cpu.clipGradients(f(grads), f(norm), s),
    adamwUpdate: (p, g, m, v, o) => cpu.adamwUpdate(f(p), f(g), f(m), f(v), o),
    adamwMulti: (p, g, m, v, norm, ranges, o) =>
      cpu.adamwMulti(f(p), f(g), f(m), f(v), f(norm), i(ranges), o),
    fill: (out, s) => cpu.fill(f(out), s),
  };
}

/**
 * The WebGPU backend on an opened device. `maxBinding` (elements) may lower the adapter's binding
 * limit, so that the chunked paths can be exercised on any adapter. `precision: "mixed"` runs the
 * mixed-precision matmuls (the device must have been opened with shader-f16).
 */
export function gpuOps(
  gpu: Gpu,
  options: { maxBinding?: number; precision?: Precision } = {},
): Ops<GpuTensor> {
  const precision = options.precision ?? "fp32";
  if (precision === "mixed" && !gpu.features.has(MIXED_FEATURE)) {
    throw new Error(
      `Cannot run --precision mixed on ${gpu.info.adapter}: the device was opened without ${MIXED_FEATURE}`,
    );
  }
  const matmul = precision === "mixed"
    ? { forward: dev.matmulForwardMixed, backward: dev.matmulBackwardMixed }
    : { forward: dev.matmulForward, backward: dev.matmulBackward };
  return {
    backend: gpu.backend,
    precision,
    maxBinding: Math.min(
      options.maxBinding ?? Infinity,
      Math.floor(gpu.info.limits.maxStorageBufferBindingSize! / 4),
    ),
    tensor: (size, label) => gpu.tensor(size, label),
    upload: (data, label) => gpu.upload(data, label),
    write: (t, data) => gpu.write(t, data),
    view: (t, offset, size, label) => gpu.view(t, offset, size, label),
    read: (t) => gpu.read(t),
    readInt: (t) => gpu.readInt(t),
    flush: () => gpu.flush(),

    matmulForward: (out, a, b, bias, s) => matmul.forward(gpu, out, a, b, bias, s),
    matmulBackward: (da, db, dbias, dout, a, b, s, scratch) =>
      matmul.backward(gpu, da, db, dbias, dout, a, b, s, scratch),
    biasBackward: (dbias, dout, scratch, s) => dev.biasBackward(gpu, dbias, dout, scratch, s),
    layerNormForward: (out, mean, rstd, inp, w, b, o) =>
      dev.layerNormForward(gpu, out, mean, rstd, inp, w, b, o),
    layerNormBackward: (dinp, dw, db, dout, inp, w, mean, rstd, s) =>
      dev.layerNormBackward(gpu, dinp, dw, db, dout, inp, w, mean, rstd, s),
    geluForward: (out, inp, s) => dev.geluForward(gpu, out, inp, s),
    geluBackward: (dinp, inp, dout, s) => dev.geluBackward(gpu, dinp, inp, dout, s),
    tanhForward: (out, inp, s) => dev.tanhForward(gpu, out, inp, s),
    tanhBackward: (dinp, out, dout, s) => dev.tanhBackward(gpu, dinp, out, dout, s),
    softmaxForward: (out, inp, mask, o) => dev.softmaxForward(gpu, out, inp, mask, o),
    softmaxBackward: (dinp, out, dout, o) => dev.softmaxBackward(gpu, dinp, out, dout, o),
    embeddingForward: (out, ids, types, wte, wpe, wtt, s) =>
      dev.embeddingForward(gpu, out, ids, types, wte, wpe, wtt, s),
    embeddingBackward: (dwte, dwpe, dwtt, dout, ids, types, order, starts, tokens, s) =>
      dev.embeddingBackward(gpu, dwte, dwpe, dwtt, dout, ids, types, order, starts, tokens, s),
    dropoutForward: (out, inp, s) => dev.dropoutForward(gpu, out, inp, s),
    dropoutBackward: (dinp, dout, s) => dev.dropoutBackward(gpu, dinp, dout, s),
    residualForward: (out, a, b, s) => dev.residualForward(gpu, out, a, b, s),
    residualBackward: (da, db, dout, s) => dev.residualBackward(gpu, da, db, dout, s),
    splitHeadsForward: (out, inp, s) => dev.splitHeadsForward(gpu, out, inp, s),
    splitHeadsBackward: (dinp, dout, s) => dev.splitHeadsBackward(gpu, dinp, dout, s),
    mergeHeadsForward: (out, inp, s) => dev.mergeHeadsForward(gpu, out, inp, s),
    mergeHeadsBackward: (dinp, dout, s) => dev.mergeHeadsBackward(gpu, dinp, dout, s),
    gatherRowsForward: (out, inp, rows, s) => dev.gatherRowsForward(gpu, out, inp, rows, s),
    gatherRowsBackward: (dinp, dout, rows, s) => dev.gatherRowsBackward(gpu, dinp, dout, rows, s),
    crossEntropyForward: (losses, correct, logits, targets, s) =>
      dev.crossEntropyForward(gpu, losses, correct, logits, targets, s),
    crossEntropyBackward: (dlogits, logits, targets, s) =>
      dev.crossEntropyBackward(gpu, dlogits, logits, targets, s),
    mseForward: (losses, preds, targets, s) => dev.mseForward(gpu, losses, preds, targets, s),
    mseBackward: (dpreds, preds, targets, s) => dev.mseBackward(gpu, dpreds, preds, targets, s),
    sumForward: (out, scratch, inp, s) => dev.sumForward(gpu, out, scratch, inp, s),
    gradNorm: (out, scratch, inp, s) => dev.gradNorm(gpu, out, scratch, inp, s),
    clipGradients: (grads, norm, s) => dev.clipGradients(gpu, grads, norm, s),
    adamwUpdate: (p, g, m, v, o) => dev.adamwUpdate(gpu, p, g, m, v, o),
    adamwMulti: (p, g, m, v, norm, ranges, o) => dev.adamwMulti(gpu, p, g, m, v, norm, ranges, o),
    fill: (out, s) => dev.fill(gpu, out, s),
  };
}
