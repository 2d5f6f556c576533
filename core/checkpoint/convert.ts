/**
 * A model directory converted for shipping: `model.safetensors` rewritten in another dtype (F16
 * halves a checkpoint), `config.json` and `vocab.txt` copied, the optimizer state left behind. How
 * the project's general starting model (data/general-tiny/) was made from its pre-training run.
 *
 * @example
 * ```ts
 * import { convertBertDir } from "./convert.ts";
 * await convertBertDir("out/runs/general-tiny/checkpoint", "data/general-tiny", "F16");
 * ```
 * @module
 */
import { writeFileAtomic } from "../../util/atomic_write.ts";
import { checkBertDir, CONFIG_FILE, MODEL_FILE, VOCAB_FILE } from "./bert_dir.ts";
import { readSafetensorsFile, type WritableDtype, writeSafetensors } from "./safetensors.ts";

/**
 * Writes `from`'s model in `dtype` into `to` (created if missing), with its config.json and
 * vocab.txt; the metadata of the safetensors header is kept. `from` is checked as
 * {@linkcode checkBertDir} checks it first, so a directory that would not load is not shipped.
 *
 * @throws {Error} naming the file when `from` lacks one of the three files or its config does not
 * match its model
 */
export async function convertBertDir(from: string, to: string, dtype: WritableDtype): Promise<void> {
  await checkBertDir(from);
  const { tensors, metadata } = await readSafetensorsFile(`${from}/${MODEL_FILE}`);
  const copies = new Map<string, Uint8Array>();
  for (const name of [CONFIG_FILE, VOCAB_FILE]) {
    try {
      copies.set(name, await Deno.readFile(`${from}/${name}`));
    } catch (error) {
      throw new Error(`Cannot convert "${from}": cannot read ${name} (${(error as Error).message})`);
    }
  }
  await Deno.mkdir(to, { recursive: true });
  await writeSafetensors(`${to}/${MODEL_FILE}`, tensors, metadata, dtype);
  for (const [name, bytes] of copies) await writeFileAtomic(`${to}/${name}`, bytes);
}
