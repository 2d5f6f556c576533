import * as cpu from "../core/cpu/embedding.ts";
import * as gpu from "../core/webgpu/embedding.ts";
import type { EmbeddingShape } from "../core/cpu/embedding.ts";
import {
  checkGradient,
  checkKernel,
  gpuTest,
  messageOf,
  randomFloats,
  randomInts,
  zeros,
} from "./_helpers.ts";

// Forward: two f32 adds of three values in [-2, 2]; each rounding is relative to operands <= 6,
// so where the sum cancels the error is absolute, about 4e-7 at most.
const FWD_TOL = { rtol: 1e-4, atol: 1e-6 };
/**
 * Backward outputs are f32 sums of `terms` values in [-2, 2] added to a start in [-2, 2]: the rounding
 * error of a sequential sum grows like terms * 2^-24 * |x| (~1e-4 for 4096 terms), absolute where the
 * sum cancels. Allow 4x that; a missed or doubled row is off by ~1.
 */
const sumTol = (terms: number) => ({ rtol: 1e-4, atol: Math.max(1e-6, 4 * terms * 2 ** -24 * 2) });

interface Case extends EmbeddingShape {
  /** Fraction of each sequence's tail set to id 0 (padding): long segments for one token. */
  pad: number;
}
const CASES: Case[] = [
  { batch: 1, seq: 1, hidden: 1, vocab: 1, maxPositions: 1, typeVocab: 1, pad: 0 },
  { batch: 3, seq: 7, hidden: 13, vocab: 11, maxPositions: 9, typeVocab: 2, pad: 0 },
  { batch: 5, seq: 9, hidden: 65, vocab: 45, maxPositions: 9, typeVocab: 3, pad: 0.3 },
  { batch: 32, seq: 128, hidden: 768, vocab: 30522, maxPositions: 512, typeVocab: 2, pad: 0.3 },
];
const label = (s: EmbeddingShape) =>
  `${s.batch}x${s.seq}x${s.hidden}, vocab ${s.vocab}, ${s.maxPositions} positions, ${s.typeVocab} types`;

/** Random ids with a padded tail per sequence, and types 0 then 1 (two segments), as BERT sees them. */
function batchIds(s: Case, seed: number): { ids: Int32Array; typeIds: Int32Array } {
  const ids = randomInts(s.batch * s.seq, seed, s.vocab);
  const typeIds = randomInts(s.batch * s.seq, seed + 1, s.typeVocab);
  const padFrom = s.seq - Math.floor(s.pad * s.seq);
  for (let b = 0; b < s.batch; b++) for (let t = padFrom; t < s.seq; t++) ids[b * s.seq + t] = 0;
  return { ids, typeIds };
}

Deno.test("buildTokenIndex() groups positions by id, stably, ids ascending", () => {
  const { order, starts, tokens } = cpu.buildTokenIndex(Int32Array.of(5, 2, 5, 9, 2, 5));
  const same = (a: Int32Array, b: number[]) => a.length === b.length && a.every((x, i) => x === b[i]);
  if (!same(order, [1, 4, 0, 2, 5, 3]) || !same(starts, [0, 2, 5, 6]) || !same(tokens, [2, 5, 9])) {
    throw new Error(`got order ${order}, starts ${starts}, tokens ${tokens}`);
  }
  const empty = cpu.buildTokenIndex(new Int32Array(0));
  if (empty.order.length !== 0 || !same(empty.starts, [0]) || empty.tokens.length !== 0) {
    throw new Error("the index of no ids is not empty");
  }
});

Deno.test("embeddingBackward() (CPU) matches finite differences", () => {
  const s = { ...CASES[2]!, hidden: 4 };
  const { ids, typeIds } = batchIds(s, 3);
  const index = cpu.buildTokenIndex(ids);
  const shape = { ...s, uniqueTokens: index.tokens.length };
  checkGradient({
    what: "embedding",
    inputs: {
      wte: Float64Array.from(randomFloats(s.vocab * s.hidden, 1)),
      wpe: Float64Array.from(randomFloats(s.maxPositions * s.hidden, 2)),
      wtt: Float64Array.from(randomFloats(s.typeVocab * s.hidden, 3)),
    },
    forward: ({ wte, wpe, wtt }) => {
      const out = zeros(s.batch * s.seq * s.hidden);
      cpu.embeddingForward(out, ids, typeIds, wte, wpe, wtt, s);
      return out;
    },
    backward: (_, dout) => {
      const g = {
        wte: zeros(s.vocab * s.hidden),
        wpe: zeros(s.maxPositions * s.hidden),
        wtt: zeros(s.typeVocab * s.hidden),
      };
      cpu.embeddingBackward(
        g.wte,
        g.wpe,
        g.wtt,
        dout,
        ids,
        typeIds,
        index.order,
        index.starts,
        index.tokens,
        shape,
      );
      return g;
    },
    samples: 200,
  });
});

Deno.test("embeddingForward() (CPU) names the position and id of a bad id, and rejects seq > maxPositions", () => {
  const s = CASES[1]!;
  const { ids, typeIds } = batchIds({ ...s, pad: 0 }, 5);
  const tables = [
    zeros(s.vocab * s.hidden),
    zeros(s.maxPositions * s.hidden),
    zeros(s.typeVocab * s.hidden),
  ] as const;
  const expectRangeError = (f: () => void, words: string[]) => {
    let message = "";
    try {
      f();
    } catch (e) {
      if (e instanceof RangeError) message = e.message;
    }
    if (!words.every((w) => message.includes(w))) {
      throw new Error(`expected a RangeError with ${words}, got "${message}"`);
    }
  };
  const out = zeros(s.batch * s.seq * s.hidden);
  const badIds = ids.slice();
  badIds[10] = s.vocab;
  expectRangeError(() => cpu.embeddingForward(out, badIds, typeIds, ...tables, s), [
    "embedding_forward",
    "position 10",
    `id ${s.vocab}`,
  ]);
  const badTypes = typeIds.slice();
  badTypes[4] = -1;
  expectRangeError(() => cpu.embeddingForward(out, ids, badTypes, ...tables, s), ["position 4", "type -1"]);
  expectRangeError(() => cpu.embeddingForward(out, ids, typeIds, ...tables, { ...s, maxPositions: 6 }), [
    "seq 7 exceeds maxPositions 6",
  ]);
  const index = cpu.buildTokenIndex(ids);
  index.order.reverse();
  expectRangeError(
    () =>
      cpu.embeddingBackward(...tables, out, ids, typeIds, index.order, index.starts, index.tokens, {
        ...s,
        uniqueTokens: index.tokens.length,
      }),
    ["embedding_backward", "does not match ids"],
  );
});

for (const s of CASES) {
  const { ids, typeIds } = batchIds(s, s.hidden);
  gpuTest(`embeddingForward() matches the reference, ${label(s)}`, async (g) => {
    await checkKernel(g, {
      what: "embedding_forward",
      inputs: {
        ids,
        typeIds,
        wte: randomFloats(s.vocab * s.hidden, 1),
        wpe: randomFloats(s.maxPositions * s.hidden, 2),
        wtt: randomFloats(s.typeVocab * s.hidden, 3),
      },
      outputs: { out: { size: s.batch * s.seq * s.hidden } },
      cpu: (o, i) =>
        cpu.embeddingForward(
          o.out,
          i.ids as Int32Array,
          i.typeIds as Int32Array,
          i.wte,
          i.wpe,
          i.wtt,
          s,
        ),
      gpu: (o, i) => gpu.embeddingForward(g, o.out, i.ids, i.typeIds, i.wte, i.wpe, i.wtt, s),
      tolerance: FWD_TOL,
    });
  });
  gpuTest(`embeddingBackward() matches the reference, ${label(s)}`, async (g) => {
    const { order, starts, tokens } = cpu.buildTokenIndex(ids);
    const shape = { ...s, uniqueTokens: tokens.length };
    let longest = 0;
    for (let u = 0; u < tokens.length; u++) longest = Math.max(longest, starts[u + 1]! - starts[u]!);
    const typeRows = s.batch * s.seq; // each dwtt owner loops all rows
    await checkKernel(g, {
      what: "embedding_backward",
      inputs: { dout: randomFloats(s.batch * s.seq * s.hidden, 4), ids, typeIds, order, starts, tokens },
      outputs: {
        dwte: { size: s.vocab * s.hidden, accumulate: true },
        dwpe: { size: s.maxPositions * s.hidden, accumulate: true },
        dwtt: { size: s.typeVocab * s.hidden, accumulate: true },
      },
      cpu: (o, i) =>
        cpu.embeddingBackward(
          o.dwte,
          o.dwpe,
          o.dwtt,
          i.dout,
          i.ids as Int32Array,
          i.typeIds as Int32Array,
          i.order as Int32Array,
          i.starts as Int32Array,
          i.tokens as Int32Array,
          shape,
        ),
      gpu: (o, i) =>
        gpu.embeddingBackward(
          g,
          o.dwte,
          o.dwpe,
          o.dwtt,
          i.dout,
          i.ids,
          i.typeIds,
          i.order,
          i.starts,
          i.tokens,
          shape,
        ),
      tolerance: { dwte: sumTol(longest), dwpe: sumTol(s.batch), dwtt: sumTol(typeRows) },
    });
  });
}

gpuTest(
  "embeddingForward() on the device turns rows with bad ids, types or positions into NaN",
  async (g) => {
    const s = { batch: 2, seq: 3, hidden: 5, vocab: 4, maxPositions: 3, typeVocab: 2 };
    const ids = g.upload(Int32Array.of(0, 4, 3, -1, 1, 2), "ids");
    const typeIds = g.upload(Int32Array.of(0, 0, 1, 1, 2, 1), "typeIds");
    const wte = g.upload(randomFloats(20, 1), "wte");
    const wpe = g.upload(randomFloats(15, 2), "wpe");
    const wtt = g.upload(randomFloats(10, 3), "wtt");
    const out = g.tensor(30, "out");
    gpu.embeddingForward(g, out, ids, typeIds, wte, wpe, wtt, s);
    const got = await g.read(out);
    const badRows = new Set([1, 3, 4]); // id 4 (vocab 4), id -1, type 2 (typeVocab 2)
    got.forEach((v, i) => {
      if (Number.isNaN(v) !== badRows.has(Math.floor(i / 5))) throw new Error(`element ${i} is ${v}`);
    });
    for (const t of [ids, typeIds, wte, wpe, wtt, out]) t.buffer.destroy();
  },
);

gpuTest("embeddingBackward() rejects a too-small word gradient and seq > maxPositions", async (g) => {
  const s = { batch: 2, seq: 3, hidden: 5, vocab: 4, maxPositions: 3, typeVocab: 2, uniqueTokens: 2 };
  const t = (n: number, name: string) => g.tensor(n, name);
  const call = (dwte: number, shape: typeof s) => () =>
    gpu.embeddingBackward(
      g,
      t(dwte, "dwte"),
      t(15, "dwpe"),
      t(10, "dwtt"),
      t(30, "dout"),
      t(6, "ids"),
      t(6, "typeIds"),
      t(6, "order"),
      t(3, "starts"),
      t(2, "tokens"),
      shape,
    );
  const m1 = await messageOf(call(19, s));
  if (!m1.includes("embedding_backward") || !m1.includes('"dwte"') || !m1.includes("needs 20")) {
    throw new Error(`got "${m1}"`);
  }
  const m2 = await messageOf(call(20, { ...s, maxPositions: 2 }));
  if (!m2.includes("embedding_backward") || !m2.includes("seq 3 exceeds maxPositions 2")) {
    throw new Error(`got "${m2}"`);
  }
});
