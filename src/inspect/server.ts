// The inspector's local web server: the page and its vendored scripts over HTTP, and the live
// model over one WebSocket (/ws): a `hello` per connection, a `tick` to everyone a few times a
// second, and an `ack` for each command a page sends. Bound to 127.0.0.1 unless told otherwise.
import http from "node:http";
import type { Duplex } from "node:stream";
import { WebSocketServer, WebSocket, type RawData } from "ws";
import { ASSETS, assetText } from "./assets.js";
import { hostAllowed, listen, urlFor } from "./listen.js";
import { CommandSchema, type AckMessage, type ServerMessage } from "./protocol.js";
import type { InspectorHub } from "./hub.js";

export interface InspectorServerOptions {
  host: string;
  /** 0: any free port. */
  port: number;
  /** Milliseconds between ticks. */
  tickMs?: number;
}

export interface InspectorServer {
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** Pages connected right now. */
  readonly clients: number;
  close(): Promise<void>;
}

// The page needs nothing from elsewhere; saying so in a CSP keeps it that way.
const CSP = "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'";

function send(ws: WebSocket, msg: ServerMessage): void {
  if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(msg));
}

function reject(socket: Duplex, status: string): void {
  socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

export async function startInspectorServer(hub: InspectorHub, opts: InspectorServerOptions): Promise<InspectorServer> {
  const { host } = opts;
  const server = http.createServer((req, res) => {
    if (!hostAllowed(req.headers.host, host)) {
      res.writeHead(403, { "Content-Type": "text/plain" }).end("forbidden: this inspector answers only to localhost\n");
      return;
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { Allow: "GET, HEAD" }).end();
      return;
    }
    const pathname = new URL(req.url ?? "/", "http://localhost").pathname;
    const headers = { "Cache-Control": "no-store", "Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff" };
    if (pathname === "/api/state") {
      res.writeHead(200, { ...headers, "Content-Type": "application/json" }).end(JSON.stringify(hub.hello()));
      return;
    }
    const asset = ASSETS[pathname];
    if (!asset) {
      res.writeHead(404, { "Content-Type": "text/plain" }).end(`not found: ${pathname}\n`);
      return;
    }
    res.writeHead(200, { ...headers, "Content-Type": asset.type }).end(req.method === "HEAD" ? undefined : assetText(asset.file));
  });

  const port = await listen(server, host, opts.port);
  const wss = new WebSocketServer({ noServer: true, maxPayload: 4096 });
  server.on("upgrade", (req, socket, head) => {
    const pathname = new URL(req.url ?? "/", "http://localhost").pathname;
    if (pathname !== "/ws") return reject(socket, "404 Not Found");
    // Browsers send Origin on WebSocket handshakes; only this server's own page may connect.
    const origin = req.headers.origin;
    if (!hostAllowed(req.headers.host, host) || (origin !== undefined && origin !== `http://${req.headers.host}`)) return reject(socket, "403 Forbidden");
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit("connection", ws, req));
  });
  wss.on("connection", (ws: WebSocket) => {
    send(ws, hub.hello());
    ws.on("message", (data: RawData) => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(data.toString());
      } catch {
        parsed = undefined;
      }
      const cmd = CommandSchema.safeParse(parsed);
      const ack: AckMessage = cmd.success ? hub.command(cmd.data) : { type: "ack", command: "invalid", ok: false, message: "not a command (expected {type: pause | resume | step})" };
      send(ws, ack);
    });
  });

  const timer = setInterval(() => {
    // Ticks run with no page connected too: the edge rate meters need regular samples.
    const tick = hub.tick();
    if (wss.clients.size === 0) return;
    const text = JSON.stringify(tick);
    for (const ws of wss.clients) if (ws.readyState === WebSocket.OPEN) ws.send(text);
  }, opts.tickMs ?? 250);
  timer.unref();

  return {
    url: urlFor(host, port),
    host,
    port,
    get clients() {
      return wss.clients.size;
    },
    close: () =>
      new Promise<void>((resolve) => {
        clearInterval(timer);
        for (const ws of wss.clients) ws.terminate();
        wss.close();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
