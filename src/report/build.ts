// `selfimprove report RUN_DIR`, minus the command line: read and check the run directory, draw
// the scenario's topology when the scenario can still be found, write one HTML file.
import path from "node:path";
import { loadScenario } from "../run/load.js";
import { writeFileAtomic } from "../util/atomic.js";
import { topologyOf } from "../viz/topology.js";
import { topologyToDot } from "../viz/dot.js";
import { inlineSvg, renderSvg } from "../viz/render.js";
import { loadRunDir, type RunData } from "./load.js";
import { renderReport } from "./html.js";

/** The scenario's topology, or why it cannot be drawn (a scenario file moved or renamed since). */
async function topology(scenario: string): Promise<{ topologySvg: string } | { topologyNote: string }> {
  try {
    const { scenario: sc } = await loadScenario(scenario);
    return { topologySvg: inlineSvg(await renderSvg(topologyToDot(topologyOf(sc)))) };
  } catch (err) {
    return { topologyNote: `The topology of "${scenario}" cannot be drawn here: ${err instanceof Error ? err.message : String(err)}` };
  }
}

export interface BuiltReport {
  file: string;
  data: RunData;
  bytes: number;
}

export async function buildReport(runDir: string, out?: string): Promise<BuiltReport> {
  const data = loadRunDir(runDir);
  const html = renderReport(data, await topology(data.summary.scenario));
  const file = path.resolve(out ?? path.join(data.dir, "report.html"));
  writeFileAtomic(file, html);
  return { file, data, bytes: Buffer.byteLength(html) };
}
