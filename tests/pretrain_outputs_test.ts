/**
 * The pre-training run's output files: metrics.jsonl (append, reopen, resume), metrics.csv,
 * loss.svg, summary.json/md.
 */
import assert from "node:assert/strict";
import { parseString } from "fast-csv";
import {
  type EvalRecord,
  type MetricRecord,
  MetricsLog,
  readMetrics,
  type StepRecord,
} from "../pretrain/metrics_log.ts";
import { messageOf } from "./_helpers.ts";
import { formatMetricsCsv, writeMetricsCsv } from "../pretrain/metrics_csv.ts";
import { lossPlotSpec, lossPoints, writeLossPlot } from "../pretrain/loss_plot.ts";
import { formatSummary, type RunSummary, writeSummary } from "../pretrain/summary.ts";

function train(step: number, loss = 10 - step / 10): StepRecord {
  return {
    kind: "train",
    step,
    loss,
    lr: 1e-4 * step,
    tokens: 512 * step,
    flops_6nd: 3e9 * step,
    flops_electra: 3.5e9 * step,
    tokens_per_s: 1000 + step,
    elapsed_s: 0.5 * step,
  };
}

function evaluation(step: number, valLoss: number): EvalRecord {
  return {
    kind: "eval",
    step,
    val_loss: valLoss,
    val_accuracy: 0.05 * step,
    tokens: 512 * step,
    flops_6nd: 3e9 * step,
    flops_electra: 3.5e9 * step,
    elapsed_s: 0.5 * step + 0.25,
  };
}

async function fileLines(path: string): Promise<unknown[]> {
  const text = await Deno.readTextFile(path);
  assert.ok(text.endsWith("\n"), "every line ends with a newline");
  return text.trimEnd().split("\n").map((line) => JSON.parse(line));
}

async function listDir(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) names.push(entry.name);
  return names.sort();
}

Deno.test("MetricsLog writes one JSON line per record at once and reads them back on reopening", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const log = await MetricsLog.open(`${dir}/run`);
    const written: MetricRecord[] = [evaluation(0, 10.5), train(1), train(2), evaluation(2, 9.6)];
    for (const record of written.slice(0, 2)) await log.append(record);
    // Before close: what was appended is already in the file.
    assert.deepEqual(await fileLines(`${dir}/run/metrics.jsonl`), written.slice(0, 2));
    for (const record of written.slice(2)) await log.append(record);
    log.close();
    assert.deepEqual(await fileLines(`${dir}/run/metrics.jsonl`), written);

    const again = await MetricsLog.open(`${dir}/run`);
    assert.deepEqual(again.records(), written);
    await again.append(train(3));
    again.close();
    assert.deepEqual(await fileLines(`${dir}/run/metrics.jsonl`), [...written, train(3)]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("MetricsLog.open with resumeAtStep drops the records logged after the checkpoint", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const log = await MetricsLog.open(dir);
    for (let step = 1; step <= 7; step++) {
      await log.append(train(step));
      if (step % 3 === 0) await log.append(evaluation(step, 9 - step / 10));
    }
    log.close();

    // The checkpoint was at step 5; steps 6 and 7 and the evaluation at 6 are dropped.
    const resumed = await MetricsLog.open(dir, { resumeAtStep: 5 });
    const kept = [train(1), train(2), train(3), evaluation(3, 8.7), train(4), train(5)];
    assert.deepEqual(resumed.records(), kept);
    assert.deepEqual(await fileLines(`${dir}/metrics.jsonl`), kept);
    await resumed.append(train(6, 1.5));
    resumed.close();
    assert.deepEqual(await fileLines(`${dir}/metrics.jsonl`), [...kept, train(6, 1.5)]);
    assert.deepEqual(await listDir(dir), ["metrics.jsonl"], "no temporary file is left");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("MetricsLog refuses a step that goes back or a training step logged twice", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const log = await MetricsLog.open(dir);
    await log.append(train(4));
    await assert.rejects(log.append(train(3)), { name: "RangeError", message: /step 3 goes back/ });
    await assert.rejects(log.append(train(4)), { name: "RangeError", message: /step 4 was already logged/ });
    await log.append(evaluation(4, 9)); // an evaluation after the step it follows is fine
    log.close();
    await assert.rejects(log.append(train(5)), /the log is closed/);
    assert.deepEqual(await fileLines(`${dir}/metrics.jsonl`), [train(4), evaluation(4, 9)]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("MetricsLog.open names the file and line of a malformed record", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/metrics.jsonl`;
  try {
    const good = JSON.stringify(train(1));
    await Deno.writeTextFile(path, `${good}\n\n{"kind":"train","step":2,"loss":\n`);
    await assert.rejects(MetricsLog.open(dir), (error: Error) => {
      assert.match(error.message, /^Cannot read .*metrics\.jsonl line 3: expected a JSON object, got /);
      return true;
    });
    await Deno.writeTextFile(path, `${good}\n{"step":2,"loss":1}\n`);
    await assert.rejects(MetricsLog.open(dir, { resumeAtStep: 1 }), {
      message: `Cannot read ${path} line 2: expected kind "train" or "eval", got undefined`,
    });
    await Deno.writeTextFile(path, `{"kind":"eval","step":1.5}\n`);
    await assert.rejects(MetricsLog.open(dir), {
      message: /line 1: expected an integer step >= 0, got 1\.5$/,
    });
    // Nothing was rewritten by the failed opens.
    assert.equal(await Deno.readTextFile(path), `{"kind":"eval","step":1.5}\n`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("writeMetricsCsv writes the known columns in order with empty cells, and parses back", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const withAccuracy: StepRecord = { ...train(2), accuracy: 0.125 };
    const records: MetricRecord[] = [evaluation(0, 10.5), train(1), withAccuracy, evaluation(2, 9.25)];
    await writeMetricsCsv(`${dir}/metrics.csv`, records);
    const text = await Deno.readTextFile(`${dir}/metrics.csv`);
    const rows: string[][] = [];
    await new Promise<void>((resolve, reject) => {
      parseString(text, { headers: false })
        .on("data", (row: string[]) => rows.push(row))
        .on("error", reject)
        .on("end", () => resolve());
    });
    const header = [
      "kind",
      "step",
      "loss",
      "accuracy",
      "lr",
      "tokens",
      "flops_6nd",
      "flops_electra",
      "tokens_per_s",
      "elapsed_s",
      "val_loss",
      "val_accuracy",
    ];
    assert.deepEqual(rows, [
      header,
      ["eval", "0", "", "", "", "0", "0", "0", "", "0.25", "10.5", "0"],
      ["train", "1", "9.9", "", "0.0001", "512", "3000000000", "3500000000", "1001", "0.5", "", ""],
      ["train", "2", "9.8", "0.125", "0.0002", "1024", "6000000000", "7000000000", "1002", "1", "", ""],
      ["eval", "2", "", "", "", "1024", "6000000000", "7000000000", "", "1.25", "9.25", "0.1"],
    ]);
    assert.deepEqual(await listDir(dir), ["metrics.csv"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the metrics CSV header is the union of the keys present, unknown keys last", async () => {
  const onlyTrain = await formatMetricsCsv([train(1)]);
  assert.equal(
    onlyTrain.split("\n")[0],
    "kind,step,loss,lr,tokens,flops_6nd,flops_electra,tokens_per_s,elapsed_s",
  );
  const extra = { ...train(1), grad_norm: 0.5 } as MetricRecord;
  assert.equal(
    await formatMetricsCsv([extra]),
    "kind,step,loss,lr,tokens,flops_6nd,flops_electra,tokens_per_s,elapsed_s,grad_norm\n" +
      "train,1,9.9,0.0001,512,3000000000,3500000000,1001,0.5,0.5\n",
  );
});

Deno.test("lossPlotSpec has a training and a validation series against the chosen FLOPs", () => {
  const records: MetricRecord[] = [evaluation(0, 10.5)];
  for (let step = 1; step <= 6; step++) {
    records.push(train(step));
    if (step % 3 === 0) records.push(evaluation(step, 10 - step / 5));
  }
  const spec = lossPlotSpec(records, { title: "tiny", flops: "6nd", scale: "log" }) as unknown as {
    title: { text: string };
    data: { values: { series: string; step: number; flops: number; loss: number }[] };
    encoding: { x: { title: string; scale: { type: string } } };
    layer: { transform: { filter: { field: string; equal: string } }[] }[];
  };
  assert.equal(spec.title.text, "tiny");
  assert.equal(spec.encoding.x.title, "FLOPs, 6ND convention (log scale)");
  assert.deepEqual(spec.layer.map((l) => l.transform[0]!.filter.equal), ["training", "validation"]);
  const values = spec.data.values;
  assert.deepEqual(
    values.filter((p) => p.series === "training").map((p) => [p.step, p.flops, p.loss]),
    [1, 2, 3, 4, 5, 6].map((s) => [s, 3e9 * s, 10 - s / 10]),
  );
  // The evaluation at 0 FLOPs cannot sit on a log axis; on the default linear one it is drawn.
  assert.deepEqual(
    values.filter((p) => p.series === "validation").map((p) => [p.step, p.flops, p.loss]),
    [[3, 9e9, 9.4], [6, 1.8e10, 8.8]],
  );
  const linear = lossPoints(records).filter((p) => p.series === "validation");
  assert.deepEqual(linear.map((p) => [p.step, p.flops]), [[0, 0], [3, 1.05e10], [6, 2.1e10]]);
});

Deno.test("lossPlotSpec averages the training loss over buckets when a run has many steps", () => {
  const records = Array.from({ length: 25 }, (_, i) => train(i + 1, (i + 1) % 2 === 0 ? 4 : 6));
  records[3] = { ...records[3]!, loss: NaN }; // a non-finite loss is left out, not averaged in
  const points = lossPoints(records, { maxTrainPoints: 10, flops: "electra" });
  // 24 drawable steps in at most 10 points: buckets of 3.
  assert.equal(points.length, 8);
  assert.deepEqual(points[0], { series: "training", step: 3, flops: 3.5e9 * 2, loss: (6 + 4 + 6) / 3 });
  // Steps 5, 6, 7 (step 4 was left out).
  assert.deepEqual(points[1], { series: "training", step: 7, flops: 3.5e9 * 6, loss: (6 + 4 + 6) / 3 });
  const spec = lossPlotSpec(records, { maxTrainPoints: 10 }) as unknown as { title: { subtitle?: string } };
  assert.equal(spec.title.subtitle, "training loss averaged over every 3 logged steps");
  assert.throws(() => lossPoints(records, { maxTrainPoints: 0 }), RangeError);
});

Deno.test("writeLossPlot renders an SVG with both series offline", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const records: MetricRecord[] = [];
    for (let step = 1; step <= 40; step++) {
      records.push(train(step, 10 - Math.log(step)));
      if (step % 10 === 0) records.push(evaluation(step, 10.2 - Math.log(step)));
    }
    const path = `${dir}/loss.svg`;
    await writeLossPlot(path, records, { title: "tiny run" });
    const svg = await Deno.readTextFile(path);
    assert.ok(svg.startsWith("<svg"), svg.slice(0, 40));
    assert.ok(svg.trimEnd().endsWith("</svg>"));
    assert.match(svg, /<path /);
    assert.match(svg, /tiny run/);
    assert.match(svg, /FLOPs, ELECTRA-style convention \(linear scale\)/);
    assert.match(svg, />training</);
    assert.match(svg, />validation</);
    // One line per series, and a symbol per validation point (4 evaluations).
    assert.match(svg, />4e\+10</, "x labels in the paper's notation");
    assert.match(svg, /class="mark-line role-mark layer_0_marks"/);
    assert.match(svg, /class="mark-line role-mark layer_1_layer_0_marks"/);
    const symbols = svg.match(/<g class="mark-symbol role-mark layer_1_layer_1_marks"[^>]*>(.*?)<\/g>/);
    assert.ok(symbols !== null, "the validation points are drawn");
    assert.equal(symbols[1]!.match(/<path /g)?.length, 4);
    assert.deepEqual(await listDir(dir), ["loss.svg"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

function sampleSummary(overrides: Partial<RunSummary> = {}): RunSummary {
  return {
    name: "tiny-concentrated-concept",
    out: "runs/20250101-tiny",
    status: "completed",
    steps: 400,
    total_steps: 400,
    tokens: 1_638_400,
    flops_6nd: 1.2346e15,
    flops_electra: 1.5e15,
    wall_s: 492,
    train_s: 450.4,
    tokens_per_s: 3637.6,
    host_share: 0.042,
    final_loss: 6.91234,
    best_val_loss: 6.75,
    initial_val_loss: 10.33,
    final_val_loss: 6.8014,
    final_val_accuracy: 0.1234,
    device: { backend: "dawn", adapter: "llvmpipe (LLVM 15.0.6, 256 bits)" },
    model: { preset: "tiny", init: null, parameters: 4_386_000, hidden: 128, layers: 2, heads: 2 },
    data: {
      source: "concentrated",
      path: "cache/concentrated.txt",
      train_sequences: 12_800,
      validation_sequences: 256,
      masking: "concept",
    },
    command: "deno task pretrain",
    ...overrides,
  };
}

Deno.test("writeSummary writes summary.json with every field and a readable summary.md", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const summary = sampleSummary();
    await writeSummary(dir, summary);
    assert.deepEqual(JSON.parse(await Deno.readTextFile(`${dir}/summary.json`)), summary);
    const md = await Deno.readTextFile(`${dir}/summary.md`);
    assert.match(md, /^# Pre-training run tiny-concentrated-concept\n/);
    assert.match(
      md,
      /\| model \| preset tiny, from scratch; 4\.39M parameters, hidden 128, 2 layers, 2 heads \|/,
    );
    assert.match(md, /\| steps \| 400 of 400 \|/);
    assert.match(md, /\| tokens \| 1,638,400 \|/);
    assert.match(md, /\| FLOPs, 6ND \(6 x parameters x tokens\) \| 1\.235e\+15 \|/);
    assert.match(md, /\| FLOPs, ELECTRA-style [^|]*\| 1\.500e\+15 \|/);
    assert.match(md, /\| validation loss \(final \/ best\) \| 6\.801 \/ 6\.750 \|/);
    assert.match(md, /\| validation accuracy \(final\) \| 12\.3% \|/);
    assert.match(md, /\| wall time \(training steps\) \| 8m12s \(7m30s\) \|/);
    assert.match(md, /\| step time outside the device \| 4\.2% \|/);
    assert.match(md, /\| device \| dawn: llvmpipe \(LLVM 15\.0\.6, 256 bits\) \|/);
    assert.match(md, /```sh\ndeno task pretrain\n```/);
    assert.deepEqual(await listDir(dir), ["summary.json", "summary.md"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("formatSummary prints the final numbers, and how to resume an interrupted run", () => {
  assert.equal(
    formatSummary(sampleSummary()),
    [
      "pretrain tiny-concentrated-concept: completed 400/400 steps in 8m12s (training 7m30s)",
      "loss 6.912 (last training step); validation loss 6.801 (final), 6.750 (best), accuracy 12.3%",
      "held-out loss 10.330 before, 6.801 after",
      "1,638,400 tokens; 6ND 1.23e+15 FLOPs, ELECTRA-style 1.50e+15 FLOPs",
      "3,638 tokens/s; 4.2% of step time outside the device",
      "device: dawn, llvmpipe (LLVM 15.0.6, 256 bits)",
      "outputs: runs/20250101-tiny",
    ].join("\n"),
  );
  const brief = (p10: number) => ({
    model: "m",
    facts: 1273,
    p_at_1: 0.01,
    p_at_10: { value: p10, low: p10 - 0.01, high: p10 + 0.01 },
    mrr: 0.0234,
    unigram_p_at_10: 0,
  });
  assert.match(
    formatSummary(sampleSummary({ probe: { before: brief(0.05), after: brief(0.07) } })),
    /\nprobe \(1273 facts\): before P@1 0\.010, P@10 0\.050 \[0\.040, 0\.060\], MRR 0\.0234; after P@1 0\.010, P@10 0\.070 \[0\.060, 0\.080\], MRR 0\.0234; corpus-frequency baseline P@10 0\.000\n/,
  );
  const interrupted = formatSummary(
    sampleSummary({
      status: "interrupted",
      steps: 120,
      best_val_loss: null,
      final_val_loss: null,
      final_val_accuracy: null,
    }),
  );
  assert.match(interrupted, /: interrupted after 120\/400 steps/);
  assert.match(interrupted, /validation loss n\/a \(final\), n\/a \(best\), accuracy n\/a/);
  assert.match(interrupted, /outputs: runs\/20250101-tiny \(continue with --resume runs\/20250101-tiny\)$/);
});

Deno.test("MetricsLog.open drops a torn last line with a warning and ends a record left without its newline", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/metrics.jsonl`;
    const whole = [train(1), train(2)].map((r) => JSON.stringify(r)).join("\n");
    await Deno.writeTextFile(path, `${whole}\n{"kind":"train","st`);
    const warnings: string[] = [];
    const log = await MetricsLog.open(dir, { resumeAtStep: 2, warn: (l) => warnings.push(l) });
    assert.deepEqual(log.records(), [train(1), train(2)]);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /dropped the unfinished last line of .*metrics\.jsonl/);
    await log.append(train(3));
    log.close();
    assert.deepEqual(await fileLines(path), [train(1), train(2), train(3)]);

    // A whole record cut just before its newline: kept, and the next append starts a new line.
    await Deno.writeTextFile(path, whole);
    const again = await MetricsLog.open(dir, { warn: (l) => warnings.push(l) });
    await again.append(train(3));
    again.close();
    assert.deepEqual(await fileLines(path), [train(1), train(2), train(3)]);
    assert.equal(warnings.length, 1, "nothing was dropped the second time");

    // Strict readers still refuse a torn line, and a bad line before the last is never dropped.
    await Deno.writeTextFile(path, `${whole}\n{"kind":"train","st`);
    assert.match(await messageOf(() => readMetrics(path)), /last line is unfinished/);
    await Deno.writeTextFile(path, `{"kind":"train","st\n${whole}\n`);
    assert.match(await messageOf(() => MetricsLog.open(dir)), /line 1: expected a JSON object/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
