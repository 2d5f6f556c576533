/**
 * Command lines read against settings: each setting is a flag (`--grad-accum 4`, `--grad-accum=4`),
 * a boolean is a bare flag (`--json`, `--no-json`), a list takes commas or repeats
 * (`--corpus a,b --corpus c`), a nullable setting takes `none`, and a nested group's settings are
 * dotted (`--pretrain.lr 1e-4`). The value after a flag is always its value, so negative numbers
 * need no `=` (`--seed -1` is then refused by the setting's range, by name).
 *
 * @example
 * ```ts
 * import { readFlags } from "./flags.ts";
 * const read = readFlags(["--steps", "20", "--json", "in.txt"], [SETTINGS.fields, OPTIONS.fields]);
 * // read.layers[0].values = { steps: 20 }, read.layers[1].values = { json: true }, read.positionals = ["in.txt"]
 * ```
 * @module
 */
import { UsageError } from "./errors.ts";
import type { FieldInfo, SettingsLayer } from "./settings.ts";

/** What a command line holds. */
export interface ReadFlags {
  /** One layer of values per field list given, in the same order. */
  readonly layers: SettingsLayer[];
  /** Arguments that are not flags (everything after `--` included). */
  readonly positionals: string[];
  /** `--help` or `-h` was given. */
  readonly help: boolean;
  /** `--config FILE`, when the command takes one. */
  readonly config: string | null;
}

/**
 * Reads `args` against the settings of each field list. `--config` is read only when `configFile`
 * is true.
 *
 * @throws {UsageError} for an unknown flag, a missing value or a value of the wrong type, naming
 * the flag
 */
export function readFlags(
  args: readonly string[],
  lists: readonly (readonly FieldInfo[])[],
  options: { configFile?: boolean } = {},
): ReadFlags {
  const values: Record<string, unknown>[] = lists.map(() => ({}));
  const positionals: string[] = [];
  let help = false;
  let config: string | null = null;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--") {
      positionals.push(...args.slice(i + 1));
      break;
    }
    if (arg === "-h" || arg === "--help") {
      help = true;
      continue;
    }
    if (!arg.startsWith("-") || arg === "-" || /^-\d/.test(arg)) {
      positionals.push(arg);
      continue;
    }
    if (!arg.startsWith("--")) throw new UsageError(`unknown option ${arg}; see --help`);
    const eq = arg.indexOf("=");
    const name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
    const inline = eq < 0 ? undefined : arg.slice(eq + 1);
    const next = (): string => {
      if (inline !== undefined) return inline;
      const value = args[i + 1];
      if (value === undefined || (value.startsWith("--") && value.length > 2)) {
        throw new UsageError(`--${name} needs a value`);
      }
      i++;
      return value;
    };
    if (name === "config" && options.configFile) {
      config = next();
      if (config === "") throw new UsageError(`--config needs a file`);
      continue;
    }
    const found = findFlag(name, lists);
    if (!found) {
      throw new UsageError(`unknown option --${name}${near(name, lists)}`);
    }
    const { list, path, field, negated } = found;
    if (field.kind === "boolean") {
      const raw = inline;
      if (raw !== undefined && raw !== "true" && raw !== "false") {
        throw new UsageError(`--${name} takes no value (or =true, =false), got "${raw}"`);
      }
      put(values[list]!, path, negated ? raw === "false" : raw !== "false");
      continue;
    }
    const text = next();
    const value = parseValue(field, text, `--${name}`);
    const target = values[list]!;
    if (field.kind === "list") {
      const before = get(target, path);
      put(
        target,
        path,
        Array.isArray(before) && value !== null ? [...before, ...(value as unknown[])] : value,
      );
    } else put(target, path, value);
  }
  return { layers: values.map((v) => ({ source: "flags", values: v })), positionals, help, config };
}

/** A flag's field: `grad-accum`, `no-json` (booleans), `pretrain.lr` (a nested group's setting). */
function findFlag(
  name: string,
  lists: readonly (readonly FieldInfo[])[],
): { list: number; path: string[]; field: FieldInfo; negated: boolean } | null {
  for (let list = 0; list < lists.length; list++) {
    const found = findIn(name, lists[list]!);
    if (found) return { list, ...found };
  }
  return null;
}

function findIn(
  name: string,
  fields: readonly FieldInfo[],
): { path: string[]; field: FieldInfo; negated: boolean } | null {
  const dot = name.indexOf(".");
  if (dot > 0) {
    const group = fields.find((f) => f.kind === "settings" && f.flag === `--${name.slice(0, dot)}`);
    const inner = group ? findIn(name.slice(dot + 1), group.nested!.fields) : null;
    return inner && group ? { ...inner, path: [group.key, ...inner.path] } : null;
  }
  const field = fields.find((f) => f.flag === `--${name}` && f.kind !== "settings");
  if (field) return { path: [field.key], field, negated: false };
  const positive = name.startsWith("no-") ? fields.find((f) => f.flag === `--${name.slice(3)}`) : undefined;
  if (positive?.kind === "boolean") return { path: [positive.key], field: positive, negated: true };
  return null;
}

function near(name: string, lists: readonly (readonly FieldInfo[])[]): string {
  const flags = lists.flat().map((f) => f.flag.slice(2));
  const close = flags.filter((f) => f.startsWith(name.slice(0, 3)) || name.startsWith(f.slice(0, 3)));
  return close.length > 0 && close.length <= 3
    ? ` (did you mean ${close.map((f) => `--${f}`).join(" or ")}?)`
    : "; see --help";
}

/**
 * A flag's text as the setting's type: numbers strictly (`1e-4`, not `1e-4x`), lists split on
 * commas, `none` for null where null is allowed. Range and allowed values are checked later, with
 * the other sources.
 */
export function parseValue(field: FieldInfo, text: string, flag: string): unknown {
  if (field.nullable && (text === "none" || text === "null")) return null;
  switch (field.kind) {
    case "integer":
    case "number": {
      const t = text.trim();
      const n = t === "" ? NaN : Number(t);
      if (!Number.isFinite(n)) {
        throw new UsageError(`${flag} must be ${field.allowed}, got "${text}"`);
      }
      return n;
    }
    case "list": {
      const parts = text.split(",").map((s) => s.trim()).filter((s) => s !== "");
      if (parts.length === 0) throw new UsageError(`${flag} needs at least one value, got "${text}"`);
      return parts.map((p) => parseValue(field.element!, p, flag));
    }
    default:
      return text;
  }
}

function get(target: Record<string, unknown>, path: readonly string[]): unknown {
  let at: unknown = target;
  for (const key of path) at = (at as Record<string, unknown> | undefined)?.[key];
  return at;
}

function put(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let at = target;
  for (const key of path.slice(0, -1)) at = (at[key] ??= {}) as Record<string, unknown>;
  at[path.at(-1)!] = value;
}
