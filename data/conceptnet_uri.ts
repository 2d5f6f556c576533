/**
 * ConceptNet URIs: concept URIs (`/c/en/ice_cream/n/wn/food`) to terms, relation URIs (`/r/IsA`)
 * to names, and the normalisation of surface phrases from 4-column extracts.
 * @module
 */

/** A concept URI split into its language and its term (`_` already replaced by spaces). */
export interface ConceptUri {
  lang: string;
  term: string;
}

/**
 * Parses `/c/<lang>/<term>[/<pos>[/...]]`; the term is path segment 3 with `_` standing for a space.
 * Returns null when the URI is not a concept URI or its language or term is empty (`/c/en/`).
 *
 * @example
 * ```ts
 * parseConceptUri("/c/en/ice_cream/n/wn/food"); // { lang: "en", term: "ice cream" }
 * parseConceptUri("/c/fr/chat"); // { lang: "fr", term: "chat" }
 * ```
 */
export function parseConceptUri(uri: string): ConceptUri | null {
  if (!uri.startsWith("/c/")) return null;
  const langEnd = uri.indexOf("/", 3);
  if (langEnd <= 3) return null;
  const lang = uri.slice(3, langEnd);
  const term = termAt(uri, langEnd + 1);
  return term === null ? null : { lang, term };
}

/**
 * The term of an English concept URI (`/c/en/...`), or null when the URI is not English or has
 * an empty term. This is the hot path of the loader, so it avoids building a {@linkcode ConceptUri}.
 *
 * @example
 * ```ts
 * englishTerm("/c/en/ice_cream/n"); // "ice cream"
 * englishTerm("/c/de/eis"); // null
 * ```
 */
export function englishTerm(uri: string): string | null {
  return uri.startsWith("/c/en/") ? termAt(uri, 6) : null;
}

function termAt(uri: string, start: number): string | null {
  const slash = uri.indexOf("/", start);
  const raw = slash < 0 ? uri.slice(start) : uri.slice(start, slash);
  if (raw.length === 0) return null;
  return raw.includes("_") ? raw.replaceAll("_", " ") : raw;
}

/**
 * The name of a relation URI: `/r/IsA` -> "IsA", `/r/dbpedia/genre` -> "dbpedia/genre"; a trailing
 * slash is dropped. Returns null when the URI does not start with `/r/` or names nothing.
 *
 * @example
 * ```ts
 * relationName("/r/dbpedia/genre"); // "dbpedia/genre"
 * ```
 */
export function relationName(uri: string): string | null {
  if (!uri.startsWith("/r/")) return null;
  const name = uri.endsWith("/") ? uri.slice(3, -1) : uri.slice(3);
  return name.length === 0 ? null : name;
}

/**
 * Normalises a surface phrase of a 4-column extract (`Go to  the_mall `) the way ConceptNet writes
 * terms: trimmed, lowercased, `_` as a space, runs of whitespace collapsed. Returns "" for a blank
 * phrase.
 *
 * @example
 * ```ts
 * normalizePhrase(" Go to  the_mall "); // "go to the mall"
 * ```
 */
export function normalizePhrase(phrase: string): string {
  return phrase.replaceAll("_", " ").trim().replace(/\s+/g, " ").toLowerCase();
}
