// The topology of a scenario without running it: its wiring called against stand-in ports that
// never deliver, recording each edge (what `selfimprove viz`, the inspector and topology.json
// draw) and rejecting a wiring that uses an actor the scenario does not list. Needs no model, so
// loading a scenario (load.ts) checks its wiring this way before a run starts.
import { EMPTY } from "rxjs";
import type { RoleName } from "../../machines/run.js";
import type { ExperienceMessage, TaskMessage } from "../messages.js";
import type { LabeledOp } from "./ops.js";
import type { ActorDefinition } from "./define-actor.js";
import { customActorName, ScenarioError, type Scenario } from "./scenario.js";
import { wireEdge, type EdgeInfo, type Sink, type Source, type Wiring } from "./wiring.js";

/**
 * Runs a scenario's wiring against stand-in ports and records its edges, without models or
 * actors: the topology for diagrams, and a check that the wiring only uses declared actors.
 */
export function recordTopology(scenario: Scenario, where: string): EdgeInfo[] {
  const edges: EdgeInfo[] = [];
  const declared = new Set<string>(scenario.actors);
  const source = <T>(name: string): Source<T> => ({ name, stream: EMPTY });
  const sink = <T>(name: string): Sink<T> => ({ name, next: () => {} });
  const check = (name: RoleName): void => {
    if (!declared.has(name))
      throw new ScenarioError(`${where}: the wiring uses the ${name}, but "actors" does not include "${name}"`);
  };
  const role = (name: RoleName) => ({
    name,
    get in() {
      check(name);
      return sink(`${name}.in`);
    },
    get out() {
      check(name);
      return source(`${name}.out`);
    },
  });
  const wiring = {
    settings: scenario.settings,
    tasks: source<TaskMessage>("tasks"),
    student: role("student"),
    teacher: role("teacher"),
    reflector: role("reflector"),
    verifier: role("verifier"),
    learner: {
      name: "learner" as const,
      get in() {
        check("learner");
        return sink<ExperienceMessage>("learner.in");
      },
    },
    actor: (def: ActorDefinition) => {
      const name = customActorName(scenario, def, where);
      return { name, in: sink(`${name}.in`), out: source(`${name}.out`) };
    },
    // The stand-in sources are EMPTY, so wiring records each edge and never delivers anything.
    edge: (from: Source<unknown>, to: Sink<unknown>, ...ops: Array<LabeledOp<unknown, unknown>>) => {
      wireEdge(edges, from, to, ops);
    },
  } as unknown as Wiring;
  try {
    scenario.wire(wiring);
  } catch (err) {
    if (err instanceof ScenarioError) throw err;
    throw new ScenarioError(`${where}: the wiring failed (${err instanceof Error ? err.message : String(err)})`);
  }
  return edges;
}
