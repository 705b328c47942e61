/**
 * Money for the whole product, in one exact representation: integers and ratios of BigInts.
 *
 * - An exact amount is a {@link Ratio} (numerator / denominator, BigInt). Prices, conversion rates,
 *   GPU-seconds, MIG and time-slicing weights and utilization are read at their exact decimal spelling
 *   ({@link exactDecimal}) and combined as exact ratios; no floating point touches money.
 * - A priced row's amount is kept as *fine units*: the floor of its exact value in integers of 10^-15
 *   of the currency's minor unit (see the fixed-point section below and allocation/chargeRows.ts).
 * - A rounded amount is an integer number of ISO 4217 minor units, written as a fixed-point decimal
 *   string ({@link formatMinorUnits}); money is rounded once, at the end (rounding/roundMonth.ts, the
 *   rule in {@link ROUNDING_RULE}).
 * Outputs carry decimal strings; code that reads them back (the capacity advice, the PDF) parses them
 * into Ratios with {@link exactDecimal} and formats results with {@link formatFixed} / {@link formatTrimmed}.
 */

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

/** round(n / d) half away from zero, for d > 0. */
export function divideHalfUp(n: bigint, d: bigint): bigint {
  const negative = n < 0n;
  const abs = negative ? -n : n;
  let q = abs / d;
  if (2n * (abs - q * d) >= d) q += 1n;
  return negative ? -q : q;
}

/** A ratio as a double, approximately (Number(numerator) / Number(denominator)): display quantities only. */
export function ratioToNumber(r: Ratio): number {
  return Number(r.numerator) / Number(r.denominator);
}

/** a − b, exactly. */
export function subtractRatio(a: Ratio, b: Ratio): Ratio {
  return addRatio(a, { numerator: -b.numerator, denominator: b.denominator });
}

/** a × b, exactly. */
export function multiplyRatio(a: Ratio, b: Ratio): Ratio {
  return { numerator: a.numerator * b.numerator, denominator: a.denominator * b.denominator };
}

/** a ÷ b, exactly; throws when b is zero. */
export function divideRatio(a: Ratio, b: Ratio): Ratio {
  if (b.numerator === 0n) throw new RangeError('division of an amount by zero');
  const negative = b.numerator < 0n;
  return {
    numerator: negative ? -a.numerator * b.denominator : a.numerator * b.denominator,
    denominator: negative ? -b.numerator * a.denominator : b.numerator * a.denominator,
  };
}

/** |a|. */
export function absRatio(a: Ratio): Ratio {
  return a.numerator < 0n ? { numerator: -a.numerator, denominator: a.denominator } : a;
}

/** -1, 0 or 1: the sign of `a`. */
export function signOf(a: Ratio): -1 | 0 | 1 {
  return a.numerator < 0n ? -1 : a.numerator > 0n ? 1 : 0;
}

/** The sum of decimal strings (e.g. the costs of a summary's breakdown), exactly. */
export function sumDecimals(values: Iterable<string>): Ratio {
  let total: Ratio = { numerator: 0n, denominator: 1n };
  for (const value of values) total = addRatio(total, exactDecimal(value));
  return total;
}

/** An exact amount in integer minor units (10^-digits of the currency), rounded half to even. */
export function toMinorUnitsHalfEven(amount: Ratio, digits: number): number {
  const units = Number(divideHalfEven(amount.numerator * pow10(digits), amount.denominator));
  if (!Number.isSafeInteger(units)) throw new RangeError(`amount of ${units} minor units is too large`);
  return units;
}

/** How {@link formatFixed} rounds a value that falls between two representable ones. */
export type DecimalRounding = 'half-even' | 'half-up';

/**
 * `r` as a fixed-point decimal with exactly `digits` decimals, rounded half to even (or half away from
 * zero with 'half-up'): formatFixed(1.005, 2) -> "1.00", formatFixed(1.005, 2, 'half-up') -> "1.01". A value
 * that rounds to zero is written without a sign.
 */
export function formatFixed(r: Ratio, digits: number, rounding: DecimalRounding = 'half-even'): string {
  const divide = rounding === 'half-even' ? divideHalfEven : divideHalfUp;
  const scaled = divide(r.numerator * pow10(digits), r.denominator);
  const negative = scaled < 0n;
  const text = (negative ? -scaled : scaled).toString();
  const sign = negative ? '-' : '';
  if (digits === 0) return sign + text;
  const padded = text.padStart(digits + 1, '0');
  return `${sign}${padded.slice(0, -digits)}.${padded.slice(-digits)}`;
}

/**
 * `r` rounded half to even to at most `maxDigits` decimals, trailing zeros dropped, "0" for zero
 * (e.g. a price per GPU-hour: formatTrimmed(5.672 / 4, 10) -> "1.418").
 */
export function formatTrimmed(r: Ratio, maxDigits: number): string {
  const fixed = formatFixed(r, maxDigits);
  return maxDigits === 0 ? fixed : trimTrailingZeros(fixed);
}

/**
 * `text` without its trailing zeros and then a '.' they leave last ("12.500" -> "12.5", "3.000" -> "3"),
 * as `text.replace(/\.?0+$/, '')` but without a regular expression (it runs for several cells of every
 * CSV row). Meant for fixed-point text with a fraction.
 */
export function trimTrailingZeros(text: string): string {
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) === 48) end--;
  if (end === text.length) return text;
  if (end > 0 && text.charCodeAt(end - 1) === 46) end--;
  return text.slice(0, end);
}

/**
 * The exact decimal text of `r` (trailing zeros dropped, "0" for zero); throws when `r` has no finite
 * decimal expansion (its reduced denominator has a prime factor other than 2 and 5).
 */
export function formatExact(r: Ratio): string {
  const divisor = gcd(r.numerator < 0n ? -r.numerator : r.numerator, r.denominator);
  let denominator = r.denominator / (divisor === 0n ? 1n : divisor);
  // 1/2^a5^b has max(a, b) decimals.
  let twos = 0;
  let fives = 0;
  for (; denominator % 2n === 0n; twos++) denominator /= 2n;
  for (; denominator % 5n === 0n; fives++) denominator /= 5n;
  if (denominator !== 1n) throw new RangeError('the amount has no finite decimal expansion');
  return formatTrimmed(r, Math.max(twos, fives));
}

/**
 * `r` as a double the way a decimal calculator with `significantDigits` digits would give it: the exact
 * value rounded half away from zero to that many significant digits, then read as a number. Used for
 * display ratios of money (percentages), so they do not depend on float division.
 */
export function ratioToDisplayNumber(r: Ratio, significantDigits = 20): number {
  if (r.numerator === 0n) return 0;
  const negative = r.numerator < 0n !== r.denominator < 0n;
  const n = r.numerator < 0n ? -r.numerator : r.numerator;
  const d = r.denominator < 0n ? -r.denominator : r.denominator;
  // exponent e with 10^e <= n/d < 10^(e+1)
  let e = n.toString().length - d.toString().length;
  if (e >= 0 ? n < d * pow10(e) : n * pow10(-e) < d) e--;
  const shift = significantDigits - 1 - e;
  const scaled = shift >= 0 ? divideHalfUp(n * pow10(shift), d) : divideHalfUp(n, d * pow10(-shift));
  return Number(`${negative ? '-' : ''}${scaled}e${-shift}`);
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
