/**
 * BERT for masked-LM (HuggingFace's BertForMaskedLM: the encoder, then the MLM head: dense + GELU +
 * LayerNorm + a decoder tied to the word embeddings with its own bias), over the predicted
 * positions only. Written once against {@linkcode Ops}: the same code runs on the CPU twins and on
 * WebGPU. The forward is a flat list of op calls; the backward walks it in reverse, accumulating
 * into gradients zeroed at the step's start.
 * @module
 */
import type { Ops } from "../ops.ts";
import { reduceScratchSize } from "../cpu/reduce.ts";
import { forChunks } from "./chunks.ts";
import type { Layout } from "./layout.ts";
import {
  BertEncoder,
  type BertShape,
  type EncoderInputs,
  EncoderModel,
  encoderParameters,
  type SequenceShape,
} from "./encoder.ts";

export type { BertShape } from "./encoder.ts";

/** One batch: `batch` sequences of `seq` tokens, `predictions` masked-LM positions in all. */
export interface BatchShape extends SequenceShape {
  /** Masked-LM positions in the whole batch: the rows the MLM head runs on. */
  predictions: number;
}

/**
 * The label of a row that is not predicted (HuggingFace's ignore index): the loss, its gradient and
 * the accuracy skip it. Masking pads its prediction slots with it; GLUE its padded rows.
 */
export const IGNORE_LABEL: number = -100;

/** A masked-LM batch on the host. */
export interface HostBatch extends EncoderInputs {
  /** Flat row (b * seq + t) of each predicted position, [predictions], distinct. */
  positions: Int32Array;
  /** Original id at each predicted position, [predictions] (-100: ignored). */
  labels: Int32Array;
}

/** HuggingFace's tensor names and shapes of BertForMaskedLM (decoder weight tied, not listed). */
export function mlmParameters(s: BertShape): { name: string; shape: number[] }[] {
  const { vocab: V, hidden: H } = s;
  return [
    ...encoderParameters(s),
    { name: "cls.predictions.transform.dense.weight", shape: [H, H] },
    { name: "cls.predictions.transform.dense.bias", shape: [H] },
    { name: "cls.predictions.transform.LayerNorm.weight", shape: [H] },
    { name: "cls.predictions.transform.LayerNorm.bias", shape: [H] },
    { name: "cls.predictions.bias", shape: [V] },
  ];
}

/** Options of a model's backward, for gradient accumulation over micro-batches. */
export interface BackwardOptions {
  /** Add to the gradients instead of zeroing them first (every micro-batch but the first). */
  accumulate?: boolean;
  /** The loss gradient's scale, replacing 1 / (this batch's labelled items). */
  scale?: number;
  /** Multiplies the loss gradient on top of `scale`: mixed precision's loss scale (default 1). */
  lossScale?: number;
}

/** What one forward computed: the mean loss and the count of correct predictions. */
export interface StepTensors<T> {
  /** One element: the mean cross-entropy over the labelled positions. */
  loss: T;
  /** One element: how many labelled positions are predicted right. */
  correct: T;
}

/** The masked-LM model over one parameter buffer and its gradients, for one batch shape. */
export class BertMlm<T> extends EncoderModel<T> {
  readonly #predictions: number;
  #positions: T | null = null;
  #labels: T | null = null;
  #validLabels = 0;

  /** `dropoutSeed` keys the dropout masks with the step (default 1). */
  constructor(
    ops: Ops<T>,
    shape: BertShape,
    batch: BatchShape,
    params?: T,
    options: { dropoutSeed?: number } = {},
  ) {
    super(new BertEncoder(ops, shape, batch, mlmParameters(shape), params, options));
    this.#predictions = batch.predictions;
  }

  /** The masked-LM logits of the last forward, [predictions, vocab]. */
  logits(): T {
    return this.enc.saved("mlm.logits");
  }

  /** Uploads a batch: the encoder's inputs, the predicted positions and their labels. */
  setBatch(batch: HostBatch): void {
    const P = this.#predictions;
    for (const [name, a] of [["positions", batch.positions], ["labels", batch.labels]] as const) {
      if (a.length !== P) throw new RangeError(`Batch "${name}" has ${a.length} entries, expected ${P}`);
    }
    this.enc.setInputs(batch);
    this.#positions = this.enc.put("positions", batch.positions, P);
    this.#labels = this.enc.put("labels", batch.labels, P);
    this.#validLabels = batch.labels.reduce((c, l) => c + (l >= 0 ? 1 : 0), 0);
  }

  /**
   * Records the forward: loss[0] = mean cross-entropy over labelled positions, correct[0] = how
   * many are predicted right. `step` keys the dropout masks; `train` turns dropout on.
   */
  forward(step: number, train: boolean): StepTensors<T> {
    const enc = this.enc;
    const ops = enc.ops;
    const h = enc.forward(step, train);
    const { vocab: V, hidden: H } = enc.shape;
    const n = enc.batch.batch * enc.batch.seq, P = this.#predictions;
    const act = (name: string, size: number) => enc.act(name, size);
    const p = (name: string) => enc.tensor(name).p;
    const linear = (m: number, out: number, k: number) => ({ m, n: out, k, transB: true });
    const eps = enc.shape.layerNormEps;
    const sel = act("mlm.selected", P * H);
    ops.gatherRowsForward(sel, h, this.#positions!, { count: P, cols: H, inpRows: n });
    const t = act("mlm.transform", P * H);
    enc.linearForward(t, sel, "cls.predictions.transform.dense", P, H, H);
    const tg = act("mlm.gelu", P * H);
    ops.geluForward(tg, t, { n: P * H });
    const tn = act("mlm.ln", P * H);
    ops.layerNormForward(
      tn,
      act("mlm.mean", P),
      act("mlm.rstd", P),
      tg,
      p("cls.predictions.transform.LayerNorm.weight"),
      p("cls.predictions.transform.LayerNorm.bias"),
      { rows: P, cols: H, eps },
    );
    const logits = act("mlm.logits", P * V);
    ops.matmulForward(
      logits,
      tn,
      p("bert.embeddings.word_embeddings.weight"),
      p("cls.predictions.bias"),
      linear(P, V, H),
    );
    const losses = act("mlm.losses", P), correctRows = act("mlm.correct.rows", P);
    ops.crossEntropyForward(losses, correctRows, logits, this.#labels!, { rows: P, classes: V });
    const loss = act("loss", 1), correct = act("correct", 1);
    const scratch = act("reduce.scratch", reduceScratchSize(Math.max(P, 1)));
    ops.sumForward(loss, scratch, losses, { n: P, scale: 1 / Math.max(1, this.#validLabels) });
    ops.sumForward(correct, scratch, correctRows, { n: P, scale: 1 });
    return { loss, correct };
  }

  /**
   * Records the backward of the last forward (same `step` and `train`), into zeroed gradients.
   * For gradient accumulation, `accumulate` adds to the gradients instead of zeroing them first, and
   * `scale` replaces the loss's 1 / (labelled positions of this batch) with 1 / (labelled positions
   * of all the micro-batches), so the sum is the gradient of the whole batch's mean loss.
   */
  backward(step: number, train: boolean, options: BackwardOptions = {}): void {
    const enc = this.enc;
    const ops = enc.ops;
    const { vocab: V, hidden: H } = enc.shape;
    const n = enc.batch.batch * enc.batch.seq, P = this.#predictions;
    const act = (name: string) => enc.saved(name);
    const grad = (name: string, size: number) => enc.grad(name, size);
    const w = (name: string) => enc.tensor(name);
    const linear = (m: number, out: number, k: number) => ({ m, n: out, k, transB: true });
    const scratch = enc.biasScratch([[P, V], [P, H]]);
    if (!options.accumulate) {
      forChunks(ops, this.grads, this.layout.size, "gradients", (g, n) => ops.fill(g, { n, value: 0 }));
    }
    const dlogits = grad("mlm.logits", P * V);
    ops.crossEntropyBackward(dlogits, act("mlm.logits"), this.#labels!, {
      rows: P,
      classes: V,
      scale: (options.scale ?? 1 / Math.max(1, this.#validLabels)) * (options.lossScale ?? 1),
    });
    const dtn = grad("mlm.ln", P * H);
    const wte = w("bert.embeddings.word_embeddings.weight");
    ops.matmulBackward(
      dtn,
      wte.g,
      w("cls.predictions.bias").g,
      dlogits,
      act("mlm.ln"),
      wte.p,
      linear(P, V, H),
      scratch,
    );
    const dtg = grad("mlm.gelu", P * H);
    ops.layerNormBackward(
      dtg,
      w("cls.predictions.transform.LayerNorm.weight").g,
      w("cls.predictions.transform.LayerNorm.bias").g,
      dtn,
      act("mlm.gelu"),
      w("cls.predictions.transform.LayerNorm.weight").p,
      act("mlm.mean"),
      act("mlm.rstd"),
      { rows: P, cols: H },
    );
    const dt = grad("mlm.transform", P * H);
    ops.geluBackward(dt, act("mlm.transform"), dtg, { n: P * H });
    const dsel = grad("mlm.selected", P * H);
    enc.linearBackward(dsel, dt, act("mlm.selected"), "cls.predictions.transform.dense", P, H, H, scratch);
    const dh = enc.lastHiddenGrad();
    ops.gatherRowsBackward(dh, dsel, this.#positions!, { count: P, cols: H, inpRows: n });

    enc.backward(step, train, dh);
  }
}

/** Fills `params` like HuggingFace's _init_weights: normal(0, std) weights, zero biases, LayerNorm 1. */
export function initialParameters(layout: Layout, std: number, seed: number): Float32Array {
  const out = new Float32Array(layout.size);
  let s = seed >>> 0;
  const uniform = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 4294967296;
  };
  for (const e of layout.entries) {
    const view = out.subarray(e.offset, e.offset + e.size);
    if (e.name.includes("LayerNorm.weight")) view.fill(1);
    else if (e.name.endsWith(".bias")) view.fill(0);
    else {
      for (let i = 0; i < e.size; i += 2) {
        // Box-Muller: two normals per pair of uniforms.
        const r = Math.sqrt(-2 * Math.log(uniform())), th = 2 * Math.PI * uniform();
        view[i] = std * r * Math.cos(th);
        if (i + 1 < e.size) view[i + 1] = std * r * Math.sin(th);
      }
    }
  }
  return out;
}
