/**
 * Byte sizes for `--budget`: a number and a unit, decimal (`KB`, `MB`, `GB`, `TB`: powers of 1000)
 * or binary (`KiB`, `MiB`, `GiB`, `TiB`: powers of 1024), or plain bytes (`B` or no unit). Units are
 * case-insensitive.
 *
 * @example
 * ```ts
 * import { formatBytes, parseSize } from "./size.ts";
 *
 * parseSize("50MB"); // 50_000_000
 * parseSize("1.5 GiB"); // 1_610_612_736
 * formatBytes(50_000_000); // "50.00 MB"
 * ```
 * @module
 */

const UNITS: Record<string, number> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 2 ** 10,
  mib: 2 ** 20,
  gib: 2 ** 30,
  tib: 2 ** 40,
};

/** `500KB`, `50MB`, `1.5GiB`: what {@linkcode parseSize} reads. */
export const SIZE_PATTERN: RegExp = /^\s*(\d+(\.\d*)?|\.\d+)\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)?\s*$/i;

/** Parses a size such as `50MB`, `1.5GiB` or `500000` into whole bytes (rounded to the nearest). */
export function parseSize(text: string): number {
  const m = /^\s*(\d+(?:\.\d*)?|\.\d+)\s*([a-z]*)\s*$/i.exec(text);
  if (!m) {
    throw new RangeError(
      `Cannot parse size "${text}": expected a number and a unit such as 50MB, 1.5GiB or 500000B`,
    );
  }
  const scale = UNITS[(m[2] || "b").toLowerCase()];
  if (scale === undefined) {
    throw new RangeError(
      `Cannot parse size "${text}": unknown unit "${m[2]}" (B, KB, MB, GB, TB, KiB, MiB, GiB, TiB)`,
    );
  }
  const bytes = Math.round(Number(m[1]) * scale);
  if (!(bytes >= 1) || !Number.isSafeInteger(bytes)) {
    throw new RangeError(`Cannot parse size "${text}": expected at least 1 byte and at most 2^53 bytes`);
  }
  return bytes;
}

/** A byte count for people: decimal units, two decimals (`5.09 MB`). */
export function formatBytes(bytes: number): string {
  if (bytes < 1e3) return `${bytes} B`;
  const [scale, unit] = bytes < 1e6
    ? [1e3, "KB"]
    : bytes < 1e9
    ? [1e6, "MB"]
    : bytes < 1e12
    ? [1e9, "GB"]
    : [1e12, "TB"];
  return `${(bytes / scale).toFixed(2)} ${unit}`;
}
