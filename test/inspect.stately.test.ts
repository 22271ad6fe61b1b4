// `--inspect=stately`: the flag is accepted (and a bad value is a clear error), the Stately
// inspector is created from @statelyai/inspect and fed a run's xstate inspection events, and the
// local bridge relays Stately's events to its page (late pages get the backlog). No network:
// nothing here loads Stately's UI.
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Command } from "commander";
import { afterAll, describe, expect, test } from "vitest";
import WebSocket from "ws";
import { loadScenario } from "../src/run/load.js";
import { ScenarioRun } from "../src/run/runner.js";
import { hostOption, inspectOption, keepOpenOption, portOption, type InspectFlags } from "../src/cli/inspect-flags.js";
import { shrink, startStatelyBridge, STATELY_INSPECTOR_URL } from "../src/inspect/stately.js";
import { CliError } from "../src/cli/errors.js";
import { PROJECT_ROOT } from "../src/paths.js";
import { RecordingUpdate, StandInPolicy, fixedProblems } from "./helpers/standin.js";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "selfimprove-stately-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function parse(args: string[]): InspectFlags {
  let flags: InspectFlags = {};
  const program = new Command().exitOverride();
  program
    .command("run")
    .argument("<scenario>")
    .addOption(inspectOption())
    .addOption(portOption())
    .addOption(hostOption())
    .addOption(keepOpenOption())
    .action((_s: string, f: InspectFlags) => {
      flags = f;
    });
  program.parse(["node", "selfimprove", "run", ...args]);
  return flags;
}

describe("the flags", () => {
  test("--inspect alone is selfimprove's inspector, --inspect=stately is Stately's", () => {
    expect(parse(["r3-countdown"])).toEqual({});
    expect(parse(["r3-countdown", "--inspect"])).toEqual({ inspect: "local" });
    expect(parse(["r3-countdown", "--inspect", "--keep-open"])).toEqual({ inspect: "local", keepOpen: true });
    expect(parse(["r3-countdown", "--inspect=stately", "--port", "0", "--host", "::1"])).toEqual({
      inspect: "stately",
      port: 0,
      host: "::1",
    });
    expect(parse(["r3-countdown", "--inspect", "stately"])).toEqual({ inspect: "stately" });
  });

  test("a bad value or port is a CliError that says what is accepted", () => {
    expect(() => parse(["r3-countdown", "--inspect=sky"])).toThrow(CliError);
    expect(() => parse(["r3-countdown", "--inspect=sky"])).toThrow(
      /--inspect takes no value .* or =stately \(got "sky"/,
    );
    // The scenario written after a bare --inspect is taken as its value: the message says so.
    expect(() => parse(["--inspect", "r3-countdown"])).toThrow(/write the scenario before --inspect/);
    expect(() => parse(["r3-countdown", "--inspect", "--port", "70000"])).toThrow(
      '--port must be an integer in [0, 65535] (0: any free port; got "70000")',
    );
  });
});

describe("the Stately bridge", () => {
  test("is created, turns a real run's inspection events into Stately's and relays them to pages", async () => {
    const bridge = await startStatelyBridge({ host: "127.0.0.1", port: 0 });
    try {
      const page = await fetch(bridge.url).then((r) => r.text());
      expect(page).toContain(`<iframe id="inspector" src="${STATELY_INSPECTOR_URL}"`);
      expect(page).toContain("needs internet access in this browser");

      const early: unknown[] = [];
      const ws = new WebSocket(`ws://127.0.0.1:${bridge.port}/ws`, { origin: `http://127.0.0.1:${bridge.port}` });
      ws.on("message", (d) => early.push(JSON.parse(String(d))));
      await new Promise((r) => ws.on("open", r));

      const { scenario } = await loadScenario("r3-countdown");
      const problems = fixedProblems(4);
      const run = await ScenarioRun.create(
        { ...scenario, settings: { ...scenario.settings, tasksPerStep: 2, groupSize: 2 } },
        {
          out: path.join(tmp, "run"),
          steps: 1,
          skipEval: true,
          inspect: (e) => bridge.inspect(e),
          overrides: {
            policy: new StandInPolicy(problems, new Set()),
            update: new RecordingUpdate().fn,
            problems: (_s, n) => problems.slice(0, n),
          },
        },
      );
      await run.run();
      // The library converts events on a timer; wait for them to arrive.
      const t0 = Date.now();
      while (early.length < 20 && Date.now() - t0 < 3000) await new Promise((r) => setTimeout(r, 20));
      ws.close();

      type Ev = {
        type: string;
        _version?: string;
        name?: string;
        sessionId?: string;
        snapshot?: { value?: unknown; context?: Record<string, unknown> };
      };
      const events = early as Ev[];
      expect(events.length).toBeGreaterThan(20);
      expect(events.every((e) => typeof e._version === "string" && typeof e.sessionId === "string")).toBe(true);
      const actors = events.filter((e) => e.type === "@xstate.actor").map((e) => e.name);
      expect(actors).toEqual(expect.arrayContaining(["run", "student", "verifier", "reflector", "learner"]));
      const snaps = events.filter((e) => e.type === "@xstate.snapshot");
      expect(snaps.some((e) => e.snapshot?.value === "generating")).toBe(true);
      expect(bridge.relayed).toBe(events.length);

      // A page that opens later still gets what it missed.
      const late: unknown[] = [];
      const ws2 = new WebSocket(`ws://127.0.0.1:${bridge.port}/ws`, { origin: `http://127.0.0.1:${bridge.port}` });
      ws2.on("message", (d) => late.push(JSON.parse(String(d))));
      await new Promise((r) => ws2.on("open", r));
      const t1 = Date.now();
      while (late.length < events.length && Date.now() - t1 < 3000) await new Promise((r) => setTimeout(r, 20));
      ws2.close();
      expect(late.length).toBe(events.length);
    } finally {
      await bridge.close();
    }
  });

  test("payloads are shrunk: batches of messages do not make every snapshot megabytes", () => {
    const batch = Array.from({ length: 100 }, (_, i) => ({
      tokens: Array.from({ length: 50 }, () => i),
      text: "x".repeat(1000),
    }));
    const small = JSON.stringify(shrink({ queue: batch, processed: 7 }));
    expect(small.length).toBeLessThan(1000);
    expect(small).toContain("… 97 more");
    expect(shrink({ a: { b: { c: { d: { e: 1 } } } } })).toEqual({ a: { b: { c: { d: "{…}" } } } });
  });

  test("`selfimprove run SCENARIO --inspect=stately --keep-open` starts the bridge, says where (and what it needs), and stays up until Ctrl-C", async () => {
    const child = spawn(
      process.execPath,
      [
        path.join(PROJECT_ROOT, "bin", "selfimprove.js"),
        "run",
        "eval-countdown",
        "--inspect=stately",
        "--port",
        "0",
        "--keep-open",
        "--steps",
        "1",
        "--no-eval",
        "--backend",
        "wasm",
        "--out",
        path.join(tmp, "cli"),
      ],
      {
        cwd: PROJECT_ROOT,
        stdio: ["ignore", "ignore", "pipe"],
      },
    );
    let stderr = "";
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    try {
      const t0 = Date.now();
      while (!stderr.includes("Ctrl-C to quit") && child.exitCode === null && Date.now() - t0 < 45_000)
        await new Promise((r) => setTimeout(r, 50));
      expect(stderr).toMatch(
        /Stately inspector: open http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+ in a browser\. It embeds Stately's inspector UI from https:\/\/stately\.ai\/inspect, so that browser needs internet access; without it, use --inspect \(no value\) for the offline inspector\./,
      );
      expect(stderr).toMatch(
        /run finished; the inspector stays up at http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+ \(Ctrl-C to quit\)/,
      );
      // Still up after the run: the page is served.
      const url = /stays up at (\S+)/.exec(stderr)?.[1] ?? "";
      expect((await fetch(url)).status).toBe(200);
      expect(child.exitCode).toBe(null);
    } finally {
      child.kill("SIGINT");
      await new Promise((r) => child.on("close", r));
    }
    expect(child.exitCode).toBe(0);
  });
});
