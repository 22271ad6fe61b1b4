// Progress for anything that takes more than a few seconds, on stderr so `--json` output on
// stdout stays machine-readable. On a terminal it is a cli-progress bar redrawn in place; on a
// pipe or a CI log it is a plain line (label, value/total, fields) at most every few seconds and
// a final one, so a long piped run still shows where it is without flooding the log.
//
// The line is rendered here, not by cli-progress's template: its template prints a placeholder
// with no value yet literally ("{reward}") and its ETA reads "INF" (shown as "NFs") until the
// value moves, both of which a run shows for its whole first step.
import readline from "node:readline";
import cliProgress from "cli-progress";

export type ProgressFields = Record<string, string | number>;

export interface Progress {
  /** Moves to `value` (out of the total) and merges `fields` into the shown ones. */
  update(value: number, fields?: ProgressFields): void;
  /**
   * Changes fields only (a phase name), keeping the value: a phase change is not progress.
   * `announce`: a milestone worth a plain line at once (say, a minutes-long evaluation starting),
   * whatever the interval; the bar shows every change anyway.
   */
  set(fields: ProgressFields, announce?: boolean): void;
  /** A line of its own (a finished seed's result) that must not garble the bar. */
  log(text: string): void;
  /** Draws the final state (the bar's last frame, or the final line). Idempotent. */
  stop(): void;
}

/** What the bar needs of a stream: cli-progress moves the cursor with readline on it. */
export type ProgressStream = NodeJS.WritableStream & { isTTY?: boolean; columns?: number };

export interface ProgressOptions {
  /** false: draw nothing at all (e.g. under --json). Default true. */
  enabled?: boolean;
  /** Template for the fields after the counter, e.g. "loss {loss} | {tps} tok/s"; a field with no value yet shows "-". */
  fields?: string;
  /** Default process.stderr. A bar when it is a TTY, plain lines otherwise. */
  stream?: ProgressStream;
  /** Milliseconds clock for the ETA and for spacing plain lines (tests inject one). Default performance.now. */
  now?: () => number;
  /** Plain-line mode: at most one line per this many milliseconds, besides the final one. Default 5000. */
  lineIntervalMs?: number;
}

const BAR_WIDTH = 30;
const NOTHING: Progress = { update: () => {}, set: () => {}, log: () => {}, stop: () => {} };

/** 7 → "7s", 185 → "3m05s", 7300 → "2h01m". */
export function formatSeconds(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

/** Replaces every {name} in `template` with its field, or "-" when it has none yet. */
export function fillFields(template: string, fields: ProgressFields): string {
  return template.replace(/\{(\w+)\}/g, (_m, key: string) => {
    const v = fields[key];
    return v === undefined || (typeof v === "number" && !Number.isFinite(v)) ? "-" : String(v);
  });
}

/** The state both renderings share: value, fields, and the ETA from the rate since the first update. */
class ProgressState {
  private current = 0;
  fields: ProgressFields = {};
  private readonly startTime: number;
  /**
   * The first update's value and time. The rate counts from there, not from the start: a run
   * spends minutes evaluating before step 1, and a resumed one begins at its checkpoint's step.
   */
  private base: { value: number; time: number } | null = null;

  constructor(
    readonly total: number,
    private readonly now: () => number,
  ) {
    this.startTime = now();
  }

  get value(): number {
    return this.current;
  }

  set value(v: number) {
    this.current = v;
    this.base ??= { value: v, time: this.now() };
  }

  elapsedSeconds(): number {
    return (this.now() - this.startTime) / 1000;
  }

  /** Seconds left at the rate so far, or null until the value has moved since the first update. */
  etaSeconds(): number | null {
    if (this.base === null) return null;
    const done = this.current - this.base.value;
    if (done <= 0) return null;
    const eta = ((this.total - this.current) * (this.now() - this.base.time)) / 1000 / done;
    return Number.isFinite(eta) ? Math.max(0, eta) : null;
  }

  counter(): string {
    const pct = this.total > 0 ? Math.floor((100 * Math.min(this.current, this.total)) / this.total) : 100;
    // A fraction of a total of 1 (eval's progress) reads better rounded than as 0.123456789.
    const value = Number.isInteger(this.current) ? String(this.current) : this.current.toFixed(2);
    return `${value}/${this.total} ${pct}%`;
  }

  timing(): string {
    const eta = this.etaSeconds();
    return `${formatSeconds(this.elapsedSeconds())} elapsed, ETA ${eta === null ? "-" : formatSeconds(eta)}`;
  }

  bar(): string {
    const filled =
      this.total > 0
        ? Math.round((BAR_WIDTH * Math.min(Math.max(this.current, 0), this.total)) / this.total)
        : BAR_WIDTH;
    return "\u2588".repeat(filled) + "\u2591".repeat(BAR_WIDTH - filled);
  }
}

export function progressBar(label: string, total: number, opts: ProgressOptions = {}): Progress {
  if (opts.enabled === false) return NOTHING;
  const stream = opts.stream ?? process.stderr;
  const state = new ProgressState(total, opts.now ?? (() => performance.now()));
  const fieldsText = (): string => (opts.fields ? ` | ${fillFields(opts.fields, state.fields)}` : "");
  return stream.isTTY === true
    ? terminalBar(label, state, stream, fieldsText)
    : plainLines(label, state, stream, fieldsText, opts.lineIntervalMs ?? 5000);
}

function terminalBar(label: string, state: ProgressState, stream: ProgressStream, fieldsText: () => string): Progress {
  const bar = new cliProgress.SingleBar({
    // A function format: cli-progress calls it for every frame, also on its own redraw timer.
    format: () => `${label} [${state.bar()}] ${state.counter()} | ${state.timing()}${fieldsText()}`,
    stream,
    hideCursor: true,
    clearOnComplete: false,
    // Redraw even when the text is unchanged: a line logged over the bar has just erased it.
    forceRedraw: true,
  });
  bar.start(state.total, 0);
  let stopped = false;
  // Drawn at once rather than on cli-progress's timer: a training step keeps the event loop
  // busy, so a timer-driven frame would arrive only after the next step had already begun.
  const draw = (): void => {
    bar.update(state.value);
    bar.render();
  };
  return {
    update(value, fields) {
      if (stopped) return;
      state.value = value;
      Object.assign(state.fields, fields ?? {});
      draw();
    },
    set(fields) {
      if (stopped) return;
      Object.assign(state.fields, fields);
      draw();
    },
    log(text) {
      if (stopped) {
        stream.write(`${text}\n`);
        return;
      }
      readline.cursorTo(stream, 0);
      readline.clearLine(stream, 0);
      stream.write(`${text}\n`);
      draw();
    },
    stop() {
      if (stopped) return;
      stopped = true;
      bar.stop();
    },
  };
}

function plainLines(
  label: string,
  state: ProgressState,
  stream: ProgressStream,
  fieldsText: () => string,
  intervalMs: number,
): Progress {
  // The first line comes one interval in: a command that ends sooner prints just the final one.
  let lastLine = state.elapsedSeconds() * 1000;
  let stopped = false;
  const line = (): void => {
    stream.write(`${label} ${state.counter()}${fieldsText()} | ${state.timing()}\n`);
    lastLine = state.elapsedSeconds() * 1000;
  };
  const maybeLine = (): void => {
    if (state.elapsedSeconds() * 1000 - lastLine >= intervalMs) line();
  };
  return {
    update(value, fields) {
      if (stopped) return;
      state.value = value;
      Object.assign(state.fields, fields ?? {});
      maybeLine();
    },
    set(fields, announce) {
      if (stopped) return;
      Object.assign(state.fields, fields);
      if (announce === true) line();
      else maybeLine();
    },
    log(text) {
      stream.write(`${text}\n`);
    },
    stop() {
      if (stopped) return;
      stopped = true;
      line();
    },
  };
}
