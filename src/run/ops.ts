// Operators for scenario edges. Each is an RxJS operator with a label, so the same declaration
// both wires the stream and draws the topology ("verifier → reflector: failed attempts, ×8").
import { filter as rxFilter, map as rxMap, mergeMap, type OperatorFunction } from "rxjs";
import { childTrace, type Trace } from "../messages.js";

/**
 * An RxJS operator with a label and a kind: wires an edge and names it in the topology diagram.
 * Made by {@link filter}, {@link map}, {@link fanOut} and {@link custom}.
 */
export interface LabeledOp<A, B> {
  kind: "filter" | "map" | "fanOut" | "custom";
  label: string;
  fn: OperatorFunction<A, B>;
}

/**
 * Lets through only the messages `predicate` accepts.
 *
 * @example
 * ```ts
 * w.edge(w.verifier.out, w.reflector.in, filter("failed first tries", (v: VerdictMessage) => !v.correct));
 * ```
 */
export function filter<T>(label: string, predicate: (x: T) => boolean): LabeledOp<T, T> {
  return { kind: "filter", label, fn: rxFilter(predicate) };
}

/**
 * Turns each message into another (a request for the next actor, an experience for the Learner).
 *
 * @example
 * ```ts
 * w.edge(w.verifier.out, w.learner.in, map("verifier reward", verifierExperience));
 * ```
 */
export function map<A, B>(label: string, f: (x: A) => B): LabeledOp<A, B> {
  return { kind: "map", label, fn: rxMap(f) };
}

/**
 * n copies of each message, numbered 0..n-1 and grouped under the original's id: GRPO's G
 * samples per prompt, or R3's G reflections per failure.
 */
export function fanOut<T extends { trace: Trace }>(label: string, n: number): LabeledOp<T, T> {
  if (!Number.isInteger(n) || n < 1) throw new Error(`fanOut: n must be a positive integer (got ${n})`);
  return {
    kind: "fanOut",
    label: `${label} ×${n}`,
    fn: mergeMap((x: T) =>
      Array.from({ length: n }, (_, i) => ({ ...x, trace: childTrace(x.trace, { sample: i, groupId: x.trace.id }) })),
    ),
  };
}

/** Any RxJS operator, labelled for the diagram. */
export function custom<A, B>(label: string, fn: OperatorFunction<A, B>): LabeledOp<A, B> {
  return { kind: "custom", label, fn };
}
