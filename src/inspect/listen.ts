// Starting an HTTP server with errors a person can act on: a taken port names the port and the
// way out, instead of an unhandled 'error' event.
import type { Server } from "node:http";
import { isIPv4, type AddressInfo } from "node:net";
import os from "node:os";

export class InspectorError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "InspectorError";
  }
}

export const DEFAULT_HOST = "127.0.0.1";
export const DEFAULT_PORT = 4780;

/** Listens on host:port (port 0: any free port); resolves with the port actually bound. */
export function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      server.off("listening", onListening);
      const where = `${host}:${port}`;
      if (err.code === "EADDRINUSE")
        reject(
          new InspectorError(
            `port ${port} is already in use on ${host}; pick another with --port (or --port 0 for any free port)`,
          ),
        );
      else if (err.code === "EACCES")
        reject(
          new InspectorError(
            `not allowed to listen on ${where} (ports below 1024 need privileges); pick another with --port`,
          ),
        );
      else if (err.code === "EADDRNOTAVAIL" || err.code === "ENOTFOUND" || err.code === "EAI_AGAIN")
        reject(
          new InspectorError(`cannot listen on ${where}: "${host}" is not an address of this machine (see --host)`),
        );
      else reject(new InspectorError(`cannot listen on ${where}: ${err.message}`));
    };
    const onListening = (): void => {
      server.off("error", onError);
      resolve((server.address() as AddressInfo).port);
    };
    server.once("error", onError);
    server.once("listening", onListening);
    server.listen(port, host);
  });
}

/**
 * Where other machines reach a server bound to `host`: for a wildcard bind, each of this
 * machine's non-loopback addresses (the banner must not pretend it is local only); else the host.
 */
export function reachableUrls(host: string, port: number): string[] {
  if (host !== "0.0.0.0" && host !== "::") return [urlFor(host, port)];
  const addresses = Object.values(os.networkInterfaces())
    .flat()
    .filter(
      (a): a is os.NetworkInterfaceInfo => a !== undefined && !a.internal && (host === "::" || a.family === "IPv4"),
    );
  return addresses.map((a) => urlFor(a.address, port));
}

/** The URL a browser on this machine opens (IPv6 hosts in brackets, the wildcard as loopback). */
export function urlFor(host: string, port: number): string {
  const h = host === "0.0.0.0" ? "127.0.0.1" : host === "::" ? "[::1]" : host.includes(":") ? `[${host}]` : host;
  return `http://${h}:${port}/`;
}

/**
 * Whether a name is this machine's loopback: `localhost`, `::1` (bracketed or not) or an IPv4
 * literal in 127/8. Parsed, never prefix-matched: `127.evil.example` is a DNS name anyone can
 * point anywhere.
 */
export function isLoopback(host: string): boolean {
  const h = host.toLowerCase();
  if (h === "localhost" || h === "::1" || h === "[::1]") return true;
  return isIPv4(h) && h.startsWith("127.");
}

/** The name part of a Host header (`name`, `name:port`, `[v6]`, `[v6]:port`); undefined if malformed. */
export function hostName(hostHeader: string): string | undefined {
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]+)(?::\d{1,5})?$/.exec(hostHeader);
  return m?.[1];
}

/**
 * Whether a request's Host header may reach a server bound to `bindHost`. A server on loopback
 * answers only to loopback names: otherwise any web page the user visits could reach it through
 * DNS rebinding. Beyond loopback any name may reach it, so there the token guards everything.
 */
export function hostAllowed(hostHeader: string | undefined, bindHost: string): boolean {
  if (!isLoopback(bindHost)) return true;
  if (hostHeader === undefined) return false;
  const name = hostName(hostHeader);
  return name !== undefined && isLoopback(name);
}
