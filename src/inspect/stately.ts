// `--inspect=stately`: the run's xstate inspection events go to Stately's inspector
// (@statelyai/inspect). The library turns xstate's events into Stately's (actor definitions,
// snapshots, events); a local bridge (127.0.0.1 unless told otherwise) relays them over a
// WebSocket to a page that embeds Stately's inspector UI and posts them to it. The run itself
// needs no network; the browser does (the UI is loaded from stately.ai), and the page says so
// plainly when the UI does not answer. The library's own createInspectorServer is not used: it
// listens on every interface and crashes on a taken port.
import http from "node:http";
import { createInspector, type StatelyInspectionEvent } from "@statelyai/inspect";
import type { AnyEventObject, InspectionEvent, MachineContext, Snapshot } from "xstate";
import { WebSocketServer } from "ws";
import { STATELY_PAGE, assetText } from "./assets.js";
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

export const STATELY_INSPECTOR_URL = "https://stately.ai/inspect";

export interface StatelyBridgeOptions extends GuardOptions {
  host: string;
  port: number;
  /** Where the page loads Stately's UI from. */
  inspectorUrl?: string;
  /** Events kept for a page that connects after the run started. */
  backlog?: number;
}

export interface StatelyBridge {
  /** The page's address, with the run's token (needed when the bridge listens beyond loopback). */
  readonly url: string;
  readonly port: number;
  /** Feed xstate inspection events here (RunOptions.inspect). */
  inspect(e: InspectionEvent): void;
  /** Stately events relayed so far. */
  readonly relayed: number;
  close(): Promise<void>;
}

/**
 * Keeps payloads small enough to relay: a stage's context holds whole batches of messages (token
 * arrays, histories), which would make every snapshot megabytes. Long arrays keep their first
 * items and a count, long strings are clipped, deep objects are cut.
 */
export function shrink(value: unknown, depth = 0): unknown {
  if (typeof value === "string") return value.length > 200 ? `${value.slice(0, 199)}…` : value;
  if (value === null || typeof value !== "object") return value;
  if (depth >= 4) return Array.isArray(value) ? `[${value.length} items]` : "{…}";
  if (Array.isArray(value)) {
    const head = value.slice(0, 3).map((v) => shrink(v, depth + 1));
    return value.length > 3 ? [...head, `… ${value.length - 3} more`] : head;
  }
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, shrink(v, depth + 1)]));
}

/**
 * Only what Stately shows of a snapshot (value, status, context, output, error), shrunk, taken
 * synchronously: the library serialises later, and a whole snapshot drags in its children.
 */
function leanSnapshot(snapshot: Snapshot<unknown>): Snapshot<unknown> {
  const s = snapshot as Snapshot<unknown> & { value?: unknown; context?: unknown };
  const lean: Record<string, unknown> = { status: s.status, value: s.value, context: shrink(s.context) };
  if ("output" in s) lean.output = shrink(s.output);
  if ("error" in s) lean.error = s.error instanceof Error ? s.error.message : shrink(s.error);
  return lean as unknown as Snapshot<unknown>;
}

export async function startStatelyBridge(opts: StatelyBridgeOptions): Promise<StatelyBridge> {
  const { host } = opts;
  const inspectorUrl = opts.inspectorUrl ?? STATELY_INSPECTOR_URL;
  const backlogSize = opts.backlog ?? 2000;
  const guard = makeGuard(host, opts);
  const server = http.createServer(httpOptions(guard), (req, res) => {
    const refusal = httpRefusal(req, guard, false);
    if (refusal !== "") {
      res.writeHead(403, { "Content-Type": "text/plain" }).end(`${refusal}\n`);
      return;
    }
    const pathname = new URL(req.url ?? "/", "http://localhost").pathname;
    if (pathname !== "/") {
      res.writeHead(404, { "Content-Type": "text/plain" }).end(`not found: ${pathname}\n`);
      return;
    }
    const page = assetText(STATELY_PAGE.file).replaceAll("__INSPECTOR_URL__", inspectorUrl);
    res.writeHead(200, { "Content-Type": STATELY_PAGE.type, "Cache-Control": "no-store" }).end(page);
  });
  const port = await listen(server, host, opts.port);
  hardenHttp(server, guard);

  const backlog: string[] = [];
  let relayed = 0;
  // The page sends nothing: a tiny frame limit leaves a client nothing to abuse.
  const wss = new WebSocketServer({ noServer: true, maxPayload: guard.limits.maxPayload });
  const stopPings = superviseClients(wss, guard);
  server.on("upgrade", (req, socket, head) => {
    guardRawSocket(socket);
    const pathname = new URL(req.url ?? "/", "http://localhost").pathname;
    if (pathname !== "/ws") return refuseUpgrade(socket, "404 Not Found");
    const admission = admitUpgrade(req, guard, wss.clients.size);
    if ("refuse" in admission) return refuseUpgrade(socket, admission.refuse);
    wss.handleUpgrade(req, socket, head, (ws) => {
      wss.emit("connection", ws, req);
      // A late page gets what it missed, so Stately can still draw every actor.
      for (const text of backlog) sendTo(ws, text, guard);
    });
  });

  const adapter = {
    send(event: StatelyInspectionEvent): void {
      let text: string;
      try {
        text = JSON.stringify(event);
      } catch {
        return; // An unserialisable payload (a cycle the shrinking missed): skip it, keep the run going.
      }
      relayed += 1;
      backlog.push(text);
      if (backlog.length > backlogSize) backlog.shift();
      for (const ws of wss.clients) sendTo(ws, text, guard);
    },
  };
  const inspector = createInspector(adapter, {
    serializationDepthLimit: 6,
    sanitizeContext: (ctx: MachineContext) => shrink(ctx) as MachineContext,
    sanitizeEvent: (ev: AnyEventObject) => shrink(ev) as AnyEventObject,
  });

  return {
    url: `${urlFor(host, port)}?token=${guard.token}`,
    port,
    inspect: (e) =>
      inspector.inspect.next?.(e.type === "@xstate.snapshot" ? { ...e, snapshot: leanSnapshot(e.snapshot) } : e),
    get relayed() {
      return relayed;
    },
    close: () =>
      new Promise<void>((resolve) => {
        inspector.stop();
        stopPings();
        for (const ws of wss.clients) ws.terminate();
        wss.close();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
