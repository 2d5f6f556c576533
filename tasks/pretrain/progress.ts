/**
 * Training progress: on a terminal a cli-progress bar on stderr (steps, loss, tokens/s, learning
 * rate, ETA) redrawn in place; elsewhere (a pipe, a log file, CI) one plain line every few steps
 * and at the last step, so logs stay short and greppable:
 * `step 120/400 loss 6.912 lr 4.5e-4 1,234 tokens/s eta 3m12s`.
 * @module
 */
import process from "node:process";
import cliProgress from "cli-progress";

/** What a step reports. */
export interface ProgressState {
  /** Optimizer steps done (1 after the first step). */
  step: number;
  /** Training loss of this step. */
  loss: number;
  tokensPerS: number;
  lr: number;
  /** The latest validation loss, when there has been an evaluation; shown with every line. */
  valLoss?: number;
}

/** The writable a terminal bar draws on (node's `process.stderr` by default). */
export interface ProgressStream {
  isTTY?: boolean;
  columns?: number;
  write(chunk: string): unknown;
}

/** Where and how progress is shown. */
export interface ProgressOptions {
  /** Steps in the whole run. */
  total: number;
  /** The step a resumed run starts from (default 0); the ETA counts only steps done here. */
  startStep?: number;
  /** Draw a bar (default: whether stderr is a terminal). */
  tty?: boolean;
  /** Receives plain lines when not drawing a bar (default `console.error`). */
  log?: (line: string) => void;
  /** Plain-line cadence in steps (default `max(1, floor(total / 50))`). */
  every?: number;
  /** The clock in milliseconds (default `performance.now`), for tests. */
  now?: () => number;
  /** Where the bar is drawn (default node's `process.stderr`), for tests. */
  stream?: ProgressStream;
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
 * Shows the progress of a training run.
 *
 * @example
 * ```ts
 * import { Progress } from "./progress.ts";
 *
 * const progress = new Progress({ total: 400 });
 * for (let step = 1; step <= 400; step++) {
 *   progress.update({ step, loss: 7 - step / 100, tokensPerS: 1234, lr: 1e-4 });
 *   if (step % 100 === 0) progress.message(`step ${step}: saved a checkpoint`);
 * }
 * progress.stop();
 * ```
 */
export class Progress {
  readonly total: number;
  readonly every: number;
  readonly #log: (line: string) => void;
  readonly #now: () => number;
  readonly #bars: { multi: CliMultiBar; bar: CliBar } | null;
  /** Construction: the ETA's origin until there are two updates. */
  readonly #origin: { step: number; time: number };
  #firstUpdate: { step: number; time: number } | null = null;
  #last: ProgressState | null = null;
  #lastPrinted: number;
  #stopped = false;

  constructor(options: ProgressOptions) {
    const { total, startStep = 0 } = options;
    if (!(Number.isInteger(total) && total >= 0)) {
      throw new RangeError(`Progress: total must be an integer >= 0, got ${total}`);
    }
    if (!(Number.isInteger(startStep) && startStep >= 0 && startStep <= total)) {
      throw new RangeError(`Progress: startStep must be an integer in [0, ${total}], got ${startStep}`);
    }
    const every = options.every ?? Math.max(1, Math.floor(total / 50));
    if (!(Number.isInteger(every) && every >= 1)) {
      throw new RangeError(`Progress: every must be an integer >= 1, got ${every}`);
    }
    this.total = total;
    this.every = every;
    this.#log = options.log ?? ((line) => console.error(line));
    this.#now = options.now ?? (() => performance.now());
    this.#origin = { step: startStep, time: this.#now() };
    this.#lastPrinted = startStep;
    const tty = options.tty ?? Deno.stderr.isTerminal();
    this.#bars = tty ? startBar(total, startStep, options.stream ?? process.stderr) : null;
  }

  /** Reports a finished step: redraws the bar, or prints a line when the step is on the cadence or the last. */
  update(state: ProgressState): void {
    if (this.#stopped) return;
    const time = this.#now();
    this.#firstUpdate ??= { step: state.step, time };
    this.#last = state;
    const eta = this.#eta(state.step, time);
    if (this.#bars !== null) {
      this.#bars.bar.update(state.step, barPayload(state, eta));
      return;
    }
    const due = Math.floor(state.step / this.every) > Math.floor(this.#lastPrinted / this.every);
    if (due || state.step >= this.total) this.#print(state, eta);
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
   * Ends the display: draws the bar's final state, or prints the last step when it was not printed
   * (a run interrupted between two lines). Safe to call twice.
   */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    if (this.#bars !== null) this.#bars.multi.stop();
    else if (this.#last !== null && this.#last.step !== this.#lastPrinted) {
      this.#print(this.#last, this.#eta(this.#last.step, this.#now()));
    }
  }

  /** Seconds left at the rate since the first step of this session (it excludes compilation). */
  #eta(step: number, time: number): number | null {
    if (step >= this.total) return 0;
    // Until a second step, the only rate there is counts from construction (compilation included).
    const origin = this.#firstUpdate !== null && this.#firstUpdate.step < step
      ? this.#firstUpdate
      : this.#origin;
    const done = step - origin.step;
    const seconds = (time - origin.time) / 1000;
    if (done <= 0 || seconds <= 0) return null;
    return ((this.total - step) * seconds) / done;
  }

  #print(state: ProgressState, eta: number | null): void {
    this.#lastPrinted = state.step;
    this.#log(formatProgressLine(state, this.total, eta));
  }
}

/**
 * The plain line for a step.
 *
 * @example
 * ```ts
 * import { formatProgressLine } from "./progress.ts";
 * formatProgressLine({ step: 120, loss: 6.9123, lr: 4.5e-4, tokensPerS: 1234.4 }, 400, 192);
 * // "step 120/400 loss 6.912 lr 4.5e-4 1,234 tokens/s eta 3m12s"
 * ```
 */
export function formatProgressLine(state: ProgressState, total: number, etaSeconds: number | null): string {
  const val = state.valLoss === undefined ? "" : ` val_loss ${state.valLoss.toFixed(3)}`;
  return `step ${state.step}/${total} loss ${state.loss.toFixed(3)}${val} lr ${formatLr(state.lr)} ` +
    `${formatRate(state.tokensPerS)} tokens/s eta ${etaSeconds === null ? "?" : formatDuration(etaSeconds)}`;
}

/**
 * A duration for people: `45s`, `3m12s`, `1h02m`.
 *
 * @example
 * ```ts
 * import { formatDuration } from "./progress.ts";
 * formatDuration(192); // "3m12s"
 * ```
 */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return "?";
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  const minutes = Math.round(s / 60);
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, "0")}m`;
}

function formatLr(lr: number): string {
  return lr === 0 ? "0" : lr.toExponential(1);
}

function formatRate(tokensPerS: number): string {
  return Number.isFinite(tokensPerS) ? Math.round(tokensPerS).toLocaleString("en-US") : "?";
}

function barPayload(state: ProgressState, eta: number | null): Record<string, string> {
  return {
    loss: state.loss.toFixed(3),
    val: state.valLoss === undefined ? "" : ` val ${state.valLoss.toFixed(3)}`,
    lr: formatLr(state.lr),
    rate: formatRate(state.tokensPerS),
    left: eta === null ? "?" : formatDuration(eta),
  };
}

function startBar(total: number, start: number, stream: ProgressStream): { multi: CliMultiBar; bar: CliBar } {
  // A multi-bar with one bar: only it can print lines above itself (`log`).
  const MultiBar = (cliProgress as { MultiBar: CliMultiBarConstructor }).MultiBar;
  const multi = new MultiBar({
    stream,
    // Most important first: cli-progress cuts the line at the terminal's width.
    format: "step {value}/{total} [{bar}] loss {loss}{val} | {rate} tokens/s | eta {left} | lr {lr}",
    barsize: 20,
    // No terminal modes (hidden cursor, no wrapping): a crash before stop() would leave them set.
    // cli-progress still cuts the line to the terminal's width.
    hideCursor: false,
    linewrap: true,
    // The training loop owns SIGINT (it saves a checkpoint) and calls stop() itself.
    gracefulExit: false,
    clearOnComplete: false,
  });
  const bar = multi.create(total, start, { loss: "?", val: "", lr: "?", rate: "?", left: "?" });
  return { multi, bar };
}
