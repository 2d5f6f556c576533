/**
 * Inverted dropout with a mask recomputed from the counter-based generator (`rng.ts`), never stored.
 * @module
 */
import { keyedU32, rngKeys, UNIFORM_STEP } from "./rng.ts";
import type { Floats } from "./types.ts";

/** Sizes and randomness of a dropout op. */
export interface DropoutShape {
  /** Number of elements. */
  n: number;
  /** Drop probability, in [0, 1). */
  p: number;
  /** u32 seed of the run. */
  seed: number;
  /** u32 stream: which step and site (see `dropoutStream`). */
  stream: number;
}

/** Sizes of {@linkcode randomBits}. */
export interface RandomBitsShape {
  /** Number of values. */
  n: number;
  /** u32 seed. */
  seed: number;
  /** u32 stream. */
  stream: number;
  /** u32 index of the first value; indices wrap modulo 2^32. */
  offset: number;
}

const isU32 = (x: number) => Number.isInteger(x) && x >= 0 && x <= 0xffffffff;

/** Throws a RangeError naming `kernel` unless p is in [0, 1) and seed, stream are u32. */
export function checkDropout(kernel: string, { p, seed, stream }: DropoutShape): void {
  if (!(p >= 0 && p < 1)) throw new RangeError(`Kernel "${kernel}": drop probability ${p} is not in [0, 1)`);
  if (!isU32(seed)) throw new RangeError(`Kernel "${kernel}": seed ${seed} is not a u32`);
  if (!isU32(stream)) throw new RangeError(`Kernel "${kernel}": stream ${stream} is not a u32`);
}

/**
 * The smallest 24-bit draw that is kept: uniform01 >= p exactly when (u >>> 8) >= ceil(p * 2^24)
 * (p * 2^24 is exact), so the device compares integers and cannot disagree with `uniform01 >= p`
 * through rounding p to f32.
 */
export function keepThreshold(p: number): number {
  return Math.ceil(p / UNIFORM_STEP);
}

/** out[i] = keep(i) ? inp[i] / (1 - p) : 0, keep(i) = uniform01(seed, stream, i) >= p. Overwrites `out`. */
export function dropoutForward(out: Floats, inp: Floats, shape: DropoutShape): void {
  checkDropout("dropout_forward", shape);
  const { n, p, seed, stream } = shape;
  const [k1, k2] = rngKeys(seed, stream);
  const scale = 1 / (1 - p);
  for (let i = 0; i < n; i++) {
    const keep = (keyedU32(k1, k2, i) >>> 8) * UNIFORM_STEP >= p;
    out[i] = keep ? inp[i]! * scale : 0;
  }
}

/** dinp[i] += keep(i) ? dout[i] / (1 - p) : 0, the same mask as the forward. Accumulates into `dinp`. */
export function dropoutBackward(dinp: Floats, dout: Floats, shape: DropoutShape): void {
  checkDropout("dropout_backward", shape);
  const { n, p, seed, stream } = shape;
  const [k1, k2] = rngKeys(seed, stream);
  const scale = 1 / (1 - p);
  for (let i = 0; i < n; i++) {
    const keep = (keyedU32(k1, k2, i) >>> 8) * UNIFORM_STEP >= p;
    if (keep) dinp[i] = dinp[i]! + dout[i]! * scale;
  }
}

/** out[i] = randomU32(seed, stream, offset + i) (as the bits of an i32). Overwrites `out`. */
export function randomBits(
  out: Int32Array | Uint32Array,
  { n, seed, stream, offset }: RandomBitsShape,
): void {
  for (const [name, x] of [["seed", seed], ["stream", stream], ["offset", offset]] as const) {
    if (!isU32(x)) throw new RangeError(`Kernel "random_bits": ${name} ${x} is not a u32`);
  }
  const [k1, k2] = rngKeys(seed, stream);
  for (let i = 0; i < n; i++) out[i] = keyedU32(k1, k2, (offset + i) >>> 0);
}
