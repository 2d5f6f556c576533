/**
 * `--help`, generated from a command's settings: usage, what the command does, every flag with its
 * description, default and allowed values, and examples.
 * @module
 */
import { relative } from "node:path";
import type { FieldInfo } from "./settings.ts";

/** What the help of a command is made from. */
export interface HelpSource {
  /** `deno task <name>`. */
  readonly name: string;
  /** The usage line's arguments after the name, e.g. `[--config FILE] [settings] FILE|-`. */
  readonly usage: string;
  /** What the command does, one line. */
  readonly summary: string;
  /** More paragraphs, if any. */
  readonly details?: string;
  /** The settings (library settings: also config file keys). */
  readonly settings: readonly FieldInfo[];
  /** Whether the settings may come from `--config FILE`. */
  readonly configFile: boolean;
  /** Command-only options. */
  readonly options: readonly FieldInfo[];
  /** Positional arguments, described. */
  readonly positional?: { readonly label: string; readonly description: string };
  /** Example command lines. */
  readonly examples: readonly string[];
}

/**
 * The help text.
 *
 * @example
 * ```ts
 * import { formatHelp } from "./help.ts";
 * console.log(formatHelp({ name: "demo", usage: "[settings]", summary: "Does a demo.", settings: [],
 *   configFile: false, options: [], examples: ["deno task demo"] }));
 * ```
 */
export function formatHelp(h: HelpSource): string {
  const lines = [`Usage: deno task ${h.name} ${h.usage}`.trimEnd(), "", h.summary];
  if (h.details) lines.push("", h.details);
  if (h.positional) {
    lines.push("", "Arguments:", `  ${h.positional.label}`, `      ${h.positional.description}`);
  }
  if (h.settings.length > 0) {
    lines.push(
      "",
      h.configFile
        ? `Settings (flags; in a --config JSON/JSONC file the same names with "_", e.g. {"${
          h.settings.find((f) => f.key.includes("_"))?.key ?? h.settings[0]!.key
        }": ...}; flags win):`
        : "Settings:",
    );
    for (const f of h.settings) lines.push(...fieldLines(f, ""));
  }
  lines.push("", "Options:");
  if (h.configFile) {
    lines.push(
      "  --config FILE",
      "      read settings from a JSON or JSONC file (comments and trailing commas allowed)",
    );
  }
  for (const f of h.options) lines.push(...fieldLines(f, ""));
  lines.push("  -h, --help", "      print this help and exit");
  lines.push("", h.examples.length > 1 ? "Examples:" : "Example:", ...h.examples.map((e) => `  ${e}`), "");
  return lines.join("\n");
}

function fieldLines(f: FieldInfo, prefix: string): string[] {
  if (f.kind === "settings") {
    const lines = [`  ${f.flag}.NAME VALUE`, `      ${f.description}:`];
    for (const inner of f.nested!.fields) lines.push(...fieldLines(inner, `${prefix}${f.flag.slice(2)}.`));
    return lines;
  }
  const flag = `--${prefix}${f.flag.slice(2)}`;
  const head = f.kind === "boolean" ? `  ${flag}` : `  ${flag} ${f.metavar}`;
  const facts = [
    f.kind === "boolean"
      ? (f.defaultValue === true ? `on by default; --no-${flag.slice(2)} turns it off` : "")
      : f.required
      ? "required"
      : `default ${formatDefault(f.defaultValue)}`,
    // "a string" says nothing a reader of the description does not know.
    f.kind === "boolean" || /^a (list of (\d+ or more )?)?(non-empty )?strings?( or none)?$/.test(f.allowed)
      ? ""
      : f.allowed,
  ].filter((s) => s !== "");
  return [head, `      ${f.description}${facts.length > 0 ? ` (${facts.join("; ")})` : ""}`];
}

/** A default as people read it: `none`, numbers in their shortest form, paths relative to here. */
export function formatDefault(value: unknown): string {
  if (value === null || value === undefined) return "none";
  if (Array.isArray(value)) {
    const items = value.map(formatDefault);
    return items.length > 3 ? `${items.slice(0, 2).join(",")},... (${items.length} in all)` : items.join(",");
  }
  if (typeof value === "number") {
    const a = Math.abs(value);
    return a !== 0 && (a >= 1e6 || a < 1e-3) ? value.toExponential().replace("e+", "e") : String(value);
  }
  if (typeof value === "string" && value.startsWith("/")) {
    const rel = relative(Deno.cwd(), value);
    return rel.startsWith("..") ? value : rel;
  }
  return String(value);
}
