// A role actor: a running role machine (a child of the run's actor system) joined to RxJS.
// Items pushed into `in` reach the machine as REQUEST batches; what the machine emits comes out
// of `out`; batches it gave up on come out of `failures`, so nothing disappears silently.
import { Observable, combineLatest, distinctUntilChanged, map } from "rxjs";
import type { AnyActorRef } from "xstate";
import { InputPort, OutputPort } from "./port.js";

export interface GaveUp<Req> {
  batch: Req[];
  error: string;
}

interface StageSnapshot {
  value: unknown;
  context: { queue: unknown[] };
}

function machineIdle(snapshot: unknown): boolean {
  const s = snapshot as StageSnapshot;
  return s.value === "idle" && s.context.queue.length === 0;
}

/**
 * An actor's snapshots: the current one at once, then each new one. A machine that fails (a bug,
 * not a failed batch: those are retried and given up inside it) fails the stream, so whoever
 * waits on it hears of it instead of waiting for ever.
 */
function snapshots(ref: AnyActorRef): Observable<unknown> {
  return new Observable<unknown>((subscriber) => {
    subscriber.next(ref.getSnapshot());
    const sub = ref.subscribe({
      next: (s: unknown) => subscriber.next(s),
      error: (err: unknown) => subscriber.error(err),
      complete: () => subscriber.complete(),
    });
    return () => sub.unsubscribe();
  });
}

export class RoleActor<Req, Res> {
  readonly in: InputPort<Req>;
  readonly out: OutputPort<Res>;
  readonly failures: OutputPort<GaveUp<Req>>;

  constructor(
    /** A role's name, or the name of a scenario's own actor (defineActor). */
    readonly role: string,
    readonly ref: AnyActorRef,
  ) {
    this.in = new InputPort<Req>(`${role}.in`);
    this.out = new OutputPort<Res>(`${role}.out`);
    this.failures = new OutputPort<GaveUp<Req>>(`${role}.failures`);
    this.in.batches$.subscribe((items) => ref.send({ type: "REQUEST", items }));
    ref.on("results", (e: { results: Res[] }) => this.out.emit(e.results));
    ref.on("gaveUp", (e: GaveUp<Req>) => this.failures.emit([e]));
  }

  /**
   * Whether the actor holds no work (none queued, in flight, or waiting in its port): the current
   * value at once, then each change, pushed by the machine's own snapshots and the port, so a
   * waiter needs no clock.
   * The machine emits its results before its idle snapshot is announced, so work it hands on is
   * already in the next port when this turns true.
   */
  get idle$(): Observable<boolean> {
    return combineLatest([snapshots(this.ref).pipe(map(machineIdle)), this.in.drained$]).pipe(
      map(([idle, drained]) => idle && drained),
      distinctUntilChanged(),
    );
  }

  /** The machine's current state, for progress displays and inspectors. */
  get state(): string {
    return JSON.stringify((this.ref.getSnapshot() as { value: unknown }).value);
  }
}
