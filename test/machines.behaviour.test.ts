// The role machines' behaviour, driven as real actors with promise stubs resolved or rejected on
// demand and back-off delays on fake timers: stage retry/back-off/give-up/queueing/weights/stop,
// the learner's flush, publish, checkpoint and failure paths, and the run's phases.
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import fc from "fast-check";
import { createActor, type AnyActorRef, type AnyEventObject, type AnyStateMachine } from "xstate";
import { MACHINES } from "../machines/index.js";
import type { RoleName } from "../machines/run.js";
import { DeferredActor, settle, snapOf, type Snap } from "./helpers/machine-model.js";

const STAGES = [
  { name: "student", work: "generating" },
  { name: "teacher", work: "judging" },
  { name: "reflector", work: "reflecting" },
  { name: "verifier", work: "verifying" },
] as const;

interface WorkIn {
  batch: string[];
  weightVersion: number;
}

interface StageHarness {
  actor: AnyActorRef;
  work: DeferredActor<string[]>;
  emitted: AnyEventObject[];
  snap: () => Snap;
  inputs: () => WorkIn[];
}

function startStage(machine: AnyStateMachine, input: { maxBatch: number; maxRetries: number }): StageHarness {
  const work = new DeferredActor<string[]>();
  const actor = createActor(machine.provide({ actors: { work: work.logic } }), { input });
  const emitted: AnyEventObject[] = [];
  actor.on("*", (e: AnyEventObject) => emitted.push(e));
  actor.start();
  return { actor, work, emitted, snap: () => snapOf(actor), inputs: () => work.inputs as WorkIn[] };
}

const upper = (batch: string[]): string[] => batch.map((x) => x.toUpperCase());

beforeEach(() => {
  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
});
afterEach(() => {
  vi.useRealTimers();
});

describe.each(STAGES)("$name stage", ({ name, work }) => {
  const machine = MACHINES[name] as AnyStateMachine;

  test("retries a failed batch with exponential back-off (25·2^failures ms), then succeeds", async () => {
    const h = startStage(machine, { maxBatch: 8, maxRetries: 2 });
    h.actor.send({ type: "REQUEST", items: ["a", "b"] });
    await settle();
    expect(h.snap().value).toBe(work);
    h.work.pending.reject(new Error("flaky 1"));
    await settle();
    expect(h.snap().value).toBe("retrying");
    expect(h.snap().context).toMatchObject({ failures: 1, lastError: "flaky 1" });
    await vi.advanceTimersByTimeAsync(49);
    expect(h.snap().value).toBe("retrying");
    await vi.advanceTimersByTimeAsync(1);
    await settle();
    expect(h.snap().value).toBe(work);
    h.work.pending.reject(new Error("flaky 2"));
    await settle();
    expect(h.snap().context).toMatchObject({ failures: 2 });
    await vi.advanceTimersByTimeAsync(99);
    expect(h.snap().value).toBe("retrying");
    await vi.advanceTimersByTimeAsync(1);
    await settle();
    // Every attempt worked on the same batch.
    expect(h.inputs().map((i) => i.batch)).toEqual([
      ["a", "b"],
      ["a", "b"],
      ["a", "b"],
    ]);
    h.work.pending.resolve(["A", "B"]);
    await settle();
    expect(h.snap().value).toBe("idle");
    expect(h.emitted).toEqual([{ type: "results", results: ["A", "B"], weightVersion: 0 }]);
    expect(h.snap().context).toMatchObject({ processed: 2, givenUp: 0, queue: [], batch: [], results: [] });
    h.actor.stop();
  });

  test("the back-off is capped at 2 s", async () => {
    const h = startStage(machine, { maxBatch: 8, maxRetries: 10 });
    h.actor.send({ type: "REQUEST", items: ["a"] });
    await settle();
    const delays: number[] = [];
    for (let f = 1; f <= 8; f++) {
      h.work.pending.reject(new Error(`e${f}`));
      await settle();
      expect(h.snap().value).toBe("retrying");
      let waited = 0;
      while (h.snap().value === "retrying") {
        await vi.advanceTimersByTimeAsync(1);
        waited++;
      }
      await settle();
      delays.push(waited);
    }
    expect(delays).toEqual([50, 100, 200, 400, 800, 1600, 2000, 2000]);
    h.actor.stop();
  });

  test("retry exhaustion gives the batch up (emitting it, nothing lost) and goes on with the queue", async () => {
    const h = startStage(machine, { maxBatch: 2, maxRetries: 1 });
    h.actor.send({ type: "REQUEST", items: ["a", "b", "c"] });
    await settle();
    expect(h.snap().context).toMatchObject({ batch: ["a", "b"], queue: ["c"] });
    h.work.pending.reject(new Error("bad 1"));
    await settle();
    h.actor.send({ type: "REQUEST", items: ["d"] }); // arrives while backing off
    await vi.advanceTimersByTimeAsync(50);
    await settle();
    h.work.pending.reject(new Error("bad 2"));
    await settle();
    // Given up: the failed batch went out whole, and the queue ["c", "d"] is being worked on.
    expect(h.emitted).toEqual([{ type: "gaveUp", batch: ["a", "b"], error: "bad 2" }]);
    expect(h.snap().value).toBe(work);
    expect(h.snap().context).toMatchObject({ batch: ["c", "d"], queue: [], failures: 0, givenUp: 2 });
    h.work.pending.resolve(["C", "D"]);
    await settle();
    expect(h.emitted[1]).toEqual({ type: "results", results: ["C", "D"], weightVersion: 0 });
    expect(h.snap().value).toBe("idle");
    expect(h.snap().context).toMatchObject({ processed: 2, givenUp: 2 });
    // Nothing lost: every request is in exactly one results or gaveUp event.
    const accounted = h.emitted.flatMap((e) =>
      e.type === "gaveUp" ? (e.batch as string[]) : (e.results as string[]).map((x) => x.toLowerCase()),
    );
    expect(accounted.sort()).toEqual(["a", "b", "c", "d"]);
    h.actor.stop();
  });

  test("maxRetries 0 gives up on the first failure", async () => {
    const h = startStage(machine, { maxBatch: 4, maxRetries: 0 });
    h.actor.send({ type: "REQUEST", items: ["a"] });
    await settle();
    h.work.pending.reject("plain string error");
    await settle();
    expect(h.emitted).toEqual([{ type: "gaveUp", batch: ["a"], error: "plain string error" }]);
    expect(h.snap().value).toBe("idle");
    h.actor.stop();
  });

  test("requests arriving while busy are queued and processed in order, in micro-batches of maxBatch", async () => {
    const h = startStage(machine, { maxBatch: 2, maxRetries: 1 });
    h.actor.send({ type: "REQUEST", items: ["1", "2", "3"] });
    await settle();
    h.actor.send({ type: "REQUEST", items: ["4"] });
    h.actor.send({ type: "REQUEST", items: ["5", "6", "7"] });
    await settle();
    expect(h.snap().context).toMatchObject({ batch: ["1", "2"], queue: ["3", "4", "5", "6", "7"] });
    while (h.snap().value !== "idle") {
      const p = h.work.pending;
      p.resolve(upper((p.input as WorkIn).batch));
      await settle();
    }
    expect(h.inputs().map((i) => i.batch)).toEqual([["1", "2"], ["3", "4"], ["5", "6"], ["7"]]);
    expect(h.emitted.flatMap((e) => e.results as string[])).toEqual(["1", "2", "3", "4", "5", "6", "7"]);
    expect(h.snap().context).toMatchObject({ processed: 7 });
    h.actor.stop();
  });

  test("property: whatever the arrival pattern, failures and batch size, every item comes out once, in order", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 1, max: 3 }),
        fc.array(fc.boolean(), { maxLength: 12 }),
        async (sizes, maxBatch, failPattern) => {
          const h = startStage(machine, { maxBatch, maxRetries: 1 });
          let n = 0;
          const sent: string[] = [];
          let call = 0;
          for (const size of sizes) {
            const items = Array.from({ length: size }, () => `i${n++}`);
            sent.push(...items);
            h.actor.send({ type: "REQUEST", items });
            await settle();
            // Work one batch between arrivals, failing according to the pattern.
            if (h.snap().value === work) {
              const p = h.work.pending;
              if (failPattern[call++ % Math.max(1, failPattern.length)] === true) p.reject(new Error("x"));
              else p.resolve((p.input as WorkIn).batch);
              await settle();
            }
          }
          for (let guard = 0; h.snap().value !== "idle" && guard < 100; guard++) {
            if (h.snap().value === "retrying") await vi.advanceTimersByTimeAsync(2000);
            else {
              const p = h.work.pending;
              if (failPattern[call++ % Math.max(1, failPattern.length)] === true) p.reject(new Error("x"));
              else p.resolve((p.input as WorkIn).batch);
            }
            await settle();
          }
          expect(h.snap().value).toBe("idle");
          const out = h.emitted.flatMap((e) =>
            e.type === "results" ? (e.results as string[]) : (e.batch as string[]),
          );
          expect(out).toEqual(sent);
          for (const i of h.inputs()) expect(i.batch.length).toBeLessThanOrEqual(maxBatch);
          h.actor.stop();
        },
      ),
      { numRuns: 40, seed: 7 },
    );
  });

  test("WEIGHTS updates the weight version in any state; work and results carry it", async () => {
    const h = startStage(machine, { maxBatch: 4, maxRetries: 1 });
    h.actor.send({ type: "WEIGHTS", version: 3 });
    expect(h.snap().context.weightVersion).toBe(3);
    h.actor.send({ type: "REQUEST", items: ["a"] });
    await settle();
    expect(h.inputs()[0]).toEqual({ batch: ["a"], weightVersion: 3 });
    h.work.pending.reject(new Error("x"));
    await settle();
    h.actor.send({ type: "WEIGHTS", version: 4 }); // while retrying
    expect(h.snap().value).toBe("retrying");
    expect(h.snap().context.weightVersion).toBe(4);
    await vi.advanceTimersByTimeAsync(50);
    await settle();
    expect(h.inputs()[1]).toEqual({ batch: ["a"], weightVersion: 4 });
    h.work.pending.resolve(["A"]);
    await settle();
    expect(h.emitted).toEqual([{ type: "results", results: ["A"], weightVersion: 4 }]);
    h.actor.stop();
  });

  // Finding: `emitResults` labels results with the context's version at emit time, so a WEIGHTS
  // that arrives while a batch is in flight relabels results computed with the older weights.
  test("results are labelled with the weight version the work ran with, even if WEIGHTS arrives mid-batch", async () => {
    const h = startStage(machine, { maxBatch: 4, maxRetries: 1 });
    h.actor.send({ type: "WEIGHTS", version: 1 });
    h.actor.send({ type: "REQUEST", items: ["a"] });
    await settle();
    h.actor.send({ type: "WEIGHTS", version: 2 });
    h.work.pending.resolve(["A"]);
    await settle();
    expect(h.emitted).toEqual([{ type: "results", results: ["A"], weightVersion: 1 }]);
    h.actor.stop();
  });

  // The runner ends role actors with actorRef.stop(); nothing may come out of one afterwards.
  test.each(["idle", "working", "retrying"] as const)(
    "stopped (actorRef.stop()) from %s: a late result is not emitted and no retry runs",
    async (where) => {
      const h = startStage(machine, { maxBatch: 4, maxRetries: 2 });
      if (where !== "idle") {
        h.actor.send({ type: "REQUEST", items: ["a"] });
        await settle();
      }
      if (where === "retrying") {
        h.work.pending.reject(new Error("x"));
        await settle();
        expect(h.snap().value).toBe("retrying");
      }
      h.actor.stop();
      expect(h.snap().status).toBe("stopped");
      if (where === "working") {
        h.work.pending.resolve(["A"]);
        await settle();
      }
      await vi.advanceTimersByTimeAsync(5000);
      await settle();
      expect(h.emitted).toEqual([]);
      expect(h.inputs().length).toBe(where === "idle" ? 0 : 1);
    },
  );

  test("the default work actor fails loudly (the machine must be bound with .provide)", async () => {
    const actor = createActor(machine, { input: { maxBatch: 1, maxRetries: 0 } });
    const emitted: AnyEventObject[] = [];
    actor.on("gaveUp", (e: AnyEventObject) => emitted.push(e));
    actor.start();
    actor.send({ type: "REQUEST", items: ["a"] });
    await settle();
    expect(emitted).toHaveLength(1);
    expect(String(emitted[0]?.error)).toMatch(/no work actor provided/);
    actor.stop();
  });
});

// --- Learner -------------------------------------------------------------------------------

interface Exp {
  kind: "experience";
  id: string;
}
const exp = (id: string): Exp => ({ kind: "experience", id });

interface LearnerHarness {
  actor: AnyActorRef;
  update: DeferredActor<unknown>;
  checkpoint: DeferredActor<void>;
  emitted: AnyEventObject[];
  snap: () => Snap;
}

function startLearner(input: { checkpointEvery: number; version: number }): LearnerHarness {
  const update = new DeferredActor<unknown>();
  const checkpoint = new DeferredActor<void>();
  const actor = createActor(
    (MACHINES.learner as AnyStateMachine).provide({ actors: { update: update.logic, checkpoint: checkpoint.logic } }),
    { input },
  );
  const emitted: AnyEventObject[] = [];
  actor.on("*", (e: AnyEventObject) => emitted.push(e));
  actor.start();
  return { actor, update, checkpoint, emitted, snap: () => snapOf(actor) };
}

const STATS = { loss: 0.25, gradNorm: 0.5, metrics: { reward_mean: 0.5 }, experiences: 2 };
const ids = (xs: unknown): string[] => (xs as Exp[]).map((e) => e.id);

describe("learner", () => {
  test("FLUSH with an empty buffer emits skipped and stays collecting", () => {
    const h = startLearner({ checkpointEvery: 1, version: 4 });
    h.actor.send({ type: "FLUSH" });
    expect(h.snap().value).toBe("collecting");
    expect(h.emitted).toEqual([{ type: "skipped", reason: "no experiences to learn from", experiences: 0 }]);
    expect(h.update.calls).toHaveLength(0);
    expect(h.snap().context.version).toBe(4);
    h.actor.stop();
  });

  test("FLUSH with data: updating → publishing (updated, version+1) → checkpointing when due → collecting", async () => {
    const h = startLearner({ checkpointEvery: 1, version: 5 });
    h.actor.send({ type: "EXPERIENCE", items: [exp("e1"), exp("e2")] });
    await settle();
    expect(h.snap().value).toBe("collecting"); // experiences alone never start an update: only FLUSH does
    h.actor.send({ type: "FLUSH" });
    await settle();
    expect(h.snap().value).toBe("updating");
    expect(h.update.pending.input).toMatchObject({ version: 5 });
    expect(ids((h.update.pending.input as { batch: unknown }).batch)).toEqual(["e1", "e2"]);
    h.actor.send({ type: "EXPERIENCE", items: [exp("late")] }); // arrives mid-update: kept
    h.update.pending.resolve(STATS);
    await settle();
    expect(h.snap().value).toBe("checkpointing");
    expect(h.checkpoint.pending.input).toEqual({ version: 6 });
    h.actor.send({ type: "EXPERIENCE", items: [exp("later")] });
    h.checkpoint.pending.resolve(undefined);
    await settle();
    expect(h.snap().value).toBe("collecting");
    expect(h.emitted).toEqual([
      { type: "updated", version: 6, stats: STATS },
      { type: "checkpointed", version: 6 },
    ]);
    expect(h.snap().context).toMatchObject({ version: 6, sinceCheckpoint: 0 });
    expect(ids(h.snap().context.buffer)).toEqual(["late", "later"]);
    h.actor.stop();
  });

  test("checkpointEvery 2: the first update publishes without a checkpoint, the second checkpoints", async () => {
    const h = startLearner({ checkpointEvery: 2, version: 0 });
    h.actor.send({ type: "EXPERIENCE", items: [exp("a")] });
    h.actor.send({ type: "FLUSH" });
    await settle();
    h.update.pending.resolve(STATS);
    await settle();
    expect(h.snap().value).toBe("collecting");
    expect(h.checkpoint.calls).toHaveLength(0);
    h.actor.send({ type: "EXPERIENCE", items: [exp("b")] });
    h.actor.send({ type: "FLUSH" });
    await settle();
    h.update.pending.resolve(STATS);
    await settle();
    expect(h.snap().value).toBe("checkpointing");
    h.checkpoint.pending.resolve(undefined);
    await settle();
    expect(h.emitted.map((e) => e.type)).toEqual(["updated", "updated", "checkpointed"]);
    expect(h.emitted.map((e) => e.version)).toEqual([1, 2, 2]);
    h.actor.stop();
  });

  test("a failed update is skipped with the error; the version is unchanged and the batch dropped", async () => {
    const h = startLearner({ checkpointEvery: 1, version: 7 });
    h.actor.send({ type: "EXPERIENCE", items: [exp("e1"), exp("e2")] });
    h.actor.send({ type: "FLUSH" });
    await settle();
    h.update.pending.reject(new Error("loss is NaN"));
    await settle();
    expect(h.snap().value).toBe("collecting");
    expect(h.emitted).toEqual([{ type: "skipped", reason: "loss is NaN", experiences: 2 }]);
    expect(h.snap().context).toMatchObject({ version: 7, updates: 0, batch: [], buffer: [], lastError: "loss is NaN" });
    expect(h.checkpoint.calls).toHaveLength(0);
    h.actor.stop();
  });

  test("a failed checkpoint emits checkpointFailed and retries at the next update", async () => {
    const h = startLearner({ checkpointEvery: 1, version: 0 });
    h.actor.send({ type: "EXPERIENCE", items: [exp("a")] });
    h.actor.send({ type: "FLUSH" });
    await settle();
    h.update.pending.resolve(STATS);
    await settle();
    h.checkpoint.pending.reject(new Error("disk full"));
    await settle();
    expect(h.snap().value).toBe("collecting");
    expect(h.emitted).toEqual([
      { type: "updated", version: 1, stats: STATS },
      { type: "checkpointFailed", error: "disk full" },
    ]);
    expect(h.snap().context.sinceCheckpoint).toBe(1);
    h.actor.send({ type: "EXPERIENCE", items: [exp("b")] });
    h.actor.send({ type: "FLUSH" });
    await settle();
    h.update.pending.resolve(STATS);
    await settle();
    expect(h.snap().value).toBe("checkpointing");
    expect(h.checkpoint.pending.input).toEqual({ version: 2 });
    h.actor.stop();
  });
});

// --- Run -----------------------------------------------------------------------------------

function startRun(over: { roles?: RoleName[]; totalSteps?: number; step?: number } = {}): {
  actor: AnyActorRef;
  snap: () => Snap;
} {
  const actor = createActor(MACHINES.run as AnyStateMachine, {
    input: {
      roles: over.roles ?? ["student", "teacher", "reflector", "verifier", "learner"],
      stage: { maxBatch: 4, maxRetries: 1 },
      learner: { checkpointEvery: 0, version: 0 },
      totalSteps: over.totalSteps ?? 3,
      step: over.step ?? 0,
    },
  });
  actor.start();
  return { actor, snap: () => snapOf(actor) };
}

describe("run", () => {
  test("spawns exactly the scenario's roles under their systemIds", () => {
    const all = startRun();
    for (const r of ["student", "teacher", "reflector", "verifier", "learner"])
      expect(all.actor.system.get(r), r).toBeDefined();
    expect(snapOf(all.actor.system.get("learner") as AnyActorRef).value).toBe("collecting");
    expect(snapOf(all.actor.system.get("student") as AnyActorRef).value).toBe("idle");
    all.actor.stop();
    const some = startRun({ roles: ["student", "verifier", "learner"] });
    expect(some.actor.system.get("teacher")).toBeUndefined();
    expect(some.actor.system.get("reflector")).toBeUndefined();
    expect(some.actor.system.get("verifier")).toBeDefined();
    some.actor.stop();
  });

  test("ready → running.rollout → learning → rollout … → finished after the last step", () => {
    const r = startRun({ totalSteps: 3 });
    expect(r.snap().value).toBe("ready");
    r.actor.send({ type: "START" });
    const seen: unknown[] = [];
    for (let i = 0; i < 3; i++) {
      expect(r.snap().value).toEqual({ running: "rollout" });
      r.actor.send({ type: "STEP_DONE" }); // ignored outside learning
      r.actor.send({ type: "ROLLOUT_DONE" });
      expect(r.snap().value).toEqual({ running: "learning" });
      r.actor.send({ type: "STEP_DONE" });
      seen.push(r.snap().context.step);
    }
    expect(seen).toEqual([1, 2, 3]);
    expect(r.snap().value).toBe("finished");
    expect(r.snap().status).toBe("done");
  });

  test("a resumed run counts from its start step", () => {
    const r = startRun({ totalSteps: 4, step: 3 });
    r.actor.send({ type: "START" });
    r.actor.send({ type: "ROLLOUT_DONE" });
    r.actor.send({ type: "STEP_DONE" });
    expect(r.snap().value).toBe("finished");
    expect(r.snap().context.step).toBe(4);
  });

  test("PAUSE takes effect at the step boundary; STEP runs exactly one more; RESUME continues", () => {
    const r = startRun({ totalSteps: 6 });
    r.actor.send({ type: "START" });
    r.actor.send({ type: "PAUSE" });
    // The step in flight is never cut: the run keeps going until it ends.
    expect(r.snap().value).toEqual({ running: "rollout" });
    expect(r.snap().context.pauseRequested).toBe(true);
    r.actor.send({ type: "ROLLOUT_DONE" });
    expect(r.snap().value).toEqual({ running: "learning" });
    r.actor.send({ type: "STEP_DONE" });
    expect(r.snap().value).toBe("paused");
    expect(r.snap().context.step).toBe(1);
    expect(r.snap().context.pauseRequested).toBe(false);
    r.actor.send({ type: "STEP" });
    expect(r.snap().value).toEqual({ stepping: "rollout" });
    r.actor.send({ type: "ROLLOUT_DONE" });
    expect(r.snap().value).toEqual({ stepping: "learning" });
    r.actor.send({ type: "STEP_DONE" });
    expect(r.snap().value).toBe("paused");
    expect(r.snap().context.step).toBe(2);
    r.actor.send({ type: "RESUME" });
    expect(r.snap().value).toEqual({ running: "rollout" });
    // A pause asked for and then withdrawn within one step leaves the run going.
    r.actor.send({ type: "PAUSE" });
    r.actor.send({ type: "RESUME" });
    r.actor.send({ type: "ROLLOUT_DONE" });
    r.actor.send({ type: "STEP_DONE" });
    expect(r.snap().value).toEqual({ running: "rollout" });
    expect(r.snap().context.step).toBe(3);
    // RESUME while single-stepping continues the run.
    r.actor.send({ type: "PAUSE" });
    r.actor.send({ type: "ROLLOUT_DONE" });
    r.actor.send({ type: "STEP_DONE" });
    r.actor.send({ type: "STEP" });
    r.actor.send({ type: "RESUME" });
    expect(r.snap().value).toEqual({ running: "rollout" });
    r.actor.stop();
  });

  test("the last step finishes the run even when a pause was asked for, or while stepping", () => {
    const paused = startRun({ totalSteps: 1 });
    paused.actor.send({ type: "START" });
    paused.actor.send({ type: "ROLLOUT_DONE" });
    paused.actor.send({ type: "PAUSE" });
    paused.actor.send({ type: "STEP_DONE" });
    expect(paused.snap().value).toBe("finished");
    const stepping = startRun({ totalSteps: 2, step: 1 });
    stepping.actor.send({ type: "PAUSE" });
    expect(stepping.snap().value).toBe("paused");
    stepping.actor.send({ type: "STEP" });
    stepping.actor.send({ type: "ROLLOUT_DONE" });
    stepping.actor.send({ type: "STEP_DONE" });
    expect(stepping.snap().value).toBe("finished");
    expect(stepping.snap().context.step).toBe(2);
  });

  // The runner ends a run with root.stop(); the role actors it spawned must stop with it.
  test.each([
    ["ready", [] as string[]],
    ["running.rollout", ["START"]],
    ["running.learning", ["START", "ROLLOUT_DONE"]],
    ["paused", ["START", "PAUSE", "ROLLOUT_DONE", "STEP_DONE"]],
    ["stepping", ["START", "PAUSE", "ROLLOUT_DONE", "STEP_DONE", "STEP"]],
  ])("stopping the run (actorRef.stop()) from %s stops the role actors", (_where, events) => {
    const r = startRun();
    for (const type of events) r.actor.send({ type });
    const roles = ["student", "teacher", "reflector", "verifier", "learner"].map(
      (id) => r.actor.system.get(id) as AnyActorRef,
    );
    r.actor.stop();
    expect(r.snap().status).toBe("stopped");
    for (const role of roles) expect(role.getSnapshot().status).toBe("stopped");
  });

  // Regression: a pause used to take effect mid-step, and the in-flight step's STEP_DONE was
  // then dropped by the state RESUME or STEP entered.
  test("PAUSE during learning, then RESUME or STEP: the in-flight step is counted once", () => {
    for (const after of ["RESUME", "STEP"] as const) {
      const r = startRun({ totalSteps: 3 });
      r.actor.send({ type: "START" });
      r.actor.send({ type: "ROLLOUT_DONE" });
      r.actor.send({ type: "PAUSE" });
      r.actor.send({ type: after });
      r.actor.send({ type: "STEP_DONE" });
      expect(r.snap().context.step).toBe(1);
      r.actor.stop();
    }
  });
});
