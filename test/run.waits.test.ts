// The step loop waits on its actors, not on a clock. While a step's rollout runs, while the
// Learner updates and while the run is paused, nothing in the project schedules a timer
// (setTimeout, setImmediate, setInterval): the loop is told, by the actors' snapshots, the ports
// and the run machine, when to go on. A polling loop ("is everyone idle yet?", "still paused?")
// schedules one timer per look, so its count grows with the length of the wait. The one timer the
// loop does schedule is a single turn of the event loop at each phase boundary of a step (before
// it, after its rollout, after its update: waits.ts, nextTurn), so that Ctrl-C and the inspector
// are heard during a run that never leaves the microtask queue: a fixed number per step, however
// long anything takes.
// A deterministic stand-in policy and update (no model, no worker threads) keep every timer in
// the process attributable; the test's own are not counted.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, expect, test, vi } from "vitest";
import { loadScenario } from "../src/run/load.js";
import { ScenarioRun, type StepMetrics } from "../src/run/runner.js";
import type { Scenario } from "../src/run/scenario.js";
import type { CountdownProblem } from "../src/tasks/countdown/generate.js";
import type { ExperienceMessage } from "../src/messages.js";
import type { UpdateStats } from "../machines/learner.js";
import { RecordingUpdate, StandInPolicy, fixedProblems } from "./helpers/standin.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const PROJECT_CODE = ["src", "actors", "machines", "scenarios"].map((d) => path.join(ROOT, d) + path.sep);
const TASKS = 4;
const PROBLEMS = fixedProblems(TASKS * 3);
const EASY = new Set(PROBLEMS.filter((_, i) => i % 2 === 0).map((p) => p.id));
const problemsFor = (step: number, n: number): CountdownProblem[] =>
  Array.from({ length: n }, (_, i) => PROBLEMS[(step * n + i) % PROBLEMS.length] as CountdownProblem);

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "selfimprove-waits-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

type TimerKind = "setTimeout" | "setImmediate" | "setInterval";

/**
 * Counts the timers scheduled by project code: those whose caller (the first frame outside this
 * spy and the spying library) is a file under src/, actors/, machines/ or scenarios/.
 */
function watchTimers(): { counts: () => Record<TimerKind, number>; seen: () => string[] } {
  const seen: Array<{ kind: TimerKind; frame: string }> = [];
  for (const kind of ["setTimeout", "setImmediate", "setInterval"] as const) {
    const original = globalThis[kind] as (...args: unknown[]) => unknown;
    vi.spyOn(globalThis, kind).mockImplementation(function spiedTimer(...args: unknown[]) {
      const frames = (new Error().stack ?? "").split("\n").slice(1);
      const caller = frames.find((l) => !l.includes("spiedTimer") && !l.includes("node_modules"));
      if (caller && PROJECT_CODE.some((d) => caller.includes(d))) seen.push({ kind, frame: caller.trim() });
      return original(...args);
    } as never);
  }
  return {
    counts: () =>
      ({
        setTimeout: 0,
        setImmediate: 0,
        setInterval: 0,
        ...Object.fromEntries(
          ["setTimeout", "setImmediate", "setInterval"].map((k) => [k, seen.filter((s) => s.kind === k).length]),
        ),
      }) as Record<TimerKind, number>,
    seen: () => seen.map((s) => `${s.kind} ${s.frame}`),
  };
}

/**
 * What a run that never polls schedules: one turn of the event loop before each step it begins
 * and two more in each step it finishes (after the rollout, after the update), nothing else.
 */
const phaseTurns = (begun: number, done = begun): Record<TimerKind, number> => ({
  setTimeout: 0,
  setImmediate: begun + 2 * done,
  setInterval: 0,
});

/** Lets the event loop go round (the test's own timers, not counted). */
async function turns(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise<void>((r) => setImmediate(r));
}

async function turnsUntil(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 10_000 && !cond(); i++) await turns(1);
  if (!cond()) throw new Error(`never happened: ${what}`);
}

/** The stand-in, answering (and judging) only after a few turns of the event loop, as a model would. */
class SlowPolicy extends StandInPolicy {
  override async complete(
    prompts: readonly string[],
    opts: Parameters<StandInPolicy["complete"]>[1],
  ): ReturnType<StandInPolicy["complete"]> {
    await turns(3);
    return super.complete(prompts, opts);
  }

  override async logProb(pairs: Parameters<StandInPolicy["logProb"]>[0]): ReturnType<StandInPolicy["logProb"]> {
    await turns(3);
    return super.logProb(pairs);
  }
}

/** The stand-in, holding its first generation call until the test lets it go. */
class HeldPolicy extends StandInPolicy {
  release: (() => void) | undefined;
  private holding = true;

  override async complete(
    prompts: readonly string[],
    opts: Parameters<StandInPolicy["complete"]>[1],
  ): ReturnType<StandInPolicy["complete"]> {
    if (this.holding) {
      this.holding = false;
      await new Promise<void>((r) => (this.release = r));
    }
    return super.complete(prompts, opts);
  }
}

/** The recording update, holding its first batch until the test lets it go. */
class HeldUpdate extends RecordingUpdate {
  release: (() => void) | undefined;

  readonly held = async (batch: ExperienceMessage[]): Promise<UpdateStats> => {
    if (this.batches.length === 0) await new Promise<void>((r) => (this.release = r));
    return this.fn(batch);
  };
}

async function standInRun(
  name: string,
  scenarioName: string,
  steps: number,
  opts: {
    onStep?: (m: StepMetrics) => void;
    policy?: StandInPolicy;
    update?: (b: ExperienceMessage[]) => Promise<UpdateStats>;
  } = {},
): Promise<{ run: ScenarioRun }> {
  const { scenario } = await loadScenario(scenarioName);
  const sc: Scenario = { ...scenario, settings: { ...scenario.settings, tasksPerStep: TASKS, groupSize: 2 } };
  const run = await ScenarioRun.create(sc, {
    out: path.join(tmp, name),
    steps,
    skipEval: true,
    ...(opts.onStep ? { onStep: opts.onStep } : {}),
    overrides: {
      policy: opts.policy ?? new StandInPolicy(PROBLEMS, EASY),
      update: opts.update ?? new RecordingUpdate().fn,
      problems: problemsFor,
    },
  });
  return { run };
}

test.each(["r3-countdown", "rlc-countdown"])(
  "%s: whole steps (rollout through every stage, learning, logs) schedule a fixed number of event-loop turns and no other timer",
  async (name) => {
    const update = new RecordingUpdate();
    const { run } = await standInRun(`steps-${name}`, name, 2, {
      policy: new SlowPolicy(PROBLEMS, EASY),
      update: async (batch) => {
        await turns(3);
        return update.fn(batch);
      },
    });
    const timers = watchTimers();
    const summary = await run.run();
    expect(summary.completedSteps).toBe(2);
    // The steps really ran: each one's experiences reached the Learner after the rollout ended.
    expect(update.batches).toHaveLength(2);
    expect(update.batches.every((b) => b.length > 0)).toBe(true);
    expect(timers.counts(), timers.seen().join("\n")).toEqual(phaseTurns(2));
  },
);

test("a long rollout and a long update are waited for without a single timer", async () => {
  const policy = new HeldPolicy(PROBLEMS, EASY);
  const update = new HeldUpdate();
  const { run } = await standInRun("held", "grpo-countdown", 1, { policy, update: update.held });
  const timers = watchTimers();
  const finished = run.run();

  // The rollout: the Student's first call is held while the event loop goes round many times.
  await turnsUntil(() => policy.release !== undefined, "the first generation call");
  const atRollout = timers.counts();
  await turns(50);
  expect(timers.counts(), timers.seen().join("\n")).toEqual(atRollout);
  expect(update.batches, "the Learner waits for the rollout").toEqual([]);
  policy.release?.();

  // The update: held the same way; the step does not end under it.
  await turnsUntil(() => update.release !== undefined, "the Learner's update");
  const atUpdate = timers.counts();
  await turns(50);
  expect(timers.counts(), timers.seen().join("\n")).toEqual(atUpdate);
  update.release?.();

  const summary = await finished;
  expect(summary.completedSteps).toBe(1);
  expect(update.batches).toHaveLength(1);
  expect(timers.counts(), timers.seen().join("\n")).toEqual(phaseTurns(1));
});

test("a paused run waits for resume or step, not for a clock", async () => {
  const done: number[] = [];
  let stepped: () => void = () => {};
  const { run } = await standInRun("paused", "grpo-countdown", 3, {
    onStep: (m) => {
      done.push(m.step);
      stepped();
    },
  });
  run.pause();
  expect(run.paused).toBe(true);
  const timers = watchTimers();
  const finished = run.run();
  await turns(50);
  expect(done, "no step runs while paused").toEqual([]);
  expect(timers.counts(), timers.seen().join("\n")).toEqual(phaseTurns(1, 0));

  // A single step: exactly one, then paused again, and still nothing ticking.
  const one = new Promise<void>((r) => (stepped = r));
  run.stepOnce();
  await one;
  await turns(50);
  expect(done).toEqual([0]);
  expect(run.paused).toBe(true);
  expect(timers.counts(), timers.seen().join("\n")).toEqual(phaseTurns(2, 1));

  run.resume();
  const summary = await finished;
  expect(summary).toMatchObject({ completedSteps: 3, stopped: false });
  expect(done).toEqual([0, 1, 2]);
  expect(timers.counts(), timers.seen().join("\n")).toEqual(phaseTurns(3));
});

test("stop() ends a paused run at once, without a step", async () => {
  const done: number[] = [];
  const { run } = await standInRun("paused-stop", "grpo-countdown", 3, { onStep: (m) => done.push(m.step) });
  run.pause();
  const timers = watchTimers();
  const finished = run.run();
  await turns(5);
  run.stop();
  const summary = await finished;
  expect(summary).toMatchObject({ completedSteps: 0, stopped: true });
  expect(done).toEqual([]);
  expect(timers.counts(), timers.seen().join("\n")).toEqual(phaseTurns(1, 0));
});
