import assert from "node:assert/strict";
import { BertTokenizer } from "../data/tokenizer.ts";
import { SAMPLE_CORPUS as WIKI_SAMPLE } from "../data/samples.ts";

const ROOT = new URL("..", import.meta.url);
const tok = await BertTokenizer.load();

async function tokenize(
  args: string[],
  stdin?: string,
): Promise<{ code: number; stdout: string; stderr: string; errors: string[] }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "tasks/tokenize.ts", ...args],
    cwd: ROOT,
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(stdin));
    await writer.close();
  }
  const out = await child.output();
  const stderr = new TextDecoder().decode(out.stderr);
  const errors = stderr.split("\n").filter((l) => l.startsWith("error:"));
  return { code: out.code, stdout: new TextDecoder().decode(out.stdout), stderr, errors };
}

async function tempFile(content: string | Uint8Array, suffix = ".txt"): Promise<string> {
  const path = await Deno.makeTempFile({ suffix });
  if (typeof content === "string") await Deno.writeTextFile(path, content);
  else await Deno.writeFile(path, content);
  return path;
}

Deno.test("tokenize writes one line of ids per input line, with [CLS] and [SEP] by default", async () => {
  const path = await tempFile("i like strawberries\nHéllo, world!\n\nno final newline");
  try {
    const r = await tokenize([path]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      r.stdout,
      "101 1045 2066 13137 20968 102\n101 7592 1010 2088 999 102\n101 102\n101 2053 2345 2047 4179 102\n",
    );
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("tokenize reads stdin with -, and --json --no-special --max-length shape the output", async () => {
  const r = await tokenize(
    ["--json", "--no-special", "--max-length", "3", "-"],
    "i like strawberries\r\nhello\n",
  );
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.stdout.trim().split("\n").map((l) => JSON.parse(l)), [[1045, 2066, 13137], [7592]]);
  const capped = await tokenize(["--max-length=4", "-"], "i like strawberries\n");
  assert.equal(capped.stdout, "101 1045 2066 102\n");
});

Deno.test("tokenize reads a gzipped Wikipedia file: same line count, same ids as the library", async () => {
  const r = await tokenize([WIKI_SAMPLE[0]!]);
  assert.equal(r.code, 0, r.stderr);
  const stream = (await Deno.open(WIKI_SAMPLE[0]!)).readable.pipeThrough(new DecompressionStream("gzip"))
    .pipeThrough(new TextDecoderStream());
  let text = "";
  for await (const chunk of stream) text += chunk;
  const lines = text.split("\n").slice(0, -1);
  const out = r.stdout.split("\n").slice(0, -1);
  assert.equal(out.length, lines.length);
  for (const k of [0, 1, 2, 100, lines.length - 1]) assert.equal(out[k], tok.encode(lines[k]!).ids.join(" "));
});

Deno.test("tokenize rejects bad flags and arguments with exit code 2 and one line", async () => {
  for (
    const [args, pattern] of [
      [["--frobnicate", "x"], /unknown option --frobnicate/],
      [[], /--input is required/],
      [["a", "b"], /expected one FILE\|-, got 2/],
      [["--max-length", "1", "-"], /--max-length must be at least 2 to hold \[CLS\] and \[SEP\], got 1/],
      [["--max-length", "x", "-"], /--max-length must be a positive integer or none, got "x"/],
    ] as const
  ) {
    const r = await tokenize([...args], "");
    assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.equal(r.errors.length, 1, r.stderr);
    assert.match(r.errors[0]!, pattern);
  }
});

Deno.test("tokenize reports a missing file, a bad gzip, bad UTF-8 and a bad vocab with exit code 1 and the path", async () => {
  const badGzip = await tempFile("not gzip at all\n", ".gz");
  const badText = await tempFile(new Uint8Array([0x68, 0x69, 0xff, 0xfe, 0x0a]));
  const badVocab = await tempFile("[PAD]\n[UNK]\nhello\n");
  try {
    for (
      const [args, pattern] of [
        [["no/such/file.txt"], /Cannot read input "no\/such\/file.txt": no such file/],
        [[badGzip], new RegExp(`Cannot read input "${badGzip}": not a valid gzip stream`)],
        [
          [badText],
          new RegExp(
            `Cannot read input "${badText}": not valid UTF-8 on line 1 \\(byte 3 of the line is 0xFF\\); expected UTF-8 text`,
          ),
        ],
        [
          ["--vocab", badVocab, "-"],
          new RegExp(`Cannot load vocab "${badVocab}".*missing \\[CLS\\], \\[SEP\\], \\[MASK\\]`),
        ],
        [["--vocab", "no/vocab.txt", "-"], /Cannot load vocab "no\/vocab.txt": file not found/],
      ] as const
    ) {
      const r = await tokenize([...args], "");
      assert.equal(r.code, 1, `${args.join(" ")}: ${r.stderr}`);
      assert.equal(r.errors.length, 1, r.stderr);
      assert.match(r.errors[0]!, pattern);
      assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
    }
  } finally {
    for (const p of [badGzip, badText, badVocab]) await Deno.remove(p);
  }
});
