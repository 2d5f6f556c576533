/**
 * `curriculum`: CCM's concept-based curriculum masking (Lee et al., EMNLP 2022), as METHOD.md
 * section 4 states it.
 *
 * - Stage 0 (before the first boundary) is plain `bert` masking: the MLM warm-up.
 * - Stage 1 masks only the basic concepts: the `basicConcepts` (3,000) concepts of highest
 *   ConceptNet degree that occur in the corpus at least `minFrequency` times (CCM's
 *   basicconcept_selection.py: top by degree among the frequent ones; ties by concept id).
 * - Each next stage adds the 1-hop neighbours of the concepts added last (CCM's
 *   curriculum_construction.py); the sets are cumulative, each a superset of the one before.
 * - The last stage is every concept and every word: `concept` masking with all matches, filled
 *   with ordinary tokens.
 *
 * In stages 1 to K-1 only spans of the stage's concepts are candidates, chosen exactly as `concept`
 * chooses them (p_d over the stage's span tokens, the `bert` budget, whole spans 80/10/10), and the
 * budget is NOT filled with ordinary tokens: CCM's data loader masks only concept tokens there, so
 * a sequence without stage concepts predicts nothing. `fillConceptStages` turns the fill on.
 *
 * @example
 * ```ts
 * const stages = curriculumStages(graph, frequency, { basicConcepts: 3000, stages: 4 });
 * const boundaries = evenBoundaries(1000, 5000, stages.length); // [1000, 2000, 3000, 4000]
 * const masker = curriculumMasker({ vocab, stages, boundaries });
 * masker.mask(ids, { seed: 1, step: 2500, sequence: 0 }, matches); // stage 2
 * ```
 * @module
 */
import type { ConceptGraph } from "../data/conceptnet_graph.ts";
import { bertMasker } from "./bert.ts";
import { type ConceptMaskOptions, maskSpans, resolveSpanOptions } from "./concept.ts";
import { type SequenceKey, sequenceRng } from "./sequence_key.ts";
import type { MaskedSequence, Masker, TokenSpan } from "./types.ts";

/** Options of {@linkcode curriculumStages}. */
export interface CurriculumOptions {
  /** Number of basic concepts (stage 1), default 3000. */
  basicConcepts?: number;
  /** Number of concept stages after the warm-up, the last one "every concept" (default 4). */
  stages?: number;
  /** Least corpus count for a basic concept (default 1: it occurs at all). */
  minFrequency?: number;
}

/** One concept stage of the curriculum. */
export interface CurriculumStage {
  /** 1 for the basic concepts, up to the number of stages. */
  stage: number;
  /** 1 for each concept id of the stage (cumulative). */
  concepts: Uint8Array;
  /** Number of concepts in the stage. */
  size: number;
  /** The concept ids first included at this stage, ascending. */
  added: Uint32Array;
  /** True for the last stage: every concept and every word. */
  all: boolean;
}

/** The graph as the curriculum needs it. */
export type CurriculumGraph = Pick<ConceptGraph, "conceptCount" | "degrees" | "neighbours">;

/**
 * The concept sets of stages 1..`stages` (see the module doc). `frequency[c]` is the corpus count of
 * concept `c`. RangeError for bad options or a frequency array of the wrong length.
 */
export function curriculumStages(
  graph: CurriculumGraph,
  frequency: ArrayLike<number>,
  options: CurriculumOptions = {},
): CurriculumStage[] {
  const { basicConcepts = 3000, stages = 4, minFrequency = 1 } = options;
  const n = graph.conceptCount;
  for (const [name, v, least] of [["basicConcepts", basicConcepts, 1], ["stages", stages, 1]] as const) {
    if (!Number.isInteger(v) || v < least) {
      throw new RangeError(`Cannot build the curriculum: ${name} must be an integer >= ${least}, got ${v}`);
    }
  }
  if (!(minFrequency >= 0)) {
    throw new RangeError(`Cannot build the curriculum: minFrequency must be >= 0, got ${minFrequency}`);
  }
  if (frequency.length !== n) {
    throw new RangeError(
      `Cannot build the curriculum: frequency has ${frequency.length} entries, expected one per concept (${n})`,
    );
  }
  const member = new Uint8Array(n);
  const out: CurriculumStage[] = [];
  const push = (added: number[], all: boolean) => {
    for (const c of added) member[c] = 1;
    out.push({
      stage: out.length + 1,
      concepts: member.slice(),
      size: (out.at(-1)?.size ?? 0) + added.length,
      added: Uint32Array.from(added).sort(),
      all,
    });
  };
  if (stages > 1) {
    const order: number[] = [];
    for (let c = 0; c < n; c++) if (frequency[c]! >= minFrequency) order.push(c);
    order.sort((a, b) => graph.degrees[b]! - graph.degrees[a]! || a - b);
    push(order.slice(0, basicConcepts), false);
  }
  while (out.length < stages - 1) {
    const added: number[] = [];
    const seen = new Uint8Array(n);
    for (const c of out.at(-1)!.added) {
      for (const d of graph.neighbours(c)) {
        if (member[d] || seen[d]) continue;
        seen[d] = 1;
        added.push(d);
      }
    }
    push(added, false);
  }
  const rest: number[] = [];
  for (let c = 0; c < n; c++) if (!member[c]) rest.push(c);
  push(rest, true);
  return out;
}

/**
 * The stage at `step`: the number of boundaries at or below it (0 before the first: the warm-up).
 * `boundaries` are the first steps of stages 1, 2, ..., ascending. RangeError otherwise.
 *
 * @example
 * ```ts
 * stageAt(999, [1000, 2000]); // 0
 * stageAt(2000, [1000, 2000]); // 2
 * ```
 */
export function stageAt(step: number, boundaries: readonly number[]): number {
  checkBoundaries(boundaries);
  let stage = 0;
  while (stage < boundaries.length && boundaries[stage]! <= step) stage++;
  return stage;
}

/**
 * CCM's schedule: `stages` stages of equal length after `warmupSteps` of plain MLM, ending at
 * `totalSteps`; returns the first step of each stage.
 *
 * @example
 * ```ts
 * evenBoundaries(1000, 5000, 4); // [1000, 2000, 3000, 4000]
 * ```
 */
export function evenBoundaries(warmupSteps: number, totalSteps: number, stages: number): number[] {
  if (!(Number.isInteger(warmupSteps) && Number.isInteger(totalSteps) && warmupSteps >= 0)) {
    throw new RangeError(`Cannot split the curriculum: steps must be integers >= 0`);
  }
  if (!(Number.isInteger(stages) && stages >= 1 && totalSteps - warmupSteps >= stages)) {
    throw new RangeError(
      `Cannot split the curriculum: ${totalSteps - warmupSteps} steps after warm-up for ${stages} stages`,
    );
  }
  const span = totalSteps - warmupSteps;
  return Array.from({ length: stages }, (_, i) => warmupSteps + Math.floor((i * span) / stages));
}

function checkBoundaries(boundaries: readonly number[]): void {
  boundaries.forEach((b, i) => {
    if (!Number.isSafeInteger(b) || b < 0 || (i > 0 && b < boundaries[i - 1]!)) {
      throw new RangeError(
        `Cannot find the curriculum stage: boundaries must be ascending integers >= 0, got ${
          boundaries.join(",")
        }`,
      );
    }
  });
}

/** Options of {@linkcode curriculumMasker}. */
export interface CurriculumMaskOptions extends ConceptMaskOptions {
  /** The concept stages, from {@linkcode curriculumStages}. */
  stages: readonly CurriculumStage[];
  /** First step of each stage, one per stage. */
  boundaries: readonly number[];
  /** Fill the budget with ordinary tokens in stages before the last too (default false, as CCM). */
  fillConceptStages?: boolean;
}

/** The curriculum masker: the strategy is chosen by the stage of `key.step`. */
export function curriculumMasker(options: CurriculumMaskOptions): Masker {
  const { stages, boundaries } = options;
  checkBoundaries(boundaries);
  if (boundaries.length !== stages.length || stages.length === 0) {
    throw new RangeError(
      `Cannot mask with the curriculum: ${boundaries.length} boundaries for ${stages.length} stages, expected one per stage`,
    );
  }
  const warmup = bertMasker(options);
  const last = resolveSpanOptions({ ...options, fill: true });
  const early = resolveSpanOptions({ ...options, fill: options.fillConceptStages ?? false });
  return {
    name: "curriculum",
    vocab: warmup.vocab,
    maxPredictions: warmup.maxPredictions,
    mask(ids: Int32Array, key: SequenceKey, matches: readonly TokenSpan[] = []): MaskedSequence {
      const stage = stageAt(key.step, boundaries);
      if (stage === 0) return warmup.mask(ids, key);
      const s = stages[stage - 1]!;
      if (s.all) return maskSpans(ids, sequenceRng(key), matches, last);
      const inStage = matches.filter((m) => s.concepts[m.concept] === 1);
      return maskSpans(ids, sequenceRng(key), inStage, early);
    },
  };
}
