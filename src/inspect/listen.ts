// Starting an HTTP server with errors a person can act on: a taken port names the port and the
// way out, instead of an unhandled 'error' event.
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";

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
      if (err.code === "EADDRINUSE") reject(new InspectorError(`port ${port} is already in use on ${host}; pick another with --port (or --port 0 for any free port)`));
      else if (err.code === "EACCES") reject(new InspectorError(`not allowed to listen on ${where} (ports below 1024 need privileges); pick another with --port`));
      else if (err.code === "EADDRNOTAVAIL" || err.code === "ENOTFOUND" || err.code === "EAI_AGAIN") reject(new InspectorError(`cannot listen on ${where}: "${host}" is not an address of this machine (see --host)`));
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

/** The URL a browser on this machine opens (IPv6 hosts in brackets, the wildcard as loopback). */
export function urlFor(host: string, port: number): string {
  const h = host === "0.0.0.0" ? "127.0.0.1" : host === "::" ? "[::1]" : host.includes(":") ? `[${host}]` : host;
  return `http://${h}:${port}/`;
}

const LOOPBACK_NAMES = new Set(["127.0.0.1", "localhost", "[::1]", "::1"]);

export function isLoopback(host: string): boolean {
  return LOOPBACK_NAMES.has(host) || host.startsWith("127.");
}

/**
 * Whether a request's Host header may reach a server bound to `bindHost`. A server on loopback
 * answers only to loopback names: otherwise any web page the user visits could reach it through
 * DNS rebinding and pause or step the run.
 */
export function hostAllowed(hostHeader: string | undefined, bindHost: string): boolean {
  if (!isLoopback(bindHost)) return true;
  if (hostHeader === undefined) return false;
  const name = hostHeader.startsWith("[") ? hostHeader.slice(0, hostHeader.indexOf("]") + 1) : (hostHeader.split(":")[0] ?? "");
  return isLoopback(name);
}
