/**
 * The optimizer state saved next to a checkpoint for resuming: AdamW's moments over the flat
 * parameter buffer, the step, and what the trainer needs to carry on exactly where it stopped.
 *
 * Stored as a safetensors file (`optimizer.safetensors`) with two F32 tensors, "adam.m" and
 * "adam.v", each [n] for n parameters, and a "__metadata__" holding "format"
 * ({@linkcode OPTIMIZER_STATE_FORMAT}), "version", "step" (decimal) and "meta" (JSON: the
 * resolved training config, the data position, ...). HuggingFace ignores this file.
 *
 * @example
 * ```ts
 * import { readOptimizerState, writeOptimizerState } from "./core/checkpoint/optimizer_state.ts";
 *
 * const n = 4;
 * await writeOptimizerState("out/optimizer.safetensors", {
 *   step: 100,
 *   m: new Float32Array(n),
 *   v: new Float32Array(n),
 *   meta: { config: { lr: 1e-4 }, dataPosition: { shard: 0, sequence: 3200 } },
 * });
 * const state = await readOptimizerState("out/optimizer.safetensors", { parameters: n });
 * // state.step === 100, state.meta.dataPosition is { shard: 0, sequence: 3200 }
 * ```
 * @module
 */
import { readSafetensorsFile, type SafetensorsTensor, writeSafetensors } from "./safetensors.ts";

/** The "format" tag in the file's metadata. */
export const OPTIMIZER_STATE_FORMAT = "bert-webgpu/adamw";
/** The layout version this code writes and reads. */
export const OPTIMIZER_STATE_VERSION = 1;

/** A JSON value. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** AdamW's state at the end of a step. */
export interface OptimizerState {
  /** Optimizer steps taken so far (the next step is `step + 1`). */
  step: number;
  /** First moments, one per parameter, in the flat buffer's order. */
  m: Float32Array;
  /** Second moments, likewise. */
  v: Float32Array;
  /** Anything else resuming needs, e.g. `config` (the resolved training config) and `dataPosition`. */
  meta: { [key: string]: Json };
}

/**
 * Writes the optimizer state to a temporary name next to `path`, renamed once complete. Throws a
 * RangeError/TypeError for a step that is not a non-negative integer, moments of different lengths
 * or meta that is not JSON.
 */
export async function writeOptimizerState(path: string, state: OptimizerState): Promise<void> {
  const action = `Cannot write optimizer state "${path}"`;
  if (!Number.isSafeInteger(state.step) || state.step < 0) {
    throw new RangeError(`${action}: step must be a non-negative integer, got ${state.step}`);
  }
  if (!(state.m instanceof Float32Array) || !(state.v instanceof Float32Array)) {
    throw new TypeError(`${action}: m and v must be Float32Arrays`);
  }
  if (state.m.length !== state.v.length) {
    throw new RangeError(`${action}: m has ${state.m.length} values but v has ${state.v.length}`);
  }
  let meta: string;
  try {
    meta = JSON.stringify(state.meta);
  } catch (error) {
    throw new TypeError(`${action}: meta is not JSON (${(error as Error).message})`);
  }
  if (typeof meta !== "string" || !isPlainObject(JSON.parse(meta))) {
    throw new TypeError(`${action}: meta must be a JSON object`);
  }
  const tensors = new Map<string, SafetensorsTensor>([
    ["adam.m", { shape: [state.m.length], data: state.m }],
    ["adam.v", { shape: [state.v.length], data: state.v }],
  ]);
  await writeSafetensors(path, tensors, {
    format: OPTIMIZER_STATE_FORMAT,
    version: String(OPTIMIZER_STATE_VERSION),
    step: String(state.step),
    meta,
  });
}

/** Options of {@linkcode readOptimizerState}. */
export interface ReadOptimizerStateOptions {
  /** The model's parameter count: the moments must have exactly this many values. */
  parameters?: number;
}

/**
 * Reads and checks an optimizer state written by {@linkcode writeOptimizerState}; every error
 * names the file and what is wrong.
 */
export async function readOptimizerState(
  path: string,
  options: ReadOptimizerStateOptions = {},
): Promise<OptimizerState> {
  const { tensors, metadata } = await readSafetensorsFile(path);
  const bad = (what: string): never => {
    throw new RangeError(`Invalid optimizer state "${path}": ${what}`);
  };
  if (metadata.format !== OPTIMIZER_STATE_FORMAT) {
    bad(`metadata "format" is ${JSON.stringify(metadata.format)}, expected "${OPTIMIZER_STATE_FORMAT}"`);
  }
  if (metadata.version !== String(OPTIMIZER_STATE_VERSION)) {
    bad(
      `metadata "version" is ${JSON.stringify(metadata.version)}, this code reads ${OPTIMIZER_STATE_VERSION}`,
    );
  }
  const stepText = metadata.step ?? "";
  const step = /^(0|[1-9][0-9]*)$/.test(stepText) ? Number(stepText) : NaN;
  if (!Number.isSafeInteger(step)) {
    bad(`metadata "step" is ${JSON.stringify(metadata.step)}, not a step number`);
  }
  let meta: unknown;
  try {
    meta = JSON.parse(metadata.meta ?? "");
  } catch {
    bad(`metadata "meta" is not JSON`);
  }
  if (!isPlainObject(meta)) bad(`metadata "meta" is not a JSON object`);

  for (const name of tensors.keys()) {
    if (name !== "adam.m" && name !== "adam.v") bad(`unexpected tensor "${name}"`);
  }
  const moment = (name: string): Float32Array => {
    const t = tensors.get(name);
    if (!t) return bad(`tensor "${name}" is missing`);
    if (t.shape.length !== 1) bad(`tensor "${name}" has shape [${t.shape}], expected one dimension`);
    if (options.parameters !== undefined && t.data.length !== options.parameters) {
      bad(`tensor "${name}" has ${t.data.length} values, the model has ${options.parameters} parameters`);
    }
    return t.data;
  };
  const m = moment("adam.m");
  const v = moment("adam.v");
  if (m.length !== v.length) bad(`tensor "adam.m" has ${m.length} values but "adam.v" has ${v.length}`);
  // Moments a step can never produce would come back as a diverged loss blamed on the rate.
  const badM = m.findIndex((x) => !Number.isFinite(x));
  if (badM >= 0) bad(`tensor "adam.m" holds ${m[badM]} at index ${badM}; moments must be finite`);
  const badV = v.findIndex((x) => !(Number.isFinite(x) && x >= 0));
  if (badV >= 0) {
    bad(`tensor "adam.v" holds ${v[badV]} at index ${badV}; second moments must be finite and >= 0`);
  }
  return { step, m, v, meta: meta as { [key: string]: Json } };
}

function isPlainObject(v: unknown): boolean {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
