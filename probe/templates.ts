/**
 * The knowledge probe's cloze templates: a TSV file with the header `relation<TAB>template` and one
 * template per relation, `[H]` standing for the head and `[MASK]` for the tail, each exactly once
 * (`data/probe/templates.tsv`: `IsA	[H] is a [MASK].`).
 *
 * @example
 * ```ts
 * import { fillTemplate, readProbeTemplates } from "./templates.ts";
 *
 * const templates = await readProbeTemplates("data/probe/templates.tsv");
 * fillTemplate(templates.get("IsA")!, "baseball"); // "baseball is a [MASK]."
 * ```
 * @module
 */
import { readTextLines } from "../data/lines.ts";

/** What a template writes for the head. */
export const TEMPLATE_HEAD_SLOT = "[H]";
/** What a template writes for the tail: the one token the model predicts. */
export const TEMPLATE_TAIL_SLOT = "[MASK]";

/** The header line of a templates file, columns separated by a tab. */
export const PROBE_TEMPLATES_HEADER: readonly string[] = ["relation", "template"];

/**
 * Parses the text of a templates file; `source` names it in errors.
 *
 * @throws {Error} `Cannot read templates "<source>" line N: <why>` for a missing header, a line
 * without two columns, a template without exactly one [H] and one [MASK], or a relation given twice
 */
export function parseProbeTemplates(lines: Iterable<string>, source: string): Map<string, string> {
  const templates = new Map<string, string>();
  let n = 0;
  for (const line of lines) {
    n++;
    const fail = (why: string) => new Error(`Cannot read templates "${source}" line ${n}: ${why}`);
    if (n === 1) {
      if (line.split("\t").map((c) => c.trim()).join("\t") !== PROBE_TEMPLATES_HEADER.join("\t")) {
        throw fail(`expected the header "${PROBE_TEMPLATES_HEADER.join("<TAB>")}"`);
      }
      continue;
    }
    if (line.trim() === "") continue;
    const cols = line.split("\t").map((c) => c.trim());
    if (cols.length !== 2 || cols[0] === "" || cols[1] === "") {
      throw fail(`expected two tab-separated columns, relation and template, got ${cols.length}`);
    }
    const [relation, template] = cols as [string, string];
    for (const slot of [TEMPLATE_HEAD_SLOT, TEMPLATE_TAIL_SLOT]) {
      const count = template.split(slot).length - 1;
      if (count !== 1) throw fail(`the template of ${relation} has ${count} ${slot}, expected exactly one`);
    }
    if (templates.has(relation)) throw fail(`${relation} has a template already`);
    templates.set(relation, template);
  }
  if (n === 0) throw new Error(`Cannot read templates "${source}": the file is empty`);
  return templates;
}

/**
 * Reads a templates file (plain or gzip).
 *
 * @throws {Error} naming the file, for a missing or malformed file (see {@linkcode parseProbeTemplates})
 */
export async function readProbeTemplates(path: string): Promise<Map<string, string>> {
  const lines: string[] = [];
  for await (const line of readTextLines(path, { label: "templates" })) lines.push(line);
  return parseProbeTemplates(lines, path);
}

/** The template with the head in place of [H]; the [MASK] stays. */
export function fillTemplate(template: string, head: string): string {
  return template.replace(TEMPLATE_HEAD_SLOT, () => head);
}
