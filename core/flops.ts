/**
 * FLOPs accounting for BERT training, in the two conventions of METHOD.md §5:
 *
 * - **6ND**: 6 x parameters x tokens, with the parameters counted exactly as HuggingFace counts
 *   them (`model.num_parameters()`, tied weights once).
 * - **ELECTRA-style**: the forward pass counted term by term after ELECTRA's
 *   `flops_computation.py` (2 FLOPs per multiply-add, dense embedding lookups, elementwise ops
 *   with its per-element constants, the output head only on predicted positions), and the
 *   backward pass as a multiple of the forward.
 *
 * Where this differs from ELECTRA's script, the term says so. The one difference that matters:
 * METHOD.md asks for backward = 2 x forward (training = 3 x forward), while ELECTRA's script
 * counts backward = forward (training = 2 x forward); {@linkcode FlopsOptions.backwardFactor}
 * selects either, and defaults to METHOD.md's 2.
 *
 * @example
 * ```ts
 * import { bertParameterCount, stepFlops } from "./flops.ts";
 * const base = {
 *   vocab_size: 30522, hidden_size: 768, num_hidden_layers: 12, num_attention_heads: 12,
 *   intermediate_size: 3072, max_position_embeddings: 512, type_vocab_size: 2,
 * };
 * bertParameterCount(base, "mlm"); // 109514298, as HuggingFace reports for bert-base-uncased
 * const f = stepFlops(base, { head: "mlm", batch: 128, seq: 128, predictionsPerSequence: 19.2 });
 * console.log(f.sixND.toExponential(2), f.electra.toExponential(2));
 * ```
 * @module
 */

/** The BERT sizes that FLOPs depend on, named as in HuggingFace's `config.json` (a `BertConfig` fits as is). */
export interface BertSizes {
  /** Rows of the word-embedding table; the MLM decoder's output width. */
  readonly vocab_size: number;
  /** Width H of every token's hidden state. */
  readonly hidden_size: number;
  /** Transformer layers. */
  readonly num_hidden_layers: number;
  /** Attention heads: the matmuls do not depend on it, the per-score terms (scale, softmax, dropout) do. */
  readonly num_attention_heads: number;
  /** Width of the feed-forward layer. */
  readonly intermediate_size: number;
  /** Rows of the position table: counted in the parameters and bounds `seq`; the lookup costs `seq` rows. */
  readonly max_position_embeddings: number;
  /** Rows of the token-type table. */
  readonly type_vocab_size: number;
}

/** Which head sits on the encoder: HF BertForMaskedLM or BertForSequenceClassification. */
export type HeadKind = "mlm" | "classification";

/** One training step's shape: `batch` sequences of `seq` tokens (padding included). */
export type StepShape =
  | {
    readonly head: "mlm";
    readonly batch: number;
    readonly seq: number;
    /**
     * Positions per sequence that go through the MLM head (the selected positions). May be a
     * mean, e.g. 19.2 for 15% of 128, or the batch's exact count divided by `batch`.
     */
    readonly predictionsPerSequence: number;
  }
  | {
    readonly head: "classification";
    readonly batch: number;
    readonly seq: number;
    /** Output width of the classifier (1 for regression, as in HuggingFace). */
    readonly numLabels: number;
  };

/** Options for {@linkcode stepFlops}. */
export interface FlopsOptions {
  /**
   * Backward FLOPs as a multiple of forward FLOPs in the ELECTRA-style count. Default 2
   * (METHOD.md §5, and the usual 2 matmuls per forward matmul); 1 reproduces ELECTRA's
   * `get_train_flops`, which assumes the backward costs the same as the forward.
   */
  readonly backwardFactor?: number;
}

/** FLOPs of one training step in both conventions. */
export interface StepFlops {
  /** Tokens processed: batch x seq (padding included, as ELECTRA counts the full length). */
  readonly tokens: number;
  /** {@linkcode bertParameterCount} for the step's head. */
  readonly parameters: number;
  /** 6 x parameters x tokens. */
  readonly sixND: number;
  /** ELECTRA-style forward FLOPs. */
  readonly forward: number;
  /** ELECTRA-style backward FLOPs: forward x backwardFactor. */
  readonly backward: number;
  /** ELECTRA-style training FLOPs: forward + backward. */
  readonly electra: number;
  /** The forward split by part: embeddings, all encoder layers, head (incl. its loss). */
  readonly forwardParts: { readonly embeddings: number; readonly encoder: number; readonly head: number };
}

/** Running totals over training steps. */
export interface FlopsTotals {
  /** Training steps counted. */
  readonly steps: number;
  /** Sum of {@linkcode StepFlops.tokens}. */
  readonly tokens: number;
  /** Sum of {@linkcode StepFlops.sixND}. */
  readonly sixND: number;
  /** Sum of {@linkcode StepFlops.electra}. */
  readonly electra: number;
}

// ELECTRA's per-element constants (flops_computation.py), kept so our counts stay comparable.
/** Random number, compare, mask multiply, 1/(1-p) rescale. */
const DROPOUT_FLOPS = 4;
/** Mean (sum), variance (square, sum), scale, shift. */
const LAYER_NORM_FLOPS = 5;
/** GELU's tanh form; ELECTRA uses the same constant for any activation (tanh included). */
const ACTIVATION_FLOPS = 8;
/** Max-subtract, exp, sum, divide. */
const SOFTMAX_FLOPS = 5;

const sum = (terms: Record<string, number>): number => Object.values(terms).reduce((a, b) => a + b, 0);

function fail(message: string): never {
  throw new RangeError(`Cannot count FLOPs: ${message}`);
}

function positiveInteger(value: number, name: string): void {
  if (!Number.isInteger(value) || value <= 0) fail(`${name} must be a positive integer, got ${value}`);
}

// A record over every key, so a field added to BertSizes cannot go unvalidated (it would not compile).
const SHAPE_KEYS: Record<keyof BertSizes, true> = {
  vocab_size: true,
  hidden_size: true,
  num_hidden_layers: true,
  num_attention_heads: true,
  intermediate_size: true,
  max_position_embeddings: true,
  type_vocab_size: true,
};

function checkShape(config: BertSizes): void {
  for (const key of Object.keys(SHAPE_KEYS) as (keyof BertSizes)[]) positiveInteger(config[key], key);
  if (config.hidden_size % config.num_attention_heads !== 0) {
    fail(
      `hidden_size ${config.hidden_size} is not a multiple of num_attention_heads ${config.num_attention_heads}`,
    );
  }
}

/**
 * Trainable parameters exactly as HuggingFace counts them: BertForMaskedLM (`"mlm"`: no pooler;
 * head = transform dense + LayerNorm + decoder bias, the decoder weight tied to the word
 * embeddings and counted once) or BertForSequenceClassification (`"classification"`: pooler +
 * classifier with `numLabels` outputs, HF's default 2).
 *
 * @example
 * ```ts
 * import { bertParameterCount } from "./flops.ts";
 * const base = {
 *   vocab_size: 30522, hidden_size: 768, num_hidden_layers: 12, num_attention_heads: 12,
 *   intermediate_size: 3072, max_position_embeddings: 512, type_vocab_size: 2,
 * };
 * bertParameterCount(base, "mlm"); // 109514298
 * bertParameterCount(base, "classification"); // 109483778 (2 labels)
 * ```
 */
export function bertParameterCount(config: BertSizes, head: HeadKind, numLabels = 2): number {
  checkShape(config);
  const H = config.hidden_size, I = config.intermediate_size;
  const embeddings = (config.vocab_size + config.max_position_embeddings + config.type_vocab_size) * H +
    2 * H; // word, position, token type, LayerNorm (gamma, beta)
  const layer = 4 * (H * H + H) + // query, key, value, attention output (weight + bias)
    (H * I + I) + (I * H + H) + // FFN in and out
    2 * 2 * H; // LayerNorm after attention and after the FFN
  const encoder = config.num_hidden_layers * layer;
  if (head === "mlm") {
    return embeddings + encoder + (H * H + H) + 2 * H + config.vocab_size; // transform, LN, decoder bias
  }
  positiveInteger(numLabels, "numLabels");
  return embeddings + encoder + (H * H + H) + (H * numLabels + numLabels); // pooler, classifier
}

/**
 * 6 x parameters x tokens (the 6ND rule: 2 FLOPs per weight and token forward, 4 backward).
 *
 * @example
 * ```ts
 * import { flops6ND } from "./flops.ts";
 * flops6ND(109_514_298, 128 * 128); // 1.0766e13: one bert-base step at batch 128 x 128
 * ```
 */
export function flops6ND(parameters: number, tokens: number): number {
  return 6 * parameters * tokens;
}

/** Forward FLOPs of one encoder layer for one token, ELECTRA's `get_block_flops` / s. */
function layerFlopsPerToken(config: BertSizes, seq: number): number {
  const H = config.hidden_size, I = config.intermediate_size, A = config.num_attention_heads;
  return sum({
    qkv: 3 * 2 * H * H,
    qkvBias: 3 * H,
    scores: 2 * H * seq, // QK^T: per head (H/A) x seq multiply-adds, over A heads
    scoresScale: seq * A,
    softmax: SOFTMAX_FLOPS * seq * A,
    attentionDropout: DROPOUT_FLOPS * seq * A,
    context: 2 * H * seq, // probabilities x V, same size as the scores
    attentionOutput: 2 * H * H,
    attentionOutputBias: H,
    attentionOutputDropout: DROPOUT_FLOPS * H,
    attentionResidual: H,
    // ELECTRA writes LAYER_NORM_FLOPS without the x hidden here (5 FLOPs per token); every other
    // LayerNorm it counts per element, so we do too: +5 x (H - 1) per token, ~0.03% at base size.
    attentionLayerNorm: LAYER_NORM_FLOPS * H,
    intermediate: 2 * H * I,
    intermediateBias: I,
    gelu: ACTIVATION_FLOPS * I,
    output: 2 * I * H,
    outputBias: H,
    outputDropout: DROPOUT_FLOPS * H,
    outputResidual: H,
    outputLayerNorm: LAYER_NORM_FLOPS * H,
    // Not counted, as in ELECTRA: the additive attention mask and the head split/merge reshapes.
  });
}

/** Forward FLOPs of the input embeddings for one token, ELECTRA's `get_embedding_flops(False)` / s. */
function embeddingFlopsPerToken(config: BertSizes, seq: number): number {
  const H = config.hidden_size;
  return sum({
    // A lookup counted as a one-hot row times the table ("dense" lookup), as ELECTRA assumes.
    word: 2 * H * config.vocab_size,
    // ELECTRA: 2 * e * (s + 2): the position table taken as `seq` rows (the rows a sequence can
    // reach) and the token-type table as type_vocab_size rows (its 2).
    positionAndType: 2 * H * (seq + config.type_vocab_size),
    addPositionAndType: 2 * H,
    layerNorm: LAYER_NORM_FLOPS * H,
    dropout: DROPOUT_FLOPS * H,
  });
}

/** Forward FLOPs of the MLM head and its loss at one predicted position, ELECTRA's output head. */
function mlmHeadFlopsPerPrediction(config: BertSizes): number {
  const H = config.hidden_size, V = config.vocab_size;
  return sum({
    transform: 2 * H * H,
    transformBias: H,
    gelu: ACTIVATION_FLOPS * H,
    layerNorm: LAYER_NORM_FLOPS * H,
    decoder: 2 * H * V, // tied to the word embeddings: shared weights, but a matmul of its own
    softmax: SOFTMAX_FLOPS * V,
    targetWord: 2 * V, // picking the label's log-probability, ELECTRA's output_target_word
    // The decoder bias (V adds) is not counted, as in ELECTRA (0.05% of the decoder's FLOPs).
  });
}

/**
 * Forward FLOPs of the sequence-classification head for one sequence. ELECTRA's discriminator
 * head classifies every token; HF's runs once on [CLS], so its terms are counted per sequence.
 */
function classificationHeadFlopsPerSequence(config: BertSizes, numLabels: number): number {
  const H = config.hidden_size;
  return sum({
    pooler: 2 * H * H,
    poolerBias: H,
    tanh: ACTIVATION_FLOPS * H,
    dropout: DROPOUT_FLOPS * H,
    classifier: 2 * H * numLabels,
    classifierBias: numLabels,
    loss: (SOFTMAX_FLOPS + 2) * numLabels, // as the MLM head's softmax + target word
  });
}

/**
 * FLOPs of one training step in both conventions of METHOD.md §5.
 *
 * @example
 * ```ts
 * import { stepFlops } from "./flops.ts";
 * const base = {
 *   vocab_size: 30522, hidden_size: 768, num_hidden_layers: 12, num_attention_heads: 12,
 *   intermediate_size: 3072, max_position_embeddings: 512, type_vocab_size: 2,
 * };
 * const f = stepFlops(base, { head: "mlm", batch: 128, seq: 128, predictionsPerSequence: 19.2 });
 * // f.sixND ≈ 1.08e13, f.electra ≈ 1.13e13 (backward = 2 x forward)
 * ```
 */
export function stepFlops(config: BertSizes, step: StepShape, options: FlopsOptions = {}): StepFlops {
  checkShape(config);
  positiveInteger(step.batch, "batch");
  positiveInteger(step.seq, "seq");
  if (step.seq > config.max_position_embeddings) {
    fail(`seq ${step.seq} exceeds max_position_embeddings ${config.max_position_embeddings}`);
  }
  const backwardFactor = options.backwardFactor ?? 2;
  if (!Number.isFinite(backwardFactor) || backwardFactor < 0) {
    fail(`backwardFactor must be a finite number >= 0, got ${backwardFactor}`);
  }
  const { batch: B, seq: T } = step;
  let head: number;
  let parameters: number;
  if (step.head === "mlm") {
    const P = step.predictionsPerSequence;
    if (!Number.isFinite(P) || P < 0 || P > T) {
      fail(`predictionsPerSequence must be between 0 and seq ${T}, got ${P}`);
    }
    head = B * P * mlmHeadFlopsPerPrediction(config);
    parameters = bertParameterCount(config, "mlm");
  } else {
    positiveInteger(step.numLabels, "numLabels");
    head = B * classificationHeadFlopsPerSequence(config, step.numLabels);
    parameters = bertParameterCount(config, "classification", step.numLabels);
  }
  const tokens = B * T;
  const embeddings = tokens * embeddingFlopsPerToken(config, T);
  const encoder = tokens * config.num_hidden_layers * layerFlopsPerToken(config, T);
  const forward = embeddings + encoder + head;
  const backward = backwardFactor * forward;
  return {
    tokens,
    parameters,
    sixND: flops6ND(parameters, tokens),
    forward,
    backward,
    electra: forward + backward,
    forwardParts: { embeddings, encoder, head },
  };
}

/** Totals before the first step. */
export const NO_FLOPS: FlopsTotals = Object.freeze({ steps: 0, tokens: 0, sixND: 0, electra: 0 });

/**
 * Totals after one more step (a new object; totals are values, so a checkpoint can store them).
 *
 * @example
 * ```ts
 * import { addStepFlops, NO_FLOPS, stepFlops } from "./flops.ts";
 * const base = {
 *   vocab_size: 30522, hidden_size: 768, num_hidden_layers: 12, num_attention_heads: 12,
 *   intermediate_size: 3072, max_position_embeddings: 512, type_vocab_size: 2,
 * };
 * const shape = { head: "mlm", batch: 128, seq: 128, predictionsPerSequence: 19.2 } as const;
 * let total = NO_FLOPS;
 * for (let i = 0; i < 3; i++) total = addStepFlops(total, stepFlops(base, shape)); // once per update
 * ```
 */
export function addStepFlops(total: FlopsTotals, step: StepFlops): FlopsTotals {
  return {
    steps: total.steps + 1,
    tokens: total.tokens + step.tokens,
    sixND: total.sixND + step.sixND,
    electra: total.electra + step.electra,
  };
}

/**
 * Totals after `steps` identical steps, the planning counterpart of repeated
 * {@linkcode addStepFlops}.
 *
 * @example
 * ```ts
 * import { flopsAfterSteps, stepFlops } from "./flops.ts";
 * const base = {
 *   vocab_size: 30522, hidden_size: 768, num_hidden_layers: 12, num_attention_heads: 12,
 *   intermediate_size: 3072, max_position_embeddings: 512, type_vocab_size: 2,
 * };
 * const shape = { head: "mlm", batch: 128, seq: 128, predictionsPerSequence: 19.2 } as const;
 * flopsAfterSteps(stepFlops(base, shape), 892).sixND; // 9.60e15
 * ```
 */
export function flopsAfterSteps(step: StepFlops, steps: number): FlopsTotals {
  if (!Number.isInteger(steps) || steps < 0) fail(`steps must be an integer >= 0, got ${steps}`);
  return { steps, tokens: steps * step.tokens, sixND: steps * step.sixND, electra: steps * step.electra };
}

/** The FLOPs conventions of METHOD.md §5, by name. */
export type FlopsConvention = "6nd" | "electra";

/** A masked-LM run's compute: steps, or a FLOPs budget, for a model and step shape. */
export interface TrainingBudget {
  /** Sequences per optimizer step. */
  readonly batch: number;
  /** Tokens per sequence. */
  readonly seq: number;
  /** Prediction slots per sequence (google-research/bert's `max_predictions_per_seq`). */
  readonly predictionsPerSequence: number;
  /** Optimizer steps, or null to derive them from `flops`. */
  readonly steps: number | null;
  /** The FLOPs budget when `steps` is null. */
  readonly flops: number | null;
  /** How `flops` is counted. */
  readonly convention: FlopsConvention;
}

/** What a budget comes to: the steps to run and what one costs. */
export interface TrainingPlan {
  /** Optimizer steps. */
  readonly steps: number;
  /** One step's FLOPs in both conventions. */
  readonly perStep: StepFlops;
  /** One step's FLOPs in the budget's convention. */
  readonly stepCost: number;
}

/**
 * The steps of a masked-LM budget: `steps` as given, or the fewest steps whose FLOPs (in the named
 * convention) reach `flops` ({@linkcode stepsForBudget}). Pre-training and the experiment both
 * plan with it, so equal budgets give equal steps.
 *
 * @example
 * ```ts
 * import { planTraining } from "./flops.ts";
 * const base = {
 *   vocab_size: 30522, hidden_size: 768, num_hidden_layers: 12, num_attention_heads: 12,
 *   intermediate_size: 3072, max_position_embeddings: 512, type_vocab_size: 2,
 * };
 * planTraining(base, { batch: 128, seq: 128, predictionsPerSequence: 20, steps: null, flops: 9.6e15,
 *   convention: "6nd" }).steps; // 892
 * ```
 * @throws {RangeError} when neither or both of steps and flops are given, or the budget is less
 * than one step
 */
export function planTraining(config: BertSizes, budget: TrainingBudget): TrainingPlan {
  const perStep = stepFlops(config, {
    head: "mlm",
    batch: budget.batch,
    seq: budget.seq,
    predictionsPerSequence: budget.predictionsPerSequence,
  });
  const stepCost = budget.convention === "6nd" ? perStep.sixND : perStep.electra;
  if ((budget.steps === null) === (budget.flops === null)) {
    fail(`give steps or flops, not ${budget.steps === null ? "neither" : "both"}`);
  }
  if (budget.flops !== null && budget.flops < stepCost) {
    throw new RangeError(
      `Cannot train: flops ${budget.flops.toExponential(2)} is less than one step (${
        stepCost.toExponential(2)
      } ${budget.convention} FLOPs at batch ${budget.batch} x ${budget.seq})`,
    );
  }
  return { steps: budget.steps ?? stepsForBudget(budget.flops!, stepCost), perStep, stepCost };
}

/**
 * The fewest steps of `flopsPerStep` whose total reaches `budget` (e.g. 9.6e15, the paper's
 * base budget). A quotient within 1e-9 of an integer counts as that integer, so that rounding in
 * the division does not add a step.
 *
 * @example
 * ```ts
 * import { stepFlops, stepsForBudget } from "./flops.ts";
 * const base = {
 *   vocab_size: 30522, hidden_size: 768, num_hidden_layers: 12, num_attention_heads: 12,
 *   intermediate_size: 3072, max_position_embeddings: 512, type_vocab_size: 2,
 * };
 * const shape = { head: "mlm", batch: 128, seq: 128, predictionsPerSequence: 19.2 } as const;
 * stepsForBudget(9.6e15, stepFlops(base, shape).sixND); // 892
 * ```
 */
export function stepsForBudget(budget: number, flopsPerStep: number): number {
  if (!Number.isFinite(budget) || budget < 0) fail(`budget must be a finite number >= 0, got ${budget}`);
  if (!Number.isFinite(flopsPerStep) || flopsPerStep <= 0) {
    fail(`flopsPerStep must be a finite number > 0, got ${flopsPerStep}`);
  }
  const quotient = budget / flopsPerStep;
  const nearest = Math.round(quotient);
  return Math.abs(quotient - nearest) <= 1e-9 * Math.max(1, nearest) ? nearest : Math.ceil(quotient);
}

/**
 * One line with both conventions, for logs: `6ND 9.60e+15 FLOPs, ELECTRA-style 1.01e+16 FLOPs`.
 *
 * @example
 * ```ts
 * import { describeFlops } from "./flops.ts";
 * describeFlops({ sixND: 9.6e15, electra: 1.01e16 }); // "6ND 9.60e+15 FLOPs, ELECTRA-style 1.01e+16 FLOPs"
 * ```
 */
export function describeFlops(total: Pick<FlopsTotals, "sixND" | "electra">): string {
  return `6ND ${total.sixND.toExponential(2)} FLOPs, ELECTRA-style ${total.electra.toExponential(2)} FLOPs`;
}
