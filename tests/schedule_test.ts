import assert from "node:assert/strict";
import { linearWarmupSchedule, warmupStepsFromRatio } from "../core/schedule.ts";

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

function assertCloseList(actual: number[], expected: number[], what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  actual.forEach((a, i) => {
    const e = expected[i]!;
    assert.ok(Math.abs(a - e) <= 1e-15 * Math.max(1, Math.abs(e)), `${what}[${i}]: ${a} vs ${e}`);
  });
}

Deno.test("linearWarmupSchedule() matches HF's lambda on a hand-computed run", () => {
  // HF: step < 4 -> step / 4; else max(0, (10 - step) / (10 - 4)).
  const s = linearWarmupSchedule({ baseLr: 1e-4, totalSteps: 10, warmupSteps: 4 });
  assertCloseList(range(12).map(s.factor), [
    0,
    0.25,
    0.5,
    0.75, // warm-up
    1,
    5 / 6,
    4 / 6,
    3 / 6,
    2 / 6,
    1 / 6, // decay
    0,
    0, // past the end: clamped at 0, as HF's max(0, ...)
  ], "factor");
  assertCloseList([s.lr(0), s.lr(2), s.lr(4), s.lr(7), s.lr(10)], [0, 5e-5, 1e-4, 5e-5, 0], "lr");
});

Deno.test("linearWarmupSchedule() gives update k the lr of step k - 1, as HF's LambdaLR loop", () => {
  // HF: LambdaLR sets lr = base * lambda(0) at construction; each iteration calls optimizer.step()
  // (using the current lr) and then scheduler.step(). Replaying that loop: update k uses lambda(k - 1),
  // so with warm-up the first update's lr is 0 and the last one's is base / (total - warmup).
  const s = linearWarmupSchedule({ baseLr: 1, totalSteps: 5, warmupSteps: 2 });
  const applied: number[] = [];
  let lastEpoch = 0; // LambdaLR's counter after its initial step
  for (let update = 1; update <= 5; update++) {
    applied.push(s.lr(lastEpoch)); // optimizer.step()
    lastEpoch++; // scheduler.step()
  }
  assertCloseList(applied, [0, 0.5, 1, 2 / 3, 1 / 3], "applied lr per update");
});

Deno.test("linearWarmupSchedule() handles no warm-up and an all-warm-up run like HF", () => {
  const none = linearWarmupSchedule({ baseLr: 2, totalSteps: 4 });
  assert.equal(none.warmupSteps, 0);
  assertCloseList(range(5).map(none.lr), [2, 1.5, 1, 0.5, 0], "no warm-up");
  // warmup = total: HF's max(1, total - warmup) guard keeps the end at 0 instead of 0 / 0.
  const all = linearWarmupSchedule({ baseLr: 1, totalSteps: 4, warmupSteps: 4 });
  assertCloseList(range(6).map(all.lr), [0, 0.25, 0.5, 0.75, 0, 0], "all warm-up");
});

Deno.test("warmupStepsFromRatio() rounds up like HF's get_warmup_steps, float product included", () => {
  assert.equal(warmupStepsFromRatio(1000, 0.06), 60);
  assert.equal(warmupStepsFromRatio(1000, 0.1), 100);
  assert.equal(warmupStepsFromRatio(1276, 0.06), 77); // 76.56
  assert.equal(warmupStepsFromRatio(100, 0.07), 8); // 0.07 * 100 = 7.000000000000001 in Python too
  assert.equal(warmupStepsFromRatio(10, 0), 0);
  assert.equal(warmupStepsFromRatio(10, 1), 10);
  const s = linearWarmupSchedule({ baseLr: 5e-5, totalSteps: 1000, warmupRatio: 0.06 });
  assert.equal(s.warmupSteps, 60);
  assertCloseList([s.lr(30), s.lr(60), s.lr(530)], [2.5e-5, 5e-5, 2.5e-5], "ratio schedule");
});

Deno.test("linearWarmupSchedule() rejects bad options with RangeErrors that say what is wrong", () => {
  const cases: [() => unknown, RegExp][] = [
    [
      () => linearWarmupSchedule({ baseLr: 1, totalSteps: 0 }),
      /totalSteps must be a positive integer, got 0/,
    ],
    [
      () => linearWarmupSchedule({ baseLr: 1, totalSteps: -5 }),
      /totalSteps must be a positive integer, got -5/,
    ],
    [() => linearWarmupSchedule({ baseLr: 1, totalSteps: 2.5 }), /totalSteps must be a positive integer/],
    [
      () => linearWarmupSchedule({ baseLr: 1, totalSteps: 10, warmupSteps: 11 }),
      /warmupSteps 11 exceeds totalSteps 10/,
    ],
    [
      () => linearWarmupSchedule({ baseLr: 1, totalSteps: 10, warmupSteps: -1 }),
      /warmupSteps must be an integer >= 0/,
    ],
    [
      () => linearWarmupSchedule({ baseLr: 1, totalSteps: 10, warmupRatio: 1.5 }),
      /warmupRatio must be between 0 and 1/,
    ],
    [
      () => linearWarmupSchedule({ baseLr: 1, totalSteps: 10, warmupRatio: NaN }),
      /warmupRatio must be between 0 and 1/,
    ],
    [() => linearWarmupSchedule({ baseLr: 1, totalSteps: 10, warmupSteps: 1, warmupRatio: 0.1 }), /not both/],
    [() => linearWarmupSchedule({ baseLr: NaN, totalSteps: 10 }), /baseLr must be a finite number/],
  ];
  for (const [run, message] of cases) {
    assert.throws(
      run,
      (e: unknown) =>
        e instanceof RangeError && /^Cannot build the learning-rate schedule: /.test(e.message) &&
        message.test(e.message),
    );
  }
  const s = linearWarmupSchedule({ baseLr: 1, totalSteps: 10 });
  assert.throws(() => s.lr(-1), /step must be an integer >= 0, got -1/);
  assert.throws(() => s.lr(1.5), RangeError);
});
