/**
 * `concentrate`: throughput of `deno task concentrate` (MB/s of decompressed corpus, 10^6 bytes per
 * MB, scan and selection; loading ConceptNet excluded) over the shipped Wikipedia sample with the
 * CN-100K lexicon, on one core (inline scoring) and on all cores (one Deno Worker per core), and the
 * peak resident memory of the process (workers included; each row also gives the peak so far). The
 * sample (5 files, 5.1 MB of text) is read `repeat` times as one corpus of 5 x repeat files, so
 * that start-up and JIT warm-up weigh less and the workers get several files each. The budget is
 * 10% of the text, a far larger share than 50 MB of 16 GB, so the candidate files and the merge
 * weigh more here than in a real run.
 * @module
 */
import { concentrate, conceptNetScorer } from "../data/concentrate/mod.ts";
import { WORKER_URL } from "../data/concentrate/settings.ts";
import { SAMPLE_CONCEPTNET, SAMPLE_CORPUS } from "../data/samples.ts";

type Row = { bench: string; value: number; unit: string; [k: string]: string | number };

/** Options of {@linkcode concentrateBench}. */
export interface ConcentrateBenchOptions {
  /** Times the sample is read (default 4, about 20 MB). */
  repeat?: number;
  /** Worker counts to time (default 1 and all cores). */
  workers?: number[];
}

/** Runs concentrate once per worker count into a temporary folder; returns MB/s rows and peak RSS. */
export async function concentrateBench(options: ConcentrateBenchOptions = {}): Promise<Row[]> {
  const repeat = options.repeat ?? 4;
  const cores = navigator.hardwareConcurrency || 1;
  const counts = options.workers ?? [...new Set([1, cores])];
  const corpus = Array.from({ length: repeat }, () => SAMPLE_CORPUS).flat();
  const dir = await Deno.makeTempDir({ prefix: "concentrate_bench_" });
  const baseline = Deno.memoryUsage().rss;
  let peak = baseline;
  const timer = setInterval(() => peak = Math.max(peak, Deno.memoryUsage().rss), 20);
  const rows: Row[] = [];
  try {
    for (const workers of counts) {
      const report = await concentrate({
        corpus,
        scorer: conceptNetScorer({ conceptnet: SAMPLE_CONCEPTNET }, workers, WORKER_URL),
        unit: "paragraph",
        windowWords: 128,
        seed: 1,
        budget: 500_000 * repeat,
        alpha: null,
      }, `${dir}/w${workers}`);
      rows.push({
        bench: workers === 1 ? "concentrate_1core" : `concentrate_${workers}cores`,
        value: report.mb_per_s,
        unit: "MB/s",
        workers,
        corpus_mb: +(report.text_bytes_read / 1e6).toFixed(1),
        scan_s: report.scan_s,
        merge_s: report.merge_s,
        load_s: report.load_s,
        peak_rss_mb: +(Math.max(peak, Deno.memoryUsage().rss) / 1e6).toFixed(0),
      });
    }
  } finally {
    clearInterval(timer);
    await Deno.remove(dir, { recursive: true });
  }
  peak = Math.max(peak, Deno.memoryUsage().rss);
  rows.push({
    bench: "concentrate_peak_rss",
    value: peak / 1e6,
    unit: "MB",
    baseline_rss_mb: +(baseline / 1e6).toFixed(0),
  });
  return rows;
}

if (import.meta.main) {
  for (const r of await concentrateBench()) console.log(JSON.stringify(r));
}
