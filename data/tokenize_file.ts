/**
 * A text file tokenized line by line, as `deno task tokenize` prints it: each line's WordPiece ids,
 * space-separated or as a JSON array, with [CLS] and [SEP] like HuggingFace's
 * `tokenizer(line)["input_ids"]` (or without them), cut to `max_length` ids.
 *
 * @example
 * ```ts
 * import { tokenizeFile } from "./tokenize_file.ts";
 * await tokenizeFile({ input: "notes.txt", json: true }, async (text) => console.log(text));
 * ```
 * @module
 */
import { z } from "zod";
import { defineSettings, type SettingsSpec } from "../config/settings.ts";
import { readTextLines } from "./lines.ts";
import { DEFAULT_VOCAB } from "./samples.ts";
import { BertTokenizer } from "./tokenizer.ts";

/** What {@linkcode tokenizeFile} reads and how it writes; the keys are the flags with `_` for `-`. */
export interface TokenizeSettings {
  /** A text file, a `.gz` text file, or `-` for stdin. */
  input: string;
  /** The `vocab.txt`. */
  vocab: string;
  /** A JSON array per line instead of space-separated ids. */
  json: boolean;
  /** Add [CLS] and [SEP] to every line. */
  special: boolean;
  /** Cut each line's ids to this many, special tokens included; null: no cut. */
  max_length: number | null;
}

/** The settings of {@linkcode tokenizeFile}. */
export const TOKENIZE_SETTINGS: SettingsSpec<TokenizeSettings> = defineSettings<TokenizeSettings>()(
  "tokenize",
  z.object({
    input: z.string().min(1).describe("a text file, a .gz text file, or - for stdin"),
    vocab: z.string().min(1).default(DEFAULT_VOCAB).describe("the vocab.txt to tokenize with"),
    json: z.boolean().default(false).describe("a JSON array per line instead of space-separated ids"),
    special: z.boolean().default(true).describe("add [CLS] and [SEP] to every line"),
    max_length: z.number().int().positive().nullable().default(null).describe(
      "cut each line's ids to this many, [CLS] and [SEP] included",
    ),
  }).strict(),
  {
    check: (s, { name }) =>
      s.special && s.max_length !== null && s.max_length < 2
        ? `${name("max_length")} must be at least 2 to hold [CLS] and [SEP], got ${s.max_length}`
        : null,
  },
);

/**
 * Tokenizes every line of `settings.input`, handing the output to `write` in pieces of about
 * 1 MiB; returns the counts of lines and ids written.
 *
 * @throws {UsageError} for bad settings; {Error} naming the file and line that cannot be read
 */
export async function tokenizeFile(
  settings: Partial<TokenizeSettings>,
  write: (text: string) => Promise<void>,
): Promise<{ lines: number; ids: number }> {
  const config = TOKENIZE_SETTINGS.withDefaults(settings);
  const tok = await BertTokenizer.load(config.vocab);
  const options = { addSpecialTokens: config.special, maxLength: config.max_length ?? undefined };
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
