import { test, fc } from "@fast-check/vitest";
import { describe, expect } from "vitest";
import { DivisionByZeroError, Rational } from "../src/tasks/countdown/rational.js";

const SEED = 20240611;
const big = fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n });
const nonZero = big.filter((b) => b !== 0n);
const rational = fc.tuple(big, nonZero).map(([n, d]) => Rational.of(n, d));

function gcd(a: bigint, b: bigint): bigint {
  let [x, y] = [a < 0n ? -a : a, b < 0n ? -b : b];
  while (y !== 0n) [x, y] = [y, x % y];
  return x;
}

describe("Rational", () => {
  test("normalises sign and common factors", () => {
    expect(Rational.of(6n, -4n).toString()).toBe("-3/2");
    expect(Rational.of(-6n, -4n).toString()).toBe("3/2");
    expect(Rational.of(0n, -7n).toString()).toBe("0");
    expect(Rational.of(10n, 5n).toString()).toBe("2");
    expect(Rational.fromInt(5).toString()).toBe("5");
    expect(Rational.of(7n, 3n).toString()).toBe("7/3");
  });

  test("division by zero is a value for div and a typed error for of", () => {
    expect(Rational.ONE.div(Rational.ZERO)).toBeNull();
    expect(() => Rational.of(1n, 0n)).toThrow(DivisionByZeroError);
    expect(() => Rational.fromInt(0.5)).toThrow(RangeError);
  });

  test("exact: (7/3 - 2) * 3 = 1", () => {
    const r = Rational.of(7n, 3n).sub(Rational.fromInt(2)).mul(Rational.fromInt(3));
    expect(r.equals(Rational.ONE)).toBe(true);
  });

  test("huge values never overflow", () => {
    const x = Rational.fromInt(10n ** 100n);
    expect(x.mul(x).div(x)?.equals(x)).toBe(true);
  });

  test.prop([fc.tuple(big, nonZero)], { seed: SEED })("always in lowest terms with positive denominator", ([n, d]) => {
    const r = Rational.of(n, d);
    expect(r.den > 0n).toBe(true);
    expect(gcd(r.num, r.den)).toBe(1n);
    expect(r.num * d).toBe(n * r.den);
  });

  test.prop([rational, rational], { seed: SEED })("add/sub and mul/div are inverse", (a, b) => {
    expect(a.add(b).sub(b).equals(a)).toBe(true);
    expect(a.add(b).equals(b.add(a))).toBe(true);
    if (!b.isZero()) expect(a.mul(b).div(b)?.equals(a)).toBe(true);
  });

  test.prop([rational, rational], { seed: SEED })("compare agrees with the sign of the difference", (a, b) => {
    const d = a.sub(b);
    expect(a.compare(b)).toBe(d.num < 0n ? -1 : d.num > 0n ? 1 : 0);
    expect(a.compare(b) === 0).toBe(a.equals(b));
  });
});
