/**
 * The README's library program, run exactly as written (its `./mod.ts` pointed at this checkout)
 * in a fresh folder: it imports nothing but mod.ts, pre-trains for 2 steps, masks a sentence with
 * each strategy, and fine-tunes and scores SST-2 for 2 steps.
 */
import assert from "node:assert/strict";
import { STRATEGY_NAMES } from "../mod.ts";
import { gpuTestOn } from "./_helpers.ts";

const ROOT = new URL("..", import.meta.url);

/** The first TypeScript block of the README's "Using it as a library" section. */
async function readmeProgram(): Promise<string> {
  const readme = await Deno.readTextFile(new URL("README.md", ROOT));
  const section = readme.slice(readme.indexOf("## Using it as a library"));
  const block = /```ts\n([\s\S]*?)```/.exec(section);
  if (!block) throw new Error("README.md has no program under '## Using it as a library'");
  return block[1]!;
}

Deno.test("the README's library program imports only mod.ts", async () => {
  const program = await readmeProgram();
  const imports = [...program.matchAll(/\bfrom\s+"([^"]+)"/g)].map((m) => m[1]);
  assert.deepEqual(imports, ["./mod.ts"]);
  assert.ok(!/\bimport\(/.test(program), "no dynamic imports");
});

gpuTestOn(
  "dawn",
  "the README's library program pre-trains, masks with every strategy and scores GLUE",
  async () => {
    const dir = await Deno.makeTempDir({ prefix: "library_test_" });
    try {
      const program = (await readmeProgram()).replace(
        '"./mod.ts"',
        JSON.stringify(new URL("mod.ts", ROOT).href),
      );
      await Deno.writeTextFile(`${dir}/program.ts`, program);
      const out = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "-A",
          "--unstable-webgpu",
          "--config",
          new URL("deno.json", ROOT).pathname,
          "program.ts",
        ],
        cwd: dir,
        env: { WEBGPU_BACKEND: "dawn" },
        stdout: "piped",
        stderr: "piped",
      }).output();
      const stdout = new TextDecoder().decode(out.stdout);
      assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
      assert.match(stdout, /^pre-trained 2 steps: validation loss \d+\.\d\d\n/);
      for (const masking of STRATEGY_NAMES) assert.match(stdout, new RegExp(`\\n${masking}: predicts \\S`));
      assert.match(stdout, /\n {2}SST-2 +acc \d+\.\d/);
      // Everything it wrote is under its own out/.
      for await (const entry of Deno.readDir(dir)) {
        assert.ok(
          ["program.ts", "out"].includes(entry.name),
          entry.name,
        );
      }
      for (const file of ["runs/library-demo/summary.json", "glue/library-demo/results.json"]) {
        await Deno.stat(`${dir}/out/${file}`);
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);
