/**
 * The data shipped with the project (see `data/SOURCES.md`), as absolute paths whatever the
 * working directory: every command's embedded default reads these, and only these.
 *
 * @example
 * ```ts
 * import { SAMPLE_CONCEPTNET, SAMPLE_CORPUS } from "./samples.ts";
 * console.log(SAMPLE_CORPUS.length, SAMPLE_CONCEPTNET); // 5 ".../data/conceptnet/cn100k/train100k.txt.gz"
 * ```
 * @module
 */
import { fileURLToPath } from "node:url";

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

/** bert-base-uncased's `vocab.txt`: the vocabulary of every model made from a preset. */
export const DEFAULT_VOCAB: string = here("./bert-base-uncased/vocab.txt");

/** The Wikipedia sample (WikiExtractor output, 5.1 MB of text in five gzip files). */
export const SAMPLE_CORPUS: readonly string[] = Object.freeze(
  [0, 1, 2, 3, 4].map((k) => here(`./corpus/enwiki-2015-wikiextractor/AA/wiki_0${k}.gz`)),
);

/** CN-100K's training triples: the ConceptNet of the embedded defaults. */
export const SAMPLE_CONCEPTNET: string = here("./conceptnet/cn100k/train100k.txt.gz");

/** The GLUE samples: a `download_glue_data.py`-style folder (not every task has a train file). */
export const SAMPLE_GLUE: string = here("./glue");

/**
 * CN-100K's held-out triples (`test.txt`, `dev1.txt`, `dev2.txt`; label 1 true, 0 corrupted): the
 * facts of the knowledge probe, which keeps the true ones. Never the training file.
 */
export const PROBE_FACTS: readonly string[] = Object.freeze(
  ["test", "dev1", "dev2"].map((name) => here(`./conceptnet/cn100k/${name}.txt`)),
);

/** The knowledge probe's cloze templates, one per CN-100K relation (see `data/probe/README.md`). */
export const PROBE_TEMPLATES: string = here("./probe/templates.tsv");

/**
 * The project's general starting model: a tiny BERT pre-trained from scratch on the general
 * Wikipedia text `GENERAL_CORPUS` (see its README.md): what `pretrain` and the experiment continue
 * from by default, as the paper continues from a released BERT.
 */
export const GENERAL_MODEL: string = here("./general-tiny");

/** The general model's pre-training text: ten more WikiExtractor files, disjoint from `SAMPLE_CORPUS`. */
export const GENERAL_CORPUS: readonly string[] = Object.freeze(
  [5, 6, 7, 8, 9, 10, 11, 12, 13, 14].map((k) =>
    here(`./corpus/enwiki-2015-wikiextractor/AA/wiki_${String(k).padStart(2, "0")}.gz`)
  ),
);
