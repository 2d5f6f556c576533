/**
 * The experiment's arms: the paper's four (general, general-20x, random, concentrated) and the two
 * ablations that separate its two ideas, data and masking.
 * @module
 */
import type { StrategyName } from "../masking/strategies.ts";

/** The arms: the paper's four and the two ablations that separate its two ideas. */
export type ArmName =
  | "general"
  | "general-20x"
  | "random"
  | "concentrated"
  | "concentrated-bert"
  | "random-concept";

/** What one arm trains on and how it masks. */
export interface ArmSpec {
  /** The arm's name, also its folder under `<out>/arms/`. */
  readonly name: ArmName;
  /** The text it pre-trains on: the whole corpus, the random control or the concentrated corpus. */
  readonly data: "full" | "random" | "concentrated";
  /** How it masks. */
  readonly masking: StrategyName;
  /** Whether the arm gets `multiplier` times the compute of the others. */
  readonly scaled: boolean;
  /** One line for tables and logs. */
  readonly description: string;
}

/** Every arm, in the paper's table order. */
export const ARMS: Readonly<Record<ArmName, ArmSpec>> = {
  "general": {
    name: "general",
    data: "full",
    masking: "bert",
    scaled: false,
    description: "the whole corpus, BERT masking",
  },
  "general-20x": {
    name: "general-20x",
    data: "full",
    masking: "bert",
    scaled: true,
    description: "the whole corpus, BERT masking, multiplied compute",
  },
  "random": {
    name: "random",
    data: "random",
    masking: "bert",
    scaled: false,
    description: "a random subset of the concentrated size, BERT masking",
  },
  "concentrated": {
    name: "concentrated",
    data: "concentrated",
    masking: "concept",
    scaled: false,
    description: "the ConceptNet-concentrated subset, concept masking",
  },
  "concentrated-bert": {
    name: "concentrated-bert",
    data: "concentrated",
    masking: "bert",
    scaled: false,
    description: "ablation: the concentrated subset with BERT masking",
  },
  "random-concept": {
    name: "random-concept",
    data: "random",
    masking: "concept",
    scaled: false,
    description: "ablation: the random subset with concept masking",
  },
};

/** The arm names in table order. */
export const ARM_NAMES: readonly ArmName[] = Object.keys(ARMS) as ArmName[];
