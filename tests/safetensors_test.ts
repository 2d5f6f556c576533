import assert from "node:assert/strict";
import {
  readSafetensors,
  readSafetensorsFile,
  readSafetensorsHeader,
  type SafetensorsTensor,
  writeSafetensors,
} from "../core/checkpoint/safetensors.ts";
import {
  OPTIMIZER_STATE_FORMAT,
  readOptimizerState,
  writeOptimizerState,
} from "../core/checkpoint/optimizer_state.ts";
import { messageOf, seededRandom } from "./_helpers.ts";

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "safetensors_test_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Random bit patterns, so NaN payloads, infinities, -0 and subnormals all occur. */
function randomBits(n: number, seed: number): Float32Array {
  const r = seededRandom(seed);
  const bits = new Uint32Array(n);
  for (let i = 0; i < n; i++) bits[i] = Math.floor(r() * 2 ** 32);
  for (let i = 0; i < Math.min(n, 4); i++) bits[i] = [0x7fc00001, 0xff800000, 0x80000000, 0x00000001][i]!;
  return new Float32Array(bits.buffer);
}

/** Random finite bit patterns (-0 and subnormals among them), non-negative ones if asked. */
function finiteBits(n: number, seed: number, nonNegative = false): Float32Array {
  const bits = bitsOf(randomBits(n, seed));
  for (let i = 0; i < n; i++) {
    if ((bits[i]! >>> 23 & 0xff) === 0xff) bits[i] = bits[i]! & ~(1 << 23); // exponent below all-ones
    if (nonNegative) bits[i] = bits[i]! & 0x7fffffff;
  }
  return new Float32Array(bits.buffer);
}

function bitsOf(a: Float32Array): Uint32Array {
  return new Uint32Array(a.buffer, a.byteOffset, a.length);
}

/**
 * A safetensors file built by hand from the spec: N as 8 little-endian bytes, the header text
 * padded with spaces to `padTo`, then the data. `length` overrides the stored N.
 */
function handBuilt(
  header: string,
  data: number[],
  options: { length?: bigint; padTo?: number } = {},
): Uint8Array {
  const text = [...new TextEncoder().encode(header)];
  const padTo = options.padTo ?? 8;
  while (text.length % padTo !== 0) text.push(0x20);
  let n = options.length ?? BigInt(text.length);
  const bytes: number[] = [];
  for (let i = 0; i < 8; i++) {
    bytes.push(Number(n & 0xffn));
    n >>= 8n;
  }
  return new Uint8Array([...bytes, ...text, ...data]);
}

/** Little-endian bytes of f32 values. */
function f32Bytes(values: number[]): number[] {
  return [...new Uint8Array(new Float32Array(values).buffer)];
}

/** Little-endian bytes of 16-bit patterns. */
function u16Bytes(values: number[]): number[] {
  return values.flatMap((v) => [v & 0xff, v >> 8]);
}

Deno.test("writeSafetensors() then readSafetensors() is bit-exact, empty and scalar tensors included", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/model.safetensors`;
    const shapes: Record<string, number[]> = {
      "bert.embeddings.word_embeddings.weight": [45, 65],
      "z.scalar": [],
      "empty.rows": [0, 7],
      "empty.vector": [0],
      "a.bias": [37],
      "layer.10.w": [3, 5, 2],
      "layer.9.w": [1],
    };
    const tensors = new Map<string, SafetensorsTensor>();
    let seed = 1;
    for (const [name, shape] of Object.entries(shapes)) {
      tensors.set(name, { shape, data: randomBits(shape.reduce((a, b) => a * b, 1), seed++) });
    }
    await writeSafetensors(path, tensors, { format: "pt", note: "ünïcode ✓" });
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["model.safetensors"]);

    const { tensors: back, metadata } = await readSafetensorsFile(path);
    assert.deepEqual(metadata, { format: "pt", note: "ünïcode ✓" });
    assert.deepEqual([...back.keys()], [...tensors.keys()].sort());
    for (const [name, t] of tensors) {
      const got = back.get(name)!;
      assert.deepEqual(got.shape, t.shape, name);
      assert.deepEqual(bitsOf(got.data), bitsOf(t.data), name);
    }

    // The data buffer starts 8-aligned after a space-padded header, tensors back to back by name.
    const bytes = await Deno.readFile(path);
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    assert.equal(n % 8, 0);
    const headerText = new TextDecoder().decode(bytes.subarray(8, 8 + n));
    assert.match(headerText, /^\{"__metadata__":\{"format":"pt","note":"ünïcode ✓"\},"a\.bias":/);
    assert.match(headerText, /\} *$/);
    const header = await readSafetensorsHeader(path);
    assert.equal(header.dataStart, 8 + n);
    assert.deepEqual(header.entries.map((e) => e.name), [...tensors.keys()].sort());
    assert.equal(header.entries.at(-1)!.end, bytes.length - 8 - n);
  });
});

Deno.test("writeSafetensors() writes the same bytes as a file built by hand from the spec", async () => {
  await withTempDir(async (dir) => {
    const expected = handBuilt(
      '{"__metadata__":{"format":"pt"},' +
        '"a":{"dtype":"F32","shape":[],"data_offsets":[0,4]},' +
        '"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}',
      [0x00, 0x00, 0x40, 0x40, 0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0xc0], // 3, 1, -2
    );
    assert.equal(expected.length, 8 + 144 + 12); // 138 header bytes padded to 144
    assert.deepEqual([...expected.subarray(0, 8)], [144, 0, 0, 0, 0, 0, 0, 0]);
    assert.deepEqual([...expected.subarray(146, 152)], [0x20, 0x20, 0x20, 0x20, 0x20, 0x20]);

    const path = `${dir}/written.safetensors`;
    const tensors = new Map<string, SafetensorsTensor>([
      ["b", { shape: [2], data: new Float32Array([1, -2]) }],
      ["a", { shape: [], data: new Float32Array([3]) }],
    ]);
    await writeSafetensors(path, tensors, { format: "pt" });
    assert.deepEqual(await Deno.readFile(path), expected);

    const byHand = `${dir}/by_hand.safetensors`;
    await Deno.writeFile(byHand, expected);
    const back = await readSafetensors(byHand);
    assert.deepEqual(back.get("a"), { shape: [], data: new Float32Array([3]) });
    assert.deepEqual(back.get("b"), { shape: [2], data: new Float32Array([1, -2]) });

    // No metadata: no "__metadata__" key; unpadded headers from other writers read as well.
    await writeSafetensors(path, new Map([["a", { shape: [], data: new Float32Array([3]) }]]));
    assert.deepEqual(
      await Deno.readFile(path),
      handBuilt('{"a":{"dtype":"F32","shape":[],"data_offsets":[0,4]}}', [0, 0, 0x40, 0x40]),
    );
    await Deno.writeFile(
      byHand,
      handBuilt('{"a":{"dtype":"F32","shape":[],"data_offsets":[0,4]}}', [0, 0, 0x40, 0x40], { padTo: 1 }),
    );
    assert.deepEqual((await readSafetensorsFile(byHand)).metadata, {});
    assert.deepEqual((await readSafetensors(byHand)).get("a")!.data, new Float32Array([3]));
  });
});

/** The value of an f16 bit pattern, straight from IEEE 754's definition. */
function halfValue(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024);
  if (exp === 31) return frac === 0 ? sign * Infinity : NaN;
  return sign * 2 ** (exp - 15) * (1 + frac / 1024);
}

Deno.test("readSafetensors() widens every F16 bit pattern and BF16 values exactly", async () => {
  await withTempDir(async (dir) => {
    const all = Array.from({ length: 65536 }, (_, h) => h);
    const bf16 = [0x3f80, 0xc000, 0x4049, 0x7f80, 0xff80, 0x0001, 0x8000, 0x7fc0];
    const f32At = 131072 + 16; // an F32 tensor after them, at an offset that is not a multiple of 4
    const path = `${dir}/half.safetensors`;
    await Deno.writeFile(
      path,
      handBuilt(
        `{"all_f16":{"dtype":"F16","shape":[256,256],"data_offsets":[0,131072]},` +
          `"some_bf16":{"dtype":"BF16","shape":[8],"data_offsets":[131072,${f32At}]},` +
          `"odd":{"dtype":"F16","shape":[1],"data_offsets":[${f32At},${f32At + 2}]},` +
          `"f32":{"dtype":"F32","shape":[2],"data_offsets":[${f32At + 2},${f32At + 10}]}}`,
        [...u16Bytes(all), ...u16Bytes(bf16), ...u16Bytes([0x3c00]), ...f32Bytes([0.1, -7])],
      ),
    );
    const t = await readSafetensors(path);
    const half = t.get("all_f16")!;
    assert.deepEqual(half.shape, [256, 256]);
    for (let h = 0; h < 65536; h++) {
      const want = halfValue(h);
      assert.ok(
        Object.is(half.data[h], want) || (Number.isNaN(want) && Number.isNaN(half.data[h])),
        `f16 0x${h}`,
      );
    }
    assert.equal(bitsOf(half.data)[0x7e01], 0x7fc02000, "NaN payload kept");
    assert.deepEqual(
      [...t.get("some_bf16")!.data],
      [1, -2, 3.140625, Infinity, -Infinity, 2 ** -133, -0, NaN],
    );
    assert.deepEqual([...t.get("odd")!.data], [1]);
    assert.deepEqual(t.get("f32")!.data, new Float32Array([0.1, -7]));
  });
});

Deno.test("readSafetensors() refuses dtypes it does not read, unless the tensor is skipped", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/ids.safetensors`;
    await Deno.writeFile(
      path,
      handBuilt(
        '{"bert.embeddings.position_ids":{"dtype":"I64","shape":[1,2],"data_offsets":[0,16]},' +
          '"w":{"dtype":"F32","shape":[1],"data_offsets":[16,20]}}',
        [0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, ...f32Bytes([5])],
      ),
    );
    assert.equal(
      await messageOf(() => readSafetensors(path)),
      `Cannot read tensor "bert.embeddings.position_ids" of "${path}": dtype I64 is not supported (F32, F16 and BF16 are)`,
    );
    const t = await readSafetensors(path, { skip: (name) => name.endsWith(".position_ids") });
    assert.deepEqual([...t.keys()], ["w"]);
  });
});

Deno.test("readSafetensors() names the file and the tensor for every kind of corruption", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/model.safetensors`;
    await writeSafetensors(
      path,
      new Map([
        ["bert.a", { shape: [2, 3], data: new Float32Array(6).fill(1) }],
        ["bert.b", { shape: [4], data: new Float32Array(4).fill(2) }],
      ]),
    );
    const good = await Deno.readFile(path);
    const bad = `${dir}/bad.safetensors`;
    const expectError = async (bytes: Uint8Array, pattern: RegExp) => {
      await Deno.writeFile(bad, bytes);
      const message = await messageOf(() => readSafetensors(bad));
      assert.ok(message.includes(`"${bad}"`), `the file is not named: ${message}`);
      assert.match(message, pattern);
    };
    const f32 = (name: string, shape: number[], begin: number, end: number, dtype = "F32") =>
      `"${name}":{"dtype":"${dtype}","shape":[${shape}],"data_offsets":[${begin},${end}]}`;
    const eight = (n: number) => new Array(n * 4).fill(0);

    await expectError(
      good.subarray(0, good.length - 4),
      /tensor "bert\.b": data_offsets \[24, 40\] run past the data buffer's 36 bytes \(truncated file\?\)/,
    );
    await expectError(
      good.subarray(0, 40),
      /header length \d+ runs past the end of the file \(40 bytes; truncated\?\)/,
    );
    await expectError(good.subarray(0, 5), /the file has 5 bytes, too few for the 8-byte header length/);
    await expectError(
      handBuilt("{}", [], { length: 1n << 40n }),
      /header length 1099511627776 is above the limit of 100000000 bytes/,
    );
    await expectError(handBuilt("{}", [], { length: 0n }), /header length 0 is too small/);
    await expectError(handBuilt("[1, 2]", []), /the header does not start with "\{"/);
    await expectError(handBuilt('{"bert.a":', []), /the header is not valid JSON/);
    await expectError(
      handBuilt(`{${f32("bert.a", [6], 0, 24)},${f32("bert.b", [4], 8, 24)}}`, eight(6)),
      /tensor "bert\.b": its bytes \[8, 24\) overlap those of tensor "bert\.a" \[0, 24\)/,
    );
    await expectError(
      handBuilt(`{${f32("bert.a", [5], 0, 24)}}`, eight(6)),
      /tensor "bert\.a": data_offsets \[0, 24\] hold 24 bytes, but shape \[5\] of F32 needs 20/,
    );
    await expectError(
      handBuilt(`{${f32("bert.a", [2, 2], 0, 16, "F16")}}`, eight(4)),
      /tensor "bert\.a": data_offsets \[0, 16\] hold 16 bytes, but shape \[2,2\] of F16 needs 8/,
    );
    await expectError(
      handBuilt(`{${f32("bert.a", [1], 0, 4)},${f32("bert.b", [1], 8, 12)}}`, eight(3)),
      /tensor "bert\.b": 4 unused bytes of the data buffer precede it/,
    );
    await expectError(
      handBuilt(`{${f32("bert.a", [1], 0, 4)}}`, eight(2)),
      /4 bytes after the last tensor \("bert\.a"\) are unused/,
    );
    await expectError(
      handBuilt(`{${f32("bert.a", [1], 0, 4, "F33")}}`, eight(1)),
      /tensor "bert\.a": unknown dtype "F33"/,
    );
    await expectError(
      handBuilt(`{${f32("bert.a", [-1], 0, 4)}}`, eight(1)),
      /tensor "bert\.a": shape \[-1\] is not a list of non-negative integers/,
    );
    await expectError(
      handBuilt(`{"bert.a":{"dtype":"F32","shape":[1],"data_offsets":[4]}}`, eight(1)),
      /tensor "bert\.a": data_offsets \[4\] is not a pair/,
    );
    await expectError(
      handBuilt(`{${f32("bert.a", [1], 4, 0)}}`, eight(1)),
      /tensor "bert\.a": data_offsets \[4, 0\] end before they begin/,
    );
    await expectError(
      handBuilt(`{"__metadata__":{"step":3},${f32("bert.a", [1], 0, 4)}}`, eight(1)),
      /"__metadata__" entry "step" is not a string/,
    );
    assert.match(
      await messageOf(() => readSafetensors(`${dir}/none.safetensors`)),
      /^Cannot read safetensors file ".*none\.safetensors": /,
    );
  });
});

Deno.test("writeSafetensors() refuses a shape that does not match the data and leaves no file", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/model.safetensors`;
    const write = (name: string, shape: number[], n: number) =>
      writeSafetensors(path, new Map([[name, { shape, data: new Float32Array(n) }]]));
    assert.equal(
      await messageOf(() => write("bert.w", [2, 3], 5)),
      `Cannot write safetensors file "${path}": tensor "bert.w" has 5 values, its shape [2,3] needs 6`,
    );
    assert.match(
      await messageOf(() => write("bert.w", [2.5], 2)),
      /tensor "bert\.w" has shape \[2\.5\], expected non-negative integers/,
    );
    assert.match(
      await messageOf(() => write("__metadata__", [1], 1)),
      /"__metadata__" is not a valid tensor name/,
    );
    assert.match(
      await messageOf(() => writeSafetensors(path, new Map(), { step: 3 as unknown as string })),
      /metadata "step" must be a string/,
    );
    assert.deepEqual([...Deno.readDirSync(dir)], []);
    await writeSafetensors(path, new Map());
    assert.equal((await readSafetensors(path)).size, 0);
  });
});

Deno.test("writeOptimizerState() then readOptimizerState() restores step, moments and meta exactly", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/optimizer.safetensors`;
    const m = finiteBits(1000, 11);
    const v = finiteBits(1000, 12, true);
    const meta = { config: { lr: 1e-4, preset: "tiny" }, dataPosition: { shard: 2, sequence: 31 } };
    await writeOptimizerState(path, { step: 12345, m, v, meta });
    const state = await readOptimizerState(path, { parameters: 1000 });
    assert.equal(state.step, 12345);
    assert.deepEqual(bitsOf(state.m), bitsOf(m));
    assert.deepEqual(bitsOf(state.v), bitsOf(v));
    assert.deepEqual(state.meta, meta);
    const { metadata } = await readSafetensorsFile(path);
    assert.equal(metadata.format, OPTIMIZER_STATE_FORMAT);
    assert.equal(metadata.step, "12345");
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["optimizer.safetensors"]);
  });
});

Deno.test("readOptimizerState() refuses moments no AdamW step makes: NaN, infinite, negative second moments", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/optimizer.safetensors`;
    const cases: [string, number, RegExp][] = [
      ["m", NaN, /tensor "adam\.m" holds NaN at index 2; moments must be finite/],
      ["m", -Infinity, /tensor "adam\.m" holds -Infinity at index 2/],
      ["v", -0.5, /tensor "adam\.v" holds -0.5 at index 2; second moments must be finite and >= 0/],
      ["v", Infinity, /tensor "adam\.v" holds Infinity at index 2/],
    ];
    for (const [which, value, message] of cases) {
      const m = new Float32Array(4), v = new Float32Array(4);
      (which === "m" ? m : v)[2] = value;
      await writeOptimizerState(path, { step: 3, m, v, meta: {} });
      const got = await messageOf(() => readOptimizerState(path));
      assert.match(got, /^Invalid optimizer state ".*optimizer\.safetensors": /);
      assert.match(got, message);
    }
  });
});

Deno.test("readOptimizerState() refuses a state that does not fit, naming the file", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/optimizer.safetensors`;
    const state = { step: 3, m: new Float32Array(4), v: new Float32Array(4), meta: {} };
    await writeOptimizerState(path, state);
    assert.equal(
      await messageOf(() => readOptimizerState(path, { parameters: 5 })),
      `Invalid optimizer state "${path}": tensor "adam.m" has 4 values, the model has 5 parameters`,
    );
    await writeSafetensors(path, new Map([["adam.m", { shape: [1], data: new Float32Array(1) }]]), {
      format: "pt",
    });
    assert.match(
      await messageOf(() => readOptimizerState(path)),
      /"format" is "pt", expected "bert-webgpu\/adamw"/,
    );
    const tag = { format: OPTIMIZER_STATE_FORMAT, version: "1", step: "7", meta: "{}" };
    await writeSafetensors(path, new Map([["adam.m", { shape: [1], data: new Float32Array(1) }]]), tag);
    assert.match(await messageOf(() => readOptimizerState(path)), /tensor "adam\.v" is missing/);
    await writeSafetensors(path, new Map(), { ...tag, step: "-1" });
    assert.match(
      await messageOf(() => readOptimizerState(path)),
      /metadata "step" is "-1", not a step number/,
    );
    await writeSafetensors(path, new Map(), { ...tag, meta: "[1" });
    assert.match(await messageOf(() => readOptimizerState(path)), /metadata "meta" is not JSON/);

    assert.match(
      await messageOf(() => writeOptimizerState(path, { ...state, v: new Float32Array(3) })),
      /^Cannot write optimizer state ".*": m has 4 values but v has 3/,
    );
    assert.match(
      await messageOf(() => writeOptimizerState(path, { ...state, step: -1 })),
      /step must be a non-negative integer/,
    );
  });
});

Deno.test("writeSafetensors() with F16 stores half floats rounded to nearest even, and refuses overflow", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/half.safetensors`;
    const random = seededRandom(3);
    const values = Float32Array.from({ length: 37 }, () => (random() - 0.5) * 8);
    values[0] = 1 + 2 ** -11; // halfway between two halves: rounds to even (1)
    values[1] = 1 + 3 * 2 ** -11; // halfway: rounds to even (1 + 2^-9)
    values[2] = 65504;
    await writeSafetensors(path, new Map([["w", { shape: [37], data: values }]]), { format: "pt" }, "F16");
    const header = await readSafetensorsHeader(path);
    assert.deepEqual(header.entries.map((e) => [e.dtype, e.end - e.begin]), [["F16", 74]]);
    const back = (await readSafetensors(path)).get("w")!.data;
    assert.equal(back[0], 1);
    assert.equal(back[1], 1 + 2 ** -9);
    assert.equal(back[2], 65504);
    for (let i = 3; i < 37; i++) {
      // F16 keeps 11 significant bits: relative error at most 2^-11.
      assert.ok(
        Math.abs(back[i]! - values[i]!) <= Math.abs(values[i]!) * 2 ** -11,
        `${i}: ${values[i]} -> ${back[i]}`,
      );
    }
    const big = `${dir}/big.safetensors`;
    await assert.rejects(
      writeSafetensors(
        big,
        new Map([["w", { shape: [2], data: Float32Array.from([1, 1e6]) }]]),
        undefined,
        "F16",
      ),
      /tensor "w" holds 1000000 at 1, beyond F16's range/,
    );
    await assert.rejects(Deno.stat(big));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
