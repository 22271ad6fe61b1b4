// RxJS ports. An InputPort gathers everything that arrives in one tick into a single batch
// (upstream actors emit whole micro-batches synchronously), so downstream work is batched too.
// It counts what is pending and says when it is drained, which is how the runner knows, without
// looking again and again, when the system is quiet.
import { BehaviorSubject, Observable, Subject, distinctUntilChanged, type Observer } from "rxjs";

export class InputPort<T> implements Observer<T> {
  private pending: T[] = [];
  private scheduled = false;
  private readonly batches = new Subject<T[]>();
  private readonly drained = new BehaviorSubject<boolean>(true);
  received = 0;

  constructor(readonly name: string) {}

  next(item: T): void {
    this.received += 1;
    this.pending.push(item);
    if (this.pending.length === 1) this.drained.next(false);
    if (!this.scheduled) {
      this.scheduled = true;
      queueMicrotask(() => this.flush());
    }
  }

  error(err: unknown): void {
    this.batches.error(err);
  }

  complete(): void {
    this.flush();
    this.batches.complete();
    this.drained.complete();
  }

  /** Items accepted but not yet handed on. */
  get backlog(): number {
    return this.pending.length;
  }

  /**
   * Whether nothing waits in the port: the current value at once, then each change. It turns
   * true only after a batch has been handed on, so a receiver already holds the items by then.
   */
  get drained$(): Observable<boolean> {
    return this.drained.pipe(distinctUntilChanged());
  }

  /** Batches of items, one per tick with arrivals. */
  get batches$(): Observable<T[]> {
    return this.batches.asObservable();
  }

  private flush(): void {
    this.scheduled = false;
    if (this.pending.length === 0) return;
    const items = this.pending;
    this.pending = [];
    this.batches.next(items);
    this.drained.next(true);
  }
}

/** An output port: a hot stream of items, with a count for the topology's edge statistics. */
export class OutputPort<T> {
  private readonly subject = new Subject<T>();
  emitted = 0;

  constructor(readonly name: string) {}

  emit(items: readonly T[]): void {
    for (const it of items) {
      this.emitted += 1;
      this.subject.next(it);
    }
  }

  get stream(): Observable<T> {
    return this.subject.asObservable();
  }

  complete(): void {
    this.subject.complete();
  }
}
