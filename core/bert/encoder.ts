/**
 * BERT's encoder (embeddings, then post-LN Transformer layers), written once against
 * {@linkcode Ops}: the part every head shares. It owns the flat parameter and gradient buffers (the
 * head's tensors are laid out in them too), the activations for one batch shape, and the batch's
 * inputs. Heads call {@linkcode BertEncoder.forward} for the last hidden states and hand
 * {@linkcode BertEncoder.backward} their gradient.
 * @module
 */
import type { Ops } from "../ops.ts";
import { dropoutStream } from "../cpu/rng.ts";
import { buildTokenIndex } from "../cpu/embedding.ts";
import { biasBackwardScratchSize } from "../cpu/bias.ts";
import type { DropoutShape } from "../cpu/dropout.ts";
import { buildLayout, type Layout } from "./layout.ts";

/** The sizes the model needs (a subset of BertConfig, in the kernels' terms). */
export interface BertShape {
  /** Rows of the word-embedding table (`vocab_size`). */
  vocab: number;
  /** Width H of every token's hidden state (`hidden_size`). */
  hidden: number;
  /** Transformer layers (`num_hidden_layers`). */
  layers: number;
  /** Attention heads; must divide `hidden` (`num_attention_heads`). */
  heads: number;
  /** Width I of the feed-forward layer, whose activation is [B*T, I] (`intermediate_size`). */
  intermediate: number;
  /** Rows of the position table, the longest sequence (`max_position_embeddings`). */
  maxPositions: number;
  /** Rows of the token-type table (`type_vocab_size`; 2 in BERT). */
  typeVocab: number;
  /** Added to the variance in every LayerNorm (`layer_norm_eps`; 1e-12 in BERT). */
  layerNormEps: number;
  /** Dropout rate on the embeddings and on each sublayer's output (`hidden_dropout_prob`). */
  hiddenDropout: number;
  /** Dropout rate on the attention probabilities (`attention_probs_dropout_prob`). */
  attentionDropout: number;
}

/** `batch` sequences of `seq` tokens. */
export interface SequenceShape {
  /** Sequences per batch. */
  batch: number;
  /** Tokens per sequence, padding included; at most `maxPositions`. */
  seq: number;
}

/** The encoder's inputs on the host. */
export interface EncoderInputs {
  /** Token ids, [batch * seq]. */
  ids: Int32Array;
  /** Token type ids, [batch * seq]. */
  typeIds: Int32Array;
  /** 1 for real tokens, 0 for padding, [batch * seq]. */
  attentionMask: Int32Array;
}

/** HuggingFace's names and shapes of the encoder's tensors (embeddings and layers). */
export function encoderParameters(s: BertShape): { name: string; shape: number[] }[] {
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
      out.push(
        { name: `${p}attention.self.${x}.weight`, shape: [H, H] },
        { name: `${p}attention.self.${x}.bias`, shape: [H] },
      );
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
  return out;
}

/** The encoder over one flat parameter buffer laid out for `tensors` (encoder first, then a head). */
export class BertEncoder<T> {
  /** The backend every op is recorded on. */
  readonly ops: Ops<T>;
  /** The model's sizes. */
  readonly shape: BertShape;
  /** The batch shape the activations are allocated for; every batch must have it. */
  readonly batch: SequenceShape;
  /** Where each tensor, the encoder's and the head's, sits in `params` and `grads`. */
  readonly layout: Layout;
  /** All parameters in one flat buffer, [layout.size]. */
  readonly params: T;
  /** The parameters' gradients, laid out as `params`. */
  readonly grads: T;
  /** Keys every dropout mask, with the step and the site (the run's seed). */
  readonly dropoutSeed: number;
  readonly #views = new Map<string, { p: T; g: T }>();
  readonly #acts = new Map<string, T>();
  readonly #actSizes = new Map<string, number>();
  #input: { ids: T; typeIds: T; mask: T; order: T; starts: T; tokens: T } | null = null;
  #uniqueTokens = 0;

  /**
   * Lays out `tensors` and allocates zeroed gradients, and parameters unless `params` is given (a
   * buffer of that layout, e.g. a loaded checkpoint). `dropoutSeed` defaults to 1. Throws a
   * RangeError when `hidden` is not a multiple of `heads` or `seq` exceeds `maxPositions`.
   */
  constructor(
    ops: Ops<T>,
    shape: BertShape,
    batch: SequenceShape,
    tensors: { name: string; shape: number[] }[],
    params?: T,
    options: { dropoutSeed?: number } = {},
  ) {
    if (shape.hidden % shape.heads !== 0) {
      throw new RangeError(`hidden ${shape.hidden} is not divisible by heads ${shape.heads}`);
    }
    if (batch.seq > shape.maxPositions) {
      throw new RangeError(
        `sequence length ${batch.seq} exceeds max_position_embeddings ${shape.maxPositions}`,
      );
    }
    this.ops = ops;
    this.dropoutSeed = options.dropoutSeed ?? 1;
    this.shape = shape;
    this.batch = batch;
    this.layout = buildLayout(tensors);
    this.params = params ?? ops.tensor(this.layout.size, "parameters");
    this.grads = ops.tensor(this.layout.size, "gradients");
    for (const e of this.layout.entries) {
      this.#views.set(e.name, {
        p: ops.view(this.params, e.offset, e.size, e.name),
        g: ops.view(this.grads, e.offset, e.size, `grad ${e.name}`),
      });
    }
  }

  /**
   * The dropout of `site` at `step`: site 0 is the embeddings, 4l+1..4l+3 layer l's three, 250+
   * the heads'. The masks are recomputed from (seed, step, site) in the backward, never stored.
   */
  dropout(step: number, site: number, rate: number, n: number, train: boolean): DropoutShape {
    return { n, p: train ? rate : 0, seed: this.dropoutSeed, stream: dropoutStream(step, site) };
  }

  /** Records y = x W^T + b for the PyTorch Linear `name` (`name.weight` [out, inp], `name.bias`). */
  linearForward(y: T, x: T, name: string, rows: number, out: number, inp: number): void {
    const p = (suffix: string) => this.tensor(`${name}.${suffix}`).p;
    this.ops.matmulForward(y, x, p("weight"), p("bias"), { m: rows, n: out, k: inp, transB: true });
  }

  /** Records the gradients of {@linkcode linearForward}: dx (may be null) and the parameters'. */
  linearBackward(
    dx: T | null,
    dy: T,
    x: T,
    name: string,
    rows: number,
    out: number,
    inp: number,
    scratch: T,
  ): void {
    const w = this.tensor(`${name}.weight`);
    this.ops.matmulBackward(dx, w.g, this.tensor(`${name}.bias`).g, dy, x, w.p, {
      m: rows,
      n: out,
      k: inp,
      transB: true,
    }, scratch);
  }

  /** The parameter and gradient views of `name`. */
  tensor(name: string): { p: T; g: T } {
    const v = this.#views.get(name);
    if (!v) throw new RangeError(`No parameter named "${name}" in this model`);
    return v;
  }

  /** The activation `name` (allocated on first use; kept for the backward). */
  act(name: string, size: number): T {
    let t = this.#acts.get(name);
    // Shapes are fixed per model; only scratch space is asked for again with another size.
    if (!t || this.#actSizes.get(name)! < size) {
      t = this.ops.tensor(Math.max(1, size), name);
      this.#acts.set(name, t);
      this.#actSizes.set(name, size);
    }
    return t;
  }

  /** An activation recorded by the forward; throws if the forward has not made it. */
  saved(name: string): T {
    const t = this.#acts.get(name);
    if (!t) throw new Error(`No activation "${name}": run the forward first`);
    return t;
  }

  /** A zeroed gradient buffer for activation `name`. */
  grad(name: string, size: number): T {
    const g = this.act(`d ${name}`, size);
    this.ops.fill(g, { n: size, value: 0 });
    return g;
  }

  /**
   * A zeroed buffer for the gradient of the last hidden states, for a head to fill before calling
   * {@linkcode backward}. The layers' input gradients alternate between two buffers.
   */
  lastHiddenGrad(): T {
    const { batch: B, seq: S } = this.batch;
    return this.grad(`hidden.${this.shape.layers % 2}`, B * S * this.shape.hidden);
  }

  /** Writes host data into the named input tensor. */
  put(name: string, data: Int32Array | Float32Array, size: number): T {
    const t = this.act(`input ${name}`, size);
    this.ops.write(t, data);
    return t;
  }

  /** Uploads ids, token types, the additive attention mask and the embedding backward's token index. */
  setInputs(batch: EncoderInputs): void {
    const n = this.batch.batch * this.batch.seq;
    for (
      const [name, a] of [["ids", batch.ids], ["typeIds", batch.typeIds], [
        "attentionMask",
        batch.attentionMask,
      ]] as const
    ) {
      if (a.length !== n) throw new RangeError(`Batch "${name}" has ${a.length} entries, expected ${n}`);
    }
    // HuggingFace's extended attention mask: (1 - mask) * finfo(float32).min, added to the scores.
    const additive = new Float32Array(n);
    for (let i = 0; i < n; i++) additive[i] = batch.attentionMask[i] ? 0 : -3.4028234663852886e38;
    const index = buildTokenIndex(batch.ids);
    this.#uniqueTokens = index.tokens.length;
    this.#input = {
      ids: this.put("ids", batch.ids, n),
      typeIds: this.put("typeIds", batch.typeIds, n),
      mask: this.put("mask", additive, n),
      order: this.put("order", index.order, n),
      starts: this.put("starts", index.starts, n + 1),
      tokens: this.put("tokens", index.tokens, n),
    };
  }

  /** Records the forward; returns the last layer's hidden states, [batch * seq, hidden]. */
  forward(step: number, train: boolean): T {
    const ops = this.ops;
    const input = this.#input;
    if (!input) throw new Error("Cannot run the forward before setBatch()");
    const { vocab: V, hidden: H, heads: A, intermediate: I } = this.shape;
    const { batch: B, seq: S } = this.batch;
    const n = B * S, D = H / A;
    const act = (name: string, size: number) => this.act(name, size);
    const p = (name: string) => this.tensor(name).p;
    const drop = (site: number, rate: number, size: number) => this.dropout(step, site, rate, size, train);
    const heads = { batch: B, seq: S, heads: A, headDim: D };
    const eps = this.shape.layerNormEps;

    const x0 = act("embeddings", n * H);
    ops.embeddingForward(
      x0,
      input.ids,
      input.typeIds,
      p("bert.embeddings.word_embeddings.weight"),
      p("bert.embeddings.position_embeddings.weight"),
      p("bert.embeddings.token_type_embeddings.weight"),
      {
        batch: B,
        seq: S,
        hidden: H,
        vocab: V,
        maxPositions: this.shape.maxPositions,
        typeVocab: this.shape.typeVocab,
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
    ops.dropoutForward(h, e0, drop(0, this.shape.hiddenDropout, n * H));

    for (let l = 0; l < this.shape.layers; l++) {
      const pre = `bert.encoder.layer.${l}.`;
      const a = (name: string, size: number) => act(`layer${l}.${name}`, size);
      // What the backward does not read is kept once for all layers.
      const temp = (name: string, size: number) => act(`layer.${name}`, size);
      const [q, k, v] = ["q", "k", "v"].map((x) => temp(x, n * H)) as [T, T, T];
      this.linearForward(q, h, `${pre}attention.self.query`, n, H, H);
      this.linearForward(k, h, `${pre}attention.self.key`, n, H, H);
      this.linearForward(v, h, `${pre}attention.self.value`, n, H, H);
      const [qh, kh, vh] = ["qh", "kh", "vh"].map((x) => a(x, n * H)) as [T, T, T];
      ops.splitHeadsForward(qh, q, heads);
      ops.splitHeadsForward(kh, k, heads);
      ops.splitHeadsForward(vh, v, heads);
      const scores = temp("scores", B * A * S * S);
      ops.matmulForward(scores, qh, kh, null, {
        m: S,
        n: S,
        k: D,
        batch: B * A,
        transB: true,
        alpha: 1 / Math.sqrt(D),
      });
      const probs = a("probs", B * A * S * S);
      ops.softmaxForward(probs, scores, input.mask, { batch: B, heads: A, rows: S, cols: S, scale: 1 });
      const probsD = a("probs.dropout", B * A * S * S);
      ops.dropoutForward(probsD, probs, drop(4 * l + 1, this.shape.attentionDropout, B * A * S * S));
      const ctxh = temp("ctxh", n * H);
      ops.matmulForward(ctxh, probsD, vh, null, { m: S, n: D, k: S, batch: B * A });
      const ctx = a("ctx", n * H);
      ops.mergeHeadsForward(ctx, ctxh, heads);
      const ao = temp("attn.out", n * H);
      this.linearForward(ao, ctx, `${pre}attention.output.dense`, n, H, H);
      const aoD = temp("attn.out.dropout", n * H);
      ops.dropoutForward(aoD, ao, drop(4 * l + 2, this.shape.hiddenDropout, n * H));
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
      this.linearForward(f1, h1, `${pre}intermediate.dense`, n, I, H);
      const g1 = a("gelu", n * I);
      ops.geluForward(g1, f1, { n: n * I });
      const f2 = temp("ffn.out", n * H);
      this.linearForward(f2, g1, `${pre}output.dense`, n, H, I);
      const f2D = temp("ffn.out.dropout", n * H);
      ops.dropoutForward(f2D, f2, drop(4 * l + 3, this.shape.hiddenDropout, n * H));
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

    return h;
  }

  /**
   * Records the backward of the last forward (same `step` and `train`) from `dLast`, the gradient of
   * the last hidden states, accumulating into the parameter gradients (zeroed by the caller).
   */
  backward(step: number, train: boolean, dLast: T): void {
    const ops = this.ops;
    const input = this.#input!;
    const { vocab: V, hidden: H, heads: A, intermediate: I } = this.shape;
    const { batch: B, seq: S } = this.batch;
    const n = B * S, D = H / A;
    const act = (name: string) => this.saved(name);
    const grad = (name: string, size: number) => this.grad(name, size);
    const w = (name: string) => this.tensor(name);
    const drop = (site: number, rate: number, size: number) => this.dropout(step, site, rate, size, train);
    const heads = { batch: B, seq: S, heads: A, headDim: D };
    const scratch = this.biasScratch([]);
    const wte = w("bert.embeddings.word_embeddings.weight");
    let dh = dLast;

    for (let l = this.shape.layers - 1; l >= 0; l--) {
      const pre = `bert.encoder.layer.${l}.`;
      const a = (name: string) => act(`layer${l}.${name}`);
      // Gradients inside a layer are transient: one set of buffers serves every layer.
      const g = (name: string, size: number) => grad(`layer.${name}`, size);
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
      ops.dropoutBackward(df2, df2D, drop(4 * l + 3, this.shape.hiddenDropout, n * H));
      const dg1 = g("gelu", n * I);
      this.linearBackward(dg1, df2, a("gelu"), `${pre}output.dense`, n, H, I, scratch);
      const df1 = g("ffn.in", n * I);
      ops.geluBackward(df1, a("ffn.in"), dg1, { n: n * I });
      this.linearBackward(dh1, df1, a("ln1"), `${pre}intermediate.dense`, n, I, H, scratch);
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
      const dIn = grad(`hidden.${l % 2}`, n * H);
      ops.residualBackward(daoD, dIn, dr1, { n: n * H });
      const dao = g("attn.out", n * H);
      ops.dropoutBackward(dao, daoD, drop(4 * l + 2, this.shape.hiddenDropout, n * H));
      const dctx = g("ctx", n * H);
      this.linearBackward(dctx, dao, a("ctx"), `${pre}attention.output.dense`, n, H, H, scratch);
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
      ops.dropoutBackward(dprobs, dprobsD, drop(4 * l + 1, this.shape.attentionDropout, B * A * S * S));
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
        this.linearBackward(dIn, dx, input, `${pre}attention.self.${name}`, n, H, H, scratch);
      }
      dh = dIn;
    }

    const de0 = grad("embeddings.ln", n * H);
    ops.dropoutBackward(de0, dh, drop(0, this.shape.hiddenDropout, n * H));
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
      input.ids,
      input.typeIds,
      input.order,
      input.starts,
      input.tokens,
      {
        batch: B,
        seq: S,
        hidden: H,
        vocab: V,
        maxPositions: this.shape.maxPositions,
        typeVocab: this.shape.typeVocab,
        uniqueTokens: this.#uniqueTokens,
      },
    );
  }

  /** A bias-gradient scratch big enough for a head's shapes too. */
  biasScratch(shapes: readonly (readonly [number, number])[]): T {
    const { batch: B, seq: S } = this.batch;
    const all = [[B * S, this.shape.hidden], [B * S, this.shape.intermediate], ...shapes] as const;
    return this.act(
      "bias.scratch",
      Math.max(...all.map(([rows, cols]) => biasBackwardScratchSize({ rows, cols }))),
    );
  }
}

/** What every head over the encoder exposes: its layout, flat parameters and gradients, and views. */
export abstract class EncoderModel<T> {
  /** The encoder the head runs on; its flat buffers hold the head's tensors too. */
  protected readonly enc: BertEncoder<T>;

  /** Wraps `enc`, which the subclass builds with its head's tensors in the layout. */
  protected constructor(enc: BertEncoder<T>) {
    this.enc = enc;
  }

  /** Where each tensor, the encoder's and the head's, sits in `params` and `grads`. */
  get layout(): Layout {
    return this.enc.layout;
  }
  /** All parameters in one flat buffer, [layout.size]. */
  get params(): T {
    return this.enc.params;
  }
  /** The parameters' gradients, laid out as `params`. */
  get grads(): T {
    return this.enc.grads;
  }

  /** The parameter and gradient views of `name`. */
  tensor(name: string): { p: T; g: T } {
    return this.enc.tensor(name);
  }
}
