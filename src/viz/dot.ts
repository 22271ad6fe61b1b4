// Graphviz DOT for statecharts and topologies. Every state, actor and edge gets a stable SVG id
// ("state:student.generating", "topo:student", "edge:2") so the inspector page can light the
// current state and update edge counts by toggling classes and text, without re-rendering.
import type { Statechart, StateInfo, TransitionInfo } from "./statechart.js";
import type { Topology } from "./topology.js";

export const stateDomId = (stateId: string): string => `state:${stateId}`;
export const topoNodeDomId = (node: string): string => `topo:${node}`;
export const topoEdgeDomId = (index: number): string => `edge:${index}`;

const FONT = "Helvetica,Arial,sans-serif";

/** A DOT double-quoted string. */
export function q(s: string): string {
  return `"${s.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`;
}

function attrs(a: Record<string, string | number | boolean | undefined>): string {
  const parts = Object.entries(a)
    .filter((e): e is [string, string | number | boolean] => e[1] !== undefined)
    .map(([k, v]) => `${k}=${typeof v === "string" ? q(v) : String(v)}`);
  return parts.length > 0 ? ` [${parts.join(", ")}]` : "";
}

function header(name: string, extra: Record<string, string | number | boolean> = {}): string[] {
  return [
    `digraph ${q(name)} {`,
    `  graph${attrs({ rankdir: "LR", fontname: FONT, fontsize: 12, nodesep: 0.3, ranksep: 0.5, bgcolor: "transparent", ...extra })}`,
    `  node${attrs({ fontname: FONT, fontsize: 11, shape: "box", style: "rounded,filled", fillcolor: "#ffffff", color: "#56606b", margin: "0.14,0.06" })}`,
    `  edge${attrs({ fontname: FONT, fontsize: 9, color: "#7a8591", fontcolor: "#39424c", arrowsize: 0.7 })}`,
  ];
}

const isContainer = (s: StateInfo): boolean => s.children.length > 0;

/** The node an edge into `s` attaches to: `s` itself, or (for a compound) its initial leaf. */
function anchorIn(s: StateInfo, byId: Map<string, StateInfo>): string {
  if (!isContainer(s)) return s.id;
  const next = (s.initial !== undefined ? byId.get(s.initial) : undefined) ?? s.children[0];
  return next ? anchorIn(next, byId) : s.id;
}

const anyId = (s: StateInfo): string => `${s.id}.__any`;
const isWithin = (id: string, ancestor: string): boolean => id === ancestor || id.startsWith(`${ancestor}.`);

function transitionLabel(t: TransitionInfo): string {
  const guard = t.guard !== undefined ? ` [${t.guard}]` : "";
  // Actions only where they are the whole point: a targetless transition changes nothing else.
  const actions = t.target === undefined && t.actions.length > 0 ? ` / ${t.actions.join(", ")}` : "";
  return `${t.trigger}${guard}${actions}`;
}

export function statechartToDot(chart: Statechart): string {
  const byId = new Map<string, StateInfo>();
  const index = (s: StateInfo): void => {
    byId.set(s.id, s);
    s.children.forEach(index);
  };
  index(chart.root);
  // Containers that need an "any state" node: transitions out of the container itself that stay
  // inside it (or have no target), which Graphviz cannot draw from a cluster's border.
  const needsAny = new Set(
    chart.transitions
      .filter(
        (t) => isContainer(byId.get(t.source) as StateInfo) && (t.target === undefined || isWithin(t.target, t.source)),
      )
      .map((t) => t.source),
  );

  const lines = header(chart.id, { compound: true, id: `chart:${chart.id}` });
  const emit = (s: StateInfo, indent: string): void => {
    if (!isContainer(s)) {
      const shape = s.kind === "final" ? { peripheries: 2 } : {};
      const label = s.invokes.length > 0 ? `${s.key}\ninvoke ${s.invokes.join(", ")}` : s.key;
      lines.push(`${indent}${q(s.id)}${attrs({ id: stateDomId(s.id), label, class: `state ${s.kind}`, ...shape })}`);
      return;
    }
    const isRoot = s.id === chart.root.id;
    const inner = isRoot ? indent : `${indent}  `;
    if (!isRoot) {
      lines.push(`${indent}subgraph ${q(`cluster_${s.id}`)} {`);
      lines.push(
        `${inner}graph${attrs({ id: stateDomId(s.id), label: s.key, class: `state ${s.kind}`, style: "rounded", color: "#56606b", fontsize: 11, labeljust: "l" })}`,
      );
    }
    if (needsAny.has(s.id)) {
      lines.push(
        `${inner}${q(anyId(s))}${attrs({ label: isRoot ? "any state" : `any ${s.key} state`, style: "rounded,dashed", fillcolor: "#f4f6f8", fontcolor: "#56606b", fontsize: 9 })}`,
      );
    }
    if (s.initial !== undefined) {
      lines.push(
        `${inner}${q(`${s.id}.__initial`)}${attrs({ shape: "point", width: 0.1, color: "#39424c", fillcolor: "#39424c", label: "" })}`,
      );
    }
    for (const c of s.children) emit(c, inner);
    if (!isRoot) lines.push(`${indent}}`);
  };
  emit(chart.root, "  ");

  for (const s of byId.values()) {
    if (s.initial === undefined) continue;
    const target = byId.get(s.initial) as StateInfo;
    lines.push(
      `  ${q(`${s.id}.__initial`)} -> ${q(anchorIn(target, byId))}${attrs({ lhead: isContainer(target) ? `cluster_${target.id}` : undefined })}`,
    );
  }
  chart.transitions.forEach((t, i) => {
    const source = byId.get(t.source) as StateInfo;
    const target = t.target !== undefined ? byId.get(t.target) : undefined;
    const label = transitionLabel(t);
    const id = `transition:${chart.id}:${i}`;
    const fromAny = isContainer(source) && (target === undefined || isWithin(target.id, source.id));
    const tail = fromAny ? anyId(source) : anchorIn(source, byId);
    const ltail = !fromAny && isContainer(source) ? `cluster_${source.id}` : undefined;
    if (target === undefined) {
      // Targetless: a dashed self-loop, to show the event is handled without a state change.
      lines.push(`  ${q(tail)} -> ${q(tail)}${attrs({ label, style: "dashed", id })}`);
      return;
    }
    const head = anchorIn(target, byId);
    // lhead is only valid when the tail is outside the target cluster.
    const lhead = isContainer(target) && !isWithin(tail, target.id) ? `cluster_${target.id}` : undefined;
    lines.push(`  ${q(tail)} -> ${q(head)}${attrs({ label, id, ltail, lhead })}`);
  });
  lines.push("}");
  return lines.join("\n");
}

export interface TopologyDotOptions {
  /** Reserve a last label line on each edge for live counts (the inspector fills it in). */
  live?: boolean;
}

export function topologyToDot(topo: Topology, opts: TopologyDotOptions = {}): string {
  const lines = header(topo.scenario, {
    id: `topology:${topo.scenario}`,
    label: `scenario ${topo.scenario}`,
    labelloc: "t",
  });
  for (const n of topo.nodes) {
    const style = n.kind === "source" ? { shape: "cds", fillcolor: "#eef3f8" } : { fillcolor: "#ffffff" };
    lines.push(`  ${q(n.id)}${attrs({ id: topoNodeDomId(n.id), label: n.id, class: `actor ${n.kind}`, ...style })}`);
  }
  for (const e of topo.edges) {
    const opLines = e.ops.map((o) => `${o.kind}: ${o.label}`);
    const label = [...opLines, ...(opts.live ? ["0 msgs"] : [])].join("\n");
    lines.push(
      `  ${q(e.from)} -> ${q(e.to)}${attrs({ id: topoEdgeDomId(e.index), label: label === "" ? undefined : label, tooltip: `${e.fromPort} → ${e.toPort}`, class: "stream" })}`,
    );
  }
  lines.push("}");
  return lines.join("\n");
}
