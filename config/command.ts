/**
 * The one way a command runs: flags and `--config` read against its settings, `--help`/`-h`,
 * and exit codes as the README says: 0 done, 2 for a bad flag or value ({@linkcode UsageError}),
 * 1 for bad data or a device failure, 130 after Ctrl-C. Errors print as one line, `error: ...`.
 *
 * @example
 * ```ts
 * import { runCommand } from "./command.ts";
 *
 * if (import.meta.main) {
 *   await runCommand(DEMO_COMMAND, async (run) => {
 *     const settings = run.settings();
 *     console.log(await demo(settings));
 *   });
 * }
 * ```
 * @module
 */
import { UsageError } from "./errors.ts";
import { readSettingsFile } from "./file.ts";
import { readFlags } from "./flags.ts";
import { formatHelp } from "./help.ts";
import type { SettingsLayer, SettingsSpec } from "./settings.ts";

/** A command: its settings, options and help. */
export interface CommandSpec<S, O> {
  /** The task name, `deno task <name>`. */
  readonly name: string;
  /** What the command does, in one line (also its `deno task` description). */
  readonly summary: string;
  /** More explanation for `--help`. */
  readonly details?: string;
  /** The settings of the library function the command calls. */
  readonly settings: SettingsSpec<S>;
  /** Settings of the command itself: output format, resuming. */
  readonly options?: SettingsSpec<O>;
  /** Whether settings may come from `--config FILE`. */
  readonly configFile?: boolean;
  /**
   * What positional arguments fill: a setting of `settings` (a list setting takes any number, another
   * exactly one).
   */
  readonly positional?: { readonly key: string; readonly label: string; readonly description: string };
  /**
   * Whether the command honours {@linkcode CommandRun.signal}: Ctrl-C then stops it cleanly, and a
   * second Ctrl-C at once. Without it, Ctrl-C ends the process as usual.
   */
  readonly interruptible?: boolean;
  /** Example command lines for `--help`. */
  readonly examples: readonly string[];
}

/** What a command's body gets. */
export interface CommandRun<S, O> {
  /** The command line's settings (flags and positionals). */
  readonly flags: SettingsLayer;
  /** `--config FILE`, read, or null. */
  readonly file: SettingsLayer | null;
  /** The options, resolved. */
  readonly options: O;
  /** Aborted on the first Ctrl-C of an interruptible command. */
  readonly signal: AbortSignal;
  /** The arguments as given. */
  readonly args: readonly string[];
  /** What the first Ctrl-C says it does ("finishing this step and saving a checkpoint"). */
  setInterruptNote(note: string): void;
  /**
   * Defaults, then the config file, then flags, checked.
   *
   * @throws {UsageError} for a bad or unknown setting, naming it
   */
  settings(): S;
}

/** The usage text of a command. */
export function commandHelp<S, O>(spec: CommandSpec<S, O>): string {
  const parts = [
    spec.configFile ? "[--config FILE]" : "",
    spec.settings.fields.length > 0 || (spec.options?.fields.length ?? 0) > 0 ? "[settings]" : "",
    spec.positional?.label ?? "",
  ];
  return formatHelp({
    name: spec.name,
    usage: parts.filter((p) => p !== "").join(" "),
    summary: spec.summary,
    ...(spec.details ? { details: spec.details } : {}),
    settings: spec.settings.fields,
    configFile: spec.configFile ?? false,
    options: spec.options?.fields ?? [],
    ...(spec.positional ? { positional: spec.positional } : {}),
    examples: spec.examples,
  });
}

/**
 * Reads the command line and runs `body`; exits as the module doc says. `body` returns an exit
 * code, or nothing for 0 (130 if it was interrupted).
 */
export async function runCommand<S, O>(
  spec: CommandSpec<S, O>,
  body: (run: CommandRun<S, O>) => Promise<number | void>,
  args: readonly string[] = Deno.args,
): Promise<void> {
  const abort = new AbortController();
  let interrupts = 0;
  let note = "stopping cleanly";
  const onInterrupt = () => {
    if (++interrupts > 1) Deno.exit(130);
    console.error(`\n${spec.name}: Ctrl-C: ${note} (again to quit at once)`);
    abort.abort();
  };
  let code: number;
  try {
    const run = await readCommand(spec, args, abort.signal, (text) => void (note = text));
    if (run === "help") {
      console.log(commandHelp(spec));
      return;
    }
    if (spec.interruptible) Deno.addSignalListener("SIGINT", onInterrupt);
    code = (await body(run)) ?? (abort.signal.aborted ? 130 : 0);
  } catch (error) {
    const e = error as Error;
    console.error(`error: ${e.message}`);
    code = e instanceof UsageError ? 2 : 1;
  } finally {
    if (spec.interruptible) Deno.removeSignalListener("SIGINT", onInterrupt);
  }
  if (code !== 0) Deno.exit(code);
}

/**
 * The command line read against the command's settings, or "help".
 *
 * @throws {UsageError} for unknown flags, bad values, missing or extra arguments
 */
export async function readCommand<S, O>(
  spec: CommandSpec<S, O>,
  args: readonly string[],
  signal: AbortSignal = new AbortController().signal,
  setInterruptNote: (note: string) => void = () => {},
): Promise<CommandRun<S, O> | "help"> {
  const lists = [spec.settings.fields, spec.options?.fields ?? []];
  const read = readFlags(args, lists, { configFile: spec.configFile ?? false });
  if (read.help) return "help";
  const values = { ...read.layers[0]!.values };
  const p = spec.positional;
  if (p && read.positionals.length > 0) {
    const field = spec.settings.field(p.key)!;
    if (field.kind === "list") values[p.key] = [...((values[p.key] as unknown[]) ?? []), ...read.positionals];
    else if (read.positionals.length > 1 || values[p.key] !== undefined) {
      throw new UsageError(
        `expected one ${p.label}, got ${read.positionals.length + (values[p.key] ? 1 : 0)}`,
      );
    } else values[p.key] = read.positionals[0];
  } else if (read.positionals.length > 0) {
    throw new UsageError(`unexpected argument "${read.positionals[0]}"; see --help`);
  }
  const flags: SettingsLayer = { source: "flags", values };
  const file = read.config === null ? null : await readSettingsFile(read.config);
  const options = (spec.options?.resolve([read.layers[1]!]) ?? {}) as O;
  return {
    flags,
    file,
    options,
    signal,
    args,
    setInterruptNote,
    settings: () => spec.settings.resolve(file ? [file, flags] : [flags]),
  };
}
