// The life of a request/response actor (Student, Teacher, Reflector, Verifier): wait for
// requests, work on a micro-batch, emit the results, retry a failed batch with back-off, give
// it up after too many failures (emitting it so nothing is silently lost). The runner ends it
// with `actorRef.stop()`, so the machine has no stop event or final state of its own.
// Pure: the work itself is an injected promise actor (`work`), outputs are xstate `emit`s.
import { assign, emit, fromPromise, setup } from "xstate";

export interface StageInput {
  /** Largest micro-batch handed to one `work` call. */
  maxBatch: number;
  /** Failed attempts at one batch before it is given up. */
  maxRetries: number;
}

export interface StageContext<Req, Res> extends StageInput {
  queue: Req[];
  batch: Req[];
  results: Res[];
  failures: number;
  lastError?: string;
  weightVersion: number;
  /** The weight version current when the batch in flight started: its results carry it. */
  batchVersion: number;
  processed: number;
  givenUp: number;
}

export type StageEvent<Req> = { type: "REQUEST"; items: Req[] } | { type: "WEIGHTS"; version: number };

export type StageEmitted<Req, Res> =
  { type: "results"; results: Res[]; weightVersion: number } | { type: "gaveUp"; batch: Req[]; error: string };

export interface WorkInput<Req> {
  batch: Req[];
  weightVersion: number;
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * Builds the machine for one role. `workState` names the busy state after what the role does
 * ("generating", "judging", "reflecting", "verifying"), so diagrams and inspectors read well.
 */
export function createStageMachine<Req, Res>(id: string, workState: string) {
  return setup({
    types: {
      context: {} as StageContext<Req, Res>,
      events: {} as StageEvent<Req>,
      input: {} as StageInput,
      emitted: {} as StageEmitted<Req, Res>,
    },
    actors: {
      work: fromPromise<Res[], WorkInput<Req>>(async () => {
        throw new Error(`${id}: no work actor provided (bind the machine with .provide({ actors: { work } }))`);
      }),
    },
    delays: {
      // Exponential back-off, capped: a flaky worker gets breathing room, a run is not stalled.
      backoff: ({ context }) => Math.min(2000, 25 * 2 ** context.failures),
    },
    guards: {
      hasQueued: ({ context }) => context.queue.length > 0,
      canRetry: ({ context }) => context.failures < context.maxRetries,
    },
    actions: {
      enqueue: assign({
        queue: ({ context, event }) => (event.type === "REQUEST" ? [...context.queue, ...event.items] : context.queue),
      }),
      takeBatch: assign({
        batch: ({ context }) => context.queue.slice(0, context.maxBatch),
        queue: ({ context }) => context.queue.slice(context.maxBatch),
        failures: 0,
      }),
      storeResults: assign({
        results: ({ event }) => (event as unknown as { output: Res[] }).output,
        processed: ({ context }) => context.processed + context.batch.length,
      }),
      recordFailure: assign({
        failures: ({ context }) => context.failures + 1,
        lastError: ({ event }) => errorText((event as unknown as { error: unknown }).error),
      }),
      emitResults: emit(({ context }) => ({
        type: "results" as const,
        results: context.results,
        weightVersion: context.batchVersion,
      })),
      emitGaveUp: emit(({ context }) => ({
        type: "gaveUp" as const,
        batch: context.batch,
        error: context.lastError ?? "unknown error",
      })),
      clearBatch: assign({
        batch: [] as Req[],
        results: [] as Res[],
        givenUp: ({ context }) => context.givenUp + context.batch.length,
      }),
      clearResults: assign({ batch: [] as Req[], results: [] as Res[] }),
      stampVersion: assign({ batchVersion: ({ context }) => context.weightVersion }),
      setVersion: assign({
        weightVersion: ({ context, event }) => (event.type === "WEIGHTS" ? event.version : context.weightVersion),
      }),
    },
  }).createMachine({
    id,
    initial: "idle",
    context: ({ input }) => ({
      ...input,
      queue: [],
      batch: [],
      results: [],
      failures: 0,
      weightVersion: 0,
      batchVersion: 0,
      processed: 0,
      givenUp: 0,
    }),
    on: { WEIGHTS: { actions: "setVersion" } },
    states: {
      idle: {
        on: { REQUEST: { target: workState, actions: ["enqueue", "takeBatch"] } },
      },
      [workState]: {
        // Each attempt at the batch runs with the weights current when it starts, and its
        // results carry that version even if newer weights arrive meanwhile.
        entry: "stampVersion",
        on: { REQUEST: { actions: "enqueue" } },
        invoke: {
          src: "work",
          input: ({ context }) => ({ batch: context.batch, weightVersion: context.batchVersion }),
          onDone: { target: "emitting", actions: "storeResults" },
          onError: [
            { guard: "canRetry", target: "retrying", actions: "recordFailure" },
            { target: "gaveUp", actions: "recordFailure" },
          ],
        },
      },
      retrying: {
        on: { REQUEST: { actions: "enqueue" } },
        after: { backoff: workState },
      },
      gaveUp: {
        entry: ["emitGaveUp", "clearBatch"],
        always: [{ guard: "hasQueued", target: workState, actions: "takeBatch" }, { target: "idle" }],
      },
      emitting: {
        entry: ["emitResults", "clearResults"],
        always: [{ guard: "hasQueued", target: workState, actions: "takeBatch" }, { target: "idle" }],
      },
    },
  });
}

export type StageMachine<Req, Res> = ReturnType<typeof createStageMachine<Req, Res>>;
