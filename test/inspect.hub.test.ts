// The inspector's model of a run, fed by a real ScenarioRun (a deterministic stand-in policy
// instead of a model, so it is fast): actor states and the states they passed through, edge
// counts and rates, metrics, completions, the event log and its deltas; and the page's commands
// really pause, single-step and resume the run.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { createActor, createMachine, type InspectionEvent } from "xstate";
import { loadScenario } from "../src/run/load.js";
import { ScenarioRun } from "../src/run/runner.js";
import type { Scenario } from "../src/run/scenario.js";
import { InspectorHub, type RunControl } from "../src/inspect/hub.js";
import { EventRing, payloadSummary, summarizeInspection, valueText } from "../src/inspect/events.js";
import { RateMeter } from "../src/inspect/rates.js";
import { RecordingUpdate, StandInPolicy, fixedProblems } from "./helpers/standin.js";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "selfimprove-hub-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const PROBLEMS = fixedProblems(16);
const EASY = new Set(PROBLEMS.filter((_, i) => i % 2 === 0).map((p) => p.id));

async function r3(): Promise<Scenario> {
  const { scenario } = await loadScenario("r3-countdown");
  return { ...scenario, settings: { ...scenario.settings, tasksPerStep: 4, groupSize: 2 } };
}

async function standInRun(scenario: Scenario, hub: InspectorHub, steps: number, name: string): Promise<ScenarioRun> {
  const run = await ScenarioRun.create(scenario, {
    out: path.join(tmp, name),
    steps,
    skipEval: true,
    inspect: hub.inspect,
    onStep: hub.step,
    onCompletions: hub.completionsOf,
    onPhase: hub.phaseOf,
    overrides: {
      policy: new StandInPolicy(PROBLEMS, EASY),
      update: new RecordingUpdate().fn,
      problems: (step, n) =>
        Array.from({ length: n }, (_, i) => PROBLEMS[(step * n + i) % PROBLEMS.length] as (typeof PROBLEMS)[number]),
    },
  });
  hub.attach(run);
  return run;
}

async function until(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe("a hub fed by a real run", () => {
  test("knows every actor's state and the states it passed through, edge counts, metrics, completions and events", async () => {
    const scenario = await r3();
    const hub = await InspectorHub.create(scenario, 2);
    const hello0 = hub.hello();
    expect(hello0.charts.map((c) => c.name)).toEqual(["run", ...scenario.actors]);
    expect(hello0.topology.edges.length).toBe(5);
    expect(hello0.topology.svg).toContain('id="edge:4"');
    expect(hello0.status.value).toBe("starting");

    const run = await standInRun(scenario, hub, 2, "full");
    expect(hub.status().value).toBe("ready"); // the run machine exists (and spoke) before run()
    await run.run();

    const actors = new Map(hub.actors().map((a) => [a.name, a]));
    expect(actors.get("run")).toMatchObject({ value: "finished", status: "done", active: ["run.finished"] });
    const student = actors.get("student");
    expect(student?.value).toBe("idle");
    // `emitting` is left in the same macrostep it is entered: only microsteps show it.
    expect(student?.visits["student.emitting"]).toBeGreaterThan(0);
    expect(student?.visits["student.generating"]).toBe(student?.visits["student.emitting"]);
    expect(actors.get("run")?.visits["run.running.learning"]).toBe(2);
    expect(actors.get("learner")?.visits["learner.updating"]).toBe(2);

    const edges = hub.edges();
    expect(edges.map((e) => e.count)).toEqual(run.edges.map((e) => e.count));
    expect(edges[0]?.count).toBe(8); // 4 tasks per step, 2 steps
    expect(edges.every((e) => e.count > 0)).toBe(true);

    const status = hub.status();
    expect(status).toMatchObject({ finished: true, step: 2, totalSteps: 2, paused: false });

    const tick = hub.tick();
    expect(tick.metrics.map((m) => [m.n, m.step])).toEqual([
      [1, 0],
      [2, 1],
    ]);
    expect(tick.completions?.length).toBeGreaterThan(0);
    expect(tick.completions?.every((c) => c.step === 1)).toBe(true);
    const request = tick.events.find((e) => e.kind === "event" && e.actor === "student" && e.name === "REQUEST");
    expect(request?.detail).toMatch(/^items: \d+ items?$/);
    expect(tick.events.some((e) => e.kind === "snapshot" && e.actor === "learner" && e.detail === "updating")).toBe(
      true,
    );
    // The next tick sends only what is new: nothing.
    const next = hub.tick();
    expect(next.events).toEqual([]);
    expect(next.metrics).toEqual([]);
    expect(next.completions).toBeUndefined();
    // A page connecting late gets the whole history.
    expect(hub.hello().metrics.length).toBe(2);
    expect(hub.command({ type: "pause" })).toMatchObject({ ok: false, message: "the run has finished" });
  });

  test("pause, single-step and resume from the page drive the real run", async () => {
    const scenario = await r3();
    const hub = await InspectorHub.create(scenario, 6);
    expect(hub.command({ type: "pause" })).toMatchObject({ ok: false, message: "the run is still starting" });
    const run = await standInRun(scenario, hub, 6, "control");
    const steps = (): number => hub.hello().metrics.length;
    expect(hub.command({ type: "step" })).toMatchObject({
      ok: false,
      message: "pause first: a single step runs from a paused run",
    });

    const done = run.run();
    await until(() => steps() >= 1, "a first step");
    const ack = hub.command({ type: "pause" });
    expect(ack.ok).toBe(true);
    await until(() => run.paused, "the pause");
    expect(hub.status()).toMatchObject({ paused: true, value: "paused" });
    const held = steps();
    await new Promise((r) => setTimeout(r, 150));
    expect(steps(), "no step runs while paused").toBe(held);

    expect(hub.command({ type: "step" })).toMatchObject({ ok: true, message: "running one step, then pausing" });
    await until(() => steps() === held + 1 && run.paused, "exactly one step, paused again");
    await new Promise((r) => setTimeout(r, 150));
    expect(steps()).toBe(held + 1);

    expect(hub.command({ type: "resume" })).toMatchObject({ ok: true });
    await done;
    expect(steps()).toBe(6);
    expect(hub.status().finished).toBe(true);
  });
});

describe("commands against a run control", () => {
  const control = (paused: boolean): RunControl & { calls: string[] } => {
    const calls: string[] = [];
    return {
      edges: [],
      paused,
      calls,
      pause: () => calls.push("pause"),
      resume: () => calls.push("resume"),
      stepOnce: () => calls.push("step"),
    };
  };
  test("map to pause / resume / stepOnce, and say what happens", async () => {
    const hub = await InspectorHub.create(await r3(), 3);
    const running = control(false);
    hub.attach(running);
    expect(hub.command({ type: "pause" })).toEqual({
      type: "ack",
      command: "pause",
      ok: true,
      message: "pausing when the current step ends",
    });
    expect(running.calls).toEqual(["pause"]);
    const paused = control(true);
    hub.attach(paused);
    expect(hub.command({ type: "pause" }).message).toBe("already paused");
    expect(hub.command({ type: "step" }).ok).toBe(true);
    expect(hub.command({ type: "resume" }).ok).toBe(true);
    expect(paused.calls).toEqual(["step", "resume"]);
    hub.finish("reward NaN from teacher");
    expect(hub.status()).toMatchObject({ finished: true, phase: "failed", error: "reward NaN from teacher" });
  });
});

describe("event log", () => {
  test("summaries stay short and never serialise whole payloads", () => {
    expect(payloadSummary({ type: "REQUEST", items: [1, 2, 3] })).toBe("items: 3 items");
    expect(payloadSummary({ type: "WEIGHTS", version: 3 })).toBe("version: 3");
    expect(payloadSummary({ type: "x", error: new Error("boom"), nested: { a: 1 } })).toBe("error: boom, nested: {…}");
    expect(payloadSummary({ type: "x", text: "y".repeat(500) }).length).toBeLessThanOrEqual(160);
    expect(valueText({ running: "rollout" })).toBe("running.rollout");
  });

  test("a real actor's inspection events become log lines with actor names", () => {
    const seen: InspectionEvent[] = [];
    const m = createMachine({ id: "m", initial: "a", states: { a: { on: { GO: "b" } }, b: {} } });
    const actor = createActor(m, { systemId: "toy", inspect: (e) => seen.push(e) });
    actor.start();
    actor.send({ type: "GO" });
    const lines = seen.map((e, i) => summarizeInspection(e, i + 1, 0));
    expect(lines.find((l) => l.kind === "event" && l.name === "GO")).toMatchObject({ actor: "toy" });
    expect(lines.filter((l) => l.kind === "snapshot").map((l) => l.detail)).toEqual(["a", "b"]);
    expect(lines[0]).toMatchObject({ kind: "actor", detail: "started" });
  });

  test("the ring keeps the newest, and `since` returns only what is new", () => {
    const ring = new EventRing(3);
    const e: InspectionEvent = {
      type: "@xstate.action",
      rootId: "r",
      actorRef: { id: "a" } as unknown as InspectionEvent["actorRef"],
      action: { type: "doIt", params: undefined },
    };
    for (let i = 0; i < 5; i++) ring.push(e, i);
    expect(ring.all().map((x) => x.seq)).toEqual([3, 4, 5]);
    expect(ring.dropped).toBe(2);
    expect(ring.since(3, 10).map((x) => x.seq)).toEqual([4, 5]);
    expect(ring.since(0, 2).map((x) => x.seq)).toEqual([4, 5]);
    expect(ring.since(5, 10)).toEqual([]);
  });
});

test("edge rates: growth over a sliding window, decaying to zero when idle", () => {
  const m = new RateMeter(5000);
  expect(m.sample(0, 0)).toBe(0);
  expect(m.sample(1000, 10)).toBeCloseTo(10);
  expect(m.sample(2000, 30)).toBeCloseTo(15);
  expect(m.sample(4000, 30)).toBeCloseTo(7.5); // 30 messages over the 4 s the window covers
  expect(m.sample(9500, 30)).toBe(0); // nothing new in the last 5 s
});
