/**
 * The one progress display (util/progress.ts) and the one duration format (util/duration.ts), as
 * pre-training and GLUE use them.
 */
import assert from "node:assert/strict";
import { formatDuration } from "../util/duration.ts";
import { Progress, type ProgressStream } from "../util/progress.ts";
import { stepStatus } from "../pretrain/loop.ts";

/** A clock the test moves: the first step at 6 s (compilation), then 2 s a step. */
function stepClock(): { now: () => number; at: (step: number) => void } {
  let t = 0;
  return { now: () => t, at: (step) => (t = 6000 + 2000 * (step - 1)) };
}

Deno.test("Progress prints a plain line every `every` steps and at the last step when not a terminal", () => {
  const lines: string[] = [];
  const clock = stepClock();
  const progress = new Progress({
    label: "step",
    total: 10,
    every: 3,
    tty: false,
    log: (l) => lines.push(l),
    now: clock.now,
  });
  for (let step = 1; step <= 10; step++) {
    clock.at(step);
    progress.update(step, stepStatus(10 - step / 4, step >= 5 ? 8.5 : undefined, 4.5e-4, 1234.4));
    if (step === 5) progress.message("eval: val_loss 8.500");
  }
  progress.message("saved checkpoint");
  progress.stop();
  progress.stop();
  // The rate counts from the first step (2 s a step), not from construction; the last line says
  // how long the whole loop took.
  assert.deepEqual(lines, [
    "step 3/10 loss 9.250 lr 4.5e-4 1,234 tokens/s eta 14s",
    "eval: val_loss 8.500",
    "step 6/10 loss 8.500 val_loss 8.500 lr 4.5e-4 1,234 tokens/s eta 8s",
    "step 9/10 loss 7.750 val_loss 8.500 lr 4.5e-4 1,234 tokens/s eta 2s",
    "step 10/10 loss 7.500 val_loss 8.500 lr 4.5e-4 1,234 tokens/s in 24s",
    "saved checkpoint",
  ]);
});

Deno.test("Progress prints the last step on stop when a run is interrupted between lines", () => {
  const lines: string[] = [];
  const clock = stepClock();
  const progress = new Progress({
    label: "step",
    total: 400,
    start: 100,
    every: 8,
    tty: false,
    log: (l) => lines.push(l),
    now: clock.now,
  });
  for (let step = 101; step <= 110; step++) {
    clock.at(step - 100);
    progress.update(step, stepStatus(3, undefined, 0, 99.6));
  }
  progress.stop();
  // 6 s for 3 steps from step 101 to 104 => 2 s/step; 296 left => 592 s.
  assert.deepEqual(lines, [
    "step 104/400 loss 3.000 lr 0 100 tokens/s eta 9m52s",
    "step 110/400 loss 3.000 lr 0 100 tokens/s eta 9m40s",
  ]);
});

Deno.test("Progress before a second update measures the rate from its construction", () => {
  const lines: string[] = [];
  let t = 0;
  const progress = new Progress({
    label: "step",
    total: 5,
    every: 1,
    tty: false,
    log: (l) => lines.push(l),
    now: () => t,
  });
  t = 4000;
  progress.update(1, stepStatus(1, undefined, 1e-3, 10));
  progress.stop();
  assert.deepEqual(lines, ["step 1/5 loss 1.000 lr 1.0e-3 10 tokens/s eta 16s"]);
});

Deno.test("Progress counts units, prints at each tenth by default, and ends with a summary", () => {
  let t = 0;
  const lines: string[] = [];
  const bar = new Progress({
    label: "RTE train",
    total: 20,
    unit: "steps",
    tty: false,
    log: (l) => lines.push(l),
    now: () => t,
  });
  assert.equal(bar.every, 2);
  for (let i = 1; i <= 20; i++) {
    t += 500;
    bar.update(i, `loss ${i}`);
  }
  bar.stop("loss 0.5");
  assert.equal(lines.length, 11); // every second step, then the summary
  assert.equal(lines[0], "RTE train 2/20 steps loss 2 eta 9s");
  assert.equal(lines.at(-2), "RTE train 20/20 steps loss 20 in 10s");
  assert.equal(lines.at(-1), "RTE train 20/20 steps loss 0.5 in 10s");
});

Deno.test("Progress on a terminal draws a cli-progress bar and prints messages above it", () => {
  let out = "";
  const stream: ProgressStream = {
    isTTY: true,
    columns: 200,
    write: (chunk: string) => {
      out += chunk;
      return true;
    },
  };
  const logged: string[] = [];
  const progress = new Progress({ label: "step", total: 4, tty: true, stream, log: (l) => logged.push(l) });
  progress.update(1, stepStatus(7.25, undefined, 1e-4, 2048));
  progress.message("saved a checkpoint at step 1");
  progress.update(4, stepStatus(6.5, 6.75, 1e-4, 2048));
  progress.stop();
  assert.deepEqual(logged, [], "nothing goes to the plain log");
  assert.match(out, /saved a checkpoint at step 1\n/);
  // The bar's last drawing: the final state.
  // deno-lint-ignore no-control-regex
  const plain = out.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "");
  assert.match(
    plain,
    /step 4\/4 \[=+\] loss 6\.500 val_loss 6\.750 lr 1\.0e-4 2,048 tokens\/s \| in \d+s\s*$/,
  );
});

Deno.test("formatDuration writes seconds, minutes and hours", () => {
  assert.equal(formatDuration(0), "0s");
  assert.equal(formatDuration(59.4), "59s");
  assert.equal(formatDuration(192), "3m12s");
  assert.equal(formatDuration(3599), "59m59s");
  assert.equal(formatDuration(3725), "1h02m");
  assert.equal(formatDuration(Infinity), "?");
});
