// A scenario's topology: its actors as nodes, its streams as edges labelled with their operators.
// Read by calling the scenario's own `wire` against a recording Wiring whose ports carry nothing
// (recordTopology), so drawing a scenario never loads a model; a live run's `edges` (same order,
// same labels) give the same picture with counts.
import { actorNames, type EdgeInfo, type Scenario } from "../run/scenario.js";
import { recordTopology } from "../run/record-topology.js";

export interface TopologyNode {
  /** "tasks" (the problem source), a role's name, or the name of a scenario's own actor. */
  id: string;
  kind: "source" | "actor";
}

export interface TopologyEdge {
  /** Position in wiring order: the index of the live run's `edges` entry. */
  index: number;
  from: string;
  to: string;
  /** The ports' own names ("verifier.out" → "reflector.in"). */
  fromPort: string;
  toPort: string;
  ops: Array<{ kind: string; label: string }>;
}

export interface Topology {
  scenario: string;
  nodes: TopologyNode[];
  edges: TopologyEdge[];
}

/** The node a port belongs to: "student.out" → "student", "tasks" → "tasks". */
export function portOwner(port: string): string {
  const dot = port.indexOf(".");
  return dot < 0 ? port : port.slice(0, dot);
}

export function topologyFromEdges(
  scenario: string,
  actors: readonly string[],
  edges: ReadonlyArray<Pick<EdgeInfo, "from" | "to" | "ops">>,
): Topology {
  const nodes: TopologyNode[] = [
    { id: "tasks", kind: "source" },
    ...actors.map((a) => ({ id: a, kind: "actor" as const })),
  ];
  const known = new Set(nodes.map((n) => n.id));
  const out: TopologyEdge[] = edges.map((e, index) => {
    const from = portOwner(e.from);
    const to = portOwner(e.to);
    // A port outside the node list would silently vanish from the drawing: add it instead.
    for (const id of [from, to]) {
      if (!known.has(id)) {
        known.add(id);
        nodes.push({ id, kind: "actor" });
      }
    }
    return {
      index,
      from,
      to,
      fromPort: e.from,
      toPort: e.to,
      ops: e.ops.map((o) => ({ kind: o.kind, label: o.label })),
    };
  });
  return { scenario, nodes, edges: out };
}

/** The scenario's wiring, recorded against ports that carry nothing (no models, no actors). */
export function topologyOf(scenario: Scenario, where: string = scenario.name): Topology {
  return topologyFromEdges(scenario.name, actorNames(scenario), recordTopology(scenario, where));
}
