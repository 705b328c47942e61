import { Decimal } from 'decimal.js';
import { ConfigError } from '../errors.ts';

/**
 * Exact money for the pipeline.
 *
 * All intermediate money is a {@link Money} decimal with 40 significant digits (a private decimal.js
 * clone, so nobody else's global Decimal settings can change our results). Per-second rates divide by
 * 3600 and by an instance's GPU count, so a quotient such as 1/3 is carried to 40 digits — about 30
 * orders of magnitude below a cent on any real bill. Money is rounded exactly once, at the end, by
 * {@link roundHierarchically} (the rule is spelled out in {@link ROUNDING_RULE}).
 */
export const Money = Decimal.clone({
  precision: 40,
  rounding: Decimal.ROUND_HALF_EVEN,
  toExpNeg: -1000,
  toExpPos: 1000,
});
/** An exact decimal amount (instance of {@link Money}). */
export type Money = Decimal;

/** Zero, shared. */
export const ZERO: Money = new Money(0);

/** The rounding rule, as recorded in summary.json (policies.rounding) and the README. */
export const ROUNDING_RULE =
  'exact decimal arithmetic (40 significant digits); rounded once at the end to the currency minor unit: ' +
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

/** Digits after the decimal point of `currency` (USD 2, KRW 0, JPY 0, KWD 3); throws ConfigError for unknown codes. */
export function minorDigits(currency: string): number {
  const digits = MINOR_UNITS[currency];
  if (digits === undefined) {
    throw new ConfigError(
      `pricing.currency "${currency}" has no known ISO 4217 minor unit (known: ${Object.keys(MINOR_UNITS).join(', ')})`,
      [{ path: 'pricing.currency', message: `unknown currency ${currency}` }],
    );
  }
  return digits;
}

/** Parses a decimal string or a finite JS number (taken at its shortest decimal spelling, e.g. 0.526). */
export function toMoney(value: string | number): Money {
  return new Money(value);
}

/** Sum of `values`, exactly. */
export function sumMoney(values: Iterable<Money>): Money {
  let total = ZERO;
  for (const v of values) total = total.plus(v);
  return total;
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

/**
 * Largest-remainder apportionment: splits `totalUnits` (an integer) over parts whose exact shares are
 * `exactUnits` (non-negative, in minor units), so that the results are integers summing to
 * `totalUnits`. Each part gets floor(exact), then the leftover units go one each to the parts with the
 * largest fractional remainders (ties: lower index first). When `totalUnits` is within one unit per part
 * of the exact sum — which {@link roundHierarchically} guarantees — every result is within one minor unit
 * of its exact share, and a part whose share is an exact integer keeps it.
 */
export function apportionLargestRemainder(totalUnits: number, exactUnits: readonly Money[]): number[] {
  const n = exactUnits.length;
  if (n === 0) {
    if (totalUnits !== 0) throw new RangeError(`cannot apportion ${totalUnits} minor units over no parts`);
    return [];
  }
  const floors = new Array<number>(n);
  const remainders = new Array<number>(n);
  let floorSum = 0;
  for (let i = 0; i < n; i++) {
    const exact = exactUnits[i]!;
    const floor = exact.floor();
    floors[i] = floor.toNumber();
    // A float is enough to order remainders: near-ties only change which of two rows gets the unit.
    remainders[i] = exact.minus(floor).toNumber();
    floorSum += floors[i]!;
  }
  let leftover = totalUnits - floorSum;
  if (leftover === 0) return floors;
  const order = Array.from({ length: n }, (_, i) => i);
  if (leftover > 0) {
    order.sort((a, b) => remainders[b]! - remainders[a]! || a - b);
    for (let k = 0; leftover > 0; k++, leftover--) floors[order[k % n]!]! += 1;
  } else {
    // Only reachable if the exact sum exceeds the target by more than the rounding slack; take units
    // back from the smallest remainders, never below zero.
    order.sort((a, b) => remainders[a]! - remainders[b]! || b - a);
    for (let k = 0; leftover < 0 && k < 10 * n; k++) {
      const i = order[k % n]!;
      if (floors[i]! > 0) {
        floors[i]! -= 1;
        leftover++;
      }
    }
    if (leftover < 0)
      throw new RangeError(`cannot take ${-leftover} minor units back without going negative`);
  }
  return floors;
}

/** A group of rows to round together (normally: one team). `rows` are indices into the exact amounts. */
export interface RoundingGroup {
  key: string;
  rows: readonly number[];
}

/** Result of {@link roundHierarchically}: integer minor units for the grand total, each group and each row. */
export interface HierarchicalRounding {
  totalUnits: number;
  groupUnits: Map<string, number>;
  rowUnits: number[];
}

/**
 * The one rounding step of a bill. `grandTotalExact` (the capacity cost) is rounded half-even to the
 * minor unit; that total is apportioned to the groups (teams, sorted by key) by largest remainder of
 * their exact sums; each group's rounded total is apportioned to its rows (in the given order) by largest
 * remainder. Hence rows sum exactly to their group, groups to the grand total, and each rounded amount
 * is less than one minor unit away from its exact value.
 */
export function roundHierarchically(
  grandTotalExact: Money,
  exactRows: readonly Money[],
  groups: readonly RoundingGroup[],
  digits: number,
): HierarchicalRounding {
  const scale = new Money(10).pow(digits);
  const totalUnits = toMinorUnitsHalfEven(grandTotalExact, digits);
  const sortedGroups = [...groups].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const rowExactUnits = exactRows.map((amount) => amount.times(scale));
  const groupExactUnits = sortedGroups.map((g) => sumMoney(g.rows.map((i) => rowExactUnits[i]!)));
  const groupRounded = apportionLargestRemainder(totalUnits, groupExactUnits);
  const groupUnits = new Map<string, number>();
  const rowUnits = new Array<number>(exactRows.length).fill(0);
  sortedGroups.forEach((group, g) => {
    const units = groupRounded[g]!;
    groupUnits.set(group.key, units);
    const split = apportionLargestRemainder(
      units,
      group.rows.map((i) => rowExactUnits[i]!),
    );
    group.rows.forEach((rowIndex, k) => {
      rowUnits[rowIndex] = split[k]!;
    });
  });
  return { totalUnits, groupUnits, rowUnits };
}
