import assert from "node:assert/strict";
import { meanUnits, pairedDifference, seedMean } from "../experiment/paired.ts";
import { seededRandom } from "./_helpers.ts";

Deno.test("a paired difference is the mean over seeds of ratio-of-sums differences", () => {
  const a = [{ num: [2, 4], den: [1, 3] }, { num: [1, 1], den: [1, 1] }];
  const b = [{ num: [1, 1], den: [1, 1] }, { num: [0, 1], den: [1, 1] }];
  const d = pairedDifference(a, b, { resamples: 200 });
  // Seed 1: 6/4 - 2/2 = 0.5; seed 2: 2/2 - 1/2 = 0.5.
  assert.deepEqual(d.per_seed, [0.5, 0.5]);
  assert.equal(d.difference, 0.5);
  assert.equal(d.units, 2);
  assert.ok(d.low <= d.difference && d.difference <= d.high);
});

Deno.test("pairing removes what the units share: a constant shift is told apart, noise is not", () => {
  const random = seededRandom(5);
  const base = Array.from({ length: 300 }, () => random() * 10);
  const shifted = base.map((x) => x + 0.05);
  const shift = pairedDifference([meanUnits(shifted)], [meanUnits(base)]);
  assert.ok(Math.abs(shift.difference - 0.05) < 1e-12);
  assert.ok(shift.distinguishable, `${shift.low} ${shift.high}`);
  // The same shift against unrelated units of the same spread is lost in their noise.
  const other = Array.from({ length: 300 }, () => random() * 10);
  const unpaired = pairedDifference([meanUnits(shifted)], [meanUnits(other)]);
  assert.ok(unpaired.high - unpaired.low > 20 * (shift.high - shift.low));
  // Identical arms differ by exactly zero.
  const same = pairedDifference([meanUnits(base)], [meanUnits(base)]);
  assert.deepEqual([same.difference, same.low, same.high, same.distinguishable], [0, 0, 0, false]);
});

Deno.test("the interval is deterministic for a seed, and covers about 95% of repeated experiments", () => {
  const random = seededRandom(9);
  const draw = () => meanUnits(Array.from({ length: 200 }, () => (random() < 0.3 ? 1 : 0)));
  const x = draw(), y = draw();
  assert.deepEqual(pairedDifference([x], [y], { seed: 3 }), pairedDifference([x], [y], { seed: 3 }));
  let covered = 0;
  const trials = 200;
  for (let t = 0; t < trials; t++) {
    const m = seedMean([draw()], { resamples: 300, seed: t });
    if (m.low <= 0.3 && 0.3 <= m.high) covered++;
  }
  assert.ok(covered >= 0.88 * trials && covered <= trials, `covered ${covered} of ${trials}`);
});

Deno.test("units that differ in number or no common seed are refused", () => {
  assert.throws(() => pairedDifference([], [meanUnits([1])]), /no seed ran in both/);
  assert.throws(() => pairedDifference([meanUnits([1, 2])], [meanUnits([1])]), /1 and 2 units/);
});
