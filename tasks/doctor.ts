/**
 * `deno task doctor`: which WebGPU runtime and adapter this machine gives, with the features,
 * subgroup sizes and subgroup-matrix configurations, the limits the project uses, the matmul kernel
 * it picks and the precisions it can train in.
 * @module
 */
import { z } from "zod";
import { type CommandRun, type CommandSpec, runCommand } from "../config/command.ts";
import { defineSettings } from "../config/settings.ts";
import { Gpu } from "../core/device.ts";
import { capabilities } from "../core/capabilities.ts";
import { type Precision, PRECISIONS } from "../core/precision.ts";

/** What `doctor` looks at and how it prints. */
export interface DoctorSettings {
  /** The WebGPU runtime to open. */
  backend: "auto" | "dawn" | "deno";
  /** One JSON line instead of a table. */
  json: boolean;
  /** Open the device as training in this precision would (mixed sets its Dawn toggle). */
  precision: Precision;
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
      precision: z.enum(PRECISIONS).default("fp32").describe(
        "open the device as --precision would for training (mixed sets the Dawn toggle NVIDIA needs for f16)",
      ),
    }).strict(),
  ),
  examples: [
    "deno task doctor",
    "deno task doctor --backend deno --json",
    "deno task doctor --precision mixed",
  ],
};

/** Opens the device, prints what it is, releases it. */
export async function main(run: CommandRun<DoctorSettings, Record<never, never>>): Promise<void> {
  const { backend, json, precision } = run.settings();
  const gpu = await Gpu.open({ backend, precision });
  try {
    const report = await capabilities(gpu);
    if (json) {
      console.log(JSON.stringify(report));
      return;
    }
    console.log(`backend    ${report.backend}${backend === "auto" ? " (auto)" : ""}`);
    console.log(
      `adapter    ${report.adapter} (vendor ${report.vendor || "?"}, ${report.architecture || "?"})`,
    );
    console.log(`software   ${gpu.isSoftware}`);
    console.log(`toggles    ${report.toggles.join(" ") || "none"}`);
    console.log(`matmul     ${report.matmul.variant} (${report.matmul.reason})`);
    for (const p of report.precisions) {
      console.log(
        `precision  ${p.precision}: ${p.available ? `yes, matmul ${p.matmul}` : "no"}; ${p.note}`,
      );
    }
    console.log(`subgroups  sizes ${report.subgroupMinSize}..${report.subgroupMaxSize}`);
    const configs = report.subgroupMatrixConfigs?.map((c) =>
      `${c.componentType}x${c.componentType}->${c.resultComponentType} ${c.M}x${c.N}x${c.K}`
    );
    console.log(`submatrix  ${configs?.join(", ") || "none"} (${report.subgroupMatrixNote})`);
    console.log(`features   ${report.features.join(" ")}`);
    console.log(`requested  ${report.deviceFeatures.join(" ")}`);
    for (const [k, v] of Object.entries(report.limits)) console.log(`limit      ${k} = ${v}`);
  } finally {
    gpu.destroy();
  }
}

if (import.meta.main) await runCommand(DOCTOR_COMMAND, main);
