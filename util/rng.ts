/**
 * The project's one family of seeded random numbers: counter-based streams, where draw `i` of a
 * stream is a pure function of the stream's key and `i`. Masking (keyed by seed, step, sequence),
 * the training data order, GLUE's samples and epochs, and the concentration's random control all
 * draw from it, so any part of a run is reproduced without replaying what came before it (exact
 * resume, and work spread over workers in any order).
 *
 * A stream is keyed by two 32-bit words; draw `i` is `fmix32(fmix32(k0 + i * golden) ^ k1)`, with
 * murmur3's finaliser. {@linkcode keyedRng} hashes any list of non-negative integers into the two
 * words, so two streams share draws only if both words collide (about 2^-64 per pair), unlike
 * seeding mulberry32 from one 32-bit word, whose streams are shifted copies of one cycle.
 *
 * The dropout kernels have their own generator (`core/cpu/rng.ts`), the CPU twin of the WGSL one.
 *
 * @example
 * ```ts
 * import { keyedRng } from "./rng.ts";
 *
 * const rng = keyedRng([1, 40, 3]); // e.g. seed 1, step 40, sequence 3
 * rng.next(); // a float in [0, 1), the same for every run with this key
 * rng.below(30522); // an integer in [0, 30522)
 * ```
 * @module
 */

const TWO_32 = 4294967296;
const GOLDEN = 0x9e3779b9;

/** murmur3's 32-bit finaliser: a bijection on 32-bit words with full avalanche. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A seeded stream of uniform draws; see the module doc for how it is keyed. */
export class Rng {
  readonly #k0: number;
  readonly #k1: number;
  #counter = 0;

  /** A stream keyed by two 32-bit words. */
  constructor(k0: number, k1: number) {
    this.#k0 = k0 >>> 0;
    this.#k1 = k1 >>> 0;
  }

  /** The next 32-bit unsigned word. */
  nextUint32(): number {
    const i = this.#counter++;
    return fmix32(fmix32((this.#k0 + Math.imul(i, GOLDEN)) >>> 0) ^ this.#k1);
  }

  /** A uniform float in [0, 1) (32 bits of resolution). */
  next(): number {
    return this.nextUint32() / TWO_32;
  }

  /** A uniform integer in [0, n), n at most 2^32 (bias below n / 2^32, under 1e-5 for any vocab). */
  below(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Shuffles `a[from..to)` in place (Fisher-Yates, as Python's `random.shuffle`). */
  shuffle<T extends { length: number; [i: number]: number }>(a: T, from = 0, to = a.length): T {
    for (let i = to - 1; i > from; i--) {
      const j = from + this.below(i - from + 1);
      const t = a[i]!;
      a[i] = a[j]!;
      a[j] = t;
    }
    return a;
  }
}

/**
 * The stream keyed by `keys`, each a non-negative safe integer (counters above 2^32 included).
 *
 * @throws {RangeError} for a key that is not a non-negative safe integer
 */
export function keyedRng(keys: readonly number[]): Rng {
  const words: number[] = [];
  keys.forEach((v, i) => {
    if (!Number.isSafeInteger(v) || v < 0) {
      throw new RangeError(
        `Cannot key a random stream: key ${i} must be a non-negative safe integer, got ${v}`,
      );
    }
    words.push(v >>> 0, Math.floor(v / TWO_32) >>> 0);
  });
  return new Rng(absorb(0x243f6a88, words), absorb(0x13198a2e, words));
}

// Murmur-style absorption of each word into the hash; a different start gives an independent key.
function absorb(start: number, words: readonly number[]): number {
  let h = start;
  for (const w of words) h = fmix32((Math.imul(h ^ w, 0x1b873593) + 0xe6546b64) >>> 0);
  return h;
}
