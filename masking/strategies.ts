/**
 * The strategies by name, and what each needs.
 * @module
 */
import { bernoulliMasker } from "./bernoulli.ts";
import { bertMasker } from "./bert.ts";
import { conceptMasker } from "./concept.ts";
import { curriculumMasker, type CurriculumMaskOptions } from "./curriculum.ts";
import type { Masker } from "./types.ts";

/** The strategy names. */
export const STRATEGY_NAMES = ["bert", "bernoulli", "concept", "curriculum"] as const;

/** One of {@linkcode STRATEGY_NAMES}. */
export type StrategyName = typeof STRATEGY_NAMES[number];

/** What each strategy needs besides the sequence: concept spans, and curriculum stages. */
export const STRATEGIES: Readonly<Record<StrategyName, { concepts: boolean; curriculum: boolean }>> = {
  bert: { concepts: false, curriculum: false },
  bernoulli: { concepts: false, curriculum: false },
  concept: { concepts: true, curriculum: false },
  curriculum: { concepts: true, curriculum: true },
};

/** Whether `name` is a strategy name. */
export function isStrategyName(name: string): name is StrategyName {
  return (STRATEGY_NAMES as readonly string[]).includes(name);
}

/** Options of any strategy: `stages` and `boundaries` are needed by `curriculum` only. */
export type StrategyOptions =
  & Omit<CurriculumMaskOptions, "stages" | "boundaries">
  & Partial<
    Pick<CurriculumMaskOptions, "stages" | "boundaries">
  >;

/**
 * The masker of a strategy; RangeError for an unknown name, or `curriculum` without stages.
 *
 * @example
 * ```ts
 * const masker = createMasker("concept", { vocab, wholeWord: true });
 * ```
 */
export function createMasker(name: string, options: StrategyOptions): Masker {
  switch (name) {
    case "bert":
      return bertMasker(options);
    case "bernoulli":
      return bernoulliMasker(options);
    case "concept":
      return conceptMasker(options);
    case "curriculum": {
      const { stages, boundaries } = options;
      if (!stages || !boundaries) {
        throw new RangeError(`Cannot mask with "curriculum": stages and boundaries are required`);
      }
      return curriculumMasker({ ...options, stages, boundaries });
    }
    default:
      throw new RangeError(
        `Cannot mask: unknown strategy "${name}", expected one of ${STRATEGY_NAMES.join(", ")}`,
      );
  }
}
