// A scenario's own actor (defineActor) beside the five roles: the shipped example
// r3-length-penalty-countdown puts a reward shaper between the Verifier and the Learner. Run for
// two steps with the deterministic stand-in policy, the Learner must get exactly the shaped
// rewards; the actor is waited for, counted, drawn by viz and by the inspector like the roles; a
// work that throws is retried and given up like a role's; a wiring that uses an actor the
// scenario does not list is refused when the file is loaded.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { loadScenario } from "../src/run/load.js";
import { ScenarioRun, type StepMetrics } from "../src/run/runner.js";
import { ScenarioError, parseScenario, type Scenario } from "../src/run/scenario.js";
import { recordTopology } from "../src/run/record-topology.js";
import { defineActor } from "../src/run/define-actor.js";
import { topologyOf } from "../src/viz/topology.js";
import { topologyToDot } from "../src/viz/dot.js";
import { topologyToMermaid } from "../src/viz/mermaid.js";
import { InspectorHub } from "../src/inspect/hub.js";
import type { ExperienceMessage } from "../src/messages.js";
import { lengthPenalised } from "../scenarios/r3-length-penalty-countdown.js";
import { RecordingUpdate, StandInPolicy, fixedProblems } from "./helpers/standin.js";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "selfimprove-custom-actor-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const PROBLEMS = fixedProblems(8);
const EASY = new Set(PROBLEMS.filter((_, i) => i % 2 === 0).map((p) => p.id));
const problems = (step: number, n: number): typeof PROBLEMS =>
  Array.from({ length: n }, (_, i) => PROBLEMS[(step * n + i) % PROBLEMS.length] as (typeof PROBLEMS)[number]);

async function example(): Promise<Scenario> {
  const { scenario } = await loadScenario("r3-length-penalty-countdown");
  return { ...scenario, settings: { ...scenario.settings, tasksPerStep: 4, groupSize: 2 } };
}

async function runStandIn(scenario: Scenario, name: string, extra: { hub?: InspectorHub } = {}) {
  const update = new RecordingUpdate();
  const metrics: StepMetrics[] = [];
  const run = await ScenarioRun.create(scenario, {
    out: path.join(tmp, name),
    steps: 2,
    skipEval: true,
    onStep: (m) => metrics.push(m),
    ...(extra.hub ? { inspect: extra.hub.inspect } : {}),
    overrides: { policy: new StandInPolicy(PROBLEMS, EASY), update: update.fn, problems },
  });
  extra.hub?.attach(run);
  await run.run();
  return { run, update, metrics };
}

const trained = (e: ExperienceMessage): number =>
  e.segments.filter((s) => s.train).reduce((n, s) => n + s.tokens.length, 0);
const retryRight = (e: ExperienceMessage): boolean => e.source.completion.role === "retry" && e.reward > 0;

describe("r3-length-penalty-countdown: a reward shaper of the scenario's own", () => {
  test("the Learner gets the shaped rewards: a fixed reflection's reward is cut by its length, a failed one stays 0", async () => {
    const scenario = await example();
    expect(scenario.actors).toEqual(["student", "verifier", "reflector", "learner"]);
    expect(scenario.custom?.map((a) => a.name)).toEqual(["length-penalty"]);
    const hub = await InspectorHub.create(scenario, 2);
    const { run, update, metrics } = await runStandIn(scenario, "shaped", { hub });
    const all = update.batches.flat();
    // Two steps × 2 hard problems × groupSize 2 reflections; the stand-in fixes every other one.
    expect(all).toHaveLength(8);
    const fixed = all.filter(retryRight);
    expect(fixed).toHaveLength(4);
    for (const e of all) {
      const verdictReward = e.reward > 0 ? 1 : 0;
      expect(e.reward).toBeCloseTo(lengthPenalised(verdictReward, trained(e)), 12);
    }
    // The effect is visible: every fixed reflection is longer than the free tokens, so its reward is below 1.
    for (const e of fixed) {
      expect(trained(e)).toBeGreaterThan(4);
      expect(e.reward).toBeLessThan(1);
      expect(e.reward).toBeGreaterThanOrEqual(0.5);
    }
    // The shaper's messages answer the verifier's: new ids, parent set (the trace convention).
    for (const e of all) expect(e.trace.parentId).toBeDefined();
    expect(metrics.map((m) => m.experiences)).toEqual([4, 4]);
    expect(metrics.every((m) => m.gave_up === 0)).toBe(true);
    // Its edges are live and counted like the roles'.
    const edges = run.edges.map((e) => ({ from: e.from, to: e.to, count: e.count }));
    expect(edges).toContainEqual({ from: "verifier.out", to: "length-penalty.in", count: 8 });
    expect(edges).toContainEqual({ from: "length-penalty.out", to: "learner.in", count: 8 });
    // The inspector drew its statechart and saw it work.
    expect(hub.hello().charts.map((c) => c.name)).toEqual([
      "run",
      "student",
      "verifier",
      "reflector",
      "learner",
      "length-penalty",
    ]);
    const view = hub.actors().find((a) => a.name === "length-penalty");
    expect(view?.visits["length-penalty.shaping"]).toBe(2);
  });

  test("viz draws it as an actor node with its edges", async () => {
    const scenario = await example();
    const topo = topologyOf(scenario);
    expect(topo.nodes).toContainEqual({ id: "length-penalty", kind: "actor" });
    expect(topo.edges.map((e) => `${e.from}->${e.to}`)).toEqual(
      expect.arrayContaining(["verifier->length-penalty", "length-penalty->learner"]),
    );
    expect(topologyToDot(topo)).toContain('"length-penalty"');
    expect(topologyToMermaid(topo)).toContain('("length-penalty")');
  });

  test("a work that throws is retried, then given up and counted; the run goes on", async () => {
    const base = await example();
    let calls = 0;
    const broken = defineActor<ExperienceMessage, ExperienceMessage>({
      name: "length-penalty",
      work: () => {
        calls += 1;
        throw new Error("service unavailable");
      },
    });
    const scenario: Scenario = { ...base, custom: [broken], settings: { ...base.settings, maxRetries: 0 } };
    const { update, metrics } = await runStandIn(scenario, "broken");
    expect(update.batches.flat()).toHaveLength(0);
    expect(metrics.map((m) => m.gave_up)).toEqual([4, 4]);
    expect(calls).toBe(2);
  });

  test("an output that is not a message fails the batch with the actor's name", async () => {
    const base = await example();
    const bad = defineActor<ExperienceMessage, ExperienceMessage>({
      name: "length-penalty",
      work: (e) => ({ ...e, trace: undefined }) as unknown as ExperienceMessage,
    });
    const scenario: Scenario = { ...base, custom: [bad], settings: { ...base.settings, maxRetries: 0 } };
    const { metrics } = await runStandIn(scenario, "bad-output");
    expect(metrics.map((m) => m.gave_up)).toEqual([4, 4]);
  });

  test("a wiring that uses an actor the scenario does not list is refused, naming it", async () => {
    const base = await example();
    const stray = defineActor({ name: "critic", work: (x: unknown) => x });
    // The example's own shaper is listed; the stray critic is not.
    const scenario: Scenario = { ...base, wire: (w) => w.edge(w.actor(stray).out, w.learner.in) };
    expect(() => recordTopology(scenario, "stray.ts")).toThrow(ScenarioError);
    expect(() => recordTopology(scenario, "stray.ts")).toThrow(
      'stray.ts: the wiring uses the actor "critic", but "actors" does not include it',
    );
  });

  test("defineActor refuses a role's name, and the scenario refuses two actors of one name", () => {
    expect(() => defineActor({ name: "learner", work: (x: unknown) => x })).toThrow(
      /defineActor: name: "learner" is taken/,
    );
    const a = defineActor({ name: "shaper", work: (x: unknown) => x });
    const def = {
      name: "x",
      description: "x",
      task: "countdown",
      actors: ["student", a, a, "learner"],
      algorithm: { name: "grpo", lr: 0.001 },
      settings: { steps: 1, tasksPerStep: 1, groupSize: 1 },
      wire: () => {},
    };
    expect(() => parseScenario(def, "twice.ts")).toThrow(/actors: actors must not repeat/);
  });
});
