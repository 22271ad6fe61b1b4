// Diagrams: every machine in machines/ and every shipped scenario renders to SVG (Graphviz as
// wasm, offline), and the SVG names every state / every actor; the recorded topology is the one a
// live run wires; Mermaid and DOT carry the same names; bad names and broken scenario files get
// clear errors.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import type { AnyStateMachine } from "xstate";
import { MACHINES } from "../machines/index.js";
import { loadScenario, shippedScenarios } from "../src/run/load.js";
import { ScenarioRun } from "../src/run/runner.js";
import { statechartOf, allStates, activeStateIds } from "../src/viz/statechart.js";
import { topologyOf } from "../src/viz/topology.js";
import { statechartToDot, stateDomId, topologyToDot, topoEdgeDomId, topoNodeDomId } from "../src/viz/dot.js";
import { statechartToMermaid, topologyToMermaid } from "../src/viz/mermaid.js";
import { renderSvg } from "../src/viz/render.js";
import { VizError, drawDiagram, resolveVizTarget } from "../src/viz/diagram.js";
import { PROJECT_ROOT } from "../src/paths.js";
import { RecordingUpdate, StandInPolicy, fixedProblems } from "./helpers/standin.js";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "selfimprove-viz-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Graphviz writes each label line as its own <text> element (XML-escaped). */
function svgTexts(svg: string): string[] {
  return [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) =>
    (m[1] ?? "").replace(/&#45;/g, "-").replace(/&amp;/g, "&").replace(/&lt;/g, "<").replace(/&gt;/g, ">"),
  );
}

describe.each(Object.entries(MACHINES))("machine %s", (name, machine) => {
  const chart = statechartOf(machine as AnyStateMachine);
  const states = allStates(chart).filter((s) => s.id !== chart.root.id);

  test("renders to SVG naming every state, each with its own id", async () => {
    expect(states.length).toBeGreaterThan(2);
    const svg = await renderSvg(statechartToDot(chart));
    expect(svg).toMatch(/^<\?xml|<svg/);
    const texts = svgTexts(svg);
    for (const s of states) {
      expect(
        texts.some((t) => t === s.key),
        `state "${s.key}" named in the SVG`,
      ).toBe(true);
      expect(svg, `id for ${s.id}`).toContain(`id="${stateDomId(s.id)}"`);
    }
  });

  test("every transition of the machine is drawn, with a readable trigger", async () => {
    const svg = await renderSvg(statechartToDot(chart));
    chart.transitions.forEach((t, i) => {
      expect(svg).toContain(`id="transition:${chart.id}:${i}"`);
      expect(t.trigger, "no raw xstate internal event names").not.toMatch(/^xstate\./);
    });
    // Eventless transitions are part of the picture (xstate/graph's toDirectedGraph drops them).
    if (name !== "run") expect(chart.transitions.some((t) => t.trigger === "always")).toBe(true);
  });

  test("Mermaid and DOT name every state", () => {
    const mermaid = statechartToMermaid(chart);
    const dot = statechartToDot(chart);
    expect(mermaid.startsWith("stateDiagram-v2")).toBe(true);
    for (const s of states) {
      expect(mermaid).toContain(`state "${s.key}"`);
      expect(dot).toContain(`label="${s.key}`);
    }
    // Mermaid reads ":" as syntax in a transition label; it must arrive as an entity.
    expect(
      mermaid
        .split("\n")
        .filter((l) => l.includes("-->"))
        .every((l) => (l.match(/:/g) ?? []).length <= 1),
    ).toBe(true);
  });
});

describe.each(shippedScenarios())("scenario %s", (name) => {
  test("its topology renders to SVG naming every actor and every operator", async () => {
    const { scenario } = await loadScenario(name);
    const topo = topologyOf(scenario);
    const svg = await renderSvg(topologyToDot(topo));
    const texts = svgTexts(svg);
    for (const actor of ["tasks", ...scenario.actors]) {
      expect(texts, `actor ${actor}`).toContain(actor);
      expect(svg).toContain(`id="${topoNodeDomId(actor)}"`);
    }
    for (const e of topo.edges) {
      expect(svg).toContain(`id="${topoEdgeDomId(e.index)}"`);
      for (const op of e.ops) expect(texts).toContain(`${op.kind}: ${op.label}`);
    }
    const mermaid = topologyToMermaid(topo);
    for (const actor of scenario.actors) expect(mermaid).toContain(`("${actor}")`);
  });

  test("the recorded topology is exactly what a live run wires (same edges, order and labels)", async () => {
    const { scenario } = await loadScenario(name);
    const run = await ScenarioRun.create(scenario, {
      out: path.join(tmp, name),
      steps: 1,
      skipEval: true,
      overrides: { policy: new StandInPolicy(fixedProblems(2), new Set()), update: new RecordingUpdate().fn },
    });
    try {
      const live = run.edges.map((e) => ({ from: e.from, to: e.to, ops: e.ops }));
      expect(topologyOf(scenario).edges.map((e) => ({ from: e.fromPort, to: e.toPort, ops: e.ops }))).toEqual(live);
    } finally {
      run.dispose();
    }
  });
});

test("activeStateIds maps snapshot values to state ids, outermost first", () => {
  expect(activeStateIds("student", "idle")).toEqual(["student.idle"]);
  expect(activeStateIds("run", { running: "rollout" })).toEqual(["run.running", "run.running.rollout"]);
  expect(activeStateIds("p", { a: { b: "c" }, d: "e" })).toEqual(["p.a", "p.a.b", "p.a.b.c", "p.d", "p.d.e"]);
  expect(activeStateIds("x", undefined)).toEqual([]);
});

describe("naming what to draw", () => {
  test("machines by name, scenarios by shipped name or file", async () => {
    expect((await resolveVizTarget("learner")).kind).toBe("machine");
    const sc = await resolveVizTarget("rlc-countdown");
    expect(sc.kind).toBe("scenario");
    const byFile = await resolveVizTarget(path.join(PROJECT_ROOT, "scenarios", "grpo-countdown.ts"));
    expect(byFile).toMatchObject({ kind: "scenario", name: "grpo-countdown" });
    expect(await drawDiagram(sc, "dot")).toMatch(/^digraph "rlc-countdown"/);
  });

  test("an unknown name lists the machines and the scenarios", async () => {
    const err = await resolveVizTarget("studnet").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VizError);
    expect((err as Error).message).toBe(
      `"studnet" is neither a machine (student, teacher, reflector, verifier, learner, run) nor a scenario (${shippedScenarios().join(", ")}, or a path to a scenario file)`,
    );
  });

  test("a scenario file that does not load, or wires an actor it does not list, names the file and the cause", async () => {
    const broken = path.join(tmp, "broken.ts");
    fs.writeFileSync(broken, "export default {{ nope");
    await expect(resolveVizTarget(broken)).rejects.toThrow(
      new RegExp(`${broken.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: failed to load`),
    );

    const invalid = path.join(tmp, "invalid.ts");
    fs.writeFileSync(invalid, `export default { name: "x" };\n`);
    await expect(resolveVizTarget(invalid)).rejects.toThrow(/invalid scenario/);

    const stray = path.join(tmp, "stray.ts");
    const src = fs.readFileSync(path.join(PROJECT_ROOT, "scenarios", "grpo-countdown.ts"), "utf8");
    fs.writeFileSync(
      stray,
      src
        // A copy outside the repository has no installed "selfimprove" to import: point it at the sources.
        .replaceAll('from "selfimprove"', `from "${path.join(PROJECT_ROOT, "src", "index.ts")}"`)
        .replace('name: "grpo-countdown"', 'name: "stray"')
        .replace(
          "w.edge(w.student.out, w.verifier.in);",
          "w.edge(w.student.out, w.verifier.in);\n    w.edge(w.student.out, w.teacher.in);",
        ),
    );
    await expect(resolveVizTarget(stray)).rejects.toThrow(
      `${stray}: the wiring uses the teacher, but "actors" does not include "teacher"`,
    );
  });
});
