/**
 * What every unit scorer offers the concentration scan: inline or a worker pool, the same
 * interface.
 * @module
 */
import type { LaneResult, LaneSpec } from "./lane.ts";

/** Per-concept and per-edge unit counts, named and sparse, largest first (ties by name). */
export interface Tallies {
  /** Each concept found, with the number of units it was found in. */
  concepts: [term: string, units: number][];
  /** Each edge found, with the number of units it was found in. */
  edges: [head: string, relation: string, tail: string, units: number][];
}

/** What every scorer offers the scan. */
export interface UnitScorer {
  /** Threads scoring (1 inline). */
  readonly workers: number;
  /** What the scorer was built from, for the report. */
  info?: ScorerInfo;
  /** f(t) of each text, in order. */
  scoreBatch(texts: readonly string[]): Promise<Float64Array>;
  /** The tallies of every unit scored so far. */
  tallies(): Promise<Tallies>;
  /**
   * Scans whole lanes in parallel, each reading, scoring and keeping its units on its own (at most
   * `workers` lanes); absent where only batches can be scored.
   */
  scanLanes?(lanes: readonly LaneSpec[]): Promise<LaneResult[]>;
  /** Frees the workers. */
  close(): void;
}

/** What a ConceptNet load read, kept, skipped (malformed lines are counted, never fatal). */
export interface ScorerInfo {
  /** A count in lines, edges or concepts, or the input format (null if never decided), by snake_case name. */
  [k: string]: number | string | null;
}
