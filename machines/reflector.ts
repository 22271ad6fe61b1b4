// Reflector: after a failed attempt, writes a self-reflection (R3).
import type { CompletionMessage, VerdictMessage } from "../src/messages.js";
import { createStageMachine } from "./stage.js";

export const reflectorMachine = createStageMachine<VerdictMessage, CompletionMessage>("reflector", "reflecting");
