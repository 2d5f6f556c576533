/**
 * Every command explains itself and refuses bad input the same way: `--help` and `-h` exit 0 and
 * list every flag with its description; deno.json's task descriptions are the commands' summaries;
 * a bad flag or value exits 2 with one line naming the flag; config files are JSONC read by a real
 * parser.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { type CommandSpec, readCommand } from "../config/command.ts";
import { readSettingsFile } from "../config/file.ts";
import { BENCH_COMMAND } from "../tasks/bench.ts";
import { CONCENTRATE_COMMAND } from "../tasks/concentrate.ts";
import { DOCTOR_COMMAND } from "../tasks/doctor.ts";
import { EXPERIMENT_COMMAND } from "../tasks/experiment.ts";
import { FILL_MASK_COMMAND } from "../tasks/fill_mask.ts";
import { GLUE_COMMAND } from "../tasks/glue.ts";
import { MASKS_COMMAND } from "../tasks/masks.ts";
import { PRETRAIN_COMMAND } from "../tasks/pretrain.ts";
import { PROBE_COMMAND } from "../tasks/probe.ts";
import { SHARDS_COMMAND } from "../tasks/shards.ts";
import { TOKENIZE_COMMAND } from "../tasks/tokenize.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const COMMANDS: CommandSpec<unknown, unknown>[] = [
  PRETRAIN_COMMAND,
  EXPERIMENT_COMMAND,
  GLUE_COMMAND,
  CONCENTRATE_COMMAND,
  MASKS_COMMAND,
  SHARDS_COMMAND,
  TOKENIZE_COMMAND,
  FILL_MASK_COMMAND,
  PROBE_COMMAND,
  DOCTOR_COMMAND,
  BENCH_COMMAND,
] as CommandSpec<unknown, unknown>[];
const TASKS = (JSON.parse(await Deno.readTextFile(join(ROOT, "deno.json"))) as {
  tasks: Record<string, { description: string; command: string }>;
}).tasks;

async function deno(args: string[], cwd = ROOT): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), { args, cwd, stdout: "piped", stderr: "piped" })
    .output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: decode(out.stdout), stderr: decode(out.stderr) };
}

Deno.test("every deno.json task but test and ok is a command here, described by its summary", () => {
  const names = Object.keys(TASKS).filter((t) => t !== "test" && t !== "ok");
  assert.deepEqual(names.sort(), COMMANDS.map((c) => c.name).sort());
  for (const c of COMMANDS) assert.equal(TASKS[c.name]!.description, c.summary, c.name);
  for (const [name, task] of Object.entries(TASKS)) assert.ok(task.description.length > 20, name);
});

Deno.test("every `deno task <name> --help` and `-h` exits 0 and lists every flag with its description", async () => {
  await Promise.all(COMMANDS.flatMap((c) =>
    ["--help", "-h"].map(async (flag) => {
      const r = await deno(["task", "-q", c.name, flag]);
      assert.equal(r.code, 0, `${c.name} ${flag}: ${r.stderr}`);
      // (Deno itself may note on stderr that it fetched or cached something.)
      assert.ok(!/^error/m.test(r.stderr), `${c.name} ${flag}: ${r.stderr}`);
      assert.ok(r.stdout.startsWith(`Usage: deno task ${c.name}`), r.stdout.slice(0, 80));
      assert.ok(r.stdout.includes(c.summary), `${c.name}: no summary`);
      assert.match(r.stdout, /\nExamples?:\n {2}deno task /);
      const fields = [...c.settings.fields, ...(c.options?.fields ?? [])];
      for (
        const f of fields.flatMap((f) => (f.kind === "settings"
          ? f.nested!.fields.map((n) => ({
            ...n,
            flag: `${f.flag}.${n.flag.slice(2)}`,
          }))
          : [f])
        )
      ) {
        assert.ok(f.description.length > 5, `${c.name} ${f.flag} has no description`);
        const line = r.stdout.split("\n").findIndex((l) => l.trimStart().split(" ")[0] === f.flag);
        assert.ok(line >= 0, `${c.name} --help lacks ${f.flag}`);
        assert.ok(
          r.stdout.split("\n")[line + 1]!.includes(f.description),
          `${c.name} ${f.flag}: description`,
        );
      }
    })
  ));
});

Deno.test("pretrain: a bad flag or value exits 2 with one line naming the flag", async () => {
  const cases: [string[], RegExp][] = [
    [["--steps", "0"], /^error: --steps must be a positive integer or none, got 0$/],
    [["--steps", "-5"], /^error: --steps cannot be negative: expected a positive integer or none, got -5$/],
    [["--steps", "1.5"], /^error: --steps must be a positive integer or none, got 1\.5$/],
    [["--preset", "nonexistent"], /^error: --preset must be one of tiny, mini, small, medium, base, large/],
    [["--backend", "tpu"], /^error: --backend must be one of auto, dawn, deno, cpu, got "tpu"$/],
    [["--seq-len", "4"], /^error: --seq-len must be an integer in \[8, 512\], got 4$/],
    [["--budget", "lots"], /^error: --budget must be a size such as 500KB/],
    [["--lr", "fast"], /^error: --lr must be a positive number, got "fast"$/],
    [["--frobnicate"], /^error: unknown option --frobnicate/],
    [["--steps"], /^error: --steps needs a value$/],
    [["--steps", "5", "--flops", "1e12"], /^error: give --steps or --flops, not both$/],
    [["--batch", "30", "--grad-accum", "4"], /^error: --batch 30 is not a multiple of --grad-accum 4$/],
    [["extra"], /^error: unexpected argument "extra"/],
  ];
  await Promise.all(cases.map(async ([args, pattern]) => {
    const r = await deno(["run", "-A", "tasks/pretrain.ts", ...args]);
    // Deno's own notes (waiting for the node_modules lock when many start at once) are not ours.
    const lines = r.stderr.trimEnd().split("\n").filter((l) => !/Blocking|Download|Initialize/.test(l));
    assert.equal(r.code, 2, `${args.join(" ")}: exit ${r.code}: ${r.stderr}`);
    assert.equal(lines.length, 1, `${args.join(" ")}: ${r.stderr}`);
    assert.match(lines[0]!, pattern);
  }));
});

Deno.test("config files are JSONC: comments, trailing commas and a BOM pass, string values stay exact", async () => {
  const dir = await Deno.makeTempDir({ prefix: "commands_test_" });
  try {
    const path = `${dir}/run.jsonc`;
    await Deno.writeTextFile(
      path,
      '\uFEFF{\n  // where the run goes\n  "out": "a,]b", /* and */ "name": "x // not a comment",\n  "steps": 3,\n}\n',
    );
    const layer = await readSettingsFile(path);
    assert.deepEqual(layer.values, { out: "a,]b", name: "x // not a comment", steps: 3 });
    const run = await readCommand(PRETRAIN_COMMAND, ["--config", path, "--lr", "2e-4"]);
    if (run === "help") throw new Error("help");
    const s = run.settings();
    assert.deepEqual([s.out, s.name, s.steps, s.flops, s.lr], ["a,]b", "x // not a comment", 3, null, 2e-4]);

    await Deno.writeTextFile(path, '{\n  "out": "x",\n  "lr": 1e-3 "steps": 3\n}\n');
    await assert.rejects(
      () => readSettingsFile(path),
      /Cannot read config .*run\.jsonc line 3 column \d+: comma expected/,
    );
    await Deno.writeTextFile(path, '{ "lr": "high" }');
    const bad = await readCommand(PRETRAIN_COMMAND, ["--config", path]);
    if (bad === "help") throw new Error("help");
    assert.throws(() => bad.settings(), /run\.jsonc: "lr" must be a positive number, got "high"/);
    await Deno.writeTextFile(path, '{ "learning_rate": 1 }');
    const unknown = await readCommand(PRETRAIN_COMMAND, ["--config", path]);
    if (unknown === "help") throw new Error("help");
    assert.throws(() => unknown.settings(), /run\.jsonc: "learning_rate" is not a setting of pretrain/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
