/**
 * Checks shared by the whole-model tests: every named gradient of a device run against the CPU
 * reference, and the CPU model's gradients against central finite differences in float64.
 * @module
 */
import type { Layout } from "../core/bert/layout.ts";
import { assertClose, seededRandom } from "./_helpers.ts";

/** Compares each tensor of two flat gradient buffers laid out by `layout`. */
export function assertGradientsClose(
  layout: Layout,
  got: Float32Array,
  ref: Float32Array,
  what: string,
): void {
  const largest = ref.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  for (const e of layout.entries) {
    const r = ref.subarray(e.offset, e.offset + e.size);
    const x = got.subarray(e.offset, e.offset + e.size);
    const scale = r.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    // Gradients that cancel to near zero carry the f32 rounding of their largest terms; the key
    // bias's gradient is exactly zero in theory (softmax ignores a per-row constant), so its
    // entries are pure rounding on both sides: hence the floor relative to the largest gradient.
    assertClose(x, r, { rtol: 1e-3, atol: 1e-4 * scale + 1e-6 * largest }, `grad ${e.name} ${what}`);
  }
}

/**
 * Perturbs three seeded elements of every tensor of `params` (float64, in place and restored) and
 * compares (L(+eps) - L(-eps)) / 2eps with `grads`.
 */
export function assertFiniteDifferences(
  layout: Layout,
  params: Float64Array,
  grads: Float64Array,
  lossAt: () => number,
  seed: number,
): void {
  const r = seededRandom(seed);
  const eps = 1e-6;
  for (const e of layout.entries) {
    const numeric: number[] = [], analytic: number[] = [];
    for (let k = 0; k < 3; k++) {
      const at = e.offset + Math.floor(r() * e.size);
      const keep = params[at]!;
      params[at] = keep + eps;
      const up = lossAt();
      params[at] = keep - eps;
      const down = lossAt();
      params[at] = keep;
      numeric.push((up - down) / (2 * eps));
      analytic.push(grads[at]!);
    }
    // Central differences in float64 at eps 1e-6 are good to ~1e-8 absolute here.
    assertClose(analytic, numeric, { rtol: 1e-4, atol: 1e-7 }, `d loss / d ${e.name}`);
  }
}
