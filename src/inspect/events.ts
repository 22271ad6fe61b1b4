// xstate inspection events, reduced to log lines. The runner calls `inspect` synchronously for
// every event of every actor, in the hot path, so this stays cheap: no deep serialisation (an
// actor's context holds whole batches of messages), just types, counts and short values.
import type { InspectionEvent } from "xstate";
import type { EventKind, LoggedEvent } from "./protocol.js";

interface RefLike {
  id?: unknown;
  systemId?: unknown;
  sessionId?: unknown;
}

/** An actor's display name: its systemId ("student"), else its id ("0.student.generating"). */
export function actorName(ref: unknown): string {
  if (ref === null || typeof ref !== "object") return "?";
  const r = ref as RefLike;
  if (typeof r.systemId === "string") return r.systemId;
  if (typeof r.id === "string") return r.id;
  return typeof r.sessionId === "string" ? r.sessionId : "?";
}

const MAX_DETAIL = 160;

function clip(s: string): string {
  return s.length > MAX_DETAIL ? `${s.slice(0, MAX_DETAIL - 1)}…` : s;
}

function short(v: unknown): string {
  if (Array.isArray(v)) return `${v.length} item${v.length === 1 ? "" : "s"}`;
  if (v instanceof Error) return v.message;
  if (typeof v === "string") return v.length > 40 ? JSON.stringify(`${v.slice(0, 39)}…`) : JSON.stringify(v);
  if (typeof v === "number" || typeof v === "boolean" || v === null || v === undefined) return String(v);
  return "{…}";
}

/** "items: 12 items, version: 3": each payload field, shallow. */
export function payloadSummary(event: Record<string, unknown>): string {
  return clip(
    Object.entries(event)
      .filter(([k]) => k !== "type")
      .map(([k, v]) => `${k}: ${short(v)}`)
      .join(", "),
  );
}

/** A state value as text: "idle", "running.rollout". */
export function valueText(value: unknown): string {
  if (typeof value === "string") return value;
  if (value !== null && typeof value === "object") {
    return Object.entries(value)
      .map(([k, v]) => {
        const inner = valueText(v);
        return inner === "" ? k : `${k}.${inner}`;
      })
      .join(", ");
  }
  return "";
}

function snapshotDetail(snapshot: unknown): string {
  if (snapshot === null || typeof snapshot !== "object") return "";
  const s = snapshot as { value?: unknown; status?: unknown; error?: unknown };
  const parts: string[] = [];
  if (s.value !== undefined) parts.push(valueText(s.value));
  if (typeof s.status === "string" && s.status !== "active") parts.push(`(${s.status})`);
  if (s.error !== undefined) parts.push(`error: ${short(s.error)}`);
  return clip(parts.join(" "));
}

export function summarizeInspection(e: InspectionEvent, seq: number, t: number): LoggedEvent {
  const base = { seq, t, actor: actorName(e.actorRef) };
  const kind = e.type.replace("@xstate.", "") as EventKind;
  switch (e.type) {
    case "@xstate.event":
      return {
        ...base,
        kind,
        name: e.event.type,
        ...(e.sourceRef ? { source: actorName(e.sourceRef) } : {}),
        detail: payloadSummary(e.event),
      };
    case "@xstate.snapshot":
    case "@xstate.microstep":
    case "@xstate.transition":
      return { ...base, kind, name: e.event.type, detail: snapshotDetail(e.snapshot) };
    case "@xstate.action":
      return { ...base, kind, name: e.action.type };
    case "@xstate.actor":
      return { ...base, kind, detail: "started" };
  }
}

/** The last `capacity` log lines, with a running sequence number. */
export class EventRing {
  private readonly items: LoggedEvent[] = [];
  private nextSeq = 1;
  dropped = 0;

  constructor(readonly capacity: number) {}

  push(e: InspectionEvent, t: number): LoggedEvent {
    const item = summarizeInspection(e, this.nextSeq++, t);
    this.items.push(item);
    if (this.items.length > this.capacity) {
      this.items.shift();
      this.dropped += 1;
    }
    return item;
  }

  /** Everything kept, oldest first. */
  all(): LoggedEvent[] {
    return [...this.items];
  }

  /** Events after `seq`, at most the newest `limit`. */
  since(seq: number, limit: number): LoggedEvent[] {
    const out: LoggedEvent[] = [];
    for (let i = this.items.length - 1; i >= 0 && out.length < limit; i--) {
      const item = this.items[i] as LoggedEvent;
      if (item.seq <= seq) break;
      out.push(item);
    }
    return out.reverse();
  }

  get lastSeq(): number {
    return this.nextSeq - 1;
  }
}
