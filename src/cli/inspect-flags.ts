// The `run` command's inspection flags (--inspect[=stately], --port, --host, --keep-open) and what they do
// around a run, kept here so the run command only gains a few lines.
import { Option } from "commander";
import type { Scenario } from "../run/scenario.js";
import { CliError } from "./errors.js";
import { DEFAULT_HOST, DEFAULT_PORT, InspectorError } from "../inspect/listen.js";
import {
  parseInspectMode,
  startInspectSession,
  untilInterrupted,
  type InspectMode,
  type InspectSession,
} from "../inspect/session.js";

export interface InspectFlags {
  inspect?: InspectMode;
  port?: number;
  host?: string;
  keepOpen?: boolean;
}

function portFlag(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new CliError(`--port must be an integer in [0, 65535] (0: any free port; got "${value}")`, 2);
  return n;
}

function modeFlag(value: string): InspectMode {
  try {
    return parseInspectMode(value);
  } catch (err) {
    throw new CliError(err instanceof Error ? err.message : String(err), 2);
  }
}

export const inspectOption = (): Option =>
  new Option(
    "--inspect [ui]",
    "serve a live inspector page while the run goes (statecharts, topology, events, charts, completions; pause and step); --inspect=stately sends the events to Stately's inspector instead",
  )
    .preset("local")
    .argParser(modeFlag);

export const portOption = (): Option =>
  new Option("--port <n>", `inspector port (default ${DEFAULT_PORT}; 0: any free port)`).argParser(portFlag);

export const hostOption = (): Option =>
  new Option(
    "--host <host>",
    `inspector address to listen on (default ${DEFAULT_HOST}: this machine only; any other address needs the run's token for everything)`,
  );

export const keepOpenOption = (): Option =>
  new Option("--keep-open", "keep the inspector up after the run ends, until Ctrl-C (default: it closes with the run)");

/** Starts the inspector the flags ask for (none without --inspect), before the run is created. */
export async function openInspection(
  flags: InspectFlags,
  scenario: Scenario,
  totalSteps: number,
): Promise<InspectSession | undefined> {
  if (flags.inspect === undefined) {
    if (flags.port !== undefined || flags.host !== undefined || flags.keepOpen !== undefined)
      throw new CliError("--port, --host and --keep-open set up the inspector: add --inspect", 2);
    return undefined;
  }
  try {
    const session = await startInspectSession(flags.inspect, scenario, totalSteps, {
      host: flags.host ?? DEFAULT_HOST,
      port: flags.port ?? DEFAULT_PORT,
      keepOpen: flags.keepOpen === true,
    });
    process.stderr.write(`${session.banner}\n`);
    return session;
  } catch (err) {
    if (err instanceof InspectorError) throw new CliError(err.message, 2);
    throw err;
  }
}

/**
 * After the run (or its failure): the page shows the end state, then the server closes and the
 * process can exit. With --keep-open it stays up for a look at the end state, until Ctrl-C.
 */
export async function endInspection(session: InspectSession, error?: string): Promise<void> {
  session.finish(error);
  const what = error !== undefined ? "run failed" : "run finished";
  if (!session.keepOpen) {
    await session.close(`${what}; the inspector closed with it`);
    process.stderr.write(`${what}; the inspector closed (--keep-open keeps it up after the run)\n`);
    return;
  }
  // Listen before saying "Ctrl-C to quit": whoever reads that may press it at once (a busy machine
  // can run them before this process reaches its next line, and an unheard Ctrl-C kills it).
  const interrupted = untilInterrupted();
  process.stderr.write(`${what}; the inspector stays up at ${session.url} (Ctrl-C to quit)\n`);
  await interrupted;
  await session.close("the inspector was closed (Ctrl-C)");
}
