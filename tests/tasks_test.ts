import { gpuTest } from "./_helpers.ts";

const DENO = Deno.execPath();
const ROOT = new URL("..", import.meta.url);

async function task(
  script: string,
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(DENO, {
    args: ["run", "-A", "--unstable-webgpu", `tasks/${script}.ts`, ...args],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: decode(out.stdout), stderr: decode(out.stderr) };
}

function lastJson(stdout: string): Record<string, unknown>[] {
  return stdout.trim().split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l));
}

Deno.test("doctor and bench reject bad flags with exit code 2 and a one-line message", async () => {
  for (
    const [script, args, pattern] of [
      ["doctor", ["--backend", "vulkan"], /--backend must be one of/],
      ["doctor", ["--frobnicate"], /unknown option --frobnicate/],
      ["bench", ["no_such_bench"], /--names must be a list of values from matmul_1024, .*"no_such_bench"/],
      ["bench", ["--seconds=0", "stress"], /--seconds must be a positive number/],
    ] as const
  ) {
    const r = await task(script, ...args);
    const lines = r.stderr.trim().split("\n").filter((l) => l.startsWith("error:"));
    if (r.code !== 2 || lines.length !== 1 || !pattern.test(lines[0]!)) {
      throw new Error(`${script} ${args.join(" ")}: exit ${r.code}, stderr: ${r.stderr}`);
    }
  }
});

// gpuTest registers one test per runtime; the task runs in its own process on that runtime.
gpuTest("doctor --json reports backend, adapter, features and limits", async (g) => {
  const r = await task("doctor", "--backend", g.backend, "--json");
  const [report] = lastJson(r.stdout);
  if (r.code !== 0 || !report) throw new Error(`doctor failed: ${r.stderr}`);
  for (const key of ["backend", "adapter", "features", "limits"]) {
    if (!(key in report)) throw new Error(`doctor --json lacks "${key}": ${r.stdout}`);
  }
  if (report.backend !== g.backend) throw new Error(`doctor reported ${report.backend}`);
});

gpuTest("bench matmul_1024 --json prints a GFLOP/s figure", async (g) => {
  const r = await task("bench", "matmul_1024", "--backend", g.backend, "--json");
  const [line] = lastJson(r.stdout);
  if (r.code !== 0 || !line) throw new Error(`bench failed: ${r.stderr}`);
  for (const key of ["bench", "backend", "adapter", "value", "unit"]) {
    if (!(key in line)) throw new Error(`bench --json lacks "${key}": ${r.stdout}`);
  }
  if (line.bench !== "matmul_1024" || line.unit !== "GFLOP/s" || !((line.value as number) > 0)) {
    throw new Error(`unexpected bench line ${JSON.stringify(line)}`);
  }
});

Deno.test("bench memory --json counts a finite, plausible size for base", async () => {
  const r = await task("bench", "memory", "--json");
  const lines = lastJson(r.stdout);
  if (r.code !== 0 || lines.length !== 3) throw new Error(`bench memory failed: ${r.stderr}`);
  for (const line of lines) {
    if (!(Number.isFinite(line.value) && (line.value as number) > 0)) {
      throw new Error(`bad figure ${JSON.stringify(line)}`);
    }
  }
  // Parameters, gradients and two Adam moments of bert-base's ~110M parameters: about 1.67 GiB.
  const state = lines.find((l) => l.bench === "memory_base_params_grads_adam")!;
  if (!(Math.abs((state.value as number) - 1671) < 5)) throw new Error(`state ${state.value} MiB`);
});
