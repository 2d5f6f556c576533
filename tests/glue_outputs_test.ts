import assert from "node:assert/strict";
import {
  buildResults,
  crc32,
  createZip,
  DEV_PREDICTIONS_HEADER,
  devPredictionsPath,
  evaluateDevSet,
  formatDevPredictions,
  formatResultsMarkdown,
  formatSubmission,
  formatSubmissionValue,
  GLUE_SUBMISSION_NAMES,
  GLUE_TEST_SETS,
  type GlueSubmissionName,
  pickBestTrial,
  readResults,
  SUBMISSION_HEADER,
  submissionPath,
  summarizeTask,
  writeDevPredictions,
  writeResults,
  writeSubmissionFile,
  writeSubmissionZip,
} from "../glue/mod.ts";
import { readGlue } from "../glue/read.ts";
import { writeFileAtomic } from "../util/atomic_write.ts";
import { seededRandom } from "./_helpers.ts";

const GLUE = new URL("../data/glue", import.meta.url).pathname;

// ---------------------------------------------------------------------------------------------
// An independent reader of the archives: EOCD -> central directory -> local headers -> data.

interface ParsedEntry {
  name: string;
  method: number;
  crc: number;
  compressedSize: number;
  size: number;
  date: number;
  time: number;
  data: Uint8Array;
}

async function parseZip(bytes: Uint8Array): Promise<ParsedEntry[]> {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const eocd = bytes.length - 22; // no archive comment
  assert.equal(v.getUint32(eocd, true), 0x06054b50, "end of central directory signature");
  const count = v.getUint16(eocd + 10, true);
  assert.equal(v.getUint16(eocd + 8, true), count, "entries on this disk = total entries");
  const cdSize = v.getUint32(eocd + 12, true);
  const cdOffset = v.getUint32(eocd + 16, true);
  assert.equal(cdOffset + cdSize, eocd, "central directory ends where the end record starts");
  const entries: ParsedEntry[] = [];
  let at = cdOffset;
  for (let i = 0; i < count; i++) {
    assert.equal(v.getUint32(at, true), 0x02014b50, `central header ${i} signature`);
    const method = v.getUint16(at + 10, true);
    const time = v.getUint16(at + 12, true);
    const date = v.getUint16(at + 14, true);
    const crc = v.getUint32(at + 16, true);
    const compressedSize = v.getUint32(at + 20, true);
    const size = v.getUint32(at + 24, true);
    const nameLength = v.getUint16(at + 28, true);
    const extra = v.getUint16(at + 30, true);
    const comment = v.getUint16(at + 32, true);
    const local = v.getUint32(at + 42, true);
    const name = new TextDecoder().decode(bytes.subarray(at + 46, at + 46 + nameLength));
    at += 46 + nameLength + extra + comment;
    // The local header must repeat what the central directory says.
    assert.equal(v.getUint32(local, true), 0x04034b50, `local header of ${name}`);
    assert.equal(v.getUint16(local + 8, true), method, `${name} method`);
    assert.equal(v.getUint32(local + 14, true), crc, `${name} local CRC`);
    assert.equal(v.getUint32(local + 18, true), compressedSize, `${name} local compressed size`);
    assert.equal(v.getUint32(local + 22, true), size, `${name} local size`);
    const localName = v.getUint16(local + 26, true);
    const localExtra = v.getUint16(local + 28, true);
    const start = local + 30 + localName + localExtra;
    const body = bytes.subarray(start, start + compressedSize);
    const data = method === 0 ? body.slice() : await inflateRaw(body);
    entries.push({ name, method, crc, compressedSize, size, date, time, data });
  }
  assert.equal(at, eocd, "central directory size matches its entries");
  return entries;
}

async function inflateRaw(data: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([data as Uint8Array<ArrayBuffer>]).stream().pipeThrough(
    new DecompressionStream("deflate-raw"),
  );
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** Bit-by-bit CRC-32 (reflected polynomial 0xEDB88320), no table: the reference for crc32(). */
function slowCrc32(data: Uint8Array): number {
  let c = 0xffffffff;
  for (const byte of data) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return (c ^ 0xffffffff) >>> 0;
}

/** Runs a command; null when the program is not installed. */
async function tryRun(cmd: string, args: string[]): Promise<{ code: number; out: string } | null> {
  try {
    const r = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
    return { code: r.code, out: new TextDecoder().decode(r.stdout) + new TextDecoder().decode(r.stderr) };
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
}

async function listDir(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const e of Deno.readDir(dir)) names.push(e.name);
  return names.sort();
}

const text = (s: string) => new TextEncoder().encode(s);

// ---------------------------------------------------------------------------------------------
// ZIP

Deno.test("crc32() gives the standard check value and matches a bit-by-bit reference", () => {
  assert.equal(crc32(text("123456789")), 0xcbf43926);
  assert.equal(crc32(new Uint8Array(0)), 0);
  const random = seededRandom(3);
  const bytes = Uint8Array.from({ length: 1001 }, () => Math.floor(random() * 256));
  assert.equal(crc32(bytes), slowCrc32(bytes));
  assert.equal(crc32(bytes.subarray(500), crc32(bytes.subarray(0, 500))), crc32(bytes), "continues a CRC");
});

Deno.test("createZip() writes entries that an independent central-directory reader inflates back", async () => {
  const random = seededRandom(11);
  const noise = Uint8Array.from({ length: 300 }, () => Math.floor(random() * 256));
  const tsv = text(
    "index\tprediction\n" + Array.from({ length: 500 }, (_, i) => `${i}\tentailment\n`).join(""),
  );
  const entries = [
    { name: "MNLI-m.tsv", data: tsv },
    { name: "noise.bin", data: noise },
    { name: "empty.tsv", data: new Uint8Array(0) },
  ];
  const zip = await createZip(entries, { modified: new Date(Date.UTC(2024, 4, 17, 13, 45, 30)) });
  const parsed = await parseZip(zip);
  assert.deepEqual(parsed.map((e) => e.name), ["MNLI-m.tsv", "noise.bin", "empty.tsv"]);
  for (const [i, e] of parsed.entries()) {
    assert.deepEqual(e.data, entries[i]!.data, `${e.name} round-trips`);
    assert.equal(e.size, entries[i]!.data.length);
    assert.equal(e.crc, slowCrc32(entries[i]!.data), `${e.name} CRC`);
    // DOS date/time of 2024-05-17 13:45:30.
    assert.equal(e.date, ((2024 - 1980) << 9) | (5 << 5) | 17);
    assert.equal(e.time, (13 << 11) | (45 << 5) | 15);
  }
  assert.equal(parsed[0]!.method, 8, "repetitive text is deflated");
  assert.ok(parsed[0]!.compressedSize < tsv.length / 5);
  assert.equal(parsed[1]!.method, 0, "random bytes are stored");
  assert.equal(parsed[2]!.method, 0, "an empty file is stored");
});

Deno.test("createZip() is deterministic and rejects duplicate or absolute names", async () => {
  const entries = [{ name: "a.tsv", data: text("index\tprediction\n0\t1\n") }];
  assert.deepEqual(await createZip(entries), await createZip(entries));
  await assert.rejects(
    () => createZip([...entries, ...entries]),
    /^RangeError: Cannot create ZIP: duplicate entry name "a.tsv"$/,
  );
  await assert.rejects(() => createZip([{ name: "/etc/x", data: new Uint8Array(1) }]), RangeError);
});

Deno.test("createZip() output passes unzip -t and python3 -m zipfile -t where installed", async () => {
  const dir = await Deno.makeTempDir({ prefix: "glue_zip_" });
  const path = `${dir}/t.zip`;
  const tsv = text(
    "index\tprediction\n" + Array.from({ length: 200 }, (_, i) => `${i}\t${i % 3}\n`).join(""),
  );
  await Deno.writeFile(
    path,
    await createZip([{ name: "CoLA.tsv", data: tsv }, { name: "x.bin", data: text("x") }]),
  );
  const unzip = await tryRun("unzip", ["-t", path]);
  if (unzip !== null) {
    assert.equal(unzip.code, 0, unzip.out);
    assert.match(unzip.out, /No errors detected/);
  }
  const python = await tryRun("python3", ["-m", "zipfile", "-t", path]);
  if (python !== null) assert.equal(python.code, 0, python.out);
  // The checks must be able to fail: a flipped byte in the compressed data breaks the CRC.
  const broken = await Deno.readFile(path);
  broken[30 + "CoLA.tsv".length + 5]! ^= 0xff;
  await Deno.writeFile(path, broken);
  const unzipBroken = await tryRun("unzip", ["-t", path]);
  if (unzipBroken !== null) assert.notEqual(unzipBroken.code, 0, "unzip -t detects corruption");
  await Deno.remove(dir, { recursive: true });
});

// ---------------------------------------------------------------------------------------------
// Prediction files

Deno.test("formatDevPredictions() writes a header and index, prediction, label with label strings", () => {
  assert.equal(
    formatDevPredictions("MNLI-mm", [0, 1, 2], [1, 1, 0]),
    "index\tprediction\tlabel\n0\tcontradiction\tentailment\n1\tentailment\tentailment\n2\tneutral\tcontradiction\n",
  );
  assert.equal(
    formatDevPredictions("QNLI", [1, 0], [1, 1], ["q7", "q9"]),
    "index\tprediction\tlabel\nq7\tnot_entailment\tnot_entailment\nq9\tentailment\tnot_entailment\n",
  );
  assert.equal(formatDevPredictions("CoLA", [1], [0]), "index\tprediction\tlabel\n0\t1\t0\n");
  // STS-B: full float64 precision, not clipped, so the metrics can be recomputed from the file.
  const p = [5.25, Math.fround(1.1), -0.5];
  const lines = formatDevPredictions("STS-B", p, [4.8, 1.2, 0]).trimEnd().split("\n").slice(1);
  assert.deepEqual(lines.map((l) => Number(l.split("\t")[1])), p);
  assert.deepEqual(lines.map((l) => l.split("\t")[2]), ["4.8", "1.2", "0"]);
});

Deno.test("formatDevPredictions() rejects mismatched lengths, unknown classes and NaN scores", () => {
  assert.throws(
    () => formatDevPredictions("RTE", [0, 1], [0]),
    /^RangeError: Cannot format RTE dev predictions: 2 predictions but 1 labels/,
  );
  assert.throws(
    () => formatDevPredictions("RTE", [0, 2], [0, 1]),
    /prediction 1 is 2, expected a class id in 0\.\.1$/,
  );
  assert.throws(
    () => formatDevPredictions("MNLI-m", [0.5], [0]),
    /prediction 0 is 0\.5, expected a class id in 0\.\.2$/,
  );
  assert.throws(
    () => formatDevPredictions("STS-B", [NaN], [1]),
    /prediction 0 is NaN, expected a finite score$/,
  );
  assert.throws(
    () => formatDevPredictions("SST-2", [0], [0], ["a", "b"]),
    /: 2 indices for 1 predictions, expected equal$/,
  );
});

Deno.test("writeDevPredictions() writes predictions/<SET>-dev.tsv for the shipped RTE dev half", async () => {
  const dir = await Deno.makeTempDir({ prefix: "glue_pred_" });
  const rte = await readGlue(GLUE, "RTE", "dev");
  const labels = rte.examples.map((e) => e.label!);
  const predictions = labels.map(() => 0); // always "entailment"
  const path = await writeDevPredictions(dir, "RTE", predictions, labels, rte.examples.map((e) => e.index!));
  assert.equal(path, `${dir}/predictions/RTE-dev.tsv`);
  assert.equal(devPredictionsPath(dir, "MNLI-m"), `${dir}/predictions/MNLI-m-dev.tsv`);
  const lines = (await Deno.readTextFile(path)).trimEnd().split("\n");
  assert.equal(lines[0], DEV_PREDICTIONS_HEADER);
  assert.equal(lines.length - 1, 138);
  const rows = lines.slice(1).map((l) => l.split("\t"));
  assert.ok(rows.every((r) => r.length === 3 && r[1] === "entailment"));
  assert.deepEqual(rows.map((r) => r[0]), rte.examples.map((e) => e.index));
  // The accuracy recomputed from the file's label strings is the metric's.
  const fromFile = rows.filter((r) => r[1] === r[2]).length / rows.length;
  assert.equal(fromFile, evaluateDevSet("RTE", predictions, labels).accuracy);
  assert.deepEqual(await listDir(`${dir}/predictions`), ["RTE-dev.tsv"], "no temporary file left");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("formatSubmission() uses label strings for MNLI/AX/QNLI/RTE, 0/1 elsewhere, STS-B clipped to 3 decimals", () => {
  const vocabulary: Record<GlueSubmissionName, string[]> = {
    "CoLA": ["0", "1"],
    "SST-2": ["0", "1"],
    "MRPC": ["0", "1"],
    "QQP": ["0", "1"],
    "WNLI": ["0", "1"],
    "STS-B": [],
    "MNLI-m": ["contradiction", "entailment", "neutral"],
    "MNLI-mm": ["contradiction", "entailment", "neutral"],
    "AX": ["contradiction", "entailment", "neutral"],
    "QNLI": ["entailment", "not_entailment"],
    "RTE": ["entailment", "not_entailment"],
  };
  for (const name of GLUE_SUBMISSION_NAMES) {
    const ids = vocabulary[name].map((_, i) => i);
    if (name === "STS-B") continue;
    const lines = formatSubmission(name, ids).trimEnd().split("\n");
    assert.equal(lines[0], SUBMISSION_HEADER, name);
    assert.deepEqual(lines.slice(1), ids.map((i) => `${i}\t${vocabulary[name][i]}`), name);
  }
  assert.equal(
    formatSubmission("STS-B", [-0.3, 0, 2.71828, 4.9996, 5.7], [10, 11, 12, 13, 14]),
    "index\tprediction\n10\t0.000\n11\t0.000\n12\t2.718\n13\t5.000\n14\t5.000\n",
  );
  assert.equal(formatSubmissionValue("AX", 2), "neutral");
  assert.throws(
    () => formatSubmissionValue("QNLI", 2),
    /^RangeError: Cannot format QNLI submission: prediction is 2/,
  );
  assert.throws(
    () => formatSubmission("STS-B", [Infinity]),
    /prediction 0 is Infinity, expected a finite score$/,
  );
});

Deno.test("writeSubmissionZip() zips the eleven server files at the root and reports counts", async () => {
  const dir = await Deno.makeTempDir({ prefix: "glue_sub_" });
  const random = seededRandom(5);
  const written = new Map<GlueSubmissionName, string>();
  for (const name of GLUE_SUBMISSION_NAMES) {
    const task = GLUE_TEST_SETS[name].task;
    // WNLI with its official 146 rows; the others small, as from sample data.
    const n = name === "WNLI" ? 146 : 3 + Math.floor(random() * 5);
    const classes = task === "MNLI" || task === "AX" ? 3 : 2;
    const predictions = Array.from(
      { length: n },
      () => task === "STS-B" ? random() * 6 - 0.5 : Math.floor(random() * classes),
    );
    const path = await writeSubmissionFile(dir, name, predictions);
    assert.equal(path, submissionPath(dir, name));
    assert.equal(path, `${dir}/submission/${name}.tsv`);
    written.set(name, await Deno.readTextFile(path));
  }
  const report = await writeSubmissionZip(dir);
  assert.equal(report.path, `${dir}/submission.zip`);
  assert.deepEqual(report.included, GLUE_SUBMISSION_NAMES);
  assert.deepEqual(report.missing, []);
  assert.deepEqual(report.wrongRows.map((w) => w.name), GLUE_SUBMISSION_NAMES.filter((n) => n !== "WNLI"));
  assert.equal(report.wrongRows.find((w) => w.name === "QQP")!.expected, 390965);
  const entries = await parseZip(await Deno.readFile(report.path));
  assert.deepEqual(entries.map((e) => e.name), [
    "CoLA.tsv",
    "SST-2.tsv",
    "MRPC.tsv",
    "STS-B.tsv",
    "QQP.tsv",
    "MNLI-m.tsv",
    "MNLI-mm.tsv",
    "QNLI.tsv",
    "RTE.tsv",
    "WNLI.tsv",
    "AX.tsv",
  ]);
  for (const e of entries) {
    const name = e.name.slice(0, -4) as GlueSubmissionName;
    assert.equal(new TextDecoder().decode(e.data), written.get(name), `${e.name} in the zip equals the file`);
  }
  const sts = written.get("STS-B")!.trimEnd().split("\n").slice(1).map((l) => l.split("\t")[1]!);
  assert.ok(sts.every((s) => /^\d\.\d{3}$/.test(s) && Number(s) >= 0 && Number(s) <= 5), sts.join(" "));
  assert.deepEqual(await listDir(dir), ["submission", "submission.zip"], "no temporary file left");
  const unzip = await tryRun("unzip", ["-t", report.path]);
  if (unzip !== null) assert.equal(unzip.code, 0, unzip.out);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("writeSubmissionZip() lists missing files and refuses an empty submission", async () => {
  const dir = await Deno.makeTempDir({ prefix: "glue_sub_" });
  await assert.rejects(
    () => writeSubmissionZip(dir),
    /^Error: Cannot write ".*submission\.zip": no submission files in/,
  );
  await writeSubmissionFile(dir, "RTE", [0, 1, 1], ["0", "1", "2"]);
  const report = await writeSubmissionZip(dir);
  assert.deepEqual(report.included, ["RTE"]);
  assert.equal(report.missing.length, 10);
  assert.ok(report.missing.includes("AX"));
  assert.deepEqual(report.wrongRows, [{ name: "RTE", rows: 3, expected: 3000 }]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("writeFileAtomic() replaces a file whole and leaves no temporary file when it fails", async () => {
  const dir = await Deno.makeTempDir({ prefix: "glue_atomic_" });
  await writeFileAtomic(`${dir}/a/b.txt`, "first");
  await writeFileAtomic(`${dir}/a/b.txt`, "second");
  assert.equal(await Deno.readTextFile(`${dir}/a/b.txt`), "second");
  await Deno.mkdir(`${dir}/a/dir.txt`);
  await Deno.writeTextFile(`${dir}/a/dir.txt/x`, "keeps the directory non-empty");
  await assert.rejects(
    () => writeFileAtomic(`${dir}/a/dir.txt`, "x"),
    (e: Error) => e.message.startsWith(`Cannot write "${dir}/a/dir.txt": `) && !e.message.includes("\n"),
  );
  assert.deepEqual(await listDir(`${dir}/a`), ["b.txt", "dir.txt"]);
  await Deno.remove(dir, { recursive: true });
});

// ---------------------------------------------------------------------------------------------
// Results

const mrpcRun = (seed: number, f1: number, accuracy: number, wallSeconds = 10) => ({
  seed,
  metrics: { MRPC: { f1, accuracy } },
  wallSeconds,
});

Deno.test("summarizeTask() gives the mean and sample std over seeds of every metric and the score", () => {
  const r = summarizeTask({
    task: "MRPC",
    n: { MRPC: 408 },
    hyperparameters: { lr: 2e-5, batchSize: 32 },
    runs: [mrpcRun(1, 0.88, 0.82), mrpcRun(2, 0.90, 0.86), mrpcRun(3, 0.86, 0.84)],
    wallSeconds: 31.5,
  });
  assert.deepEqual(r.seeds, [1, 2, 3]);
  // Per seed: (88+82)/2 = 85, (90+86)/2 = 88, (86+84)/2 = 85.
  assert.deepEqual(r.runs.map((x) => Number(x.score.toFixed(9))), [85, 88, 85]);
  assert.ok(Math.abs(r.score - 86) < 1e-9);
  assert.ok(Math.abs(r.scoreStd - Math.sqrt(3)) < 1e-9, `${r.scoreStd}`); // ((1+4+1)/2)^0.5
  assert.ok(Math.abs(r.metrics.MRPC!.f1! - 0.88) < 1e-12);
  assert.ok(Math.abs(r.metrics.MRPC!.accuracy! - 0.84) < 1e-12);
  assert.ok(Math.abs(r.std.MRPC!.f1! - 0.02) < 1e-12); // sqrt((0 + 0.0004 + 0.0004) / 2)
  assert.ok(Math.abs(r.std.MRPC!.accuracy! - 0.02) < 1e-12);
  const one = summarizeTask({
    task: "RTE",
    n: {},
    hyperparameters: {},
    runs: [{ seed: 4, metrics: { RTE: { accuracy: 0.7 } } }],
    wallSeconds: 1,
  });
  assert.equal(one.scoreStd, 0);
  assert.equal(one.std.RTE!.accuracy, 0);
  assert.throws(
    () =>
      summarizeTask({
        task: "MNLI",
        n: {},
        hyperparameters: {},
        runs: [{ seed: 1, metrics: { "MNLI-m": { accuracy: 0.8 } } }],
        wallSeconds: 1,
      }),
    /^RangeError: Cannot score MNLI: no accuracy for dev set MNLI-mm$/,
  );
  assert.throws(
    () => summarizeTask({ task: "RTE", n: {}, hyperparameters: {}, runs: [], wallSeconds: 0 }),
    /no runs/,
  );
});

Deno.test("pickBestTrial() picks the best mean dev score, the first on ties", () => {
  const rte = (seed: number, accuracy: number) => ({ seed, metrics: { RTE: { accuracy } } });
  const { index, trials } = pickBestTrial("RTE", [
    { hyperparameters: { lr: 5e-5 }, runs: [rte(1, 0.60), rte(2, 0.70)] },
    { hyperparameters: { lr: 4e-5 }, runs: [rte(1, 0.66), rte(2, 0.66)] },
    { hyperparameters: { lr: 3e-5 }, runs: [rte(1, 0.66), rte(2, 0.66)] },
    { hyperparameters: { lr: 2e-5 }, runs: [rte(1, 0.62), rte(2, 0.62)] },
  ]);
  // Means 65, 66, 66, 62: the second and third tie, the second comes first.
  assert.equal(index, 1);
  assert.deepEqual(trials.map((t) => Math.round(t.score * 1e9) / 1e9), [65, 66, 66, 62]);
  assert.deepEqual(trials[2]!.seeds, [1, 2]);
});

Deno.test("buildResults() orders tasks, lists the missing ones and carries the three aggregates", () => {
  const rte = summarizeTask({
    task: "RTE",
    n: { RTE: 277 },
    hyperparameters: { lr: 2e-5 },
    runs: [{ seed: 1, metrics: { RTE: { accuracy: 0.7 } } }],
    wallSeconds: 5,
  });
  const mrpc = summarizeTask({
    task: "MRPC",
    n: { MRPC: 408 },
    hyperparameters: { lr: 2e-5 },
    runs: [mrpcRun(1, 0.9, 0.8)],
    wallSeconds: 7,
  });
  const r = buildResults({ model: "tiny", tasks: [rte, mrpc], created: "2025-01-01T00:00:00.000Z" });
  assert.equal(r.format, "glue-results/1");
  assert.deepEqual(Object.keys(r.tasks), ["MRPC", "RTE"]);
  assert.deepEqual(r.missing, ["CoLA", "SST-2", "STS-B", "QQP", "MNLI", "QNLI", "WNLI"]);
  assert.deepEqual(Object.keys(r.aggregates), ["glue", "bert", "electra"]);
  assert.ok(Math.abs(r.aggregates.glue.value! - (85 + 70) / 2) < 1e-9);
  assert.ok(Math.abs(r.aggregates.bert.value! - (90 + 70) / 2) < 1e-9, "BERT style uses MRPC F1");
  assert.ok(Math.abs(r.aggregates.electra.value! - (80 + 70) / 2) < 1e-9, "ELECTRA style uses MRPC acc");
  assert.ok(Object.values(r.aggregates).every((a) => a.partial && a.definition.length > 40));
  assert.throws(() => buildResults({ model: "x", tasks: [rte, rte] }), /task RTE given twice/);
});

Deno.test("writeResults() writes results.json that reads back and results.md with the paper-style table", async () => {
  const dir = await Deno.makeTempDir({ prefix: "glue_results_" });
  const mnli = summarizeTask({
    task: "MNLI",
    n: { "MNLI-m": 9815, "MNLI-mm": 9832 },
    hyperparameters: { lr: 3e-5, epochs: 3 },
    runs: [
      {
        seed: 1,
        metrics: { "MNLI-m": { accuracy: 0.846 }, "MNLI-mm": { accuracy: 0.834 } },
        wallSeconds: 100,
      },
      {
        seed: 2,
        metrics: { "MNLI-m": { accuracy: 0.844 }, "MNLI-mm": { accuracy: 0.840 } },
        wallSeconds: 101,
      },
    ],
    wallSeconds: 201.25,
  });
  const sts = summarizeTask({
    task: "STS-B",
    n: { "STS-B": 1500 },
    hyperparameters: { lr: 2e-5 },
    runs: [{ seed: 1, metrics: { "STS-B": { pearson: 0.878, spearman: 0.865 } } }],
    wallSeconds: 12,
  });
  const results = buildResults({ model: "ours | concentrated", tasks: [mnli, sts] });
  const paths = await writeResults(dir, results);
  assert.deepEqual(await listDir(dir), ["results.json", "results.md"]);
  const back = await readResults(paths.json);
  assert.deepEqual(back, JSON.parse(JSON.stringify(results)));
  assert.deepEqual(back.tasks.MNLI!.runs.map((r) => r.seed), [1, 2]);
  assert.equal(back.tasks.MNLI!.n["MNLI-mm"], 9832);
  assert.equal(back.tasks.MNLI!.wallSeconds, 201.25);
  assert.deepEqual(back.tasks.MNLI!.hyperparameters, { lr: 3e-5, epochs: 3 });

  const md = await Deno.readTextFile(paths.markdown);
  const lines = md.split("\n");
  const header = lines.find((l) => l.startsWith("| Model | CoLA"))!;
  assert.equal(
    header,
    "| Model | CoLA (MCC) | SST-2 (acc) | MRPC (F1/acc) | STS-B (Pearson/Spearman) | QQP (F1/acc) | MNLI (m/mm acc) | QNLI (acc) | RTE (acc) | WNLI (acc) | GLUE |",
  );
  // MNLI mean over seeds: m 84.5, mm 83.7 (score 84.1); STS-B 87.8/86.5 (87.15); GLUE 85.625, partial.
  assert.ok(
    lines.includes("| ours \\| concentrated | - | - | - | 87.8/86.5 | - | 84.5/83.7 | - | - | - | 85.6* |"),
    md,
  );
  assert.match(md, /\\\* partial: over the tasks run only/);
  assert.match(
    md,
    /\| ours \\\| concentrated \| \d+\.\d \(partial, 2\/9\) \| \d+\.\d \(partial, 3\/9\) \| \d+\.\d \(partial, 2\/8\) \|/,
  );
  assert.match(md, /- \*\*GLUE score \(BERT-paper style\)\*\*: mean over 9 columns \(8 tasks\)/);
  assert.match(
    md,
    /GLUE dev average \(ELECTRA\/CCM style\): \d+\.\d \(partial: 2 of 8 tasks; missing CoLA, SST-2, MRPC, QQP, QNLI, RTE\)/,
  );
  assert.match(
    md,
    /\| ours \\\| concentrated \| MNLI \| 84\.1 ± 0\.1 \| 2 \(1, 2\) \| MNLI-m 9815, MNLI-mm 9832 \| lr=0\.00003, epochs=3 \| 201\.3 s \|/,
  );

  assert.match(
    md,
    /\| ours \\\| concentrated \| STS-B \| 87\.1 \| 1 \(1\) \| 1500 \| lr=0\.00002 \| 12\.0 s \|/,
    "one seed: no std",
  );
  // Several models: one row each, in the order given.
  const other = buildResults({ model: "baseline", tasks: [sts] });
  const both = formatResultsMarkdown([other, results]).split("\n").filter((l) =>
    /^\| (baseline|ours)/.test(l)
  );
  assert.equal(both[0]!.startsWith("| baseline | - | - | - | 87.8/86.5 |"), true);
  assert.equal(both[1]!.startsWith("| ours \\| concentrated |"), true);
  await assert.rejects(
    () => readResults(`${dir}/results.md`),
    /^Error: Cannot read GLUE results ".*results\.md": /,
  );
  await Deno.remove(dir, { recursive: true });
});
