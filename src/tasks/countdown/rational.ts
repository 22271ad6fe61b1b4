// Exact rationals on bigint so that checking an answer never depends on floating-point rounding
// ((7/3-2)*3 must equal 1 exactly) and never overflows however large the operands are.

/** Thrown only by `Rational.of` when asked for a zero denominator; `div` reports it as `null`. */
export class DivisionByZeroError extends RangeError {
  constructor() {
    super("division by zero");
    this.name = "DivisionByZeroError";
  }
}

function abs(x: bigint): bigint {
  return x < 0n ? -x : x;
}

function gcd(a: bigint, b: bigint): bigint {
  let x = abs(a);
  let y = abs(b);
  while (y !== 0n) {
    const r = x % y;
    x = y;
    y = r;
  }
  return x;
}

/** An immutable fraction kept in lowest terms with a positive denominator. */
export class Rational {
  static readonly ZERO = new Rational(0n, 1n);
  static readonly ONE = new Rational(1n, 1n);

  // Private so every instance is normalised; equality can then compare fields directly.
  private constructor(
    readonly num: bigint,
    readonly den: bigint,
  ) {}

  /** num/den in lowest terms. Throws DivisionByZeroError when den is 0. */
  static of(num: bigint, den: bigint = 1n): Rational {
    if (den === 0n) throw new DivisionByZeroError();
    if (den === 1n) return new Rational(num, 1n);
    const g = gcd(num, den);
    const sign = den < 0n ? -1n : 1n;
    return new Rational((sign * num) / g, (sign * den) / g);
  }

  /** The rational `n/1`; throws for a number that is not a safe integer. */
  static fromInt(n: bigint | number): Rational {
    if (typeof n === "number" && !Number.isSafeInteger(n)) {
      throw new RangeError(`Rational.fromInt: ${n} is not a safe integer`);
    }
    return new Rational(BigInt(n), 1n);
  }

  /** `this + o`, exactly. */
  add(o: Rational): Rational {
    if (this.den === 1n && o.den === 1n) return new Rational(this.num + o.num, 1n);
    return Rational.of(this.num * o.den + o.num * this.den, this.den * o.den);
  }

  /** `this − o`, exactly. */
  sub(o: Rational): Rational {
    if (this.den === 1n && o.den === 1n) return new Rational(this.num - o.num, 1n);
    return Rational.of(this.num * o.den - o.num * this.den, this.den * o.den);
  }

  /** `this × o`, exactly. */
  mul(o: Rational): Rational {
    if (this.den === 1n && o.den === 1n) return new Rational(this.num * o.num, 1n);
    return Rational.of(this.num * o.num, this.den * o.den);
  }

  /** this / o, or null when o is zero (a result value rather than an exception, so callers must handle it). */
  div(o: Rational): Rational | null {
    if (o.num === 0n) return null;
    return Rational.of(this.num * o.den, this.den * o.num);
  }

  /** `−this`. */
  neg(): Rational {
    return new Rational(-this.num, this.den);
  }

  /** Whether the value is 0. */
  isZero(): boolean {
    return this.num === 0n;
  }

  /** Whether the value is a whole number. */
  isInteger(): boolean {
    return this.den === 1n;
  }

  /** Exact equality (both are kept in lowest terms). */
  equals(o: Rational): boolean {
    return this.num === o.num && this.den === o.den;
  }

  /** -1, 0 or 1. */
  compare(o: Rational): -1 | 0 | 1 {
    const l = this.num * o.den;
    const r = o.num * this.den;
    return l < r ? -1 : l > r ? 1 : 0;
  }

  /** A floating-point approximation, for display and ordering only. */
  toNumber(): number {
    return Number(this.num) / Number(this.den);
  }

  /** "7/3", "-1/2" or "5". */
  toString(): string {
    return this.den === 1n ? this.num.toString() : `${this.num}/${this.den}`;
  }
}
