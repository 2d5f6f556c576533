import assert from "node:assert/strict";
import { CONCEPTNET_MAX_LINE_BYTES, formatSkippedLines, loadConceptNet } from "../data/conceptnet.ts";
import { type BadLine, readTextLines, splitTextLines } from "../data/lines.ts";
import { loadScoringGraph } from "../data/concentrate/scorer.ts";
import { CONCENTRATE_SETTINGS } from "../data/concentrate/settings.ts";
import { UsageError } from "../config/errors.ts";
import { prepareMasking } from "../masking/prepare.ts";
import { loadVocab } from "../data/vocab.ts";
import { messageOf, seededRandom } from "./_helpers.ts";

const ROOT = new URL("..", import.meta.url);
const CORES = navigator.hardwareConcurrency || 1;
const encode = (text: string) => new TextEncoder().encode(text);
const GOOD_EDGES = "IsA\tcat\tanimal\t1.0\nIsA\tdog\tanimal\t1.0\n";

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "concentrate_hostile_test_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** `text` with one byte `0xFF` put where `@` stands. */
function withBadByte(text: string): Uint8Array {
  const bytes = encode(text);
  bytes[bytes.indexOf(0x40)] = 0xff;
  return bytes;
}

async function command(
  file: string,
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `tasks/${file}`, ...args],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
}

async function collect(lines: AsyncIterable<string>): Promise<string[]> {
  const all: string[] = [];
  for await (const line of lines) all.push(line);
  return all;
}

Deno.test("a ConceptNet line of 10 MB is skipped and counted, and the lines after it still load", async () => {
  await withTempDir(async (dir) => {
    // Four columns and a numeric weight: well formed but for its size, so only the limit drops it.
    const huge = `IsA\t${"a".repeat(10_000_000)}\tanimal\t1.0\n`;
    const path = `${dir}/long.txt`;
    await Deno.writeTextFile(path, "IsA\tcat\tanimal\t1.0\n" + huge + "IsA\tdog\tanimal\t1.0\n");
    const { graph, report } = await loadConceptNet(path);
    assert.deepEqual([report.lines, report.malformed, report.kept], [3, 1, 2]);
    assert.deepEqual(report.malformedSamples, [
      { line: 2, reason: `longer than ${CONCEPTNET_MAX_LINE_BYTES} bytes (${huge.length - 1} bytes)` },
    ]);
    assert.deepEqual(graph.terms.toSorted(), ["animal", "cat", "dog"]);
  });
});

Deno.test("readTextLines() reads a 10 MB line whole when no limit is set", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/long.txt`;
    const long = "é".repeat(5_000_000); // 10 MB of two-byte characters, cut across every chunk
    await Deno.writeTextFile(path, `first\r\n${long}\r\nlast`);
    const lines = await collect(readTextLines(path));
    assert.deepEqual(lines.map((l) => l.length), [5, long.length, 4]);
    assert.ok(lines[1] === long, "the long line comes back unchanged");
  });
});

Deno.test("splitTextLines() gives the same lines whatever the chunk sizes", async () => {
  const random = seededRandom(14);
  const pieces = ["a", "word ", "é", "中", "😀", "\t", "\n", "\r\n", "\n\n", "\ufeff"];
  for (const maxChunk of [1, 3, 7, 64, 100_000]) {
    let text = "\ufeff";
    for (let i = 0; i < 3000; i++) text += pieces[Math.floor(random() * pieces.length)];
    const bytes = encode(text);
    const chunks: Uint8Array[] = [];
    for (let at = 0; at < bytes.length;) {
      const n = 1 + Math.floor(random() * maxChunk);
      chunks.push(bytes.slice(at, at + n));
      at += n;
    }
    const expected = text.slice(1).split("\n").map((l) => l.endsWith("\r") ? l.slice(0, -1) : l);
    if (expected.at(-1) === "") expected.pop();
    const got = await collect(
      splitTextLines(ReadableStream.from(chunks), { fail: (why) => new Error(why) }),
    );
    assert.deepEqual(got, expected, `chunks of up to ${maxChunk} bytes`);
  }
});

Deno.test("a non-UTF-8 byte is named by its file, line and byte, however far into the file", async () => {
  await withTempDir(async (dir) => {
    const early = `${dir}/early.txt`;
    await Deno.writeFile(early, withBadByte("one\ntwo\nthr@e\nfour\n"));
    assert.equal(
      await messageOf(() => collect(readTextLines(early, { label: "corpus file" }))),
      `Cannot read corpus file "${early}": not valid UTF-8 on line 3 (byte 4 of the line is 0xFF); ` +
        "expected UTF-8 text",
    );
    // Past the first chunks, and gzip: the line is still exact, not "somewhere after".
    const far = `${dir}/far.txt.gz`;
    const body = withBadByte("a fine line of text\n".repeat(70_000) + "bad @ here\nafter\n");
    await Deno.writeFile(far, await gzip(body));
    assert.match(
      await messageOf(() => collect(readTextLines(far, { label: "input" }))),
      /^Cannot read input ".*far\.txt\.gz": not valid UTF-8 on line 70001 \(byte 5 of the line is 0xFF\)/,
    );
    // A sequence cut short by the end of the file is as bad as a stray byte.
    const cut = `${dir}/cut.txt`;
    await Deno.writeFile(cut, encode("ok\nend \u20ac").subarray(0, -1));
    assert.match(
      await messageOf(() => collect(readTextLines(cut))),
      /not valid UTF-8 on line 2 \(byte 5 of the line is 0xE2\)/,
    );
  });
});

Deno.test("splitTextLines() skips bad lines in order when asked, keeping the line numbers", async () => {
  const bytes = new Uint8Array([
    ...encode(`ok\n${"x".repeat(50)}\n`),
    ...withBadByte("b@d\n"),
    ...encode("last"),
  ]);
  const chunks = Array.from({ length: Math.ceil(bytes.length / 3) }, (_, i) => bytes.slice(3 * i, 3 * i + 3));
  const bad: BadLine[] = [];
  const lines = await collect(
    splitTextLines(ReadableStream.from(chunks), {
      fail: (why) => new Error(why),
      maxLineBytes: 10,
      onBadLine: (b) => bad.push(b),
    }),
  );
  assert.deepEqual(lines, ["ok", "last"]);
  assert.deepEqual(bad, [
    { line: 2, reason: "longer than 10 bytes (50 bytes)" },
    { line: 3, reason: "not valid UTF-8 (byte 2 of the line is 0xFF)" },
  ]);
  // Without onBadLine the first of them fails the read.
  assert.equal(
    await messageOf(() =>
      collect(
        splitTextLines(ReadableStream.from(chunks), { fail: (why) => new Error(why), maxLineBytes: 10 }),
      )
    ),
    "line 2 is longer than the 10 bytes a line may have (50 bytes)",
  );
});

Deno.test("loadConceptNet() skips and counts a non-UTF-8 line, and the warning names it", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/cn.txt`;
    await Deno.writeFile(path, withBadByte(`${GOOD_EDGES}IsA\tca@t\tpet\t1.0\nHasA\tcat\tfur\t1.0\n`));
    const { graph, report } = await loadConceptNet(path);
    assert.deepEqual([report.lines, report.malformed, report.kept], [4, 1, 3]);
    assert.ok(!graph.terms.some((t) => t.includes("\ufffd")), "no replacement character got in");
    assert.equal(
      formatSkippedLines(report),
      `warning: ConceptNet file ${path}: skipped 1 malformed line of 4 ` +
        "(first: line 3, not valid UTF-8 (byte 7 of the line is 0xFF))",
    );
    await Deno.writeTextFile(path, GOOD_EDGES);
    assert.equal(formatSkippedLines((await loadConceptNet(path)).report), null);
  });
});

Deno.test("a ConceptNet file without line ends is refused with one line, not read into memory", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/blob.csv`;
    await Deno.writeTextFile(path, "x\t".repeat(1_500_000));
    assert.equal(
      await messageOf(() => loadConceptNet(path)),
      `Cannot load ConceptNet file ${path}: none of its 1 data lines is a ConceptNet edge ` +
        `(line 1: longer than ${CONCEPTNET_MAX_LINE_BYTES} bytes (3000000 bytes))`,
    );
  });
});

Deno.test("loading ConceptNet for scoring or masking reports skipped lines even with a quiet log", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/cn.txt`;
    await Deno.writeFile(path, withBadByte(`${GOOD_EDGES}Is@\tx\ty\t1\n`));
    const warned: string[] = [];
    const { info } = await loadScoringGraph({ conceptnet: path }, (line) => warned.push(line));
    assert.equal(info.malformed, 1);
    await prepareMasking({ masking: "concept", conceptnet: path }, {
      vocab: await loadVocab(),
      log: () => {},
      warn: (line) => warned.push(line),
    });
    const expected = `warning: ConceptNet file ${path}: skipped 1 malformed line of 3 ` +
      "(first: line 3, not valid UTF-8 (byte 3 of the line is 0xFF))";
    assert.deepEqual(warned, [expected, expected]);
  });
});

Deno.test("--workers above the machine's cores is a usage error naming the flag and the maximum", async () => {
  const many = CORES + 14;
  // A missing corpus and a scratch --out: were the cap gone, this would fail fast and write nothing.
  const r = await command(
    "concentrate.ts",
    ...["--corpus", "/no/such/corpus.txt", "--budget", "1KB", "--out", "/no/such/out"],
    ...["--workers", String(many)],
  );
  assert.equal(r.code, 2, r.stderr);
  assert.deepEqual(r.stderr.split("\n").filter((l) => l.startsWith("error:")), [
    `error: --workers must be at most ${CORES} on this machine (${CORES} cores), got ${many}`,
  ]);
  // From code too, and the default stays within the cap.
  assert.ok(CONCENTRATE_SETTINGS.defaults().workers <= CORES);
  assert.throws(
    () => CONCENTRATE_SETTINGS.withDefaults({ workers: many }),
    (e: Error) => e instanceof UsageError && e.message.startsWith(`workers must be at most ${CORES}`),
  );
});

Deno.test("concentrate skips a non-UTF-8 ConceptNet line and says so on stderr and in its summary", async () => {
  await withTempDir(async (dir) => {
    const conceptnet = `${dir}/cn.txt`;
    await Deno.writeFile(conceptnet, withBadByte(`${GOOD_EDGES}IsA\tca@t\tpet\t1.0\nHasA\tcat\tfur\t1.0\n`));
    const corpus = `${dir}/corpus.txt`;
    await Deno.writeTextFile(
      corpus,
      Array.from({ length: 30 }, (_, i) => `The cat is an animal with fur, number ${i}.\n`).join("\n"),
    );
    const r = await command(
      "concentrate.ts",
      ...["--corpus", corpus, "--conceptnet", conceptnet, "--budget", "300B", "--workers", "1"],
      ...["--out", `${dir}/out`],
    );
    assert.equal(r.code, 0, r.stderr);
    assert.ok(
      r.stderr.split("\n").includes(
        `warning: ConceptNet file ${conceptnet}: skipped 1 malformed line of 4 ` +
          "(first: line 3, not valid UTF-8 (byte 7 of the line is 0xFF))",
      ),
      r.stderr,
    );
    assert.match(r.stdout, /\n {2}ConceptNet: skipped 1 malformed of its 4 lines\n/);
    const report = JSON.parse(await Deno.readTextFile(`${dir}/out/report.json`));
    assert.equal(report.inputs.scorer_info.malformed, 1);
  });
});

async function gzip(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(
    new CompressionStream("gzip"),
  );
  return new Uint8Array(await new Response(stream).arrayBuffer());
}
