/**
 * The project's one progress display, for pre-training steps and GLUE's fine-tuning and evaluation
 * alike: on a terminal a cli-progress bar on stderr redrawn in place, with lines printed above it;
 * elsewhere (a pipe, a log file, CI) one plain line every few units and at the end, so logs stay
 * short and greppable: `step 120/400 loss 6.912 lr 4.5e-4 1,234 tokens/s eta 3m12s`,
 * `RTE train 40/40 steps loss 0.6931 in 12s`.
 * @module
 */
import { logToStderr } from "./stdio.ts";
import process from "node:process";
import cliProgress from "cli-progress";
import { formatDuration } from "./duration.ts";

/** The writable a terminal bar draws on (node's `process.stderr` by default). */
export interface ProgressStream {
  /** Whether it is a terminal. */
  isTTY?: boolean;
  /** Its width in characters: cli-progress cuts the bar's line to it. */
  columns?: number;
  /** Writes text. */
  write(chunk: string): unknown;
}

/** Where and how progress is shown; passed down by code that runs long loops. */
export interface ProgressOptions {
  /** Draw a bar (default: whether stderr is a terminal). */
  tty?: boolean;
  /** Receives plain lines when not drawing a bar (default `console.error`). */
  log?: (line: string) => void;
  /** The clock in milliseconds (default `performance.now`), for tests. */
  now?: () => number;
  /** Where the bar is drawn (default node's `process.stderr`), for tests. */
  stream?: ProgressStream;
}

/** One loop's progress: what is counted, and how often a plain line is printed. */
export interface ProgressTask extends ProgressOptions {
  /** What runs, first on every line: `step`, `RTE train`. */
  label: string;
  /** Units in the whole loop. */
  total: number;
  /** Units done before this session (a resumed run); the ETA counts only units done here. */
  start?: number;
  /** The unit's name after the count (`steps`, `examples`), or none. */
  unit?: string;
  /** Plain-line cadence in units (default `max(1, floor(total / 10))`). */
  every?: number;
}

/** The part of cli-progress used here (the package ships no types). */
interface CliMultiBar {
  create(total: number, start: number, payload: Record<string, string>): CliBar;
  log(text: string): void;
  update(): void;
  stop(): void;
}
interface CliBar {
  update(value: number, payload: Record<string, string>): void;
}
type CliMultiBarConstructor = new (options: Record<string, unknown>) => CliMultiBar;

/**
 * Shows the progress of one loop.
 *
 * @example
 * ```ts
 * import { Progress } from "./progress.ts";
 *
 * const progress = new Progress({ label: "step", total: 400, every: 8 });
 * for (let step = 1; step <= 400; step++) {
 *   progress.update(step, `loss ${(7 - step / 100).toFixed(3)}`);
 *   if (step % 100 === 0) progress.message(`step ${step}: saved a checkpoint`);
 * }
 * progress.stop();
 * ```
 */
export class Progress {
  /** What runs. */
  readonly label: string;
  /** Units in the whole loop. */
  readonly total: number;
  /** Plain-line cadence in units. */
  readonly every: number;
  readonly #unit: string;
  readonly #log: (line: string) => void;
  readonly #now: () => number;
  readonly #bars: { multi: CliMultiBar; bar: CliBar } | null;
  /** Construction: the ETA's origin until there are two updates. */
  readonly #origin: { done: number; time: number };
  #firstUpdate: { done: number; time: number } | null = null;
  #done: number;
  #status = "";
  #lastPrinted: number;
  #stopped = false;

  /** Starts showing `task`. */
  constructor(task: ProgressTask) {
    const { total, start = 0 } = task;
    if (!(Number.isInteger(total) && total >= 0)) {
      throw new RangeError(`Cannot show progress: total must be an integer >= 0, got ${total}`);
    }
    if (!(Number.isInteger(start) && start >= 0 && start <= total)) {
      throw new RangeError(`Cannot show progress: start must be an integer in [0, ${total}], got ${start}`);
    }
    const every = task.every ?? Math.max(1, Math.floor(total / 10));
    if (!(Number.isInteger(every) && every >= 1)) {
      throw new RangeError(`Cannot show progress: every must be an integer >= 1, got ${every}`);
    }
    this.label = task.label;
    this.total = total;
    this.every = every;
    this.#unit = task.unit ? ` ${task.unit}` : "";
    this.#log = task.log ?? logToStderr;
    this.#now = task.now ?? (() => performance.now());
    this.#origin = { done: start, time: this.#now() };
    this.#done = start;
    this.#lastPrinted = start;
    const tty = task.tty ?? Deno.stderr.isTerminal();
    this.#bars = tty ? startBar(this.label, this.#unit, total, start, task.stream ?? process.stderr) : null;
  }

  /**
   * Reports `done` units with a status (the loss, a rate): redraws the bar, or prints a line when
   * `done` reaches the cadence or the total.
   */
  update(done: number, status = ""): void {
    if (this.#stopped) return;
    const time = this.#now();
    this.#firstUpdate ??= { done, time };
    this.#done = done;
    this.#status = status;
    if (this.#bars !== null) {
      this.#bars.bar.update(done, { status, left: this.#left(time) });
      return;
    }
    const due = Math.floor(done / this.every) > Math.floor(this.#lastPrinted / this.every);
    if (due || done >= this.total) this.#print(time);
  }

  /** Prints a line (an evaluation, a checkpoint) above the bar without breaking it. */
  message(line: string): void {
    if (this.#bars !== null && !this.#stopped) {
      this.#bars.multi.log(`${line}\n`);
      this.#bars.multi.update();
    } else {
      this.#log(line);
    }
  }

  /**
   * Ends the display; `summary` replaces the status. Draws the bar's final state, or prints the
   * last state when it was not printed yet (a loop interrupted between two lines, or a summary).
   * Safe to call twice.
   */
  stop(summary?: string): void {
    if (this.#stopped) return;
    if (summary !== undefined) this.#status = summary;
    const time = this.#now();
    if (this.#bars !== null) {
      this.#bars.bar.update(this.#done, { status: this.#status, left: this.#left(time) });
      this.#bars.multi.stop();
    } else if (this.#done !== this.#lastPrinted || summary !== undefined) this.#print(time);
    this.#stopped = true;
  }

  /** `eta 3m12s` at the rate since the first update of this session, or `in 12s` when done. */
  #left(time: number): string {
    if (this.#done >= this.total) return `in ${formatDuration((time - this.#origin.time) / 1000)}`;
    // Until a second update, the only rate there is counts from construction.
    const origin = this.#firstUpdate !== null && this.#firstUpdate.done < this.#done
      ? this.#firstUpdate
      : this.#origin;
    const done = this.#done - origin.done;
    const seconds = (time - origin.time) / 1000;
    if (done <= 0 || seconds <= 0) return "eta ?";
    return `eta ${formatDuration(((this.total - this.#done) * seconds) / done)}`;
  }

  #print(time: number): void {
    this.#lastPrinted = this.#done;
    const status = this.#status ? ` ${this.#status}` : "";
    this.#log(`${this.label} ${this.#done}/${this.total}${this.#unit}${status} ${this.#left(time)}`);
  }
}

function startBar(
  label: string,
  unit: string,
  total: number,
  start: number,
  stream: ProgressStream,
): { multi: CliMultiBar; bar: CliBar } {
  // A multi-bar with one bar: only it can print lines above itself (`log`).
  const MultiBar = (cliProgress as { MultiBar: CliMultiBarConstructor }).MultiBar;
  const multi = new MultiBar({
    stream,
    // Most important first: cli-progress cuts the line at the terminal's width.
    format: `${
      label.replaceAll("{", "(").replaceAll("}", ")")
    } {value}/{total}${unit} [{bar}] {status} | {left}`,
    barsize: 20,
    // No terminal modes (hidden cursor, no wrapping): a crash before stop() would leave them set.
    // cli-progress still cuts the line to the terminal's width.
    hideCursor: false,
    linewrap: true,
    // Loops own SIGINT (pre-training saves a checkpoint) and call stop() themselves.
    gracefulExit: false,
    clearOnComplete: false,
  });
  const bar = multi.create(total, start, { status: "", left: "eta ?" });
  return { multi, bar };
}
