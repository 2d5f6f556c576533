/**
 * The BERT input embedding on the device (`shaders/embedding.wgsl`); twin of `core/cpu/embedding.ts`.
 * The device cannot throw on bad ids: out-of-range rows come out NaN in the forward.
 * @module
 */
import { type Gpu, type GpuTensor, grid1d } from "../device.ts";
import type { EmbeddingBackwardShape, EmbeddingShape } from "../cpu/embedding.ts";
import { checkSizes } from "./check.ts";

function params(s: EmbeddingShape, uniqueTokens: number): number[] {
  return [s.batch, s.seq, s.hidden, s.vocab, s.maxPositions, s.typeVocab, uniqueTokens];
}

function checkPositions(kernel: string, { seq, maxPositions }: EmbeddingShape): void {
  if (seq > maxPositions) {
    throw new RangeError(`Kernel "${kernel}": seq ${seq} exceeds maxPositions ${maxPositions}`);
  }
}

/** out[b * seq + t] = wte[ids[b, t]] + wpe[t] + wtt[typeIds[b, t]]. Overwrites `out` ([batch * seq, hidden]). */
export function embeddingForward(
  gpu: Gpu,
  out: GpuTensor,
  ids: GpuTensor,
  typeIds: GpuTensor,
  wte: GpuTensor,
  wpe: GpuTensor,
  wtt: GpuTensor,
  shape: EmbeddingShape,
): void {
  const { batch, seq, hidden, vocab, maxPositions, typeVocab } = shape;
  const n = batch * seq;
  checkPositions("embedding_forward", shape);
  checkSizes("embedding_forward", {
    out: [out, n * hidden],
    ids: [ids, n],
    typeIds: [typeIds, n],
    wte: [wte, vocab * hidden],
    wpe: [wpe, maxPositions * hidden],
    wtt: [wtt, typeVocab * hidden],
  });
  gpu.dispatch(
    { file: "embedding", entry: "embedding_forward" },
    [out, ids, typeIds, wte, wpe, wtt],
    params(shape, 0),
    grid1d(n * hidden, 256),
  );
}

/**
 * dwte[v] += sum of dout rows with id v, dwpe[t] += sum over b of dout[b, t], dwtt[k] += sum of dout
 * rows with type k. Accumulates into all three. `order`, `starts`, `tokens` come from
 * `buildTokenIndex(ids)` (uploaded); `ids` itself is only size-checked: the index replaces it here.
 */
export function embeddingBackward(
  gpu: Gpu,
  dwte: GpuTensor,
  dwpe: GpuTensor,
  dwtt: GpuTensor,
  dout: GpuTensor,
  ids: GpuTensor,
  typeIds: GpuTensor,
  order: GpuTensor,
  starts: GpuTensor,
  tokens: GpuTensor,
  shape: EmbeddingBackwardShape,
): void {
  const { batch, seq, hidden, vocab, maxPositions, typeVocab, uniqueTokens } = shape;
  const n = batch * seq;
  checkPositions("embedding_backward", shape);
  checkSizes("embedding_backward", {
    dwte: [dwte, vocab * hidden],
    dwpe: [dwpe, maxPositions * hidden],
    dwtt: [dwtt, typeVocab * hidden],
    dout: [dout, n * hidden],
    ids: [ids, n],
    typeIds: [typeIds, n],
    order: [order, n],
    starts: [starts, uniqueTokens + 1],
    tokens: [tokens, uniqueTokens],
  });
  if (uniqueTokens > n) {
    throw new RangeError(`Kernel "embedding_backward": ${uniqueTokens} unique tokens exceed ${n} positions`);
  }
  const ps = params(shape, uniqueTokens);
  gpu.dispatch(
    { file: "embedding", entry: "embedding_backward_word" },
    [dwte, dout, order, starts, tokens],
    ps,
    grid1d(uniqueTokens * hidden, 256),
  );
  gpu.dispatch(
    { file: "embedding", entry: "embedding_backward_position" },
    [dwpe, dout],
    ps,
    grid1d(seq * hidden, 256),
  );
  gpu.dispatch(
    { file: "embedding", entry: "embedding_backward_type" },
    [dwtt, dout, typeIds],
    ps,
    grid1d(typeVocab * hidden, 256),
  );
}
