// Raw WebSocket bytes for the inspector's robustness tests: a real upgrade handshake over a plain
// TCP socket, then frames written exactly as given (oversized, invalid UTF-8, unmasked, ...), and
// the close code the server answered with.
import crypto from "node:crypto";
import net from "node:net";

export async function until<T>(f: () => T | undefined, what: string, ms = 5000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = f();
    if (v !== undefined) return v;
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export interface RawClient {
  socket: net.Socket;
  /** The handshake's status line. */
  status: string;
  /** What the server sent after the handshake. */
  received(): Buffer;
  closed: Promise<void>;
}

/** Connects and upgrades `/ws${query}`; resolves once the server has answered the handshake. */
export async function rawUpgrade(port: number, query = ""): Promise<RawClient> {
  const socket = net.connect(port, "127.0.0.1");
  let data = Buffer.alloc(0);
  socket.on("data", (c: Buffer) => (data = Buffer.concat([data, c])));
  socket.on("error", () => {});
  const closed = new Promise<void>((r) => socket.on("close", () => r()));
  await new Promise((r) => socket.once("connect", r));
  const key = crypto.randomBytes(16).toString("base64");
  socket.write(
    `GET /ws${query} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  );
  await until(() => (data.includes("\r\n\r\n") ? true : undefined), "the handshake's answer");
  const headerEnd = data.indexOf("\r\n\r\n") + 4;
  return {
    socket,
    status: data.toString("latin1").split("\r\n")[0] ?? "",
    received: () => data.subarray(headerEnd),
    closed,
  };
}

/** A client frame (FIN set, the given opcode), masked as clients must unless told otherwise. */
export function frame(opcode: number, payload: Buffer, masked = true): Buffer {
  const len = payload.length;
  const head =
    len < 126
      ? Buffer.from([0x80 | opcode, (masked ? 0x80 : 0) | len])
      : Buffer.from([0x80 | opcode, (masked ? 0x80 : 0) | 126, len >> 8, len & 0xff]);
  if (!masked) return Buffer.concat([head, payload]);
  const mask = crypto.randomBytes(4);
  const body = Buffer.from(payload.map((b, i) => b ^ (mask[i % 4] as number)));
  return Buffer.concat([head, mask, body]);
}

/** The frames issue 12 found fatal, with the close code a server must answer each with. */
export const MALFORMED: ReadonlyArray<readonly [string, Buffer, number]> = [
  ["a frame over maxPayload (4,097 bytes)", frame(0x1, Buffer.alloc(4097, 0x61)), 1009],
  ["invalid UTF-8 in a text frame", frame(0x1, Buffer.from([0xff, 0xfe, 0xfd])), 1007],
  ["an unmasked client frame", frame(0x1, Buffer.from("hi"), false), 1002],
  ["an unknown opcode", frame(0x3, Buffer.from("x")), 1002],
];

/** The status code of the first close frame among server frames (1005: a close without one). */
export function closeCode(bytes: Buffer): number | undefined {
  let i = 0;
  while (i + 2 <= bytes.length) {
    const opcode = (bytes[i] as number) & 0x0f;
    let len = (bytes[i + 1] as number) & 0x7f;
    let at = i + 2;
    if (len === 126) {
      len = bytes.readUInt16BE(at);
      at += 2;
    } else if (len === 127) {
      len = Number(bytes.readBigUInt64BE(at));
      at += 8;
    }
    if (opcode === 0x8) return len >= 2 ? bytes.readUInt16BE(at) : 1005;
    i = at + len;
  }
  return undefined;
}
