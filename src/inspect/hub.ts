// The inspector's model of a live run: fed by the runner's callbacks (inspection events, step
// metrics, completions, phases), read by the server as `hello` and `tick` messages, and the one
// place page commands (pause, resume, step) reach the run. It knows the run only through
// RunControl, so it can be tested without a model.
import type { AnyStateMachine, InspectionEvent } from "xstate";
import { MACHINES, type MachineName } from "../../machines/index.js";
import type { EdgeInfo, Scenario } from "../run/scenario.js";
import type { StepMetrics } from "../run/runner.js";
import type { CompletionRecord } from "../run/taps.js";
import { statechartOf, activeStateIds } from "../viz/statechart.js";
import { statechartToDot, topologyToDot } from "../viz/dot.js";
import { inlineSvg, renderSvg } from "../viz/render.js";
import { topologyOf, type Topology } from "../viz/topology.js";
import { EventRing, actorName } from "./events.js";
import { actorMachine } from "../run/define-actor.js";
import { RateMeter } from "./rates.js";
import type {
  AckMessage,
  ActorView,
  ChartView,
  Command,
  EdgeView,
  HelloMessage,
  MetricsPoint,
  RunStatus,
  TickMessage,
} from "./protocol.js";

/** What the hub needs from a run (ScenarioRun has all of it). */
export interface RunControl {
  readonly edges: readonly EdgeInfo[];
  readonly paused: boolean;
  pause(): void;
  resume(): void;
  stepOnce(): void;
}

export interface HubOptions {
  /** Inspection events kept for pages that connect late. */
  eventCapacity?: number;
  /** Most events sent in one tick (a burst beyond this is summarised by the ring's drop count). */
  eventsPerTick?: number;
  /** Completions kept (the newest). */
  completionCapacity?: number;
  now?: () => number;
}

interface ActorTrack {
  value: unknown;
  status: string;
  active: Set<string>;
  visits: Record<string, number>;
  /** Entered since the last tick. */
  recent: Set<string>;
}

function machineFor(name: string): AnyStateMachine | undefined {
  return Object.hasOwn(MACHINES, name) ? (MACHINES[name as MachineName] as AnyStateMachine) : undefined;
}

function toPoint(m: StepMetrics, n: number): MetricsPoint {
  // JSON turns NaN (a metric that does not apply this step) into null, as metrics.jsonl does.
  return { ...(JSON.parse(JSON.stringify(m)) as Record<string, number | string | boolean | null>), n };
}

export class InspectorHub {
  private readonly events: EventRing;
  private readonly eventsPerTick: number;
  private readonly completionCapacity: number;
  private readonly now: () => number;
  private readonly t0: number;
  private readonly tracks = new Map<string, ActorTrack>();
  private readonly meters: RateMeter[] = [];
  private readonly metrics: MetricsPoint[] = [];
  private completions: CompletionRecord[] = [];
  private completionsVersion = 0;
  private run: RunControl | undefined;
  private phase = "starting";
  private error: string | undefined;
  private ended = false;
  /** The run machine's step counter and pending pause, read from its snapshots' context. */
  private root = { step: 0, pauseRequested: false };
  /** What the last tick covered, so the next sends only what is new. */
  private sent = { seq: 0, metrics: 0, completions: 0 };

  private constructor(
    readonly scenario: Scenario,
    readonly totalSteps: number,
    private readonly charts: ChartView[],
    private readonly topology: Topology,
    private readonly topologySvg: string,
    opts: HubOptions,
  ) {
    this.events = new EventRing(opts.eventCapacity ?? 2000);
    this.eventsPerTick = opts.eventsPerTick ?? 400;
    this.completionCapacity = opts.completionCapacity ?? 40;
    this.now = opts.now ?? (() => performance.now());
    this.t0 = this.now();
    for (const c of charts)
      this.tracks.set(c.name, {
        value: undefined,
        status: "not started",
        active: new Set(),
        visits: {},
        recent: new Set(),
      });
  }

  /** Draws the run's machine, each of the scenario's actors' machines and the topology (SVG, once). */
  static async create(scenario: Scenario, totalSteps: number, opts: HubOptions = {}): Promise<InspectorHub> {
    const names = ["run", ...scenario.actors];
    const charts: ChartView[] = [];
    for (const name of names) {
      const machine = machineFor(name);
      if (machine) charts.push({ name, svg: inlineSvg(await renderSvg(statechartToDot(statechartOf(machine)))) });
    }
    // The scenario's own actors run the stage machine under their own name (its id), drawn and lit like the roles.
    for (const def of scenario.custom ?? [])
      charts.push({
        name: def.name,
        svg: inlineSvg(await renderSvg(statechartToDot(statechartOf(actorMachine(def))))),
      });
    const topology = topologyOf(scenario);
    const svg = inlineSvg(await renderSvg(topologyToDot(topology, { live: true })));
    return new InspectorHub(scenario, totalSteps, charts, topology, svg, opts);
  }

  // ---- fed by the run ----

  attach(run: RunControl): void {
    this.run = run;
  }

  readonly inspect = (e: InspectionEvent): void => {
    this.events.push(e, Math.round(this.now() - this.t0));
    if (e.type !== "@xstate.snapshot" && e.type !== "@xstate.microstep") return;
    const name = actorName(e.actorRef);
    const track = this.tracks.get(name);
    if (!track) return;
    const snap = e.snapshot as { value?: unknown; status?: unknown; context?: unknown };
    if (name === "run") this.observeRoot(snap.context);
    track.value = snap.value;
    if (typeof snap.status === "string") track.status = snap.status;
    const machineId = machineFor(name)?.id ?? name;
    const active = new Set(activeStateIds(machineId, snap.value));
    // Counted on change, from microsteps too: states left within one macrostep (the stages'
    // `emitting`) never show in a snapshot, but they were entered.
    for (const id of active) {
      if (track.active.has(id)) continue;
      track.visits[id] = (track.visits[id] ?? 0) + 1;
      track.recent.add(id);
    }
    track.active = active;
  };

  /** Read defensively: the run machine's context is its own business and may change shape. */
  private observeRoot(context: unknown): void {
    if (context === null || typeof context !== "object") return;
    const c = context as { step?: unknown; pauseRequested?: unknown };
    if (typeof c.step === "number") this.root.step = c.step;
    this.root.pauseRequested = c.pauseRequested === true;
  }

  readonly step = (m: StepMetrics): void => {
    this.metrics.push(toPoint(m, this.metrics.length + 1));
  };

  readonly completionsOf = (records: CompletionRecord[]): void => {
    this.completions = records.slice(-this.completionCapacity);
    this.completionsVersion += 1;
  };

  readonly phaseOf = (phase: string): void => {
    this.phase = phase;
  };

  /** The run is over (an error, if it failed): the page says so and disables the controls. */
  finish(error?: string): void {
    this.ended = true;
    if (error !== undefined) this.error = error;
    this.phase = error !== undefined ? "failed" : "finished";
  }

  // ---- read by the server ----

  status(): RunStatus {
    const root = this.tracks.get("run");
    const paused = this.run?.paused ?? false;
    const status: RunStatus = {
      value: root?.value ?? "starting",
      paused,
      pauseRequested: this.root.pauseRequested,
      finished: this.ended || root?.status === "done",
      step: this.root.step,
      totalSteps: this.totalSteps,
      // The last phase the runner reported is stale while paused: say what the run waits for.
      phase: paused && !this.ended ? "waiting for Step or Resume" : this.phase,
    };
    if (this.error !== undefined) status.error = this.error;
    return status;
  }

  /** Every actor's view; `recent` is what was entered since the last call that cleared it (a tick). */
  actors(clearRecent = false): ActorView[] {
    return [...this.tracks].map(([name, t]) => {
      const view = {
        name,
        value: t.value ?? null,
        active: [...t.active],
        status: t.status,
        visits: { ...t.visits },
        recent: [...t.recent],
      };
      if (clearRecent) t.recent.clear();
      return view;
    });
  }

  edges(): EdgeView[] {
    const edges = this.run?.edges ?? [];
    const t = this.now();
    return edges.map((e, index) => {
      this.meters[index] ??= new RateMeter();
      return { index, count: e.count, rate: (this.meters[index] as RateMeter).sample(t, e.count) };
    });
  }

  hello(): HelloMessage {
    return {
      type: "hello",
      scenario: this.scenario.name,
      description: this.scenario.description,
      charts: this.charts,
      topology: { svg: this.topologySvg, edges: this.topology.edges },
      status: this.status(),
      actors: this.actors(),
      edges: this.edges(),
      metrics: [...this.metrics],
      events: this.events.all(),
      completions: this.completions,
    };
  }

  tick(): TickMessage {
    const msg: TickMessage = {
      type: "tick",
      status: this.status(),
      actors: this.actors(true),
      edges: this.edges(),
      events: this.events.since(this.sent.seq, this.eventsPerTick),
      metrics: this.metrics.slice(this.sent.metrics),
    };
    if (this.completionsVersion !== this.sent.completions) msg.completions = this.completions;
    this.sent = { seq: this.events.lastSeq, metrics: this.metrics.length, completions: this.completionsVersion };
    return msg;
  }

  // ---- commands from the page ----

  command(cmd: Command): AckMessage {
    const ack = (ok: boolean, message: string): AckMessage => ({ type: "ack", command: cmd.type, ok, message });
    const run = this.run;
    if (!run) return ack(false, "the run is still starting");
    if (this.status().finished) return ack(false, "the run has finished");
    switch (cmd.type) {
      case "pause":
        if (run.paused) return ack(true, "already paused");
        run.pause();
        return ack(true, run.paused ? "paused" : "pausing when the current step ends");
      case "resume":
        run.resume();
        return ack(true, "running");
      case "step":
        if (!run.paused) return ack(false, "pause first: a single step runs from a paused run");
        run.stepOnce();
        return ack(true, "running one step, then pausing");
    }
  }
}
