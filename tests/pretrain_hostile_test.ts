/**
 * `deno task pretrain` against hostile input and hostile accidents: each ends in the right
 * behaviour or one `error:` line naming the folder, file or flag, with the right exit code, and
 * nothing a user had is lost. Run folders in crashed states are made from one finished run.
 */
import assert from "node:assert/strict";
import { readOptimizerState, writeOptimizerState } from "../core/checkpoint/optimizer_state.ts";
import { exists } from "../util/files.ts";
import { gpuTestOn } from "./_helpers.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const TMP = await Deno.makeTempDir({ prefix: "pretrain_hostile_" });
const CACHE = `${TMP}/cache`;

// Small and fast, and it still runs every part: bert masking, logging every step, no probe.
const SHORT = [
  "--init",
  "none",
  "--no-probe",
  "--batch",
  "4",
  "--seq-len",
  "32",
  "--max-predictions",
  "5",
  "--masking",
  "bert",
  "--eval-every",
  "0",
  "--log-every",
  "1",
  "--validation",
  "0",
];

interface Cli {
  code: number;
  stdout: string;
  stderr: string;
  /** The last line of stderr. */
  last: string;
}

async function pretrain(...args: string[]): Promise<Cli> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--unstable-webgpu", `${ROOT}tasks/pretrain.ts`, "--backend", "dawn", ...args],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  const stderr = decode(out.stderr);
  return { code: out.code, stdout: decode(out.stdout), stderr, last: stderr.trim().split("\n").at(-1)! };
}

/** A WikiExtractor folder (`AA/wiki_00`, `AA/wiki_01.gz`) of a few short articles. */
async function wikiFolder(dir: string): Promise<string> {
  await Deno.mkdir(`${dir}/AA`, { recursive: true });
  const doc = (id: number) =>
    `<doc id="${id}" url="https://en.wikipedia.org/wiki?curid=${id}" title="Article ${id}">\nArticle ${id}\n\n` +
    `The river ${id} flows north through the valley, past farms where people grow wheat and barley. ` +
    `Its water feeds a lake that birds visit in spring, and a town was built on its bank in ${
      1800 + id
    }.\n</doc>\n`;
  await Deno.writeTextFile(`${dir}/AA/wiki_00`, [1, 2, 3, 4].map(doc).join(""));
  const gz = new Blob([[5, 6, 7, 8].map(doc).join("")]).stream().pipeThrough(new CompressionStream("gzip"));
  await Deno.writeFile(`${dir}/AA/wiki_01.gz`, gz);
  return dir;
}

let finished: string | null = null;

/** A finished two-step run (made once), copied to `name` for a test to damage. */
async function finishedRun(name: string): Promise<string> {
  if (finished === null) {
    const data = await wikiFolder(`${TMP}/wiki`);
    finished = `${TMP}/finished`;
    const r = await pretrain(...SHORT, "--data", data, "--steps", "2", "--cache", CACHE, "--out", finished);
    assert.equal(r.code, 0, r.stderr);
  }
  const copy = `${TMP}/${name}`;
  await copyDir(finished, copy);
  return copy;
}

/** Makes a finished run look as if it had died after its step-2 save, with `steps` planned. */
async function crashedAfterSave(name: string, steps: number): Promise<string> {
  const run = await finishedRun(name);
  const config = JSON.parse(await Deno.readTextFile(`${run}/config.json`));
  config.steps = steps;
  await Deno.writeTextFile(`${run}/config.json`, JSON.stringify(config, null, 2));
  for (const f of ["summary.json", "summary.md", "trainer_state.json", "metrics.csv", "loss.svg"]) {
    await Deno.remove(`${run}/${f}`);
  }
  return run;
}

async function copyDir(from: string, to: string): Promise<void> {
  await Deno.mkdir(to, { recursive: true });
  for await (const entry of Deno.readDir(from)) {
    if (entry.isDirectory) await copyDir(`${from}/${entry.name}`, `${to}/${entry.name}`);
    else await Deno.copyFile(`${from}/${entry.name}`, `${to}/${entry.name}`);
  }
}

/** Every file under `dir` with its bytes, for byte-for-byte comparison. */
async function snapshot(dir: string, prefix = ""): Promise<Map<string, Uint8Array>> {
  const files = new Map<string, Uint8Array>();
  for await (const entry of Deno.readDir(`${dir}/${prefix}`)) {
    const rel = `${prefix}${entry.name}`;
    if (entry.isDirectory) { for (const [k, v] of await snapshot(dir, `${rel}/`)) files.set(k, v); }
    else files.set(rel, await Deno.readFile(`${dir}/${rel}`));
  }
  return files;
}

function assertSameFiles(after: Map<string, Uint8Array>, before: Map<string, Uint8Array>): void {
  assert.deepEqual([...after.keys()].sort(), [...before.keys()].sort());
  for (const [name, bytes] of before) assert.deepEqual(after.get(name), bytes, `${name} changed`);
}

gpuTestOn("dawn", "pretrain --data <a WikiExtractor folder> trains on its articles", async () => {
  const run = await finishedRun("wiki-data");
  const summary = JSON.parse(await Deno.readTextFile(`${run}/summary.json`));
  assert.equal(summary.status, "completed");
  assert.equal(summary.steps, 2);
  assert.equal(summary.data.path, `${TMP}/wiki`);
  assert.ok(summary.data.train_sequences > 0);
});

gpuTestOn(
  "dawn",
  "pretrain into an existing run's --out is refused and the run stays byte-identical",
  async () => {
    const run = await finishedRun("same-out");
    const before = await snapshot(run);
    const r = await pretrain(
      ...SHORT,
      "--data",
      `${TMP}/wiki`,
      "--steps",
      "2",
      "--cache",
      CACHE,
      "--out",
      run,
    );
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.last, /^error: --out .*same-out already holds .*--resume .*--overwrite$/);
    assertSameFiles(await snapshot(run), before);
  },
);

gpuTestOn("dawn", "pretrain --overwrite replaces a run's files and keeps the user's own", async () => {
  const run = await finishedRun("overwrite");
  await Deno.writeTextFile(`${run}/notes.txt`, "mine");
  await Deno.mkdir(`${run}/checkpoint-7`); // a stale save of the old run
  const r = await pretrain(
    ...SHORT,
    "--data",
    `${TMP}/wiki`,
    "--steps",
    "1",
    "--cache",
    CACHE,
    "--out",
    run,
    "--overwrite",
  );
  assert.equal(r.code, 0, r.stderr);
  assert.equal(await Deno.readTextFile(`${run}/notes.txt`), "mine");
  assert.equal(await exists(`${run}/checkpoint-7`), false);
  assert.equal(await exists(`${run}/checkpoint-2`), false);
  const lines = (await Deno.readTextFile(`${run}/metrics.jsonl`)).trim().split("\n");
  assert.deepEqual(lines.map((l) => JSON.parse(l).step), [1], "one run's records, not two");
});

gpuTestOn("dawn", "pretrain --resume of a completed run changes nothing and exits 0", async () => {
  const run = await finishedRun("resume-done");
  const before = await snapshot(run);
  const r = await pretrain("--resume", run);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /completed all 2 steps already; nothing to resume, nothing changed/);
  assertSameFiles(await snapshot(run), before);
});

gpuTestOn(
  "dawn",
  "pretrain --resume recovers a checkpoint left as checkpoint.old by a crash mid-save",
  async () => {
    const run = await crashedAfterSave("crash-rename", 3);
    await Deno.rename(`${run}/checkpoint`, `${run}/checkpoint.old`);
    await copyDir(`${run}/checkpoint.old`, `${run}/checkpoint.tmp`);
    await Deno.remove(`${run}/checkpoint.tmp/optimizer.safetensors`); // the new save was cut short
    const r = await pretrain("--resume", run);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /restored it from .*checkpoint\.old/);
    const summary = JSON.parse(await Deno.readTextFile(`${run}/summary.json`));
    assert.equal(summary.status, "completed");
    assert.equal(summary.steps, 3);
    assert.equal(await exists(`${run}/checkpoint.old`), false);
    assert.equal(await exists(`${run}/checkpoint.tmp`), false);
  },
);

gpuTestOn("dawn", "pretrain --resume drops a torn last metrics line with a warning", async () => {
  const run = await crashedAfterSave("torn-metrics", 3);
  const good = await Deno.readTextFile(`${run}/metrics.jsonl`);
  await Deno.writeTextFile(`${run}/metrics.jsonl`, good + '{"kind":"train","step":3,"lo');
  const r = await pretrain("--resume", run);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /warning: dropped the unfinished last line of .*metrics\.jsonl/);
  const steps = (await Deno.readTextFile(`${run}/metrics.jsonl`)).trim().split("\n").map((l) =>
    JSON.parse(l).step
  );
  assert.deepEqual(steps, [1, 2, 3]);
});

gpuTestOn("dawn", "pretrain --resume names a checkpoint whose step is past the run's steps", async () => {
  const run = await crashedAfterSave("step-past", 1);
  const r = await pretrain("--resume", run);
  assert.equal(r.code, 1, r.stderr);
  assert.match(
    r.last,
    /^error: Cannot resume .*step-past: its checkpoint .*optimizer\.safetensors\) is at step 2, past the run's 1 steps$/,
  );
});

gpuTestOn(
  "dawn",
  "pretrain --resume refuses NaN optimizer moments, naming the file and the tensor",
  async () => {
    const run = await crashedAfterSave("nan-moments", 3);
    const path = `${run}/checkpoint/optimizer.safetensors`;
    const state = await readOptimizerState(path);
    state.m[5] = NaN;
    await writeOptimizerState(path, state);
    const r = await pretrain("--resume", run);
    assert.equal(r.code, 1, r.stderr);
    assert.match(
      r.last,
      /^error: Invalid optimizer state .*nan-moments\/checkpoint\/optimizer\.safetensors.*"adam\.m" holds NaN at index 5/,
    );
    assert.doesNotMatch(r.stderr, /--lr/);
  },
);

gpuTestOn("dawn", "pretrain on text with no sequences says so, built or from the cache", async () => {
  await Deno.writeTextFile(`${TMP}/empty.txt`, "\n\n");
  for (const attempt of ["built", "cached"]) {
    const r = await pretrain(
      ...SHORT,
      "--data",
      `${TMP}/empty.txt`,
      "--steps",
      "1",
      "--cache",
      CACHE,
      "--out",
      `${TMP}/empty-run`,
    );
    assert.equal(r.code, 1, `${attempt}: ${r.stderr}`);
    assert.match(
      r.last,
      /^error: Cannot train on .*train\.shard: it holds no sequences \(.*empty\.txt has no text\)/,
      attempt,
    );
    assert.equal(await exists(`${TMP}/empty-run`), false, attempt);
  }
});

gpuTestOn(
  "dawn",
  "pretrain --resume names a folder that is not a run, and refuses --out elsewhere",
  async () => {
    const missing = await pretrain("--resume", `${TMP}/nonexistent`);
    assert.equal(missing.code, 2, missing.stderr);
    assert.match(missing.last, /^error: --resume .*nonexistent: no such run folder$/);
    assert.doesNotMatch(missing.stderr, /--config/);

    await Deno.mkdir(`${TMP}/not-a-run`);
    const notRun = await pretrain("--resume", `${TMP}/not-a-run`);
    assert.equal(notRun.code, 2, notRun.stderr);
    assert.match(
      notRun.last,
      /^error: --resume .*not-a-run: not a pretrain run folder \(it has no config\.json\)$/,
    );

    const run = await finishedRun("resume-elsewhere");
    const moved = await pretrain("--resume", run, "--out", `${TMP}/elsewhere`);
    assert.equal(moved.code, 2, moved.stderr);
    assert.match(moved.last, /^error: --out .*elsewhere: a resumed run continues in its own folder/);
    assert.equal(await exists(`${TMP}/elsewhere`), false);
  },
);

globalThis.addEventListener("unload", () => {
  try {
    Deno.removeSync(TMP, { recursive: true });
  } catch {
    // already gone
  }
});
