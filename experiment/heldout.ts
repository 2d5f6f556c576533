/**
 * The experiment's one common held-out set (METHOD.md section 8): a seeded set of whole documents
 * is removed from the corpus before any selection, so no arm trains on it and every arm is measured
 * on it. Written under `<out>/data/`: `train.txt` (the rest of the corpus, which every arm's
 * pre-training and concentration read), `heldout.txt`, and `heldout-dense.txt` (the held-out
 * paragraphs densest in ConceptNet knowledge: the top `dense_share` by per-word f(t), with the
 * experiment's concept settings), each with its token shard. Made once; `stamp.json` says from what.
 * @module
 */
import { corpusFiles, readDocuments, splitOf } from "../data/corpus.ts";
import { conceptHygiene } from "../data/concept_fields.ts";
import { detailScorerOf, loadScoringGraph } from "../data/concentrate/scorer.ts";
import { buildShards } from "../data/shard_build.ts";
import { writeAtomic, writeFileAtomic } from "../util/atomic_write.ts";
import { readJsonFile } from "../util/files.ts";
import { sha256File } from "./data_hash.ts";
import type { ExperimentSettings } from "./settings.ts";

/** The held-out files and what they hold. */
export interface HeldOutData {
  /** The corpus without the held-out documents: what every arm pre-trains on and selects from. */
  train: string;
  /** The held-out documents as text. */
  heldout: string;
  /** The held-out set's token shard. */
  heldoutShard: string;
  /** The densest held-out paragraphs as text. */
  dense: string;
  /** Their token shard. */
  denseShard: string;
  /** Documents and paragraphs on each side, and the sequences of each shard. */
  counts: {
    train_documents: number;
    heldout_documents: number;
    heldout_paragraphs: number;
    dense_paragraphs: number;
    heldout_sequences: number;
    dense_sequences: number;
  };
}

/** Keys of the document split: unrelated to pre-training's validation split of the same seed. */
const HELDOUT_SEED_OFFSET = 0x4e1d;

/**
 * Makes (or reuses) the held-out split of the experiment's corpus and its shards.
 *
 * @throws {Error} when the corpus cannot be read, or one side of the split is empty
 */
export async function prepareHeldOut(
  config: ExperimentSettings,
  vocabPath: string,
  log: (line: string) => void,
): Promise<HeldOutData> {
  const dir = `${config.out.replace(/\/+$/, "")}/data`;
  const p = config.pretrain;
  const files: HeldOutData = {
    train: `${dir}/train.txt`,
    heldout: `${dir}/heldout.txt`,
    heldoutShard: `${dir}/heldout.shard`,
    dense: `${dir}/heldout-dense.txt`,
    denseShard: `${dir}/heldout-dense.shard`,
    counts: {
      train_documents: 0,
      heldout_documents: 0,
      heldout_paragraphs: 0,
      dense_paragraphs: 0,
      heldout_sequences: 0,
      dense_sequences: 0,
    },
  };
  const corpus = await corpusFiles(p.corpus);
  const stamp = {
    corpus: await Promise.all(corpus.map(async (f) => ({ path: f, size: (await Deno.stat(f)).size }))),
    heldout: config.heldout,
    dense_share: config.dense_share,
    seed: p.seed,
    conceptnet: p.conceptnet,
    concepts: conceptHygiene(p),
    max_n: p.max_n,
    seq_len: p.seq_len,
    vocab: await sha256File(vocabPath),
  };
  const saved = await readJsonFile<{ stamp: unknown; counts: HeldOutData["counts"] }>(`${dir}/stamp.json`);
  if (saved && JSON.stringify(saved.stamp) === JSON.stringify(stamp)) {
    log(`held-out: reusing ${dir} (${describe(saved.counts)})`);
    return { ...files, counts: saved.counts };
  }
  await Deno.mkdir(dir, { recursive: true });
  const split = { validation: config.heldout, seed: (p.seed + HELDOUT_SEED_OFFSET) >>> 0 };
  const heldoutParagraphs: string[][] = [];
  const counts = files.counts;
  const encoder = new TextEncoder();
  await writeAtomic(files.train, async (file) => {
    for (const path of corpus) {
      for await (const doc of readDocuments(path)) {
        if (doc.paragraphs.length === 0) continue;
        if (splitOf(doc, split) === "validation") {
          heldoutParagraphs.push(doc.paragraphs);
          counts.heldout_documents++;
          counts.heldout_paragraphs += doc.paragraphs.length;
        } else {
          await file.write(encoder.encode(doc.paragraphs.join("\n") + "\n\n"));
          counts.train_documents++;
        }
      }
    }
  });
  if (counts.heldout_documents === 0 || counts.train_documents === 0) {
    throw new Error(
      `Cannot hold out ${config.heldout} of the corpus' documents: ${counts.train_documents} would be left ` +
        `to train on and ${counts.heldout_documents} held out; change --heldout`,
    );
  }
  await writeFileAtomic(files.heldout, heldoutParagraphs.map((d) => d.join("\n") + "\n").join("\n"));

  // The densest paragraphs, by the score the concentration uses per word; ties keep corpus order.
  const spec = {
    conceptnet: p.conceptnet,
    kind: "edges" as const,
    perToken: true,
    maxN: p.max_n,
    keepExcludedRelations: p.keep_excluded_relations,
    hygiene: conceptHygiene(p),
  };
  const scorer = detailScorerOf((await loadScoringGraph(spec)).graph, spec);
  const scored = heldoutParagraphs.flatMap((doc, d) => doc.map((text, i) => ({ d, i, text })))
    .map((x, k) => ({ ...x, k, score: scorer.details(x.text).score }));
  const keep = Math.max(1, Math.round(config.dense_share * scored.length));
  const dense = [...scored].sort((a, b) => b.score - a.score || a.k - b.k).slice(0, keep)
    .sort((a, b) => a.k - b.k);
  counts.dense_paragraphs = dense.length;
  // Paragraphs of one document stay together, as one document.
  const denseDocs: string[] = [];
  for (let j = 0; j < dense.length; j++) {
    const startsDoc = j === 0 || dense[j - 1]!.d !== dense[j]!.d;
    denseDocs.push((startsDoc && j > 0 ? "\n" : "") + dense[j]!.text + "\n");
  }
  await writeFileAtomic(files.dense, denseDocs.join(""));

  for (
    const [text, shard, key] of [
      [files.heldout, files.heldoutShard, "heldout_sequences"],
      [files.dense, files.denseShard, "dense_sequences"],
    ] as const
  ) {
    const s = await buildShards({
      corpus: [text],
      vocab: vocabPath,
      seq_len: p.seq_len,
      out: shard,
      validation: 0,
    });
    counts[key] = s.train.sequences;
  }
  await writeFileAtomic(`${dir}/stamp.json`, JSON.stringify({ stamp, counts }, null, 2) + "\n");
  log(`held-out: ${describe(counts)} in ${dir}`);
  return files;
}

function describe(c: HeldOutData["counts"]): string {
  return `${c.heldout_documents} documents held out (${c.heldout_sequences} sequences), ` +
    `${c.train_documents} left to train on; the densest ${c.dense_paragraphs} of ${c.heldout_paragraphs} ` +
    `held-out paragraphs make ${c.dense_sequences} sequences`;
}
