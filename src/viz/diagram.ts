// What `selfimprove viz NAME` draws: a machine from machines/ by name, or else a scenario (a
// shipped name or a file), in Mermaid, DOT or SVG.
import type { AnyStateMachine } from "xstate";
import { MACHINES } from "../../machines/index.js";
import { loadScenario, shippedScenarios } from "../run/load.js";
import { ScenarioError } from "../run/scenario.js";
import { statechartOf, type Statechart } from "./statechart.js";
import { topologyOf, type Topology } from "./topology.js";
import { statechartToDot, topologyToDot } from "./dot.js";
import { statechartToMermaid, topologyToMermaid } from "./mermaid.js";
import { renderSvg } from "./render.js";

export const DIAGRAM_FORMATS = ["mermaid", "dot", "svg"] as const;
export type DiagramFormat = (typeof DIAGRAM_FORMATS)[number];

export type VizTarget =
  | { kind: "machine"; name: string; chart: Statechart }
  | { kind: "scenario"; name: string; file: string; topology: Topology };

export class VizError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "VizError";
  }
}

export function machineNames(): string[] {
  return Object.keys(MACHINES);
}

function isMachineName(name: string): name is keyof typeof MACHINES {
  return Object.hasOwn(MACHINES, name);
}

export async function resolveVizTarget(name: string): Promise<VizTarget> {
  if (isMachineName(name)) return { kind: "machine", name, chart: statechartOf(MACHINES[name] as AnyStateMachine) };
  let loaded;
  try {
    loaded = await loadScenario(name);
  } catch (err) {
    if (!(err instanceof ScenarioError)) throw err;
    // A name that is neither: say what exists. A scenario file that fails to load: say why.
    if (err.message.startsWith(`no scenario "${name}"`)) {
      throw new VizError(
        `"${name}" is neither a machine (${machineNames().join(", ")}) nor a scenario (${shippedScenarios().join(", ")}, or a path to a scenario file)`,
      );
    }
    throw new VizError(err.message);
  }
  try {
    return {
      kind: "scenario",
      name: loaded.scenario.name,
      file: loaded.file,
      topology: topologyOf(loaded.scenario, loaded.file),
    };
  } catch (err) {
    // loadScenario already ran the wiring once; this only fires if it behaves differently now.
    throw new VizError(err instanceof Error ? err.message : String(err));
  }
}

export function toDot(target: VizTarget): string {
  return target.kind === "machine" ? statechartToDot(target.chart) : topologyToDot(target.topology);
}

export async function drawDiagram(target: VizTarget, format: DiagramFormat): Promise<string> {
  switch (format) {
    case "mermaid":
      return target.kind === "machine" ? statechartToMermaid(target.chart) : topologyToMermaid(target.topology);
    case "dot":
      return toDot(target) + "\n";
    case "svg":
      return renderSvg(toDot(target));
  }
}
