// A role actor: a running role machine (a child of the run's actor system) joined to RxJS.
// Items pushed into `in` reach the machine as REQUEST batches; what the machine emits comes out
// of `out`; batches it gave up on come out of `failures`, so nothing disappears silently.
import type { AnyActorRef } from "xstate";
import { InputPort, OutputPort } from "./port.js";
import type { RoleName } from "../machines/run.js";

export interface GaveUp<Req> {
  batch: Req[];
  error: string;
}

export class RoleActor<Req, Res> {
  readonly in: InputPort<Req>;
  readonly out: OutputPort<Res>;
  readonly failures: OutputPort<GaveUp<Req>>;

  constructor(
    readonly role: RoleName,
    readonly ref: AnyActorRef,
  ) {
    this.in = new InputPort<Req>(`${role}.in`);
    this.out = new OutputPort<Res>(`${role}.out`);
    this.failures = new OutputPort<GaveUp<Req>>(`${role}.failures`);
    this.in.batches$.subscribe((items) => ref.send({ type: "REQUEST", items }));
    ref.on("results", (e: { results: Res[] }) => this.out.emit(e.results));
    ref.on("gaveUp", (e: GaveUp<Req>) => this.failures.emit([e]));
  }

  /** Whether the actor holds any work: queued, in flight, or waiting in its port. */
  get busy(): boolean {
    const snap = this.ref.getSnapshot() as { value: unknown; context: { queue: unknown[] } };
    return snap.value !== "idle" || snap.context.queue.length > 0 || this.in.backlog > 0;
  }

  /** The machine's current state, for progress displays and inspectors. */
  get state(): string {
    return JSON.stringify((this.ref.getSnapshot() as { value: unknown }).value);
  }
}
