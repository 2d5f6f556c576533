/**
 * The embedded default of `deno task glue`: with no `--model`, the latest `pretrain` output
 * (`runs/<timestamp>-<name>/checkpoint/`); with no `--data`, the GLUE samples shipped in
 * `data/glue/`, capped so that a run of every shipped task finishes in under 15 minutes on a
 * 2-core machine with lavapipe.
 *
 * @example
 * ```ts
 * import { EMBEDDED_CAPS, latestPretrainCheckpoint, SHIPPED_GLUE } from "./defaults.ts";
 *
 * const model = await latestPretrainCheckpoint(); // "runs/20250101-120000-tiny/checkpoint"
 * console.log(SHIPPED_GLUE, EMBEDDED_CAPS.maxTrainExamples);
 * ```
 * @module
 */
import { fileURLToPath } from "node:url";

/** The shipped GLUE samples (`data/glue/`). */
export const SHIPPED_GLUE: string = fileURLToPath(new URL("../../data/glue", import.meta.url));

/** Where `deno task pretrain` writes its runs (`runs/` at the repository root). */
export const RUNS_DIR: string = fileURLToPath(new URL("../../runs", import.meta.url));

/**
 * The caps of the embedded default (any flag given explicitly wins). The six shipped tasks with a
 * train and a dev file (CoLA, SST-2, MRPC, STS-B, RTE, WNLI) then take 530 steps of batch 32 and
 * 973 dev examples. Measured with a tiny (L2/H128, the pretrain default) checkpoint on a 2-core
 * machine with lavapipe through Dawn, shared with other jobs: 6 min 15 s in all at load average
 * ~2.5 (CoLA 42 s, SST-2 53 s, MRPC 72 s, STS-B 62 s, RTE 94 s, WNLI 51 s), 10 min 17 s at ~4.
 */
export const EMBEDDED_CAPS = {
  /** A seeded sample of each task's training set. */
  maxTrainExamples: 1000,
  /** The first rows of each dev set. */
  maxEvalExamples: 200,
  /** Epochs over the sample. */
  epochs: 3,
} as const;

/**
 * The latest pre-trained checkpoint under `runsDir`: of the `<run>/checkpoint/` folders holding
 * a `model.safetensors`, the one whose file was written last.
 *
 * @throws {Error} one line telling the user to run `deno task pretrain` or pass `--model`.
 */
export async function latestPretrainCheckpoint(runsDir: string = RUNS_DIR): Promise<string> {
  let best: { path: string; time: number } | null = null;
  try {
    for await (const entry of Deno.readDir(runsDir)) {
      if (!entry.isDirectory) continue;
      const dir = `${runsDir}/${entry.name}/checkpoint`;
      let info: Deno.FileInfo;
      try {
        info = await Deno.stat(`${dir}/model.safetensors`);
      } catch {
        continue;
      }
      const time = info.mtime?.getTime() ?? 0;
      if (!best || time > best.time || (time === best.time && dir > best.path)) best = { path: dir, time };
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  if (!best) {
    throw new Error(
      `No pre-trained checkpoint in "${runsDir}" (runs/*/checkpoint/model.safetensors): run \`deno task pretrain\` first or pass --model DIR`,
    );
  }
  return best.path;
}
