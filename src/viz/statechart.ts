// A machine's statechart as plain data (states, nesting, transitions with readable labels), read
// from xstate's own state-node tree. Every drawing (DOT, Mermaid, the inspector's live view) is
// made from this one description, so they cannot disagree about what a machine looks like.
// xstate/graph's toDirectedGraph leaves out eventless (`always`) transitions, which the stage
// machines use to leave `emitting` and `gaveUp`, so the tree is walked here instead.
import type { AnyStateMachine, AnyStateNode, AnyTransitionDefinition } from "xstate";

export type StateKind = "atomic" | "compound" | "parallel" | "final" | "history";

export interface StateInfo {
  /** xstate's state node id ("student.generating", "run.running.rollout"): unique per machine. */
  id: string;
  /** The key within its parent ("generating"); the machine's root has the machine id. */
  key: string;
  kind: StateKind;
  /** Child state ids, in definition order. */
  children: StateInfo[];
  /** The initial child's id (compound states). */
  initial?: string;
  /** Promise/machine actors invoked while in the state (their `src`). */
  invokes: string[];
}

export interface TransitionInfo {
  source: string;
  /** Undefined for a targetless transition (it runs actions and stays put). */
  target?: string;
  /** What triggers it, for people: "REQUEST", "done: work", "error: work", "after backoff", "always". */
  trigger: string;
  guard?: string;
  actions: string[];
}

export interface Statechart {
  id: string;
  root: StateInfo;
  transitions: TransitionInfo[];
}

function nameOf(x: unknown, fallback: string): string {
  if (typeof x === "string") return x;
  if (typeof x === "function") return x.name !== "" ? x.name : fallback;
  if (x !== null && typeof x === "object" && "type" in x && typeof x.type === "string") return x.type;
  return fallback;
}

/** Turns xstate's internal event types into what a reader of the machine's source would call them. */
function triggerLabel(node: AnyStateNode, eventType: string): string {
  if (eventType === "") return "always";
  const actorEvent = /^xstate\.(done|error)\.actor\.(.+)$/.exec(eventType);
  if (actorEvent) {
    const inv = node.invoke.find((i) => i.id === actorEvent[2]);
    return `${actorEvent[1]}: ${inv ? nameOf(inv.src, actorEvent[2] ?? "actor") : actorEvent[2]}`;
  }
  if (eventType.startsWith("xstate.after.")) {
    const after = node.after.find((a) => a.eventType === eventType);
    const delay = after?.delay;
    return `after ${typeof delay === "number" ? `${delay} ms` : typeof delay === "string" ? delay : "delay"}`;
  }
  if (eventType.startsWith("xstate.done.state.")) return "done";
  return eventType;
}

function transitionInfo(node: AnyStateNode, t: AnyTransitionDefinition, eventType: string): TransitionInfo {
  const target = t.target?.[0]?.id;
  const info: TransitionInfo = {
    source: node.id,
    trigger: triggerLabel(node, eventType),
    actions: t.actions.map((a, i) => nameOf(a, `action${i + 1}`)),
  };
  if (target !== undefined) info.target = target;
  if (t.guard !== undefined) info.guard = nameOf(t.guard, "guard");
  return info;
}

function walk(node: AnyStateNode, transitions: TransitionInfo[]): StateInfo {
  for (const [eventType, list] of node.transitions)
    for (const t of list) transitions.push(transitionInfo(node, t, eventType));
  for (const t of node.always ?? []) transitions.push(transitionInfo(node, t, ""));
  const info: StateInfo = {
    id: node.id,
    key: node.key,
    kind: node.type,
    children: Object.values(node.states).map((child) => walk(child, transitions)),
    invokes: node.invoke.map((i) => nameOf(i.src, i.id)),
  };
  const initial = node.initial?.target[0]?.id;
  if (initial !== undefined) info.initial = initial;
  return info;
}

export function statechartOf(machine: AnyStateMachine): Statechart {
  const transitions: TransitionInfo[] = [];
  const root = walk(machine.root, transitions);
  return { id: machine.id, root, transitions };
}

/** Every state of the chart, depth first (the root first). */
export function allStates(chart: Statechart): StateInfo[] {
  const out: StateInfo[] = [];
  const visit = (s: StateInfo): void => {
    out.push(s);
    s.children.forEach(visit);
  };
  visit(chart.root);
  return out;
}

/**
 * The ids of the states a snapshot's value makes active, outermost first: "idle" in the student
 * → ["student.idle"]; { running: "rollout" } in the run → ["run.running", "run.running.rollout"].
 */
export function activeStateIds(machineId: string, value: unknown): string[] {
  const out: string[] = [];
  const visit = (prefix: string, v: unknown): void => {
    if (typeof v === "string") out.push(`${prefix}.${v}`);
    else if (v !== null && typeof v === "object") {
      for (const [k, child] of Object.entries(v)) {
        out.push(`${prefix}.${k}`);
        visit(`${prefix}.${k}`, child);
      }
    }
  };
  visit(machineId, value);
  return out;
}
