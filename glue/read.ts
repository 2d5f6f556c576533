/**
 * Reads GLUE's TSV files (CoLA, SST-2, MRPC, STS-B, QQP, MNLI, QNLI, RTE, WNLI, AX) into
 * examples, in the layout written by `download_glue_data.py`: `<dir>/<TASK>/{train,dev,test}.tsv`,
 * MNLI's `dev_matched.tsv`/`dev_mismatched.tsv`/`test_matched.tsv`/`test_mismatched.tsv`, and AX as
 * `diagnostic/diagnostic.tsv` or `AX/test.tsv`.
 *
 * Like the reference readers, lines are split on tabs only and quotes are never interpreted
 * (MRPC, RTE, QNLI and STS-B hold unbalanced double quotes); texts are kept byte for byte. Unlike
 * them, nothing is skipped unseen: line 1 must be the file's header where download_glue_data.py
 * writes one (every file but CoLA train/dev) and a row where it does not, and a row must have the
 * file's columns; else the read fails naming the file, the line and what was expected.
 *
 * @example
 * ```ts
 * import { readGlue } from "./glue.ts";
 *
 * const rte = await readGlue("data/glue", "RTE", "dev");
 * console.log(rte.counts.rows, rte.examples[0]!.label); // 138 1 (not_entailment)
 * ```
 * @module
 */
import { match } from "ts-pattern";
import { readTextLines } from "../data/lines.ts";
import { isDirectory, isFile } from "../util/files.ts";
import {
  type GlueLayout,
  type GlueSplit,
  glueSplits,
  type GlueTask,
  glueTask,
  type GlueTaskName,
  isTestSplit,
} from "./tasks.ts";

/** One row of a GLUE file. */
export interface GlueExample {
  /** `<split>-<index column>`, or `<split>-<row>` (0-based data row) for files without one. */
  readonly guid: string;
  /** The file's index/id column, where the layout has one (always in test files). */
  readonly index?: string;
  /** The first (or only) sentence, exactly as in the file. */
  readonly textA: string;
  /** The second sentence of a pair task. */
  readonly textB?: string;
  /** The label's position in the task's label list (classification, train/dev only). */
  readonly label?: number;
  /** The similarity score (STS-B, train/dev only). */
  readonly score?: number;
  /** The 1-based line of the file the row came from. */
  readonly line: number;
}

/** How many rows were read and which lines were skipped (blank, or malformed QQP rows). */
export interface GlueCounts {
  /** Examples returned. */
  readonly rows: number;
  /** Lines skipped; the header is not counted. */
  readonly skipped: number;
  /** The 1-based numbers of the skipped lines. */
  readonly skippedLines: readonly number[];
}

/** The examples of one GLUE file. */
export interface GlueFile {
  /** The task read. */
  readonly task: GlueTaskName;
  /** The split whose layout was used. */
  readonly split: GlueSplit;
  /** The file read. */
  readonly path: string;
  /** The header's cells (BOM removed), when the layout has a header. */
  readonly header?: readonly string[];
  /** The rows, in file order. */
  readonly examples: GlueExample[];
  /** Row and skip counts. */
  readonly counts: GlueCounts;
}

/**
 * Reads one split of a task from a GLUE root folder (`<dir>/<TASK>/<split>.tsv`).
 *
 * @example
 * ```ts
 * import { readGlue } from "./glue.ts";
 * const cola = await readGlue("data/glue", "CoLA", "train");
 * console.log(cola.counts.rows); // 8551
 * ```
 * @throws {RangeError} for an unknown task, or a split the task does not have.
 * @throws {Error} one line naming the missing folder or file and the expected layout, or the
 * file and line of a missing or unexpected header, a malformed row or an unknown label.
 */
export async function readGlue(
  dir: string,
  task: GlueTaskName | string,
  split: GlueSplit,
): Promise<GlueFile> {
  const t = glueTask(task);
  return await readGlueFile(await findGlueFile(dir, t, split), t.name, split);
}

/** Options of {@linkcode readGlueFile}. */
export interface ReadGlueOptions {
  /** Stop after this many examples (to check a file's start cheaply); default: read them all. */
  maxRows?: number;
}

/**
 * Reads one GLUE file at an explicit path (for example the shipped `QQP/dev_first9.tsv`), using
 * the column layout of `task`'s `split` (test splits have no labels).
 *
 * @example
 * ```ts
 * import { readGlueFile } from "./glue.ts";
 * const qqp = await readGlueFile("data/glue/QQP/dev_first9.tsv", "QQP", "dev");
 * console.log(qqp.counts.rows); // 9
 * ```
 * @throws {Error} naming the file when it is missing, and the line of a missing or unexpected
 * header, a row with too few or too many columns, or an unknown label.
 */
export async function readGlueFile(
  path: string,
  task: GlueTaskName | string,
  split: GlueSplit,
  options: ReadGlueOptions = {},
): Promise<GlueFile> {
  const t = glueTask(task);
  checkSplit(t, split);
  if (!(await isFile(path))) {
    throw new Error(`Cannot read GLUE file "${path}": not found; expected a ${t.name} ${split} TSV file`);
  }
  const parser = new RowParser(t, split, path);
  const maxRows = options.maxRows ?? Infinity;
  let lineNumber = 0;
  for await (const line of readTextLines(path, { label: "GLUE file" })) {
    if (parser.rows >= maxRows) break;
    parser.push(line, ++lineNumber);
  }
  return parser.finish();
}

/**
 * Parses the text of a GLUE file already in memory; `path` is only used in error messages.
 *
 * @example
 * ```ts
 * import { parseGlue } from "./glue.ts";
 * const sst = parseGlue("sentence\tlabel\nit 's fine . \t1\n", "SST-2", "dev");
 * console.log(sst.examples[0]); // { guid: "dev-0", textA: "it 's fine . ", label: 1, line: 2 }
 * ```
 */
export function parseGlue(
  text: string,
  task: GlueTaskName | string,
  split: GlueSplit,
  path = "<text>",
): GlueFile {
  const t = glueTask(task);
  checkSplit(t, split);
  const parser = new RowParser(t, split, path);
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  lines.forEach((line, i) => parser.push(line.endsWith("\r") ? line.slice(0, -1) : line, i + 1));
  return parser.finish();
}

/**
 * Finds the file of `task`'s `split` under the GLUE root `dir`.
 *
 * @throws {Error} one line naming the missing folder or file and the expected layout.
 */
export async function findGlueFile(dir: string, task: GlueTask, split: GlueSplit): Promise<string> {
  checkSplit(task, split);
  const candidates = task.files[split]!.map((f) => `${dir}/${f}`);
  for (const c of candidates) if (await isFile(c)) return c;
  const layout = expectedLayout(dir, task);
  if (!(await isDirectory(dir))) {
    throw new Error(`Cannot read GLUE task ${task.name}: folder "${dir}" not found; expected ${layout}`);
  }
  const folders = [...new Set(candidates.map((c) => c.slice(0, c.lastIndexOf("/"))))];
  const present = await Promise.all(folders.map(isDirectory));
  if (!present.some((p) => p)) {
    // A common mistake is to pass the task folder itself instead of the GLUE root.
    const hint = (await isFile(`${dir}/train.tsv`)) || (await isFile(`${dir}/dev.tsv`))
      ? ` ("${dir}" looks like a task folder: pass its parent)`
      : "";
    throw new Error(
      `Cannot read GLUE task ${task.name}: folder "${
        folders.join('" or "')
      }" not found; expected ${layout}${hint}`,
    );
  }
  throw new Error(
    `Cannot read GLUE task ${task.name} ${split}: file "${
      candidates.join('" or "')
    }" not found; expected ${layout}`,
  );
}

/** A row's label or score, or what is wrong with its target cell. */
type Target = { label?: number; score?: number } | { problem: string };

/** Turns lines into examples for one task/split layout; one instance per file. */
class RowParser {
  readonly #task: GlueTask;
  readonly #split: GlueSplit;
  readonly #path: string;
  readonly #layout: GlueLayout;
  readonly #columns: readonly string[];
  readonly #minColumns: number;
  readonly #maxColumns: number;
  readonly #readTextB: (fields: string[]) => string | undefined;
  readonly #readTarget: (fields: string[]) => Target;
  readonly #examples: GlueExample[] = [];
  readonly #skippedLines: number[] = [];
  #header: string[] | undefined;

  constructor(task: GlueTask, split: GlueSplit, path: string) {
    this.#task = task;
    this.#split = split;
    this.#path = path;
    const layout = isTestSplit(split) ? task.test : task.labeled;
    this.#layout = layout;
    this.#columns = task.columns[split]!;
    this.#minColumns = minColumns(layout);
    // A cell past the last column means a tab inside a text: the text would be cut there. MNLI's
    // label is "the last column" and QQP keeps the reference's reading, so both read by position.
    this.#maxColumns = layout.label === "last" || task.skipMalformed ? Infinity : this.#columns.length;
    this.#readTextB = match(task.input)
      .with("single", () => () => undefined)
      .with("pair", () => (fields: string[]) => fields[layout.textB!]!)
      .exhaustive();
    this.#readTarget = layout.label === undefined ? () => ({}) : this.#targetReader(layout.label);
  }

  push(line: string, lineNumber: number): void {
    if (lineNumber === 1 && line.startsWith("\uFEFF")) line = line.slice(1);
    if (lineNumber === 1 && this.#layout.header) {
      this.#checkHeader(line);
      this.#header = line.split("\t");
      return;
    }
    if (line.length === 0) {
      this.#skippedLines.push(lineNumber);
      return;
    }
    const fields = line.split("\t");
    if (fields.length < this.#minColumns) {
      if (this.#task.skipMalformed) {
        this.#skippedLines.push(lineNumber);
        return;
      }
      this.#failRow(
        lineNumber,
        line,
        `has ${fields.length} column(s), expected at least ${this.#minColumns} for ${this.#what()}`,
      );
    }
    if (fields.length > this.#maxColumns) {
      this.#failRow(
        lineNumber,
        line,
        `has ${fields.length} column(s), expected ${this.#maxColumns} for ${this.#what()} (${
          this.#columns.join(", ")
        }): a tab inside a text?`,
      );
    }
    const target = this.#readTarget(fields);
    if ("problem" in target) this.#failRow(lineNumber, line, target.problem);
    const index = this.#layout.index === undefined ? undefined : fields[this.#layout.index]!;
    const row = this.#examples.length;
    const example: GlueExample = {
      guid: `${this.#split}-${index ?? row}`,
      ...(index === undefined ? {} : { index }),
      textA: fields[this.#layout.textA]!,
      ...optional("textB", this.#readTextB(fields)),
      ...target,
      line: lineNumber,
    };
    this.#examples.push(example);
  }

  /** Examples so far. */
  get rows(): number {
    return this.#examples.length;
  }

  finish(): GlueFile {
    return {
      task: this.#task.name,
      split: this.#split,
      path: this.#path,
      ...(this.#header === undefined ? {} : { header: this.#header }),
      examples: this.#examples,
      counts: {
        rows: this.#examples.length,
        skipped: this.#skippedLines.length,
        skippedLines: this.#skippedLines,
      },
    };
  }

  /**
   * Line 1 must name the columns read where download_glue_data.py's header does: skipping it
   * unseen would drop the first example of a file that has no header. Columns not read may be
   * named otherwise (copies differ in MNLI's parse columns, say).
   */
  #checkHeader(line: string): void {
    const cells = line.split("\t").map((c) => c.trim());
    const expected = this.#columns;
    const at = (names: readonly string[], column: number | "last") =>
      column === "last" ? names.at(-1) : names[column];
    const read = [this.#layout.index, this.#layout.textA, this.#layout.textB, this.#layout.label]
      .filter((c) => c !== undefined);
    if (read.every((c) => at(cells, c) === at(expected, c))) return;
    this.#fail(
      1,
      `is not the ${this.#what()} header: found ${quoteLine(line)}, expected ${
        JSON.stringify(expected.join("\t"))
      } (download_glue_data.py layout)`,
    );
  }

  /** Fails on a row; on line 1 of a file without a header, says that the row may be one. */
  #failRow(lineNumber: number, line: string, what: string): never {
    if (lineNumber === 1 && !this.#layout.header) {
      this.#fail(
        1,
        `${what}: ${this.#what()} files have no header, so line 1 must be a row (${
          this.#columns.join(", ")
        }), found ${quoteLine(line)}`,
      );
    }
    this.#fail(lineNumber, what);
  }

  #targetReader(column: number | "last"): (fields: string[]) => Target {
    const cell = (fields: string[]) => fields[column === "last" ? fields.length - 1 : column]!.trim();
    return match(this.#task.output)
      .with({ type: "classification" }, ({ labels }) => {
        const ids = new Map(labels.map((l, i) => [l, i]));
        return (fields: string[]): Target => {
          const label = ids.get(cell(fields));
          if (label !== undefined) return { label };
          return {
            problem: `unknown label "${cell(fields)}" for ${this.#task.name}, expected one of ${
              labels.join(", ")
            }`,
          };
        };
      })
      .with({ type: "regression" }, ({ min, max }) => (fields: string[]): Target => {
        const raw = cell(fields);
        const score = raw === "" ? NaN : Number(raw);
        if (score >= min && score <= max) return { score };
        return { problem: `score "${raw}" for ${this.#task.name} is not a number in [${min}, ${max}]` };
      })
      .exhaustive();
  }

  /** "SST-2 train". */
  #what(): string {
    return `${this.#task.name} ${this.#split}`;
  }

  #fail(line: number, what: string): never {
    throw new Error(`Cannot read GLUE file "${this.#path}": line ${line} ${what}`);
  }
}

/** A line for a message: JSON-quoted (tabs show as \t), cut after 60 characters. */
function quoteLine(line: string): string {
  return JSON.stringify(line.length > 60 ? `${line.slice(0, 60)}...` : line);
}

/** The fewest columns a row needs; a `"last"` label must come after the texts. */
function minColumns(layout: GlueLayout): number {
  const used = [layout.index, layout.textA, layout.textB].filter((c) => c !== undefined);
  const widest = Math.max(...used);
  return match(layout.label)
    .with(undefined, () => widest + 1)
    .with("last", () => widest + 2)
    .otherwise((label) => Math.max(widest, label) + 1);
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

function checkSplit(task: GlueTask, split: GlueSplit): void {
  if (task.files[split] === undefined) {
    throw new RangeError(
      `GLUE task ${task.name} has no split "${split}": expected one of ${glueSplits(task).join(", ")}`,
    );
  }
}

/** "data/glue/MNLI/{train,dev_matched,...}.tsv (download_glue_data.py layout)". */
function expectedLayout(dir: string, task: GlueTask): string {
  const files = glueSplits(task).flatMap((s) => task.files[s]!);
  const folders = new Set(files.map((f) => f.slice(0, f.lastIndexOf("/"))));
  const described = folders.size === 1
    ? `${dir}/${[...folders][0]}/{${files.map((f) => f.slice(f.lastIndexOf("/") + 1, -4)).join(",")}}.tsv`
    : files.map((f) => `${dir}/${f}`).join(" or ");
  return `${described} (download_glue_data.py layout)`;
}
