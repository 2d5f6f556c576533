/**
 * One BERT encoder layer, forward and backward, as the flat list of kernel calls the model makes:
 * used to report each kernel's share of a layer's time (`layer_share`) and, small, by the stress
 * benchmark.
 * @module
 */
import type { Gpu, GpuTensor } from "../core/device.ts";
import { matmulBackward, matmulForward } from "../core/webgpu/matmul.ts";
import { biasBackwardScratchSize } from "../core/webgpu/bias.ts";
import {
  mergeHeadsBackward,
  mergeHeadsForward,
  splitHeadsBackward,
  splitHeadsForward,
} from "../core/webgpu/heads.ts";
import { softmaxBackward, softmaxForward } from "../core/webgpu/softmax.ts";
import { dropoutBackward, dropoutForward } from "../core/webgpu/dropout.ts";
import { residualBackward, residualForward } from "../core/webgpu/residual.ts";
import { layerNormBackward, layerNormForward } from "../core/webgpu/layernorm.ts";
import { geluBackward, geluForward } from "../core/webgpu/gelu.ts";
import { randomSmall } from "./matmul.ts";

/** Sizes of the layer. */
export interface LayerSize {
  batch: number;
  seq: number;
  hidden: number;
  heads: number;
  intermediate: number;
}

/** One kernel call of the layer: `kernel` groups calls for the share table. */
export interface LayerCall {
  name: string;
  kernel: string;
  record: () => void;
}

/** Allocates the layer's tensors (filled with small finite values) and returns its calls in order. */
export function layerCalls(gpu: Gpu, size: LayerSize): { calls: LayerCall[]; tensors: GpuTensor[] } {
  const { batch, seq, hidden: h, heads, intermediate: f } = size;
  const bt = batch * seq;
  const d = h / heads;
  const tensors: GpuTensor[] = [];
  const t = (n: number, label: string) => {
    const x = gpu.upload(randomSmall(n).map((v) => v * 0.1), label);
    tensors.push(x);
    return x;
  };
  const w = {
    q: t(h * h, "Wq"),
    k: t(h * h, "Wk"),
    v: t(h * h, "Wv"),
    o: t(h * h, "Wo"),
    i: t(f * h, "Wi"),
    out: t(h * f, "Wout"),
  };
  const bias = { h: t(h, "b_h"), f: t(f, "b_f"), ln: t(h, "ln_gamma") };
  const dw = {
    h: t(h * h, "dW_h"),
    f: t(f * h, "dW_f"),
    bh: t(h, "db_h"),
    bf: t(f, "db_f"),
    ln: t(h, "dln"),
  };
  const x = t(bt * h, "x"), q = t(bt * h, "q"), k = t(bt * h, "k"), v = t(bt * h, "v");
  const qh = t(bt * h, "qh"),
    kh = t(bt * h, "kh"),
    vh = t(bt * h, "vh"),
    ctxh = t(bt * h, "ctxh"),
    ctx = t(bt * h, "ctx");
  const scores = t(batch * heads * seq * seq, "scores"), probs = t(batch * heads * seq * seq, "probs");
  const mask = t(batch * seq, "mask");
  const attn = t(bt * h, "attn"), res1 = t(bt * h, "res1"), ln1 = t(bt * h, "ln1");
  const ffnIn = t(bt * f, "ffn_in"),
    act = t(bt * f, "gelu"),
    ffnOut = t(bt * h, "ffn_out"),
    res2 = t(bt * h, "res2");
  const ln2 = t(bt * h, "ln2"), mean = t(bt, "mean"), rstd = t(bt, "rstd");
  const gH = t(bt * h, "grad_h"),
    gH2 = t(bt * h, "grad_h2"),
    gF = t(bt * f, "grad_f"),
    gF2 = t(bt * f, "grad_f2");
  const gS = t(batch * heads * seq * seq, "grad_scores"), gR = t(bt * h, "grad_residual");
  const scratch = t(biasBackwardScratchSize({ rows: bt, cols: f }), "scratch");

  const heads4 = { batch, seq, heads, headDim: d };
  const linear = (n: number, k: number) => ({ m: bt, n, k, transB: true });
  const scoresShape = { m: seq, n: seq, k: d, batch: batch * heads, transB: true, alpha: 1 / Math.sqrt(d) };
  const contextShape = { m: seq, n: d, k: seq, batch: batch * heads };
  const sm = { batch, heads, rows: seq, cols: seq, scale: 1 };
  const ln = { rows: bt, cols: h, eps: 1e-12 };
  const drop = (n: number, stream: number) => ({ n, p: 0.1, seed: 1, stream });
  const call = (name: string, kernel: string, record: () => void): LayerCall => ({ name, kernel, record });

  const forward: LayerCall[] = [
    call("query", "matmul", () => matmulForward(gpu, q, x, w.q, bias.h, linear(h, h))),
    call("key", "matmul", () => matmulForward(gpu, k, x, w.k, bias.h, linear(h, h))),
    call("value", "matmul", () => matmulForward(gpu, v, x, w.v, bias.h, linear(h, h))),
    call("split q", "heads", () => splitHeadsForward(gpu, qh, q, heads4)),
    call("split k", "heads", () => splitHeadsForward(gpu, kh, k, heads4)),
    call("split v", "heads", () => splitHeadsForward(gpu, vh, v, heads4)),
    call("scores", "matmul", () => matmulForward(gpu, scores, qh, kh, null, scoresShape)),
    call("softmax", "softmax", () => softmaxForward(gpu, probs, scores, mask, sm)),
    call(
      "attn dropout",
      "dropout",
      () => dropoutForward(gpu, scores, probs, drop(batch * heads * seq * seq, 1)),
    ),
    call("context", "matmul", () => matmulForward(gpu, ctxh, scores, vh, null, contextShape)),
    call("merge", "heads", () => mergeHeadsForward(gpu, ctx, ctxh, heads4)),
    call("attn out", "matmul", () => matmulForward(gpu, attn, ctx, w.o, bias.h, linear(h, h))),
    call("dropout", "dropout", () => dropoutForward(gpu, gH, attn, drop(bt * h, 2))),
    call("residual", "residual", () => residualForward(gpu, res1, gH, x, { n: bt * h })),
    call("layernorm", "layernorm", () => layerNormForward(gpu, ln1, mean, rstd, res1, bias.ln, bias.h, ln)),
    call("ffn in", "matmul", () => matmulForward(gpu, ffnIn, ln1, w.i, bias.f, linear(f, h))),
    call("gelu", "gelu", () => geluForward(gpu, act, ffnIn, { n: bt * f })),
    call("ffn out", "matmul", () => matmulForward(gpu, ffnOut, act, w.out, bias.h, linear(h, f))),
    call("dropout", "dropout", () => dropoutForward(gpu, gH, ffnOut, drop(bt * h, 3))),
    call("residual", "residual", () => residualForward(gpu, res2, gH, ln1, { n: bt * h })),
    call("layernorm", "layernorm", () => layerNormForward(gpu, ln2, mean, rstd, res2, bias.ln, bias.h, ln)),
  ];
  const backward: LayerCall[] = [
    call(
      "layernorm",
      "layernorm",
      () => layerNormBackward(gpu, gH2, dw.ln, dw.bh, gH, res2, bias.ln, mean, rstd, ln),
    ),
    call("residual", "residual", () => residualBackward(gpu, gH, gR, gH2, { n: bt * h })),
    call("dropout", "dropout", () => dropoutBackward(gpu, gH2, gH, drop(bt * h, 3))),
    call(
      "ffn out",
      "matmul",
      () => matmulBackward(gpu, gF, dw.f, dw.bh, gH2, act, w.out, linear(h, f), scratch),
    ),
    call("gelu", "gelu", () => geluBackward(gpu, gF2, ffnIn, gF, { n: bt * f })),
    call(
      "ffn in",
      "matmul",
      () => matmulBackward(gpu, gH, dw.f, dw.bf, gF2, ln1, w.i, linear(f, h), scratch),
    ),
    call(
      "layernorm",
      "layernorm",
      () => layerNormBackward(gpu, gH2, dw.ln, dw.bh, gH, res1, bias.ln, mean, rstd, ln),
    ),
    call("residual", "residual", () => residualBackward(gpu, gH, gR, gH2, { n: bt * h })),
    call("dropout", "dropout", () => dropoutBackward(gpu, gH2, gH, drop(bt * h, 2))),
    call(
      "attn out",
      "matmul",
      () => matmulBackward(gpu, gH, dw.h, dw.bh, gH2, ctx, w.o, linear(h, h), scratch),
    ),
    call("merge", "heads", () => mergeHeadsBackward(gpu, ctxh, gH, heads4)),
    call("context", "matmul", () => matmulBackward(gpu, gS, qh, null, ctxh, scores, vh, contextShape)),
    call(
      "attn dropout",
      "dropout",
      () => dropoutBackward(gpu, probs, gS, drop(batch * heads * seq * seq, 1)),
    ),
    call("softmax", "softmax", () => softmaxBackward(gpu, gS, scores, probs, sm)),
    call("scores", "matmul", () => matmulBackward(gpu, q, k, null, gS, qh, kh, scoresShape)),
    call("split q", "heads", () => splitHeadsBackward(gpu, gH, q, heads4)),
    call("split k", "heads", () => splitHeadsBackward(gpu, gH, k, heads4)),
    call("split v", "heads", () => splitHeadsBackward(gpu, gH, v, heads4)),
    call("query", "matmul", () => matmulBackward(gpu, gH2, dw.h, dw.bh, q, x, w.q, linear(h, h), scratch)),
    call("key", "matmul", () => matmulBackward(gpu, gH2, dw.h, dw.bh, k, x, w.k, linear(h, h), scratch)),
    call("value", "matmul", () => matmulBackward(gpu, gH2, dw.h, dw.bh, v, x, w.v, linear(h, h), scratch)),
  ];
  for (const c of forward) c.name = `fwd ${c.name}`;
  for (const c of backward) c.name = `bwd ${c.name}`;
  return { calls: [...forward, ...backward], tensors };
}

/** BERT-base's layer sizes. */
export const BERT_BASE_LAYER = { hidden: 768, heads: 12, intermediate: 3072 } as const;
