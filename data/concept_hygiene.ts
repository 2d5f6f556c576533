/**
 * Concept hygiene (docs/METHOD.md section 2a): which lexicon terms are not concepts, which edges
 * do not count, and the lemmas through which text words also match. Exact lookup alone makes f(t)
 * mostly noise: on the shipped sample a third of it came from edges with a function-word end
 * (`this HasProperty a`) and a tenth from self-loops (`book IsA book`), and inflected words
 * ("dogs", "used") matched nothing.
 *
 * - The stop list is the union of the `stopword` package's English list (its `eng`, 108 words,
 *   MIT), NLTK's English list (179 words, `stop_words.ts`) and English number words; a one-word
 *   term that is one of them, a single character, or has no letter is a stop concept.
 * - Lemmas come from `wink-lemmatizer` (WordNet's exception lists and morphy rules, as NLTK's
 *   WordNetLemmatizer): chosen over en-inflectors (which gives "was" -> "wa") and compromise
 *   (about 3,000x slower per word); measured in the README.
 * @module
 */
import lemmatizer from "wink-lemmatizer";
import { eng } from "stopword";
import { normalizeWords } from "./concept_words.ts";
import { NLTK_ENGLISH_STOP_WORDS } from "./stop_words.ts";

/** How concepts are cleaned; each filter has an option to turn it off. */
export interface ConceptHygiene {
  /** Keep terms that are stop words, number words, single characters or punctuation (default false). */
  keepStopConcepts: boolean;
  /** Keep edges whose head and tail are the same concept (default false). */
  keepSelfLoops: boolean;
  /** Match text words through their lemmas as well as exactly (default true). */
  lemmatize: boolean;
}

/** The defaults of METHOD.md section 2a: every filter on. */
export const DEFAULT_HYGIENE: Readonly<ConceptHygiene> = Object.freeze({
  keepStopConcepts: false,
  keepSelfLoops: false,
  lemmatize: true,
});

/** English number words, which the stop list lacks and which say nothing about the world. */
const NUMBER_WORDS = [
  "zero",
  "one",
  "two",
  "three",
  "four",
  "five",
  "six",
  "seven",
  "eight",
  "nine",
  "ten",
  "eleven",
  "twelve",
  "twenty",
  "hundred",
  "thousand",
  "million",
  "billion",
];

/** The stop words, lowercase: the `stopword` package's and NLTK's English lists and the number words. */
export const STOP_WORDS: ReadonlySet<string> = new Set([...eng, ...NLTK_ENGLISH_STOP_WORDS, ...NUMBER_WORDS]);

/** Whether a word (normalised: lowercase) is a stop word, a single character, or has no letter. */
export function isStopWord(word: string): boolean {
  return word.length <= 1 || STOP_WORDS.has(word) || !/\p{L}/u.test(word);
}

/**
 * Whether a normalised term (words joined by single spaces) is not a concept: one word that
 * {@linkcode isStopWord} refuses. Multi-word terms ("piece of cake") stay.
 *
 * @example
 * ```ts
 * isStopTerm("the"); // true
 * isStopTerm("-"); // true
 * isStopTerm("ice cream"); // false
 * ```
 */
export function isStopTerm(term: string): boolean {
  return !term.includes(" ") && isStopWord(term);
}

/**
 * The distinct lemmas of a lowercase word other than itself, in the order noun, verb, adjective:
 * "dogs" -> ["dog"], "lives" -> ["life", "live"], "used" -> ["use"], "better" -> ["good"].
 */
export function lemmasOf(word: string): string[] {
  const out: string[] = [];
  for (const lemma of [lemmatizer.noun(word), lemmatizer.verb(word), lemmatizer.adjective(word)]) {
    if (lemma && lemma !== word && !out.includes(lemma)) out.push(lemma);
  }
  return out;
}

/** Whether a lexicon term, as ConceptNet spells it, is not a concept: {@linkcode isStopTerm} once normalised. */
export function isStopConcept(term: string): boolean {
  return isStopTerm(normalizeWords(term));
}

/** 1 for each term that {@linkcode isStopConcept} refuses, else 0. */
export function stopConceptMask(terms: readonly string[]): Uint8Array {
  const mask = new Uint8Array(terms.length);
  terms.forEach((term, id) => {
    if (isStopConcept(term)) mask[id] = 1;
  });
  return mask;
}
