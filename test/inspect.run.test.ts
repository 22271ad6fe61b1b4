// Issue 12 against the real thing: a `selfimprove run ... --inspect --port 0` child process. Held
// paused from a page that has the printed token URL, it is sent every malformed frame that used to
// end the process (exit 7); it must keep running, finish when resumed, tell the page it finished,
// close the inspector and exit 0 on its own (no --keep-open, no Ctrl-C).
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import WebSocket from "ws";
import { PROJECT_ROOT } from "../src/paths.js";
import type { AckMessage, RunStatus, ServerMessage } from "../src/inspect/protocol.js";
import { MALFORMED, closeCode, rawUpgrade, until } from "./helpers/ws-raw.js";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "selfimprove-inspect-run-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe("`selfimprove run --inspect` under malformed WebSocket frames", () => {
  test("keeps running, finishes, and closes its inspector with the run", { timeout: 120_000 }, async () => {
    const args = [
      "run",
      "grpo-countdown",
      "--steps",
      "2",
      "--set",
      "tasksPerStep=2",
      "--set",
      "groupSize=2",
      "--no-eval",
      "--inspect",
      "--port",
      "0",
      "--backend",
      "wasm",
      "--out",
      path.join(tmp, "run"),
    ];
    const child = spawn(process.execPath, [path.join(PROJECT_ROOT, "bin", "selfimprove.js"), ...args], {
      cwd: PROJECT_ROOT,
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((r) => child.on("close", (code) => r(code)));
    let page: WebSocket | undefined;
    try {
      const url = await until(
        () => /inspector: (http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+)/.exec(stderr)?.[1],
        "the inspector's URL",
        60_000,
      );
      const { port, searchParams } = new URL(url);
      const token = searchParams.get("token") ?? "";

      // The page, with the token: it holds the run paused while the frames go in.
      const messages: ServerMessage[] = [];
      let closedWith: { code: number; reason: string } | undefined;
      const ws = new WebSocket(`ws://127.0.0.1:${port}/ws?token=${token}`, { origin: `http://127.0.0.1:${port}` });
      page = ws;
      ws.on("message", (d) => messages.push(JSON.parse(String(d)) as ServerMessage));
      ws.on("close", (code, reason) => (closedWith = { code, reason: reason.toString() }));
      await new Promise((r) => ws.on("open", r));
      const acks = (): AckMessage[] => messages.filter((m): m is AckMessage => m.type === "ack");
      const status = (): RunStatus | undefined => {
        for (let i = messages.length - 1; i >= 0; i--) {
          const m = messages[i] as ServerMessage;
          if (m.type !== "ack") return m.status;
        }
        return undefined;
      };
      // Until the run exists the hub answers "the run is still starting": ask again.
      for (;;) {
        const n = acks().length;
        ws.send(JSON.stringify({ type: "pause" }));
        const ack = await until(() => acks()[n], "an ack to Pause", 30_000);
        if (ack.ok) break;
        expect(ack.message).toBe("the run is still starting");
        await new Promise((r) => setTimeout(r, 100));
      }
      await until(() => (status()?.paused ? true : undefined), "the run to pause", 60_000);
      const step = status()?.step;

      for (const [what, bytes, code] of MALFORMED) {
        const raw = await rawUpgrade(Number(port), `?token=${token}`);
        expect(raw.status, what).toBe("HTTP/1.1 101 Switching Protocols");
        raw.socket.write(bytes);
        await raw.closed;
        expect(closeCode(raw.received()), what).toBe(code);
        expect(child.exitCode, `the run died on ${what}; stderr:\n${stderr}`).toBe(null);
      }
      const state = (await fetch(`http://127.0.0.1:${port}/api/state`).then((r) => r.json())) as { status: RunStatus };
      expect(state.status.paused).toBe(true);
      expect(state.status.step).toBe(step);
      expect(stderr.match(/inspector: dropped a client that sent a bad WebSocket frame \(/g)?.length).toBe(
        MALFORMED.length,
      );

      ws.send(JSON.stringify({ type: "resume" }));
      const code = await exited;
      expect(code, stderr).toBe(0);
      expect(stderr).toContain("run finished; the inspector closed (--keep-open keeps it up after the run)");
      expect(stderr).not.toMatch(/Ctrl-C to quit/);
      // The page saw the end, then was told the inspector closed with the run.
      await until(() => closedWith, "the page's socket to close");
      expect(status()?.finished).toBe(true);
      expect(status()?.step).toBe(2);
      expect(closedWith).toEqual({ code: 1000, reason: "run finished; the inspector closed with it" });
    } finally {
      page?.terminate();
      if (child.exitCode === null) child.kill("SIGKILL");
      await exited;
    }
  });
});
