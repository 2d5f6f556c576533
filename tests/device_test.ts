import { fileURLToPath } from "node:url";
import { Gpu, grid1d } from "../core/device.ts";
import { geluForward } from "../core/webgpu/gelu.ts";
import { gpuTest, messageOf, randomFloats } from "./_helpers.ts";

function expectMatch(message: string, ...patterns: RegExp[]): void {
  for (const p of patterns) {
    if (!p.test(message)) throw new Error(`message "${message}" does not match ${p}`);
  }
}

Deno.test("Gpu.open() rejects an unknown backend, and cpu", async () => {
  expectMatch(await messageOf(() => Gpu.open({ backend: "vulkan" as "dawn" })), /Unknown backend "vulkan"/);
  expectMatch(await messageOf(() => Gpu.open({ backend: "cpu" })), /backend "cpu"/);
});

Deno.test("grid1d() keeps every dimension within the limit and covers n", () => {
  for (const n of [0, 1, 255, 256, 257, 65535 * 256, 65535 * 256 + 1, 110_000_000]) {
    const [x, y] = grid1d(n, 256);
    if (x > 65535 || y > 65535 || x * y * 256 < n) throw new Error(`grid1d(${n}) = ${x}x${y}`);
  }
});

gpuTest("a WGSL compile error names the kernel, the file and the line", async (g) => {
  const file = fileURLToPath(new URL("./fixtures/broken.wgsl", import.meta.url));
  const out = g.tensor(64, "out");
  g.dispatch({ file, entry: "broken" }, [out], [], [1]);
  expectMatch(await messageOf(() => g.flush()), /kernel "broken"/, /broken\.wgsl:5:/);
});

gpuTest("a validation error at submit names the kernel that caused it", async (g) => {
  const x = g.upload(randomFloats(10, 1), "x");
  const y = g.tensor(10, "y");
  geluForward(g, y, x, { n: 10 });
  // matmul_rows reads array<vec4<f32>>: a 4-byte binding is below its minimum binding size.
  const tiny = g.tensor(1, "tiny");
  g.dispatch({ file: "matmul", entry: "matmul_rows" }, [y, tiny, tiny, tiny], [1, 1, 1, 1, 1, 1, 0, 0, 0], [
    1,
  ]);
  expectMatch(await messageOf(() => g.sync()), /kernel \[matmul_rows\]/);
  // The device stays usable afterwards.
  const after = g.upload(Float32Array.of(1, 2, 3), "after");
  const got = await g.read(after);
  if (got.join() !== "1,2,3") throw new Error(`read back ${got}`);
});

gpuTest("a dispatch over the workgroup-count limit is refused with the kernel's name", async (g) => {
  const t = g.tensor(4, "t");
  expectMatch(
    await messageOf(() => g.dispatch({ file: "fill", entry: "fill" }, [t], [4, 0], [70000])),
    /Kernel "fill"/,
    /exceeds 65535/,
  );
});

gpuTest(
  "bindings over the binding limit, buffers over the buffer limit and misaligned views are refused",
  async (g) => {
    const max = g.info.limits.maxStorageBufferBindingSize!;
    const huge = g.tensor(max / 4 + 64, "huge");
    expectMatch(
      await messageOf(() => g.dispatch({ file: "fill", entry: "fill" }, [huge], [4, 0], [1])),
      /Kernel "fill"/,
      /"huge"/,
      /maxStorageBufferBindingSize/,
    );
    g.view(huge, 64, 16, "a view is fine"); // views of it can be bound
    huge.buffer.destroy();
    const maxBuffer = g.info.limits.maxBufferSize!;
    expectMatch(
      await messageOf(() => g.tensor(Math.ceil(maxBuffer / 4) + 1, "too big")),
      /"too big"/,
      /maxBufferSize/,
    );
    const parent = g.tensor(1024, "parent");
    expectMatch(await messageOf(() => g.view(parent, 3, 10, "odd")), /"odd"/, /multiple of/);
    expectMatch(await messageOf(() => g.view(parent, 960, 100, "past")), /exceeds "parent"/);
  },
);

gpuTest("a write after recorded dispatches is refused rather than reordered", async (g) => {
  const x = g.upload(randomFloats(8, 3), "x");
  const y = g.tensor(8, "y");
  geluForward(g, y, x, { n: 8 });
  expectMatch(await messageOf(() => g.write(x, new Float32Array(8))), /flush first/, /gelu_forward/);
  await g.flush();
  g.write(x, new Float32Array(8));
  await g.sync();
});

gpuTest("read() returns exactly what was uploaded, from views too", async (g) => {
  const data = randomFloats(1000, 4);
  const t = g.upload(data, "data");
  const got = await g.read(t);
  if (got.some((v, i) => !Object.is(v, data[i]))) throw new Error("round trip changed values");
  const v = g.view(t, 64, 100, "view");
  const part = await g.read(v);
  if (part.some((x, i) => !Object.is(x, data[64 + i]))) throw new Error("view read back wrong values");
});

gpuTest("work recorded before a flush runs before a later read, even while pipelines compile", async (g) => {
  const x = g.upload(Float32Array.of(0.5, -1, 2), "x");
  const y = g.upload(new Float32Array(3).fill(NaN), "y");
  // First use of tanh: its pipeline is still compiling when the read below is submitted.
  const { tanhForward } = await import("../core/webgpu/tanh.ts");
  tanhForward(g, y, x, { n: 3 });
  const flushed = g.flush();
  const got = await g.read(y);
  await flushed;
  if (!got.every((v, i) => Math.abs(v - Math.tanh([0.5, -1, 2][i]!)) <= 1e-6)) {
    throw new Error(`read overtook the flush: ${got}`);
  }
});

gpuTest("an entry name defined in two shader files is refused, not given the other's pipeline", async (g) => {
  // Pipelines are cached by entry name: fill.wgsl's `fill` requested from another file must fail.
  await g.pipeline({ file: "fill", entry: "fill" });
  const message = await messageOf(() => g.pipeline({ file: "tests/fixtures/broken.wgsl", entry: "fill" }));
  if (!/"fill" is defined in both shaders\/fill\.wgsl and tests\/fixtures\/broken\.wgsl/.test(message)) {
    throw new Error(`unexpected: ${message}`);
  }
});

gpuTest("an empty write is a no-op (Deno's WebGPU panics on a zero-byte writeBuffer)", async (g) => {
  const t = g.upload(Float32Array.of(5), "t");
  g.write(t, new Float32Array(0));
  const empty = g.upload(new Float32Array(0), "empty");
  if ((await g.read(t))[0] !== 5 || empty.size !== 0) throw new Error("an empty write changed something");
  for (const x of [t, empty]) x.buffer.destroy();
});
