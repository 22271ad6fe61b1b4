// `selfimprove report RUN_DIR`: a finished run as one static HTML file (charts, summary tables,
// sample completions) that opens from disk without a server.
import type { Command } from "commander";
import { buildReport } from "../../report/build.js";
import { ReportError } from "../../report/load.js";
import { CliError } from "../errors.js";
import { checkOutputFile } from "../out-path.js";

export function registerReport(program: Command): Command {
  return program
    .command("report")
    .description("write a static HTML report of a finished run (opens without a server)")
    .argument("<run-dir>", "the run directory (runs/<scenario>, or what --out named)")
    .option("--out <file>", "where to write the report (default: RUN_DIR/report.html)")
    .action(async (runDir: string, flags: { out?: string }) => {
      // An unwritable --out fails before the run is read and drawn, naming the path. (The default,
      // inside the run directory, is only known to be usable once the run directory is.)
      const out = flags.out !== undefined ? checkOutputFile(flags.out) : undefined;
      try {
        const r = await buildReport(runDir, out);
        process.stdout.write(`${r.file}\n`);
        process.stderr.write(
          `report of ${r.data.summary.scenario}: ${r.data.metrics.length} steps, ${r.data.completions.length} completions, ${(r.bytes / 1024).toFixed(0)} KiB\n`,
        );
      } catch (err) {
        if (err instanceof ReportError) throw new CliError(err.message, 2);
        throw err;
      }
    });
}
