/**
 * The bridge from a HuggingFace-style {@linkcode BertConfig} to the {@linkcode BertShape} the model
 * and its kernels take.
 *
 * @example
 * ```ts
 * import { bertPreset } from "./core/bert/config.ts";
 * import { bertShape } from "./core/bert/shape.ts";
 *
 * const shape = bertShape(bertPreset("mini", { vocab_size: 8192 }));
 * // shape.hidden === 256, shape.heads === 4, shape.intermediate === 1024, shape.vocab === 8192
 * ```
 * @module
 */
import { type BertConfig, parseBertConfig } from "./config.ts";
import type { BertShape } from "./model.ts";

/**
 * The model's sizes for `config`. The config is checked first (as {@linkcode parseBertConfig}
 * does, naming `source`): a RangeError for an activation other than "gelu", a hidden size that is
 * not a multiple of the heads, or any size or probability out of range; a TypeError for a field
 * of the wrong type.
 *
 * @example
 * ```ts
 * import { readBertConfig } from "./core/bert/config.ts";
 * import { bertShape } from "./core/bert/shape.ts";
 *
 * const shape = bertShape(await readBertConfig("model/config.json"), "model/config.json");
 * ```
 */
export function bertShape(config: BertConfig, source = "in memory"): BertShape {
  const c = parseBertConfig(config, source);
  return {
    vocab: c.vocab_size,
    hidden: c.hidden_size,
    layers: c.num_hidden_layers,
    heads: c.num_attention_heads,
    intermediate: c.intermediate_size,
    maxPositions: c.max_position_embeddings,
    typeVocab: c.type_vocab_size,
    layerNormEps: c.layer_norm_eps,
    hiddenDropout: c.hidden_dropout_prob,
    attentionDropout: c.attention_probs_dropout_prob,
  };
}
