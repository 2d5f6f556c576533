/**
 * BERT for sequence classification and regression (HuggingFace's BertForSequenceClassification):
 * the encoder, the pooler (dense + tanh on [CLS]), dropout, a linear layer; cross-entropy over
 * `numLabels` classes, or mean squared error when `numLabels` is 1 (STS-B). Written against
 * {@linkcode Ops} like the masked-LM model.
 * @module
 */
import type { Ops } from "../ops.ts";
import type { BackwardOptions } from "./model.ts";
import { reduceScratchSize } from "../cpu/reduce.ts";
import { forChunks } from "./chunks.ts";
import {
  BertEncoder,
  type BertShape,
  type EncoderInputs,
  EncoderModel,
  encoderParameters,
  type SequenceShape,
} from "./encoder.ts";

/** A classification batch: one label (class id) or target (regression) per sequence. */
export interface ClassifierBatch extends EncoderInputs {
  /** Class ids, [batch] (classification). */
  labels?: Int32Array;
  /** Targets, [batch] (regression, numLabels = 1). */
  targets?: Float32Array;
}

/** HuggingFace's tensor names and shapes of BertForSequenceClassification. */
export function classifierParameters(s: BertShape, numLabels: number): { name: string; shape: number[] }[] {
  const H = s.hidden;
  return [
    ...encoderParameters(s),
    { name: "bert.pooler.dense.weight", shape: [H, H] },
    { name: "bert.pooler.dense.bias", shape: [H] },
    { name: "classifier.weight", shape: [numLabels, H] },
    { name: "classifier.bias", shape: [numLabels] },
  ];
}

// Dropout site of the classifier's input (the encoder uses 0..4*layers).
const CLASSIFIER_SITE = 250;

/** The classifier over one parameter buffer and its gradients, for one batch shape. */
export class BertClassifier<T> extends EncoderModel<T> {
  /** Classes the classifier scores; 1 means regression (mean squared error). */
  readonly numLabels: number;
  readonly #dropout: number;
  #labels: T | null = null;
  #cls: T | null = null;

  /** `classifierDropout` defaults to the hidden dropout, as HF's `classifier_dropout: null`. */
  constructor(
    ops: Ops<T>,
    shape: BertShape,
    batch: SequenceShape,
    options: { numLabels: number; classifierDropout?: number; dropoutSeed?: number },
    params?: T,
  ) {
    if (!Number.isInteger(options.numLabels) || options.numLabels < 1) {
      throw new RangeError(`numLabels must be a positive integer, got ${options.numLabels}`);
    }
    super(
      new BertEncoder(ops, shape, batch, classifierParameters(shape, options.numLabels), params, {
        dropoutSeed: options.dropoutSeed,
      }),
    );
    this.numLabels = options.numLabels;
    this.#dropout = options.classifierDropout ?? shape.hiddenDropout;
  }

  /** The logits (or, for regression, predictions) of the last forward, [batch, numLabels]. */
  logits(): T {
    return this.enc.saved("cls.logits");
  }

  /** Uploads a batch; `labels` for classification, `targets` for regression. */
  setBatch(batch: ClassifierBatch): void {
    const B = this.enc.batch.batch, S = this.enc.batch.seq;
    const regression = this.numLabels === 1;
    const given = regression ? batch.targets : batch.labels;
    if (!given || given.length !== B) {
      throw new RangeError(
        `Batch needs ${B} ${regression ? "targets (regression)" : "labels"}, got ${given?.length ?? "none"}`,
      );
    }
    this.enc.setInputs(batch);
    this.#labels = this.enc.put("labels", given, B);
    this.#cls = this.enc.put("cls.rows", Int32Array.from({ length: B }, (_, b) => b * S), B);
  }

  /** Records the forward: loss[0] = mean loss over the batch, correct[0] = right predictions. */
  forward(step: number, train: boolean): { loss: T; correct: T } {
    const enc = this.enc;
    const ops = enc.ops;
    const h = enc.forward(step, train);
    const { hidden: H } = enc.shape;
    const B = enc.batch.batch, n = B * enc.batch.seq, L = this.numLabels;
    const act = (name: string, size: number) => enc.act(name, size);
    const cls = act("cls.first", B * H);
    ops.gatherRowsForward(cls, h, this.#cls!, { count: B, cols: H, inpRows: n });
    const pre = act("cls.pooler.pre", B * H);
    enc.linearForward(pre, cls, "bert.pooler.dense", B, H, H);
    const pooled = act("cls.pooled", B * H);
    ops.tanhForward(pooled, pre, { n: B * H });
    const dropped = act("cls.pooled.dropout", B * H);
    ops.dropoutForward(dropped, pooled, enc.dropout(step, CLASSIFIER_SITE, this.#dropout, B * H, train));
    const logits = act("cls.logits", B * L);
    enc.linearForward(logits, dropped, "classifier", B, L, H);
    const losses = act("cls.losses", B), correctRows = act("cls.correct.rows", B);
    if (L === 1) {
      ops.mseForward(losses, logits, this.#labels!, { rows: B });
      ops.fill(correctRows, { n: B, value: 0 });
    } else {
      ops.crossEntropyForward(losses, correctRows, logits, this.#labels!, { rows: B, classes: L });
    }
    const loss = act("cls.loss", 1), correct = act("cls.correct", 1);
    const scratch = act("cls.reduce.scratch", reduceScratchSize(B));
    ops.sumForward(loss, scratch, losses, { n: B, scale: 1 / B });
    ops.sumForward(correct, scratch, correctRows, { n: B, scale: 1 });
    return { loss, correct };
  }

  /** Records the backward of the last forward (same `step` and `train`), into zeroed gradients. */
  backward(step: number, train: boolean, options: BackwardOptions = {}): void {
    const enc = this.enc;
    const ops = enc.ops;
    const { hidden: H } = enc.shape;
    const B = enc.batch.batch, n = B * enc.batch.seq, L = this.numLabels;
    const saved = (name: string) => enc.saved(name);
    const scratch = enc.biasScratch([[B, L], [B, H]]);
    if (!options.accumulate) {
      forChunks(ops, this.grads, this.layout.size, "gradients", (g, n) => ops.fill(g, { n, value: 0 }));
    }
    const dlogits = enc.grad("cls.logits", B * L);
    const scale = (options.scale ?? 1 / B) * (options.lossScale ?? 1);
    if (L === 1) ops.mseBackward(dlogits, saved("cls.logits"), this.#labels!, { rows: B, scale });
    else {ops.crossEntropyBackward(dlogits, saved("cls.logits"), this.#labels!, {
        rows: B,
        classes: L,
        scale,
      });}
    const dDropped = enc.grad("cls.pooled.dropout", B * H);
    enc.linearBackward(dDropped, dlogits, saved("cls.pooled.dropout"), "classifier", B, L, H, scratch);
    const dPooled = enc.grad("cls.pooled", B * H);
    ops.dropoutBackward(
      dPooled,
      dDropped,
      enc.dropout(step, CLASSIFIER_SITE, this.#dropout, B * H, train),
    );
    const dPre = enc.grad("cls.pooler.pre", B * H);
    ops.tanhBackward(dPre, saved("cls.pooled"), dPooled, { n: B * H });
    const dCls = enc.grad("cls.first", B * H);
    enc.linearBackward(dCls, dPre, saved("cls.first"), "bert.pooler.dense", B, H, H, scratch);
    const dh = enc.lastHiddenGrad();
    ops.gatherRowsBackward(dh, dCls, this.#cls!, { count: B, cols: H, inpRows: n });
    enc.backward(step, train, dh);
  }
}
