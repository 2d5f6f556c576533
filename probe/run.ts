/**
 * The knowledge probe, LAMA-style (Petroni et al. 2019, its ConceptNet part), settings in, files
 * out: every true CN-100K held-out fact whose tail is one token of the model's vocab becomes one
 * sentence, `[CLS] <template with the head> [SEP]` with the tail masked; the masked-LM ranks the
 * whole vocabulary at the [MASK], the special tokens ([PAD], [UNK], [CLS], [SEP], [MASK]) and the
 * `[unusedN]` placeholders left out; the gold tail's rank (1 = best, equal logits to the lower id)
 * gives P@1, P@10 and MRR over all facts and per relation, each with a bootstrap 95% interval, next
 * to two baselines that ignore the sentence (corpus unigram frequency, and the relation's most
 * frequent tails in CN-100K's training triples) and the paired difference model - unigram.
 *
 * The model must carry its own `vocab.txt`: the probe ranks the model's vocabulary, and a
 * different one would rank the wrong tokens.
 *
 * @example
 * ```ts
 * import { formatProbeReport, runProbe } from "./run.ts";
 *
 * const { results } = await runProbe({ model: "out/runs/my-run/checkpoint", backend: "cpu" });
 * console.log(formatProbeReport(results)); // a table; the files are in results.out
 * ```
 * @module
 */
import { bertDirVocabPath, loadBertDir } from "../core/checkpoint/bert_dir.ts";
import { namesInBrief } from "../core/checkpoint/hf_names.ts";
import { Gpu } from "../core/device.ts";
import { cpuOps, gpuOps } from "../core/ops.ts";
import { BertTokenizer } from "../data/tokenizer.ts";
import { requireDirectory } from "../util/files.ts";
import { outputPath, timestamp } from "../util/output.ts";
import type { ProgressOptions } from "../util/progress.ts";
import { logToStderr } from "../util/stdio.ts";
import { MAX_TOKENS } from "../pretrain/fill_mask.ts";
import { countCorpusTokens, countRelationTails, relationPriorRanks } from "./baselines.ts";
import { FACT_SKIP_LABELS, FACT_SKIP_REASONS, readProbeFacts } from "./facts.ts";
import { checkProbeOut, writeProbeOutputs } from "./outputs.ts";
import { countScored, frequencyRanks, scoredTokens } from "./ranking.ts";
import { type ProbePrediction, type ProbeResults, summarizeRanks } from "./results.ts";
import { type FactScores, scoreFacts } from "./score.ts";
import { PROBE_SETTINGS, type ProbeSettings } from "./settings.ts";
import { readProbeTemplates } from "./templates.ts";

export { formatProbeReport } from "./report.ts";

/** The coverage of the probe's intervals. */
export const PROBE_INTERVAL_LEVEL = 0.95;

/** How {@linkcode runProbe} runs, besides its settings. */
export interface ProbeRunOptions {
  /** An open device to run on instead of opening one (left open); `backend` is then ignored. */
  gpu?: Gpu;
  /** Receives the progress lines (default: stderr). */
  log?: (line: string) => void;
  /** Progress over the facts (default: stderr, in place on a terminal). */
  progress?: ProgressOptions;
}

/** What {@linkcode runProbe} returns: what it wrote. */
export interface ProbeRun {
  /** `results.json`. */
  results: ProbeResults;
  /** The lines of `predictions.tsv`, one per fact. */
  predictions: ProbePrediction[];
}

/**
 * Probes the model of `settings` (the rest of {@linkcode PROBE_SETTINGS} at its defaults); writes
 * `predictions.tsv` and `results.json` to `out` and returns them.
 *
 * @throws {UsageError} for bad settings or an `out` that holds files; {Error} for a model that
 * cannot be read or has no `vocab.txt`, unreadable inputs, facts files without facts, or no fact
 * the model can be asked; nothing is written before the facts are scored
 */
export async function runProbe(
  settings: Partial<ProbeSettings>,
  options: ProbeRunOptions = {},
): Promise<ProbeRun> {
  const config = PROBE_SETTINGS.withDefaults(settings);
  const log = options.log ?? logToStderr;
  const started = performance.now();
  const seconds = (from: number) => (performance.now() - from) / 1000;
  const out = config.out ?? outputPath("probe", timestamp());
  await checkProbeOut(out, { chosen: config.out !== null });

  await requireDirectory(config.model, "Cannot load model");
  const { config: bert, shape, params, unused, warnings } = await loadBertDir(config.model, { head: "mlm" });
  if (unused.length > 0) log(`probe: tensors the masked-LM does not use: ${namesInBrief(unused)}`);
  for (const w of warnings) log(`probe: ${w}`);
  const vocabPath = await bertDirVocabPath(config.model);
  const tokenizer = await BertTokenizer.load(vocabPath);
  if (tokenizer.vocab.size > shape.vocab) {
    throw new Error(
      `Cannot use vocab "${vocabPath}" with model "${config.model}": ` +
        `${tokenizer.vocab.size} tokens, the model has ${shape.vocab}`,
    );
  }
  const scored = scoredTokens(tokenizer.vocab);
  const templates = await readProbeTemplates(config.templates);
  const { facts, report } = await readProbeFacts(config.facts, {
    tokenizer,
    templates,
    scored,
    maxTokens: Math.min(MAX_TOKENS, bert.max_position_embeddings),
  });
  const files = config.facts.map((f) => `"${f}"`).join(", ");
  if (report.total.read === 0) throw new Error(`Cannot probe: no true facts (label 1) in ${files}`);
  for (const f of report.files) {
    if (f.positives === 0) log(`probe: "${f.path}" holds no true facts (label 1)`);
  }
  const skipped = FACT_SKIP_REASONS.filter((r) => report.total[r] > 0)
    .map((r) => `${report.total[r]} ${FACT_SKIP_LABELS[r]}`).join(", ");
  for (const m of report.malformedRows) log(`probe: malformed row ${m.source}: ${m.reason}`);
  if (facts.length === 0) {
    throw new Error(
      `Cannot probe model "${config.model}": none of the ${report.total.read} facts in ${files} can be asked (${skipped})`,
    );
  }
  log(
    `probe: ${facts.length} of ${report.total.read} facts kept` + (skipped ? ` (skipped: ${skipped})` : "") +
      `, ${Object.keys(report.relations).length} relations; ${
        countScored(scored)
      } of ${tokenizer.vocab.size} tokens ranked`,
  );
  const readSeconds = seconds(started);

  const baselineStart = performance.now();
  const unigram = frequencyRanks(await countCorpusTokens(config.corpus, tokenizer), scored);
  const tails = await countRelationTails(config.conceptnet, tokenizer, scored);
  const priors = new Map<string, Int32Array>();
  const prior = (relation: string) => {
    let ranks = priors.get(relation);
    if (!ranks) {
      priors.set(relation, ranks = relationPriorRanks(tails.counts.get(relation) ?? null, scored, unigram));
    }
    return ranks;
  };
  log(
    `probe: baselines: unigram counts of ${config.corpus.length} corpus path(s), relation prior from ` +
      `${tails.counted} one-token tails of ${tails.rows} triples in ${config.conceptnet}`,
  );
  const baselineSeconds = seconds(baselineStart);

  const scoringStart = performance.now();
  let gpu = options.gpu;
  const opened = !gpu && config.backend !== "cpu";
  let scores: FactScores;
  let device: ProbeResults["device"];
  try {
    if (opened) gpu = await Gpu.open({ backend: config.backend });
    device = gpu
      ? { backend: gpu.backend, adapter: gpu.info.adapter }
      : { backend: "cpu", adapter: "CPU reference" };
    log(
      `probe: backend ${device.backend} (${device.adapter}), ${facts.length} facts in batches of ${config.batch}`,
    );
    const scoreOptions = {
      batch: config.batch,
      scored,
      pad: tokenizer.vocab.special.pad,
      ...(options.progress ? { progress: options.progress } : {}),
    };
    scores = gpu
      ? await scoreFacts(gpuOps(gpu), shape, params, facts, scoreOptions)
      : await scoreFacts(cpuOps(), shape, params, facts, scoreOptions);
  } finally {
    if (opened) gpu?.destroy();
  }
  const scoringSeconds = seconds(scoringStart);

  const token = (id: number) => tokenizer.vocab.tokens[id] ?? `[id ${id}]`;
  const predictions: ProbePrediction[] = facts.map((f, i) => ({
    relation: f.relation,
    head: f.head,
    text: f.text,
    gold: token(f.gold),
    rank: scores.ranks[i]!,
    prob: scores.probs[i]!,
    top: scores.top[i]!.map(token),
    unigramRank: unigram[f.gold]!,
    relationPriorRank: prior(f.relation)[f.gold]!,
    source: f.source,
  }));
  const intervals = { resamples: config.resamples, seed: config.seed, level: PROBE_INTERVAL_LEVEL };
  const groups = summarizeRanks(
    predictions.map((p) => p.relation),
    {
      model: predictions.map((p) => p.rank),
      unigram: predictions.map((p) => p.unigramRank),
      relationPrior: predictions.map((p) => p.relationPriorRank),
    },
    intervals,
  );
  const results: ProbeResults = {
    model: config.model,
    out,
    device,
    inputs: {
      facts: [...config.facts],
      templates: config.templates,
      corpus: [...config.corpus],
      conceptnet: config.conceptnet,
    },
    vocab: { path: vocabPath, size: tokenizer.vocab.size, scored: countScored(scored) },
    intervals,
    counts: { files: report.files, relations: report.relations, total: report.total },
    relationPrior: { rows: tails.rows, counted: tails.counted, malformed: tails.malformed },
    overall: groups.overall,
    relations: groups.relations,
    seconds: {
      read: readSeconds,
      baselines: baselineSeconds,
      scoring: scoringSeconds,
      total: seconds(started),
    },
  };
  await writeProbeOutputs(out, results, predictions);
  log(`probe: wrote ${out}/predictions.tsv and results.json`);
  return { results, predictions };
}
