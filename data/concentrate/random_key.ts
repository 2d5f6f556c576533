/**
 * The random control's order: every unit gets a 32-bit key from a hash of (seed, file index, unit
 * index in the file), so the key does not depend on how the corpus is sharded or scored. Units are
 * taken by increasing (key, position); for a fixed seed and file, distinct units get distinct keys
 * (the hash is a bijection of the unit index below 2^32).
 *
 * Histograms use the key's top {@linkcode KEY_BUCKET_BITS} bits as the bucket.
 *
 * @example
 * ```ts
 * import { bucketOf, randomKey } from "./random_key.ts";
 *
 * const key = randomKey(1, 0, 42); // the same for every run, worker count and shard
 * bucketOf(key); // key >>> 16
 * ```
 * @module
 */
import { fmix32 } from "../../util/rng.ts";

/** Bits of the key that choose its histogram bucket. */
export const KEY_BUCKET_BITS = 16;
/** Number of histogram buckets of the keys. */
export const KEY_BUCKETS: number = 1 << KEY_BUCKET_BITS;

/** The key of unit `unit` of file `file` (indices from 0) under `seed`: an integer in [0, 2^32). */
export function randomKey(seed: number, file: number, unit: number): number {
  let h = fmix32((seed >>> 0) ^ 0x9e3779b9);
  h = fmix32(h ^ Math.imul(file + 1, 0x85ebca6b));
  h = fmix32(h ^ (unit >>> 0));
  const high = Math.floor(unit / 4294967296);
  return high === 0 ? h : fmix32(h ^ Math.imul(high, 0x27d4eb2f));
}

/** The histogram bucket of a key. */
export function bucketOf(key: number): number {
  return key >>> (32 - KEY_BUCKET_BITS);
}

/** A unit's position in corpus order as one number: `file * 2^32 + unit`. */
export function positionOf(file: number, unit: number): number {
  return file * 4294967296 + unit;
}
