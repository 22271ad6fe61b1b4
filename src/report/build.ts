// `selfimprove report RUN_DIR`, minus the command line: read and check the run directory, draw
// the topology the run recorded (topology.json), write one HTML file. Built from the directory's
// data alone: a run directory may come from anyone, and nothing it names is ever imported.
import path from "node:path";
import { writeFileAtomic } from "../util/atomic.js";
import { topologyToDot } from "../viz/dot.js";
import { inlineSvg, renderSvg } from "../viz/render.js";
import type { Topology } from "../viz/topology.js";
import { loadRunDir, type RunData } from "./load.js";
import { renderReport } from "./html.js";
import { readRunTopology } from "./topology-file.js";

/** The recorded topology as SVG, or why it cannot be drawn. */
async function drawTopology(
  dir: string,
): Promise<{ topology?: Topology; topologySvg: string } | { topology?: Topology; topologyNote: string }> {
  const recorded = readRunTopology(dir);
  if ("note" in recorded) return { topologyNote: recorded.note };
  try {
    return { topology: recorded.topology, topologySvg: inlineSvg(await renderSvg(topologyToDot(recorded.topology))) };
  } catch (err) {
    return {
      topology: recorded.topology,
      topologyNote: `The recorded topology cannot be drawn here: ${err instanceof Error ? err.message : String(err)}`,
    };
  }
}

export interface BuiltReport {
  file: string;
  data: RunData;
  bytes: number;
}

export async function buildReport(runDir: string, out?: string): Promise<BuiltReport> {
  const data = loadRunDir(runDir);
  const html = renderReport(data, await drawTopology(data.dir));
  const file = path.resolve(out ?? path.join(data.dir, "report.html"));
  writeFileAtomic(file, html);
  return { file, data, bytes: Buffer.byteLength(html) };
}
