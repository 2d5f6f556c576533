import * as cpu from "../core/cpu/adamw.ts";
import * as gpu from "../core/webgpu/adamw.ts";
import type { Gpu, GpuTensor } from "../core/device.ts";
import { assertClose, gpuTest, randomFloats } from "./_helpers.ts";

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

function expectError(fn: () => void, fragment: string): void {
  let message = "";
  try {
    fn();
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    message = e.message;
  }
  if (!message.includes("adamw_update") || !message.includes(fragment)) {
    throw new Error(`expected a RangeError naming adamw_update and "${fragment}", got "${message}"`);
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
