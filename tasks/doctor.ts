/**
 * `deno task doctor`: which WebGPU runtime and adapter this machine gives, with the features and
 * limits the project uses and the matmul kernel it picks.
 * @module
 */
import { z } from "zod";
import { type CommandRun, type CommandSpec, runCommand } from "../config/command.ts";
import { defineSettings } from "../config/settings.ts";
import { Gpu } from "../core/device.ts";
import { matmulVariant } from "../core/webgpu/matmul.ts";

/** What `doctor` looks at and how it prints. */
export interface DoctorSettings {
  /** The WebGPU runtime to open. */
  backend: "auto" | "dawn" | "deno";
  /** One JSON line instead of a table. */
  json: boolean;
}

/** `deno task doctor`. */
export const DOCTOR_COMMAND: CommandSpec<DoctorSettings, Record<never, never>> = {
  name: "doctor",
  summary:
    "Show the WebGPU runtime and adapter this machine gives: features, limits, the chosen matmul kernel",
  settings: defineSettings<DoctorSettings>()(
    "doctor",
    z.object({
      backend: z.enum(["auto", "dawn", "deno"]).default("auto").describe(
        "the WebGPU runtime to open (cpu has no adapter to describe)",
      ),
      json: z.boolean().default(false).describe("one JSON line instead of a table"),
    }).strict(),
  ),
  examples: ["deno task doctor", "deno task doctor --backend deno --json"],
};

/** Opens the device, prints what it is, releases it. */
export async function main(run: CommandRun<DoctorSettings, Record<never, never>>): Promise<void> {
  const { backend, json } = run.settings();
  const gpu = await Gpu.open({ backend });
  try {
    const report = { ...gpu.info, matmul: matmulVariant(gpu) };
    if (json) {
      console.log(JSON.stringify(report));
      return;
    }
    console.log(`backend   ${report.backend}${backend === "auto" ? " (auto)" : ""}`);
    console.log(
      `adapter   ${report.adapter} (vendor ${report.vendor || "?"}, ${report.architecture || "?"})`,
    );
    console.log(`software  ${gpu.isSoftware}`);
    console.log(`matmul    ${report.matmul}`);
    console.log(`features  ${report.features.join(" ")}`);
    for (const [k, v] of Object.entries(report.limits)) console.log(`limit     ${k} = ${v}`);
  } finally {
    gpu.destroy();
  }
}

if (import.meta.main) await runCommand(DOCTOR_COMMAND, main);
