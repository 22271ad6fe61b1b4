// A reward that is NaN or infinite poisons every advantage in its group and then the weights.
// Failing loudly, with the actor and task that produced it, turns a silent collapse into a
// one-line diagnosis.

/** Where a reward came from, so an error about it can name the actor and the task. */
export interface RewardContext {
  /** Who computed the reward (e.g. "teacher", "verifier"). */
  actor: string;
  /** The task instance it was computed for. */
  taskId: string;
}

/** A reward that is NaN, infinite or out of range, with the actor, task and value that produced it. */
export class RewardError extends Error {
  readonly actor: string;
  readonly taskId: string;
  readonly value: unknown;

  constructor(message: string, ctx: RewardContext, value: unknown) {
    super(message);
    this.name = "RewardError";
    this.actor = ctx.actor;
    this.taskId = ctx.taskId;
    this.value = value;
  }
}

function show(value: unknown): string {
  if (typeof value === "number") return String(value); // String keeps NaN / -Infinity readable
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/**
 * Returns the reward when it is a finite number (inside `range` when given, bounds inclusive);
 * otherwise throws a RewardError naming the actor, the task id and the value.
 */
export function assertFiniteReward(
  value: unknown,
  ctx: RewardContext,
  opts: { range?: readonly [number, number] } = {},
): number {
  const where = `reward from ${ctx.actor} for task ${ctx.taskId}`;
  if (typeof value !== "number") throw new RewardError(`${where} is not a number: ${show(value)}`, ctx, value);
  if (!Number.isFinite(value)) throw new RewardError(`${where} is not finite: ${show(value)}`, ctx, value);
  if (opts.range) {
    const [lo, hi] = opts.range;
    if (value < lo || value > hi)
      throw new RewardError(`${where} is out of range [${lo}, ${hi}]: ${show(value)}`, ctx, value);
  }
  return value;
}

/** Every reward the Learner trains on lies in [0, 1] (a verdict, P(yes), a score / 10). */
export const REWARD_RANGE: readonly [number, number] = [0, 1];

/**
 * An experience's reward, checked against REWARD_RANGE: the one guard rule, applied on the edge
 * into the Learner and again by the Learner itself (which may be driven without a run).
 */
export function checkedExperienceReward(e: {
  reward: unknown;
  source: { actor: string };
  trace: { taskId: string };
}): number {
  return assertFiniteReward(e.reward, { actor: e.source.actor, taskId: e.trace.taskId }, { range: REWARD_RANGE });
}
