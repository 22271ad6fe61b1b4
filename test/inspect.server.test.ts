// The inspector's server: serves only its page and the vendored chart library (nothing from the
// network), answers only to localhost names, talks hello / tick / ack over its WebSocket, and a
// taken port is a clear error, from the API and from `selfimprove run --inspect`.
import { spawn } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import WebSocket from "ws";
import { loadScenario } from "../src/run/load.js";
import { InspectorHub, type RunControl } from "../src/inspect/hub.js";
import { startInspectorServer, type InspectorServer } from "../src/inspect/server.js";
import { ASSETS } from "../src/inspect/assets.js";
import { InspectorError, hostAllowed, urlFor } from "../src/inspect/listen.js";
import type { AckMessage, HelloMessage, ServerMessage, TickMessage } from "../src/inspect/protocol.js";
import { PROJECT_ROOT } from "../src/paths.js";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "selfimprove-server-"));
let server: InspectorServer;
const calls: string[] = [];
const control: RunControl = {
  edges: [],
  paused: false,
  pause: () => calls.push("pause"),
  resume: () => calls.push("resume"),
  stepOnce: () => calls.push("step"),
};

beforeAll(async () => {
  const { scenario } = await loadScenario("grpo-countdown");
  const hub = await InspectorHub.create(scenario, 3);
  hub.attach(control);
  server = await startInspectorServer(hub, { host: "127.0.0.1", port: 0, tickMs: 50 });
});
afterAll(async () => {
  await server.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

function get(
  pathname: string,
  headers: Record<string, string> = {},
  method = "GET",
): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port: server.port, path: pathname, method, headers }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (body += c));
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, type: String(res.headers["content-type"] ?? ""), body }),
      );
    });
    req.on("error", reject);
    req.end();
  });
}

/** Opens a page-like WebSocket (with the run's token, as the printed URL gives it) and collects what the server says. */
function connect(origin = `http://127.0.0.1:${server.port}`): Promise<{ ws: WebSocket; messages: ServerMessage[] }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/ws?token=${server.token}`, { origin });
    const messages: ServerMessage[] = [];
    ws.on("message", (data) => messages.push(JSON.parse(String(data)) as ServerMessage));
    ws.on("open", () => resolve({ ws, messages }));
    ws.on("error", reject);
    ws.on("unexpected-response", (_req, res) => reject(new Error(`handshake refused: ${res.statusCode}`)));
  });
}

async function until<T>(f: () => T | undefined, what: string, ms = 3000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = f();
    if (v !== undefined) return v;
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe("HTTP", () => {
  test("serves the page and its vendored scripts, with nothing fetched from elsewhere", async () => {
    const page = await get("/");
    expect(page.status).toBe(200);
    expect(page.type).toMatch(/^text\/html/);
    expect(page.body).toContain('<script src="/vendor/uPlot.iife.min.js"></script>');
    expect(page.body).not.toMatch(/(src|href)="(https?:)?\/\//);
    for (const [p, asset] of Object.entries(ASSETS)) {
      const r = await get(p);
      expect(r.status, p).toBe(200);
      expect(r.type, p).toBe(asset.type);
    }
    const uplot = await get("/vendor/uPlot.iife.min.js");
    expect(uplot.body).toBe(
      fs.readFileSync(createRequire(import.meta.url).resolve("uplot/dist/uPlot.iife.min.js"), "utf8"),
    );
    const state = JSON.parse((await get("/api/state")).body) as HelloMessage;
    expect(state.scenario).toBe("grpo-countdown");
    expect(state.charts.map((c) => c.name)).toEqual(["run", "student", "verifier", "learner"]);
  });

  test("anything else is refused: unknown paths, other methods, other host names (DNS rebinding)", async () => {
    expect((await get("/../package.json")).status).toBe(404);
    expect((await get("/src/inspect/server.ts")).status).toBe(404);
    expect((await get("/", {}, "POST")).status).toBe(405);
    expect((await get("/", { Host: `attacker.example:${server.port}` })).status).toBe(403);
    expect((await get("/", { Host: `localhost:${server.port}` })).status).toBe(200);
    expect(hostAllowed("192.168.1.5:80", "0.0.0.0")).toBe(true); // bound to all interfaces on purpose: any name
    expect(hostAllowed("[::1]:4780", "127.0.0.1")).toBe(true);
    expect(urlFor("127.0.0.1", 4780)).toBe("http://127.0.0.1:4780/");
    expect(urlFor("::1", 80)).toBe("http://[::1]:80/");
  });
});

describe("WebSocket", () => {
  test("hello first, then ticks; commands are acknowledged and reach the run", async () => {
    const { ws, messages } = await connect();
    try {
      const hello = await until(() => messages.find((m): m is HelloMessage => m.type === "hello"), "hello");
      expect(messages[0]).toBe(hello);
      expect(hello.topology.svg).toContain('id="edge:0"');
      await until(() => messages.find((m): m is TickMessage => m.type === "tick"), "a tick");
      ws.send(JSON.stringify({ type: "pause" }));
      const ack = await until(() => messages.find((m): m is AckMessage => m.type === "ack"), "an ack");
      expect(ack).toEqual({ type: "ack", command: "pause", ok: true, message: "pausing when the current step ends" });
      expect(calls).toEqual(["pause"]);
      ws.send("{not json");
      ws.send(JSON.stringify({ type: "stop" }));
      await until(() => (messages.filter((m) => m.type === "ack").length === 3 ? true : undefined), "two more acks");
      const invalid = messages.filter((m): m is AckMessage => m.type === "ack").slice(1);
      expect(invalid.every((a) => a.command === "invalid" && !a.ok)).toBe(true);
      expect(calls).toEqual(["pause"]);
    } finally {
      ws.close();
    }
  });

  test("a page from another origin cannot connect", async () => {
    await expect(connect("http://attacker.example")).rejects.toThrow("handshake refused: 403");
  });
});

describe("a taken port", () => {
  test("is an InspectorError naming the port and the way out", async () => {
    const hub = await InspectorHub.create((await loadScenario("eval-countdown")).scenario, 1);
    const err = await startInspectorServer(hub, { host: "127.0.0.1", port: server.port }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InspectorError);
    expect((err as Error).message).toBe(
      `port ${server.port} is already in use on 127.0.0.1; pick another with --port (or --port 0 for any free port)`,
    );
  });

  test("`selfimprove run --inspect` on a taken port exits 2 with that message, before writing anything", async () => {
    const blocker = http.createServer();
    await new Promise<void>((r) => blocker.listen(0, "127.0.0.1", r));
    const port = (blocker.address() as AddressInfo).port;
    const out = path.join(tmp, "never");
    try {
      const r = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
        const child = spawn(
          process.execPath,
          [
            path.join(PROJECT_ROOT, "bin", "selfimprove.js"),
            "run",
            "eval-countdown",
            "--inspect",
            "--port",
            String(port),
            "--no-eval",
            "--backend",
            "wasm",
            "--out",
            out,
          ],
          {
            cwd: PROJECT_ROOT,
            stdio: ["ignore", "ignore", "pipe"],
          },
        );
        let stderr = "";
        child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
        child.on("close", (code) => resolve({ code, stderr }));
      });
      expect(r.stderr).toContain(
        `selfimprove: port ${port} is already in use on 127.0.0.1; pick another with --port (or --port 0 for any free port)`,
      );
      expect(r.code).toBe(2);
      expect(fs.existsSync(out)).toBe(false);
    } finally {
      blocker.close();
    }
  });
});
