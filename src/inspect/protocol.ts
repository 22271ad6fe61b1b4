// What the inspector server and its page say to each other over the WebSocket. The server sends
// one `hello` per connection (everything static plus the history so far), then a `tick` a few
// times a second with what changed; the page sends commands and gets an `ack` for each.
import { z } from "zod";
import type { CompletionRecord } from "../run/taps.js";
import type { TopologyEdge } from "../viz/topology.js";

/** A StepMetrics line as JSON has it (NaN → null), numbered in arrival order. */
export type MetricsPoint = { n: number } & Record<string, number | string | boolean | null>;

export type EventKind = "event" | "snapshot" | "actor" | "microstep" | "action" | "transition";

/** One xstate inspection event, reduced to what a person scanning a log needs. */
export interface LoggedEvent {
  seq: number;
  /** Milliseconds since the inspector started. */
  t: number;
  kind: EventKind;
  /** The actor the event is about (its systemId, or its id for unnamed children). */
  actor: string;
  /** Who sent it (events only). */
  source?: string;
  /** The event's type (events, snapshots, microsteps) or the action's type. */
  name?: string;
  /** A short rendering of the payload or the resulting state. */
  detail?: string;
}

export interface ActorView {
  name: string;
  /** The snapshot's state value and the state ids it makes active (outermost first). */
  value: unknown;
  active: string[];
  status: string;
  /** How many times each state id was entered so far. */
  visits: Record<string, number>;
  /**
   * States entered since the previous tick. The work in a step is mostly synchronous compute, so
   * a tick (which runs between those chunks) often finds a stage idle; this shows it was busy.
   */
  recent: string[];
}

export interface EdgeView {
  index: number;
  count: number;
  /** Messages per second over the last few seconds. */
  rate: number;
}

export interface RunStatus {
  /** The run machine's state value ("ready", { running: "rollout" }, "paused", ...). */
  value: unknown;
  paused: boolean;
  pauseRequested: boolean;
  finished: boolean;
  /** Steps completed (the run machine's step counter) and the total. */
  step: number;
  totalSteps: number;
  phase: string;
  /** Set when the run ended with an error. */
  error?: string;
}

export interface ChartView {
  /** The actor's name ("run" for the run's own machine). */
  name: string;
  svg: string;
}

export interface HelloMessage {
  type: "hello";
  scenario: string;
  description: string;
  charts: ChartView[];
  topology: { svg: string; edges: TopologyEdge[] };
  status: RunStatus;
  actors: ActorView[];
  edges: EdgeView[];
  metrics: MetricsPoint[];
  events: LoggedEvent[];
  completions: CompletionRecord[];
  /**
   * Whether this connection may pause, step and resume: it carried the run's token. Absent from
   * /api/state; a page without it is read-only.
   */
  control?: boolean;
}

export interface TickMessage {
  type: "tick";
  status: RunStatus;
  actors: ActorView[];
  edges: EdgeView[];
  /** Events and metrics since the previous tick (the page drops any it already has, by seq / n). */
  events: LoggedEvent[];
  metrics: MetricsPoint[];
  /** Present when the latest completions changed. */
  completions?: CompletionRecord[];
}

export interface AckMessage {
  type: "ack";
  /** The command's type, or "invalid" for a message that was not a command. */
  command: Command["type"] | "invalid";
  ok: boolean;
  message: string;
}

export type ServerMessage = HelloMessage | TickMessage | AckMessage;

export const CommandSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("pause") }),
  z.object({ type: z.literal("resume") }),
  z.object({ type: z.literal("step") }),
]);
export type Command = z.infer<typeof CommandSchema>;
