/**
 * A progress bar for long loops: on a terminal one line redrawn in place with `\r` (bar, count,
 * rate, ETA and a status such as the loss), at most 10 times a second; elsewhere (a pipe, a log
 * file, CI) plain lines at every tenth of the work, so logs stay short and readable.
 *
 * @example
 * ```ts
 * import { Progress } from "./progress.ts";
 *
 * const bar = new Progress("SST-2 train", 200, { unit: "steps" });
 * for (let i = 1; i <= 200; i++) bar.update(i, `loss ${(1 / i).toFixed(3)}`);
 * bar.finish("done");
 * ```
 * @module
 */

/** Where and how a {@linkcode Progress} draws. */
export interface ProgressOptions {
  /** What is counted ("steps", "examples"). */
  unit?: string;
  /** Redraw in place (a terminal); default: whether stderr is a terminal. */
  tty?: boolean;
  /** Receives the text (default: stderr, synchronously). */
  write?: (text: string) => void;
  /** The clock, in milliseconds (for tests). */
  now?: () => number;
  /** Width of the bar in characters. */
  width?: number;
  /** Lines drawn in place are cut to this many characters (default: the terminal's width). */
  columns?: number;
}

const encoder = new TextEncoder();

function writeStderr(text: string): void {
  const bytes = encoder.encode(text);
  for (let off = 0; off < bytes.length;) off += Deno.stderr.writeSync(bytes.subarray(off));
}

/** One bar for `total` units of work. */
export class Progress {
  readonly label: string;
  readonly total: number;
  readonly #unit: string;
  readonly #tty: boolean;
  readonly #write: (text: string) => void;
  readonly #now: () => number;
  readonly #width: number;
  readonly #columns: number;
  readonly #start: number;
  #lastDraw = -Infinity;
  #lastTenth = 0;
  #done = 0;
  #status = "";
  #finished = false;

  constructor(label: string, total: number, options: ProgressOptions = {}) {
    this.label = label;
    this.total = Math.max(0, total);
    this.#unit = options.unit ?? "steps";
    this.#tty = options.tty ?? Deno.stderr.isTerminal();
    this.#write = options.write ?? writeStderr;
    this.#now = options.now ?? (() => performance.now());
    this.#width = options.width ?? 24;
    this.#columns = options.columns ?? consoleColumns();
    this.#start = this.#now();
  }

  /** Records that `done` units are complete, with an optional status (e.g. the running loss). */
  update(done: number, status?: string): void {
    this.#done = Math.min(done, this.total);
    if (status !== undefined) this.#status = status;
    const now = this.#now();
    if (this.#tty) {
      if (now - this.#lastDraw < 100 && this.#done < this.total) return;
      this.#lastDraw = now;
      this.#write(`\r${this.#fit(this.line(now))}\x1b[K`);
      return;
    }
    const tenth = this.total === 0 ? 10 : Math.floor((10 * this.#done) / this.total);
    if (tenth > this.#lastTenth && this.#done < this.total) {
      this.#lastTenth = tenth;
      this.#write(`${this.line(now)}\n`);
    }
  }

  /** Ends the bar with a final line (the summary replaces the status). */
  finish(summary?: string): void {
    if (this.#finished) return;
    this.#finished = true;
    if (summary !== undefined) this.#status = summary;
    const line = this.line(this.#now(), true);
    this.#write(this.#tty ? `\r${this.#fit(line)}\x1b[K\n` : `${line}\n`);
  }

  // Cut to the terminal's width, so that `\r` redraws one line, not the wrapped tail of one.
  #fit(line: string): string {
    return line.length < this.#columns ? line : line.slice(0, Math.max(1, this.#columns - 1));
  }

  /** The text of the bar at time `now`. */
  line(now: number, final = false): string {
    const seconds = (now - this.#start) / 1000;
    const fraction = this.total === 0 ? 1 : this.#done / this.total;
    const parts = [this.label];
    if (this.#tty) {
      const filled = Math.round(fraction * this.#width);
      parts.push(`[${"#".repeat(filled)}${".".repeat(this.#width - filled)}]`);
    }
    parts.push(`${this.#done}/${this.total} ${this.#unit}`);
    const rate = seconds > 0 ? this.#done / seconds : 0;
    if (final) parts.push(`in ${formatDuration(seconds)}`);
    else {
      if (rate > 0) parts.push(`${rate >= 10 ? rate.toFixed(0) : rate.toFixed(1)} ${this.#unit}/s`);
      if (rate > 0 && this.#done < this.total) {
        parts.push(`ETA ${formatDuration((this.total - this.#done) / rate)}`);
      }
    }
    if (this.#status) parts.push(this.#status);
    return parts.join("  ");
  }
}

function consoleColumns(): number {
  try {
    return Deno.consoleSize().columns;
  } catch {
    return Infinity; // not a terminal
  }
}

/**
 * `m:ss`, or `h:mm:ss` from an hour.
 *
 * @example
 * ```ts
 * import { formatDuration } from "./progress.ts";
 * formatDuration(75.4); // "1:15"
 * ```
 */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
  const mm = h > 0 ? String(m).padStart(2, "0") : String(m);
  return `${h > 0 ? `${h}:` : ""}${mm}:${String(r).padStart(2, "0")}`;
}
