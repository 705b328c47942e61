import { Decimal } from 'decimal.js';

/**
 * Exact money for the pipeline.
 *
 * The pricing hot path (allocation, rounding) uses exact ratios of BigInts and fixed-point *fine units*
 * of 10^-15 minor unit (the second half of this file). {@link Money} — a decimal with 40 significant
 * digits, a private decimal.js clone so nobody else's global Decimal settings can change our results —
 * remains for per-price display values (unit prices, catalog prices) and for callers outside the hot
 * path. Money is rounded exactly once, at the end (the rule is spelled out in {@link ROUNDING_RULE}).
 */
export const Money = Decimal.clone({
  precision: 40,
  rounding: Decimal.ROUND_HALF_EVEN,
  toExpNeg: -1000,
  toExpPos: 1000,
});
/** An exact decimal amount (instance of {@link Money}). */
export type Money = Decimal;

/** The rounding rule, as recorded in summary.json (policies.rounding) and the README. */
export const ROUNDING_RULE =
  'exact rational arithmetic; each row amount is its exact value floored to 10^-15 of the minor unit; ' +
  'rounded once at the end to the currency minor unit: ' +
  'grand total = capacity cost rounded half-even; grand total apportioned to teams by largest remainder; ' +
  "each team's total apportioned to its rows by largest remainder (ties: team name, then row order)";

/**
 * ISO 4217 minor units for the currencies a GPU bill is plausibly issued in. Codes not listed are
 * rejected (a wrong guess would misstate every amount by a factor of 10 or 100).
 */
const MINOR_UNITS: Readonly<Record<string, number>> = {
  AED: 2,
  AUD: 2,
  BHD: 3,
  BRL: 2,
  CAD: 2,
  CHF: 2,
  CLP: 0,
  CNY: 2,
  CZK: 2,
  DKK: 2,
  EUR: 2,
  GBP: 2,
  HKD: 2,
  IDR: 2,
  ILS: 2,
  INR: 2,
  ISK: 0,
  JOD: 3,
  JPY: 0,
  KRW: 0,
  KWD: 3,
  MXN: 2,
  MYR: 2,
  NOK: 2,
  NZD: 2,
  OMR: 3,
  PHP: 2,
  PLN: 2,
  SAR: 2,
  SEK: 2,
  SGD: 2,
  THB: 2,
  TND: 3,
  TRY: 2,
  TWD: 2,
  UGX: 0,
  USD: 2,
  VND: 0,
  ZAR: 2,
};

/**
 * Digits after the decimal point of `currency` (USD 2, KRW 0, JPY 0, KWD 3), or undefined for a code this
 * table does not know. The config schema rejects such a currency (a wrong guess would misstate every
 * amount by a factor of 10 or 100), so a validated config always has one.
 */
export function minorDigits(currency: string): number | undefined {
  return Object.hasOwn(MINOR_UNITS, currency) ? MINOR_UNITS[currency] : undefined;
}

/** The currency codes {@link minorDigits} knows, sorted. */
export const KNOWN_CURRENCIES: readonly string[] = Object.keys(MINOR_UNITS).sort();

/** Parses a decimal string or a finite JS number (taken at its shortest decimal spelling, e.g. 0.526). */
export function toMoney(value: string | number): Money {
  return new Money(value);
}

/** `amount` in integer minor units, rounded half-even (e.g. 12.345 USD -> 1234). */
export function toMinorUnitsHalfEven(amount: Money, digits: number): number {
  return amount.times(new Money(10).pow(digits)).toDecimalPlaces(0, Decimal.ROUND_HALF_EVEN).toNumber();
}

/** Formats integer minor units as a fixed-point string with `digits` decimals, exactly (1234, 2 -> "12.34"). */
export function formatMinorUnits(units: number, digits: number): string {
  if (!Number.isSafeInteger(units)) throw new RangeError(`minor units ${units} are not a safe integer`);
  const negative = units < 0;
  const text = String(Math.abs(units));
  if (digits === 0) return (negative ? '-' : '') + text;
  const padded = text.padStart(digits + 1, '0');
  return `${negative ? '-' : ''}${padded.slice(0, -digits)}.${padded.slice(-digits)}`;
}

// ---------------------------------------------------------------------------------------------
// Fixed-point money for the pricing hot path.
//
// Amounts are non-negative integers of *fine units*: 10^-15 of the currency's minor unit (10^-17 USD,
// 10^-15 KRW). Intermediate products are BigInt; a stored amount is split into two exact doubles, the
// whole minor units (`floor`) and the fine remainder below them (`rem`, 0 <= rem < 10^15 < 2^53), so
// rows need no per-row heap objects and the rounding pass compares remainders exactly.
// ---------------------------------------------------------------------------------------------

/** Decimal digits of a fine unit below the minor unit: one fine unit is 10^-15 minor units. */
export const FINE_DIGITS = 15;
/** Fine units per minor unit, as an exact double. */
export const FINE_PER_MINOR = 1e15;

/** An exact rational, numerator / denominator (denominator > 0). */
export interface Ratio {
  numerator: bigint;
  denominator: bigint;
}

const POW10: bigint[] = [1n];
/** 10^n as a bigint, cached. */
export function pow10(n: number): bigint {
  if (n < 0 || !Number.isInteger(n)) throw new RangeError(`10^${n} is not an integer power`);
  for (let k = POW10.length; k <= n; k++) POW10.push(POW10[k - 1]! * 10n);
  return POW10[n]!;
}

const DECIMAL = /^(-?)(\d+)(?:\.(\d*))?(?:e([+-]?\d+))?$/i;

/**
 * The exact value of a decimal string, or of a finite number at its shortest decimal spelling (what
 * `String(n)` prints, e.g. 0.526 -> 526/1000), as numerator / 10^scale.
 */
export function exactDecimal(value: number | string): Ratio {
  if (typeof value === 'number' && !Number.isFinite(value))
    throw new RangeError(`${value} is not a finite amount`);
  const text = typeof value === 'number' ? String(value) : value.trim();
  const match = DECIMAL.exec(text);
  if (!match) throw new RangeError(`"${text}" is not a decimal number`);
  const fraction = match[3] ?? '';
  let scale = fraction.length - Number(match[4] ?? 0);
  let numerator = BigInt(match[2]! + fraction);
  if (scale < 0) {
    numerator *= pow10(-scale);
    scale = 0;
  }
  return { numerator: match[1] ? -numerator : numerator, denominator: pow10(scale) };
}

/** A finite number as an exact ratio: integers directly, others at their shortest decimal spelling. */
export function exactNumber(value: number): Ratio {
  return Number.isSafeInteger(value) ? { numerator: BigInt(value), denominator: 1n } : exactDecimal(value);
}

/** Greatest common divisor of two non-negative bigints. */
export function gcd(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

/** a + b, exactly, with the denominator kept small when one divides the other (the common case). */
export function addRatio(a: Ratio, b: Ratio): Ratio {
  if (a.denominator === b.denominator)
    return { numerator: a.numerator + b.numerator, denominator: a.denominator };
  if (a.denominator % b.denominator === 0n)
    return {
      numerator: a.numerator + b.numerator * (a.denominator / b.denominator),
      denominator: a.denominator,
    };
  if (b.denominator % a.denominator === 0n)
    return {
      numerator: b.numerator + a.numerator * (b.denominator / a.denominator),
      denominator: b.denominator,
    };
  const numerator = a.numerator * b.denominator + b.numerator * a.denominator;
  const denominator = a.denominator * b.denominator;
  const divisor = gcd(numerator < 0n ? -numerator : numerator, denominator);
  return { numerator: numerator / divisor, denominator: denominator / divisor };
}

/** -1, 0 or 1 as a < b, a = b, a > b (exact). */
export function compareRatio(a: Ratio, b: Ratio): number {
  const left = a.numerator * b.denominator;
  const right = b.numerator * a.denominator;
  return left < right ? -1 : left > right ? 1 : 0;
}

/** round(n / d) half to even, for d > 0. */
export function divideHalfEven(n: bigint, d: bigint): bigint {
  const negative = n < 0n;
  const abs = negative ? -n : n;
  let q = abs / d;
  const twice = 2n * (abs - q * d);
  if (twice > d || (twice === d && (q & 1n) === 1n)) q += 1n;
  return negative ? -q : q;
}

/** A ratio as the nearest double (display and ordering only). */
export function ratioToNumber(r: Ratio): number {
  return Number(r.numerator) / Number(r.denominator);
}

/**
 * The exact decimal text of `floor` minor units plus `rem` fine units, in the currency, trailing zeros
 * dropped and "0" for zero: formatFineExact(3403, 2e14, 2) -> "34.032" (34.03 USD and 0.2 cents).
 */
export function formatFineExact(floor: number, rem: number, digits: number): string {
  if (floor === 0 && rem === 0) return '0';
  const fineText = (floor === 0 ? '' : String(floor)) + String(rem).padStart(FINE_DIGITS, '0');
  const decimals = digits + FINE_DIGITS;
  const padded = fineText.padStart(decimals + 1, '0');
  const whole = padded.slice(0, -decimals);
  const fraction = padded.slice(-decimals).replace(/0+$/, '');
  return fraction === '' ? whole : `${whole}.${fraction}`;
}
