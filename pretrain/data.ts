/**
 * The text a run trains on, as token shards: concentrate the corpus (for `concentrated`/`random`),
 * then tokenize and pack it into a train and a validation shard. Both steps are cached under
 * `cache/`, keyed by a hash of their inputs (paths, sizes, modification times, vocab, options), so
 * a second run with the same inputs starts training at once.
 * @module
 */
import { concentrateCached } from "../data/concentrate/pipeline.ts";
import {
  CONCENTRATE_SETTINGS,
  type ConcentrateSettings,
  concentrationJob,
} from "../data/concentrate/settings.ts";
import { SELECTION_FIELDS } from "../data/concentrate/fields.ts";
import { CONCEPT_FIELDS } from "../data/concept_fields.ts";
import { parseSize } from "../data/concentrate/size.ts";
import { corpusFiles } from "../data/corpus.ts";
import { buildShards, validationPath } from "../data/shard_build.ts";
import { hashVocabFile, isShardFile, readShardHeader } from "../data/shards.ts";
import { exists, requirePath } from "../util/files.ts";
import type { PretrainSettings } from "./settings.ts";

/** The prepared data of a run. */
export interface PreparedData {
  /** `concentrated`, `random`, `full` or `path`. */
  source: string;
  /** The text trained on (file or directory), or the shard given. */
  text: string[];
  /** The train shard. */
  train: string;
  /** Null when no validation shard exists (`--validation 0` or a given shard without one). */
  validation: string | null;
  /** The concentration report's directory, when the text came from it. */
  concentrated: string | null;
}

/** Prepares (or finds in the cache) the shards `config` trains on; `log` gets one line per step. */
export async function prepareData(
  config: PretrainSettings,
  vocabPath: string,
  log: (line: string) => void,
): Promise<PreparedData> {
  const prepared = await prepareShards(config, vocabPath, log);
  const { sequences } = await readShardHeader(prepared.train);
  if (sequences === 0) {
    throw new Error(
      `Cannot train on ${prepared.train}: it holds no sequences (${prepared.text.join(", ")} has no text); ` +
        `give text with --data, or delete the shard to rebuild it`,
    );
  }
  return prepared;
}

async function prepareShards(
  config: PretrainSettings,
  vocabPath: string,
  log: (line: string) => void,
): Promise<PreparedData> {
  const { data } = config;
  if (data !== "concentrated" && data !== "random" && data !== "full") {
    if (await isShardFile(data)) {
      const validation = validationPath(data);
      return {
        source: "path",
        text: [data],
        train: data,
        validation: await exists(validation) ? validation : null,
        concentrated: null,
      };
    }
    await requirePath(data, "data");
    return { source: "path", ...await shardsFor([data], config, vocabPath, log), concentrated: null };
  }
  for (const path of config.corpus) await requirePath(path, "corpus");
  if (data === "full") {
    return { source: "full", ...await shardsFor(config.corpus, config, vocabPath, log), concentrated: null };
  }
  const dir = await concentrated(config, log);
  const text = `${dir}/${data === "concentrated" ? "concentrated" : "random"}.txt`;
  return { source: data, ...await shardsFor([text], config, vocabPath, log), concentrated: dir };
}

/** The settings pre-training passes to its concentration: what selects units and matches concepts. */
const SELECTION_KEYS = [...Object.keys(SELECTION_FIELDS), ...Object.keys(CONCEPT_FIELDS)] as (
  & keyof ConcentrateSettings
  & keyof PretrainSettings
)[];

async function concentrated(config: PretrainSettings, log: (line: string) => void): Promise<string> {
  await requirePath(config.conceptnet, "conceptnet");
  // The selection and concept settings go through unchanged: the same keys in both schemas.
  const selection = Object.fromEntries(
    SELECTION_KEYS.map((k) => [k, config[k]]),
  ) as Partial<ConcentrateSettings>;
  const settings = CONCENTRATE_SETTINGS.withDefaults({
    ...selection,
    corpus: config.corpus,
    budget: config.budget,
    seed: config.seed,
    workers: Math.max(1, Math.min(navigator.hardwareConcurrency ?? 1, config.corpus.length)),
  });
  const key = await inputsKey(
    [...config.corpus, config.conceptnet],
    `budget=${parseSize(settings.budget!)} seed=${config.seed} ` +
      SELECTION_KEYS.filter((k) => k !== "conceptnet").map((k) => `${k}=${JSON.stringify(config[k])}`).join(
        " ",
      ),
  );
  const out = `${config.cache}/concentrate-${key}`;
  const start = performance.now();
  const { report, cached } = await concentrateCached(concentrationJob(settings), out);
  log(
    `data: ${cached ? "reusing" : "made"} the concentrated corpus in ${out}: ${report.units_kept} of ` +
      `${report.units_seen} units, ${(report.bytes_kept / 1e6).toFixed(2)} of ${
        (report.bytes_seen / 1e6).toFixed(2)
      } MB, alpha ${report.alpha} (${((performance.now() - start) / 1000).toFixed(1)} s)`,
  );
  return out;
}

async function shardsFor(
  text: string[],
  config: PretrainSettings,
  vocabPath: string,
  log: (line: string) => void,
): Promise<{ text: string[]; train: string; validation: string | null }> {
  const vocab = (await hashVocabFile(vocabPath)).toString(16);
  const key = await inputsKey(
    text,
    `vocab=${vocab} seq=${config.seq_len} validation=${config.validation} seed=${config.seed}`,
  );
  const train = `${config.cache}/shards-${key}/train.shard`;
  const validation = config.validation > 0 ? validationPath(train) : null;
  if (await exists(train) && (!validation || await exists(validation))) {
    const h = await readShardHeader(train);
    log(`data: reusing ${h.sequences} train sequences in ${train}`);
    return { text, train, validation };
  }
  const start = performance.now();
  const s = await buildShards({
    corpus: text,
    vocab: vocabPath,
    seq_len: config.seq_len,
    out: train,
    validation: config.validation,
    seed: config.seed,
  });
  log(
    `data: packed ${s.train.sequences} train and ${s.validation?.sequences ?? 0} validation sequences ` +
      `of ${config.seq_len} into ${train} (${((performance.now() - start) / 1000).toFixed(1)} s)`,
  );
  return { text, train, validation };
}

/** A short hash of the files' identities (path, size, mtime) and `extra`. */
async function inputsKey(paths: string[], extra: string): Promise<string> {
  const parts: string[] = [extra];
  for (const path of paths) {
    const files = await corpusFilesOrSelf(path);
    for (const f of files) {
      const st = await Deno.stat(f);
      parts.push(`${f}:${st.size}:${st.mtime?.getTime() ?? 0}`);
    }
  }
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(parts.join("\n")));
  return [...new Uint8Array(digest).slice(0, 6)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

async function corpusFilesOrSelf(path: string): Promise<string[]> {
  const st = await Deno.stat(path);
  return st.isDirectory ? await corpusFiles([path]) : [path];
}
