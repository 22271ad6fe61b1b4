// Teacher: judges completions with the correctness-evaluation prompt (RLC's self-evaluation).
import type { CompletionMessage, JudgmentMessage } from "../src/messages.js";
import { createStageMachine } from "./stage.js";

export const teacherMachine = createStageMachine<CompletionMessage, JudgmentMessage>("teacher", "judging");
