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
import { InspectorError, isLoopback, reachableUrls } from "./listen.js";

export const INSPECT_MODES = ["local", "stately"] as const;
export type InspectMode = (typeof INSPECT_MODES)[number];

export function parseInspectMode(value: string): InspectMode {
  if ((INSPECT_MODES as readonly string[]).includes(value)) return value as InspectMode;
  throw new InspectorError(
    `--inspect takes no value (selfimprove's own inspector) or =stately (got "${value}"; write the scenario before --inspect, or use --inspect=stately)`,
  );
}

export interface InspectHooks {
  inspect: (e: InspectionEvent) => void;
  onStep: (m: StepMetrics) => void;
  onCompletions: (records: CompletionRecord[]) => void;
  onPhase: (phase: string) => void;
}

export interface InspectSession {
  readonly mode: InspectMode;
  /** The page's address with the run's token. */
  readonly url: string;
  /** Stay up after the run until Ctrl-C (--keep-open) instead of closing with it. */
  readonly keepOpen: boolean;
  /** What to tell the person at the terminal once it is up. */
  readonly banner: string;
  readonly hooks: InspectHooks;
  attach(run: RunControl): void;
  finish(error?: string): void;
  /** Closes the server; open pages are told `reason`. */
  close(reason?: string): Promise<void>;
}

export interface SessionOptions {
  host: string;
  port: number;
  keepOpen?: boolean;
  /** Told about each client dropped for misbehaving (default: one line on stderr). */
  onClientError?: (message: string) => void;
}

const stderrLine = (message: string): void => {
  process.stderr.write(`${message}\n`);
};

/**
 * Beyond loopback: a warning first, then every address the server is really reachable at (a
 * wildcard bind is not "127.0.0.1"), each with the token, which there guards reads too.
 */
function bannerFor(label: string, url: string, host: string, port: number): string {
  if (isLoopback(host)) return `${label}: ${url}`;
  const query = new URL(url).search;
  const urls = reachableUrls(host, port).map((u) => `${u}${query}`);
  if (host === "0.0.0.0" || host === "::") urls.push(url);
  return [
    `warning: --host ${host} makes the inspector reachable from other machines. It shows nothing without the run's token, ` +
      "but anyone who has the URL below can watch the run and pause or step it; prefer the default 127.0.0.1 (with an SSH tunnel to look from elsewhere).",
    ...urls.map((u) => `${label}: ${u}`),
  ].join("\n");
}

export async function startInspectSession(
  mode: InspectMode,
  scenario: Scenario,
  totalSteps: number,
  opts: SessionOptions,
): Promise<InspectSession> {
  if (mode === "stately") {
    const bridge = await startStatelyBridge({ ...opts, onClientError: opts.onClientError ?? stderrLine });
    const where = isLoopback(opts.host) ? bridge.url : "the address above";
    return {
      mode,
      url: bridge.url,
      keepOpen: opts.keepOpen === true,
      banner:
        `${isLoopback(opts.host) ? "" : `${bannerFor("Stately inspector", bridge.url, opts.host, bridge.port)}\n`}` +
        `Stately inspector: open ${where} in a browser. It embeds Stately's inspector UI from ${STATELY_INSPECTOR_URL}, ` +
        "so that browser needs internet access; without it, use --inspect (no value) for the offline inspector.",
      hooks: { inspect: bridge.inspect, onStep: () => {}, onCompletions: () => {}, onPhase: () => {} },
      attach: () => {},
      finish: () => {},
      close: () => bridge.close(),
    };
  }
  const hub = await InspectorHub.create(scenario, totalSteps);
  const server = await startInspectorServer(hub, { ...opts, onClientError: opts.onClientError ?? stderrLine });
  return {
    mode,
    url: server.url,
    keepOpen: opts.keepOpen === true,
    banner: bannerFor("inspector", server.url, opts.host, server.port),
    hooks: { inspect: hub.inspect, onStep: hub.step, onCompletions: hub.completionsOf, onPhase: hub.phaseOf },
    attach: (run) => hub.attach(run),
    finish: (error) => hub.finish(error),
    close: (reason) => server.close(reason),
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
