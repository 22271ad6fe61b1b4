// DOT → SVG with Graphviz compiled to WebAssembly (@viz-js/viz): offline, no system Graphviz.
// The wasm module is instantiated once per process and reused.
import { instance, type Viz } from "@viz-js/viz";

let viz: Promise<Viz> | undefined;

export class RenderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RenderError";
  }
}

/** Renders DOT to a standalone SVG document; Graphviz's errors (not its warnings) throw. */
export async function renderSvg(dot: string): Promise<string> {
  viz ??= instance();
  const result = (await viz).render(dot, { format: "svg", engine: "dot" });
  if (result.status !== "success") {
    throw new RenderError(`graphviz failed: ${result.errors.map((e) => e.message.trim()).join("; ") || "no output"}`);
  }
  return result.output;
}

/** The same SVG without the XML prolog and DOCTYPE, to embed in an HTML page. */
export function inlineSvg(svg: string): string {
  const start = svg.indexOf("<svg");
  return start >= 0 ? svg.slice(start) : svg;
}
