// The study's figures as standalone SVG files (they render on GitHub and in any browser), drawn
// with Vega-Lite: learning curves (mean over seeds with a ±1 std band) and before → after changes.
import * as vega from "vega";
import { compile, type TopLevelSpec } from "vega-lite";
import type { CurvePoint } from "./summarise.js";
import { METHODS, type Method } from "./plan.js";
import type { PretrainableTask } from "../tasks/registry.js";

export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

// Full symbol opacity: otherwise the pale error bands set the legend's swatches.
const LEGEND = { orient: "bottom" as const, title: null, labelLimit: 0, columns: 2, symbolOpacity: 1 };

const methodScale = (methods: readonly Method[]) => ({ domain: methods.map((m) => METHODS[m].label) });
const methodColor = (methods: readonly Method[]) => ({
  field: "method",
  type: "nominal" as const,
  scale: methodScale(methods),
  legend: LEGEND,
});

/** One column of layered panels per task (the shape of every figure in the report). */
function byTask(
  title: string,
  values: object[],
  panel: { width: number; height: number; layer: unknown[] },
  extra: object = {},
): TopLevelSpec {
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title,
    data: { values },
    facet: { column: { field: "task", type: "nominal", title: null } },
    spec: panel,
    config: { font: "sans-serif" },
    ...extra,
  } as TopLevelSpec;
}

/** One panel per task: a metric of each training step, mean over seeds and a ±1 std band. */
export function curveSpec(
  points: readonly CurvePoint[],
  field: "reward" | "firstTry",
  title: string,
  methods: readonly Method[],
): TopLevelSpec {
  const values = points
    .filter((p) => p[field] !== null && methods.includes(p.method))
    .map((p) => ({ task: p.task, method: METHODS[p.method].label, step: p.step, value: p[field] }));
  const color = methodColor(methods);
  return byTask(
    title,
    values,
    {
      width: 190,
      height: 150,
      layer: [
        {
          mark: { type: "errorband", extent: "stdev", opacity: 0.2 },
          encoding: {
            x: { field: "step", type: "quantitative", title: "step" },
            y: { field: "value", type: "quantitative", title: null },
            color,
          },
        },
        {
          mark: { type: "line", strokeWidth: 1.5 },
          encoding: {
            x: { field: "step", type: "quantitative" },
            y: { aggregate: "mean", field: "value", type: "quantitative", title: null },
            color,
          },
        },
      ],
    },
    { resolve: { scale: { y: "independent" } } },
  );
}

export interface DeltaRow {
  task: PretrainableTask;
  method: Method;
  seed: number;
  /** after − before, in percentage points. */
  delta: number;
}

/** Before → after change of a held-out metric per task and method: mean over seeds, ±1 std. */
export function deltaSpec(rows: readonly DeltaRow[], title: string, methods: readonly Method[]): TopLevelSpec {
  const values = rows.map((r) => ({ task: r.task, method: METHODS[r.method].label, delta: r.delta }));
  const x = { field: "method", type: "nominal" as const, axis: null, scale: methodScale(methods) };
  const color = methodColor(methods);
  const y = { field: "delta", type: "quantitative" as const, title: "points" };
  return byTask(title, values, {
    width: 150,
    height: 170,
    layer: [
      {
        mark: "bar",
        encoding: { x, y: { aggregate: "mean", field: "delta", type: "quantitative", title: "points" }, color },
      },
      { mark: { type: "errorbar", extent: "stdev" }, encoding: { x, y } },
      { mark: { type: "point", filled: true, size: 18, color: "black", opacity: 0.6 }, encoding: { x, y } },
    ],
  });
}
