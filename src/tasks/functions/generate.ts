// Seeded function-calling problems: a tool from the catalogue, a request from one of its
// templates, and the reference call that request asks for.

import { Rng } from "../../util/rng.js";
import { CATALOGUE } from "./catalogue.js";
import { formatCall, type FunctionCall } from "./call.js";
import { contentId } from "../content-id.js";
import { REQUESTS, fillTemplate } from "./requests.js";

export interface FunctionProblem extends FunctionCall {
  /** Content-based: the same request and call always get the same id. */
  id: string;
  /** The user's request in natural language. */
  request: string;
  /** The reference call as the model should write it (canonical compact JSON). */
  solution: string;
}

/** Requests longer than this are redrawn so that prompts fit a small context. */
export const MAX_REQUEST_LENGTH = 40;
const MAX_TRIES = 1000;

export function functionProblem(request: string, call: FunctionCall): FunctionProblem {
  const solution = formatCall(call);
  return { id: contentId("fn", request, solution), request, tool: call.tool, args: call.args, solution };
}

/** One problem; the tool is drawn uniformly from the catalogue. */
export function generateFunctionProblem(rng: Rng): FunctionProblem {
  for (let t = 0; t < MAX_TRIES; t++) {
    const tool = rng.pick(CATALOGUE);
    const requests = REQUESTS[tool.name];
    if (requests === undefined) throw new Error(`generateFunctionProblem: no request templates for ${tool.name}`);
    const { request, args } = fillTemplate(rng, requests, rng.pick(requests.templates));
    // Converting a currency into itself is not a request anyone makes.
    if (tool.name === "convert" && args.from === args.to) continue;
    if (request.length > MAX_REQUEST_LENGTH) continue;
    return functionProblem(request, { tool: tool.name, args });
  }
  throw new Error("generateFunctionProblem: no request fits MAX_REQUEST_LENGTH");
}

/** `n` problems from `seed`; the same seed always yields the same set. */
export function generateFunctionSet(seed: number, n: number): FunctionProblem[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => generateFunctionProblem(rng));
}
