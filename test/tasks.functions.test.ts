import { fc, test } from "@fast-check/vitest";
import { describe, expect } from "vitest";
import { Tokenizer } from "../src/engine/tokenizer.js";
import { CATALOGUE } from "../src/tasks/functions/catalogue.js";
import { formatCall } from "../src/tasks/functions/call.js";
import { DEFAULT_FUNCTION_MIX, functionCorpusExample } from "../src/tasks/functions/corpus.js";
import {
  generateFunctionProblem,
  generateFunctionSet,
  MAX_REQUEST_LENGTH,
  type FunctionProblem,
} from "../src/tasks/functions/generate.js";
import { parseFunctionJsonl, verifyFunctionJsonl } from "../src/tasks/functions/jsonl.js";
import { mistake, MISTAKE_KINDS } from "../src/tasks/functions/mistakes.js";
import { MAX_TOKENS } from "../src/tasks/functions/prompts.js";
import { REQUESTS, slotsOf } from "../src/tasks/functions/requests.js";
import {
  applyReflection,
  goodReflection,
  parseReflection,
  reflectionFixes,
} from "../src/tasks/functions/reflection.js";
import { functionsTask } from "../src/tasks/functions/spec.js";
import { verifyCall, type CallReason } from "../src/tasks/functions/verify.js";
import { JsonlError, toJsonl } from "../src/util/jsonl.js";
import { Rng } from "../src/util/rng.js";

const seed = fc.integer({ min: 0, max: 2 ** 31 - 1 });
const problemFrom = (s: number): FunctionProblem => generateFunctionProblem(new Rng(s));

describe("catalogue and templates", () => {
  test("10-12 tools with 1-3 parameters, every template slot and every required parameter covered", () => {
    expect(CATALOGUE.length).toBeGreaterThanOrEqual(10);
    expect(CATALOGUE.length).toBeLessThanOrEqual(12);
    for (const tool of CATALOGUE) {
      expect(tool.params.length).toBeGreaterThanOrEqual(1);
      expect(tool.params.length).toBeLessThanOrEqual(3);
      const req = REQUESTS[tool.name];
      expect(req, tool.name).toBeDefined();
      for (const t of req?.templates ?? []) {
        const named = new Set([...slotsOf(t.text), ...Object.keys(t.fixed ?? {})]);
        for (const name of named)
          expect(
            tool.params.map((p) => p.name),
            `${tool.name}: ${t.text}`,
          ).toContain(name);
        for (const p of tool.params.filter((q) => q.required))
          expect(named.has(p.name), `${tool.name}: ${t.text} lacks ${p.name}`).toBe(true);
      }
    }
  });
});

describe("function-calling generator", () => {
  test.prop([seed])("is deterministic per seed", (s) => {
    expect(generateFunctionSet(s, 5)).toEqual(generateFunctionSet(s, 5));
  });

  test("ids are content-based: equal content, equal id; different content, different id", () => {
    const set = generateFunctionSet(11, 2000);
    const byId = new Map<string, string>();
    for (const p of set) {
      const content = `${p.request}|${p.solution}`;
      expect(byId.get(p.id) ?? content).toBe(content);
      byId.set(p.id, content);
    }
    expect(new Set(set.map((p) => `${p.request}|${p.solution}`)).size).toBe(byId.size);
    expect(generateFunctionSet(12, 50).every((p) => p.id.startsWith("fn-"))).toBe(true);
  });

  test("covers every tool; requests and calls fit the model's budgets", () => {
    const set = generateFunctionSet(5, 3000);
    expect(new Set(set.map((p) => p.tool))).toEqual(new Set(CATALOGUE.map((t) => t.name)));
    for (const p of set) {
      expect(p.request.length).toBeLessThanOrEqual(MAX_REQUEST_LENGTH);
      expect(p.solution.length + 1).toBeLessThanOrEqual(MAX_TOKENS.answer);
      expect(p.solution).toBe(formatCall(p));
    }
  });

  test("no <|unk|> in any prompt, answer, reflection or corpus example", () => {
    const tok = new Tokenizer(functionsTask.tokenizer);
    const rng = new Rng(3);
    for (const p of generateFunctionSet(8, 1500)) {
      const texts = [functionsTask.answerPrompt(p) + p.solution, functionsTask.judgePrompt(p, p.solution)];
      const ex = functionCorpusExample(rng, p);
      texts.push(ex.segments.map((s) => s.text).join(""));
      for (const t of texts) expect(tok.encode(t), t).not.toContain(tok.unk);
    }
  });
});

describe("function-call verifier", () => {
  test.prop([seed])("accepts every generated solution", (s) => {
    const p = problemFrom(s);
    expect(verifyCall(p, p.solution)).toEqual({ correct: true, reason: "ok" });
    expect(functionsTask.verify(p, functionsTask.extractAnswer(`  ${p.solution}\nmore text`)).correct).toBe(true);
  });

  test.prop([seed, fc.constantFrom(...MISTAKE_KINDS)])("rejects each kind of mistake with its reason", (s, kind) => {
    const p = problemFrom(s);
    const attempt = mistake(new Rng(s + 1), p, kind);
    fc.pre(attempt !== undefined);
    const expected: Record<typeof kind, CallReason> = {
      tool: "wrong tool",
      missing: "missing argument",
      unexpected: "unexpected argument",
      value: "wrong value",
      garbled: "unparsable",
    };
    expect(verifyCall(p, attempt as string)).toMatchObject({ correct: false, reason: expected[kind] });
  });

  test.prop([seed, fc.string({ maxLength: 120 })])(
    "never throws on any string, nor on the solution with junk spliced in",
    (s, junk) => {
      const p = problemFrom(s);
      const at = s % (p.solution.length + 1);
      for (const answer of [junk, p.solution.slice(0, at) + junk + p.solution.slice(at)]) {
        const v = verifyCall(p, answer);
        expect(typeof v.correct).toBe("boolean");
        if (v.correct) expect(v.reason).toBe("ok");
      }
    },
  );

  const oslo = { tool: "weather", args: { city: "oslo", unit: "f" } };
  test.each<[string, string, CallReason]>([
    ['{"n":"weather","a":{"city":"oslo","unit":"f"}}', "exact", "ok"],
    [
      ' { "a" : { "unit" : "F" , "city" : "  Oslo " } , "n" : " Weather " } ',
      "order, spaces, case of tool/enum/folded string",
      "ok",
    ],
    ['{"n":"weather","a":{"city":"oslo"}}', "unit left at its default (c), but f was asked for", "missing argument"],
    ['{"n":"weather","a":{"city":"oslo","unit":"c"}}', "wrong enum value", "wrong value"],
    ['{"n":"weather","a":{"city":"oslo","unit":"fahrenheit"}}', "not an enum member", "wrong value"],
    ['{"n":"weather","a":{"city":"oslo","unit":"f","x":1}}', "unknown argument", "unexpected argument"],
    ['{"n":"weather","a":{"city":"oslo","unit":"f"},"x":1}', "unknown top-level key", "unparsable"],
    ['{"n":"search","a":{"q":"oslo"}}', "other tool", "wrong tool"],
    ['{"n":"weather","a":{"unit":"f"}}', "missing required", "missing argument"],
    ['{"n":"weather","a":{"city":["oslo"],"unit":"f"}}', "array for a string", "wrong value"],
    ['{"n":"weather"}', "no arguments", "missing argument"],
    ['{"n":"weather","a":[]}', "arguments not an object", "unparsable"],
    ['[{"n":"weather","a":{"city":"oslo","unit":"f"}}]', "array of calls", "unparsable"],
    ['{"n":"weather","a":{"city":"oslo","unit":"f"}} trailing', "trailing text", "unparsable"],
    ["", "empty", "unparsable"],
  ])("%s (%s) → %s", (answer, _why, reason) => {
    expect(verifyCall(oslo, answer).reason).toBe(reason);
  });

  test("defaults: an omitted optional argument equals its default, and writing the default out is fine", () => {
    const p = { tool: "weather", args: { city: "oslo" } };
    expect(verifyCall(p, '{"n":"weather","a":{"city":"oslo","unit":"c"}}').correct).toBe(true);
    expect(verifyCall(p, '{"n":"weather","a":{"city":"oslo","unit":null}}').correct).toBe(true);
    expect(verifyCall(p, '{"n":"weather","a":{"city":"oslo","unit":"f"}}').reason).toBe("unexpected argument");
    const alarm = { tool: "alarm", args: { hour: 7, min: 0 } };
    expect(verifyCall(alarm, '{"n":"alarm","a":{"hour":7}}').correct).toBe(true);
    // No default: an optional argument that was not asked for is unexpected.
    expect(verifyCall({ tool: "heat", args: { temp: 20 } }, '{"n":"heat","a":{"temp":20,"room":"hall"}}').reason).toBe(
      "unexpected argument",
    );
  });

  test("numbers compare by value, types are strict, case folds only where the schema says", () => {
    const timer = { tool: "timer", args: { min: 5, label: "Tea" } };
    expect(verifyCall(timer, '{"n":"timer","a":{"min":5.0,"label":"Tea"}}').correct).toBe(true);
    expect(verifyCall(timer, '{"n":"timer","a":{"min":5e0,"label":" Tea "}}').correct).toBe(true);
    expect(verifyCall(timer, '{"n":"timer","a":{"min":"5","label":"Tea"}}').reason).toBe("wrong value");
    expect(verifyCall(timer, '{"n":"timer","a":{"min":5.5,"label":"Tea"}}').reason).toBe("wrong value");
    expect(verifyCall(timer, '{"n":"timer","a":{"min":5,"label":"tea"}}').reason).toBe("wrong value");
    const convert = { tool: "convert", args: { amt: 2.5, from: "usd", to: "eur" } };
    expect(verifyCall(convert, '{"n":"convert","a":{"amt":2.50,"from":"USD","to":"eur"}}').correct).toBe(true);
    expect(verifyCall(convert, '{"n":"convert","a":{"amt":25e-1,"from":"usd","to":"eur"}}').correct).toBe(true);
    const light = { tool: "light", args: { room: "hall", on: true } };
    expect(verifyCall(light, '{"n":"light","a":{"room":"hall","on":"true"}}').reason).toBe("wrong value");
    expect(verifyCall(light, '{"n":"light","a":{"room":"hall","on":1}}').reason).toBe("wrong value");
  });
});

describe("function-calling reflections", () => {
  test.each([
    ["use weather", "search", { op: "use", tool: "weather" }],
    ["add unit=f", "weather", { op: "add", name: "unit", value: "f" }],
    ["set city=new york", "weather", { op: "set", name: "city", value: "new york" }],
    ["set min=5", "timer", { op: "set", name: "min", value: 5 }],
    ["set on=false", "light", { op: "set", name: "on", value: false }],
    ["drop unit", "weather", { op: "drop", name: "unit" }],
  ])("parses %j for %s", (text, tool, edit) => {
    expect(parseReflection(text, tool)).toEqual(edit);
  });

  test.each([
    ["use nothing", "weather"],
    ["add x=1", "weather"],
    ["set unit=kelvin", "weather"],
    ["set min=5.5", "timer"],
    ["drop unit=c", "weather"],
    ["add __proto__=1", "weather"],
    ["set constructor=1", "weather"],
    ["", "weather"],
  ])("refuses %j for %s", (text, tool) => {
    expect(parseReflection(text, tool)).toBeUndefined();
  });

  test.prop([seed, fc.constantFrom("tool", "missing", "unexpected", "value" as const)])(
    "the good reflection for a single mistake repairs it",
    (s, kind) => {
      const p = problemFrom(s);
      const attempt = mistake(new Rng(s ^ 0x5bd1e995), p, kind);
      fc.pre(attempt !== undefined);
      const r = goodReflection(p, attempt as string);
      expect(r).toBeDefined();
      expect(reflectionFixes(p, attempt as string, r as string)).toBe(true);
    },
  );

  test.prop([seed, fc.string({ maxLength: 60 }), fc.string({ maxLength: 60 })])(
    "applying untrusted reflections never throws",
    (s, attempt, reflection) => {
      const p = problemFrom(s);
      expect(() => applyReflection(attempt, reflection)).not.toThrow();
      expect(() => applyReflection(p.solution, reflection)).not.toThrow();
      expect(typeof reflectionFixes(p, attempt, reflection)).toBe("boolean");
    },
  );
});

describe("function-calling corpus", () => {
  test("answers are right at the configured rate, judges are balanced and labelled by the verifier, reflections mixed", () => {
    const rng = new Rng(21);
    const problems = generateFunctionSet(22, 2400);
    const counts = { answer: 0, answerRight: 0, judge: 0, judgeYes: 0, reflect: 0, good: 0 };
    for (const p of problems) {
      const ex = functionCorpusExample(rng, p);
      const [prompt, out, retry] = ex.segments;
      expect(prompt?.train).toBe(false);
      if (ex.kind === "answer") {
        counts.answer++;
        if (verifyCall(p, (out?.text ?? "").replace("<|eos|>", "")).correct) counts.answerRight++;
      } else if (ex.kind === "judge") {
        counts.judge++;
        const answer = (prompt?.text ?? "").split("<|ans|>")[1]?.replace("<|judge|>", "") ?? "";
        const yes = out?.text === "<|yes|>";
        expect(yes).toBe(verifyCall(p, answer).correct);
        if (yes) counts.judgeYes++;
      } else {
        counts.reflect++;
        const attempt = (prompt?.text ?? "").split("<|ans|>")[1]?.replace("<|reflect|>", "") ?? "";
        const reflection = (out?.text ?? "").replace("<|retry|>", "");
        expect(reflection.length + 1).toBeLessThanOrEqual(MAX_TOKENS.reflection);
        expect(verifyCall(p, attempt).correct).toBe(false);
        const fixes = reflectionFixes(p, attempt, reflection);
        // The retry carries out the reflection: right exactly when the reflection was good.
        expect(verifyCall(p, (retry?.text ?? "").replace("<|eos|>", "")).correct).toBe(fixes);
        if (fixes) counts.good++;
      }
    }
    expect(counts.answerRight / counts.answer).toBeCloseTo(DEFAULT_FUNCTION_MIX.answerCorrect, 1);
    expect(counts.judgeYes / counts.judge).toBeCloseTo(0.5, 1);
    expect(counts.good / counts.reflect).toBeCloseTo(DEFAULT_FUNCTION_MIX.goodReflection, 1);
  });
});

describe("function-calling JSONL", () => {
  test.prop([seed])("round-trips generated problems", (s) => {
    const set = generateFunctionSet(s, 10);
    const back = parseFunctionJsonl(toJsonl(set), "fn.jsonl");
    expect(back.map((r) => r.problem)).toEqual(set);
    expect(back.map((r) => r.line)).toEqual(set.map((_, i) => i + 1));
  });

  test("derives ids and solutions when absent", () => {
    const [r] = parseFunctionJsonl(
      '{"request":"weather in oslo","tool":"weather","args":{"city":"oslo"}}\n',
      "x.jsonl",
    );
    expect(r?.problem.solution).toBe('{"n":"weather","a":{"city":"oslo"}}');
    expect(r?.problem.id).toMatch(/^fn-/);
  });

  test.each([
    ['{"request":"r","tool":"nope","args":{}}', 1, /field "tool": unknown tool "nope"/],
    [
      '\n{"request":"r","tool":"weather","args":{"city":"oslo","x":1}}',
      2,
      /field "args\.x": weather has no parameter "x"/,
    ],
    [
      '{"request":"r","tool":"weather","args":{"city":"oslo","unit":"k"}}',
      1,
      /field "args\.unit": expected one of c, f/,
    ],
    ['{"request":"r","tool":"timer","args":{"min":500}}', 1, /field "args\.min": expected an integer in \[1, 90\]/],
    ['{"request":"r","tool":"weather","args":{}}', 1, /field "args\.city": required/],
    [
      '{"request":"r","tool":"weather","args":{"city":"oslo","__proto__":{"unit":"f"}}}',
      1,
      /field "args\.__proto__": weather has no parameter/,
    ],
    ['{"request":"r","tool":"weather","args":[]}', 1, /field "args": expected an object/],
    ['{"tool":"weather","args":{"city":"oslo"}}', 1, /field "request": required/],
    ["{not json", 1, /invalid JSON/],
  ])("reports %j at line %i", (text, line, message) => {
    let err: unknown;
    try {
      parseFunctionJsonl(text, "fn.jsonl");
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(JsonlError);
    expect((err as JsonlError).line).toBe(line);
    expect((err as JsonlError).message).toMatch(message);
  });

  test("verifyFunctionJsonl scores answers line by line (the shape `verify --task functions` would print)", () => {
    const text =
      '{"request":"weather in oslo","tool":"weather","args":{"city":"oslo"},"answer":"{\\"n\\":\\"weather\\",\\"a\\":{\\"city\\":\\"Oslo\\"}}"}\n' +
      '{"request":"call bob","tool":"call","args":{"who":"bob"},"answer":"{\\"n\\":\\"email\\"}"}\n';
    expect(
      verifyFunctionJsonl(text, "a.jsonl").map(({ line, correct, reason }) => ({ line, correct, reason })),
    ).toEqual([
      { line: 1, correct: true, reason: "ok" },
      { line: 2, correct: false, reason: "wrong tool" },
    ]);
  });
});

describe("functionsTask", () => {
  test("held-out set is fixed and prompts nest as the loops expect", () => {
    expect(functionsTask.heldOut(20)).toEqual(functionsTask.heldOut(20));
    const p = functionsTask.heldOut(1)[0] as FunctionProblem;
    const retry = functionsTask.retryPrompt(p, "x", "use weather");
    expect(retry.startsWith(functionsTask.reflectPrompt(p, "x"))).toBe(true);
    expect(functionsTask.reflectPrompt(p, "x").startsWith(functionsTask.answerPrompt(p))).toBe(true);
    expect(retry.endsWith("use weather<|retry|>")).toBe(true);
    expect(functionsTask.reflectionStop).toEqual(["<|retry|>"]);
  });
});
