// What the step loop waits for, each told by the thing waited on rather than found by looking
// again and again: the actors and ports saying they are idle, the Learner answering a FLUSH, the
// run machine leaving `paused`. No timer is involved, so a wait costs nothing however long it is;
// the one timer is nextTurn's, a single turn of the event loop at each phase boundary of a step.
import { combineLatest, filter, firstValueFrom, map, type Observable } from "rxjs";
import { waitFor, type AnyActorRef } from "xstate";
import type { LearnerEmitted } from "../../machines/learner.js";

/** An actor that says whether it holds work (RoleActor). */
export interface Idles {
  readonly idle$: Observable<boolean>;
}

/** A port that says whether items wait in it (InputPort). */
export interface Drains {
  readonly drained$: Observable<boolean>;
}

/** Resolves once every flag's latest value is true (at once if they all are already). */
export function whenAll(flags: ReadonlyArray<Observable<boolean>>): Promise<void> {
  if (flags.length === 0) return Promise.resolve();
  return firstValueFrom(
    combineLatest(flags).pipe(
      filter((values) => values.every(Boolean)),
      map(() => undefined),
    ),
  );
}

/**
 * Resolves when no actor holds work and no port holds items: the step's rollout is over. An
 * actor hands its results to the next port before it reports itself idle, and a port reports
 * itself drained only after its receiver took the batch, so the moment everything says so is
 * never a gap between two stages. (The wiring's operators deliver in the call that receives the
 * item, as filter, map and fanOut do; an operator that held items back on a timer of its own
 * would be invisible here.)
 */
export function whenQuiet(actors: readonly Idles[], ports: readonly Drains[]): Promise<void> {
  return whenAll([...actors.map((a) => a.idle$), ...ports.map((p) => p.drained$)]);
}

/**
 * Resolves when every port has handed its items on. A receiving actor starts its work in the
 * same call (for the pool, that queues the dispatch to a worker), so after this the next step's
 * first generation calls are on their way before the Learner's update takes the main thread.
 */
export function whenHandedOn(ports: readonly Drains[]): Promise<void> {
  return whenAll(ports.map((p) => p.drained$));
}

export type LearnerOutcome = Extract<LearnerEmitted, { type: "updated" | "skipped" }>;

/**
 * Tells the Learner the data up to `upToStep` is complete and resolves with its answer (updated
 * or skipped) once it is back to collecting, i.e. any checkpoint that follows an update is staged.
 */
export async function flushLearner(learner: AnyActorRef, upToStep: number): Promise<LearnerOutcome> {
  const subs: Array<{ unsubscribe(): void }> = [];
  const answer = new Promise<LearnerOutcome>((resolve) => {
    subs.push(
      learner.on("updated", (e: Extract<LearnerEmitted, { type: "updated" }>) => resolve(e)),
      learner.on("skipped", (e: Extract<LearnerEmitted, { type: "skipped" }>) => resolve(e)),
    );
  });
  try {
    learner.send({ type: "FLUSH", upToStep });
    const outcome = await answer;
    await waitFor(learner, (s: { value: unknown }) => s.value === "collecting");
    return outcome;
  } finally {
    for (const s of subs) s.unsubscribe();
  }
}

/** Resolves when the run machine is not paused: at once, or when RESUME or STEP (or a stop) arrives. */
export async function untilRunnable(root: AnyActorRef): Promise<void> {
  await waitFor(root, (s: { matches(value: string): boolean }) => !s.matches("paused"));
}

/**
 * One turn of the event loop, taken at each phase boundary of a step (before it, after its
 * rollout, after its update). Not a wait for anything: a run whose work never leaves the
 * microtask queue (stand-in policies; the wasm engine's reads resolve as microtasks) would
 * otherwise hold the thread from its first step to its last, and Ctrl-C, the inspector's sockets
 * and progress output are only heard when the event loop turns.
 */
export function nextTurn(): Promise<void> {
  return new Promise<void>((resolve) => setImmediate(resolve));
}
