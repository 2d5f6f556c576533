/**
 * One ConceptNet line (already split on tabs) to one graph edge, for both input formats, with the
 * counts that the load report gives. No I/O here: {@linkcode ConceptNetRows} is fed rows by the
 * streaming reader in conceptnet.ts and by tests.
 * @module
 */
import type { ConceptGraphBuilder } from "./conceptnet_graph.ts";
import { canonicalRelation, isExcludedByDefault } from "./conceptnet_relations.ts";
import { englishTerm, normalizePhrase, parseConceptUri, relationName } from "./conceptnet_uri.ts";

/**
 * `assertions`: ConceptNet's 5-column dump (edge URI, relation URI, start URI, end URI, JSON).
 * `extract`: the 4-column English extract (relation, head, tail, weight), e.g. CN-100K.
 */
export type ConceptNetFormat = "assertions" | "extract";

/** A skipped line: its 1-based number and why. */
export interface MalformedLine {
  /** 1-based line number in the (decompressed) file. */
  line: number;
  /** What is wrong with it, e.g. `JSON column is not valid JSON`. */
  reason: string;
}

/** How lines are read and which relations count. */
export interface ConceptNetRowOptions {
  /** Input format; "auto" (default) decides by the column count of the first data line (5 or 4). */
  format?: "auto" | ConceptNetFormat;
  /** Keep the relations excluded from scoring by default (see `isExcludedByDefault`). */
  keepExcludedRelations?: boolean;
  /** Replaces the default exclusion test; called with canonical names (`IsA`, `dbpedia/genre`). */
  isExcluded?: (relation: string) => boolean;
  /** How many malformed lines the report lists by number (default 5); all are counted. */
  maxMalformedSamples?: number;
}

/** The counts of a load, all in lines except `relationCounts`. */
export interface ConceptNetCounts {
  /** Format used, or null before the first data line. */
  format: ConceptNetFormat | null;
  /** Lines read, blank ones included. */
  lines: number;
  /** Empty or whitespace-only lines, skipped. */
  blank: number;
  /**
   * Lines skipped as malformed (wrong column count, bad URI or JSON, non-numeric weight, not UTF-8,
   * too long).
   */
  malformed: number;
  /** The first malformed lines, by number. */
  malformedSamples: MalformedLine[];
  /** Well-formed edges whose start or end is not an English concept. */
  notEnglish: number;
  /** Well-formed English-English edges: `kept + excluded`. */
  english: number;
  /** English-English edges dropped by the relation filter. */
  excluded: number;
  /** English-English edges kept, duplicates included. */
  kept: number;
  /** Kept edges that repeated an earlier (head, relation, tail); their weights were max-merged. */
  duplicates: number;
  /** Kept edges per relation. */
  relationCounts: Map<string, number>;
  /** Excluded edges per relation. */
  excludedCounts: Map<string, number>;
}

const UNDETECTED_LIMIT = 10;

/**
 * Turns rows into edges of a {@linkcode ConceptGraphBuilder}, counting what it skips.
 *
 * @example
 * ```ts
 * const builder = new ConceptGraphBuilder();
 * const rows = new ConceptNetRows(builder);
 * rows.row(["IsA", "cat", "animal", "2.5"], 1);
 * rows.counts.format; // "extract"
 * builder.finish().edgeCount; // 1
 * ```
 */
export class ConceptNetRows {
  /** Counts so far. */
  readonly counts: ConceptNetCounts;
  #builder: ConceptGraphBuilder;
  #exclude: (relation: string) => boolean;
  #maxSamples: number;
  #relations = new Map<string, { id: number; name: string; excluded: boolean } | null>();
  #undetected = 0;

  /** Feeds `builder`; options as in {@linkcode ConceptNetRowOptions}. */
  constructor(builder: ConceptGraphBuilder, options: ConceptNetRowOptions = {}) {
    this.#builder = builder;
    this.#exclude = options.keepExcludedRelations ? () => false : (options.isExcluded ?? isExcludedByDefault);
    this.#maxSamples = options.maxMalformedSamples ?? 5;
    const format = options.format ?? "auto";
    this.counts = {
      format: format === "auto" ? null : format,
      lines: 0,
      blank: 0,
      malformed: 0,
      malformedSamples: [],
      notEnglish: 0,
      english: 0,
      excluded: 0,
      kept: 0,
      duplicates: 0,
      relationCounts: new Map(),
      excludedCounts: new Map(),
    };
  }

  /**
   * Reads one line's columns. Throws only when the format is "auto" and the first 10 data lines
   * have neither 5 nor 4 columns (then this is not a ConceptNet file in either format).
   */
  row(cols: string[], line: number): void {
    const c = this.counts;
    c.lines++;
    if (cols.length === 0 || (cols.length === 1 && cols[0]!.trim() === "")) {
      c.blank++;
      return;
    }
    if (line === 1 && cols[0]!.charCodeAt(0) === 0xfeff) cols[0] = cols[0]!.slice(1);
    if (c.format === null) {
      if (cols.length === 5) c.format = "assertions";
      else if (cols.length === 4) c.format = "extract";
      else {
        this.#malformed(line, `expected 5 or 4 tab-separated columns, got ${cols.length}`);
        if (++this.#undetected >= UNDETECTED_LIMIT) throw new Error(undetectedMessage(UNDETECTED_LIMIT));
        return;
      }
    }
    if (c.format === "assertions") this.#assertion(cols, line);
    else this.#extract(cols, line);
  }

  /**
   * Counts a line the reader could not give as text (not UTF-8, too long) as read and malformed,
   * for `why` (`not valid UTF-8 (byte 3 of the line is 0xFF)`).
   */
  skip(why: string, line: number): void {
    this.counts.lines++;
    this.#malformed(line, why);
  }

  /**
   * Throws when the file held no ConceptNet edge at all: no data lines, no line that decided the
   * format, or every data line malformed (a file of another kind with 4 or 5 columns).
   */
  finish(): void {
    const c = this.counts;
    if (c.lines === c.blank) throw new Error("the file has no data lines");
    // Every data line unreadable (a binary file) decided no format: say why, not "0 lines".
    if (c.format === null && this.#undetected > 0) throw new Error(undetectedMessage(this.#undetected));
    if (c.malformed === c.lines - c.blank) {
      const first = c.malformedSamples[0];
      throw new Error(
        `none of its ${c.malformed} data lines is a ConceptNet edge` +
          (c.format === null ? "" : ` in the ${c.format} format`) +
          (first ? ` (line ${first.line}: ${first.reason})` : ""),
      );
    }
  }

  #assertion(cols: string[], line: number): void {
    if (cols.length !== 5) {
      return this.#malformed(line, `expected 5 tab-separated columns, got ${cols.length}`);
    }
    const start = cols[2]!, end = cols[3]!;
    const head = englishTerm(start), tail = englishTerm(end);
    if (head === null || tail === null) {
      const bad = head === null && start.startsWith("/c/en/")
        ? start
        : tail === null && end.startsWith("/c/en/")
        ? end
        : null;
      if (bad !== null) return this.#malformed(line, `concept URI "${bad}" has no term`);
      this.counts.notEnglish++;
      return;
    }
    const rel = this.#relation(cols[1]!, line);
    if (rel === undefined) return;
    if (rel.excluded) return this.#excluded(rel.name);
    const weight = jsonWeight(cols[4]!);
    if (typeof weight === "string") return this.#malformed(line, weight);
    this.#keep(head, rel, tail, weight);
  }

  #extract(cols: string[], line: number): void {
    if (cols.length !== 4) {
      return this.#malformed(line, `expected 4 tab-separated columns, got ${cols.length}`);
    }
    const head = extractTerm(cols[1]!), tail = extractTerm(cols[2]!);
    if (head === "") return this.#malformed(line, "empty head");
    if (tail === "") return this.#malformed(line, "empty tail");
    if (head === null || tail === null) {
      this.counts.notEnglish++;
      return;
    }
    const rel = this.#relation(cols[0]!, line);
    if (rel === undefined) return;
    if (rel.excluded) return this.#excluded(rel.name);
    const raw = cols[3]!.trim();
    const weight = raw === "" ? NaN : Number(raw);
    if (!Number.isFinite(weight)) return this.#malformed(line, `weight "${raw}" is not a number`);
    this.#keep(head, rel, tail, weight);
  }

  /** Resolves (and caches) a relation column; undefined after reporting a malformed line. */
  #relation(raw: string, line: number): { id: number; name: string; excluded: boolean } | undefined {
    let rel = this.#relations.get(raw);
    if (rel === undefined) {
      const trimmed = raw.trim();
      // The dump always writes URIs; extracts may write bare names (`IsA`, `atlocation`) or URIs.
      const uri = trimmed.startsWith("/") || this.counts.format === "assertions";
      const name = uri ? relationName(trimmed) : trimmed === "" ? null : trimmed;
      if (name === null) rel = null;
      else {
        const canonical = canonicalRelation(name);
        // Excluded relations get no id, so the graph lists only the relations of its edges.
        const excluded = this.#exclude(canonical);
        rel = { id: excluded ? -1 : this.#builder.relation(canonical), name: canonical, excluded };
      }
      this.#relations.set(raw, rel);
    }
    if (rel === null) {
      const expected = this.counts.format === "assertions" ? "an /r/ URI" : "a relation name or /r/ URI";
      this.#malformed(line, `relation "${raw}" is not ${expected}`);
      return undefined;
    }
    return rel;
  }

  #keep(head: string, rel: { id: number; name: string }, tail: string, weight: number): void {
    const c = this.counts;
    c.english++;
    c.kept++;
    c.relationCounts.set(rel.name, (c.relationCounts.get(rel.name) ?? 0) + 1);
    const b = this.#builder;
    if (!b.add(b.concept(head), rel.id, b.concept(tail), weight)) c.duplicates++;
  }

  #excluded(name: string): void {
    const c = this.counts;
    c.english++;
    c.excluded++;
    c.excludedCounts.set(name, (c.excludedCounts.get(name) ?? 0) + 1);
  }

  #malformed(line: number, reason: string): void {
    const c = this.counts;
    c.malformed++;
    if (c.malformedSamples.length < this.#maxSamples) c.malformedSamples.push({ line, reason });
  }
}

function undetectedMessage(lines: number): string {
  return `the first ${lines} data line(s) have neither 5 columns (edge, relation, start, end, JSON) ` +
    `nor 4 (relation, head, tail, weight); force the format if the file is one of these`;
}

/** The weight of an assertion's JSON column (1.0 when absent), or the reason it is unusable. */
function jsonWeight(json: string): number | string {
  let info: unknown;
  try {
    info = JSON.parse(json);
  } catch {
    return "JSON column is not valid JSON";
  }
  if (typeof info !== "object" || info === null || Array.isArray(info)) return "JSON column is not an object";
  const weight = (info as { weight?: unknown }).weight;
  if (weight === undefined) return 1.0;
  if (typeof weight !== "number" || !Number.isFinite(weight)) {
    return `weight ${JSON.stringify(weight)} is not a number`;
  }
  return weight;
}

/** A head or tail of an extract: a phrase, or a concept URI (null when not English, "" when empty). */
function extractTerm(field: string): string | null {
  if (!field.startsWith("/c/")) return normalizePhrase(field);
  const uri = parseConceptUri(field);
  if (uri === null) return "";
  return uri.lang === "en" ? uri.term : null;
}
