/**
 * Hostile checkpoint directories, for every command that loads a model: a config that claims
 * sizes the checkpoint does not hold, a directory without its vocab.txt, and safetensors headers
 * that JSON.parse would read without complaint (a name given twice, offsets written as floats).
 * Each fails in one short line naming the file and what was expected, with exit code 1, before
 * anything is allocated or written.
 */
import assert from "node:assert/strict";
import {
  bertDirVocabPath,
  checkBertDir,
  loadBertClassifierDir,
  loadBertDir,
} from "../core/checkpoint/bert_dir.ts";
import { namesInBrief } from "../core/checkpoint/hf_names.ts";
import { readSafetensors, readSafetensorsHeader } from "../core/checkpoint/safetensors.ts";
import { GENERAL_MODEL } from "../data/samples.ts";
import { messageOf, runTaskFile } from "./_helpers.ts";

const ROOT = new URL("..", import.meta.url).pathname;
// The shipped general tiny BERT (L2/H128/A2, vocab 30522): a real directory to spoil.
const MODEL_FILES = ["config.json", "model.safetensors", "vocab.txt"];
// A million layers against a two-layer checkpoint: 16 tensors per missing layer.
const LAYERS = 1_000_000;
const MISSING = 16 * (LAYERS - 2);

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "checkpoint_hostile_test_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** A copy of the shipped general model in `dir`, without the files of `leaveOut`. */
async function copyModel(dir: string, leaveOut: string[] = []): Promise<string> {
  await Deno.mkdir(dir, { recursive: true });
  for (const f of MODEL_FILES) {
    if (!leaveOut.includes(f)) await Deno.copyFile(`${GENERAL_MODEL}/${f}`, `${dir}/${f}`);
  }
  return dir;
}

/** Rewrites `<dir>/config.json` with `fields` changed. */
async function editConfig(dir: string, fields: Record<string, unknown>): Promise<void> {
  const json = JSON.parse(await Deno.readTextFile(`${dir}/config.json`));
  await Deno.writeTextFile(`${dir}/config.json`, JSON.stringify({ ...json, ...fields }));
}

/** A safetensors file: N as 8 little-endian bytes, the header padded with spaces, then `data`. */
function safetensorsBytes(header: string, data: Uint8Array): Uint8Array {
  const text = [...new TextEncoder().encode(header)];
  while (text.length % 8 !== 0) text.push(0x20);
  const out = new Uint8Array(8 + text.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(text.length), true);
  out.set(text, 8);
  out.set(data, 8 + text.length);
  return out;
}

/** Rewrites the header text of the safetensors file at `path`, keeping its data. */
async function editHeader(path: string, edit: (header: string) => string): Promise<void> {
  const bytes = await Deno.readFile(path);
  const end = 8 + Number(new DataView(bytes.buffer).getBigUint64(0, true));
  const header = new TextDecoder().decode(bytes.subarray(8, end)).trimEnd();
  const edited = edit(header);
  assert.notEqual(edited, header, "the edit changed nothing");
  await Deno.writeFile(path, safetensorsBytes(edited, bytes.subarray(end)));
}

/** One tensor's header entry, as the reference writer spells it. */
const entry = (name: string, shape: string, offsets: string) =>
  `"${name}":{"dtype":"F32","shape":[${shape}],"data_offsets":[${offsets}]}`;

/** Every command that loads a model directory, with the flags that point it at `dir` and `out`. */
function commandsOn(dir: string, out: string): [string, string[]][] {
  return [
    ["pretrain.ts", ["--init", dir, "--steps", "1", "--backend", "cpu", "--no-probe", "--out", out]],
    ["experiment.ts", ["--pretrain.init", dir, "--out", out]],
    ["glue.ts", ["--model", dir, "--tasks", "RTE", "--backend", "cpu", "--out", out]],
    ["fill_mask.ts", ["--model", dir, "--backend", "cpu", "the cat sat on the [MASK] ."]],
    ["probe.ts", ["--model", dir, "--backend", "cpu", "--out", out]],
  ];
}

/** Runs every command on `dir`: each exits 1 with exactly one error line, its `expected`, writing nothing. */
async function assertEveryCommandRefuses(
  dir: string,
  out: string,
  expected: (file: string) => string,
): Promise<void> {
  for (const [file, args] of commandsOn(dir, out)) {
    const r = await runTaskFile(file, ...args);
    assert.equal(r.code, 1, `${file}: ${r.stderr.slice(0, 2000)}`);
    assert.deepEqual(r.errors, [`error: ${expected(file)}`], file);
    // The rest of stderr is the settings a run logs as it starts, not a list of tensors.
    assert.ok(r.stderr.length < 5000, `${file}: ${r.stderr.length} bytes of stderr`);
    assert.ok(r.ms < 20_000, `${file} took ${Math.round(r.ms)} ms`);
    assert.equal(await exists(out), false, `${file} wrote ${out}`);
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

/** The one-line refusal of the general model with a million layers, for the MLM or classification head. */
function millionLayers(dir: string, head: "mlm" | "classification"): string {
  return `Checkpoint "${dir}/model.safetensors" does not match the BERT config ` +
    `(L${LAYERS}/H128/A2/V30522, ${head} head): ${MISSING} tensors missing: ` +
    "bert.encoder.layer.2.attention.self.query.weight, bert.encoder.layer.2.attention.self.query.bias, " +
    "bert.encoder.layer.2.attention.self.key.weight, bert.encoder.layer.2.attention.self.key.bias, " +
    `bert.encoder.layer.2.attention.self.value.weight and ${MISSING - 5} more (config "${dir}/config.json")`;
}

const noVocab = (dir: string) =>
  `Cannot load model "${dir}": it has no vocab.txt (expected "${dir}/vocab.txt", the vocabulary its token ids index)`;

Deno.test("A config of a million layers fails at once against the checkpoint's header, in every loader", async () => {
  await withTempDir(async (root) => {
    const dir = await copyModel(`${root}/model`);
    await editConfig(dir, { num_hidden_layers: LAYERS });
    const started = performance.now();
    assert.equal(await messageOf(() => loadBertDir(dir, { head: "mlm" })), millionLayers(dir, "mlm"));
    assert.equal(await messageOf(() => checkBertDir(dir)), millionLayers(dir, "mlm"));
    assert.equal(
      await messageOf(() => loadBertClassifierDir(dir, { numLabels: 2 })),
      millionLayers(dir, "classification"),
    );
    const ms = performance.now() - started;
    assert.ok(ms < 5000, `three refusals took ${Math.round(ms)} ms`);
  });
});

Deno.test("Sizes the checkpoint does not hold are refused before anything is allocated, naming the tensors", async () => {
  await withTempDir(async (root) => {
    const dir = await copyModel(`${root}/model`);
    const cases: [Record<string, number>, RegExp][] = [
      [
        { hidden_size: 1 << 20 },
        /\d+ tensors mis-shaped: bert\.embeddings\.word_embeddings\.weight is \[30522,128\], expected \[30522,1048576\]; .* and \d+ more \(config/,
      ],
      [
        { intermediate_size: 1e9 },
        /6 tensors mis-shaped: bert\.encoder\.layer\.0\.intermediate\.dense\.weight is \[512,128\], expected \[1000000000,128\]; /,
      ],
      [
        { vocab_size: 1e9 },
        /2 tensors mis-shaped: bert\.embeddings\.word_embeddings\.weight is \[30522,128\], expected \[1000000000,128\]; cls\.predictions\.bias is \[30522\], expected \[1000000000\] \(config/,
      ],
      [
        { max_position_embeddings: 1e9 },
        /1 tensor mis-shaped: bert\.embeddings\.position_embeddings\.weight is \[512,128\], expected \[1000000000,128\] \(config/,
      ],
      [
        { type_vocab_size: 1e6 },
        /1 tensor mis-shaped: bert\.embeddings\.token_type_embeddings\.weight is \[2,128\], expected \[1000000,128\] \(config/,
      ],
    ];
    for (const [fields, pattern] of cases) {
      await copyModel(dir);
      await editConfig(dir, fields);
      for (const load of [() => loadBertDir(dir, { head: "mlm" }), () => checkBertDir(dir)]) {
        const message = await messageOf(load);
        assert.ok(message.startsWith(`Checkpoint "${dir}/model.safetensors" does not match`), message);
        assert.match(message, pattern);
        assert.ok(!message.includes("\n") && message.length < 1000, `${message.length} characters`);
      }
    }
  });
});

Deno.test("Config sizes that are not positive integers, or heads that do not divide the hidden size, are refused", async () => {
  await withTempDir(async (root) => {
    const dir = await copyModel(`${root}/model`);
    const cases: [Record<string, unknown>, string][] = [
      [{ num_hidden_layers: 0 }, 'field "num_hidden_layers" must be an integer >= 1, got 0'],
      [{ num_hidden_layers: 1.5 }, 'field "num_hidden_layers" must be an integer >= 1, got 1.5'],
      [{ num_hidden_layers: "2" }, 'field "num_hidden_layers" must be an integer, got "2"'],
      [{ vocab_size: 1e300 }, 'field "vocab_size" must be an integer >= 1, got 1e+300'],
      [{ intermediate_size: -512 }, 'field "intermediate_size" must be an integer >= 1, got -512'],
      [{ max_position_embeddings: 0 }, 'field "max_position_embeddings" must be an integer >= 1, got 0'],
      [{ num_attention_heads: 0 }, 'field "num_attention_heads" must be an integer >= 1, got 0'],
      [
        { num_attention_heads: 3 },
        'field "hidden_size" (128) must be a multiple of "num_attention_heads" (3)',
      ],
    ];
    for (const [fields, what] of cases) {
      await copyModel(dir);
      await editConfig(dir, fields);
      const expected = `Invalid BERT config "${dir}/config.json": ${what}`;
      assert.equal(await messageOf(() => loadBertDir(dir, { head: "mlm" })), expected);
      assert.equal(await messageOf(() => checkBertDir(dir)), expected);
    }
  });
});

Deno.test("A classifier head larger than its checkpoint is refused before it is allocated", async () => {
  await withTempDir(async (root) => {
    const dir = await copyModel(`${root}/model`);
    await editConfig(dir, { num_labels: 10_000_000 });
    const message = await messageOf(() => loadBertClassifierDir(dir));
    assert.match(
      message,
      new RegExp(
        `^Cannot load BERT classifier "${dir}": a head of 10000000 outputs would initialise \\d+ parameters, ` +
          `more than the \\d+ of checkpoint "${dir}/model\\.safetensors"$`,
      ),
    );
    assert.equal(await messageOf(() => loadBertClassifierDir(dir, { numLabels: 10_000_000 })), message);
    // A head of a usual size loads.
    assert.equal((await loadBertClassifierDir(dir, { numLabels: 3 })).numLabels, 3);
  });
});

Deno.test("namesInBrief() lists five names, then how many more", () => {
  const names = ["a", "b", "c", "d", "e", "f", "g"];
  assert.equal(namesInBrief(names), "a, b, c, d, e and 2 more");
  assert.equal(namesInBrief(names.slice(0, 6)), "a, b, c, d, e, f");
  assert.equal(namesInBrief(names.slice(0, 6), 1000), "a, b, c, d, e and 995 more");
  assert.equal(namesInBrief(["x is [1]", "y is [2]"], 2, "; "), "x is [1]; y is [2]");
});

Deno.test("A model directory without vocab.txt is refused naming <dir>/vocab.txt; the shipped ones have theirs", async () => {
  await withTempDir(async (root) => {
    const dir = await copyModel(`${root}/model`, ["vocab.txt"]);
    assert.equal(await messageOf(() => bertDirVocabPath(dir)), noVocab(dir));
    assert.equal(await messageOf(() => checkBertDir(dir)), noVocab(dir));
    // A directory named vocab.txt is no vocabulary either.
    await Deno.mkdir(`${dir}/vocab.txt`);
    assert.equal(await messageOf(() => bertDirVocabPath(dir)), noVocab(dir));
  });
  assert.equal(await bertDirVocabPath(GENERAL_MODEL), `${GENERAL_MODEL}/vocab.txt`);
  assert.equal(
    await bertDirVocabPath(`${ROOT}data/bert-base-uncased`),
    `${ROOT}data/bert-base-uncased/vocab.txt`,
  );
  const general = await checkBertDir(GENERAL_MODEL);
  assert.equal(general.config.num_hidden_layers, 2);
  assert.equal(general.vocabPath, `${GENERAL_MODEL}/vocab.txt`);
});

Deno.test("safetensors: a name given twice in the header is refused, naming the file and the tensor", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/twice.safetensors`;
    const data = new Uint8Array(8);
    const cases: [string, string][] = [
      // The same bytes twice: JSON.parse keeps one and the file would read as if nothing were wrong.
      [
        `{${entry("a", "1", "0,4")},${entry("b", "1", "4,8")},${entry("a", "1", "0,4")}}`,
        'tensor "a" is given twice in the header',
      ],
      [`{${entry("a", "1", "0,4")},${entry("a", "1", "4,8")}}`, 'tensor "a" is given twice in the header'],
      [
        `{"a":{"dtype":"F32","shape":[1],"dtype":"F32","data_offsets":[0,4]},${entry("b", "1", "4,8")}}`,
        'tensor "a": field "dtype" is given twice',
      ],
      [
        `{"__metadata__":{"format":"pt"},"__metadata__":{},${entry("a", "2", "0,8")}}`,
        '"__metadata__" is given twice in the header',
      ],
      [
        `{"__metadata__":{"format":"pt","format":"tf"},${entry("a", "2", "0,8")}}`,
        '"__metadata__": field "format" is given twice',
      ],
    ];
    for (const [header, what] of cases) {
      await Deno.writeFile(path, safetensorsBytes(header, data));
      const expected = `Invalid safetensors file "${path}": ${what}`;
      assert.equal(await messageOf(() => readSafetensorsHeader(path)), expected);
      assert.equal(await messageOf(() => readSafetensors(path)), expected);
    }

    // In a model directory: the loaders name the model file.
    const model = await copyModel(`${dir}/model`);
    const name = "bert.embeddings.LayerNorm.bias";
    await editHeader(`${model}/model.safetensors`, (header) => {
      const copy = new RegExp(`"${name.replaceAll(".", "\\.")}":\\{[^}]*\\}`).exec(header)![0];
      return `${header.slice(0, -1)},${copy}}`;
    });
    const expected =
      `Invalid safetensors file "${model}/model.safetensors": tensor "${name}" is given twice in the header`;
    assert.equal(await messageOf(() => loadBertDir(model, { head: "mlm" })), expected);
    assert.equal(await messageOf(() => checkBertDir(model)), expected);
    assert.equal(await messageOf(() => loadBertClassifierDir(model, { numLabels: 2 })), expected);
  });
});

Deno.test("safetensors: shapes and offsets written as floats are refused, 0.0 included", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/floats.safetensors`;
    const data = new Uint8Array(4);
    const cases: [string, string, string][] = [
      ["1", "0.0,4.0", "data_offsets holds 0.0"],
      ["1", "0,4.0", "data_offsets holds 4.0"],
      ["1", "0,4e0", "data_offsets holds 4e0"],
      ["1", "-0,4", "data_offsets holds -0"],
      ["1.0", "0,4", "shape holds 1.0"],
      ["1E0", "0,4", "shape holds 1E0"],
    ];
    for (const [shape, offsets, what] of cases) {
      await Deno.writeFile(path, safetensorsBytes(`{${entry("w", shape, offsets)}}`, data));
      const expected = `Invalid safetensors file "${path}": tensor "w": ${what}, ` +
        "expected an integer written without a fraction or exponent";
      assert.equal(await messageOf(() => readSafetensorsHeader(path)), expected);
      assert.equal(await messageOf(() => readSafetensors(path)), expected);
    }
    // Written as integers, the same file reads.
    await Deno.writeFile(path, safetensorsBytes(`{${entry("w", "1", "0,4")}}`, data));
    assert.deepEqual((await readSafetensors(path)).get("w")!.shape, [1]);

    const model = await copyModel(`${dir}/model`);
    await editHeader(
      `${model}/model.safetensors`,
      (header) => header.replace('"data_offsets":[0,', '"data_offsets":[0.0,'),
    );
    const message = await messageOf(() => loadBertDir(model, { head: "mlm" }));
    assert.match(
      message,
      new RegExp(
        `^Invalid safetensors file "${model}/model\\.safetensors": tensor "[^"]+": data_offsets holds 0\\.0, ` +
          "expected an integer written without a fraction or exponent$",
      ),
    );
  });
});

Deno.test("Every command that loads a model refuses a config of a million layers: exit 1, one short line", async () => {
  await withTempDir(async (root) => {
    const dir = await copyModel(`${root}/model`);
    await editConfig(dir, { num_hidden_layers: LAYERS });
    // GLUE reads the checkpoint for a classifier; the others for the masked-LM.
    await assertEveryCommandRefuses(
      dir,
      `${root}/out`,
      (file) => millionLayers(dir, file === "glue.ts" ? "classification" : "mlm"),
    );
  });
});

Deno.test("Every command that loads a model refuses a directory without vocab.txt: exit 1, naming it", async () => {
  await withTempDir(async (root) => {
    const dir = await copyModel(`${root}/model`, ["vocab.txt"]);
    await assertEveryCommandRefuses(dir, `${root}/out`, () => noVocab(dir));
  });
});
