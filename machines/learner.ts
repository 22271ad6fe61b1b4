// Learner: collects experiences, updates the policy when told the step's data is complete
// (FLUSH), publishes the new weight version, and checkpoints every N updates.
// An update that fails (say, a NaN loss) is skipped and reported; the weights stay as they were.
import { assign, emit, fromPromise, setup } from "xstate";
import type { ExperienceMessage } from "../src/messages.js";

export interface LearnerInput {
  /** Checkpoint after every N updates (0 = never). */
  checkpointEvery: number;
  /** Version of the weights at start (a resumed run continues its numbering). */
  version: number;
}

export interface UpdateStats {
  loss: number;
  gradNorm: number;
  metrics: Record<string, number>;
  experiences: number;
}

export interface LearnerContext extends LearnerInput {
  buffer: ExperienceMessage[];
  batch: ExperienceMessage[];
  updates: number;
  sinceCheckpoint: number;
  last?: UpdateStats;
  lastError?: string;
}

export type LearnerEvent =
  | { type: "EXPERIENCE"; items: ExperienceMessage[] }
  /** The step's data is complete; with upToStep, later steps' experiences stay buffered. */
  | { type: "FLUSH"; upToStep?: number };

export type LearnerEmitted =
  | { type: "updated"; version: number; stats: UpdateStats }
  | { type: "skipped"; reason: string; experiences: number }
  | { type: "checkpointed"; version: number }
  | { type: "checkpointFailed"; error: string };

/** Whether a FLUSH takes this experience: all of them, or those of steps up to the one named. */
function flushes(e: ExperienceMessage, event: LearnerEvent): boolean {
  if (event.type !== "FLUSH" || event.upToStep === undefined) return true;
  return e.trace.step === undefined || e.trace.step <= event.upToStep;
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export const learnerMachine = setup({
  types: {
    context: {} as LearnerContext,
    events: {} as LearnerEvent,
    input: {} as LearnerInput,
    emitted: {} as LearnerEmitted,
  },
  actors: {
    update: fromPromise<UpdateStats, { batch: ExperienceMessage[]; version: number }>(async () => {
      throw new Error("learner: no update actor provided");
    }),
    checkpoint: fromPromise<void, { version: number }>(async () => {
      throw new Error("learner: no checkpoint actor provided");
    }),
  },
  guards: {
    hasBuffered: ({ context, event }) => context.buffer.some((e) => flushes(e, event)),
    checkpointDue: ({ context }) => context.checkpointEvery > 0 && context.sinceCheckpoint >= context.checkpointEvery,
  },
  actions: {
    append: assign({
      buffer: ({ context, event }) =>
        event.type === "EXPERIENCE" ? [...context.buffer, ...event.items] : context.buffer,
    }),
    takeFlushBatch: assign({
      batch: ({ context, event }) => context.buffer.filter((e) => flushes(e, event)),
      buffer: ({ context, event }) => context.buffer.filter((e) => !flushes(e, event)),
    }),
    recordUpdate: assign({
      version: ({ context }) => context.version + 1,
      updates: ({ context }) => context.updates + 1,
      sinceCheckpoint: ({ context }) => context.sinceCheckpoint + 1,
      last: ({ event }) => (event as unknown as { output: UpdateStats }).output,
      batch: [] as ExperienceMessage[],
    }),
    recordFailure: assign({ lastError: ({ event }) => errorText((event as unknown as { error: unknown }).error) }),
    emitUpdated: emit(({ context }) => ({
      type: "updated" as const,
      version: context.version,
      stats: context.last as UpdateStats,
    })),
    emitSkippedEmpty: emit({ type: "skipped" as const, reason: "no experiences to learn from", experiences: 0 }),
    emitSkippedFailed: emit(({ context }) => ({
      type: "skipped" as const,
      reason: context.lastError ?? "update failed",
      experiences: context.batch.length,
    })),
    dropBatch: assign({ batch: [] as ExperienceMessage[] }),
    resetCheckpointCount: assign({ sinceCheckpoint: 0 }),
    emitCheckpointed: emit(({ context }) => ({ type: "checkpointed" as const, version: context.version })),
    emitCheckpointFailed: emit(({ context }) => ({
      type: "checkpointFailed" as const,
      error: context.lastError ?? "checkpoint failed",
    })),
  },
}).createMachine({
  id: "learner",
  initial: "collecting",
  context: ({ input }) => ({ ...input, buffer: [], batch: [], updates: 0, sinceCheckpoint: 0 }),
  states: {
    collecting: {
      on: {
        EXPERIENCE: { actions: "append" },
        FLUSH: [
          { guard: "hasBuffered", target: "updating", actions: "takeFlushBatch" },
          { actions: "emitSkippedEmpty" },
        ],
      },
    },
    updating: {
      on: { EXPERIENCE: { actions: "append" } },
      invoke: {
        src: "update",
        input: ({ context }) => ({ batch: context.batch, version: context.version }),
        onDone: { target: "publishing", actions: "recordUpdate" },
        onError: { target: "collecting", actions: ["recordFailure", "emitSkippedFailed", "dropBatch"] },
      },
    },
    publishing: {
      entry: "emitUpdated",
      always: [{ guard: "checkpointDue", target: "checkpointing" }, { target: "collecting" }],
    },
    checkpointing: {
      on: { EXPERIENCE: { actions: "append" } },
      invoke: {
        src: "checkpoint",
        input: ({ context }) => ({ version: context.version }),
        onDone: { target: "collecting", actions: ["resetCheckpointCount", "emitCheckpointed"] },
        onError: { target: "collecting", actions: ["recordFailure", "emitCheckpointFailed"] },
      },
    },
  },
});
