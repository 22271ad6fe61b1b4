// Every machine in MACHINES, explored with xstate/graph and driven for real.
//
// Graph part: the pure transition function is traversed with explicit events (payloads
// included, plus the done/error/after events that the invoked promise actors and the back-off
// delay would produce); every reachable abstract state is found with getShortestPaths.
// Model-based part: for EVERY edge of the adjacency map, the shortest path to its source state
// plus the edge's event is replayed on a real actor (createActor) whose promise actors are
// deferreds resolved/rejected on demand and whose back-off runs on fake timers; after every step
// the real snapshot must be the one the model predicted. Inspection records which transition
// definitions fired and which state nodes were entered; together they must be all of them.
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { vi } from "vitest";
import type { AnyStateMachine, EventObject } from "xstate";
import { getAdjacencyMap, getShortestPaths } from "xstate/graph";
import { MACHINES, type MachineName } from "../machines/index.js";
import type { RoleName } from "../machines/run.js";
import {
  DeferredActor,
  Observed,
  directedGraphEdges,
  internalEventTypes,
  nodesOfValue,
  runAfter,
  settle,
  stateNodeIds,
  transitionKeys,
  type Executor,
  type Snap,
} from "./helpers/machine-model.js";

const STAGE_WORK_STATE = {
  student: "generating",
  teacher: "judging",
  reflector: "reflecting",
  verifier: "verifying",
} as const;
type StageName = keyof typeof STAGE_WORK_STATE;

function backoff(failures: number): number {
  return Math.min(2000, 25 * 2 ** failures);
}

interface ModelSpec {
  name: MachineName;
  machine: AnyStateMachine;
  input: unknown;
  /** Events offered in a state (payloads included). */
  events: (s: Snap) => EventObject[];
  /** Abstract state: everything guards read, and what the tests compare. */
  serialize: (s: Snap) => string;
  /** States left within the same macrostep (eventless `always` transitions). */
  transient: string[];
  /** A real actor's logic, and how each graph event is made to happen on it. */
  real: () => { logic: AnyStateMachine; execute: Executor };
}

const len = (x: unknown): number => (Array.isArray(x) ? x.length : -1);

function stageSpec(name: StageName): ModelSpec {
  const machine = MACHINES[name] as AnyStateMachine;
  const work = STAGE_WORK_STATE[name];
  const types = internalEventTypes(machine);
  const doneType = types.done.get(`${name}.${work}`) as string;
  const errorType = types.error.get(`${name}.${work}`) as string;
  const afterType = types.after.get(`${name}.retrying`) as string;
  return {
    name,
    machine,
    input: { maxBatch: 1, maxRetries: 2 },
    events: (s) => {
      if (s.status !== "active") return [];
      const c = s.context;
      const evs: EventObject[] = [{ type: "WEIGHTS", version: 1 } as EventObject];
      if (len(c.queue) < 2) evs.push({ type: "REQUEST", items: ["x"] } as EventObject);
      if (s.value === work) {
        evs.push({ type: doneType, output: ["result"] } as EventObject);
        evs.push({ type: errorType, error: new Error("flaky") } as EventObject);
      }
      if (s.value === "retrying") evs.push({ type: afterType });
      return evs;
    },
    serialize: (s) =>
      JSON.stringify({
        v: s.value,
        q: len(s.context.queue),
        b: len(s.context.batch),
        f: s.context.failures,
        w: s.context.weightVersion,
      }),
    transient: [`${name}.emitting`, `${name}.gaveUp`],
    real: () => {
      const d = new DeferredActor<unknown[]>();
      const logic = machine.provide({ actors: { work: d.logic } }) as AnyStateMachine;
      const execute: Executor = async (ob, e) => {
        if (e.type === doneType) d.pending.resolve((e as EventObject & { output: unknown[] }).output);
        else if (e.type === errorType) d.pending.reject((e as EventObject & { error: unknown }).error);
        else if (e.type === afterType) {
          const r = await runAfter(ob, backoff(ob.snap.context.failures as number));
          expect(r.before, "still backing off 1 ms before the delay").toBe("retrying");
          return;
        } else ob.actor.send(e);
        await settle();
      };
      return { logic, execute };
    },
  };
}

function learnerSpec(): ModelSpec {
  const machine = MACHINES.learner as AnyStateMachine;
  const types = internalEventTypes(machine);
  const upDone = types.done.get("learner.updating") as string;
  const upError = types.error.get("learner.updating") as string;
  const ckDone = types.done.get("learner.checkpointing") as string;
  const ckError = types.error.get("learner.checkpointing") as string;
  const stats = { loss: 0.5, gradNorm: 1, metrics: {}, experiences: 2 };
  return {
    name: "learner",
    machine,
    input: { checkpointEvery: 2, version: 0 },
    events: (s) => {
      if (s.status !== "active") return [];
      const evs: EventObject[] = [{ type: "FLUSH" }];
      if (len(s.context.buffer) < 3) evs.push({ type: "EXPERIENCE", items: [{ kind: "experience" }] } as EventObject);
      if (s.value === "updating")
        evs.push(
          { type: upDone, output: stats } as EventObject,
          { type: upError, error: new Error("loss is NaN") } as EventObject,
        );
      if (s.value === "checkpointing")
        evs.push(
          { type: ckDone, output: undefined } as EventObject,
          { type: ckError, error: new Error("disk full") } as EventObject,
        );
      return evs;
    },
    serialize: (s) =>
      JSON.stringify({
        v: s.value,
        buf: len(s.context.buffer),
        b: len(s.context.batch),
        since: Math.min(s.context.sinceCheckpoint as number, 2),
      }),
    transient: ["learner.publishing"],
    real: () => {
      const update = new DeferredActor<unknown>();
      const checkpoint = new DeferredActor<void>();
      const logic = machine.provide({
        actors: { update: update.logic, checkpoint: checkpoint.logic },
      }) as AnyStateMachine;
      const execute: Executor = async (ob, e) => {
        const payload = e as EventObject & { output?: unknown; error?: unknown };
        if (e.type === upDone) update.pending.resolve(payload.output);
        else if (e.type === upError) update.pending.reject(payload.error);
        else if (e.type === ckDone) checkpoint.pending.resolve(undefined);
        else if (e.type === ckError) checkpoint.pending.reject(payload.error);
        else ob.actor.send(e);
        await settle();
      };
      return { logic, execute };
    },
  };
}

const ALL_ROLES: RoleName[] = ["student", "teacher", "reflector", "verifier", "learner"];
const RUN_INPUT = {
  roles: ALL_ROLES,
  stage: { maxBatch: 4, maxRetries: 1 },
  learner: { checkpointEvery: 0, version: 0 },
  totalSteps: 3,
  step: 0,
};

function runSpec(): ModelSpec {
  const machine = MACHINES.run as AnyStateMachine;
  const types = ["START", "ROLLOUT_DONE", "STEP_DONE", "PAUSE", "RESUME", "STEP"];
  return {
    name: "run",
    machine,
    input: RUN_INPUT,
    events: (s) => (s.status === "active" ? types.map((type) => ({ type })) : []),
    serialize: (s) => JSON.stringify({ v: s.value, step: s.context.step, p: s.context.pauseRequested }),
    transient: [],
    real: () => ({
      logic: machine,
      execute: async (ob, e) => {
        ob.actor.send(e);
        await settle();
      },
    }),
  };
}

interface Edge {
  event: EventObject;
  state: Snap;
}

type Traversal = NonNullable<Parameters<typeof getShortestPaths<AnyStateMachine>>[1]>;

function traversalOf(spec: ModelSpec): Traversal {
  return {
    input: spec.input,
    events: (s) => spec.events(s as unknown as Snap),
    serializeState: (s) => spec.serialize(s as unknown as Snap),
    limit: 100_000,
  };
}

/** The adjacency map, typed: serialized state → its snapshot and outgoing edges. */
function adjacency(spec: ModelSpec, traversal: Traversal): Array<{ key: string; state: Snap; edges: Edge[] }> {
  const adj = getAdjacencyMap(spec.machine, traversal) as unknown as Record<
    string,
    { state: Snap; transitions: Record<string, Edge> }
  >;
  return Object.entries(adj).map(([key, v]) => ({ key, state: v.state, edges: Object.values(v.transitions) }));
}

const SPECS: ModelSpec[] = [
  stageSpec("student"),
  stageSpec("teacher"),
  stageSpec("reflector"),
  stageSpec("verifier"),
  learnerSpec(),
  runSpec(),
];

beforeEach(() => {
  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
});
afterEach(() => {
  vi.useRealTimers();
});

test("SPECS covers every machine in MACHINES", () => {
  expect(SPECS.map((s) => s.name).sort()).toEqual(Object.keys(MACHINES).sort());
});

describe.each(SPECS)("$name machine", (spec) => {
  const traversal = traversalOf(spec);

  test("toDirectedGraph's edges are all among the enumerated transition definitions", () => {
    const keys = transitionKeys(spec.machine);
    for (const edge of directedGraphEdges(spec.machine)) {
      const [source, rest] = edge.split(" --") as [string, string];
      const [event, target] = rest.split("--> ") as [string, string];
      // toDirectedGraph draws a targetless transition as a self-loop.
      const match = keys.some(
        (k) =>
          k.startsWith(`${source} --${event}`) &&
          (k.endsWith(`> ${target}`) || (target === source && k.endsWith("(no target)"))),
      );
      expect(match, edge).toBe(true);
    }
  });

  test("graph: every state node is reachable (transient ones within a macrostep)", () => {
    const paths = getShortestPaths(spec.machine, traversal);
    const reached = new Set<string>();
    for (const p of paths)
      for (const id of nodesOfValue(spec.machine.root.id, (p.state as Snap).value)) reached.add(id);
    const all = stateNodeIds(spec.machine);
    const missing = all.filter((id) => !reached.has(id));
    // Only the eventless pass-through states are never at rest; the replay below enters them.
    expect(missing.sort()).toEqual([...spec.transient].sort());
  });

  test("model-based: every edge replays on a real actor as predicted; every transition and state node is exercised", async () => {
    const paths = getShortestPaths(spec.machine, traversal);
    const pathTo = new Map(paths.map((p) => [spec.serialize(p.state as Snap), p]));
    const fired = new Set<string>();
    const entered = new Set<string>();
    let edges = 0;
    for (const { key, edges: out } of adjacency(spec, traversal)) {
      const head = pathTo.get(key);
      expect(head, `a shortest path to ${key}`).toBeDefined();
      for (const t of out) {
        edges++;
        const steps = [
          ...(head?.steps ?? []).filter((s) => (s.event as EventObject).type !== "xstate.init"),
          { event: t.event, state: t.state },
        ];
        const { logic, execute } = spec.real();
        const ob = new Observed(logic, spec.input);
        for (const step of steps) {
          await execute(ob, step.event as EventObject);
          expect(spec.serialize(ob.snap), `after ${(step.event as EventObject).type} on the way to ${key}`).toBe(
            spec.serialize(step.state as Snap),
          );
          expect(ob.snap.status).toBe((step.state as Snap).status);
        }
        ob.stop();
        for (const k of ob.fired) fired.add(k);
        for (const n of ob.entered) entered.add(n);
      }
    }
    expect(edges).toBeGreaterThan(10);
    expect([...entered].sort()).toEqual(stateNodeIds(spec.machine).sort());
    const never = transitionKeys(spec.machine).filter((k) => !fired.has(k));
    expect(never, "transition definitions never fired").toEqual([]);
  });
});
