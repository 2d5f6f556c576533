/**
 * `deno task tokenize [--vocab F] [--json] [--no-special] [--max-length N] FILE|-`: one output line
 * per input line (FILE, FILE.gz, or `-` for stdin): the WordPiece ids separated by spaces, or with
 * `--json` a JSON array. Like HuggingFace's `tokenizer(line)["input_ids"]`, each line gets [CLS] and
 * [SEP] (`--no-special` leaves them out); `--max-length N` truncates to N ids, those included.
 * The vocab defaults to the shipped bert-base-uncased `vocab.txt`.
 * @module
 */
import { readTextLines } from "../data/lines.ts";
import { BertTokenizer } from "../data/tokenizer.ts";
import { DEFAULT_VOCAB } from "../data/vocab.ts";
import { main, parseFlags, UsageError } from "./_cli.ts";

/** Options of {@linkcode run}. */
export interface TokenizeConfig {
  /** A text file, a `.gz` text file, or `-` for stdin. */
  input: string;
  /** Path of `vocab.txt`. */
  vocab: string;
  /** Print a JSON array per line instead of space-separated ids. */
  json: boolean;
  /** Add [CLS] and [SEP] to every line. */
  special: boolean;
  /** Truncate each line's ids to this many, special tokens included. */
  maxLength?: number;
  /** Receives the output (default: stdout). */
  write?: (text: string) => Promise<void>;
}

/** Tokenizes every line of `config.input`; returns the counts of lines and ids written. */
export async function run(config: TokenizeConfig): Promise<{ lines: number; ids: number }> {
  const tok = await BertTokenizer.load(config.vocab);
  const write = config.write ?? writeStdout;
  const options = { addSpecialTokens: config.special, maxLength: config.maxLength };
  let batch: string[] = [];
  let size = 0;
  let lines = 0;
  let ids = 0;
  for await (const line of readTextLines(config.input, { label: "input" })) {
    const encoded = tok.encode(line, options).ids;
    const text = config.json ? JSON.stringify(encoded) : encoded.join(" ");
    batch.push(text);
    size += text.length + 1;
    lines++;
    ids += encoded.length;
    if (size >= 1 << 20) {
      await write(batch.join("\n") + "\n");
      batch = [];
      size = 0;
    }
  }
  if (batch.length > 0) await write(batch.join("\n") + "\n");
  return { lines, ids };
}

async function writeStdout(text: string): Promise<void> {
  const bytes = new TextEncoder().encode(text);
  for (let off = 0; off < bytes.length;) off += await Deno.stdout.write(bytes.subarray(off));
}

if (import.meta.main) {
  await main(async () => {
    const { values, positionals } = parseFlags("tokenize", Deno.args, {
      vocab: { type: "string" },
      json: { type: "boolean" },
      "no-special": { type: "boolean" },
      "max-length": { type: "string" },
    });
    if (positionals.length !== 1) {
      throw new UsageError(`tokenize: expected one input, FILE or - for stdin, got ${positionals.length}`);
    }
    const special = !values["no-special"];
    let maxLength: number | undefined;
    if (values["max-length"] !== undefined) {
      const raw = values["max-length"] as string;
      maxLength = Number(raw);
      const least = special ? 2 : 1;
      if (!Number.isInteger(maxLength) || maxLength < least) {
        throw new UsageError(`tokenize: --max-length must be an integer of at least ${least}, got "${raw}"`);
      }
    }
    await run({
      input: positionals[0]!,
      vocab: (values.vocab as string | undefined) ?? DEFAULT_VOCAB,
      json: Boolean(values.json),
      special,
      maxLength,
    });
  });
}
