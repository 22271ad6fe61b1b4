// `selfimprove viz MACHINE_OR_SCENARIO`: a machine's statechart, or a scenario's topology (actors
// as nodes, streams as edges with their operators), as Mermaid, DOT or SVG. Offline: Graphviz
// runs as WebAssembly in-process.
import path from "node:path";
import { Option, type Command } from "commander";
import { DIAGRAM_FORMATS, VizError, drawDiagram, resolveVizTarget, type DiagramFormat } from "../../viz/diagram.js";
import { RenderError } from "../../viz/render.js";
import { writeFileAtomic } from "../../util/atomic.js";
import { CliError } from "../errors.js";
import { checkOutputFile } from "../out-path.js";

interface VizFlags {
  format?: DiagramFormat;
  out?: string;
}

const BY_EXTENSION: Record<string, DiagramFormat> = {
  ".svg": "svg",
  ".dot": "dot",
  ".gv": "dot",
  ".mmd": "mermaid",
  ".mermaid": "mermaid",
};

/** --format wins; else the --out file's extension; else Mermaid (text that reads well in a terminal). */
export function vizFormat(flags: VizFlags): DiagramFormat {
  if (flags.format) return flags.format;
  if (flags.out) return BY_EXTENSION[path.extname(flags.out).toLowerCase()] ?? "mermaid";
  return "mermaid";
}

export function registerViz(program: Command): Command {
  return program
    .command("viz")
    .description(
      "draw a machine's statechart (student, teacher, reflector, verifier, learner, run) or a scenario's topology",
    )
    .argument("<machine-or-scenario>", "a machine name, a shipped scenario name, or a scenario file")
    .addOption(
      new Option("--format <format>", "output format (default: from --out's extension, else mermaid)").choices([
        ...DIAGRAM_FORMATS,
      ]),
    )
    .option("--out <file>", "write to this file instead of stdout")
    .action(async (name: string, flags: VizFlags) => {
      const format = vizFormat(flags);
      // An unwritable --out fails before Graphviz runs, naming the path.
      const out = flags.out !== undefined ? checkOutputFile(flags.out) : undefined;
      let text: string;
      try {
        text = await drawDiagram(await resolveVizTarget(name), format);
      } catch (err) {
        if (err instanceof VizError || err instanceof RenderError) throw new CliError(err.message, 2);
        throw err;
      }
      if (out !== undefined) {
        writeFileAtomic(out, text);
        process.stderr.write(`wrote ${flags.out} (${format}, ${Buffer.byteLength(text)} bytes)\n`);
      } else process.stdout.write(text);
    });
}
