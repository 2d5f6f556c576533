/**
 * BERT for masked-LM (HuggingFace's BertForMaskedLM: post-LN encoder, GELU, learned positions,
 * token types, the MLM head tied to the word embeddings), written once against {@linkcode Ops} so
 * the same code runs on the CPU twins and on WebGPU. The forward is a flat list of op calls; the
 * backward walks it in reverse, accumulating into gradients zeroed at the step's start.
 * @module
 */
import type { Ops } from "../ops.ts";
import { dropoutStream } from "../cpu/rng.ts";
import { buildTokenIndex } from "../cpu/embedding.ts";
import { biasBackwardScratchSize } from "../cpu/bias.ts";
import { reduceScratchSize } from "../cpu/reduce.ts";
import { buildLayout, type Layout } from "./layout.ts";

/** The sizes the model needs (a subset of BertConfig, in the kernels' terms). */
export interface BertShape {
  vocab: number;
  hidden: number;
  layers: number;
  heads: number;
  intermediate: number;
  maxPositions: number;
  typeVocab: number;
  layerNormEps: number;
  hiddenDropout: number;
  attentionDropout: number;
}

/** One batch: `batch` sequences of `seq` tokens, `predictions` masked-LM positions in all. */
export interface BatchShape {
  batch: number;
  seq: number;
  predictions: number;
}

/** A batch on the host. */
export interface HostBatch {
  /** Token ids, [batch * seq]. */
  ids: Int32Array;
  /** Token type ids, [batch * seq]. */
  typeIds: Int32Array;
  /** 1 for real tokens, 0 for padding, [batch * seq]. */
  attentionMask: Int32Array;
  /** Flat row (b * seq + t) of each predicted position, [predictions], distinct. */
  positions: Int32Array;
  /** Original id at each predicted position, [predictions] (-100: ignored). */
  labels: Int32Array;
}

/** HuggingFace's tensor names and shapes of BertForMaskedLM (decoder weight tied, not listed). */
export function mlmParameters(s: BertShape): { name: string; shape: number[] }[] {
  const { vocab: V, hidden: H, intermediate: I, maxPositions: P, typeVocab: T } = s;
  const out: { name: string; shape: number[] }[] = [
    { name: "bert.embeddings.word_embeddings.weight", shape: [V, H] },
    { name: "bert.embeddings.position_embeddings.weight", shape: [P, H] },
    { name: "bert.embeddings.token_type_embeddings.weight", shape: [T, H] },
    { name: "bert.embeddings.LayerNorm.weight", shape: [H] },
    { name: "bert.embeddings.LayerNorm.bias", shape: [H] },
  ];
  for (let l = 0; l < s.layers; l++) {
    const p = `bert.encoder.layer.${l}.`;
    for (const x of ["query", "key", "value"]) {
      out.push({ name: `${p}attention.self.${x}.weight`, shape: [H, H] }, {
        name: `${p}attention.self.${x}.bias`,
        shape: [H],
      });
    }
    out.push(
      { name: `${p}attention.output.dense.weight`, shape: [H, H] },
      { name: `${p}attention.output.dense.bias`, shape: [H] },
      { name: `${p}attention.output.LayerNorm.weight`, shape: [H] },
      { name: `${p}attention.output.LayerNorm.bias`, shape: [H] },
      { name: `${p}intermediate.dense.weight`, shape: [I, H] },
      { name: `${p}intermediate.dense.bias`, shape: [I] },
      { name: `${p}output.dense.weight`, shape: [H, I] },
      { name: `${p}output.dense.bias`, shape: [H] },
      { name: `${p}output.LayerNorm.weight`, shape: [H] },
      { name: `${p}output.LayerNorm.bias`, shape: [H] },
    );
  }
  out.push(
    { name: "cls.predictions.transform.dense.weight", shape: [H, H] },
    { name: "cls.predictions.transform.dense.bias", shape: [H] },
    { name: "cls.predictions.transform.LayerNorm.weight", shape: [H] },
    { name: "cls.predictions.transform.LayerNorm.bias", shape: [H] },
    { name: "cls.predictions.bias", shape: [V] },
  );
  return out;
}

/** What one forward computed: the summed loss and (when asked) the count of correct predictions. */
export interface StepTensors<T> {
  loss: T;
  correct: T;
}

/**
 * The masked-LM model over one parameter buffer and its gradients, with activations for one batch
 * shape allocated once.
 */
export class BertMlm<T> {
  readonly layout: Layout;
  readonly params: T;
  readonly grads: T;
  readonly #ops: Ops<T>;
  readonly #s: BertShape;
  readonly #b: BatchShape;
  readonly #views = new Map<string, { p: T; g: T }>();
  readonly #acts = new Map<string, T>();
  #input: { ids: T; typeIds: T; mask: T; positions: T; labels: T; order: T; starts: T; tokens: T } | null =
    null;
  #uniqueTokens = 0;
  #validLabels = 0;

  constructor(ops: Ops<T>, shape: BertShape, batch: BatchShape, params?: T) {
    if (shape.hidden % shape.heads !== 0) {
      throw new RangeError(`hidden ${shape.hidden} is not divisible by heads ${shape.heads}`);
    }
    if (batch.seq > shape.maxPositions) {
      throw new RangeError(
        `sequence length ${batch.seq} exceeds max_position_embeddings ${shape.maxPositions}`,
      );
    }
    this.#ops = ops;
    this.#s = shape;
    this.#b = batch;
    this.layout = buildLayout(mlmParameters(shape));
    this.params = params ?? ops.tensor(this.layout.size, "parameters");
    this.grads = ops.tensor(this.layout.size, "gradients");
    for (const e of this.layout.entries) {
      this.#views.set(e.name, {
        p: ops.view(this.params, e.offset, e.size, e.name),
        g: ops.view(this.grads, e.offset, e.size, `grad ${e.name}`),
      });
    }
  }

  /** The parameter and gradient views of `name`. */
  tensor(name: string): { p: T; g: T } {
    const v = this.#views.get(name);
    if (!v) throw new RangeError(`No parameter named "${name}" in this model`);
    return v;
  }

  #act(name: string, size: number): T {
    let t = this.#acts.get(name);
    if (!t) {
      t = this.#ops.tensor(Math.max(1, size), name);
      this.#acts.set(name, t);
    }
    return t;
  }

  /** The masked-LM logits of the last forward, [predictions, vocab] (valid once it has run). */
  logits(): T {
    const t = this.#acts.get("mlm.logits");
    if (!t) throw new Error("Cannot read logits before a forward");
    return t;
  }

  /** Uploads a batch (ids, types, additive mask, positions, labels, token index). */
  setBatch(batch: HostBatch): void {
    const { batch: B, seq: S, predictions: P } = this.#b;
    const n = B * S;
    for (
      const [name, a, len] of [
        ["ids", batch.ids, n],
        ["typeIds", batch.typeIds, n],
        ["attentionMask", batch.attentionMask, n],
        ["positions", batch.positions, P],
        ["labels", batch.labels, P],
      ] as const
    ) {
      if (a.length !== len) throw new RangeError(`Batch "${name}" has ${a.length} entries, expected ${len}`);
    }
    // HuggingFace's extended attention mask: (1 - mask) * finfo(float32).min, added to the scores.
    const additive = new Float32Array(n);
    for (let i = 0; i < n; i++) additive[i] = batch.attentionMask[i] ? 0 : -3.4028234663852886e38;
    const index = buildTokenIndex(batch.ids);
    this.#uniqueTokens = index.tokens.length;
    this.#validLabels = batch.labels.reduce((c, l) => c + (l >= 0 ? 1 : 0), 0);
    const ops = this.#ops;
    const put = (name: string, data: Int32Array | Float32Array, size: number) => {
      const t = this.#act(`input ${name}`, size);
      ops.write(t, data);
      return t;
    };
    this.#input = {
      ids: put("ids", batch.ids, n),
      typeIds: put("typeIds", batch.typeIds, n),
      mask: put("mask", additive, n),
      positions: put("positions", batch.positions, P),
      labels: put("labels", batch.labels, P),
      order: put("order", index.order, n),
      starts: put("starts", index.starts, n + 1),
      tokens: put("tokens", index.tokens, n),
    };
  }

  /**
   * Records the forward: loss[0] = mean cross-entropy over labelled positions, correct[0] = how
   * many are predicted right. `step` keys the dropout masks; `train` turns dropout on.
   */
  forward(step: number, train: boolean): StepTensors<T> {
    const ops = this.#ops;
    const inp = this.#input;
    if (!inp) throw new Error("Cannot run the forward before setBatch()");
    const { vocab: V, hidden: H, heads: A, intermediate: I } = this.#s;
    const { batch: B, seq: S, predictions: P } = this.#b;
    const n = B * S, D = H / A;
    const act = (name: string, size: number) => this.#act(name, size);
    const p = (name: string) => this.tensor(name).p;
    const drop = (site: number, rate: number, size: number) => ({
      n: size,
      p: train ? rate : 0,
      seed: 1,
      stream: dropoutStream(step, site),
    });
    const linear = (m: number, out: number, k: number) => ({ m, n: out, k, transB: true });
    const heads = { batch: B, seq: S, heads: A, headDim: D };
    const eps = this.#s.layerNormEps;

    const x0 = act("embeddings", n * H);
    ops.embeddingForward(
      x0,
      inp.ids,
      inp.typeIds,
      p("bert.embeddings.word_embeddings.weight"),
      p("bert.embeddings.position_embeddings.weight"),
      p("bert.embeddings.token_type_embeddings.weight"),
      {
        batch: B,
        seq: S,
        hidden: H,
        vocab: V,
        maxPositions: this.#s.maxPositions,
        typeVocab: this.#s.typeVocab,
      },
    );
    const e0 = act("embeddings.ln", n * H);
    ops.layerNormForward(
      e0,
      act("embeddings.mean", n),
      act("embeddings.rstd", n),
      x0,
      p("bert.embeddings.LayerNorm.weight"),
      p("bert.embeddings.LayerNorm.bias"),
      { rows: n, cols: H, eps },
    );
    let h = act("layer0.in", n * H);
    ops.dropoutForward(h, e0, drop(0, this.#s.hiddenDropout, n * H));

    for (let l = 0; l < this.#s.layers; l++) {
      const pre = `bert.encoder.layer.${l}.`;
      const a = (name: string, size: number) => act(`layer${l}.${name}`, size);
      const [q, k, v] = ["q", "k", "v"].map((x) => a(x, n * H)) as [T, T, T];
      ops.matmulForward(
        q,
        h,
        p(`${pre}attention.self.query.weight`),
        p(`${pre}attention.self.query.bias`),
        linear(n, H, H),
      );
      ops.matmulForward(
        k,
        h,
        p(`${pre}attention.self.key.weight`),
        p(`${pre}attention.self.key.bias`),
        linear(n, H, H),
      );
      ops.matmulForward(
        v,
        h,
        p(`${pre}attention.self.value.weight`),
        p(`${pre}attention.self.value.bias`),
        linear(n, H, H),
      );
      const [qh, kh, vh] = ["qh", "kh", "vh"].map((x) => a(x, n * H)) as [T, T, T];
      ops.splitHeadsForward(qh, q, heads);
      ops.splitHeadsForward(kh, k, heads);
      ops.splitHeadsForward(vh, v, heads);
      const scores = a("scores", B * A * S * S);
      ops.matmulForward(scores, qh, kh, null, {
        m: S,
        n: S,
        k: D,
        batch: B * A,
        transB: true,
        alpha: 1 / Math.sqrt(D),
      });
      const probs = a("probs", B * A * S * S);
      ops.softmaxForward(probs, scores, inp.mask, { batch: B, heads: A, rows: S, cols: S, scale: 1 });
      const probsD = a("probs.dropout", B * A * S * S);
      ops.dropoutForward(probsD, probs, drop(4 * l + 1, this.#s.attentionDropout, B * A * S * S));
      const ctxh = a("ctxh", n * H);
      ops.matmulForward(ctxh, probsD, vh, null, { m: S, n: D, k: S, batch: B * A });
      const ctx = a("ctx", n * H);
      ops.mergeHeadsForward(ctx, ctxh, heads);
      const ao = a("attn.out", n * H);
      ops.matmulForward(
        ao,
        ctx,
        p(`${pre}attention.output.dense.weight`),
        p(`${pre}attention.output.dense.bias`),
        linear(n, H, H),
      );
      const aoD = a("attn.out.dropout", n * H);
      ops.dropoutForward(aoD, ao, drop(4 * l + 2, this.#s.hiddenDropout, n * H));
      const r1 = a("res1", n * H);
      ops.residualForward(r1, aoD, h, { n: n * H });
      const h1 = a("ln1", n * H);
      ops.layerNormForward(
        h1,
        a("ln1.mean", n),
        a("ln1.rstd", n),
        r1,
        p(`${pre}attention.output.LayerNorm.weight`),
        p(`${pre}attention.output.LayerNorm.bias`),
        { rows: n, cols: H, eps },
      );
      const f1 = a("ffn.in", n * I);
      ops.matmulForward(
        f1,
        h1,
        p(`${pre}intermediate.dense.weight`),
        p(`${pre}intermediate.dense.bias`),
        linear(n, I, H),
      );
      const g1 = a("gelu", n * I);
      ops.geluForward(g1, f1, { n: n * I });
      const f2 = a("ffn.out", n * H);
      ops.matmulForward(
        f2,
        g1,
        p(`${pre}output.dense.weight`),
        p(`${pre}output.dense.bias`),
        linear(n, H, I),
      );
      const f2D = a("ffn.out.dropout", n * H);
      ops.dropoutForward(f2D, f2, drop(4 * l + 3, this.#s.hiddenDropout, n * H));
      const r2 = a("res2", n * H);
      ops.residualForward(r2, f2D, h1, { n: n * H });
      const out = act(`layer${l + 1}.in`, n * H);
      ops.layerNormForward(
        out,
        a("ln2.mean", n),
        a("ln2.rstd", n),
        r2,
        p(`${pre}output.LayerNorm.weight`),
        p(`${pre}output.LayerNorm.bias`),
        { rows: n, cols: H, eps },
      );
      h = out;
    }

    const sel = act("mlm.selected", P * H);
    ops.gatherRowsForward(sel, h, inp.positions, { count: P, cols: H, inpRows: n });
    const t = act("mlm.transform", P * H);
    ops.matmulForward(
      t,
      sel,
      p("cls.predictions.transform.dense.weight"),
      p("cls.predictions.transform.dense.bias"),
      linear(P, H, H),
    );
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
    ops.crossEntropyForward(losses, correctRows, logits, inp.labels, { rows: P, classes: V });
    const loss = act("loss", 1), correct = act("correct", 1);
    const scratch = act("reduce.scratch", reduceScratchSize(Math.max(P, 1)));
    ops.sumForward(loss, scratch, losses, { n: P, scale: 1 / Math.max(1, this.#validLabels) });
    ops.sumForward(correct, scratch, correctRows, { n: P, scale: 1 });
    return { loss, correct };
  }

  /** Records the backward of the last forward (same `step` and `train`), into zeroed gradients. */
  backward(step: number, train: boolean): void {
    const ops = this.#ops;
    const inp = this.#input!;
    const { vocab: V, hidden: H, heads: A, intermediate: I } = this.#s;
    const { batch: B, seq: S, predictions: P } = this.#b;
    const n = B * S, D = H / A;
    const act = (name: string) => this.#acts.get(name)!;
    const grad = (name: string, size: number) => {
      const g = this.#act(`d ${name}`, size);
      ops.fill(g, { n: size, value: 0 });
      return g;
    };
    const w = (name: string) => this.tensor(name);
    const drop = (site: number, rate: number, size: number) => ({
      n: size,
      p: train ? rate : 0,
      seed: 1,
      stream: dropoutStream(step, site),
    });
    const linear = (m: number, out: number, k: number) => ({ m, n: out, k, transB: true });
    const heads = { batch: B, seq: S, heads: A, headDim: D };
    const biasShapes = [[P, V], [P, H], [n, H], [n, I]] as const;
    const scratch = this.#act(
      "bias.scratch",
      Math.max(...biasShapes.map(([rows, cols]) => biasBackwardScratchSize({ rows, cols }))),
    );

    ops.fill(this.grads, { n: this.layout.size, value: 0 });
    const dlogits = grad("mlm.logits", P * V);
    ops.crossEntropyBackward(dlogits, act("mlm.logits"), inp.labels, {
      rows: P,
      classes: V,
      scale: 1 / Math.max(1, this.#validLabels),
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
    const tw = w("cls.predictions.transform.dense.weight");
    ops.matmulBackward(
      dsel,
      tw.g,
      w("cls.predictions.transform.dense.bias").g,
      dt,
      act("mlm.selected"),
      tw.p,
      linear(P, H, H),
      scratch,
    );
    let dh = grad(`layer${this.#s.layers}.in`, n * H);
    ops.gatherRowsBackward(dh, dsel, inp.positions, { count: P, cols: H, inpRows: n });

    for (let l = this.#s.layers - 1; l >= 0; l--) {
      const pre = `bert.encoder.layer.${l}.`;
      const a = (name: string) => act(`layer${l}.${name}`);
      const g = (name: string, size: number) => grad(`layer${l}.${name}`, size);
      const dr2 = g("res2", n * H);
      const ln2 = w(`${pre}output.LayerNorm.weight`);
      ops.layerNormBackward(
        dr2,
        ln2.g,
        w(`${pre}output.LayerNorm.bias`).g,
        dh,
        a("res2"),
        ln2.p,
        a("ln2.mean"),
        a("ln2.rstd"),
        { rows: n, cols: H },
      );
      const df2D = g("ffn.out.dropout", n * H), dh1 = g("ln1", n * H);
      ops.residualBackward(df2D, dh1, dr2, { n: n * H });
      const df2 = g("ffn.out", n * H);
      ops.dropoutBackward(df2, df2D, drop(4 * l + 3, this.#s.hiddenDropout, n * H));
      const dg1 = g("gelu", n * I);
      const wo = w(`${pre}output.dense.weight`);
      ops.matmulBackward(
        dg1,
        wo.g,
        w(`${pre}output.dense.bias`).g,
        df2,
        a("gelu"),
        wo.p,
        linear(n, H, I),
        scratch,
      );
      const df1 = g("ffn.in", n * I);
      ops.geluBackward(df1, a("ffn.in"), dg1, { n: n * I });
      const wi = w(`${pre}intermediate.dense.weight`);
      ops.matmulBackward(
        dh1,
        wi.g,
        w(`${pre}intermediate.dense.bias`).g,
        df1,
        a("ln1"),
        wi.p,
        linear(n, I, H),
        scratch,
      );
      const dr1 = g("res1", n * H);
      const ln1 = w(`${pre}attention.output.LayerNorm.weight`);
      ops.layerNormBackward(
        dr1,
        ln1.g,
        w(`${pre}attention.output.LayerNorm.bias`).g,
        dh1,
        a("res1"),
        ln1.p,
        a("ln1.mean"),
        a("ln1.rstd"),
        { rows: n, cols: H },
      );
      const daoD = g("attn.out.dropout", n * H);
      const dIn = grad(`layer${l}.in`, n * H);
      ops.residualBackward(daoD, dIn, dr1, { n: n * H });
      const dao = g("attn.out", n * H);
      ops.dropoutBackward(dao, daoD, drop(4 * l + 2, this.#s.hiddenDropout, n * H));
      const dctx = g("ctx", n * H);
      const wout = w(`${pre}attention.output.dense.weight`);
      ops.matmulBackward(
        dctx,
        wout.g,
        w(`${pre}attention.output.dense.bias`).g,
        dao,
        a("ctx"),
        wout.p,
        linear(n, H, H),
        scratch,
      );
      const dctxh = g("ctxh", n * H);
      ops.mergeHeadsBackward(dctxh, dctx, heads);
      const dprobsD = g("probs.dropout", B * A * S * S), dvh = g("vh", n * H);
      ops.matmulBackward(dprobsD, dvh, null, dctxh, a("probs.dropout"), a("vh"), {
        m: S,
        n: D,
        k: S,
        batch: B * A,
      }, null);
      const dprobs = g("probs", B * A * S * S);
      ops.dropoutBackward(dprobs, dprobsD, drop(4 * l + 1, this.#s.attentionDropout, B * A * S * S));
      const dscores = g("scores", B * A * S * S);
      ops.softmaxBackward(dscores, a("probs"), dprobs, { batch: B, heads: A, rows: S, cols: S, scale: 1 });
      const dqh = g("qh", n * H), dkh = g("kh", n * H);
      ops.matmulBackward(dqh, dkh, null, dscores, a("qh"), a("kh"), {
        m: S,
        n: S,
        k: D,
        batch: B * A,
        transB: true,
        alpha: 1 / Math.sqrt(D),
      }, null);
      const input = act(`layer${l}.in`);
      for (const [x, dxh, name] of [["q", dqh, "query"], ["k", dkh, "key"], ["v", dvh, "value"]] as const) {
        const dx = g(x, n * H);
        ops.splitHeadsBackward(dx, dxh, heads);
        const wx = w(`${pre}attention.self.${name}.weight`);
        ops.matmulBackward(
          dIn,
          wx.g,
          w(`${pre}attention.self.${name}.bias`).g,
          dx,
          input,
          wx.p,
          linear(n, H, H),
          scratch,
        );
      }
      dh = dIn;
    }

    const de0 = grad("embeddings.ln", n * H);
    ops.dropoutBackward(de0, dh, drop(0, this.#s.hiddenDropout, n * H));
    const dx0 = grad("embeddings", n * H);
    const eln = w("bert.embeddings.LayerNorm.weight");
    ops.layerNormBackward(
      dx0,
      eln.g,
      w("bert.embeddings.LayerNorm.bias").g,
      de0,
      act("embeddings"),
      eln.p,
      act("embeddings.mean"),
      act("embeddings.rstd"),
      { rows: n, cols: H },
    );
    ops.embeddingBackward(
      wte.g,
      w("bert.embeddings.position_embeddings.weight").g,
      w("bert.embeddings.token_type_embeddings.weight").g,
      dx0,
      inp.ids,
      inp.typeIds,
      inp.order,
      inp.starts,
      inp.tokens,
      {
        batch: B,
        seq: S,
        hidden: H,
        vocab: V,
        maxPositions: this.#s.maxPositions,
        typeVocab: this.#s.typeVocab,
        uniqueTokens: this.#uniqueTokens,
      },
    );
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
