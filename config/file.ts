/**
 * Config files: one JSON object whose keys are setting keys (`{"batch": 128, "grad_accum": 4}`),
 * read as JSONC (comments and trailing commas allowed) by Microsoft's `jsonc-parser`, the parser
 * behind VS Code's settings. A UTF-8 byte order mark is allowed; string values are kept exactly.
 *
 * @example
 * ```ts
 * import { parseSettingsFile } from "./file.ts";
 * parseSettingsFile('{"out": "a,]b", // kept as written\n}', "run.jsonc"); // { out: "a,]b" }
 * ```
 * @module
 */
import { parse, type ParseError, printParseErrorCode } from "jsonc-parser";
import { UsageError } from "./errors.ts";
import type { SettingsLayer } from "./settings.ts";

/**
 * The object in a JSON/JSONC text.
 *
 * @throws {UsageError} naming the file, line and column of a syntax error, or saying the text
 * holds no object
 */
export function parseSettingsFile(text: string, path: string): Record<string, unknown> {
  const body = text.startsWith("\uFEFF") ? text.slice(1) : text;
  const errors: ParseError[] = [];
  const value: unknown = parse(body, errors, { allowTrailingComma: true, allowEmptyContent: false });
  if (errors.length > 0) {
    const e = errors[0]!;
    const before = body.slice(0, e.offset);
    const line = before.split("\n").length;
    const column = e.offset - before.lastIndexOf("\n");
    throw new UsageError(
      `Cannot read config ${path} line ${line} column ${column}: ${
        describeCode(printParseErrorCode(e.error))
      }`,
    );
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new UsageError(`Cannot read config ${path}: expected a JSON object of settings`);
  }
  return value as Record<string, unknown>;
}

/**
 * Reads a config file as a settings layer.
 *
 * @throws {UsageError} naming the file when it cannot be read or parsed
 */
export async function readSettingsFile(path: string): Promise<SettingsLayer> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    const why = error instanceof Deno.errors.NotFound ? "no such file" : (error as Error).message;
    throw new UsageError(`Cannot read config ${path}: ${why}`);
  }
  return { source: "file", name: path, values: parseSettingsFile(text, path) };
}

/** "InvalidSymbol" -> "invalid symbol". */
function describeCode(code: string): string {
  return code.replace(/([a-z])([A-Z])/g, "$1 $2").toLowerCase();
}
