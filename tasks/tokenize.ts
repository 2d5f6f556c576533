/**
 * `deno task tokenize FILE|-`: one line of WordPiece ids per input line (the library's
 * `tokenizeFile`), on stdout.
 * @module
 */
import { type CommandRun, type CommandSpec, runCommand } from "../config/command.ts";
import { TOKENIZE_SETTINGS, tokenizeFile, type TokenizeSettings } from "../data/tokenize_file.ts";
import { writeStdout } from "../util/stdio.ts";

/** `deno task tokenize`. */
export const TOKENIZE_COMMAND: CommandSpec<TokenizeSettings, Record<never, never>> = {
  name: "tokenize",
  summary: "Tokenize a text file with BERT's WordPiece: one line of ids per line, as HuggingFace's " +
    "BertTokenizer (uncased) gives them",
  settings: TOKENIZE_SETTINGS,
  positional: {
    key: "input",
    label: "FILE|-",
    description: "a text file, a .gz text file, or - for stdin (as --input)",
  },
  examples: [
    "deno task tokenize notes.txt",
    "echo 'Hello, world!' | deno task tokenize --json --no-special -",
  ],
};

/** Runs the command line read by {@linkcode TOKENIZE_COMMAND}. */
export async function main(run: CommandRun<TokenizeSettings, Record<never, never>>): Promise<void> {
  await tokenizeFile(run.settings(), writeStdout);
}

if (import.meta.main) await runCommand(TOKENIZE_COMMAND, main);
