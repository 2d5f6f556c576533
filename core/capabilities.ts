/**
 * What an opened device offers this project, as `deno task doctor` reports it: features, subgroup
 * sizes, the subgroup-matrix configurations Dawn would expose, the matmul kernel each precision
 * runs, and which precisions can train here.
 * @module
 */
import { adapterName, type Gpu, type GpuInfo, MIXED_DAWN_TOGGLES } from "./device.ts";
import { openRuntime } from "./runtime.ts";
import { MIXED_FEATURE, type Precision } from "./precision.ts";
import { matmulVariant, matmulVariantReason } from "./webgpu/matmul.ts";
import { mixedMatmulVariant } from "./webgpu/matmul_mixed.ts";

/** One subgroup-matrix configuration (Dawn's `GPUSubgroupMatrixConfig`). */
export interface SubgroupMatrixConfig {
  /** Operand type, e.g. f16. */
  componentType: string;
  /** Accumulator type, e.g. f32. */
  resultComponentType: string;
  /** Rows of the left operand and the result. */
  M: number;
  /** Columns of the right operand and the result. */
  N: number;
  /** The inner dimension. */
  K: number;
}

/** Whether a precision can train on this device, with which matmul kernel, and why not. */
export interface PrecisionSupport {
  /** The precision. */
  precision: Precision;
  /** It can train here. */
  available: boolean;
  /** The matmul kernel it runs (null when unavailable). */
  matmul: string | null;
  /** The feature and Dawn toggles it needs, and what is missing. */
  note: string;
}

/** `doctor`'s report. */
export interface Capabilities extends GpuInfo {
  /** The runtime's device features, as opened (the adapter's are in `features`). */
  deviceFeatures: string[];
  /** Dawn's subgroup-matrix configurations, or null with `subgroupMatrixNote` saying why none. */
  subgroupMatrixConfigs: SubgroupMatrixConfig[] | null;
  /** How the configurations were listed, or why they could not be. */
  subgroupMatrixNote: string;
  /** The fp32 matmul variant and why it was chosen. */
  matmul: { variant: string; reason: string };
  /** Every precision's support. */
  precisions: PrecisionSupport[];
}

/**
 * Dawn lists subgroup-matrix configurations only on an instance created with `allow_unsafe_apis`;
 * this asks a separate instance for the adapter (no device), so the caller's device keeps its own
 * toggles. Deno's runtime has no such feature.
 */
export async function subgroupMatrixConfigs(
  gpu: Gpu,
): Promise<{ configs: SubgroupMatrixConfig[] | null; note: string }> {
  if (gpu.backend !== "dawn") return { configs: null, note: `not exposed by ${gpu.backend}'s WebGPU` };
  const toggles = ["allow_unsafe_apis", ...(gpu.info.toggles ?? [])];
  const runtime = await openRuntime("dawn", { dawnToggles: toggles });
  const adapter = await runtime.gpu.requestAdapter({ powerPreference: "high-performance" });
  if (!adapter || adapterName(adapter.info) !== gpu.info.adapter) {
    return { configs: null, note: `an instance with ${toggles.join(",")} did not give the same adapter` };
  }
  const listed = (adapter.info as { subgroupMatrixConfigs?: SubgroupMatrixConfig[] }).subgroupMatrixConfigs ??
    [];
  const configs = [...listed].map((c) => ({
    componentType: c.componentType,
    resultComponentType: c.resultComponentType,
    M: c.M,
    N: c.N,
    K: c.K,
  }));
  return {
    configs,
    note: `listed through a second Dawn instance with ${toggles.join(",")}; ` +
      (configs.length === 0 ? "the adapter lists none" : "no kernel of this project uses them yet"),
  };
}

/** Everything `doctor` prints about `gpu`. */
export async function capabilities(gpu: Gpu): Promise<Capabilities> {
  const fp32 = matmulVariant(gpu);
  const f16 = gpu.features.has(MIXED_FEATURE);
  const toggles = MIXED_DAWN_TOGGLES.join(",");
  const sm = await subgroupMatrixConfigs(gpu);
  return {
    ...gpu.info,
    deviceFeatures: [...gpu.features].sort(),
    subgroupMatrixConfigs: sm.configs,
    subgroupMatrixNote: sm.note,
    matmul: { variant: fp32, reason: matmulVariantReason(gpu) },
    precisions: [
      { precision: "fp32", available: true, matmul: fp32, note: "every kernel in f32" },
      {
        precision: "mixed",
        available: f16,
        matmul: f16 ? `mixed_${mixedMatmulVariant(gpu)}` : null,
        note: f16
          ? `f16 matmul operands, f32 sums (${MIXED_FEATURE}; Dawn toggle ${toggles} set with --precision mixed)`
          : `needs ${MIXED_FEATURE}, which this adapter does not list` +
            (gpu.backend === "dawn"
              ? ` (on NVIDIA, Dawn lists it with ${toggles}: open with --precision mixed)`
              : ""),
      },
    ],
  };
}
