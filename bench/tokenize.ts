/**
 * Tokenizer throughput: MB/s (UTF-8 input bytes, 10^6 per MB) of `encodeIds` over the text lines of
 * the shipped Wikipedia sample, single-threaded, median of 3 passes after a warm-up pass. A second
 * figure times `encode` with offsets and [CLS]/[SEP].
 * @module
 */
import { readParagraphs } from "../data/corpus.ts";
import { SAMPLE_CORPUS } from "../data/samples.ts";
import { BertTokenizer } from "../data/tokenizer.ts";
import { median } from "./timing.ts";

/** The text lines of WikiExtractor files: their paragraphs, without the tags and title lines. */
export async function readWikiLines(paths: readonly string[] = SAMPLE_CORPUS): Promise<string[]> {
  const lines: string[] = [];
  for (const path of paths) {
    for await (const paragraph of readParagraphs(path)) lines.push(paragraph.text);
  }
  return lines;
}

function megabytesPerSecond(lines: string[], pass: (line: string) => void): number {
  const bytes = lines.reduce((sum, l) => sum + new TextEncoder().encode(l).length + 1, 0);
  const times: number[] = [];
  for (let r = 0; r < 4; r++) {
    const start = performance.now();
    for (const line of lines) pass(line);
    if (r > 0) times.push(performance.now() - start);
  }
  return bytes / 1e6 / (median(times) / 1000);
}

/** `tokenize` (ids only, the corpus path) and `tokenize_offsets` (`encode` with offsets) in MB/s. */
export async function tokenizeBench(): Promise<{ bench: string; value: number; unit: string }[]> {
  const tok = await BertTokenizer.load();
  const lines = await readWikiLines();
  return [
    { bench: "tokenize", value: megabytesPerSecond(lines, (l) => tok.encodeIds(l)), unit: "MB/s" },
    { bench: "tokenize_offsets", value: megabytesPerSecond(lines, (l) => tok.encode(l)), unit: "MB/s" },
  ];
}

if (import.meta.main) {
  for (const r of await tokenizeBench()) console.log(`${r.bench.padEnd(20)} ${r.value.toFixed(2)} ${r.unit}`);
}
