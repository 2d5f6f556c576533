/**
 * Loads ConceptNet into a {@linkcode ConceptGraph}: streams the official 5-column assertions dump
 * (`conceptnet-assertions-5.7.0.csv.gz`) or a 4-column English extract (CN-100K), plain or gzip,
 * through the project's line reader (data/lines.ts), splits each line on tabs (no quoting: quotes
 * are literal text in both formats), keeps English-English edges and applies the relation filter
 * (docs METHOD.md section 1).
 *
 * A line that is not an edge (wrong column count, bad URI or JSON, not UTF-8, longer than
 * {@linkcode CONCEPTNET_MAX_LINE_BYTES}) is skipped and counted, never fatal: the 34M-line dump is
 * not the user's to fix. Skipping is never silent: {@linkcode formatSkippedLines} is the console
 * line every command that loads ConceptNet prints.
 *
 * Memory stays bounded: rows are consumed one at a time and edges go into typed arrays; the English
 * part of ConceptNet 5.7 (~3.4M edges) loads in well under 2 GB (`deno task bench conceptnet`).
 * @module
 */
import { type ConceptGraph, ConceptGraphBuilder } from "./conceptnet_graph.ts";
import { type ConceptNetCounts, type ConceptNetRowOptions, ConceptNetRows } from "./conceptnet_rows.ts";
import { splitTextLines } from "./lines.ts";

export { ConceptGraph, ConceptGraphBuilder } from "./conceptnet_graph.ts";
export type {
  ConceptNetCounts,
  ConceptNetFormat,
  ConceptNetRowOptions,
  MalformedLine,
} from "./conceptnet_rows.ts";

/**
 * Longest ConceptNet line read (1 MiB), far above any edge of either format (the dump's lines, JSON
 * column included, run to a few kilobytes at most). A longer line is skipped as malformed as soon
 * as it passes the limit, so a file with no line ends cannot fill the memory.
 */
export const CONCEPTNET_MAX_LINE_BYTES = 1 << 20;

/** The `--help` lines on malformed ConceptNet lines, for every command that loads ConceptNet. */
export const CONCEPTNET_LINES_HELP: string =
  "ConceptNet lines that are not an edge (wrong column count, bad URI, JSON or weight, not UTF-8,\n" +
  "over 1 MiB) are skipped and counted; the count and the first of them are printed on stderr\n" +
  '("warning: ConceptNet file F: skipped N malformed lines of M (first: line L, why)"). A file with\n' +
  "no edge at all is an error.";

/** Options of {@linkcode loadConceptNet}. */
export interface ConceptNetOptions extends ConceptNetRowOptions {
  /** Longest line read, in bytes (default {@linkcode CONCEPTNET_MAX_LINE_BYTES}). */
  maxLineBytes?: number;
}

/** What a load read and skipped. */
export interface ConceptNetReport extends ConceptNetCounts {
  /** The file loaded. */
  path: string;
  /** Whether it was gzip (decided by its magic bytes, not its name). */
  gzip: boolean;
  /** Bytes read from disk. */
  fileBytes: number;
  /** Bytes of text parsed (after decompression). */
  textBytes: number;
}

/** A loaded graph and its report. */
export interface ConceptNetLoad {
  /** The English-English edges kept, relation filter applied. */
  graph: ConceptGraph;
  /** Counts of what was read, kept and skipped. */
  report: ConceptNetReport;
}

/**
 * Streams a ConceptNet file (`.csv`, `.tsv`, `.txt`, any of them gzipped) into a graph. Malformed
 * lines (not an edge, not UTF-8, too long) are skipped and counted (the first few by line number)
 * in the report, which the caller prints with {@linkcode formatSkippedLines}; a missing file, a
 * directory, an unreadable gzip, a file in neither format or with no edge at all throws one Error
 * naming the path.
 *
 * @example
 * ```ts
 * const { graph, report } = await loadConceptNet("data/conceptnet/cn100k/train100k.txt.gz");
 * console.log(formatConceptNetReport(report, graph));
 * ```
 */
export async function loadConceptNet(path: string, options: ConceptNetOptions = {}): Promise<ConceptNetLoad> {
  const fail = (why: string) => new Error(`Cannot load ConceptNet file ${path}: ${why}`);
  const source = await openText(path, fail);
  const builder = new ConceptGraphBuilder();
  const rows = new ConceptNetRows(builder, options);
  let line = 0;
  const lines = splitTextLines(source.stream, {
    fail,
    failRead: (message) =>
      fail(source.gzip ? `not a readable gzip stream (${message})` : `cannot be read (${message})`),
    maxLineBytes: options.maxLineBytes ?? CONCEPTNET_MAX_LINE_BYTES,
    onBadLine: (bad) => {
      line = bad.line;
      rows.skip(bad.reason, line);
    },
  });
  for await (const text of lines) {
    try {
      rows.row(text.split("\t"), ++line);
    } catch (error) {
      throw fail(`line ${line}: ${(error as Error).message}`);
    }
  }
  try {
    rows.finish();
  } catch (error) {
    throw fail((error as Error).message);
  }
  const graph = builder.finish();
  return {
    graph,
    report: {
      ...rows.counts,
      path,
      gzip: source.gzip,
      fileBytes: source.fileBytes(),
      textBytes: source.textBytes(),
    },
  };
}

/**
 * The report as lines of text: counts, exclusions, the first malformed lines, top concepts by degree.
 *
 * @example
 * ```ts
 * const { graph, report } = await loadConceptNet("data/conceptnet/conceptnet5-testdata/assertions.csv");
 * console.log(formatConceptNetReport(report, graph, 5));
 * ```
 */
export function formatConceptNetReport(report: ConceptNetReport, graph: ConceptGraph, top = 10): string {
  const r = report;
  const list = (m: Map<string, number>) =>
    [...m.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([k, v]) => `${k} ${v}`).join(
      ", ",
    );
  const lines = [
    `ConceptNet ${r.path} (${r.format ?? "unknown"} format${r.gzip ? ", gzip" : ""}): ${r.lines} lines read`,
    `  English-English edges: ${r.english} (kept ${r.kept}, excluded by relation ${r.excluded})`,
    `  skipped: ${r.notEnglish} not English, ${r.malformed} malformed, ${r.blank} blank`,
    `  graph: ${graph.edgeCount} unique edges (${r.duplicates} duplicates merged), ` +
    `${graph.conceptCount} concepts, ${r.relationCounts.size} relations`,
  ];
  if (r.excludedCounts.size > 0) lines.push(`  excluded: ${list(r.excludedCounts)}`);
  for (const m of r.malformedSamples) lines.push(`  malformed line ${m.line}: ${m.reason}`);
  if (r.malformed > r.malformedSamples.length) {
    lines.push(`  ... and ${r.malformed - r.malformedSamples.length} more malformed lines`);
  }
  const best = graph.topByDegree(top).map((c) => `${c.term} (${c.degree})`).join(", ");
  if (best) lines.push(`  top concepts by degree: ${best}`);
  return lines.join("\n");
}

/**
 * The one console line about the lines a load skipped as malformed, with the first of them, or
 * null when it skipped none: what every command that loads ConceptNet prints on stderr.
 *
 * @example
 * ```ts
 * const { report } = await loadConceptNet("data/conceptnet/cn100k/train100k.txt.gz");
 * const warning = formatSkippedLines(report);
 * if (warning !== null) console.error(warning);
 * ```
 */
export function formatSkippedLines(report: ConceptNetReport): string | null {
  const r = report;
  if (r.malformed === 0) return null;
  const first = r.malformedSamples[0];
  return `warning: ConceptNet file ${r.path}: skipped ${r.malformed} malformed line${
    r.malformed === 1 ? "" : "s"
  } of ${r.lines}` + (first ? ` (first: line ${first.line}, ${first.reason})` : "");
}

interface TextSource {
  stream: ReadableStream<Uint8Array>;
  gzip: boolean;
  fileBytes: () => number;
  textBytes: () => number;
}

/** Opens the file as a byte stream of text, decompressing gzip (detected by its magic bytes). */
async function openText(path: string, fail: (why: string) => Error): Promise<TextSource> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true });
  } catch (error) {
    throw fail(error instanceof Deno.errors.NotFound ? "no such file" : (error as Error).message);
  }
  let gzip: boolean;
  try {
    if ((await file.stat()).isDirectory) throw new Error("it is a directory, expected a .csv/.tsv/.gz file");
    const magic = new Uint8Array(2);
    const n = await file.read(magic);
    gzip = n === 2 && magic[0] === 0x1f && magic[1] === 0x8b;
    if (!gzip && path.endsWith(".gz")) throw new Error("named .gz but not gzip (no gzip magic bytes)");
    await file.seek(0, Deno.SeekMode.Start);
  } catch (error) {
    file.close();
    throw fail((error as Error).message);
  }
  let fileBytes = 0, textBytes = 0;
  let stream = file.readable.pipeThrough(counter((n) => fileBytes += n));
  if (gzip) {
    const gunzip = new DecompressionStream("gzip") as unknown as TransformStream<Uint8Array, Uint8Array>;
    stream = stream.pipeThrough(gunzip);
  }
  stream = stream.pipeThrough(counter((n) => textBytes += n));
  return { stream, gzip, fileBytes: () => fileBytes, textBytes: () => textBytes };
}

function counter(add: (n: number) => void): TransformStream<Uint8Array, Uint8Array> {
  return new TransformStream({
    transform(chunk, controller) {
      add(chunk.byteLength);
      controller.enqueue(chunk);
    },
  });
}
