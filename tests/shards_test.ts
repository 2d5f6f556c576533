import assert from "node:assert/strict";
import { readDocuments, splitOf } from "../data/corpus.ts";
import { packDocument, type PackTokenizer, SequencePacker } from "../data/packing.ts";
import {
  hashVocabFile,
  readShard,
  readShardHeader,
  SHARD_HEADER_BYTES,
  ShardReader,
  ShardWriter,
  type ShardWriterOptions,
  vocabHash,
} from "../data/shards.ts";
import { BertTokenizer } from "../data/tokenizer.ts";
import { DEFAULT_VOCAB } from "../data/samples.ts";
import { buildShards, type ShardsSummary, validationPath } from "../data/shard_build.ts";
import { readCommand } from "../config/command.ts";
import { SHARDS_COMMAND } from "../tasks/shards.ts";
import { seededRandom } from "./_helpers.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const WIKI_00 = `${ROOT}data/corpus/enwiki-2015-wikiextractor/AA/wiki_00.gz`;
const BERT_VOCAB = `${ROOT}data/bert-base-uncased/vocab.txt`;
const SPECIAL = { cls: 2, sep: 3, pad: 0 };

/** FNV-1a 64 with BigInt, byte by byte, straight from the definition. */
function fnv1a64Reference(bytes: Uint8Array): bigint {
  let h = 0xcbf29ce484222325n;
  for (const b of bytes) h = ((h ^ BigInt(b)) * 0x100000001b3n) & 0xffffffffffffffffn;
  return h;
}

async function inTempDir<T>(body: (dir: string) => Promise<T>): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix: "shards_test_" });
  try {
    return await body(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

// ---------------------------------------------------------------- packing

Deno.test("packDocument() packs whole lines greedily and splits only a line longer than a sequence", () => {
  assert.deepEqual(
    packDocument([[7, 8], [9, 10, 11]], { seqLen: 6, special: { cls: 101, sep: 102, pad: 0 } }),
    [
      Int32Array.of(101, 7, 8, 102, 0, 0),
      Int32Array.of(101, 9, 10, 11, 102, 0),
    ],
  );
  // Room 3: [1] then a 7-id line that fills the room left, then whole sequences, then the rest.
  assert.deepEqual(
    packDocument([[1], [2, 3, 4, 5, 6, 7, 8], [], [9]], { seqLen: 5, special: { cls: 5, sep: 6, pad: 9 } }),
    [
      Int32Array.of(5, 1, 2, 3, 6),
      Int32Array.of(5, 4, 5, 6, 6),
      Int32Array.of(5, 7, 8, 9, 6),
    ],
  );
  assert.deepEqual(packDocument([[]], { seqLen: 5, special: SPECIAL }), []);
  assert.throws(() => packDocument([[1]], { seqLen: 2, special: SPECIAL }), RangeError);
});

Deno.test("SequencePacker keeps its invariants on random documents", () => {
  const seqLen = 32;
  const room = seqLen - 2;
  const rand = seededRandom(7);
  // Every id is distinct (from 10 up), so where each one landed can be traced back.
  let next = 10;
  const docs = Array.from({ length: 300 }, () =>
    Array.from({ length: Math.floor(rand() * 12) }, () => {
      const long = rand() < 0.08;
      const n = long ? room + 1 + Math.floor(rand() * 100) : Math.floor(rand() * 40);
      return Array.from({ length: n }, () => next++);
    }));
  const where = new Map<number, { doc: number; line: number; first: boolean; lineLength: number }>();
  docs.forEach((lines, doc) =>
    lines.forEach((ids, line) =>
      ids.forEach((id, k) => where.set(id, { doc, line, first: k === 0, lineLength: ids.length }))
    )
  );

  const seqs: Int32Array[] = [];
  const packer = new SequencePacker({ seqLen, special: SPECIAL }, (s) => seqs.push(s));
  docs.forEach((lines, d) => lines.forEach((ids) => packer.add(`doc ${d}`, ids)));
  packer.flush();

  const contents = seqs.map((s, i) => {
    assert.equal(s.length, seqLen, `sequence ${i}: length`);
    assert.equal(s[0], SPECIAL.cls, `sequence ${i} starts with [CLS]`);
    const sep = s.indexOf(SPECIAL.sep);
    assert.ok(sep >= 2, `sequence ${i} has content and a [SEP]`);
    assert.ok(s.subarray(sep + 1).every((x) => x === SPECIAL.pad), `sequence ${i}: only [PAD] after [SEP]`);
    const content = [...s.subarray(1, sep)];
    assert.ok(content.every((x) => x >= 10), `sequence ${i}: no special id inside`);
    return content;
  });
  // No id lost, duplicated or reordered.
  assert.deepEqual(contents.flat(), docs.flat(2));
  for (let i = 0; i < contents.length; i++) {
    const c = contents[i]!;
    const docsIn = new Set(c.map((id) => where.get(id)!.doc));
    assert.equal(docsIn.size, 1, `sequence ${i} holds one document`);
    // A line that fits in a sequence is never cut.
    for (const id of c) {
      const w = where.get(id)!;
      if (w.lineLength <= room) {
        assert.ok(
          c.filter((x) => where.get(x)!.line === w.line && where.get(x)!.doc === w.doc).length ===
            w.lineLength,
        );
      }
    }
    // Greedy: a sequence ends short only when the next line of its document would not fit.
    const after = contents[i + 1]?.[0];
    if (after !== undefined && where.get(after)!.doc === where.get(c[0]!)!.doc && c.length < room) {
      const w = where.get(after)!;
      assert.ok(w.first && c.length + w.lineLength > room, `sequence ${i} closed early`);
    }
  }
  const tokens = docs.flat(2).length;
  assert.deepEqual(packer.stats, { sequences: seqs.length, tokens, padding: seqs.length * room - tokens });
});

// ---------------------------------------------------------------- shards

Deno.test("vocabHash() is FNV-1a 64: published vectors, random bytes and the shipped vocab", async () => {
  const enc = new TextEncoder();
  assert.equal(vocabHash(enc.encode("")), 0xcbf29ce484222325n);
  assert.equal(vocabHash(enc.encode("a")), 0xaf63dc4c8601ec8cn);
  assert.equal(vocabHash(enc.encode("foobar")), 0x85944171f73967e8n);
  const rand = seededRandom(3);
  const bytes = Uint8Array.from({ length: 5000 }, () => Math.floor(rand() * 256));
  assert.equal(vocabHash(bytes), fnv1a64Reference(bytes));
  assert.equal(await hashVocabFile(BERT_VOCAB), fnv1a64Reference(await Deno.readFile(BERT_VOCAB)));
});

function randomSequences(n: number, seqLen: number, vocabSize: number, seed: number): Uint32Array {
  const rand = seededRandom(seed);
  return Uint32Array.from({ length: n * seqLen }, () => Math.floor(rand() * vocabSize));
}

async function writeShard(path: string, options: ShardWriterOptions, ids: ArrayLike<number>): Promise<void> {
  const writer = await ShardWriter.create(path, options);
  const all = Uint32Array.from(ids);
  for (let at = 0; at < all.length; at += options.seqLen) {
    await writer.write(all.subarray(at, at + options.seqLen));
  }
  await writer.close();
}

for (
  const [vocabSize, seqLen, n, width] of [
    [30522, 128, 9000, Uint16Array], // 2.3 MB: crosses the writer's 1 MiB chunks
    [70000, 7, 1001, Uint32Array],
  ] as const
) {
  Deno.test(`a shard round-trips exactly (vocab ${vocabSize}: ${width.name})`, async () => {
    await inTempDir(async (dir) => {
      const path = `${dir}/x.shard`;
      const ids = randomSequences(n, seqLen, vocabSize, vocabSize);
      const hash = 0x0123456789abcdefn;
      const options = {
        vocabHash: hash,
        vocabSize,
        seqLen,
        special: SPECIAL,
        split: "train",
        validation: 0.01,
        seed: 9,
      } as const;
      await writeShard(path, options, ids);
      assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["x.shard"]);
      const bytesPerId = vocabSize <= 65536 ? 2 : 4;
      assert.equal((await Deno.stat(path)).size, SHARD_HEADER_BYTES + n * seqLen * bytesPerId);

      const { header, ids: back } = await readShard(path, { vocabHash: hash, seqLen });
      assert.ok(back instanceof width);
      assert.deepEqual(back, width.from(ids));
      assert.deepEqual(header, {
        version: 1,
        vocabHash: hash,
        vocabSize,
        seqLen,
        sequences: n,
        idBytes: bytesPerId,
        split: "train",
        special: SPECIAL,
        validation: Math.fround(0.01),
        seed: 9,
      });
      assert.deepEqual(await readShardHeader(path), header);

      const reader = await ShardReader.open(path);
      try {
        const streamed: number[] = [];
        for await (const batch of reader.stream(999)) for (const id of batch) streamed.push(id);
        assert.deepEqual(streamed, [...ids]);
        // Concurrent random reads are queued, never interleaved.
        const ranges = [[0, 1], [n - 1, 1], [17, 300], [n - 5, 5], [3, 0]] as const;
        const got = await Promise.all(ranges.map(([f, c]) => reader.read(f, c)));
        ranges.forEach(([f, c], i) =>
          assert.deepEqual([...got[i]!], [...ids.subarray(f * seqLen, (f + c) * seqLen)])
        );
        assert.throws(() => reader.read(n, 1), /past its/);
      } finally {
        reader.close();
      }
    });
  });
}

Deno.test("a shard is written under a temporary name and only renamed when closed", async () => {
  await inTempDir(async (dir) => {
    const path = `${dir}/t.shard`;
    const options = { vocabHash: 1n, vocabSize: 10, seqLen: 4, special: SPECIAL };
    const writer = await ShardWriter.create(path, options);
    await writer.write([2, 5, 3, 0]);
    const names = [...Deno.readDirSync(dir)].map((e) => e.name);
    assert.equal(names.length, 1, names.join(" "));
    assert.match(names[0]!, new RegExp(`^t\\.shard\\.${Deno.pid}\\.\\d+\\.tmp$`));
    await assert.rejects(writer.write([2, 10, 3, 0]), /id 10 is outside the vocab of 10/);
    await assert.rejects(writer.write([2, 3, 0]), /sequence has 3 ids, expected 4/);
    await writer.abort();
    assert.deepEqual([...Deno.readDirSync(dir)], []);

    // An empty shard is valid, and closing replaces an older file.
    await Deno.writeTextFile(path, "old");
    const empty = await ShardWriter.create(path, options);
    assert.equal((await empty.close()).sequences, 0);
    assert.equal((await readShard(path)).ids.length, 0);
    await assert.rejects(
      ShardWriter.create(path, { ...options, special: { ...SPECIAL, cls: 10 } }),
      RangeError,
    );
  });
});

Deno.test("a shard of another version, vocab or length, truncated or foreign, is refused in one line", async () => {
  await inTempDir(async (dir) => {
    const path = `${dir}/r.shard`;
    const hash = await hashVocabFile(BERT_VOCAB);
    await writeShard(
      path,
      { vocabHash: hash, vocabSize: 30522, seqLen: 8, special: SPECIAL },
      randomSequences(5, 8, 30522, 1),
    );
    const good = await Deno.readFile(path);
    const expect = { vocabHash: hash, seqLen: 8, vocabPath: "data/bert-base-uncased/vocab.txt" };
    const refused = async (bytes: Uint8Array | null, pattern: RegExp, exp = expect) => {
      if (bytes) await Deno.writeFile(path, bytes);
      await assert.rejects(readShard(path, exp), (e: Error) => {
        assert.ok(!e.message.includes("\n"), e.message);
        assert.ok(e.message.startsWith(`Cannot read shard "${path}": `), e.message);
        assert.match(e.message, pattern);
        assert.ok(e.message.includes("re-run `deno task shards --corpus CORPUS"), e.message);
        return true;
      });
    };
    assert.equal((await readShard(path, expect)).header.sequences, 5);

    const version2 = good.slice();
    new DataView(version2.buffer).setUint32(8, 2, true);
    await refused(version2, /written with shard format version 2, this program reads version 1/);
    await refused(
      good,
      /made with another vocab \(hash [0-9a-f]{16}, expected 0{15}1 of data\/bert-base-uncased\/vocab.txt\).*--vocab data\/bert-base-uncased\/vocab.txt/,
      {
        ...expect,
        vocabHash: 1n,
      },
    );
    await refused(good, /made with sequence length 8, expected 128/, { ...expect, seqLen: 128 });
    await refused(
      good.slice(0, good.length - 1),
      /truncated: 143 bytes, expected 144 for 5 sequences of 8 ids/,
    );
    await refused(good.slice(0, 40), /truncated: 40 bytes, shorter than the 64-byte header/);
    await refused(Uint8Array.of(...good, 0, 0), /2 bytes past the end of its 5 sequences/);
    await refused(new TextEncoder().encode("[PAD]\n[UNK]\n"), /not a token shard \(no "BERTSHRD" magic\)/);
    const badWidth = good.slice();
    badWidth[40] = 4;
    await refused(badWidth, /corrupt header/);
    await Deno.remove(path);
    await assert.rejects(
      readShard(path),
      /^Error: Cannot read shard ".*": no such file; make it with `deno task shards/,
    );
  });
});

// ---------------------------------------------------------------- the command

const TOY_WORDS = ["the", "of", "and", "in", "a", "to", "is", "was", "anarchism", "as", "by", "for"];

/** A whitespace tokenizer over a made-up vocab: [PAD] [UNK] [CLS] [SEP] [MASK] then TOY_WORDS. */
function toyTokenizer(): { vocabText: string; tokenizer: PackTokenizer } {
  const vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", ...TOY_WORDS];
  const ids = new Map(vocab.map((t, i) => [t, i]));
  return {
    vocabText: vocab.join("\n") + "\n",
    tokenizer: {
      tokenize: (text) => text.toLowerCase().split(/\s+/).filter((w) => w !== "").map((w) => ids.get(w) ?? 1),
      special: SPECIAL,
      vocabSize: vocab.length,
    },
  };
}

Deno.test("buildShards() packs the shipped wiki_00.gz: counts add up, the split holds, output is deterministic", async () => {
  await inTempDir(async (dir) => {
    const { vocabText, tokenizer } = toyTokenizer();
    const vocab = `${dir}/vocab.txt`;
    await Deno.writeTextFile(vocab, vocabText);
    const config = {
      corpus: [WIKI_00],
      vocab,
      seq_len: 64,
      out: `${dir}/out/wiki.shard`,
      validation: 0.2,
      seed: 1,
    };
    const summary: ShardsSummary = await buildShards(config, { tokenizer });
    assert.equal(summary.documents, 38);
    assert.equal(summary.files, 1);
    assert.equal(validationPath(config.out), `${dir}/out/wiki.validation.shard`);

    // What each split should hold, computed independently from the documents.
    const want = { train: { docs: 0, lines: 0, tokens: 0 }, validation: { docs: 0, lines: 0, tokens: 0 } };
    for await (const d of readDocuments(WIKI_00)) {
      const w = want[splitOf(d, config)];
      w.docs++;
      w.lines += d.paragraphs.length;
      w.tokens += d.paragraphs.reduce((n, p) => n + tokenizer.tokenize(p).length, 0);
    }
    assert.ok(want.validation.docs > 0 && want.train.docs > 0);
    for (const name of ["train", "validation"] as const) {
      const s = summary[name]!;
      assert.deepEqual([s.documents, s.lines, s.tokens], [
        want[name].docs,
        want[name].lines,
        want[name].tokens,
      ]);
      const { header, ids } = await readShard(s.path, { vocabHash: await hashVocabFile(vocab), seqLen: 64 });
      assert.equal(header.split, name);
      assert.equal(header.sequences, s.sequences);
      assert.equal(header.vocabSize, TOY_WORDS.length + 5);
      const content = ids.filter((x) => x !== SPECIAL.cls && x !== SPECIAL.sep && x !== SPECIAL.pad);
      assert.equal(content.length, s.tokens);
      assert.equal(ids.filter((x) => x === SPECIAL.cls).length, s.sequences);
    }
    const first = await Deno.readFile(config.out);
    await buildShards(config, { tokenizer });
    assert.deepEqual(await Deno.readFile(config.out), first);
    assert.deepEqual([...Deno.readDirSync(`${dir}/out`)].map((e) => e.name).sort(), [
      "wiki.shard",
      "wiki.validation.shard",
    ]);
  });
});

/** The settings and options of a `deno task shards` command line. */
async function shardsArgs(args: string[]) {
  const run = await readCommand(SHARDS_COMMAND, args);
  if (run === "help") throw new Error("help");
  return { ...run.settings(), json: run.options.json };
}

Deno.test("the shards command reads every flag and applies the defaults", async () => {
  assert.deepEqual(await shardsArgs(["--corpus", "a", "--corpus=b", "--out", "o.shard"]), {
    corpus: ["a", "b"],
    vocab: DEFAULT_VOCAB,
    seq_len: 128,
    out: "o.shard",
    validation: 0.01,
    seed: 1,
    json: false,
  });
  const c = await shardsArgs([
    "--corpus",
    "d",
    "--out",
    "o",
    "--seq-len",
    "256",
    "--validation",
    "0",
    "--seed",
    "7",
    "--json",
  ]);
  assert.deepEqual([c.seq_len, c.validation, c.seed, c.json], [256, 0, 7, true]);
  assert.equal(validationPath("o"), "o.validation");
  assert.equal(validationPath("a.b/c"), "a.b/c.validation");
});

async function shardsCommand(...args: string[]): Promise<{ code: number; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "tasks/shards.ts", ...args],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
}

Deno.test("the shards command packs wiki_00.gz with the BERT tokenizer into shards its vocab accepts", async () => {
  await inTempDir(async (dir) => {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "tasks/shards.ts", "--corpus", WIKI_00, "--out", `${dir}/w.shard`, "--json"],
      cwd: ROOT,
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    const summary = JSON.parse(new TextDecoder().decode(out.stdout)) as ShardsSummary;
    assert.equal(summary.documents, 38);
    const { header, ids } = await readShard(`${dir}/w.shard`, {
      vocabHash: await hashVocabFile(BERT_VOCAB),
      seqLen: 128,
    });
    assert.deepEqual([header.vocabSize, header.idBytes, header.special], [30522, 2, {
      cls: 101,
      sep: 102,
      pad: 0,
    }]);
    assert.equal(header.sequences, summary.train.sequences);
    // Anarchism (id 12) is in train at the default split: its first line opens the first sequence.
    const tokenizer = await BertTokenizer.load(BERT_VOCAB);
    const first = (await readDocuments(WIKI_00).next()).value!;
    const expected = tokenizer.encodeIds(first.paragraphs[0]!).slice(0, 126);
    assert.deepEqual([...ids.subarray(0, expected.length + 1)], [101, ...expected]);
  });
});

Deno.test("the shards command exits 2 on bad flags and 1 on bad files, with one line", async () => {
  const vocabless = await Deno.makeTempFile({ suffix: ".txt" });
  await Deno.writeTextFile(vocabless, "[PAD]\n[UNK]\n[CLS]\n[SEP]\nthe\n");
  const cases: [string[], number, RegExp][] = [
    [["--corpus", "x", "--out", "o", "--seq-len", "abc"], 2, /--seq-len must be an integer >= 3, got "abc"/],
    [["--corpus", "x", "--out", "o", "--seq-len", "2"], 2, /--seq-len must be an integer >= 3/],
    [["--corpus", "x", "--out", "o", "--validation", "1.5"], 2, /--validation must be a number in \[0, 1\)/],
    [["--corpus", "x", "--out", "o", "--seed=-1"], 2, /--seed cannot be negative: expected an integer/],
    [["--corpus", "x", "--out", "o", "--frobnicate"], 2, /unknown option --frobnicate/],
    [["--corpus", "x"], 2, /--out is required/],
    [["--out", "o"], 2, /--corpus is required/],
    [["--corpus", "x", "--out", "o", "extra"], 2, /unexpected argument "extra"/],
    [
      ["--corpus", "/nonexistent/wiki", "--out", "o"],
      1,
      /Cannot read corpus "\/nonexistent\/wiki": no such file/,
    ],
    [
      ["--corpus", WIKI_00, "--vocab", vocabless, "--out", "o"],
      1,
      /Cannot load vocab ".*": expected the special tokens .*, missing \[MASK\]/,
    ],
  ];
  try {
    const results = await Promise.all(cases.map(([args]) => shardsCommand(...args)));
    results.forEach((r, i) => {
      const [args, code, pattern] = cases[i]!;
      const lines = r.stderr.trim().split("\n");
      assert.ok(
        r.code === code && lines.length === 1 && pattern.test(lines[0]!),
        `${args.join(" ")}: exit ${r.code}: ${r.stderr}`,
      );
    });
  } finally {
    await Deno.remove(vocabless);
  }
});
