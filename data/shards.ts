/**
 * Binary token shards: packed sequences written once by `deno task shards` and read by training,
 * all at once, in sequential batches, or by random access.
 *
 * Layout (little-endian): a 64-byte header, then `sequences x seqLen` ids, uint16 when the vocab has
 * at most 65,536 ids, else uint32, so the ids start 64-byte aligned.
 *
 * | offset | type | field |
 * | --- | --- | --- |
 * | 0 | 8 bytes | magic `BERTSHRD` |
 * | 8 | u32 | format version ({@linkcode SHARD_VERSION}) |
 * | 12 | u32 | header size (64) |
 * | 16 | u64 | vocab hash: FNV-1a 64 of the vocab file's bytes |
 * | 24 | u32 | vocab size |
 * | 28 | u32 | sequence length |
 * | 32 | u64 | number of sequences |
 * | 40 | u8 | id width in bytes (2 or 4) |
 * | 41 | u8 | split: 0 all, 1 train, 2 validation |
 * | 42 | u16 | reserved (0) |
 * | 44 | u32 x 3 | [CLS], [SEP], [PAD] ids |
 * | 56 | f32 | validation fraction of the split |
 * | 60 | u32 | seed of the split |
 *
 * A shard from another format version, another vocab or another sequence length, and a truncated
 * shard, are refused with one line that says which command re-makes it.
 *
 * @example
 * ```ts
 * import { readShard, ShardWriter, vocabHash } from "./data/shards.ts";
 *
 * const options = {
 *   vocabHash: vocabHash(new TextEncoder().encode("[PAD]\n[CLS]\n[SEP]\nhello\n")),
 *   vocabSize: 4,
 *   seqLen: 4,
 *   special: { cls: 1, sep: 2, pad: 0 },
 * };
 * const writer = await ShardWriter.create("out/tiny.shard", options);
 * await writer.write([1, 3, 2, 0]);
 * await writer.close();
 * const { header, ids } = await readShard("out/tiny.shard", { vocabHash: options.vocabHash });
 * // header.sequences === 1, ids is Uint16Array [1, 3, 2, 0]
 * ```
 * @module
 */
import type { SpecialIds } from "./packing.ts";
import { temporaryPath, writeAll } from "../util/atomic_write.ts";

/** The format version this code writes and reads. */
export const SHARD_VERSION = 1;
/** Bytes before the first id. */
export const SHARD_HEADER_BYTES = 64;
const MAGIC = "BERTSHRD";

/** Which part of the corpus a shard holds. */
export type ShardSplit = "all" | "train" | "validation";
const SPLITS: ShardSplit[] = ["all", "train", "validation"];

/** What a shard's header says. */
export interface ShardHeader {
  /** Format version the shard was written with ({@linkcode SHARD_VERSION} once checked). */
  version: number;
  /** FNV-1a 64 of the vocab file the ids index ({@linkcode vocabHash}). */
  vocabHash: bigint;
  /** Number of ids in that vocab: every stored id is below it. */
  vocabSize: number;
  /** Ids per sequence, [CLS], [SEP] and padding included. */
  seqLen: number;
  /** Number of sequences stored. */
  sequences: number;
  /** Bytes per stored id: 2 (uint16) up to 65,536 vocab ids, else 4 (uint32). */
  idBytes: 2 | 4;
  /** Which side of the train/validation split the sequences come from. */
  split: ShardSplit;
  /** Ids of [CLS], [SEP] and [PAD] the sequences were packed with. */
  special: SpecialIds;
  /** Validation fraction used for the split (stored as float32). */
  validation: number;
  /** Seed of the split's document hash (uint32). */
  seed: number;
}

/** Options of {@linkcode ShardWriter.create}. */
export interface ShardWriterOptions {
  /** FNV-1a 64 of the vocab file ({@linkcode vocabHash}), checked by readers. */
  vocabHash: bigint;
  /** Number of ids in the vocab: sets the id width, and every id written must be below it. */
  vocabSize: number;
  /** Ids per sequence, at least 3. */
  seqLen: number;
  /** Ids of [CLS], [SEP] and [PAD], each inside the vocab. */
  special: SpecialIds;
  /** Which side of the split the shard holds; default `"all"`. */
  split?: ShardSplit;
  /** Validation fraction of the split, recorded in the header; default 0. */
  validation?: number;
  /** Seed of the split, recorded in the header; default 0. */
  seed?: number;
}

/** What a reader requires of a shard; anything else is refused. */
export interface ShardExpectation {
  /** Required vocab hash ({@linkcode hashVocabFile} of the vocab in use); unchecked when absent. */
  vocabHash?: bigint;
  /** Required sequence length; unchecked when absent. */
  seqLen?: number;
  /** The vocab file, only for the message that says how to re-make the shard. */
  vocabPath?: string;
}

/** Token ids of whole sequences, `seqLen` per sequence. */
export type ShardIds = Uint16Array | Uint32Array;

/** Id width for a vocab: 2 bytes up to 65,536 ids, else 4. */
export function idBytesFor(vocabSize: number): 2 | 4 {
  return vocabSize <= 65536 ? 2 : 4;
}

/** FNV-1a 64 of some bytes (the vocab file), computed on 32-bit halves to avoid BigInt per byte. */
export function vocabHash(bytes: Uint8Array): bigint {
  let hi = 0xcbf29ce4;
  let lo = 0x84222325;
  for (let i = 0; i < bytes.length; i++) {
    lo = (lo ^ bytes[i]!) >>> 0;
    // h * (2^40 + 0x1b3) mod 2^64: each partial product stays below 2^53, so doubles are exact.
    const low = lo * 0x1b3;
    const carry = Math.floor(low / 4294967296);
    hi = (hi * 0x1b3 + carry + ((lo << 8) >>> 0)) >>> 0;
    lo = low >>> 0;
  }
  return (BigInt(hi) << 32n) | BigInt(lo);
}

/** Reads a vocab file and returns {@linkcode vocabHash} of its bytes. */
export async function hashVocabFile(path: string): Promise<bigint> {
  try {
    return vocabHash(await Deno.readFile(path));
  } catch (error) {
    throw new Error(`Cannot read vocab "${path}": ${(error as Error).message}`);
  }
}

/** The command that re-makes a shard, quoted in every refusal. */
export function rerunCommand(path: string, expect: ShardExpectation = {}): string {
  const vocab = expect.vocabPath ? ` --vocab ${expect.vocabPath}` : "";
  const seqLen = expect.seqLen !== undefined && expect.seqLen !== 128 ? ` --seq-len ${expect.seqLen}` : "";
  return `deno task shards --corpus CORPUS${vocab}${seqLen} --out ${path}`;
}

/**
 * Whether `path` is a token shard (starts with the shard magic): the one check that tells a shard
 * from a text corpus. False for a directory or a missing path, which corpus readers then report.
 *
 * @example
 * ```ts
 * import { isShardFile } from "./shards.ts";
 * await isShardFile("out/wiki.shard"); // true for a file made by `deno task shards`
 * ```
 */
export async function isShardFile(path: string): Promise<boolean> {
  let file: Deno.FsFile;
  try {
    if (!(await Deno.stat(path)).isFile) return false;
    file = await Deno.open(path);
  } catch {
    return false;
  }
  try {
    const head = new Uint8Array(MAGIC.length);
    return await readUpTo(file, head) === head.length && new TextDecoder().decode(head) === MAGIC;
  } finally {
    file.close();
  }
}

/**
 * Writes a shard: ids go to a temporary file next to `path` (`<path>.<pid>.<n>.tmp`), which
 * {@linkcode ShardWriter.close} renames to `path`, so a crash never leaves a half shard under the
 * real name.
 */
export class ShardWriter {
  readonly #path: string;
  readonly #tmp: string;
  readonly #file: Deno.FsFile;
  readonly #header: ShardHeader;
  readonly #chunk: ShardIds;
  #filled = 0;
  #sequences = 0;
  #done = false;

  private constructor(path: string, tmp: string, file: Deno.FsFile, header: ShardHeader) {
    this.#path = path;
    this.#tmp = tmp;
    this.#file = file;
    this.#header = header;
    // About 1 MiB per write, whatever the sequence length.
    const perChunk = Math.max(1, Math.floor((1 << 20) / (header.seqLen * header.idBytes)));
    const n = perChunk * header.seqLen;
    this.#chunk = header.idBytes === 2 ? new Uint16Array(n) : new Uint32Array(n);
  }

  /** Opens the temporary file and reserves the header; throws a RangeError for bad options. */
  static async create(path: string, options: ShardWriterOptions): Promise<ShardWriter> {
    const { vocabSize, seqLen, special } = options;
    if (!Number.isInteger(seqLen) || seqLen < 3) {
      throw new RangeError(`Cannot create shard "${path}": sequence length must be an integer >= 3`);
    }
    if (!Number.isInteger(vocabSize) || vocabSize < 1 || vocabSize > 0xffffffff) {
      throw new RangeError(`Cannot create shard "${path}": vocab size must be a positive integer`);
    }
    for (const [name, id] of Object.entries(special)) {
      if (!(Number.isInteger(id) && id >= 0 && id < vocabSize)) {
        throw new RangeError(`Cannot create shard "${path}": ${name} id ${id} is outside the vocab`);
      }
    }
    const header: ShardHeader = {
      version: SHARD_VERSION,
      vocabHash: options.vocabHash,
      vocabSize,
      seqLen,
      sequences: 0,
      idBytes: idBytesFor(vocabSize),
      split: options.split ?? "all",
      special: { ...special },
      validation: Math.fround(options.validation ?? 0),
      seed: options.seed ?? 0,
    };
    const tmp = temporaryPath(path);
    let file: Deno.FsFile;
    try {
      file = await Deno.open(tmp, { write: true, create: true, truncate: true });
    } catch (error) {
      throw new Error(`Cannot create shard "${path}": ${(error as Error).message}`);
    }
    const writer = new ShardWriter(path, tmp, file, header);
    await writeAll(file, encodeHeader(header));
    return writer;
  }

  /** Sequences written so far. */
  get sequences(): number {
    return this.#sequences;
  }

  /** Appends one sequence of exactly `seqLen` ids, each inside the vocab. */
  async write(sequence: ArrayLike<number>): Promise<void> {
    const { seqLen, vocabSize } = this.#header;
    if (sequence.length !== seqLen) {
      throw new RangeError(
        `Cannot write to shard "${this.#path}": sequence has ${sequence.length} ids, expected ${seqLen}`,
      );
    }
    const at = this.#filled;
    for (let i = 0; i < seqLen; i++) {
      const id = sequence[i]!;
      // One comparison catches negatives, NaN and ids past the vocab alike.
      if (!(id >= 0 && id < vocabSize)) {
        throw new RangeError(
          `Cannot write to shard "${this.#path}": id ${id} is outside the vocab of ${vocabSize}`,
        );
      }
      this.#chunk[at + i] = id;
    }
    this.#filled += seqLen;
    this.#sequences++;
    if (this.#filled === this.#chunk.length) await this.#flush();
  }

  /** Writes the remaining ids and the final header, then renames the file to its real name. */
  async close(): Promise<ShardHeader> {
    if (this.#done) throw new Error(`Cannot close shard "${this.#path}": already closed`);
    try {
      await this.#flush();
      this.#header.sequences = this.#sequences;
      await this.#file.seek(0, Deno.SeekMode.Start);
      await writeAll(this.#file, encodeHeader(this.#header));
      this.#file.close();
      this.#done = true;
      await Deno.rename(this.#tmp, this.#path);
    } catch (error) {
      await this.abort();
      throw new Error(`Cannot write shard "${this.#path}": ${(error as Error).message}`);
    }
    return { ...this.#header, special: { ...this.#header.special } };
  }

  /** Gives up: closes and deletes the temporary file; `path` is left as it was. */
  async abort(): Promise<void> {
    if (!this.#done) {
      this.#done = true;
      this.#file.close();
    }
    await Deno.remove(this.#tmp).catch(() => {});
  }

  async #flush(): Promise<void> {
    if (this.#filled === 0) return;
    const c = this.#chunk;
    await writeAll(this.#file, new Uint8Array(c.buffer, c.byteOffset, this.#filled * c.BYTES_PER_ELEMENT));
    this.#filled = 0;
  }
}

/** Reads and checks a shard's header only (and the file's size against it). */
export async function readShardHeader(path: string, expect: ShardExpectation = {}): Promise<ShardHeader> {
  const file = await openShard(path);
  try {
    return await checkedHeader(file, path, expect);
  } finally {
    file.close();
  }
}

/** Reads a whole shard into memory after checking its header. */
export async function readShard(
  path: string,
  expect: ShardExpectation = {},
): Promise<{ header: ShardHeader; ids: ShardIds }> {
  const reader = await ShardReader.open(path, expect);
  try {
    return { header: reader.header, ids: await reader.read(0, reader.header.sequences) };
  } finally {
    reader.close();
  }
}

/**
 * An open shard for training: random access to any run of sequences, or a stream of batches.
 * Reads are queued, so concurrent calls never interleave their seeks.
 */
export class ShardReader {
  /** The checked header. */
  readonly header: ShardHeader;
  readonly #file: Deno.FsFile;
  readonly #path: string;
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(file: Deno.FsFile, path: string, header: ShardHeader) {
    this.#file = file;
    this.#path = path;
    this.header = header;
  }

  /** Opens a shard and checks its header against `expect`; refusals are one line (see module doc). */
  static async open(path: string, expect: ShardExpectation = {}): Promise<ShardReader> {
    const file = await openShard(path);
    try {
      return new ShardReader(file, path, await checkedHeader(file, path, expect));
    } catch (error) {
      file.close();
      throw error;
    }
  }

  /** Reads `count` sequences from sequence `first`: `count x seqLen` ids. */
  read(first: number, count: number): Promise<ShardIds> {
    const { sequences, seqLen, idBytes } = this.header;
    if (!(Number.isInteger(first) && Number.isInteger(count) && first >= 0 && count >= 0)) {
      throw new RangeError(`Cannot read shard "${this.#path}": bad range ${first}+${count}`);
    }
    if (first + count > sequences) {
      throw new RangeError(
        `Cannot read shard "${this.#path}": sequences ${first}..${first + count} past its ${sequences}`,
      );
    }
    const task = this.#queue.then(async () => {
      const ids = idBytes === 2 ? new Uint16Array(count * seqLen) : new Uint32Array(count * seqLen);
      await this.#file.seek(SHARD_HEADER_BYTES + first * seqLen * idBytes, Deno.SeekMode.Start);
      await readExactly(this.#file, new Uint8Array(ids.buffer), this.#path);
      return ids;
    });
    this.#queue = task.catch(() => {});
    return task;
  }

  /** Streams the shard in order, `batch` sequences at a time (the last batch may be shorter). */
  async *stream(batch = 1024): AsyncGenerator<ShardIds> {
    for (let first = 0; first < this.header.sequences; first += batch) {
      yield await this.read(first, Math.min(batch, this.header.sequences - first));
    }
  }

  /** Closes the file. */
  close(): void {
    this.#file.close();
  }
}

function encodeHeader(h: ShardHeader): Uint8Array {
  const bytes = new Uint8Array(SHARD_HEADER_BYTES);
  const view = new DataView(bytes.buffer);
  bytes.set(new TextEncoder().encode(MAGIC), 0);
  view.setUint32(8, h.version, true);
  view.setUint32(12, SHARD_HEADER_BYTES, true);
  view.setBigUint64(16, h.vocabHash, true);
  view.setUint32(24, h.vocabSize, true);
  view.setUint32(28, h.seqLen, true);
  view.setBigUint64(32, BigInt(h.sequences), true);
  view.setUint8(40, h.idBytes);
  view.setUint8(41, SPLITS.indexOf(h.split));
  view.setUint32(44, h.special.cls, true);
  view.setUint32(48, h.special.sep, true);
  view.setUint32(52, h.special.pad, true);
  view.setFloat32(56, h.validation, true);
  view.setUint32(60, h.seed >>> 0, true);
  return bytes;
}

async function checkedHeader(
  file: Deno.FsFile,
  path: string,
  expect: ShardExpectation,
): Promise<ShardHeader> {
  const size = (await file.stat()).size;
  const fail = (why: string) =>
    new Error(`Cannot read shard "${path}": ${why}; re-run \`${rerunCommand(path, expect)}\``);
  const bytes = new Uint8Array(SHARD_HEADER_BYTES);
  const got = await readUpTo(file, bytes);
  if (got < MAGIC.length || new TextDecoder().decode(bytes.subarray(0, MAGIC.length)) !== MAGIC) {
    throw fail(`not a token shard (no "${MAGIC}" magic)`);
  }
  const view = new DataView(bytes.buffer);
  const version = got >= 12 ? view.getUint32(8, true) : -1;
  if (got >= 12 && version !== SHARD_VERSION) {
    throw fail(`written with shard format version ${version}, this program reads version ${SHARD_VERSION}`);
  }
  if (got < SHARD_HEADER_BYTES) {
    throw fail(`truncated: ${size} bytes, shorter than the ${SHARD_HEADER_BYTES}-byte header`);
  }
  const split = SPLITS[view.getUint8(41)];
  const idBytes = view.getUint8(40);
  const header: ShardHeader = {
    version,
    vocabHash: view.getBigUint64(16, true),
    vocabSize: view.getUint32(24, true),
    seqLen: view.getUint32(28, true),
    sequences: Number(view.getBigUint64(32, true)),
    idBytes: idBytes as 2 | 4,
    split: split ?? "all",
    special: { cls: view.getUint32(44, true), sep: view.getUint32(48, true), pad: view.getUint32(52, true) },
    validation: view.getFloat32(56, true),
    seed: view.getUint32(60, true),
  };
  if (
    view.getUint32(12, true) !== SHARD_HEADER_BYTES || split === undefined || header.seqLen < 3 ||
    idBytes !== idBytesFor(header.vocabSize)
  ) {
    throw fail("corrupt header");
  }
  const expected = SHARD_HEADER_BYTES + header.sequences * header.seqLen * header.idBytes;
  if (size < expected) {
    throw fail(
      `truncated: ${size} bytes, expected ${expected} for ${header.sequences} sequences of ${header.seqLen} ids`,
    );
  }
  if (size > expected) {
    throw fail(
      `${size - expected} bytes past the end of its ${header.sequences} sequences of ${header.seqLen} ids`,
    );
  }
  if (expect.vocabHash !== undefined && header.vocabHash !== expect.vocabHash) {
    const vocab = expect.vocabPath ? ` of ${expect.vocabPath}` : "";
    throw fail(
      `made with another vocab (hash ${hex(header.vocabHash)}, expected ${hex(expect.vocabHash)}${vocab})`,
    );
  }
  if (expect.seqLen !== undefined && header.seqLen !== expect.seqLen) {
    throw fail(`made with sequence length ${header.seqLen}, expected ${expect.seqLen}`);
  }
  return header;
}

function hex(h: bigint): string {
  return h.toString(16).padStart(16, "0");
}

async function openShard(path: string): Promise<Deno.FsFile> {
  try {
    return await Deno.open(path);
  } catch (error) {
    const why = error instanceof Deno.errors.NotFound ? "no such file" : (error as Error).message;
    throw new Error(`Cannot read shard "${path}": ${why}; make it with \`${rerunCommand(path)}\``);
  }
}

async function readUpTo(file: Deno.FsFile, into: Uint8Array): Promise<number> {
  let at = 0;
  while (at < into.length) {
    const n = await file.read(into.subarray(at));
    if (n === null) break;
    at += n;
  }
  return at;
}

async function readExactly(file: Deno.FsFile, into: Uint8Array, path: string): Promise<void> {
  if ((await readUpTo(file, into)) !== into.length) {
    throw new Error(
      `Cannot read shard "${path}": file shrank while reading; re-run \`${rerunCommand(path)}\``,
    );
  }
}
