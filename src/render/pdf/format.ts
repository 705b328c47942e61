import { DateTime } from 'luxon';
import {
  absRatio,
  divideRatio,
  exactDecimal,
  exactNumber,
  formatExact,
  formatFixed,
  multiplyRatio,
  type Ratio,
  ratioToDisplayNumber,
  signOf,
  subtractRatio,
} from '../../core/money.ts';

/**
 * Locale-aware formatting of the report's numbers, money, percentages and dates (Intl, en-US / ko-KR).
 * Every function returns the language's "none" mark for null, NaN or infinite input, so a month with
 * zero usage never prints NaN or Infinity.
 */
export interface ReportFormat {
  locale: string;
  currency: string;
  /** Money with the currency's minor digits, e.g. $12,345.67 or ₩1,234,567. */
  money(value: MoneyValue): string;
  /** Money rounded to whole units: $12,346. */
  moneyWhole(value: MoneyValue): string;
  /** Short money for chart axes: $12K, ₩1.2억. */
  moneyCompact(value: number): string;
  /** Money with an explicit sign: +$1,234.00, -$1,234.00 (0 has no sign). */
  signedMoney(value: MoneyValue): string;
  /** A unit price (per GPU-hour), rounded half-up to the currency's minor digits for display. */
  unitPrice(value: MoneyValue): string;
  /** A grouped number, e.g. 35,863. */
  number(value: number | null, fractionDigits?: number): string;
  /** A percentage from 0..100, e.g. 63.9%. */
  percent(value: number | null, fractionDigits?: number): string;
  /** A percentage with a sign: +8.2%. */
  signedPercent(value: number | null, fractionDigits?: number): string;
  /** A month label for YYYY-MM: "March 2026" / "2026년 3월". */
  month(month: string): string;
  /** A short month label for YYYY-MM: "Feb 2026" / "2026년 2월". */
  shortMonth(month: string): string;
  /** A short date for YYYY-MM-DD: "Mar 5" / "3월 5일". */
  shortDate(date: string): string;
  /** Epoch milliseconds as a local date-time in `zone`, e.g. 2026-03-10 03:00. */
  dateTime(epochMs: number, zone: string): string;
}

/** Money as the summary writes it (a decimal string), a number, or an exact amount; null for none. */
export type MoneyValue = string | number | Ratio | null;

const isFiniteNumber = (n: number | null | undefined): n is number =>
  typeof n === 'number' && Number.isFinite(n);

/** The exact amount of a money value, or null when it is none or not a finite decimal. */
function toRatio(value: MoneyValue): Ratio | null {
  if (value === null) return null;
  if (typeof value === 'object') return value;
  if (typeof value === 'number' && !Number.isFinite(value)) return null;
  try {
    return typeof value === 'number' ? exactNumber(value) : exactDecimal(value);
  } catch {
    return null;
  }
}

/** Creates the formatter for `locale` (en-US, ko-KR) and an ISO 4217 `currency` with `minorDigits`. */
export function createReportFormat(
  locale: string,
  currency: string,
  minorDigits: number,
  none: string,
): ReportFormat {
  const digits = Math.max(0, Math.min(4, minorDigits));
  const moneyFmt = new Intl.NumberFormat(locale, {
    style: 'currency',
    currency,
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
  const signedMoneyFmt = new Intl.NumberFormat(locale, {
    style: 'currency',
    currency,
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
    signDisplay: 'exceptZero',
  });
  const wholeFmt = new Intl.NumberFormat(locale, {
    style: 'currency',
    currency,
    minimumFractionDigits: 0,
    maximumFractionDigits: 0,
  });
  const compactFmt = new Intl.NumberFormat(locale, {
    style: 'currency',
    currency,
    notation: 'compact',
    maximumFractionDigits: 1,
  });
  const unitFmt = new Intl.NumberFormat(locale, {
    style: 'currency',
    currency,
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
  const numberFmts = new Map<string, Intl.NumberFormat>();
  const numberFmt = (fractionDigits: number, signed: boolean) => {
    const key = `${fractionDigits}:${signed}`;
    let fmt = numberFmts.get(key);
    if (!fmt) {
      fmt = new Intl.NumberFormat(locale, {
        minimumFractionDigits: fractionDigits,
        maximumFractionDigits: fractionDigits,
        signDisplay: signed ? 'exceptZero' : 'auto',
      });
      numberFmts.set(key, fmt);
    }
    return fmt;
  };
  // Intl formats decimal strings exactly (no float rounding); zero is written unsigned.
  const exact = (amount: Ratio, fmt: Intl.NumberFormat) =>
    fmt.format((signOf(amount) === 0 ? '0' : formatExact(amount)) as Intl.StringNumericLiteral);
  const percentText = (value: number, fractionDigits: number, signed: boolean) => {
    const rounded = Number(value.toFixed(fractionDigits));
    return `${numberFmt(fractionDigits, signed).format(Object.is(rounded, -0) ? 0 : rounded)}%`;
  };

  return {
    locale,
    currency,
    money: (value) => {
      const amount = toRatio(value);
      return amount === null ? none : exact(amount, moneyFmt);
    },
    moneyWhole: (value) => {
      const amount = toRatio(value);
      return amount === null ? none : exact(exactDecimal(formatFixed(amount, 0, 'half-up')), wholeFmt);
    },
    moneyCompact: (value) => (isFiniteNumber(value) ? compactFmt.format(value === 0 ? 0 : value) : none),
    signedMoney: (value) => {
      const amount = toRatio(value);
      return amount === null ? none : exact(amount, signedMoneyFmt);
    },
    unitPrice: (value) => {
      const amount = toRatio(value);
      return amount === null ? none : exact(exactDecimal(formatFixed(amount, digits, 'half-up')), unitFmt);
    },
    number: (value, fractionDigits = 0) => {
      if (!isFiniteNumber(value)) return none;
      const rounded = Number(value.toFixed(fractionDigits));
      return numberFmt(fractionDigits, false).format(Object.is(rounded, -0) ? 0 : rounded);
    },
    percent: (value, fractionDigits = 1) =>
      isFiniteNumber(value) ? percentText(value, fractionDigits, false) : none,
    signedPercent: (value, fractionDigits = 1) =>
      isFiniteNumber(value) ? percentText(value, fractionDigits, true) : none,
    month: (month) => {
      const dt = DateTime.fromFormat(month, 'yyyy-MM', { zone: 'UTC', locale });
      return dt.isValid ? dt.toLocaleString({ year: 'numeric', month: 'long' }) : month;
    },
    shortMonth: (month) => {
      const dt = DateTime.fromFormat(month, 'yyyy-MM', { zone: 'UTC', locale });
      return dt.isValid ? dt.toLocaleString({ year: 'numeric', month: 'short' }) : month;
    },
    shortDate: (date) => {
      const dt = DateTime.fromISO(date, { zone: 'UTC', locale });
      return dt.isValid ? dt.toLocaleString({ month: 'short', day: 'numeric' }) : date;
    },
    dateTime: (epochMs, zone) => {
      const dt = DateTime.fromMillis(epochMs, { zone });
      return dt.isValid ? dt.toFormat('yyyy-MM-dd HH:mm') : none;
    },
  };
}

/** a / b, or null when b is zero or either side is not a finite number (never NaN or Infinity). */
export function ratio(a: number, b: number): number | null {
  if (!Number.isFinite(a) || !Number.isFinite(b) || b === 0) return null;
  return a / b;
}

/** (a - b) / |b| x 100 for decimal strings, or null when b is zero. */
export function percentChange(current: string, previous: string): number | null {
  const prev = toRatio(previous);
  const cur = toRatio(current);
  if (prev === null || cur === null || signOf(prev) === 0) return null;
  return percentOf(subtractRatio(cur, prev), absRatio(prev));
}

/** part / whole x 100 as a display number (whole must not be zero). */
export function percentOf(part: Ratio, whole: Ratio): number {
  return ratioToDisplayNumber(multiplyRatio(divideRatio(part, whole), exactNumber(100)));
}
