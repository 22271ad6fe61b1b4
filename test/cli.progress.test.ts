// Progress output as a person sees it: the bar on a terminal (a fake TTY stream that records what
// cli-progress writes, cursor moves included) and plain lines on a pipe, with an injected clock
// so nothing here depends on how fast the machine is.
import { Writable } from "node:stream";
import { describe, expect, test } from "vitest";
import { fillFields, formatSeconds, progressBar } from "../src/cli/progress.js";
import { RUN_FIELDS, runProgressHooks } from "../src/cli/run-progress.js";
import type { StepMetrics } from "../src/run/runner.js";

/** A stream that records every write; `isTTY` makes cli-progress treat it as a terminal. */
class FakeStream extends Writable {
  readonly chunks: string[] = [];
  constructor(
    readonly isTTY: boolean,
    readonly columns = 200,
  ) {
    super();
  }
  override _write(chunk: Buffer | string, _enc: BufferEncoding, done: () => void): void {
    this.chunks.push(String(chunk));
    done();
  }
  /** Everything written, escape sequences removed. */
  text(): string {
    // eslint-disable-next-line no-control-regex
    return this.chunks.join("").replace(/\x1b\[[0-9;?]*[A-Za-z]|\x1b[78]/g, "");
  }
  /** The frames cli-progress drew: each starts at column 0 (cursorTo writes ESC[1G). */
  frames(): string[] {
    return (
      this.chunks
        .join("")
        .split("\x1b[1G")
        .slice(1)
        // eslint-disable-next-line no-control-regex
        .map((f) => f.replace(/\x1b\[[0-9;?]*[A-Za-z]|\x1b[78]/g, "").trim())
        .filter((f) => f.length > 0)
    );
  }
}

/** A clock the test moves by hand. */
function manualClock(): { now: () => number; advance: (ms: number) => void } {
  let t = 1_000_000;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

function metrics(step: number, reward: number): StepMetrics {
  return {
    step,
    weight_version: step + 1,
    updated: true,
    reward_mean: reward,
    reward_std: 0.1,
    frac_reward_zero_std: 0,
    first_try_accuracy: 0.25,
    second_try_accuracy: 0.5,
    retry_accuracy: 0.4,
    judge_p_yes: 0.6,
    judge_agreement: 0.8,
    kl: 0,
    entropy: 1,
    loss: 0.5,
    grad_norm: 1,
    experiences: 8,
    tokens_per_second: 1234.4,
    gave_up: 0,
    seconds: 2,
  };
}

describe("the terminal bar", () => {
  test("placeholders are filled, the value advances through phase changes, and the ETA is a time", () => {
    const stream = new FakeStream(true);
    const clock = manualClock();
    const bar = progressBar("r3-countdown", 4, { stream, now: clock.now, fields: RUN_FIELDS });
    const run = runProgressHooks(bar);
    run.onPhase("evaluating (before)");
    clock.advance(30_000);
    run.onPhase("step 1/4: rollout");
    clock.advance(5_000);
    run.onPhase("step 1/4: learning");
    run.onStep(metrics(0, 0.5));
    run.onPhase("step 2/4: rollout");
    clock.advance(10_000);
    run.onPhase("step 2/4: learning");
    run.onStep(metrics(1, 0.75));
    run.onPhase("step 3/4: rollout");
    bar.stop();

    const frames = stream.frames();
    expect(frames.length).toBeGreaterThan(4);
    for (const f of frames) {
      // No raw template, no cli-progress "INF"/"NULL" ETA, no NaN anywhere.
      expect(f).not.toMatch(/[{}]/);
      expect(f).not.toMatch(/NaN|INF|NFs|NULL|undefined/);
    }
    // Before the first step: the phase shows and unknown figures are dashes.
    expect(frames).toContainEqual(
      expect.stringContaining(
        "0/4 0% | 0s elapsed, ETA - | evaluating (before) | reward - | first - | second - | - tok/s",
      ),
    );
    // A phase change after step 1 keeps 1/4 (it used to drop back to 0/4 on every phase).
    expect(frames).toContainEqual(
      expect.stringContaining(
        "1/4 25% | 35s elapsed, ETA - | step 2/4: rollout | reward 0.500 | first 0.250 | second 0.500 | 1234 tok/s",
      ),
    );
    // After step 2: one step in 10 s since step 1, two to go → 20 s.
    const last = frames.at(-1) as string;
    expect(last).toContain("2/4 50% | 45s elapsed, ETA 20s | step 3/4: rollout | reward 0.750");
    expect(last).toContain("r3-countdown [" + "\u2588".repeat(15) + "\u2591".repeat(15) + "]");
    // The value never goes backwards across frames.
    const values = frames.map((f) => Number(/ (\d+)\/4 /.exec(f)?.[1]));
    for (let i = 1; i < values.length; i++) expect(values[i]).toBeGreaterThanOrEqual(values[i - 1] as number);
    // stop() ends the bar's line, so what follows starts on a fresh one.
    expect(stream.text().endsWith("\n")).toBe(true);
  });

  test("a logged line lands above the bar, which is drawn again below it", () => {
    const stream = new FakeStream(true);
    const bar = progressBar("study x", 2, { stream, now: manualClock().now });
    bar.update(1);
    bar.log("seed 0: first try 0.100 → 0.200");
    bar.stop();
    const text = stream.text();
    expect(text).toContain("seed 0: first try 0.100 → 0.200\n");
    expect(text.lastIndexOf("1/2 50%")).toBeGreaterThan(text.indexOf("seed 0:"));
  });
});

describe("plain lines on a pipe", () => {
  test("at most one line per interval, an immediate one for a milestone, and a final line", () => {
    const stream = new FakeStream(false);
    const clock = manualClock();
    const bar = progressBar("pretrain countdown", 100, {
      stream,
      now: clock.now,
      lineIntervalMs: 5000,
      fields: "loss {loss} | {tps} tok/s",
    });
    for (let step = 1; step <= 48; step++) {
      clock.advance(1000);
      bar.update(step, { loss: (3 - step / 20).toFixed(3), tps: 900 });
    }
    bar.set({ phase: "ignored by the template" });
    bar.stop();
    const lines = stream.text().trimEnd().split("\n");
    // 48 s of one-second steps: a line at 5, 10, …, 45 s, then the final one.
    expect(lines).toHaveLength(10);
    expect(lines[0]).toBe("pretrain countdown 5/100 5% | loss 2.750 | 900 tok/s | 5s elapsed, ETA 1m35s");
    expect(lines.at(-1)).toBe("pretrain countdown 48/100 48% | loss 0.600 | 900 tok/s | 48s elapsed, ETA 52s");
    // No cursor control on a pipe.
    expect(stream.chunks.join("")).not.toContain("\x1b");
  });

  test("a run announces milestones at once but not each step phase", () => {
    const stream = new FakeStream(false);
    const clock = manualClock();
    const bar = progressBar("r3-countdown", 60, { stream, now: clock.now, lineIntervalMs: 5000, fields: RUN_FIELDS });
    const run = runProgressHooks(bar);
    run.onPhase("evaluating (before)");
    clock.advance(1000);
    run.onPhase("step 1/60: rollout");
    clock.advance(1000);
    run.onPhase("step 1/60: learning");
    run.onStep(metrics(0, 0.1));
    const lines = stream.text().trimEnd().split("\n");
    expect(lines).toEqual([
      "r3-countdown 0/60 0% | evaluating (before) | reward - | first - | second - | - tok/s | 0s elapsed, ETA -",
    ]);
  });

  test("a command faster than the interval prints only the final line; disabled prints nothing", () => {
    const stream = new FakeStream(false);
    const clock = manualClock();
    const bar = progressBar("eval", 1, { stream, now: clock.now });
    clock.advance(300);
    bar.update(0.5);
    bar.update(1);
    bar.stop();
    bar.stop();
    expect(stream.text()).toBe("eval 1/1 100% | 0s elapsed, ETA 0s\n");

    const quiet = new FakeStream(false);
    const off = progressBar("x", 3, { stream: quiet, enabled: false });
    off.update(1);
    off.log("hidden");
    off.stop();
    expect(quiet.chunks).toEqual([]);
  });
});

describe("a study's seeds on one bar", () => {
  test("each seed's steps follow the previous seed's, with the seed shown", () => {
    const stream = new FakeStream(false);
    const clock = manualClock();
    const bar = progressBar("study r3-countdown", 6, {
      stream,
      now: clock.now,
      lineIntervalMs: 1000,
      fields: `seed {seed} | ${RUN_FIELDS}`,
    });
    const seeds = [7, 8].map((seed, i) => runProgressHooks(bar, i * 3, { seed }));
    for (const [i, hooks] of seeds.entries()) {
      for (let step = 0; step < 3; step++) {
        clock.advance(1000);
        hooks.onStep(metrics(step, i));
      }
    }
    bar.stop();
    const lines = stream.text().trimEnd().split("\n");
    expect(lines[2]).toMatch(/^study r3-countdown 3\/6 50% \| seed 7 \| - \| reward 0\.000 /);
    expect(lines[3]).toMatch(/^study r3-countdown 4\/6 66% \| seed 8 \| - \| reward 1\.000 /);
    expect(lines.at(-1)).toMatch(/^study r3-countdown 6\/6 100% \| seed 8 .* 6s elapsed, ETA 0s$/);
  });
});

describe("formatting", () => {
  test("durations and fields", () => {
    expect([0, 7, 59.6, 185, 3600, 7300].map(formatSeconds)).toEqual(["0s", "7s", "1m00s", "3m05s", "1h00m", "2h01m"]);
    expect(fillFields("{a} | {b} | {c}", { a: "x", b: NaN })).toBe("x | - | -");
  });
});
