// What a scenario's `wire` function works with: sources and sinks, each actor's ports, and the
// edges between them. wireEdge is the one place an edge is connected and recorded, so a live run
// (build.ts) and the stand-in wiring that records a topology (record-topology.ts) agree. Its own
// module because both sides, and the scenario types that name Wiring, need it without each other.
import type { Observable, Subscription } from "rxjs";
import type { StudentRequest } from "../../machines/student.js";
import type {
  CompletionMessage,
  ExperienceMessage,
  JudgmentMessage,
  TaskMessage,
  VerdictMessage,
} from "../messages.js";
import type { LabeledOp } from "./ops.js";
import type { RunSettings } from "./settings.js";
import type { ActorDefinition } from "./define-actor.js";

/** Something an edge can start from. */
export interface Source<T> {
  readonly name: string;
  readonly stream: Observable<T>;
}

/** Something an edge can end at. */
export interface Sink<T> {
  readonly name: string;
  /** Delivers one message. */
  next(item: T): void;
}

/** The ports of one role actor, as a scenario sees them. */
export interface Ports<Req, Res> {
  readonly name: string;
  readonly in: Sink<Req>;
  readonly out: Source<Res>;
}

/**
 * One edge of a wired scenario as data: its ports, its operators' labels, and how many messages
 * crossed it (what the topology diagram draws).
 */
export interface EdgeInfo {
  from: string;
  to: string;
  ops: Array<{ kind: string; label: string }>;
  /** Messages delivered along the edge so far. */
  count: number;
}

/**
 * What a scenario's `wire` function is given: the source of tasks, each role's ports, the settings,
 * and `edge` to connect them.
 */
export interface Wiring {
  readonly settings: RunSettings;
  readonly tasks: Source<TaskMessage>;
  readonly student: Ports<StudentRequest, CompletionMessage>;
  readonly teacher: Ports<CompletionMessage, JudgmentMessage>;
  readonly reflector: Ports<VerdictMessage, CompletionMessage>;
  readonly verifier: Ports<CompletionMessage, VerdictMessage>;
  readonly learner: { readonly name: "learner"; readonly in: Sink<ExperienceMessage> };
  /** The ports of an actor of the scenario's own (listed in its `actors`), typed by its definition. */
  actor<In, Out>(def: ActorDefinition<In, Out>): Ports<In, Out>;
  /** Connects a source to a sink through labelled operators. */
  edge<A>(from: Source<A>, to: Sink<A>): void;
  /** Connects a source to a sink through one operator. */
  edge<A, B>(from: Source<A>, to: Sink<B>, op1: LabeledOp<A, B>): void;
  /** Connects a source to a sink through two operators, applied in order. */
  edge<A, B, C>(from: Source<A>, to: Sink<C>, op1: LabeledOp<A, B>, op2: LabeledOp<B, C>): void;
  /** Connects a source to a sink through three operators, applied in order. */
  edge<A, B, C, D>(
    from: Source<A>,
    to: Sink<D>,
    op1: LabeledOp<A, B>,
    op2: LabeledOp<B, C>,
    op3: LabeledOp<C, D>,
  ): void;
}

/**
 * Connects ports, recording the edge (its ports and operator labels, in wiring order) and
 * counting deliveries along it. The one place edges are recorded: a live run's wiring and
 * recordTopology's stand-in wiring both call it, so the diagram, the inspector and topology.json
 * describe the same edges. Returns the subscription.
 */
export function wireEdge(
  edges: EdgeInfo[],
  from: Source<unknown>,
  to: Sink<unknown>,
  ops: ReadonlyArray<LabeledOp<unknown, unknown>>,
): Subscription {
  const info: EdgeInfo = {
    from: from.name,
    to: to.name,
    ops: ops.map((o) => ({ kind: o.kind, label: o.label })),
    count: 0,
  };
  edges.push(info);
  let stream = from.stream;
  for (const o of ops) stream = stream.pipe(o.fn);
  return stream.subscribe((x) => {
    info.count += 1;
    to.next(x);
  });
}
