import assert from "node:assert/strict";
import * as cpu from "../core/cpu/adamw.ts";
import * as gpu from "../core/webgpu/adamw.ts";
import type { Gpu, GpuTensor } from "../core/device.ts";
import { buildLayout } from "../core/bert/layout.ts";
import { clipGradients, gradNorm } from "../core/cpu/reduce.ts";
import { assertClose, gpuTest, randomFloats, seededRandom } from "./_helpers.ts";

// Each step is a handful of fp32 operations per element (relative error ~1e-6 after 5 steps). The atol
// covers cancellation in m (a mean of gradients of both signs, |m| up to ~1) and parameters that cross 0.
const TOL = { rtol: 1e-4, atol: 1e-6 };
const BASE = { lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-6, weightDecay: 0.01 };

// Hand-computed first step: lr 0.1, betas (0.9, 0.999), eps 1e-8, weight decay 0.01, m = v = 0.
//   p = 1,    g = 0.5: p = 0.999;   m = 0.05; v = 0.00025; bc1 = 0.1, bc2 = 0.001;
//                      p -= (0.1 / 0.1) * 0.05 / (sqrt(0.00025) / sqrt(0.001) + 1e-8) = 0.05 / (0.5 + 1e-8)
//   p = -0.5, g = -2:  p = -0.4995; m = -0.2; v = 0.004; p -= -0.2 / (2 + 1e-8)
const HAND = { n: 2, lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, step: 1 };
const HAND_P0 = [1, -0.5], HAND_G = [0.5, -2];
const HAND_P1 = [0.999 - 0.05 / (0.5 + 1e-8), -0.4995 + 0.2 / (2 + 1e-8)];
const HAND_M1 = [0.05, -0.2], HAND_V1 = [0.00025, 0.004];

Deno.test("adamwUpdate() (CPU) matches a hand-computed first step", () => {
  const p = Float64Array.from(HAND_P0), m = new Float64Array(2), v = new Float64Array(2);
  cpu.adamwUpdate(p, Float64Array.from(HAND_G), m, v, HAND);
  assertClose(p, HAND_P1, { rtol: 1e-14, atol: 0 }, "params");
  assertClose(m, HAND_M1, { rtol: 1e-14, atol: 0 }, "m");
  assertClose(v, HAND_V1, { rtol: 1e-12, atol: 0 }, "v");
});

Deno.test("adamwUpdate() (CPU) rejects step < 1 and short tensors, naming the kernel", () => {
  const a = new Float64Array(2);
  expectError(() => cpu.adamwUpdate(a, a, a, a, { ...HAND, step: 0 }), "step must be");
  expectError(() => cpu.adamwUpdate(a, a, a.subarray(1), a, HAND), "needs 2");
});

function expectError(fn: () => void, fragment: string, kernel = "adamw_update"): void {
  let message = "";
  try {
    fn();
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    message = e.message;
  }
  if (!message.includes(kernel) || !message.includes(fragment)) {
    throw new Error(`expected a RangeError naming ${kernel} and "${fragment}", got "${message}"`);
  }
}

async function readAll(g: Gpu, ts: GpuTensor[]): Promise<Float32Array[]> {
  const out = [];
  for (const t of ts) out.push(await g.read(t));
  return out;
}

gpuTest("adamwUpdate() matches a hand-computed first step", async (g) => {
  const p = g.upload(Float32Array.from(HAND_P0), "params"),
    grads = g.upload(Float32Array.from(HAND_G), "grads");
  const m = g.tensor(2, "m"), v = g.tensor(2, "v");
  gpu.adamwUpdate(g, p, grads, m, v, HAND);
  const [gp, gm, gv] = await readAll(g, [p, m, v]);
  const tol = { rtol: 1e-6, atol: 0 };
  assertClose(gp!, HAND_P1, tol, `params [${g.backend}]`);
  assertClose(gm!, HAND_M1, tol, `m [${g.backend}]`);
  assertClose(gv!, HAND_V1, tol, `v [${g.backend}]`);
  for (const t of [p, grads, m, v]) t.buffer.destroy();
});

// Five consecutive steps with fresh gradients, from zero moments at step 1 and from random moments at
// step 1000 (bias corrections near 1), each against the float64 twin fed the same f32 gradients.
for (const n of [1, 45 * 65, 1_000_003]) {
  for (const first of [1, 1000]) {
    gpuTest(`adamwUpdate() matches the reference over 5 steps, n=${n}, from step ${first}`, async (g) => {
      const p32 = randomFloats(n, n);
      const m32 = first === 1 ? new Float32Array(n) : randomFloats(n, n + 1, -0.5, 0.5);
      const v32 = first === 1 ? new Float32Array(n) : randomFloats(n, n + 2, 0, 0.1);
      const host = [p32, m32, v32].map((a) => Float64Array.from(a));
      const dev = [g.upload(p32, "params"), g.upload(m32, "m"), g.upload(v32, "v")];
      const grads = g.tensor(n, "grads");
      for (let k = 0; k < 5; k++) {
        const step = first + k;
        const gk = randomFloats(n, n * 10 + step);
        g.write(grads, gk);
        cpu.adamwUpdate(host[0]!, gk, host[1]!, host[2]!, { ...BASE, n, step });
        gpu.adamwUpdate(g, dev[0]!, grads, dev[1]!, dev[2]!, { ...BASE, n, step });
        await g.flush();
      }
      const got = await readAll(g, dev);
      ["params", "m", "v"].forEach((name, i) =>
        assertClose(got[i]!, host[i]!, TOL, `adamw ${name} n=${n} [${g.backend}]`)
      );
      for (const t of [...dev, grads]) t.buffer.destroy();
    });
  }
}

gpuTest("adamwUpdate() on views applies weight decay only where asked", async (g) => {
  // Weights then biases in one flat buffer, as the caller lays them out: the bias range gets weightDecay 0.
  const split = g.info.limits.minStorageBufferOffsetAlignment! / 4, n = split + 37;
  const p32 = randomFloats(n, 1), g32 = randomFloats(n, 2);
  const host = [Float64Array.from(p32), new Float64Array(n), new Float64Array(n)];
  const dev = [g.upload(p32, "params"), g.tensor(n, "m"), g.tensor(n, "v")];
  const grads = g.upload(g32, "grads");
  const opts = { ...BASE, weightDecay: 0.5, step: 1 };
  for (const [start, size, weightDecay] of [[0, split, 0.5], [split, n - split, 0]] as const) {
    const part = (a: Float64Array | Float32Array) => a.subarray(start, start + size);
    cpu.adamwUpdate(part(host[0]!), part(g32), part(host[1]!), part(host[2]!), {
      ...opts,
      n: size,
      weightDecay,
    });
    const [p, m, v] = dev.map((t) => g.view(t, start, size, `${t.label}[${start}:]`));
    gpu.adamwUpdate(g, p!, g.view(grads, start, size, "grads view"), m!, v!, {
      ...opts,
      n: size,
      weightDecay,
    });
  }
  const got = await readAll(g, dev);
  ["params", "m", "v"].forEach((name, i) => assertClose(got[i]!, host[i]!, TOL, `${name} [${g.backend}]`));
  for (const t of [...dev, grads]) t.buffer.destroy();
});

gpuTest("adamwUpdate() rejects step < 1 and short moments, naming the kernel", async (g) => {
  const a = g.tensor(8, "a"), short = g.tensor(7, "short");
  expectError(() => gpu.adamwUpdate(g, a, a, a, a, { ...BASE, n: 8, step: 0 }), "step must be");
  expectError(() => gpu.adamwUpdate(g, a, a, a, a, { ...BASE, n: 8, step: 2.5 }), "step must be");
  expectError(() => gpu.adamwUpdate(g, a, a, short, a, { ...BASE, n: 8, step: 1 }), "needs 8");
  // The rejected calls recorded nothing: the device still runs.
  await g.sync();
  a.buffer.destroy();
  short.buffer.destroy();
});

// ---------------------------------------------------------------------------------------------
// adamwMulti: clipping, unscaling and AdamW over all tensors at once, weight decay by a range table

// A layout with awkward sizes (padding between entries), weights and biases alternating, two
// LayerNorm pairs, and two adjacent-in-order decayed tensors.
const MULTI_LAYOUT = buildLayout([
  { name: "embeddings.word_embeddings.weight", shape: [37, 9] },
  { name: "embeddings.position_embeddings.weight", shape: [11, 9] },
  { name: "embeddings.LayerNorm.weight", shape: [9] },
  { name: "embeddings.LayerNorm.bias", shape: [9] },
  { name: "layer.0.query.weight", shape: [9, 9] },
  { name: "layer.0.query.bias", shape: [9] },
  { name: "layer.0.dense.weight", shape: [23, 9] },
  { name: "layer.0.dense.bias", shape: [23] },
  { name: "layer.0.LayerNorm.weight", shape: [9] },
  { name: "layer.0.LayerNorm.bias", shape: [9] },
  { name: "head.weight", shape: [5, 9] },
]);

Deno.test("decayRangeTable() lists the decayed entries' ranges, sorted, adjacent ones merged", () => {
  const entries = [
    { offset: 64, size: 10, decay: true },
    { offset: 0, size: 64, decay: true },
    { offset: 74, size: 3, decay: false },
    { offset: 128, size: 5, decay: true },
  ];
  assert.deepEqual(Array.from(cpu.decayRangeTable(entries)), [0, 74, 128, 133]);
  assert.deepEqual(Array.from(cpu.decayRangeTable([{ offset: 0, size: 4, decay: false }])), [0, 0]);
  const table = Array.from(cpu.decayRangeTable(MULTI_LAYOUT.entries));
  const decayed = MULTI_LAYOUT.entries.filter((e) => e.decay).map((e) => [e.offset, e.offset + e.size]);
  assert.deepEqual(table, decayed.flat()); // padding separates every pair of entries here
});

// Three steps of today's sequence (gradNorm, clipGradients, then adamwUpdate per layout entry with
// weightDecay 0 where the layout says) against adamwMulti, in float64.
function multiVersusSequence(maxNorm: number, chunk: number): { clip: number } {
  const n = MULTI_LAYOUT.size;
  const table = cpu.decayRangeTable(MULTI_LAYOUT.entries);
  const start = Float64Array.from(randomFloats(n, 31));
  const [pa, ma, va] = [start.slice(), new Float64Array(n), new Float64Array(n)];
  const [pb, mb, vb] = [start.slice(), new Float64Array(n), new Float64Array(n)];
  let clip = 1;
  for (let step = 1; step <= 3; step++) {
    const grads = new Float64Array(n);
    const fresh = randomFloats(n, 40 + step);
    for (const e of MULTI_LAYOUT.entries) grads.set(fresh.subarray(e.offset, e.offset + e.size), e.offset);
    const norm = new Float64Array(1);
    gradNorm(norm, norm, grads, { n });
    clip = Math.min(1, maxNorm / (norm[0]! + 1e-6));
    const o = { ...BASE, weightDecay: 0.1, step };
    // What the trainer did before: clip in place, then one update per entry.
    const clipped = grads.slice();
    clipGradients(clipped, norm, { n, maxNorm });
    for (const e of MULTI_LAYOUT.entries) {
      const part = (a: Float64Array) => a.subarray(e.offset, e.offset + e.size);
      cpu.adamwUpdate(part(pa), part(clipped), part(ma), part(va), {
        ...o,
        n: e.size,
        weightDecay: e.decay ? o.weightDecay : 0,
      });
    }
    // One call per chunk, each told its offset.
    for (let at = 0; at < n; at += chunk) {
      const size = Math.min(chunk, n - at);
      const part = (a: Float64Array) => a.subarray(at, at + size);
      cpu.adamwMulti(part(pb), part(grads), part(mb), part(vb), norm, table, {
        ...o,
        n: size,
        offset: at,
        maxNorm,
      });
    }
  }
  // Bit for bit: g * (1 * clip) is g * clip, and the padding (zero gradients, moments, parameters) stays 0.
  assert.deepEqual(pb, pa);
  assert.deepEqual(mb, ma);
  assert.deepEqual(vb, va);
  return { clip };
}

Deno.test("adamwMulti() (CPU) with unscale 1 reproduces clipGradients then adamwUpdate per entry", () => {
  for (const chunk of [MULTI_LAYOUT.size, 64, 192]) {
    const clipped = multiVersusSequence(0.5, chunk);
    if (!(clipped.clip < 0.2)) throw new Error(`expected a clip coefficient < 1, got ${clipped.clip}`);
    const unclipped = multiVersusSequence(1e4, chunk);
    if (unclipped.clip !== 1) throw new Error(`expected no clipping, got ${unclipped.clip}`);
  }
});

Deno.test("adamwMulti() (CPU) with unscale undoes a loss scale: same step as unscaled gradients", () => {
  const n = 1000, table = Int32Array.of(3, 100, 640, 777);
  for (const [scale, maxNorm] of [[1024, 0.5], [3000, 0.5], [1024, 1e4]] as const) {
    const grads = Float64Array.from(randomFloats(n, 5));
    const norm = new Float64Array(1);
    gradNorm(norm, norm, grads, { n });
    const run = (g: Float64Array, nrm: Float64Array, unscale: number) => {
      const p = Float64Array.from(randomFloats(n, 6)), m = new Float64Array(n), v = new Float64Array(n);
      cpu.adamwMulti(p, g, m, v, nrm, table, { ...BASE, n, step: 2, maxNorm, unscale });
      return [p, m, v];
    };
    const plain = run(grads, norm, 1);
    const scaled = run(grads.map((x) => x * scale), norm.map((x) => x * scale), 1 / scale);
    ["params", "m", "v"].forEach((name, i) =>
      assertClose(scaled[i]!, plain[i]!, { rtol: 1e-12, atol: 1e-18 }, `${name}, loss scale ${scale}`)
    );
  }
});

Deno.test("adamwMulti() (CPU) rejects bad range tables and options, naming the kernel", () => {
  const a = new Float64Array(4), norm = Float64Array.of(1), o = { ...BASE, n: 4, step: 1, maxNorm: 1 };
  expectError(() => cpu.adamwMulti(a, a, a, a, norm, [0, 2, 3], o), "pairs", "adamw_multi");
  expectError(() => cpu.adamwMulti(a, a, a, a, norm, [], o), "pairs", "adamw_multi");
  expectError(() => cpu.adamwMulti(a, a, a, a, norm, [0, 2], { ...o, unscale: 0 }), "unscale", "adamw_multi");
  expectError(() => cpu.adamwMulti(a, a, a, a, norm, [0, 2], { ...o, offset: -64 }), "offset", "adamw_multi");
  expectError(
    () => cpu.adamwMulti(a, a, a, a, norm, [0, 2], { ...o, step: 0 }),
    "step must be",
    "adamw_multi",
  );
  expectError(() => cpu.adamwMulti(a, a.subarray(1), a, a, norm, [0, 2], o), "needs 4", "adamw_multi");
});

// Decay segments over [0, n): random cuts (dense near the start: many ranges inside one workgroup's
// tile), each segment decayed or not at random, plus a decayed segment across every chunk boundary.
function randomDecayRanges(n: number, boundaries: number[], seed: number): Int32Array {
  const r = seededRandom(seed);
  const across = boundaries.map((b) => [Math.max(0, b - 7), Math.min(n, b + 9)] as const);
  const cuts = new Set<number>([0, n, ...across.flat()]);
  for (let k = 0; k < 40; k++) cuts.add(Math.floor(r() * Math.min(n, 3000)));
  for (let k = 0; k < 40; k++) cuts.add(Math.floor(r() * n));
  const inside = (c: number) => across.some(([s, e]) => c > s && c < e);
  const sorted = [...cuts].filter((c) => !inside(c)).sort((x, y) => x - y);
  const entries = [];
  for (let k = 0; k + 1 < sorted.length; k++) {
    const [offset, end] = [sorted[k]!, sorted[k + 1]!];
    const forced = across.some(([s]) => s === offset);
    entries.push({ offset, size: end - offset, decay: forced || r() < 0.5 });
  }
  return cpu.decayRangeTable(entries);
}

interface MultiCase {
  n: number;
  chunks: number;
  /** maxNorm as a multiple of the true (unscaled) norm: < 1 clips. */
  normRatio: number;
  /** The stored gradients are the true ones times this; the op gets unscale = 1 / lossScale. */
  lossScale: number;
  first: number;
}

const MULTI_CASES: MultiCase[] = [
  { n: 1, chunks: 1, normRatio: 0.5, lossScale: 1, first: 1 },
  { n: 45 * 65, chunks: 1, normRatio: 2, lossScale: 1, first: 1 },
  { n: 45 * 65, chunks: 1, normRatio: 0.3, lossScale: 1, first: 1000 },
  { n: 10_007, chunks: 3, normRatio: 0.3, lossScale: 4096, first: 1 },
  { n: 1_000_003, chunks: 2, normRatio: 2, lossScale: 1000, first: 1000 },
];

// The device kernel against its float64 twin over 3 steps, per chunk with offsets; every tensor has a
// NaN tail past n that the kernel must neither read into the results nor overwrite.
for (const c of MULTI_CASES) {
  const what = `n=${c.n}, ${c.chunks} chunk(s), maxNorm ${c.normRatio} x norm, loss scale ${c.lossScale}, ` +
    `from step ${c.first}`;
  gpuTest(`adamwMulti() matches the reference: ${what}`, async (g) => {
    const { n } = c, tail = 64, align = g.info.limits.minStorageBufferOffsetAlignment! / 4;
    const chunk = Math.ceil(Math.ceil(n / c.chunks) / align) * align;
    const starts = Array.from({ length: Math.ceil(n / chunk) }, (_, k) => k * chunk);
    if (starts.length !== c.chunks) throw new Error(`expected ${c.chunks} chunks, got ${starts.length}`);
    const table = randomDecayRanges(n, starts.slice(1), n);
    const withTail = (a: Float32Array) => {
      const out = new Float32Array(n + tail).fill(NaN);
      out.set(a);
      return out;
    };
    const p32 = randomFloats(n, n);
    const m32 = c.first === 1 ? new Float32Array(n) : randomFloats(n, n + 1, -0.5, 0.5);
    const v32 = c.first === 1 ? new Float32Array(n) : randomFloats(n, n + 2, 0, 0.1);
    const host = [p32, m32, v32].map((a) => Float64Array.from(a));
    const dev = [p32, m32, v32].map((a, k) => g.upload(withTail(a), ["params", "m", "v"][k]!));
    const grads = g.upload(new Float32Array(n + tail).fill(NaN), "grads");
    const norm = g.tensor(1, "norm"), ranges = g.upload(table, "decay ranges");
    const unscale = 1 / c.lossScale;
    let clip = 1;
    for (let step = c.first; step < c.first + 3; step++) {
      const gk = randomFloats(n, n * 10 + step).map((x) => x * c.lossScale);
      const nk = new Float64Array(1);
      gradNorm(nk, nk, Float64Array.from(gk), { n });
      const norm32 = Float32Array.of(nk[0]!); // what gradNorm leaves on the device
      g.write(grads, gk);
      g.write(norm, norm32);
      const o = { ...BASE, weightDecay: 0.1, step, maxNorm: c.normRatio * nk[0]! * unscale, unscale };
      clip = cpu.clipCoefficient(norm32[0]!, o.maxNorm, unscale);
      cpu.adamwMulti(host[0]!, gk, host[1]!, host[2]!, norm32, table, { ...o, n });
      for (const at of starts) {
        const size = Math.min(chunk, n - at);
        const [p, m, v, gv] = [...dev, grads].map((t) => g.view(t, at, size, `${t.label}[${at}:]`));
        gpu.adamwMulti(g, p!, gv!, m!, v!, norm, ranges, { ...o, n: size, offset: at });
      }
      await g.flush();
    }
    if ((c.normRatio < 1) !== (clip < 1)) throw new Error(`clip coefficient ${clip} for ${what}`);
    const got = await readAll(g, dev);
    ["params", "m", "v"].forEach((name, i) => {
      assertClose(got[i]!.subarray(0, n), host[i]!, TOL, `adamw_multi ${name} ${what} [${g.backend}]`);
      if (!got[i]!.subarray(n).every(Number.isNaN)) {
        throw new Error(`adamw_multi wrote past n into ${name} [${g.backend}]`);
      }
    });
    for (const t of [...dev, grads, norm, ranges]) t.buffer.destroy();
  });
}

gpuTest("adamwMulti() leaves gradients alone where the norm is NaN, as clipGradients does", async (g) => {
  const n = 300, table = Int32Array.of(0, 128);
  const p32 = randomFloats(n, 1), g32 = randomFloats(n, 2), nan = Float32Array.of(NaN);
  const host = [Float64Array.from(p32), new Float64Array(n), new Float64Array(n)];
  const dev = [g.upload(p32, "params"), g.tensor(n, "m"), g.tensor(n, "v")];
  const grads = g.upload(g32, "grads"), norm = g.upload(nan, "norm"), ranges = g.upload(table, "ranges");
  const o = { ...BASE, n, step: 1, maxNorm: 1e-3 };
  cpu.adamwMulti(host[0]!, g32, host[1]!, host[2]!, nan, table, o);
  gpu.adamwMulti(g, dev[0]!, grads, dev[1]!, dev[2]!, norm, ranges, o);
  const got = await readAll(g, dev);
  ["params", "m", "v"].forEach((name, i) => assertClose(got[i]!, host[i]!, TOL, `${name} [${g.backend}]`));
  // Unclipped: m = (1 - beta1) * g.
  assertClose(got[1]!, Float64Array.from(g32, (x) => 0.1 * x), { rtol: 1e-6, atol: 0 }, "m unclipped");
  for (const t of [...dev, grads, norm, ranges]) t.buffer.destroy();
});

gpuTest("adamwMulti() rejects bad range tables and options, naming the kernel", async (g) => {
  const a = g.tensor(8, "a"), odd = g.tensor(3, "odd"), norm = g.tensor(1, "norm");
  const o = { ...BASE, n: 8, step: 1, maxNorm: 1 };
  expectError(() => gpu.adamwMulti(g, a, a, a, a, norm, odd, o), "pairs", "adamw_multi");
  expectError(() => gpu.adamwMulti(g, a, a, a, a, norm, a, { ...o, unscale: -1 }), "unscale", "adamw_multi");
  expectError(() => gpu.adamwMulti(g, a, a, odd, a, norm, a, o), "needs 8", "adamw_multi");
  await g.sync();
  for (const t of [a, odd, norm]) t.buffer.destroy();
});
