/**
 * A small ZIP writer (PKWARE APPNOTE 6.3, no ZIP64): each entry deflated with the built-in
 * `CompressionStream("deflate-raw")`, or stored when deflating does not make it smaller, with its
 * CRC-32; a central directory and end record follow. Enough for `submission.zip` with no dependency.
 *
 * @example
 * ```ts
 * import { createZip } from "./zip.ts";
 *
 * const bytes = await createZip([{ name: "RTE.tsv", data: new TextEncoder().encode("index\tprediction\n") }]);
 * await Deno.writeFile("submission.zip", bytes);
 * ```
 * @module
 */

/** One file of an archive. */
export interface ZipEntry {
  /** Its path inside the archive, `/`-separated, no leading `/`. */
  readonly name: string;
  /** Its contents. */
  readonly data: Uint8Array;
}

/** Options of {@linkcode createZip}. */
export interface ZipOptions {
  /**
   * Modification time written for every entry (DOS time, 2-second resolution, read as UTC).
   * Defaults to 1980-01-01 00:00, so the same entries always give the same bytes.
   */
  readonly modified?: Date;
}

const LOCAL_HEADER = 0x04034b50;
const CENTRAL_HEADER = 0x02014b50;
const END_OF_CENTRAL_DIRECTORY = 0x06054b50;
/** 2.0: the version that introduced deflate. */
const VERSION = 20;
/** "Made by" Unix (3), so that unzip applies the permission bits below. */
const MADE_BY = (3 << 8) | VERSION;
/** A regular file, rw-r--r--. */
const UNIX_FILE_ATTRIBUTES = (0o100644 << 16) >>> 0;
const FLAG_UTF8 = 1 << 11;
const STORED = 0;
const DEFLATED = 8;

/**
 * Builds a ZIP archive holding `entries` in order.
 *
 * @throws {RangeError} for an empty, absolute or duplicate name, or an archive beyond the
 * 65,535-entry / 4 GiB limits of a ZIP without ZIP64.
 */
export async function createZip(entries: readonly ZipEntry[], options: ZipOptions = {}): Promise<Uint8Array> {
  checkEntries(entries);
  const { time, date } = dosDateTime(options.modified ?? new Date(Date.UTC(1980, 0, 1)));
  const encoder = new TextEncoder();
  const locals: Uint8Array[] = [];
  const centrals: Uint8Array[] = [];
  let offset = 0;
  for (const entry of entries) {
    const name = encoder.encode(entry.name);
    const deflated = await deflateRaw(entry.data);
    const method = deflated.length < entry.data.length ? DEFLATED : STORED;
    const body = method === DEFLATED ? deflated : entry.data;
    const meta: EntryMeta = {
      name,
      flags: /^[\x20-\x7e]*$/.test(entry.name) ? 0 : FLAG_UTF8,
      method,
      time,
      date,
      crc: crc32(entry.data),
      compressedSize: body.length,
      size: entry.data.length,
    };
    const header = localHeader(meta);
    locals.push(header, body);
    centrals.push(centralHeader(meta, offset));
    offset += header.length + body.length;
  }
  const centralSize = centrals.reduce((s, c) => s + c.length, 0);
  if (offset + centralSize > 0xffffffff) {
    throw new RangeError(
      `Cannot create ZIP: ${offset + centralSize} bytes, expected at most 4 GiB (no ZIP64)`,
    );
  }
  const end = endRecord(entries.length, centralSize, offset);
  return concat([...locals, ...centrals, end]);
}

/**
 * CRC-32 (ISO 3309, the polynomial of ZIP and gzip), optionally continuing from an earlier `crc`.
 *
 * @example
 * ```ts
 * import { crc32 } from "./zip.ts";
 * console.log(crc32(new TextEncoder().encode("123456789")).toString(16)); // "cbf43926"
 * ```
 */
export function crc32(data: Uint8Array, crc = 0): number {
  let c = ~crc >>> 0;
  for (let i = 0; i < data.length; i++) c = CRC_TABLE[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

interface EntryMeta {
  name: Uint8Array;
  flags: number;
  method: number;
  time: number;
  date: number;
  crc: number;
  compressedSize: number;
  size: number;
}

function localHeader(m: EntryMeta): Uint8Array {
  const out = new Uint8Array(30 + m.name.length);
  const v = new DataView(out.buffer);
  v.setUint32(0, LOCAL_HEADER, true);
  v.setUint16(4, VERSION, true);
  v.setUint16(6, m.flags, true);
  v.setUint16(8, m.method, true);
  v.setUint16(10, m.time, true);
  v.setUint16(12, m.date, true);
  v.setUint32(14, m.crc, true);
  v.setUint32(18, m.compressedSize, true);
  v.setUint32(22, m.size, true);
  v.setUint16(26, m.name.length, true);
  v.setUint16(28, 0, true); // extra field length
  out.set(m.name, 30);
  return out;
}

function centralHeader(m: EntryMeta, localOffset: number): Uint8Array {
  const out = new Uint8Array(46 + m.name.length);
  const v = new DataView(out.buffer);
  v.setUint32(0, CENTRAL_HEADER, true);
  v.setUint16(4, MADE_BY, true);
  v.setUint16(6, VERSION, true);
  v.setUint16(8, m.flags, true);
  v.setUint16(10, m.method, true);
  v.setUint16(12, m.time, true);
  v.setUint16(14, m.date, true);
  v.setUint32(16, m.crc, true);
  v.setUint32(20, m.compressedSize, true);
  v.setUint32(24, m.size, true);
  v.setUint16(28, m.name.length, true);
  // 30: extra length, 32: comment length, 34: disk number, 36: internal attributes, all 0.
  v.setUint32(38, UNIX_FILE_ATTRIBUTES, true);
  v.setUint32(42, localOffset, true);
  out.set(m.name, 46);
  return out;
}

function endRecord(count: number, centralSize: number, centralOffset: number): Uint8Array {
  const out = new Uint8Array(22);
  const v = new DataView(out.buffer);
  v.setUint32(0, END_OF_CENTRAL_DIRECTORY, true);
  // 4: this disk, 6: disk with the central directory, both 0.
  v.setUint16(8, count, true);
  v.setUint16(10, count, true);
  v.setUint32(12, centralSize, true);
  v.setUint32(16, centralOffset, true);
  v.setUint16(20, 0, true); // comment length
  return out;
}

/** MS-DOS date and time fields, from the UTC components of `when` (clamped to 1980..2107). */
function dosDateTime(when: Date): { time: number; date: number } {
  const year = Math.min(2107, Math.max(1980, when.getUTCFullYear()));
  if (year !== when.getUTCFullYear()) return { time: 0, date: ((year - 1980) << 9) | (1 << 5) | 1 };
  return {
    time: (when.getUTCHours() << 11) | (when.getUTCMinutes() << 5) | (when.getUTCSeconds() >> 1),
    date: ((year - 1980) << 9) | ((when.getUTCMonth() + 1) << 5) | when.getUTCDate(),
  };
}

async function deflateRaw(data: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([data as Uint8Array<ArrayBuffer>]).stream().pipeThrough(
    new CompressionStream("deflate-raw"),
  );
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

function checkEntries(entries: readonly ZipEntry[]): void {
  if (entries.length > 0xffff) {
    throw new RangeError(`Cannot create ZIP: ${entries.length} entries, expected at most 65535 (no ZIP64)`);
  }
  const seen = new Set<string>();
  for (const e of entries) {
    if (e.name === "" || e.name.startsWith("/") || e.name.includes("\\")) {
      throw new RangeError(`Cannot create ZIP: entry name "${e.name}" must be a relative /-separated path`);
    }
    if (seen.has(e.name)) throw new RangeError(`Cannot create ZIP: duplicate entry name "${e.name}"`);
    if (e.data.length > 0xffffffff) {
      throw new RangeError(`Cannot create ZIP: entry "${e.name}" is over 4 GiB (no ZIP64)`);
    }
    seen.add(e.name);
  }
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
