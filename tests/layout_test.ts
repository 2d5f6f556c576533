/**
 * The shape of the code: commands (the files deno.json's tasks run) are imported by nothing but
 * tests; core/ and data/ import nothing from the libraries above them or from tasks/; the libraries
 * never import tasks/; and no import circle exists anywhere.
 */
import assert from "node:assert/strict";
import { dirname, join, relative } from "node:path";

const ROOT = new URL("..", import.meta.url).pathname;

/** Every TypeScript file of the project but the tests, relative to the root. */
async function sources(dir = ROOT): Promise<string[]> {
  const found: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) {
      if (["node_modules", "tests", "out", ".git"].includes(entry.name)) continue;
      found.push(...await sources(path));
    } else if (entry.name.endsWith(".ts")) found.push(relative(ROOT, path));
  }
  return found;
}

/** The project files a file imports (static and dynamic imports of relative paths). */
async function importsOf(file: string): Promise<string[]> {
  const text = await Deno.readTextFile(join(ROOT, file));
  const specifiers = [
    ...text.matchAll(/^\s*(?:import|export)\b[^;]*?\bfrom\s+"(\.[^"]+)"/gms),
    ...text.matchAll(/\bimport\(\s*"(\.[^"]+)"\s*\)/g),
    ...text.matchAll(/new URL\(\s*"(\.[^"]+\.ts)",\s*import\.meta\.url\)/g),
  ].map((m) => m[1]!);
  return specifiers.map((s) => relative(ROOT, join(ROOT, dirname(file), s)));
}

const files = await sources();
const graph = new Map(await Promise.all(files.map(async (f) => [f, await importsOf(f)] as const)));
const taskCommands: string[] = Object.values(
  (JSON.parse(await Deno.readTextFile(join(ROOT, "deno.json"))) as {
    tasks: Record<string, { command: string }>;
  })
    .tasks,
).flatMap((t) => [...t.command.matchAll(/\b(tasks\/\S+\.ts)\b/g)].map((m) => m[1]!));

Deno.test("the module graph is read: imports resolve to project files", () => {
  assert.ok(files.length > 100, `${files.length} files`);
  for (const [file, imports] of graph) {
    for (const target of imports) {
      assert.ok(graph.has(target), `${file} imports ${target}, not a project file`);
    }
  }
});

Deno.test("no command file is imported by another file, and tasks/ holds only commands", () => {
  assert.ok(taskCommands.length >= 10, taskCommands.join(" "));
  for (const [file, imports] of graph) {
    for (const target of imports) {
      assert.ok(!taskCommands.includes(target), `${file} imports the command ${target}`);
      if (!file.startsWith("tasks/")) assert.ok(!target.startsWith("tasks/"), `${file} imports ${target}`);
    }
  }
  for (const file of files.filter((f) => f.startsWith("tasks/"))) {
    assert.ok(taskCommands.includes(file), `${file} is in tasks/ but no deno.json task runs it`);
  }
});

Deno.test("core/ and data/ import nothing from the libraries above them", () => {
  const above = ["tasks/", "masking/", "pretrain/", "glue/", "probe/", "experiment/", "bench/"];
  for (const [file, imports] of graph) {
    if (!file.startsWith("core/") && !file.startsWith("data/")) continue;
    for (const target of imports) {
      assert.ok(!above.some((a) => target.startsWith(a)), `${file} imports ${target}`);
      if (file.startsWith("core/")) assert.ok(!target.startsWith("data/"), `${file} imports ${target}`);
    }
  }
});

Deno.test("no import circle exists", () => {
  const state = new Map<string, "open" | "done">();
  const visit = (file: string, path: string[]): void => {
    if (state.get(file) === "done") return;
    if (state.get(file) === "open") throw new Error(`import circle: ${[...path, file].join(" -> ")}`);
    state.set(file, "open");
    for (const target of graph.get(file) ?? []) visit(target, [...path, file]);
    state.set(file, "done");
  };
  for (const file of graph.keys()) visit(file, []);
});
