/**
 * ConceptNet relation names: the canonical spelling of each relation and the default exclusions
 * for scoring (docs METHOD.md section 1).
 *
 * The canonical names are ConceptNet 5.7's 50 relations (`ALL_RELATIONS` in
 * `conceptnet5/relations.py`, copied in data/conceptnet/relations.tsv) plus the eight older
 * ConceptNet 5 relations that CN-100K still uses. Extracts spell relations in other cases (CN-100K's
 * `rel.txt` lowercases them: `atlocation`); {@linkcode canonicalRelation} maps any casing back.
 * @module
 */

/** ConceptNet 5.7's relations, without the `/r/` prefix, as in data/conceptnet/relations.tsv. */
export const CONCEPTNET_57_RELATIONS: readonly string[] = [
  "Antonym",
  "AtLocation",
  "CapableOf",
  "Causes",
  "CausesDesire",
  "CreatedBy",
  "DefinedAs",
  "DerivedFrom",
  "Desires",
  "DistinctFrom",
  "Entails",
  "EtymologicallyDerivedFrom",
  "EtymologicallyRelatedTo",
  "ExternalURL",
  "FormOf",
  "HasA",
  "HasContext",
  "HasFirstSubevent",
  "HasLastSubevent",
  "HasPrerequisite",
  "HasProperty",
  "HasSubevent",
  "InstanceOf",
  "IsA",
  "LocatedNear",
  "MadeOf",
  "MannerOf",
  "MotivatedByGoal",
  "NotCapableOf",
  "NotDesires",
  "NotHasProperty",
  "NotUsedFor",
  "ObstructedBy",
  "PartOf",
  "ReceivesAction",
  "RelatedTo",
  "SimilarTo",
  "SymbolOf",
  "Synonym",
  "UsedFor",
  "dbpedia/capital",
  "dbpedia/field",
  "dbpedia/genre",
  "dbpedia/genus",
  "dbpedia/influencedBy",
  "dbpedia/knownFor",
  "dbpedia/language",
  "dbpedia/leader",
  "dbpedia/occupation",
  "dbpedia/product",
];

/** Relations of older ConceptNet 5 releases that CN-100K uses and 5.7 dropped. */
export const LEGACY_RELATIONS: readonly string[] = [
  "DesireOf",
  "HasPainCharacter",
  "HasPainIntensity",
  "InheritsFrom",
  "LocationOfAction",
  "NotHasA",
  "NotIsA",
  "NotMadeOf",
];

const CANONICAL = new Map<string, string>(
  [...CONCEPTNET_57_RELATIONS, ...LEGACY_RELATIONS].map((name) => [name.toLowerCase(), name]),
);

/**
 * The canonical spelling of a relation name in any casing (`atlocation` -> "AtLocation",
 * `dbpedia/influencedby` -> "dbpedia/influencedBy"); an unknown name is returned unchanged.
 *
 * @example
 * ```ts
 * canonicalRelation("hasprerequisite"); // "HasPrerequisite"
 * ```
 */
export function canonicalRelation(name: string): string {
  return CANONICAL.get(name.toLowerCase()) ?? name;
}

/**
 * Whether a relation is excluded from scoring by default: `ExternalURL`, every `dbpedia/*`, and the
 * negated relations. METHOD.md names 5.7's four (`NotDesires`, `NotUsedFor`, `NotCapableOf`,
 * `NotHasProperty`); this also excludes CN-100K's older negations (`NotIsA`, `NotHasA`,
 * `NotMadeOf`), since they are negations for the same reason. `Antonym` and `DistinctFrom` are kept:
 * they relate two concepts, which is what scoring counts.
 *
 * @example
 * ```ts
 * isExcludedByDefault("dbpedia/genre"); // true
 * isExcludedByDefault("IsA"); // false
 * ```
 */
export function isExcludedByDefault(relation: string): boolean {
  return relation === "ExternalURL" || relation.startsWith("dbpedia/") || /^Not[A-Z]/.test(relation);
}
