// Operators for scenario edges. Each is an RxJS operator with a label, so the same declaration
// both wires the stream and draws the topology ("verifier → reflector: failed attempts, ×8").
import { filter as rxFilter, map as rxMap, mergeMap, type OperatorFunction } from "rxjs";
import { childTrace, type Trace } from "../messages.js";

export interface LabeledOp<A, B> {
  kind: "filter" | "map" | "fanOut" | "custom";
  label: string;
  fn: OperatorFunction<A, B>;
}

export function filter<T>(label: string, predicate: (x: T) => boolean): LabeledOp<T, T> {
  return { kind: "filter", label, fn: rxFilter(predicate) };
}

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
    fn: mergeMap((x: T) => Array.from({ length: n }, (_, i) => ({ ...x, trace: childTrace(x.trace, { sample: i, groupId: x.trace.id }) }))),
  };
}

/** Any RxJS operator, labelled for the diagram. */
export function custom<A, B>(label: string, fn: OperatorFunction<A, B>): LabeledOp<A, B> {
  return { kind: "custom", label, fn };
}
