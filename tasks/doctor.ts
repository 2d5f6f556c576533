/**
 * `deno task doctor [--backend auto|dawn|deno] [--json]`: which WebGPU runtime and adapter this
 * machine gives, with the features and limits the project uses.
 * @module
 */
import { Gpu, type GpuInfo } from "../core/device.ts";
import { matmulVariant } from "../core/webgpu/matmul.ts";
import { backendFlag, main, parseFlags, UsageError } from "./_cli.ts";

/** Options of {@linkcode run}. */
export interface DoctorConfig {
  backend: "auto" | "dawn" | "deno";
  json: boolean;
}

/** Opens the device, prints what it is, releases it. */
export async function run(config: DoctorConfig): Promise<GpuInfo & { matmul: string }> {
  const gpu = await Gpu.open({ backend: config.backend });
  try {
    const report = { ...gpu.info, matmul: matmulVariant(gpu) };
    if (config.json) {
      console.log(JSON.stringify(report));
    } else {
      console.log(`backend   ${report.backend}${config.backend === "auto" ? " (auto)" : ""}`);
      console.log(
        `adapter   ${report.adapter} (vendor ${report.vendor || "?"}, ${report.architecture || "?"})`,
      );
      console.log(`software  ${gpu.isSoftware}`);
      console.log(`matmul    ${report.matmul}`);
      console.log(`features  ${report.features.join(" ")}`);
      for (const [k, v] of Object.entries(report.limits)) console.log(`limit     ${k} = ${v}`);
    }
    return report;
  } finally {
    gpu.destroy();
  }
}

if (import.meta.main) {
  await main(async () => {
    const { values, positionals } = parseFlags("doctor", Deno.args, {
      backend: { type: "string" },
      json: { type: "boolean" },
    });
    if (positionals.length > 0) throw new UsageError(`doctor: unexpected argument "${positionals[0]}"`);
    const backend = backendFlag("doctor", values.backend);
    if (backend === "cpu") throw new UsageError(`doctor: --backend cpu has no WebGPU adapter to describe`);
    await run({ backend, json: Boolean(values.json) });
  });
}
