// Mermaid text for statecharts (stateDiagram-v2) and topologies (flowchart), for pasting into
// Markdown that GitHub and most wikis render. Same source data as the DOT drawings.
import type { Statechart, StateInfo, TransitionInfo } from "./statechart.js";
import type { Topology } from "./topology.js";

/** Mermaid ids are bare words: "run.running.rollout" → "run_running_rollout". */
const mid = (id: string): string => id.replace(/[^A-Za-z0-9_]/g, "_");

/** Mermaid reads ":" and ";" as syntax inside labels; its entity codes are safe. */
const text = (s: string): string => s.replace(/;/g, "#59;").replace(/:/g, "#58;").replace(/"/g, "#quot;");

function label(t: TransitionInfo): string {
  const guard = t.guard !== undefined ? ` [${t.guard}]` : "";
  const actions = t.target === undefined && t.actions.length > 0 ? ` / ${t.actions.join(", ")}` : "";
  return text(`${t.trigger}${guard}${actions}`);
}

export function statechartToMermaid(chart: Statechart): string {
  const lines = ["stateDiagram-v2", "  direction LR"];
  const anyState = `${mid(chart.root.id)}__any`;
  const rootHasOwn = chart.transitions.some((t) => t.source === chart.root.id);
  if (rootHasOwn) lines.push(`  state "any state" as ${anyState}`);
  const emit = (s: StateInfo, indent: string): void => {
    for (const c of s.children) {
      if (c.children.length > 0) {
        lines.push(`${indent}state "${text(c.key)}" as ${mid(c.id)} {`);
        emit(c, `${indent}  `);
        lines.push(`${indent}}`);
      } else {
        lines.push(`${indent}state "${text(c.key)}" as ${mid(c.id)}`);
        if (c.invokes.length > 0) lines.push(`${indent}${mid(c.id)} : invoke ${text(c.invokes.join(", "))}`);
      }
    }
    if (s.initial !== undefined) lines.push(`${indent}[*] --> ${mid(s.initial)}`);
    for (const c of s.children) if (c.kind === "final") lines.push(`${indent}${mid(c.id)} --> [*]`);
  };
  emit(chart.root, "  ");
  for (const t of chart.transitions) {
    const from = t.source === chart.root.id ? anyState : mid(t.source);
    const to = t.target === undefined ? from : mid(t.target);
    lines.push(`  ${from} --> ${to} : ${label(t)}`);
  }
  return lines.join("\n") + "\n";
}

export function topologyToMermaid(topo: Topology): string {
  const lines = ["flowchart LR"];
  for (const n of topo.nodes)
    lines.push(n.kind === "source" ? `  ${mid(n.id)}[/"${text(n.id)}"/]` : `  ${mid(n.id)}("${text(n.id)}")`);
  for (const e of topo.edges) {
    const ops = e.ops.map((o) => text(`${o.kind}: ${o.label}`)).join("<br/>");
    lines.push(ops === "" ? `  ${mid(e.from)} --> ${mid(e.to)}` : `  ${mid(e.from)} -->|"${ops}"| ${mid(e.to)}`);
  }
  return lines.join("\n") + "\n";
}
