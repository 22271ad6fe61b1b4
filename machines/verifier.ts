// Verifier: the task's binary checker (parses untrusted model text, never evaluates it).
import type { CompletionMessage, VerdictMessage } from "../src/messages.js";
import { createStageMachine } from "./stage.js";

export const verifierMachine = createStageMachine<CompletionMessage, VerdictMessage>("verifier", "verifying");
