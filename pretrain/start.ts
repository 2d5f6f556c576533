/**
 * What a run starts from: the model's config (a preset, or the `init` checkpoint's `config.json`)
 * and the vocabulary that goes with it. Pre-training and the experiment's budget read it the same
 * way.
 *
 * @example
 * ```ts
 * import { startingModel } from "./start.ts";
 * const { modelConfig, vocabPath } = await startingModel({ init: null, preset: "tiny" });
 * console.log(modelConfig.hidden_size); // 128
 * ```
 * @module
 */
import { type BertConfig, bertPreset } from "../core/bert/config.ts";
import { checkBertDir } from "../core/checkpoint/bert_dir.ts";
import { DEFAULT_VOCAB } from "../data/samples.ts";
import { loadVocab, type Vocab } from "../data/vocab.ts";
import type { PretrainSettings } from "./settings.ts";

/** A run's model config and vocabulary. */
export interface StartingModel {
  /** The model's HuggingFace config. */
  modelConfig: BertConfig;
  /** Its `vocab.txt`: the init checkpoint's own (required), or from scratch the shipped bert-base-uncased one. */
  vocabPath: string;
  /** That vocabulary, read. */
  vocab: Vocab;
}

/**
 * The model config and vocabulary of `settings`.
 *
 * @throws {Error} naming the file when the init checkpoint's config or the vocabulary cannot be read,
 * the config does not match the checkpoint's tensors, the checkpoint has no vocab.txt, or the
 * vocabulary has more ids than the model
 */
export async function startingModel(
  settings: Pick<PretrainSettings, "init" | "preset">,
): Promise<StartingModel> {
  const init = settings.init ? await checkBertDir(settings.init) : null;
  const vocabPath = init?.vocabPath ?? DEFAULT_VOCAB;
  const vocab = await loadVocab(vocabPath);
  const modelConfig = init?.config ?? bertPreset(settings.preset, { vocab_size: vocab.size });
  if (vocab.size > modelConfig.vocab_size) {
    throw new Error(
      `Cannot train: vocab ${vocabPath} has ${vocab.size} ids, the model only ${modelConfig.vocab_size}`,
    );
  }
  return { modelConfig, vocabPath, vocab };
}
