// One inspection of one run, as `selfimprove run --inspect` uses it: starts the chosen inspector
// (selfimprove's own page, or the bridge to Stately's), hands the runner the hooks to feed it,
// and is told about the run once it exists, when it ends, and when to shut down.
import type { InspectionEvent } from "xstate";
import type { Scenario } from "../run/scenario.js";
import type { StepMetrics } from "../run/runner.js";
import type { CompletionRecord } from "../run/taps.js";
import { InspectorHub, type RunControl } from "./hub.js";
import { startInspectorServer } from "./server.js";
import { startStatelyBridge, STATELY_INSPECTOR_URL } from "./stately.js";
import { InspectorError } from "./listen.js";

export const INSPECT_MODES = ["local", "stately"] as const;
export type InspectMode = (typeof INSPECT_MODES)[number];

export function parseInspectMode(value: string): InspectMode {
  if ((INSPECT_MODES as readonly string[]).includes(value)) return value as InspectMode;
  throw new InspectorError(`--inspect takes no value (selfimprove's own inspector) or =stately (got "${value}"; write the scenario before --inspect, or use --inspect=stately)`);
}

export interface InspectHooks {
  inspect: (e: InspectionEvent) => void;
  onStep: (m: StepMetrics) => void;
  onCompletions: (records: CompletionRecord[]) => void;
  onPhase: (phase: string) => void;
}

export interface InspectSession {
  readonly mode: InspectMode;
  readonly url: string;
  /** What to tell the person at the terminal once it is up. */
  readonly banner: string;
  readonly hooks: InspectHooks;
  attach(run: RunControl): void;
  finish(error?: string): void;
  close(): Promise<void>;
}

export interface SessionOptions {
  host: string;
  port: number;
}

export async function startInspectSession(mode: InspectMode, scenario: Scenario, totalSteps: number, opts: SessionOptions): Promise<InspectSession> {
  if (mode === "stately") {
    const bridge = await startStatelyBridge(opts);
    return {
      mode,
      url: bridge.url,
      banner:
        `Stately inspector: open ${bridge.url} in a browser. It embeds Stately's inspector UI from ${STATELY_INSPECTOR_URL}, ` +
        "so that browser needs internet access; without it, use --inspect (no value) for the offline inspector.",
      hooks: { inspect: bridge.inspect, onStep: () => {}, onCompletions: () => {}, onPhase: () => {} },
      attach: () => {},
      finish: () => {},
      close: () => bridge.close(),
    };
  }
  const hub = await InspectorHub.create(scenario, totalSteps);
  const server = await startInspectorServer(hub, opts);
  return {
    mode,
    url: server.url,
    banner: `inspector: ${server.url}`,
    hooks: { inspect: hub.inspect, onStep: hub.step, onCompletions: hub.completionsOf, onPhase: hub.phaseOf },
    attach: (run) => hub.attach(run),
    finish: (error) => hub.finish(error),
    close: () => server.close(),
  };
}

/** Resolves on the next Ctrl-C (or SIGTERM): how an inspector that outlives its run is closed. */
export function untilInterrupted(): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      process.off("SIGINT", done);
      process.off("SIGTERM", done);
      resolve();
    };
    process.on("SIGINT", done);
    process.on("SIGTERM", done);
  });
}
