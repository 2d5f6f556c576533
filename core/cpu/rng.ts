/**
 * A counter-based random generator: every random number is a pure function of (seed, stream, index),
 * so the device can recompute a dropout mask in the backward instead of storing it, and the CPU and
 * WGSL copies (`shaders/dropout.wgsl`) give bit-identical bits in any order.
 *
 * The hash is Chris Wellons' "triple32" (a bijective integer mixer with near-ideal avalanche),
 * chained so that the (seed, stream) key enters non-linearly: two streams never see the same
 * sequence shifted or XOR-permuted, which a single `hash(index ^ key)` would allow.
 * @module
 */

/** triple32: three xorshift-multiply rounds; a bijection on u32. */
export function triple32(v: number): number {
  let x = v >>> 0;
  x ^= x >>> 17;
  x = Math.imul(x, 0xed5ad4bb);
  x ^= x >>> 11;
  x = Math.imul(x, 0xac4c1b51);
  x ^= x >>> 15;
  x = Math.imul(x, 0x31848bab);
  x ^= x >>> 14;
  return x >>> 0;
}

/** The two u32 keys of a (seed, stream) pair; hoisted out of loops, recomputed per invocation on the device. */
export function rngKeys(seed: number, stream: number): [number, number] {
  const k1 = triple32(triple32((seed + 0x9e3779b9) >>> 0) ^ stream);
  const k2 = triple32((k1 + 0x7f4a7c15) >>> 0);
  return [k1, k2];
}

/** The random u32 of `index` under already derived keys (see {@linkcode rngKeys}). */
export function keyedU32(k1: number, k2: number, index: number): number {
  return triple32(triple32((index + k1) >>> 0) ^ k2);
}

/**
 * A random u32 that depends only on its three u32 arguments (each coerced with `>>> 0`).
 *
 * @example
 * ```ts
 * const u = randomU32(42, dropoutStream(0, 3), 1234);
 * ```
 */
export function randomU32(seed: number, stream: number, index: number): number {
  const [k1, k2] = rngKeys(seed >>> 0, stream >>> 0);
  return keyedU32(k1, k2, index >>> 0);
}

/** 2^-24: the spacing of {@linkcode uniform01}'s values. */
export const UNIFORM_STEP = 2 ** -24;

/** A uniform number in [0, 1) with 24 random bits (exactly representable in f32). */
export function uniform01(seed: number, stream: number, index: number): number {
  return (randomU32(seed, stream, index) >>> 8) * UNIFORM_STEP;
}

/** Number of dropout sites a step can hold: the stream's low 8 bits. */
export const DROPOUT_SITES = 256;
/** Number of training steps the stream can tell apart: its high 24 bits. */
export const DROPOUT_STEPS = 2 ** 24;

/**
 * The stream of one dropout site at one training step: `step * 256 + site`, i.e. the step in the high
 * 24 bits and the site in the low 8. Injective over its range (no two (step, site) pairs share a
 * stream), so every step gets fresh masks and each site within a step its own. BERT-base has
 * 1 + 12 * 3 = 37 dropout sites.
 */
export function dropoutStream(step: number, site: number): number {
  if (!Number.isInteger(site) || site < 0 || site >= DROPOUT_SITES) {
    throw new RangeError(
      `Cannot make a dropout stream: site ${site} is not an integer in [0, ${DROPOUT_SITES})`,
    );
  }
  if (!Number.isInteger(step) || step < 0 || step >= DROPOUT_STEPS) {
    throw new RangeError(`Cannot make a dropout stream: step ${step} is not an integer in [0, 2^24)`);
  }
  return step * DROPOUT_SITES + site;
}
