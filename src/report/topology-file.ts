// A run's topology as data: `topology.json` in the run directory, written (atomically) by the run
// when it starts, from the edges it actually wired. The report draws the topology from this file
// alone: a run directory may come from anyone, so nothing it names (a scenario file, a module) is
// ever imported to draw it. Run directories written before this file existed get a note instead.
import fs from "node:fs";
import path from "node:path";
import { z } from "zod";
import { writeFileAtomic } from "../util/atomic.js";
import type { Topology } from "../viz/topology.js";

export const TOPOLOGY_FILE = "topology.json";

/** Bounds keep a hostile file from making the drawing (Graphviz) do unbounded work. */
const name = z.string().min(1).max(200);
const TopologySchema = z
  .object({
    scenario: name,
    nodes: z.array(z.object({ id: name, kind: z.enum(["source", "actor"]) })).max(64),
    edges: z
      .array(
        z.object({
          index: z.number().int().min(0),
          from: name,
          to: name,
          fromPort: name,
          toPort: name,
          ops: z.array(z.object({ kind: name, label: z.string().max(500) })).max(32),
        }),
      )
      .max(256),
  })
  .strict();

export function writeRunTopology(runDir: string, topology: Topology): void {
  writeFileAtomic(path.join(runDir, TOPOLOGY_FILE), JSON.stringify(topology, null, 1) + "\n");
}

export type RunTopology = { topology: Topology } | { note: string };

/** The recorded topology, or why there is none to draw (never an exception: the rest of the report stands). */
export function readRunTopology(runDir: string): RunTopology {
  const file = path.join(runDir, TOPOLOGY_FILE);
  if (!fs.existsSync(file)) {
    return {
      note: `The topology was not recorded: ${file} is missing (the run was written by a version that did not record it). Draw it from the scenario file with \`selfimprove viz <scenario file>\`.`,
    };
  }
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (err) {
    return {
      note: `The topology cannot be drawn: ${file} is not valid JSON (${err instanceof Error ? err.message : String(err)}).`,
    };
  }
  const parsed = TopologySchema.safeParse(raw);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    const where = first && first.path.length > 0 ? first.path.join(".") : "(file)";
    return {
      note: `The topology cannot be drawn: ${file} is not a recorded topology (${where}: ${first?.message ?? "invalid"}).`,
    };
  }
  const known = new Set(parsed.data.nodes.map((n) => n.id));
  const stray = parsed.data.edges.find((e) => !known.has(e.from) || !known.has(e.to));
  if (stray)
    return {
      note: `The topology cannot be drawn: ${file} has an edge ${stray.from} → ${stray.to} between nodes it does not list.`,
    };
  return { topology: parsed.data };
}
