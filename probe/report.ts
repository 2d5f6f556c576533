/**
 * The knowledge probe's text report: what was kept and skipped, then a table over all facts and
 * per relation (most facts first) of the rows read, the facts scored, the model's P@1, P@10 and
 * MRR with their 95% intervals, the two baselines' values, and the paired difference model -
 * unigram with its interval. Relations none of whose rows could be asked close the table, without
 * metrics; why each row was skipped is in `results.json`.
 *
 * @example
 * ```ts
 * import { formatProbeReport } from "./report.ts";
 * console.log(formatProbeReport(results));
 * // probe: 1,273 of 2,400 facts scored; skipped: 1,112 multi-token tail, ...
 * // relation          read  facts  P@1               P@10              MRR               ...
 * // all               2400   1273  .012 [.007,.018]  ...
 * ```
 * @module
 */
import { FACT_SKIP_LABELS, FACT_SKIP_REASONS } from "./facts.ts";
import type { BootstrapInterval } from "./metrics.ts";
import type { ProbeGroup, ProbeResults } from "./results.ts";

/** The report `deno task probe` prints. */
export function formatProbeReport(results: ProbeResults): string {
  const t = results.counts.total;
  const skipped = FACT_SKIP_REASONS.filter((r) => t[r] > 0).map((r) =>
    `${count(t[r])} ${FACT_SKIP_LABELS[r]}`
  );
  const noTemplate = Object.entries(results.counts.relations).filter(([, c]) => c.noTemplate > 0)
    .map(([r]) => r);
  const { resamples, seed, level } = results.intervals;
  const lines = [
    `probe: ${count(t.kept)} of ${count(t.read)} facts scored` +
    (skipped.length > 0 ? `; skipped: ${skipped.join(", ")}` : ""),
    ...(noTemplate.length > 0 ? [`probe: relations without a template: ${noTemplate.join(", ")}`] : []),
    `probe: model ${results.model} on ${results.device.backend} (${results.device.adapter}); ` +
    `${Math.round(level * 100)}% intervals from ${
      count(resamples)
    } bootstrap resamples of the facts (seed ${seed})`,
    "",
  ];
  const rows = [
    [
      "relation",
      "read",
      "facts",
      "P@1",
      "P@10",
      "MRR",
      "unigram P@1/10/MRR",
      "prior P@1/10/MRR",
      "model-unigram P@10",
      "model-unigram MRR",
    ],
  ];
  const row = (name: string, read: number, g: ProbeGroup) => [
    name,
    String(read),
    String(g.facts),
    interval(g.model.precisionAt1),
    interval(g.model.precisionAt10),
    interval(g.model.mrr),
    triple(g.unigram),
    triple(g.relationPrior),
    interval(g.modelMinusUnigram.precisionAt10),
    interval(g.modelMinusUnigram.mrr),
  ];
  rows.push(row("all", t.read, results.overall));
  // Relations by facts scored, then by rows read (those without a scored fact last, without metrics).
  const counts = results.counts.relations;
  const names = Object.keys(counts).sort((a, b) =>
    counts[b]!.kept - counts[a]!.kept || counts[b]!.read - counts[a]!.read || (a < b ? -1 : 1)
  );
  for (const name of names) {
    const g = results.relations[name];
    rows.push(g ? row(name, counts[name]!.read, g) : [name, String(counts[name]!.read), "0"]);
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]?.length ?? 0)));
  for (const r of rows) {
    lines.push(
      r.map((cell, c) => (c === 1 || c === 2 ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!)))
        .join("  ").trimEnd(),
    );
  }
  lines.push(
    "",
    `probe: wrote ${results.out}/predictions.tsv and results.json in ${results.seconds.total.toFixed(1)} s`,
  );
  return lines.join("\n") + "\n";
}

/** `.123 [.100,.150]`: three decimals without the leading zero. */
function interval(i: BootstrapInterval): string {
  return `${short(i.value)} [${short(i.low)},${short(i.high)}]`;
}

function triple(g: ProbeGroup["unigram"]): string {
  return [g.precisionAt1, g.precisionAt10, g.mrr].map((i) => short(i.value)).join(" ");
}

function short(x: number): string {
  const s = Math.abs(x).toFixed(3);
  const body = s.startsWith("0.") ? s.slice(1) : s;
  return (x < 0 && Number(s) !== 0 ? "-" : "") + body;
}

function count(n: number): string {
  return n.toLocaleString("en-US");
}
