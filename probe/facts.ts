/**
 * The knowledge probe's facts: the true rows of CN-100K-format files (`relation<TAB>head<TAB>tail<TAB>label`,
 * label 1 true, 0 a corrupted negative), each turned into one masked sentence by its relation's
 * template, and kept when the model can be asked for its tail: the tail is one scored WordPiece
 * token of the model's vocab and the sentence fits the model.
 *
 * Each row ends up in exactly one bin, counted per relation: kept, or skipped as `malformed` (not
 * four columns, an empty field, a label other than 0 or 1, a head that holds [MASK] itself),
 * `duplicate` (the same relation, head and tail as an earlier row, in any of the files),
 * `noTemplate`, `tailNotInVocab` (the tail is [UNK] or another unscored token), `multiTokenTail`
 * or `tooLong`. Label-0 rows are counted per file and otherwise ignored.
 *
 * @example
 * ```ts
 * import { readProbeFacts } from "./facts.ts";
 * import { readProbeTemplates } from "./templates.ts";
 * import { scoredTokens } from "./ranking.ts";
 * import { BertTokenizer } from "../data/tokenizer.ts";
 * import { PROBE_FACTS, PROBE_TEMPLATES } from "../data/samples.ts";
 *
 * const tokenizer = await BertTokenizer.load();
 * const { facts, report } = await readProbeFacts(PROBE_FACTS, {
 *   tokenizer,
 *   templates: await readProbeTemplates(PROBE_TEMPLATES),
 *   scored: scoredTokens(tokenizer.vocab),
 *   maxTokens: 512,
 * });
 * console.log(facts[0]!.text, report.total.kept); // "baseball is a [MASK]." 1273
 * ```
 * @module
 */
import { readTextLines } from "../data/lines.ts";
import type { BertTokenizer } from "../data/tokenizer.ts";
import { fillTemplate } from "./templates.ts";

/** One fact, ready to score. */
export interface ProbeFact {
  /** The relation, as the file names it (`IsA`). */
  relation: string;
  /** The head phrase. */
  head: string;
  /** The tail phrase: one token of the vocab. */
  tail: string;
  /** The template with the head filled in, its [MASK] standing for the tail. */
  text: string;
  /** The encoded text, [CLS] and [SEP] included. */
  ids: Int32Array;
  /** Index of the [MASK] in `ids`. */
  mask: number;
  /** The tail's token id: the answer. */
  gold: number;
  /** Where the row came from: `path:line`. */
  source: string;
}

/** Why a row was not kept. */
export type FactSkipReason =
  | "malformed"
  | "duplicate"
  | "noTemplate"
  | "tailNotInVocab"
  | "multiTokenTail"
  | "tooLong";

/** Every reason a row is skipped, in the order the checks run. */
export const FACT_SKIP_REASONS: readonly FactSkipReason[] = [
  "malformed",
  "duplicate",
  "noTemplate",
  "tailNotInVocab",
  "multiTokenTail",
  "tooLong",
];

/** How each skip reason reads in reports. */
export const FACT_SKIP_LABELS: Readonly<Record<FactSkipReason, string>> = {
  malformed: "malformed",
  duplicate: "duplicate",
  noTemplate: "no template",
  tailNotInVocab: "tail not in vocab",
  multiTokenTail: "multi-token tail",
  tooLong: "too long",
};

/** The rows of one relation: `read = kept + ` the skipped ones. */
export interface RelationFactCounts extends Record<FactSkipReason, number> {
  /** Rows read: the true ones and the malformed ones (negatives are not counted here). */
  read: number;
  /** Rows kept as facts. */
  kept: number;
}

/** What one facts file held. */
export interface FactFileCounts {
  /** The file. */
  path: string;
  /** Lines, blank ones included. */
  lines: number;
  /** Empty lines, skipped. */
  blank: number;
  /** Well-formed rows with label 1. */
  positives: number;
  /** Well-formed rows with label 0, ignored. */
  negatives: number;
  /** Rows that are not `relation<TAB>head<TAB>tail<TAB>label`. */
  malformed: number;
}

/** A malformed row and why. */
export interface MalformedFactRow {
  /** `path:line`. */
  source: string;
  /** What is wrong with it. */
  reason: string;
}

/** How the facts files were read. */
export interface ProbeFactReport {
  /** Per file, in the order given. */
  files: FactFileCounts[];
  /**
   * Per relation (sorted by name); a malformed row counts under its first column, or `(none)`
   * when that is empty.
   */
  relations: Record<string, RelationFactCounts>;
  /** Every relation together. */
  total: RelationFactCounts;
  /** The first malformed rows (at most 5). */
  malformedRows: MalformedFactRow[];
}

/** What {@linkcode readProbeFacts} needs besides the files. */
export interface ReadProbeFactsOptions {
  /** The model's tokenizer. */
  tokenizer: BertTokenizer;
  /** Templates by relation ({@linkcode readProbeTemplates}). */
  templates: ReadonlyMap<string, string>;
  /** Which ids may be answers (`scoredTokens` of ranking.ts). */
  scored: Uint8Array;
  /** The longest sequence the model takes, [CLS] and [SEP] included. */
  maxTokens: number;
}

/** What {@linkcode readProbeFacts} returns. */
export interface ProbeFacts {
  /** The kept facts, in file and line order. */
  facts: ProbeFact[];
  /** The counts. */
  report: ProbeFactReport;
}

const MAX_MALFORMED_SAMPLES = 5;

/** Counts of zero, for one relation. */
export function emptyFactCounts(): RelationFactCounts {
  const counts = { read: 0, kept: 0 } as RelationFactCounts;
  for (const r of FACT_SKIP_REASONS) counts[r] = 0;
  return counts;
}

/**
 * Reads the facts files (plain or gzip) and keeps the usable true facts.
 *
 * @throws {Error} `Cannot read facts "<path>": ...` for a file that cannot be read; an empty file
 * is not an error here (the caller decides)
 */
export async function readProbeFacts(
  paths: readonly string[],
  options: ReadProbeFactsOptions,
): Promise<ProbeFacts> {
  const { tokenizer, templates, scored, maxTokens } = options;
  const mask = tokenizer.vocab.special.mask;
  const relations = new Map<string, RelationFactCounts>();
  const files: FactFileCounts[] = [];
  const malformedRows: MalformedFactRow[] = [];
  const seen = new Set<string>();
  const facts: ProbeFact[] = [];
  const count = (relation: string, bin: FactSkipReason | "kept") => {
    let c = relations.get(relation);
    if (!c) relations.set(relation, c = emptyFactCounts());
    c.read++;
    c[bin]++;
  };
  for (const path of paths) {
    const file: FactFileCounts = { path, lines: 0, blank: 0, positives: 0, negatives: 0, malformed: 0 };
    files.push(file);
    for await (const line of readTextLines(path, { label: "facts" })) {
      file.lines++;
      const source = `${path}:${file.lines}`;
      if (line.trim() === "") {
        file.blank++;
        continue;
      }
      const cols = line.split("\t").map((c) => c.trim());
      const malformed = (reason: string) => {
        file.malformed++;
        count(cols[0] || "(none)", "malformed");
        if (malformedRows.length < MAX_MALFORMED_SAMPLES) malformedRows.push({ source, reason });
      };
      const why = rowProblem(cols);
      if (why !== null) {
        malformed(why);
        continue;
      }
      const [relation, head, tail, label] = cols as [string, string, string, string];
      if (label === "0") {
        file.negatives++;
        continue;
      }
      file.positives++;
      const key = `${relation}\t${head}\t${tail}`;
      if (seen.has(key)) {
        count(relation, "duplicate");
        continue;
      }
      seen.add(key);
      const template = templates.get(relation);
      if (template === undefined) {
        count(relation, "noTemplate");
        continue;
      }
      const tailIds = tokenizer.encodeIds(tail);
      if (tailIds.length > 1) {
        count(relation, "multiTokenTail");
        continue;
      }
      if (tailIds.length === 0 || scored[tailIds[0]!] !== 1) {
        count(relation, "tailNotInVocab");
        continue;
      }
      const text = fillTemplate(template, head);
      const ids = Int32Array.from(tokenizer.encode(text).ids);
      const masks = ids.reduce((n, id) => n + (id === mask ? 1 : 0), 0);
      if (masks !== 1) {
        file.positives--;
        malformed(`the head "${head}" holds [MASK]`);
        continue;
      }
      if (ids.length > maxTokens) {
        count(relation, "tooLong");
        continue;
      }
      count(relation, "kept");
      facts.push({ relation, head, tail, text, ids, mask: ids.indexOf(mask), gold: tailIds[0]!, source });
    }
  }
  const sorted = [...relations.keys()].sort();
  const total = emptyFactCounts();
  for (const c of relations.values()) {
    for (const k of Object.keys(total) as (keyof RelationFactCounts)[]) total[k] += c[k];
  }
  return {
    facts,
    report: {
      files,
      relations: Object.fromEntries(sorted.map((r) => [r, relations.get(r)!])),
      total,
      malformedRows,
    },
  };
}

/** Why the columns of a row are not a CN-100K row, or null. */
function rowProblem(cols: readonly string[]): string | null {
  if (cols.length !== 4) return `expected 4 tab-separated columns, got ${cols.length}`;
  const empty = ["relation", "head", "tail", "label"].find((_, k) => cols[k] === "");
  if (empty) return `the ${empty} is empty`;
  if (cols[3] !== "0" && cols[3] !== "1") return `the label must be 0 or 1, got "${cols[3]}"`;
  return null;
}
