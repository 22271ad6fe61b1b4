// R3's reflection-only mask: 1 exactly on the reflection tokens for any token arrays, and nothing
// trained when the first try succeeded.
import { fc, test } from "@fast-check/vitest";
import { describe, expect } from "vitest";
import {
  conversationSpans,
  r3TokenWeights,
  reflectionMask,
  roleMask,
  spanTokens,
  type R3Conversation,
} from "../src/rewards/index.js";
import { Tokenizer } from "../src/engine/tokenizer.js";
import { COUNTDOWN_TOKENIZER, SPECIAL } from "../src/tasks/countdown/prompts.js";

const SEED = 1234;
// Any token ids: the mask must not depend on the tokenizer or on the id values themselves.
const ids = (minLength = 0): fc.Arbitrary<number[]> =>
  fc.array(fc.integer({ min: 0, max: 100_000 }), { minLength, maxLength: 20 });
const conversation: fc.Arbitrary<R3Conversation> = fc.record(
  {
    prompt: ids(1),
    attempt: ids(),
    reflectPrompt: ids(),
    reflection: ids(),
    retryPrompt: ids(),
    retry: ids(),
  },
  { requiredKeys: ["prompt", "reflection", "retry"] },
);

describe("reflection mask", () => {
  test.prop([conversation], { seed: SEED })("covers exactly the reflection span", (c) => {
    const mask = reflectionMask(c);
    const before = c.prompt.length + (c.attempt?.length ?? 0) + (c.reflectPrompt?.length ?? 0);
    const total = spanTokens(conversationSpans(c)).length;
    expect(mask.length).toBe(total);
    mask.forEach((m, i) => expect(m).toBe(i >= before && i < before + c.reflection.length ? 1 : 0));
  });

  test.prop([conversation, fc.boolean()], { seed: SEED })(
    "R3 weights: reflection only after a failed first try; all zero after a success",
    (c, retryOk) => {
      const failed = r3TokenWeights(c, retryOk, false);
      expect(failed.tokens).toEqual(spanTokens(conversationSpans(c)));
      expect(Array.from(failed.mask)).toEqual(Array.from(reflectionMask(c)));
      expect(failed.reward).toBe(retryOk ? 1 : 0);
      expect(failed.trained).toBe(true);
      const solved = r3TokenWeights(c, retryOk, true);
      expect(solved.mask.length).toBe(failed.tokens.length);
      expect(solved.mask.every((m) => m === 0)).toBe(true);
      expect(solved.trained).toBe(false);
    },
  );

  test("generic spans: any roles, several reflection spans", () => {
    const spans = [
      { tokens: [1, 2], role: "prompt" },
      { tokens: [3], role: "reflection" },
      { tokens: [4, 5], role: "tool-output" },
      { tokens: [6, 7], role: "reflection" },
    ];
    expect(Array.from(reflectionMask(spans))).toEqual([0, 0, 1, 0, 0, 1, 1]);
    expect(Array.from(roleMask(spans, ["prompt", "tool-output"]))).toEqual([1, 1, 0, 1, 1, 0, 0]);
  });

  test("Countdown conversation: the reflection and its closing <|retry|> are trained, the rest is not", () => {
    const tok = new Tokenizer(COUNTDOWN_TOKENIZER);
    const conv: R3Conversation = {
      prompt: tok.encode(`${SPECIAL.bos}44 19 35=98${SPECIAL.ans}`),
      attempt: tok.encode("44+19+35"),
      reflectPrompt: tok.encode(SPECIAL.reflect),
      reflection: tok.encode(`44+35=79${SPECIAL.retry}`),
      retry: tok.encode(`(44+35)+19${SPECIAL.eos}`),
    };
    const { tokens, mask } = r3TokenWeights(conv, true, false);
    const trained = tokens.filter((_, i) => mask[i] === 1);
    expect(tok.decode(trained)).toBe(`44+35=79${SPECIAL.retry}`);
  });
});
