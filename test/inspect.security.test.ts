// The inspector's defences (issue 12), against a running server: Host names that could come from
// DNS rebinding are refused and real loopback names accepted; controls need the run's token while
// watching does not; malformed WebSocket frames (oversized, invalid UTF-8, unmasked) drop that
// client only; connections are capped; silent clients time out; beyond loopback the token guards
// everything and the banner warns and gives the real address. The same for the Stately bridge.
import http from "node:http";
import net from "node:net";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import WebSocket from "ws";
import { loadScenario } from "../src/run/load.js";
import { InspectorHub, type RunControl } from "../src/inspect/hub.js";
import { startInspectorServer, type InspectorServer } from "../src/inspect/server.js";
import { startStatelyBridge, type StatelyBridge } from "../src/inspect/stately.js";
import { startInspectSession } from "../src/inspect/session.js";
import { hostAllowed, isLoopback, reachableUrls } from "../src/inspect/listen.js";
import { tokenMatches } from "../src/inspect/guard.js";
import type { AckMessage, HelloMessage, ServerMessage } from "../src/inspect/protocol.js";
import type { Scenario } from "../src/run/scenario.js";
import { MALFORMED, closeCode, frame, rawUpgrade, until } from "./helpers/ws-raw.js";

let scenario: Scenario;
let server: InspectorServer;
const calls: string[] = [];
const dropped: string[] = [];
const control: RunControl = {
  edges: [],
  paused: false,
  pause: () => calls.push("pause"),
  resume: () => calls.push("resume"),
  stepOnce: () => calls.push("step"),
};

async function startServer(host: string, limits = {}): Promise<InspectorServer> {
  const hub = await InspectorHub.create(scenario, 3);
  hub.attach(control);
  return startInspectorServer(hub, { host, port: 0, tickMs: 50, limits, onClientError: (m) => dropped.push(m) });
}

beforeAll(async () => {
  scenario = (await loadScenario("grpo-countdown")).scenario;
  server = await startServer("127.0.0.1", { maxClients: 4 });
});
afterAll(async () => {
  await server.close();
});

function get(
  port: number,
  pathname: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port, path: pathname, headers }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

interface Client {
  ws: WebSocket;
  messages: ServerMessage[];
}

/** A WebSocket client; rejects with the HTTP status of a refused handshake. */
function connect(port: number, query = "", headers: Record<string, string> = {}): Promise<Client> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws${query}`, {
      origin: `http://${headers.Host ?? `127.0.0.1:${port}`}`,
      headers,
    });
    const messages: ServerMessage[] = [];
    ws.on("message", (data) => messages.push(JSON.parse(String(data)) as ServerMessage));
    ws.on("open", () => resolve({ ws, messages }));
    ws.on("error", reject);
    ws.on("unexpected-response", (_req, res) => reject(new Error(`handshake refused: ${res.statusCode}`)));
  });
}

const acks = (c: Client): AckMessage[] => c.messages.filter((m): m is AckMessage => m.type === "ack");
const hello = (c: Client): Promise<HelloMessage> =>
  until(() => c.messages.find((m): m is HelloMessage => m.type === "hello"), "hello");

async function closeAll(clients: Client[]): Promise<void> {
  await Promise.all(
    clients.map(
      (c) =>
        new Promise((r) =>
          c.ws.readyState === WebSocket.CLOSED ? r(undefined) : (c.ws.once("close", r), c.ws.close()),
        ),
    ),
  );
}

describe("Host names (DNS rebinding)", () => {
  test("names that merely start like loopback are refused; real loopback names are accepted", async () => {
    const port = server.port;
    for (const name of [
      "127.evil.example",
      "127.0.0.1.nip.io",
      "localhost.evil",
      `127.evil.example:${port}`,
      `127.0.0.1.nip.io:${port}`,
      "attacker.example",
    ]) {
      expect(hostAllowed(name, "127.0.0.1"), name).toBe(false);
      expect((await get(port, "/api/state", { Host: name })).status, name).toBe(403);
      await expect(connect(port, `?token=${server.token}`, { Host: name }), name).rejects.toThrow(
        "handshake refused: 403",
      );
    }
    for (const name of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, "127.1.2.3", "LOCALHOST"]) {
      expect(hostAllowed(name, "127.0.0.1"), name).toBe(true);
      expect((await get(port, "/api/state", { Host: name })).status, name).toBe(200);
    }
    const c = await connect(port, "", { Host: `localhost:${port}` });
    await hello(c);
    await closeAll([c]);
    expect(isLoopback("127.0.0.1")).toBe(true);
    expect(isLoopback("127.255.255.254")).toBe(true);
    expect(isLoopback("127.1")).toBe(false);
    expect(isLoopback("127.0.0.1.")).toBe(false);
    expect(isLoopback("128.0.0.1")).toBe(false);
  });
});

describe("the run's token", () => {
  test("the printed URL carries it, and it is compared whole", () => {
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/?token=${server.token}`);
    expect(server.token).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect(tokenMatches(server.token, server.token)).toBe(true);
    expect(tokenMatches(server.token.slice(0, -1), server.token)).toBe(false);
    expect(tokenMatches(null, server.token)).toBe(false);
  });

  test("without it (or with a wrong one) a page watches but cannot pause, step or resume", async () => {
    calls.length = 0;
    expect((await get(server.port, "/api/state")).status).toBe(200);
    for (const query of ["", "?token=", "?token=not-the-token", `?token=${server.token}x`]) {
      const c = await connect(server.port, query);
      try {
        const h = await hello(c);
        expect(h.control, query).toBe(false);
        expect(h.scenario).toBe("grpo-countdown");
        await until(() => (c.messages.some((m) => m.type === "tick") ? true : undefined), "a tick");
        for (const type of ["pause", "step", "resume"]) c.ws.send(JSON.stringify({ type }));
        const got = await until(() => (acks(c).length === 3 ? acks(c) : undefined), "three acks");
        for (const ack of got) {
          expect(ack.ok).toBe(false);
          expect(ack.message).toMatch(/^read-only: this page was opened without the run's token/);
        }
      } finally {
        await closeAll([c]);
      }
    }
    expect(calls).toEqual([]);
  });

  test("with it, commands reach the run", async () => {
    calls.length = 0;
    const c = await connect(server.port, `?token=${server.token}`);
    try {
      expect((await hello(c)).control).toBe(true);
      c.ws.send(JSON.stringify({ type: "pause" }));
      const [ack] = await until(() => (acks(c).length === 1 ? acks(c) : undefined), "an ack");
      expect(ack).toEqual({ type: "ack", command: "pause", ok: true, message: "pausing when the current step ends" });
      expect(calls).toEqual(["pause"]);
    } finally {
      await closeAll([c]);
    }
  });
});

describe("malformed WebSocket frames", () => {
  test.each(MALFORMED)("%s drops that client only; the server and other pages go on", async (_what, bytes, code) => {
    const watcher = await connect(server.port);
    try {
      await hello(watcher);
      const before = dropped.length;
      const raw = await rawUpgrade(server.port, `?token=${server.token}`);
      expect(raw.status).toBe("HTTP/1.1 101 Switching Protocols");
      raw.socket.write(bytes);
      await raw.closed;
      expect(closeCode(raw.received())).toBe(code);
      expect(dropped.length).toBe(before + 1);
      expect(dropped.at(-1)).toMatch(/^inspector: dropped a client that sent a bad WebSocket frame \(/);
      // Still serving: the other page keeps getting ticks, HTTP answers, new pages connect.
      const ticks = watcher.messages.length;
      await until(() => (watcher.messages.length >= ticks + 2 ? true : undefined), "more ticks for the other page");
      expect((await get(server.port, "/api/state")).status).toBe(200);
      const fresh = await connect(server.port, `?token=${server.token}`);
      expect((await hello(fresh)).control).toBe(true);
      await closeAll([fresh]);
    } finally {
      await closeAll([watcher]);
    }
  });
});

describe("caps and time limits", () => {
  test("WebSocket clients beyond the cap are refused (503) until one leaves", async () => {
    const clients = [];
    for (let i = 0; i < 4; i++) clients.push(await connect(server.port));
    try {
      await expect(connect(server.port, `?token=${server.token}`)).rejects.toThrow("handshake refused: 503");
      await closeAll(clients.splice(0, 1));
      await until(() => (server.clients === 3 ? true : undefined), "the server to see one leave");
      clients.push(await connect(server.port));
    } finally {
      await closeAll(clients);
    }
  });

  test("a silent TCP client is closed; a WebSocket peer that stops answering pings is dropped, one that answers stays", async () => {
    const quick = await startServer("127.0.0.1", {
      headersTimeoutMs: 200,
      requestTimeoutMs: 300,
      checkEveryMs: 50,
      idleSocketMs: 200,
      pingMs: 100,
    });
    try {
      const silent = net.connect(quick.port, "127.0.0.1");
      silent.on("error", () => {});
      await new Promise<void>((r) => silent.on("close", () => r()));
      // Slowloris: headers a line at a time, never finished; each line resets the idle timer only.
      const slow = net.connect(quick.port, "127.0.0.1");
      slow.on("error", () => {});
      let answer = "";
      slow.on("data", (c: Buffer) => (answer += c.toString()));
      slow.write("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n");
      const drip = setInterval(() => slow.writable && slow.write("X-Drip: 1\r\n"), 40);
      await new Promise<void>((r) => slow.on("close", () => r()));
      clearInterval(drip);
      expect(answer).toMatch(/^HTTP\/1\.1 408 /);

      const live = await connect(quick.port);
      let pings = 0;
      live.ws.on("ping", () => (pings += 1));
      const mute = await rawUpgrade(quick.port); // never answers a ping
      await mute.closed;
      await until(() => (pings >= 4 ? true : undefined), "four pings to the answering page");
      expect(live.ws.readyState).toBe(WebSocket.OPEN);
      await closeAll([live]);
    } finally {
      await quick.close();
    }
  });
});

describe("beyond loopback", () => {
  test("everything but the page's own files needs the token; the banner warns and names the real addresses", async () => {
    const wide = await startServer("0.0.0.0");
    try {
      const port = wide.port;
      expect((await get(port, "/api/state")).status).toBe(403);
      expect((await get(port, "/api/state?token=wrong")).status).toBe(403);
      expect((await get(port, `/api/state?token=${wide.token}`, { Host: `192.0.2.77:${port}` })).status).toBe(200);
      expect((await get(port, "/app.js")).status).toBe(200);
      await expect(connect(port)).rejects.toThrow("handshake refused: 401");
      await expect(connect(port, "?token=wrong")).rejects.toThrow("handshake refused: 401");
      const c = await connect(port, `?token=${wide.token}`, { Host: `192.0.2.77:${port}` });
      expect((await hello(c)).control).toBe(true);
      await closeAll([c]);
    } finally {
      await wide.close();
    }

    const session = await startInspectSession("local", scenario, 1, {
      host: "0.0.0.0",
      port: 0,
      onClientError: () => {},
    });
    try {
      const lines = session.banner.split("\n");
      expect(lines[0]).toMatch(/^warning: --host 0\.0\.0\.0 makes the inspector reachable from other machines/);
      const port = new URL(session.url).port;
      const token = new URL(session.url).searchParams.get("token");
      const external = reachableUrls("0.0.0.0", Number(port));
      for (const u of external) expect(lines).toContain(`inspector: ${u}?token=${token}`);
      expect(external.every((u) => !u.includes("127.0.0.1"))).toBe(true);
    } finally {
      await session.close();
    }
    const local = await startInspectSession("local", scenario, 1, { host: "127.0.0.1", port: 0 });
    try {
      expect(local.banner).toBe(`inspector: ${local.url}`);
      expect(local.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]{24}$/);
    } finally {
      await local.close();
    }
  });
});

describe("the Stately bridge", () => {
  let bridge: StatelyBridge;
  beforeAll(async () => {
    bridge = await startStatelyBridge({
      host: "127.0.0.1",
      port: 0,
      limits: { maxClients: 2 },
      onClientError: (m) => dropped.push(m),
    });
  });
  afterAll(async () => {
    await bridge.close();
  });

  test("refuses rebinding Host names, survives malformed frames, caps its clients", async () => {
    expect((await get(bridge.port, "/", { Host: "127.evil.example" })).status).toBe(403);
    expect((await get(bridge.port, "/", { Host: `localhost:${bridge.port}` })).status).toBe(200);
    await expect(connect(bridge.port, "", { Host: "127.0.0.1.nip.io" })).rejects.toThrow("handshake refused: 403");
    for (const bytes of [
      frame(0x1, Buffer.alloc(4097, 0x61)),
      frame(0x1, Buffer.from([0xc3, 0x28])),
      frame(0x1, Buffer.from("hi"), false),
    ]) {
      const raw = await rawUpgrade(bridge.port);
      raw.socket.write(bytes);
      await raw.closed;
      expect(closeCode(raw.received())).toBeGreaterThanOrEqual(1002);
    }
    const a = await connect(bridge.port);
    const b = await connect(bridge.port);
    await expect(connect(bridge.port)).rejects.toThrow("handshake refused: 503");
    await closeAll([a, b]);
    expect((await get(bridge.port, "/")).status).toBe(200);
  });

  test("beyond loopback its WebSocket needs the token", async () => {
    const wide = await startStatelyBridge({ host: "0.0.0.0", port: 0 });
    try {
      await expect(connect(wide.port)).rejects.toThrow("handshake refused: 401");
      const token = new URL(wide.url).searchParams.get("token") ?? "";
      const c = await connect(wide.port, `?token=${token}`);
      await closeAll([c]);
    } finally {
      await wide.close();
    }
  });
});
