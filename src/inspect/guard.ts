// What keeps the inspector's servers (the page server and the Stately bridge) safe from other web
// pages a person has open and from broken or hostile clients, so that no client can take a
// training run down or control it without being given the right to:
// - a per-run token (random, in the URL the run prints) for anything that controls the run, and
//   for everything when the server listens beyond loopback (there the Host check cannot help);
// - the Host / Origin check against DNS rebinding (listen.ts's hostAllowed);
// - caps: WebSocket clients, TCP connections, frame size, and a page that stops reading;
// - time limits: slow or silent HTTP clients, and WebSocket peers that stop answering pings;
// - an error listener on every socket: a malformed frame closes that client, never the process.
import crypto from "node:crypto";
import type http from "node:http";
import type { Duplex } from "node:stream";
import { WebSocket, type WebSocketServer } from "ws";
import { hostAllowed, isLoopback } from "./listen.js";

/** The run's secret: 144 random bits, URL-safe. */
export function newToken(): string {
  return crypto.randomBytes(18).toString("base64url");
}

/** Compared in constant time, so the token cannot be guessed a character at a time. */
export function tokenMatches(given: string | null | undefined, token: string): boolean {
  if (typeof given !== "string") return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && crypto.timingSafeEqual(a, b);
}

/** The `token` query parameter of a request URL. */
export function tokenOf(requestUrl: string | undefined): string | null {
  return new URL(requestUrl ?? "/", "http://localhost").searchParams.get("token");
}

/** Limits; the defaults suit a person with a few tabs open, tests shorten the timers. */
export interface GuardLimits {
  /** WebSocket clients at once; one more is refused with 503. */
  maxClients: number;
  /** Largest frame a client may send (the page's commands are a few dozen bytes). */
  maxPayload: number;
  /** Milliseconds between pings; a client that leaves MAX_UNANSWERED_PINGS in a row unanswered is dropped. */
  pingMs: number;
  /** Whole request headers must arrive within this (slowloris). */
  headersTimeoutMs: number;
  /** A whole request must arrive within this. */
  requestTimeoutMs: number;
  /** An idle keep-alive connection is closed after this. */
  keepAliveTimeoutMs: number;
  /** How often the HTTP server checks the two limits above. */
  checkEveryMs: number;
  /** A connection that sends nothing at all (the limits above start with a request) is closed after this. */
  idleSocketMs: number;
  /** Bytes queued for a page that stopped reading before it is dropped. */
  maxBuffered: number;
}

export const DEFAULT_LIMITS: GuardLimits = {
  maxClients: 32,
  maxPayload: 4096,
  pingMs: 30_000,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 20_000,
  keepAliveTimeoutMs: 5_000,
  checkEveryMs: 5_000,
  idleSocketMs: 30_000,
  maxBuffered: 16 * 1024 * 1024,
};

export interface Guard {
  readonly bindHost: string;
  readonly token: string;
  readonly limits: GuardLimits;
  /** Beyond loopback the Host check is off (any name may reach the machine), so reads need the token too. */
  readonly tokenForReads: boolean;
  /** Told about each client dropped for misbehaving (the CLI prints one line). */
  readonly onClientError: ((message: string) => void) | undefined;
}

export interface GuardOptions {
  token?: string;
  limits?: Partial<GuardLimits>;
  onClientError?: (message: string) => void;
}

export function makeGuard(bindHost: string, opts: GuardOptions = {}): Guard {
  return {
    bindHost,
    token: opts.token ?? newToken(),
    limits: { ...DEFAULT_LIMITS, ...opts.limits },
    tokenForReads: !isLoopback(bindHost),
    onClientError: opts.onClientError,
  };
}

/** Options for http.createServer: Node's own timeouts against slow and silent clients. */
export function httpOptions(guard: Guard): http.ServerOptions {
  const l = guard.limits;
  return {
    headersTimeout: l.headersTimeoutMs,
    requestTimeout: l.requestTimeoutMs,
    keepAliveTimeout: l.keepAliveTimeoutMs,
    connectionsCheckingInterval: l.checkEveryMs,
  };
}

/** After listen(): a connection cap, and no 'error' event left unheard once the server is up. */
export function hardenHttp(server: http.Server, guard: Guard): void {
  // Every WebSocket client holds one connection; the rest is headroom for the page's files.
  server.maxConnections = guard.limits.maxClients * 2 + 16;
  // Destroys HTTP sockets idle this long; `ws` lifts it from upgraded ones (pings watch those).
  server.setTimeout(guard.limits.idleSocketMs);
  server.on("error", (err) => guard.onClientError?.(`inspector server: ${err.message}`));
  server.on("clientError", (err: NodeJS.ErrnoException, socket: Duplex) => {
    const status =
      err.code === "HPE_HEADER_OVERFLOW"
        ? "431 Request Header Fields Too Large"
        : err.code === "ERR_HTTP_REQUEST_TIMEOUT"
          ? "408 Request Timeout"
          : "400 Bad Request";
    if (socket.writable) socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    else socket.destroy();
  });
}

/** Whether a plain HTTP request may be answered: "" if so, else the reason (403). */
export function httpRefusal(req: http.IncomingMessage, guard: Guard, dataRequest: boolean): string {
  if (!hostAllowed(req.headers.host, guard.bindHost))
    return "forbidden: this inspector answers only to localhost names (127.0.0.1, localhost, [::1])";
  if (dataRequest && guard.tokenForReads && !tokenMatches(tokenOf(req.url), guard.token))
    return "forbidden: add the run's ?token=... (the URL the run printed)";
  return "";
}

/** A WebSocket handshake's outcome: refused with an HTTP status, or admitted (with or without control). */
export type Admission = { refuse: string } | { control: boolean };

export function admitUpgrade(req: http.IncomingMessage, guard: Guard, clients: number): Admission {
  // Browsers send Origin on WebSocket handshakes; only this server's own page may connect.
  const origin = req.headers.origin;
  if (
    !hostAllowed(req.headers.host, guard.bindHost) ||
    (origin !== undefined && origin !== `http://${req.headers.host}`)
  )
    return { refuse: "403 Forbidden" };
  const control = tokenMatches(tokenOf(req.url), guard.token);
  if (guard.tokenForReads && !control) return { refuse: "401 Unauthorized" };
  if (clients >= guard.limits.maxClients) return { refuse: "503 Service Unavailable" };
  return { control };
}

export function refuseUpgrade(socket: Duplex, status: string): void {
  socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

/** A handshake's raw socket: its errors (a client that vanished mid-handshake) are its own. */
export function guardRawSocket(socket: Duplex): void {
  socket.on("error", () => socket.destroy());
}

/**
 * Every connected client: an error (an oversized, malformed or unmasked frame; `ws` has already
 * sent the close code naming it) drops that client only; one that stops answering pings is dropped.
 * Returns a function that stops the pings.
 */
/** Consecutive unanswered pings after which a client is dropped. */
export const MAX_UNANSWERED_PINGS = 2;

export function superviseClients(wss: WebSocketServer, guard: Guard): () => void {
  // Pings a client has left unanswered in a row. One is not enough to drop it: after this process
  // stalls (a busy machine, a long training step), timers run before pending socket reads, so the
  // pong already waiting in the buffer would look missed. Two in a row need a poll in between.
  const missed = new WeakMap<WebSocket, number>();
  wss.on("error", (err) => guard.onClientError?.(`inspector WebSocket server: ${err.message}`));
  wss.on("connection", (ws: WebSocket) => {
    missed.set(ws, 0);
    ws.on("pong", () => missed.set(ws, 0));
    ws.on("error", (err) => {
      guard.onClientError?.(`inspector: dropped a client that sent a bad WebSocket frame (${err.message})`);
      ws.terminate();
    });
  });
  const timer = setInterval(() => {
    for (const ws of wss.clients) {
      const unanswered = missed.get(ws) ?? 0;
      if (unanswered >= MAX_UNANSWERED_PINGS) {
        ws.terminate();
        continue;
      }
      if (ws.readyState === WebSocket.OPEN) {
        missed.set(ws, unanswered + 1);
        ws.ping();
      }
    }
  }, guard.limits.pingMs);
  timer.unref();
  return () => clearInterval(timer);
}

/** Sends to one client unless it stopped reading (then it is dropped rather than buffered without end). */
export function sendTo(ws: WebSocket, text: string, guard: Guard): void {
  if (ws.readyState !== WebSocket.OPEN) return;
  if (ws.bufferedAmount > guard.limits.maxBuffered) {
    ws.terminate();
    return;
  }
  ws.send(text);
}
