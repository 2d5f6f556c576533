/**
 * One entry from masking settings to a masker: it loads what the strategy needs and nothing more
 * (ConceptNet's lexicon for the concept strategies; for the curriculum, the concept stages built
 * from concept frequencies in the text and the stage boundaries), so `pretrain`, `masks` and the
 * experiment prepare a strategy the same way.
 *
 * @example
 * ```ts
 * import { prepareMasking } from "./prepare.ts";
 * import { loadVocab } from "../data/vocab.ts";
 *
 * const vocab = await loadVocab();
 * const prepared = await prepareMasking({ masking: "concept" }, { vocab, sample: () => Promise.resolve(sequences) });
 * const matches = prepared.matcher?.matchTokens(sequences[0]!, vocab);
 * prepared.masker.mask(sequences[0]!, { seed: 1, step: 1, sequence: 0 }, matches);
 * ```
 * @module
 */
import { logToStderr } from "../util/stdio.ts";
import { ConceptMatcher } from "../data/concept_matcher.ts";
import { formatSkippedLines, loadConceptNet } from "../data/conceptnet.ts";
import { conceptHygiene } from "../data/concept_fields.ts";
import type { ConceptGraph } from "../data/conceptnet_graph.ts";
import { type CurriculumStage, curriculumStages, evenBoundaries } from "./curriculum.ts";
import { MASKING_SETTINGS, type MaskingSettings } from "./settings.ts";
import { createMasker, STRATEGIES } from "./strategies.ts";
import type { Masker, MaskingVocab } from "./types.ts";
import type { Vocab } from "../data/vocab.ts";

/** What {@linkcode prepareMasking} needs besides the settings. */
export interface MaskingContext {
  /** The vocabulary the sequences are in. */
  vocab: Vocab & MaskingVocab;
  /** Sequences whose concept frequencies choose the curriculum's basic concepts (read only for it). */
  sample?: () => Promise<Int32Array[]>;
  /** The run's steps: the curriculum's default boundaries split them (needed when `boundaries` is null). */
  totalSteps?: number;
  /** Load ConceptNet's lexicon even for strategies that ignore concepts (to measure them). */
  alwaysMatch?: boolean;
  /** Progress lines (default: stderr). */
  log?: (line: string) => void;
  /**
   * Warnings, such as the count of malformed ConceptNet lines skipped (default: stderr, even when
   * `log` is quiet: skipping is never silent).
   */
  warn?: (line: string) => void;
}

/** A strategy ready to mask. */
export interface PreparedMasking {
  /** Masks one sequence. */
  masker: Masker;
  /** Finds concept spans (null when the strategy ignores concepts and `alwaysMatch` is off). */
  matcher: ConceptMatcher | null;
  /** The concept graph the matcher was built from. */
  graph: ConceptGraph | null;
  /** The curriculum's concept stages and their first steps (null for other strategies). */
  curriculum: { stages: CurriculumStage[]; boundaries: number[] } | null;
}

/** Curriculum stages when `boundaries` is null, after a warm-up of a fifth of the steps (CCM's). */
const DEFAULT_STAGES = 4;

/**
 * The masker of `settings.masking` with everything it needs loaded.
 *
 * @throws {Error} when the ConceptNet file has no English concepts, or the curriculum has no steps
 * to split (neither `boundaries` nor `totalSteps`)
 */
export async function prepareMasking(
  masking: Partial<MaskingSettings>,
  context: MaskingContext,
): Promise<PreparedMasking> {
  const settings = MASKING_SETTINGS.withDefaults(masking);
  const log = context.log ?? logToStderr;
  const needs = STRATEGIES[settings.masking];
  let graph: ConceptGraph | null = null;
  let matcher: ConceptMatcher | null = null;
  if (needs.concepts || context.alwaysMatch) {
    const start = performance.now();
    const loaded = await loadConceptNet(settings.conceptnet, {
      keepExcludedRelations: settings.keep_excluded_relations,
    });
    graph = loaded.graph;
    const skipped = formatSkippedLines(loaded.report);
    if (skipped !== null) (context.warn ?? logToStderr)(skipped);
    if (graph.conceptCount === 0) {
      throw new Error(`Cannot mask concepts: ${settings.conceptnet} has no English concepts`);
    }
    matcher = ConceptMatcher.fromGraph(graph, { maxN: settings.max_n, hygiene: conceptHygiene(settings) });
    log(
      `masking: ${graph.conceptCount} concepts, ${graph.edgeCount} edges from ${settings.conceptnet} (${
        ((performance.now() - start) / 1000).toFixed(1)
      } s)`,
    );
  }
  let curriculum: PreparedMasking["curriculum"] = null;
  if (needs.curriculum) {
    const frequency = new Uint32Array(graph!.conceptCount);
    for (const ids of (await context.sample?.()) ?? []) {
      for (const span of matcher!.matchTokens(ids, context.vocab)) frequency[span.concept]!++;
    }
    const count = settings.boundaries?.length ?? DEFAULT_STAGES;
    const stages = curriculumStages(graph!, frequency, {
      basicConcepts: settings.basic_concepts,
      stages: count,
    });
    let boundaries = settings.boundaries;
    if (boundaries === null) {
      if (context.totalSteps === undefined) {
        throw new Error(`Cannot mask with the curriculum: give its boundaries, or the steps to split`);
      }
      boundaries = evenBoundaries(Math.floor(context.totalSteps / 5), context.totalSteps, count);
    }
    curriculum = { stages, boundaries };
    log(
      `masking: curriculum stages of ${stages.map((s) => s.size).join(", ")} concepts from steps ${
        boundaries.join(", ")
      }`,
    );
  }
  const masker = createMasker(settings.masking, {
    vocab: context.vocab,
    maxPredictions: settings.max_predictions,
    wholeWord: settings.whole_word,
    ...(curriculum ?? {}),
  });
  return { masker, matcher, graph, curriculum };
}
