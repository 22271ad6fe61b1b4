// The inspector's local web server: the page and its vendored scripts over HTTP, and the live
// model over one WebSocket (/ws): a `hello` per connection, a `tick` to everyone a few times a
// second, and an `ack` for each command a page sends. Bound to 127.0.0.1 unless told otherwise.
// Every page may watch; only one that carries the run's token (the URL the run prints) may pause,
// step or resume it. guard.ts holds the checks, caps and time limits.
import http from "node:http";
import { WebSocketServer, type WebSocket, type RawData } from "ws";
import { ASSETS, assetText } from "./assets.js";
import { listen, urlFor } from "./listen.js";
import {
  admitUpgrade,
  guardRawSocket,
  hardenHttp,
  httpOptions,
  httpRefusal,
  makeGuard,
  refuseUpgrade,
  sendTo,
  superviseClients,
  type GuardOptions,
} from "./guard.js";
import { CommandSchema, type AckMessage, type ServerMessage } from "./protocol.js";
import type { InspectorHub } from "./hub.js";

export interface InspectorServerOptions extends GuardOptions {
  host: string;
  /** 0: any free port. */
  port: number;
  /** Milliseconds between ticks. */
  tickMs?: number;
}

export interface InspectorServer {
  /** The page's address with the run's token: the one URL that may control the run. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly token: string;
  /** Pages connected right now. */
  readonly clients: number;
  /** Sends the pages a last update, tells them the inspector is closing, and stops. */
  close(reason?: string): Promise<void>;
}

// The page needs nothing from elsewhere; saying so in a CSP keeps it that way.
const CSP =
  "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'";

const READ_ONLY =
  "read-only: this page was opened without the run's token; open the URL the run printed (…/?token=…) to pause, step or resume";

/** How long close() lets pages take their last update before their sockets are cut. */
const GOODBYE_MS = 500;

export async function startInspectorServer(hub: InspectorHub, opts: InspectorServerOptions): Promise<InspectorServer> {
  const { host } = opts;
  const guard = makeGuard(host, opts);
  const server = http.createServer(httpOptions(guard), (req, res) => {
    const pathname = new URL(req.url ?? "/", "http://localhost").pathname;
    const refusal = httpRefusal(req, guard, pathname === "/api/state");
    if (refusal !== "") {
      res.writeHead(403, { "Content-Type": "text/plain" }).end(`${refusal}\n`);
      return;
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { Allow: "GET, HEAD" }).end();
      return;
    }
    const headers = {
      "Cache-Control": "no-store",
      "Content-Security-Policy": CSP,
      "X-Content-Type-Options": "nosniff",
      "Referrer-Policy": "no-referrer",
    };
    if (pathname === "/api/state") {
      res.writeHead(200, { ...headers, "Content-Type": "application/json" }).end(JSON.stringify(hub.hello()));
      return;
    }
    const asset = ASSETS[pathname];
    if (!asset) {
      res.writeHead(404, { "Content-Type": "text/plain" }).end(`not found: ${pathname}\n`);
      return;
    }
    res
      .writeHead(200, { ...headers, "Content-Type": asset.type })
      .end(req.method === "HEAD" ? undefined : assetText(asset.file));
  });

  const port = await listen(server, host, opts.port);
  hardenHttp(server, guard);
  const wss = new WebSocketServer({ noServer: true, maxPayload: guard.limits.maxPayload });
  const stopPings = superviseClients(wss, guard);
  const controllers = new WeakSet<WebSocket>();
  server.on("upgrade", (req, socket, head) => {
    guardRawSocket(socket);
    const pathname = new URL(req.url ?? "/", "http://localhost").pathname;
    if (pathname !== "/ws") return refuseUpgrade(socket, "404 Not Found");
    const admission = admitUpgrade(req, guard, wss.clients.size);
    if ("refuse" in admission) return refuseUpgrade(socket, admission.refuse);
    wss.handleUpgrade(req, socket, head, (ws) => {
      if (admission.control) controllers.add(ws);
      wss.emit("connection", ws, req);
    });
  });
  const send = (ws: WebSocket, msg: ServerMessage): void => sendTo(ws, JSON.stringify(msg), guard);
  wss.on("connection", (ws: WebSocket) => {
    const control = controllers.has(ws);
    send(ws, { ...hub.hello(), control });
    ws.on("message", (data: RawData) => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(data.toString());
      } catch {
        parsed = undefined;
      }
      const cmd = CommandSchema.safeParse(parsed);
      let ack: AckMessage;
      if (!cmd.success)
        ack = {
          type: "ack",
          command: "invalid",
          ok: false,
          message: "not a command (expected {type: pause | resume | step})",
        };
      else if (!control) ack = { type: "ack", command: cmd.data.type, ok: false, message: READ_ONLY };
      else ack = hub.command(cmd.data);
      send(ws, ack);
    });
  });

  const broadcastTick = (): void => {
    const text = JSON.stringify(hub.tick());
    for (const ws of wss.clients) sendTo(ws, text, guard);
  };
  // Ticks run with no page connected too: the edge rate meters need regular samples.
  const timer = setInterval(broadcastTick, opts.tickMs ?? 250);
  timer.unref();

  const base = urlFor(host, port);
  return {
    url: `${base}?token=${guard.token}`,
    host,
    port,
    token: guard.token,
    get clients() {
      return wss.clients.size;
    },
    close: (reason = "the inspector closed") =>
      new Promise<void>((resolve) => {
        clearInterval(timer);
        stopPings();
        // The last state (finished, failed) reaches the pages before they are told goodbye.
        broadcastTick();
        for (const ws of wss.clients) ws.close(1000, reason.slice(0, 120));
        const cut = setTimeout(() => {
          for (const ws of wss.clients) ws.terminate();
        }, GOODBYE_MS);
        wss.close(() => clearTimeout(cut));
        server.close(() => resolve());
        server.closeIdleConnections();
        // Sockets still busy after the goodbye (a stuck request) are cut with the pages'.
        setTimeout(() => server.closeAllConnections(), GOODBYE_MS).unref();
      }),
  };
}
