import { compareStrings } from './compare.ts';
import {
  absRatio,
  compareRatio,
  exactDecimal,
  exactNumber,
  formatFixed,
  multiplyRatio,
  type Ratio,
  signOf,
  subtractRatio,
} from './money.ts';
import type { MeteredDay, Restatement, Summary, TeamDifference } from './types.ts';

/**
 * The publish guard: what a run may not publish or overwrite without being forced, as pure decisions
 * over the figures of the published month (or stored day) and of the new one. Each function returns the
 * violations as one-line reasons ([] = allowed); the caller refuses, or records them when forced.
 * Money is compared exactly, as Ratios of the summary's decimal strings (src/core/money.ts).
 */

/** The thresholds of config `guard` that decide a month. */
export interface MonthGuardPolicy {
  minCoveragePct: number;
  maxCoverageDropPct: number;
  maxTotalChangePct: number;
  maxTeamChangePct: number;
  minTeamChangePctOfTotal: number;
}

/** The thresholds of config `guard` that decide whether a stored daily partial may be replaced. */
export interface DayGuardPolicy {
  maxCoverageDropPct: number;
  maxDayUsageDropPct: number;
}

/** What a month is judged by: its period, currency, total, coverage and team amounts (from its summary). */
export interface MonthFigures {
  period: { zone: string; start: string; end: string };
  currency: string;
  total: string;
  coveragePct: number;
  byTeam: { team: string; cost: string }[];
}

/** What a metered day is judged by. */
export interface DayFigures {
  /** kube-state-metrics coverage, 0..100. */
  coveragePct: number;
  allocatedGpuSeconds: number;
  capacityGpuSeconds: number;
}

/** The figures of a month's summary. */
export function monthFiguresOf(summary: Summary): MonthFigures {
  return {
    period: { zone: summary.period.zone, start: summary.period.start, end: summary.period.end },
    currency: summary.currency.code,
    total: summary.totals.cost,
    coveragePct: summary.totals.coveragePct,
    byTeam: summary.byTeam.map((t) => ({ team: t.key, cost: t.cost })),
  };
}

/** The figures of a metered day. */
export function dayFiguresOf(day: MeteredDay): DayFigures {
  return {
    coveragePct: day.coverage.kubeStateMetrics * 100,
    allocatedGpuSeconds: day.pods.reduce((sum, p) => sum + p.gpuSeconds, 0),
    capacityGpuSeconds: day.nodes.reduce((sum, n) => sum + n.capacityGpuSeconds, 0),
  };
}

/**
 * Why `next` may not be published: below the coverage floor (always), and, when it replaces `published`,
 * a different period or currency, a coverage drop, or a total or team amount that moves by more than the
 * policy's shares. [] when it may be published.
 */
export function monthViolations(
  next: MonthFigures,
  published: MonthFigures | undefined,
  policy: MonthGuardPolicy,
): string[] {
  const out: string[] = [];
  if (next.coveragePct < policy.minCoveragePct) {
    out.push(
      next.coveragePct === 0
        ? 'the source has no kube-state-metrics sample in the whole month (before its first sample, ' +
            'retention ran out, or the wrong source or tenant): coverage 0 % is below guard.minCoveragePct ' +
            `${policy.minCoveragePct} %`
        : `coverage ${formatPct(next.coveragePct)} is below guard.minCoveragePct ${policy.minCoveragePct} %`,
    );
  }
  if (!published) return out;
  out.push(...identityViolations(next, published));
  if (next.coveragePct < published.coveragePct - policy.maxCoverageDropPct) {
    out.push(
      `coverage drops from ${formatPct(published.coveragePct)} to ${formatPct(next.coveragePct)} ` +
        `(more than guard.maxCoverageDropPct ${policy.maxCoverageDropPct} points)`,
    );
  }
  const oldTotal = toUnits(published.total);
  const newTotal = toUnits(next.total);
  if (exceedsShare(sub(newTotal, oldTotal), oldTotal, policy.maxTotalChangePct)) {
    out.push(
      `the total moves ${published.total} -> ${next.total} (${formatChange(sub(newTotal, oldTotal), oldTotal)}, ` +
        `more than guard.maxTotalChangePct ${policy.maxTotalChangePct} %)`,
    );
  }
  const moved = teamDifferences(published, next).filter((d) => {
    const change = toUnits(d.difference);
    return (
      exceedsShare(change, toUnits(d.previous), policy.maxTeamChangePct) &&
      exceedsShare(change, oldTotal, policy.minTeamChangePctOfTotal)
    );
  });
  if (moved.length > 0) {
    const shown = moved
      .slice(0, 3)
      .map(
        (d) =>
          `${d.team} ${d.previous} -> ${d.current} (${formatChange(toUnits(d.difference), toUnits(d.previous))})`,
      );
    out.push(
      `${moved.length} team${moved.length === 1 ? '' : 's'} move by more than guard.maxTeamChangePct ` +
        `${policy.maxTeamChangePct} %: ${shown.join(', ')}${moved.length > 3 ? `, and ${moved.length - 3} more` : ''}`,
    );
  }
  return out;
}

/**
 * Why a month in `next`'s period and currency cannot restate `published` at all: another zone (or other
 * instants) or another currency is another bill. Known before anything is metered.
 */
export function identityViolations(
  next: Pick<MonthFigures, 'period' | 'currency'>,
  published: Pick<MonthFigures, 'period' | 'currency'>,
): string[] {
  const out: string[] = [];
  const { period: a, currency } = published;
  if (a.zone !== next.period.zone || a.start !== next.period.start || a.end !== next.period.end) {
    out.push(
      `the period changes from ${a.zone} ${a.start}..${a.end} to ${next.period.zone} ${next.period.start}..${next.period.end}`,
    );
  }
  if (currency !== next.currency) out.push(`the currency changes from ${currency} to ${next.currency}`);
  return out;
}

/**
 * Why the stored partial of `date` may not be replaced by a newly metered one: the new one is emptier
 * (less coverage, fewer allocated or capacity GPU-seconds) by more than the policy allows. One line for
 * the day, e.g. "2026-02-05: coverage 100 % -> 0 %, allocated GPU-hours 132.00 -> 0.00"; [] = allowed.
 */
export function dayViolations(
  date: string,
  next: DayFigures,
  stored: DayFigures,
  policy: DayGuardPolicy,
): string[] {
  const parts: string[] = [];
  if (next.coveragePct < stored.coveragePct - policy.maxCoverageDropPct) {
    parts.push(`coverage ${formatPct(stored.coveragePct)} -> ${formatPct(next.coveragePct)}`);
  }
  for (const [name, before, after] of [
    ['allocated', stored.allocatedGpuSeconds, next.allocatedGpuSeconds],
    ['capacity', stored.capacityGpuSeconds, next.capacityGpuSeconds],
  ] as const) {
    if (after < before && (before - after) * 100 > policy.maxDayUsageDropPct * before) {
      parts.push(`${name} GPU-hours ${formatHours(before)} -> ${formatHours(after)}`);
    }
  }
  return parts.length === 0 ? [] : [`${date}: ${parts.join(', ')}`];
}

/**
 * One reason for all the days whose stored partial would be replaced by an emptier one (the output of
 * dayViolations for each), naming the thresholds once and at most two days in full.
 */
export function emptierDaysViolation(days: readonly string[], policy: DayGuardPolicy): string[] {
  if (days.length === 0) return [];
  const shown = days.slice(0, 2).join('; ');
  return [
    `${days.length} stored day${days.length === 1 ? '' : 's'} would be replaced by emptier ${days.length === 1 ? 'one' : 'ones'} ` +
      `(losing more than guard.maxCoverageDropPct ${policy.maxCoverageDropPct} points of coverage or ` +
      `guard.maxDayUsageDropPct ${policy.maxDayUsageDropPct} % of GPU-hours): ${shown}` +
      `${days.length > 2 ? `; and ${days.length - 2} more` : ''}`,
  ];
}

/** The restatement block of a month that replaces `published` (see Restatement). */
export function restatementOf(
  published: MonthFigures,
  next: MonthFigures,
  replaces: Restatement['replaces'],
  override: { reason: string | null; forced: boolean; overridden: string[] },
): Restatement {
  const oldTotal = toUnits(published.total);
  const newTotal = toUnits(next.total);
  return {
    replaces,
    reason: override.reason,
    forced: override.forced,
    overridden: override.overridden,
    previousTotal: published.total,
    total: next.total,
    difference: formatUnits(sub(newTotal, oldTotal)),
    byTeam: teamDifferences(published, next),
  };
}

/** Every team of either month with its two amounts, largest absolute difference first, then by name. */
export function teamDifferences(published: MonthFigures, next: MonthFigures): TeamDifference[] {
  const before = new Map(published.byTeam.map((t) => [t.team, t.cost]));
  const after = new Map(next.byTeam.map((t) => [t.team, t.cost]));
  const zero = formatUnits({ value: exactNumber(0), decimals: toUnits(next.total).decimals });
  const teams = [...new Set([...before.keys(), ...after.keys()])];
  const rows = teams.map((team) => {
    const previous = before.get(team) ?? zero;
    const current = after.get(team) ?? zero;
    return { team, previous, current, difference: formatUnits(sub(toUnits(current), toUnits(previous))) };
  });
  const size = (d: TeamDifference) => {
    const u = toUnits(d.difference);
    return { value: absRatio(u.value), decimals: u.decimals };
  };
  return rows.sort((a, b) => compareUnits(size(b), size(a)) || compareStrings(a.team, b.team));
}

// --- the summary's decimal strings as exact amounts ------------------------------------------------

/** A decimal string of a summary as an exact amount, with the number of decimals it was written with. */
interface Amount {
  value: Ratio;
  decimals: number;
}

const DECIMAL_AMOUNT = /^-?\d+(?:\.(\d+))?$/;

function toUnits(text: string): Amount {
  const m = DECIMAL_AMOUNT.exec(text);
  if (!m) throw new RangeError(`not a decimal amount: "${text}"`);
  return { value: exactDecimal(text), decimals: m[1]?.length ?? 0 };
}

/** a − b, written with the decimals of the more precise of the two. */
function sub(a: Amount, b: Amount): Amount {
  return { value: subtractRatio(a.value, b.value), decimals: Math.max(a.decimals, b.decimals) };
}

function compareUnits(a: Amount, b: Amount): number {
  return compareRatio(a.value, b.value);
}

/** The amount as written in a summary: its decimals, a '-' when negative (exact: a − b of two such amounts). */
function formatUnits(u: Amount): string {
  return formatFixed(u.value, u.decimals);
}

/** |change| > pct % of |base| (pct taken to 6 decimals); any change of a zero base exceeds. */
function exceedsShare(change: Amount, base: Amount, pct: number): boolean {
  const pctMicro = exactNumber(Math.round(pct * 1_000_000));
  return (
    compareRatio(
      multiplyRatio(absRatio(change.value), exactNumber(100_000_000)),
      multiplyRatio(absRatio(base.value), pctMicro),
    ) > 0
  );
}

function formatChange(change: Amount, base: Amount): string {
  if (signOf(base.value) === 0) return signOf(change.value) === 0 ? '±0 %' : 'new';
  // change / base in hundredths of a percent, truncated toward zero.
  const n = change.value.numerator * base.value.denominator * 10_000n;
  const d = change.value.denominator * base.value.numerator;
  const pct = (Number(n / d) / 100).toFixed(1);
  return `${signOf(change.value) > 0 ? '+' : ''}${pct} %`;
}

function formatPct(value: number): string {
  return `${Math.round(value * 100) / 100} %`;
}

function formatHours(gpuSeconds: number): string {
  return (gpuSeconds / 3600).toFixed(2);
}

// --- provisional (month-to-date) versions ----------------------------------------------------------

/** What a version that replaces, or is, a provisional one is judged by (from its summary). */
export interface VersionFigures extends MonthFigures {
  /** null for a final version. */
  provisional: { throughDay: string; daysMetered: number } | null;
  byDay: { date: string; cost: string; coveragePct: number }[];
}

/** The figures of a summary, with what it says about being provisional and its days. */
export function versionFiguresOf(summary: Summary): VersionFigures {
  return {
    ...monthFiguresOf(summary),
    provisional: summary.provisional
      ? { throughDay: summary.provisional.throughDay, daysMetered: summary.provisional.daysMetered }
      : null,
    byDay: summary.byDay.map((d) => ({ date: d.date, cost: d.cost, coveragePct: d.coveragePct })),
  };
}

/**
 * Why a provisional version may not replace the published FINAL version of its month: never, whatever is
 * forced (a closed month is restated by a final run, not by a month to date). [] when `published` is
 * itself provisional or `next` is final.
 */
export function provisionalOverFinalViolations(
  next: Pick<VersionFigures, 'provisional'>,
  published: Pick<VersionFigures, 'provisional'>,
): string[] {
  return next.provisional !== null && published.provisional === null
    ? [
        'the published version is final: a month-to-date (provisional) version never replaces it ' +
          '(restate a closed month with report or backfill)',
      ]
    : [];
}

/**
 * Why `next` (a provisional or the final version) may not replace the published PROVISIONAL version of the
 * same month. It is not a restatement: the month runs on, so its total grows with every day, and the
 * total and team floors (guard.maxTotalChangePct, guard.maxTeamChangePct) apply only between two
 * versions through the same day. What always applies: the coverage floor, the same zone, start and
 * currency, no more coverage lost than guard.maxCoverageDropPct, a provisional never covers fewer ended
 * days than the published one (that is a worse version, not a newer one), and every day both versions
 * cover keeps its money and coverage within the daily floors (guard.maxDayUsageDropPct of the day's cost,
 * guard.maxCoverageDropPct points): a day never silently drops. [] when it may be published.
 */
export function provisionalReplacementViolations(
  next: VersionFigures,
  published: VersionFigures,
  policy: MonthGuardPolicy & DayGuardPolicy,
): string[] {
  if (published.provisional === null) throw new RangeError('the published version is not provisional');
  const sameDays = next.period.end === published.period.end;
  const out = sameDays
    ? monthViolations(next, published, policy)
    : [
        ...monthViolations(next, undefined, policy),
        ...identityViolations({ ...next, period: { ...next.period, end: published.period.end } }, published),
      ];
  if (!sameDays && next.coveragePct < published.coveragePct - policy.maxCoverageDropPct) {
    out.push(
      `coverage drops from ${formatPct(published.coveragePct)} to ${formatPct(next.coveragePct)} ` +
        `(more than guard.maxCoverageDropPct ${policy.maxCoverageDropPct} points)`,
    );
  }
  if (next.provisional !== null && next.provisional.daysMetered < published.provisional.daysMetered) {
    out.push(
      `it covers fewer ended days (through ${next.provisional.throughDay}, ${next.provisional.daysMetered}) ` +
        `than the published provisional version (through ${published.provisional.throughDay}, ` +
        `${published.provisional.daysMetered})`,
    );
  }
  out.push(...commonDaysViolation(next, published, policy));
  return out;
}

/**
 * One reason for the days both versions cover whose cost dropped by more than guard.maxDayUsageDropPct %
 * or whose coverage dropped by more than guard.maxCoverageDropPct points ([] when none did).
 */
function commonDaysViolation(
  next: Pick<VersionFigures, 'byDay'>,
  published: Pick<VersionFigures, 'byDay'>,
  policy: DayGuardPolicy,
): string[] {
  const after = new Map(next.byDay.map((d) => [d.date, d]));
  const dropped: string[] = [];
  for (const before of published.byDay) {
    const now = after.get(before.date);
    if (!now) continue;
    const parts: string[] = [];
    if (now.coveragePct < before.coveragePct - policy.maxCoverageDropPct) {
      parts.push(`coverage ${formatPct(before.coveragePct)} -> ${formatPct(now.coveragePct)}`);
    }
    const change = sub(toUnits(now.cost), toUnits(before.cost));
    if (signOf(change.value) < 0 && exceedsShare(change, toUnits(before.cost), policy.maxDayUsageDropPct)) {
      parts.push(`cost ${before.cost} -> ${now.cost}`);
    }
    if (parts.length > 0) dropped.push(`${before.date}: ${parts.join(', ')}`);
  }
  const missing = published.byDay.filter((d) => !after.has(d.date)).map((d) => d.date);
  const out: string[] = [];
  if (dropped.length > 0) {
    out.push(
      `${dropped.length} day${dropped.length === 1 ? '' : 's'} both versions cover would drop ` +
        `(more than guard.maxDayUsageDropPct ${policy.maxDayUsageDropPct} % of the day's cost or ` +
        `guard.maxCoverageDropPct ${policy.maxCoverageDropPct} points of coverage): ${dropped.slice(0, 2).join('; ')}` +
        `${dropped.length > 2 ? `; and ${dropped.length - 2} more` : ''}`,
    );
  }
  if (missing.length > 0 && next.byDay.length >= published.byDay.length) {
    out.push(`${missing.length} published day(s) are missing from it: ${missing.slice(0, 3).join(', ')}`);
  }
  return out;
}
