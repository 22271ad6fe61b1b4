// Arithmetic expressions over non-negative integer literals, parsed without recursion (shunting-yard)
// so that hostile model output (deep nesting, huge inputs) costs linear time and no stack.
// Parsing and evaluation are separate steps: a caller such as the verifier can reject an answer
// from its literals alone before spending any bigint arithmetic on it.

import { Rational } from "./rational.js";

/** An arithmetic operator of Countdown (ASCII). */
export type Op = "+" | "-" | "*" | "/";

/**
 * A postfix token: an index >= 0 into `literals`, or an operator code < 0 (see OP_CODES). Plain
 * numbers rather than objects because hostile inputs have ~100k tokens and allocation dominates.
 */
export type RpnToken = number;

/** Operator codes used in RpnToken: "+" is -1, "-" is -2, "*" is -3, "/" is -4. */
export const OP_CODES: Readonly<Record<Op, number>> = { "+": -1, "-": -2, "*": -3, "/": -4 };
const OPS_BY_CODE: readonly Op[] = ["+", "-", "*", "/"];

/** An arithmetic expression parsed to postfix form, ready to evaluate. */
export interface ParsedExpression {
  ok: true;
  /** Postfix form; literal indices appear in increasing order. */
  rpn: RpnToken[];
  /** Literal digit strings in order of appearance, exactly as written. */
  literals: string[];
}

/** Why an expression could not be parsed or evaluated. */
export interface ExpressionError {
  ok: false;
  reason: "unparsable" | "division by zero";
  detail: string;
}

/** An expression's exact value (a {@link Rational}) and the literals it used. */
export interface EvaluatedExpression {
  ok: true;
  value: Rational;
  /** Literal values in order of appearance. */
  numbers: bigint[];
}

/** The outcome of {@link evaluateExpression}: a value or an error, never an exception. */
export type EvaluationResult = EvaluatedExpression | ExpressionError;

/** Bounds that keep evaluating hostile model output cheap (literal count, digits per literal). */
export interface EvaluationLimits {
  /** Expressions with more literals are refused before any arithmetic (default 64). */
  maxLiterals?: number;
  /** Literals with more digits (leading zeros excluded) are refused before any arithmetic (default 24). */
  maxLiteralDigits?: number;
}

// These bound the size of every intermediate bigint, which keeps evaluation cheap even for inputs
// such as "99*99*...*99" that would otherwise build a number with tens of thousands of digits.
const DEFAULT_MAX_LITERALS = 64;
const DEFAULT_MAX_LITERAL_DIGITS = 24;

/** The operator code for a character, or 0 when it is not an operator. */
function operatorAt(code: number): number {
  switch (code) {
    case 0x2b: // +
      return -1;
    case 0x2d: // -
    case 0x2212: // − minus sign
      return -2;
    case 0x2a: // *
    case 0xd7: // × multiplication sign
      return -3;
    case 0x2f: // /
    case 0xf7: // ÷ division sign
      return -4;
    default:
      return 0;
  }
}

/** Higher binds tighter: * and / (codes -3, -4) over + and - (codes -1, -2). */
function precedence(opCode: number): number {
  return opCode <= -3 ? 2 : 1;
}

function isAsciiDigit(code: number): boolean {
  return code >= 0x30 && code <= 0x39;
}

function isSpace(code: number): boolean {
  // ASCII whitespace only; anything more exotic inside an answer is treated as garbage.
  return code === 0x20 || (code >= 0x09 && code <= 0x0d);
}

function describeChar(text: string, index: number): string {
  const cp = text.codePointAt(index) ?? 0;
  return JSON.stringify(String.fromCodePoint(cp));
}

function unparsable(detail: string): ExpressionError {
  return { ok: false, reason: "unparsable", detail };
}

/** Parses `text` into postfix form. Never throws; linear in the length of `text`. */
export function parseExpression(text: string): ParsedExpression | ExpressionError {
  const rpn: RpnToken[] = [];
  const literals: string[] = [];
  // Pending operator codes and "(" markers (0).
  const stack: number[] = [];
  const OPEN = 0;
  let expectOperand = true;
  let i = 0;
  const n = text.length;

  while (i < n) {
    const code = text.charCodeAt(i);
    if (isSpace(code)) {
      i++;
      continue;
    }
    if (expectOperand) {
      if (isAsciiDigit(code)) {
        const start = i;
        while (i < n && isAsciiDigit(text.charCodeAt(i))) i++;
        rpn.push(literals.length);
        literals.push(text.slice(start, i));
        expectOperand = false;
        continue;
      }
      if (code === 0x28) {
        stack.push(OPEN);
        i++;
        continue;
      }
      if (operatorAt(code) !== 0) {
        return unparsable(`expected a number or "(" at position ${i}, found operator ${describeChar(text, i)}`);
      }
      if (code === 0x29) return unparsable(`expected a number or "(" at position ${i}, found ")"`);
      return unparsable(`unexpected character ${describeChar(text, i)} at position ${i}`);
    }

    const op = operatorAt(code);
    if (op !== 0) {
      const prec = precedence(op);
      // Left associativity: pop operators of equal or higher precedence first.
      for (let top = stack.at(-1); top !== undefined && top !== OPEN && precedence(top) >= prec; top = stack.at(-1)) {
        rpn.push(top);
        stack.pop();
      }
      stack.push(op);
      expectOperand = true;
      i++;
      continue;
    }
    if (code === 0x29) {
      let top = stack.pop();
      while (top !== undefined && top !== OPEN) {
        rpn.push(top);
        top = stack.pop();
      }
      if (top === undefined) return unparsable(`unmatched ")" at position ${i}`);
      i++;
      continue;
    }
    if (isAsciiDigit(code) || code === 0x28) {
      return unparsable(`expected an operator or ")" at position ${i}, found ${describeChar(text, i)}`);
    }
    return unparsable(`unexpected character ${describeChar(text, i)} at position ${i}`);
  }

  if (expectOperand) {
    return unparsable(literals.length === 0 && stack.length === 0 ? "empty expression" : "expression ends early");
  }
  for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
    if (top === OPEN) return unparsable('unmatched "("');
    rpn.push(top);
  }
  return { ok: true, rpn, literals };
}

/** Digit count ignoring leading zeros ("007" has 1 significant digit). */
export function significantDigits(digits: string): number {
  let k = 0;
  while (k < digits.length - 1 && digits.charCodeAt(k) === 0x30) k++;
  return digits.length - k;
}

function apply(op: Op, a: Rational, b: Rational): Rational | null {
  switch (op) {
    case "+":
      return a.add(b);
    case "-":
      return a.sub(b);
    case "*":
      return a.mul(b);
    case "/":
      return a.div(b);
  }
}

/** Evaluates a parsed expression exactly. Never throws. */
export function evaluateParsed(parsed: ParsedExpression, limits: EvaluationLimits = {}): EvaluationResult {
  const maxLiterals = limits.maxLiterals ?? DEFAULT_MAX_LITERALS;
  const maxDigits = limits.maxLiteralDigits ?? DEFAULT_MAX_LITERAL_DIGITS;
  if (parsed.literals.length > maxLiterals) {
    return unparsable(`too many numbers (${parsed.literals.length}; at most ${maxLiterals} are evaluated)`);
  }
  for (const digits of parsed.literals) {
    if (significantDigits(digits) > maxDigits) {
      return unparsable(`number too long (${digits.length} digits; at most ${maxDigits} are evaluated)`);
    }
  }

  const numbers: bigint[] = [];
  const values: Rational[] = [];
  for (const token of parsed.rpn) {
    if (token >= 0) {
      const digits = parsed.literals[token];
      if (digits === undefined) return unparsable("malformed postfix expression");
      const v = BigInt(digits);
      numbers.push(v);
      values.push(Rational.fromInt(v));
      continue;
    }
    const op = OPS_BY_CODE[-token - 1];
    const b = values.pop();
    const a = values.pop();
    // The parser only emits well-formed postfix, so this guards against hand-built input.
    if (a === undefined || b === undefined || op === undefined) return unparsable("malformed postfix expression");
    const r = apply(op, a, b);
    if (r === null) return { ok: false, reason: "division by zero", detail: `${a.toString()} / 0` };
    values.push(r);
  }
  const value = values.pop();
  if (value === undefined || values.length !== 0) return unparsable("malformed postfix expression");
  return { ok: true, value, numbers };
}

/** Parses and evaluates `text`. Never throws; bounded work for any input (see EvaluationLimits). */
export function evaluateExpression(text: string, limits: EvaluationLimits = {}): EvaluationResult {
  const parsed = parseExpression(text);
  return parsed.ok ? evaluateParsed(parsed, limits) : parsed;
}
