/**
 * The safetensors format (https://github.com/huggingface/safetensors), read and written exactly:
 *
 * | bytes | content |
 * | --- | --- |
 * | 8 | N, the header's length, unsigned little-endian |
 * | N | JSON header: `{"__metadata__": {string: string}, NAME: {"dtype", "shape", "data_offsets": [begin, end]}, ...}` |
 * | rest | the data buffer; offsets are relative to its start |
 *
 * Writes follow the reference implementation byte for byte: tensors sorted by name, packed
 * contiguously in that order, compact JSON with "__metadata__" first, and the header padded with
 * spaces to a multiple of 8 bytes. Only F32 is written; reads also take F16 and BF16 (released
 * checkpoints use them) and widen them to Float32Array. Reads check what the reference checks (a
 * sane header length, valid JSON, each name given once, shapes and offsets written as integers,
 * known dtypes, byte lengths that match the shapes, offsets that tile the data buffer exactly) and
 * every error names the file and the tensor.
 *
 * A read allocates each tensor once and reads its bytes straight into it, so loading a 440 MB
 * F32 checkpoint takes about 440 MB.
 *
 * @example
 * ```ts
 * import { readSafetensors, writeSafetensors } from "./core/checkpoint/safetensors.ts";
 *
 * const tensors = new Map([["w", { shape: [2, 3], data: new Float32Array([1, 2, 3, 4, 5, 6]) }]]);
 * await writeSafetensors("out/model.safetensors", tensors, { format: "pt" });
 * const back = await readSafetensors("out/model.safetensors");
 * // back.get("w") is { shape: [2, 3], data: Float32Array [1, 2, 3, 4, 5, 6] }
 * ```
 * @module
 */
import { visit } from "jsonc-parser";
import { writeAll, writeAtomic } from "../../util/atomic_write.ts";

/** One tensor in memory: row-major f32 values and their shape ([] for a scalar). */
export interface SafetensorsTensor {
  /** Dimensions, outermost first; [] for a scalar. */
  shape: number[];
  /** product(shape) values. */
  data: Float32Array;
}

/** One tensor as the header describes it. Offsets are relative to the start of the data buffer. */
export interface SafetensorsEntry {
  /** The tensor's name. */
  name: string;
  /** The dtype on disk, e.g. "F32". */
  dtype: string;
  /** Dimensions, outermost first. */
  shape: number[];
  /** First byte in the data buffer. */
  begin: number;
  /** One past the last byte in the data buffer. */
  end: number;
}

/** A file's header, checked. */
export interface SafetensorsHeader {
  /** The "__metadata__" map; empty when the file has none. */
  metadata: Record<string, string>;
  /** The tensors, in the order of their bytes in the file. */
  entries: SafetensorsEntry[];
  /** File offset of the data buffer: 8 + the header's length. */
  dataStart: number;
  /** Bytes in the file. */
  fileSize: number;
}

/** The largest header the reference implementation accepts. */
export const MAX_HEADER_BYTES = 100_000_000;

/** Bytes per element of every dtype the format defines (those read here: F32, F16, BF16). */
const DTYPE_BYTES: Record<string, number> = {
  BOOL: 1,
  U8: 1,
  I8: 1,
  F8_E5M2: 1,
  F8_E4M3: 1,
  I16: 2,
  U16: 2,
  F16: 2,
  BF16: 2,
  I32: 4,
  U32: 4,
  F32: 4,
  F64: 8,
  I64: 8,
  U64: 8,
};
const READABLE = new Set(["F32", "F16", "BF16"]);

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function assertLittleEndian(action: string): void {
  if (!LITTLE_ENDIAN) throw new Error(`${action}: safetensors I/O needs a little-endian host`);
}

// ---------------------------------------------------------------------------------------------
// Writing

/**
 * The exact bytes the reference implementation puts before the data buffer: the 8-byte length and
 * the space-padded JSON header, for tensors already in their on-disk order.
 */
function encodeHeader(
  names: string[],
  tensors: Map<string, SafetensorsTensor>,
  metadata: Record<string, string> | undefined,
  dtype: WritableDtype,
): Uint8Array {
  const parts: string[] = [];
  if (metadata !== undefined) {
    const keys = sortByUtf8(Object.keys(metadata));
    parts.push(
      `"__metadata__":{${keys.map((k) => `${JSON.stringify(k)}:${JSON.stringify(metadata[k])}`).join(",")}}`,
    );
  }
  let offset = 0;
  for (const name of names) {
    const t = tensors.get(name)!;
    const end = offset + t.data.length * DTYPE_BYTES[dtype]!;
    parts.push(
      `${JSON.stringify(name)}:{"dtype":"${dtype}","shape":[${
        t.shape.join(",")
      }],"data_offsets":[${offset},${end}]}`,
    );
    offset = end;
  }
  const json = new TextEncoder().encode(`{${parts.join(",")}}`);
  const n = json.length + (8 - json.length % 8) % 8;
  const out = new Uint8Array(8 + n).fill(0x20, 8);
  new DataView(out.buffer).setBigUint64(0, BigInt(n), true);
  out.set(json, 8);
  return out;
}

/** The dtypes written: F32, or F16 (round to nearest even, as PyTorch's `.half()`) for small files. */
export type WritableDtype = "F32" | "F16";

/**
 * Writes F32 tensors as a safetensors file, byte for byte as the reference implementation does,
 * to a temporary name next to `path` that is renamed to `path` once complete; with `dtype` "F16"
 * the values are stored as half floats. Throws a TypeError/RangeError naming the tensor when a
 * shape does not match its data, or (F16) a finite value does not fit.
 *
 * @example
 * ```ts
 * import { writeSafetensors } from "./core/checkpoint/safetensors.ts";
 *
 * await writeSafetensors(
 *   "out/bias.safetensors",
 *   new Map([["bias", { shape: [3], data: new Float32Array([0.5, -1, 2]) }]]),
 *   { format: "pt" },
 * );
 * ```
 */
export async function writeSafetensors(
  path: string,
  tensors: Map<string, SafetensorsTensor>,
  metadata?: Record<string, string>,
  dtype: WritableDtype = "F32",
): Promise<void> {
  const action = `Cannot write safetensors file "${path}"`;
  assertLittleEndian(action);
  for (const [name, t] of tensors) {
    if (typeof name !== "string" || name === "" || name === "__metadata__") {
      throw new TypeError(`${action}: ${JSON.stringify(name)} is not a valid tensor name`);
    }
    if (!(t.data instanceof Float32Array)) {
      throw new TypeError(`${action}: tensor "${name}" must hold a Float32Array`);
    }
    const count = elementCount(t.shape);
    if (count === undefined) {
      throw new TypeError(
        `${action}: tensor "${name}" has shape ${JSON.stringify(t.shape)}, expected non-negative integers`,
      );
    }
    if (count !== t.data.length) {
      throw new RangeError(
        `${action}: tensor "${name}" has ${t.data.length} values, its shape [${t.shape}] needs ${count}`,
      );
    }
  }
  if (metadata !== undefined) {
    for (const [key, value] of Object.entries(metadata)) {
      if (typeof value !== "string") {
        throw new TypeError(`${action}: metadata "${key}" must be a string, got ${typeof value}`);
      }
    }
  }
  const names = sortByUtf8([...tensors.keys()]);
  const header = encodeHeader(names, tensors, metadata, dtype);
  const bytesOf = (name: string): Uint8Array => {
    const d = tensors.get(name)!.data;
    if (dtype === "F32") return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
    const half = new Float16Array(d);
    for (let i = 0; i < d.length; i++) {
      if (Number.isFinite(d[i]!) && !Number.isFinite(half[i]!)) {
        throw new RangeError(`${action}: tensor "${name}" holds ${d[i]} at ${i}, beyond F16's range`);
      }
    }
    return new Uint8Array(half.buffer);
  };
  const data = names.map(bytesOf);

  // The writer's error names the file: `Cannot write "<path>": <why>`.
  await writeAtomic(path, async (file) => {
    await writeAll(file, header);
    for (const bytes of data) await writeAll(file, bytes);
  });
}

// ---------------------------------------------------------------------------------------------
// Reading

/**
 * Reads and checks a safetensors file's header (and the file's size against it), without reading
 * the data.
 */
export async function readSafetensorsHeader(path: string): Promise<SafetensorsHeader> {
  const file = await openForRead(path);
  try {
    return await readHeader(file, path);
  } finally {
    file.close();
  }
}

/** Options of {@linkcode readSafetensors}. */
export interface ReadSafetensorsOptions {
  /**
   * Tensors not to load: they are checked in the header but not read or converted, so their dtype
   * may be one not read here (e.g. the I64 `position_ids` buffer old HuggingFace checkpoints hold).
   */
  skip?: (name: string) => boolean;
}

/** What {@linkcode readSafetensorsFile} returns. */
export interface SafetensorsFile {
  /** The tensors read, in file order. */
  tensors: Map<string, SafetensorsTensor>;
  /** The "__metadata__" map; empty when the file has none. */
  metadata: Record<string, string>;
}

/**
 * Reads a safetensors file: every tensor (F32, F16 or BF16 on disk) as a Float32Array, in file
 * order, and the "__metadata__" map. Each tensor is allocated once and read straight into.
 */
export async function readSafetensorsFile(
  path: string,
  options: ReadSafetensorsOptions = {},
): Promise<SafetensorsFile> {
  assertLittleEndian(`Cannot read safetensors file "${path}"`);
  const file = await openForRead(path);
  try {
    const header = await readHeader(file, path);
    const tensors = new Map<string, SafetensorsTensor>();
    for (const e of header.entries) {
      if (options.skip?.(e.name)) continue;
      if (!READABLE.has(e.dtype)) {
        throw new RangeError(
          `Cannot read tensor "${e.name}" of "${path}": dtype ${e.dtype} is not supported (F32, F16 and BF16 are)`,
        );
      }
      const count = (e.end - e.begin) / DTYPE_BYTES[e.dtype]!;
      const data = new Float32Array(count);
      await file.seek(header.dataStart + e.begin, Deno.SeekMode.Start);
      if (e.dtype === "F32") {
        await readExactly(file, new Uint8Array(data.buffer), path, e.name);
      } else {
        const raw = new Uint16Array(count);
        await readExactly(file, new Uint8Array(raw.buffer), path, e.name);
        if (e.dtype === "BF16") bf16ToF32(raw, data);
        else f16ToF32(raw, data);
      }
      tensors.set(e.name, { shape: e.shape, data });
    }
    return { tensors, metadata: header.metadata };
  } finally {
    file.close();
  }
}

/**
 * Reads a safetensors file's tensors as Float32Arrays (F16 and BF16 widened). See
 * {@linkcode readSafetensorsFile} for the metadata too.
 *
 * @example
 * ```ts
 * import { readSafetensors } from "./core/checkpoint/safetensors.ts";
 *
 * const tensors = await readSafetensors("data/model.safetensors", {
 *   skip: (name) => name.endsWith(".position_ids"),
 * });
 * for (const [name, { shape }] of tensors) console.log(name, shape);
 * ```
 */
export async function readSafetensors(
  path: string,
  options: ReadSafetensorsOptions = {},
): Promise<Map<string, SafetensorsTensor>> {
  return (await readSafetensorsFile(path, options)).tensors;
}

async function openForRead(path: string): Promise<Deno.FsFile> {
  try {
    return await Deno.open(path, { read: true });
  } catch (error) {
    throw new Error(`Cannot read safetensors file "${path}": ${(error as Error).message}`);
  }
}

async function readHeader(file: Deno.FsFile, path: string): Promise<SafetensorsHeader> {
  const bad = (what: string): never => {
    throw new RangeError(`Invalid safetensors file "${path}": ${what}`);
  };
  const badTensor = (name: string, what: string): never => bad(`tensor "${name}": ${what}`);

  const fileSize = (await file.stat()).size;
  if (fileSize < 8) bad(`the file has ${fileSize} bytes, too few for the 8-byte header length`);
  const lengthBytes = new Uint8Array(8);
  await readExactly(file, lengthBytes, path, undefined);
  const n64 = new DataView(lengthBytes.buffer).getBigUint64(0, true);
  if (n64 > BigInt(MAX_HEADER_BYTES)) {
    bad(`header length ${n64} is above the limit of ${MAX_HEADER_BYTES} bytes (not a safetensors file?)`);
  }
  const n = Number(n64);
  if (n < 2) bad(`header length ${n} is too small for a JSON object`);
  if (8 + n > fileSize) {
    bad(`header length ${n} runs past the end of the file (${fileSize} bytes; truncated?)`);
  }
  const headerBytes = new Uint8Array(n);
  await readExactly(file, headerBytes, path, undefined);
  if (headerBytes[0] !== 0x7b) bad(`the header does not start with "{" (not a safetensors file?)`);
  let text = "";
  let json: unknown;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(headerBytes);
    json = JSON.parse(text);
  } catch (error) {
    bad(`the header is not valid JSON (${(error as Error).message})`);
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    bad(`the header is not a JSON object`);
  }
  checkHeaderTokens(text, bad);

  const dataStart = 8 + n;
  const dataBytes = fileSize - dataStart;
  const metadata: Record<string, string> = {};
  const entries: SafetensorsEntry[] = [];
  for (const [name, info] of Object.entries(json as Record<string, unknown>)) {
    if (name === "__metadata__") {
      if (info === null) continue;
      if (typeof info !== "object" || Array.isArray(info)) bad(`"__metadata__" is not an object`);
      for (const [key, value] of Object.entries(info as Record<string, unknown>)) {
        if (typeof value !== "string") bad(`"__metadata__" entry "${key}" is not a string`);
        metadata[key] = value as string;
      }
      continue;
    }
    if (typeof info !== "object" || info === null || Array.isArray(info)) {
      badTensor(name, "its header entry is not an object");
    }
    const { dtype, shape, data_offsets: offsets } = info as Record<string, unknown>;
    if (typeof dtype !== "string" || !Object.hasOwn(DTYPE_BYTES, dtype)) {
      badTensor(name, `unknown dtype ${JSON.stringify(dtype)}`);
    }
    const count = Array.isArray(shape) ? elementCount(shape) : undefined;
    if (count === undefined) {
      badTensor(name, `shape ${JSON.stringify(shape)} is not a list of non-negative integers`);
    }
    if (
      !Array.isArray(offsets) || offsets.length !== 2 ||
      !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)
    ) {
      badTensor(name, `data_offsets ${JSON.stringify(offsets)} is not a pair of non-negative integers`);
    }
    const [begin, end] = offsets as [number, number];
    if (end < begin) badTensor(name, `data_offsets [${begin}, ${end}] end before they begin`);
    const expected = count! * DTYPE_BYTES[dtype as string]!;
    if (end - begin !== expected) {
      badTensor(
        name,
        `data_offsets [${begin}, ${end}] hold ${
          end - begin
        } bytes, but shape [${shape as number[]}] of ${dtype} needs ${expected}`,
      );
    }
    if (end > dataBytes) {
      badTensor(
        name,
        `data_offsets [${begin}, ${end}] run past the data buffer's ${dataBytes} bytes (truncated file?)`,
      );
    }
    entries.push({ name, dtype: dtype as string, shape: shape as number[], begin, end });
  }

  // The offsets must tile the data buffer exactly, as the reference implementation requires.
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let at = 0;
  let previous: SafetensorsEntry | undefined;
  for (const e of entries) {
    if (e.begin < at) {
      badTensor(
        e.name,
        `its bytes [${e.begin}, ${e.end}) overlap those of tensor "${previous!.name}" [${previous!.begin}, ${
          previous!.end
        })`,
      );
    }
    if (e.begin > at) {
      badTensor(e.name, `${e.begin - at} unused bytes of the data buffer precede it (at ${at})`);
    }
    at = e.end;
    previous = e;
  }
  if (at !== dataBytes) {
    bad(`${dataBytes - at} bytes after the last tensor${previous ? ` ("${previous.name}")` : ""} are unused`);
  }
  return { metadata, entries, dataStart, fileSize };
}

/**
 * What JSON.parse hides and the reference reader (serde) refuses: a name given twice (JSON.parse
 * keeps the last) and a shape or offset written as a float (`4.0` parses as 4). Read from the
 * header's text, since the parsed object no longer shows either.
 */
function checkHeaderTokens(text: string, bad: (what: string) => never): void {
  const names: Set<string>[] = [];
  visit(text, {
    onObjectBegin: () => {
      names.push(new Set());
    },
    onObjectEnd: () => {
      names.pop();
    },
    onObjectProperty: (property, _offset, _length, _line, _column, pathSupplier) => {
      const seen = names.at(-1)!;
      if (seen.has(property)) {
        const path = pathSupplier();
        if (path.length === 0) {
          bad(`${describeKey(property)} is given twice in the header`);
        }
        bad(`${describeKey(String(path[0]))}: field "${property}" is given twice`);
      }
      seen.add(property);
    },
    onLiteralValue: (value, offset, length, _line, _column, pathSupplier) => {
      if (typeof value !== "number") return;
      const raw = text.slice(offset, offset + length);
      if (/^-?(0|[1-9][0-9]*)$/.test(raw) && raw !== "-0") return;
      const [name, field] = pathSupplier();
      if (name === "__metadata__" || (field !== "shape" && field !== "data_offsets")) return;
      bad(
        `${
          describeKey(String(name))
        }: ${field} holds ${raw}, expected an integer written without a fraction or exponent`,
      );
    },
  });
}

function describeKey(key: string): string {
  return key === "__metadata__" ? `"__metadata__"` : `tensor "${key}"`;
}

// ---------------------------------------------------------------------------------------------
// Helpers

/** Product of a shape, or undefined when it is not a list of non-negative safe integers. */
function elementCount(shape: unknown[]): number | undefined {
  if (!Array.isArray(shape)) return undefined;
  let count = 1;
  for (const d of shape) {
    if (!(Number.isSafeInteger(d) && (d as number) >= 0)) return undefined;
    count *= d as number;
  }
  return Number.isSafeInteger(count) ? count : undefined;
}

/** Sorts strings by their UTF-8 bytes, as Rust sorts `String`s. */
function sortByUtf8(names: string[]): string[] {
  const enc = new TextEncoder();
  const keyed = names.map((name) => ({ name, bytes: enc.encode(name) }));
  keyed.sort((a, b) => {
    const n = Math.min(a.bytes.length, b.bytes.length);
    for (let i = 0; i < n; i++) {
      const d = a.bytes[i]! - b.bytes[i]!;
      if (d !== 0) return d;
    }
    return a.bytes.length - b.bytes.length;
  });
  return keyed.map((k) => k.name);
}

async function readExactly(
  file: Deno.FsFile,
  into: Uint8Array,
  path: string,
  tensor: string | undefined,
): Promise<void> {
  let at = 0;
  while (at < into.length) {
    const n = await file.read(into.subarray(at));
    if (n === null) {
      const what = tensor === undefined ? "the header" : `tensor "${tensor}"`;
      throw new RangeError(`Invalid safetensors file "${path}": the file ended while reading ${what}`);
    }
    at += n;
  }
}

function bf16ToF32(raw: Uint16Array, out: Float32Array): void {
  const bits = new Uint32Array(out.buffer, out.byteOffset, out.length);
  for (let i = 0; i < raw.length; i++) bits[i] = raw[i]! << 16;
}

let f16Table: Float32Array | undefined;

/** The f32 value of every f16 bit pattern: exact, with infinities and NaN payloads kept. */
function halfTable(): Float32Array {
  if (f16Table) return f16Table;
  const table = new Float32Array(65536);
  const bits = new Uint32Array(table.buffer);
  for (let h = 0; h < 65536; h++) {
    const sign = (h & 0x8000) << 16;
    const exp = (h >> 10) & 0x1f;
    const frac = h & 0x3ff;
    if (exp === 0) table[h] = (sign ? -1 : 1) * frac * 2 ** -24; // zero and subnormals
    else if (exp === 31) bits[h] = (sign | 0x7f800000 | (frac << 13)) >>> 0;
    else bits[h] = (sign | ((exp - 15 + 127) << 23) | (frac << 13)) >>> 0;
  }
  f16Table = table;
  return table;
}

function f16ToF32(raw: Uint16Array, out: Float32Array): void {
  // Copied as bits, so NaN payloads survive.
  const table = new Uint32Array(halfTable().buffer);
  const bits = new Uint32Array(out.buffer, out.byteOffset, out.length);
  for (let i = 0; i < raw.length; i++) bits[i] = table[raw[i]!]!;
}
