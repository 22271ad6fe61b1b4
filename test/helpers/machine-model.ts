// Model-based testing for the role machines. `xstate/graph` refuses machines with invocations
// or delayed transitions in createTestModel, so this helper does the same job by hand:
//
//   1. enumerate every state node and every transition definition (event + guard + target,
//      `always` transitions included) straight from the machine's definition;
//   2. traverse the machine's pure transition function with getAdjacencyMap/getShortestPaths,
//      offering explicit events (payloads included, and the synthetic done/error/after events
//      that invoked promise actors and `after` delays would produce);
//   3. replay paths on a real actor (createActor) whose promise actors are deferreds resolved or
//      rejected on demand and whose `after` delays run on fake timers, checking after every
//      step that the real snapshot is the one the model predicted, and recording (through the
//      inspection API) every transition that fired and every state node that was entered.
import { vi } from "vitest";
import {
  createActor,
  fromPromise,
  type AnyActorRef,
  type AnyEventObject,
  type AnyStateMachine,
  type AnyStateNode,
  type AnyTransitionDefinition,
  type EventObject,
  type InspectionEvent,
  type StateValue,
} from "xstate";
import { getStateNodes, toDirectedGraph, type DirectedGraphNode } from "xstate/graph";

/** A machine snapshot as the tests see it (value, context, status). */
export interface Snap {
  value: StateValue;
  context: Record<string, unknown>;
  status: string;
}

export function snapOf(actor: AnyActorRef): Snap {
  return actor.getSnapshot() as Snap;
}

/** "<source> --<event>[guard]--> <targets>", a stable name for one transition definition. */
export function transitionKey(t: AnyTransitionDefinition): string {
  const guard = t.guard === undefined ? "" : `[${typeof t.guard === "string" ? t.guard : JSON.stringify(t.guard)}]`;
  const targets = t.target && t.target.length > 0 ? t.target.map((n: AnyStateNode) => n.id).join(",") : "(no target)";
  return `${t.source.id} --${t.eventType === "" ? "(always)" : t.eventType}${guard}--> ${targets}`;
}

/** Every state node's id, the root included. */
export function stateNodeIds(machine: AnyStateMachine): string[] {
  return [machine.root.id, ...getStateNodes(machine.root).map((n: AnyStateNode) => n.id)];
}

/** Every transition definition of the machine: `on`, invoke done/error, `after`, and `always`. */
export function transitionKeys(machine: AnyStateMachine): string[] {
  const keys: string[] = [];
  for (const node of [machine.root, ...getStateNodes(machine.root)] as AnyStateNode[]) {
    for (const list of node.transitions.values()) for (const t of list) keys.push(transitionKey(t));
    for (const t of node.always ?? []) keys.push(transitionKey(t));
  }
  return keys;
}

/** The edges toDirectedGraph draws, as "<source> --<event>--> <target>" (always excluded). */
export function directedGraphEdges(machine: AnyStateMachine): string[] {
  const out: string[] = [];
  const walk = (n: DirectedGraphNode): void => {
    for (const e of n.edges) out.push(`${e.source.id} --${e.label.text}--> ${e.target.id}`);
    for (const c of n.children) walk(c);
  };
  walk(toDirectedGraph(machine));
  return out;
}

/** State node ids active in a state value ("a.b" → root, root.a, root.a.b). */
export function nodesOfValue(rootId: string, value: StateValue): string[] {
  const out = [rootId];
  const walk = (prefix: string, v: StateValue): void => {
    if (typeof v === "string") {
      out.push(`${prefix}.${v}`);
      return;
    }
    for (const [k, child] of Object.entries(v)) {
      out.push(`${prefix}.${k}`);
      if (child !== undefined) walk(`${prefix}.${k}`, child as StateValue);
    }
  };
  walk(rootId, value);
  return out;
}

/** The invoke/after event types a machine's definition uses, by state node id. */
export function internalEventTypes(machine: AnyStateMachine): {
  done: Map<string, string>;
  error: Map<string, string>;
  after: Map<string, string>;
} {
  const done = new Map<string, string>();
  const error = new Map<string, string>();
  const after = new Map<string, string>();
  for (const node of getStateNodes(machine.root) as AnyStateNode[]) {
    for (const type of node.transitions.keys()) {
      if (type.startsWith("xstate.done.actor.")) done.set(node.id, type);
      else if (type.startsWith("xstate.error.actor.")) error.set(node.id, type);
      else if (type.startsWith("xstate.after.")) after.set(node.id, type);
    }
  }
  return { done, error, after };
}

interface Deferred<T> {
  input: unknown;
  settled: boolean;
  resolve: (v: T) => void;
  reject: (e: unknown) => void;
}

/** A promise actor whose every invocation waits until the test resolves or rejects it. */
export class DeferredActor<T> {
  readonly calls: Deferred<T>[] = [];

  readonly logic = fromPromise<T, unknown>(
    ({ input }) =>
      new Promise<T>((resolve, reject) => {
        const d: Deferred<T> = {
          input,
          settled: false,
          resolve: (v) => {
            d.settled = true;
            resolve(v);
          },
          reject: (e) => {
            d.settled = true;
            reject(e);
          },
        };
        this.calls.push(d);
      }),
  );

  /** The latest invocation not yet settled. */
  get pending(): Deferred<T> {
    const d = [...this.calls].reverse().find((c) => !c.settled);
    if (!d) throw new Error("no pending invocation");
    return d;
  }

  /** Inputs of every invocation so far. */
  get inputs(): unknown[] {
    return this.calls.map((c) => c.input);
  }
}

/** Lets promise callbacks and actor mailboxes run (fake timers leave setImmediate real). */
export async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise<void>((r) => setImmediate(r));
}

/** A running actor with inspection: which transitions fired, which state nodes were entered. */
export class Observed {
  readonly actor: AnyActorRef;
  readonly fired = new Set<string>();
  readonly entered = new Set<string>();
  readonly emitted: AnyEventObject[] = [];

  constructor(logic: AnyStateMachine, input: unknown, emittedTypes: readonly string[] = []) {
    this.actor = createActor(logic, {
      input,
      inspect: (ev: InspectionEvent) => {
        // Microsteps happen from start() on, after this.actor is set; children are ignored.
        if (ev.type !== "@xstate.microstep" || ev.actorRef !== this.actor) return;
        for (const t of ev._transitions) this.fired.add(transitionKey(t));
        for (const id of nodesOfValue(logic.root.id, (ev.snapshot as unknown as Snap).value)) this.entered.add(id);
      },
    });
    for (const type of emittedTypes) this.actor.on(type, (e: AnyEventObject) => this.emitted.push(e));
    this.actor.start();
    for (const id of nodesOfValue(logic.root.id, snapOf(this.actor).value)) this.entered.add(id);
  }

  get snap(): Snap {
    return snapOf(this.actor);
  }

  stop(): void {
    this.actor.stop();
  }
}

/** How to make a synthetic graph event happen on a real actor. */
export type Executor = (ob: Observed, event: EventObject) => Promise<void>;

/** Advances fake timers just short of the back-off, checks nothing fired, then past it. */
export async function runAfter(ob: Observed, ms: number): Promise<{ before: StateValue; after: StateValue }> {
  await vi.advanceTimersByTimeAsync(ms - 1);
  await settle();
  const before = ob.snap.value;
  await vi.advanceTimersByTimeAsync(1);
  await settle();
  return { before, after: ob.snap.value };
}
