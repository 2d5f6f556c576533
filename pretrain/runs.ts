/**
 * Finding runs: where `pretrain` puts them by default (`out/runs/<time>-<name>/`), and the latest
 * one's checkpoint, which `glue` fine-tunes when it is not told which model.
 * @module
 */
import { outputPath } from "../util/output.ts";

/** Where runs go without `out`. */
export const RUNS_DIR: string = outputPath("runs");

/**
 * The latest pre-trained checkpoint under `runsDir`: of the `<run>/checkpoint/` folders holding a
 * `model.safetensors`, the one whose file was written last.
 *
 * @example
 * ```ts
 * import { latestCheckpoint } from "./runs.ts";
 * await latestCheckpoint(); // "out/runs/20261206-120000-tiny-concentrated-concept/checkpoint"
 * ```
 * @throws {Error} one line telling the user to run `deno task pretrain` or pass `--model`
 */
export async function latestCheckpoint(runsDir: string = RUNS_DIR): Promise<string> {
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
      `No pre-trained checkpoint in "${runsDir}" (<run>/checkpoint/model.safetensors): run \`deno task pretrain\` first or pass --model DIR`,
    );
  }
  return best.path;
}
