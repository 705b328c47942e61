/**
 * The publish guard's decisions (src/core/restatement.ts), exactly: shares of money compared in the
 * summary's decimal strings, not in floating point.
 */
import { describe, expect, it } from 'vitest';
import {
  dayViolations,
  type MonthFigures,
  monthViolations,
  provisionalOverFinalViolations,
  provisionalReplacementViolations,
  restatementOf,
  teamDifferences,
  type VersionFigures,
} from '../../src/core/restatement.ts';

const policy = {
  minCoveragePct: 90,
  maxCoverageDropPct: 1,
  maxTotalChangePct: 5,
  maxTeamChangePct: 10,
  minTeamChangePctOfTotal: 0.5,
};
const month = (total: string, teams: Record<string, string>, coveragePct = 100): MonthFigures => ({
  period: { zone: 'UTC', start: '2026-10-01T00:00:00Z', end: '2026-11-01T00:00:00Z' },
  currency: 'USD',
  total,
  coveragePct,
  byTeam: Object.entries(teams).map(([team, cost]) => ({ team, cost })),
});
const published = month('1000.00', { ml: '600.00', search: '396.00', tiny: '4.00' });

describe('monthViolations', () => {
  it('allows a restatement within every share', () => {
    expect(
      monthViolations(month('1040.00', { ml: '640.00', search: '396.00', tiny: '4.00' }), published, policy),
    ).toEqual([]);
  });

  it('refuses a total that moves by more than its share, exactly at the boundary', () => {
    // 5 % of 1000.00 is 50.00: 50.00 passes, 50.01 does not.
    expect(
      monthViolations(month('1050.00', { ml: '650.00', search: '396.00', tiny: '4.00' }), published, policy),
    ).toEqual([]);
    expect(
      monthViolations(month('1050.01', { ml: '650.01', search: '396.00', tiny: '4.00' }), published, policy),
    ).toEqual(['the total moves 1000.00 -> 1050.01 (+5.0 %, more than guard.maxTotalChangePct 5 %)']);
  });

  it('refuses a team that moves by more than its share, unless the move is small against the month', () => {
    // tiny doubles (+100 %) but 4.00 is 0.4 % of the month: allowed. search loses 50 %: refused.
    const next = month('1000.00', { ml: '798.00', search: '198.00', tiny: '4.00' });
    expect(
      monthViolations(month('1000.00', { ml: '596.00', search: '396.00', tiny: '8.00' }), published, policy),
    ).toEqual([]);
    expect(monthViolations(next, published, policy)).toEqual([
      '2 teams move by more than guard.maxTeamChangePct 10 %: ml 600.00 -> 798.00 (+33.0 %), search 396.00 -> 198.00 (-50.0 %)',
    ]);
  });

  it('counts a team that appears or vanishes as moved', () => {
    const next = month('1000.00', { ml: '600.00', search: '300.00', ads: '100.00' });
    expect(monthViolations(next, published, policy)[0]).toMatch(/ads 0\.00 -> 100\.00 \(new\)/);
  });

  it('refuses a coverage below the floor, also for a first publication, and a coverage drop', () => {
    expect(monthViolations(month('1.00', {}, 0), undefined, policy)[0]).toMatch(
      /no kube-state-metrics sample in the whole month/,
    );
    expect(monthViolations(month('1.00', {}, 89.99), undefined, policy)).toEqual([
      'coverage 89.99 % is below guard.minCoveragePct 90 %',
    ]);
    expect(
      monthViolations(
        month('1000.00', { ml: '600.00', search: '396.00', tiny: '4.00' }, 98.5),
        published,
        policy,
      ),
    ).toEqual(['coverage drops from 100 % to 98.5 % (more than guard.maxCoverageDropPct 1 points)']);
  });

  it('refuses another period or currency', () => {
    const seoul = { ...published, period: { zone: 'Asia/Seoul', start: 'a', end: 'b' }, currency: 'KRW' };
    expect(monthViolations(seoul, published, policy)).toEqual([
      'the period changes from UTC 2026-10-01T00:00:00Z..2026-11-01T00:00:00Z to Asia/Seoul a..b',
      'the currency changes from USD to KRW',
    ]);
  });

  describe('edge cases', () => {
    it('compares amounts of different scales exactly (KRW has no minor unit)', () => {
      const krw = (total: string) => ({ ...month(total, { ml: total }), currency: 'KRW' });
      expect(monthViolations(krw('1050'), krw('1000'), policy)).toEqual([]);
      expect(monthViolations(krw('1051'), krw('1000'), policy)).toEqual([
        'the total moves 1000 -> 1051 (+5.1 %, more than guard.maxTotalChangePct 5 %)',
      ]);
    });

    it('treats any change from a zero total as too large', () => {
      expect(monthViolations(month('0.01', {}), month('0.00', {}), policy)[0]).toMatch(/\(new, more than/);
      expect(monthViolations(month('0.00', {}), month('0.00', {}), policy)).toEqual([]);
    });
  });
});

describe('teamDifferences and restatementOf', () => {
  it('lists every team of both versions, largest move first, differences adding up to the total', () => {
    const next = month('1010.00', { ml: '700.00', search: '300.00', ads: '10.00' });
    expect(teamDifferences(published, next)).toEqual([
      { team: 'ml', previous: '600.00', current: '700.00', difference: '100.00' },
      { team: 'search', previous: '396.00', current: '300.00', difference: '-96.00' },
      { team: 'ads', previous: '0.00', current: '10.00', difference: '10.00' },
      { team: 'tiny', previous: '4.00', current: '0.00', difference: '-4.00' },
    ]);
    const r = restatementOf(
      published,
      next,
      { versionId: 'v', runId: 'r', generatedAt: 'g' },
      {
        reason: 'why',
        forced: false,
        overridden: [],
      },
    );
    expect([r.previousTotal, r.total, r.difference]).toEqual(['1000.00', '1010.00', '10.00']);
  });
});

describe('dayViolations', () => {
  const stored = { coveragePct: 100, allocatedGpuSeconds: 3600 * 100, capacityGpuSeconds: 3600 * 200 };
  const dayPolicy = { maxCoverageDropPct: 1, maxDayUsageDropPct: 5 };
  it('allows a fuller or slightly emptier day and refuses an emptier one, in one line for the day', () => {
    expect(
      dayViolations('2026-10-05', { ...stored, allocatedGpuSeconds: 3600 * 95 }, stored, dayPolicy),
    ).toEqual([]);
    expect(
      dayViolations('2026-10-05', { ...stored, capacityGpuSeconds: 3600 * 300 }, stored, dayPolicy),
    ).toEqual([]);
    expect(
      dayViolations(
        '2026-10-05',
        { coveragePct: 0, allocatedGpuSeconds: 0, capacityGpuSeconds: 0 },
        stored,
        dayPolicy,
      ),
    ).toEqual([
      '2026-10-05: coverage 100 % -> 0 %, allocated GPU-hours 100.00 -> 0.00, capacity GPU-hours 200.00 -> 0.00',
    ]);
  });
});

describe('provisional (month-to-date) versions', () => {
  const dayPolicy = { ...policy, maxDayUsageDropPct: 5 };
  /** A version of November 2026 (UTC) through `days` days, each day costing `perDay`. */
  const version = (
    days: number,
    perDay: string[] | string,
    kind: 'provisional' | 'final' = 'provisional',
    coveragePct = 100,
  ): VersionFigures => {
    const costs = Array.from({ length: days }, (_, i) => (Array.isArray(perDay) ? perDay[i]! : perDay));
    const cents = costs.reduce((s, c) => s + Math.round(Number(c) * 100), 0);
    const total = (cents / 100).toFixed(2);
    const end = `2026-11-${String(days + 1).padStart(2, '0')}T00:00:00Z`;
    return {
      period: { zone: 'UTC', start: '2026-11-01T00:00:00Z', end: days === 30 ? '2026-12-01T00:00:00Z' : end },
      currency: 'USD',
      total,
      coveragePct,
      byTeam: [{ team: 'ml', cost: total }],
      provisional:
        kind === 'provisional'
          ? { throughDay: `2026-11-${String(days).padStart(2, '0')}`, daysMetered: days }
          : null,
      byDay: costs.map((cost, i) => ({
        date: `2026-11-${String(i + 1).padStart(2, '0')}`,
        cost,
        coveragePct,
      })),
    };
  };

  it('lets a longer provisional replace a shorter one although its total grows by far more than maxTotalChangePct', () => {
    // 10 days -> 20 days: the total doubles (+100 %), which would refuse a restatement.
    expect(monthViolations(version(20, '100.00'), version(10, '100.00'), policy)).not.toEqual([]);
    expect(provisionalReplacementViolations(version(20, '100.00'), version(10, '100.00'), dayPolicy)).toEqual(
      [],
    );
  });

  it('lets the final month replace a provisional one', () => {
    expect(
      provisionalReplacementViolations(version(30, '100.00', 'final'), version(29, '100.00'), dayPolicy),
    ).toEqual([]);
  });

  it('refuses a provisional that covers fewer ended days than the published one', () => {
    expect(provisionalReplacementViolations(version(9, '100.00'), version(10, '100.00'), dayPolicy)).toEqual([
      'it covers fewer ended days (through 2026-11-09, 9) than the published provisional version (through 2026-11-10, 10)',
    ]);
  });

  it('refuses a longer version in which a day both cover lost more than maxDayUsageDropPct of its cost', () => {
    const published = version(10, '100.00');
    // Day 3 drops 5 % exactly (allowed), day 4 drops 5.01 % (refused).
    const costs = Array.from({ length: 20 }, (_, i) => (i === 2 ? '95.00' : i === 3 ? '94.99' : '100.00'));
    expect(provisionalReplacementViolations(version(20, costs), published, dayPolicy)).toEqual([
      "1 day both versions cover would drop (more than guard.maxDayUsageDropPct 5 % of the day's cost or " +
        'guard.maxCoverageDropPct 1 points of coverage): 2026-11-04: cost 100.00 -> 94.99',
    ]);
    // The final month is held to the same floor.
    expect(provisionalReplacementViolations(version(30, costs, 'final'), published, dayPolicy)).toHaveLength(
      1,
    );
  });

  it('refuses a longer version whose coverage drops, and any version below the coverage floor', () => {
    expect(
      provisionalReplacementViolations(
        version(20, '100.00', 'provisional', 95),
        version(10, '100.00'),
        dayPolicy,
      ),
    ).toEqual([
      'coverage drops from 100 % to 95 % (more than guard.maxCoverageDropPct 1 points)',
      "10 days both versions cover would drop (more than guard.maxDayUsageDropPct 5 % of the day's cost or " +
        'guard.maxCoverageDropPct 1 points of coverage): 2026-11-01: coverage 100 % -> 95 %; 2026-11-02: coverage 100 % -> 95 %; and 8 more',
    ]);
    expect(
      provisionalReplacementViolations(
        version(20, '100.00', 'provisional', 80),
        version(20, '100.00', 'provisional', 80),
        dayPolicy,
      ),
    ).toEqual(['coverage 80 % is below guard.minCoveragePct 90 %']);
  });

  it('holds two provisionals through the same day to the total and team floors of a restatement', () => {
    // ml moves exactly 10 %: within maxTeamChangePct; the total's 10 % is not within maxTotalChangePct.
    expect(provisionalReplacementViolations(version(10, '110.00'), version(10, '100.00'), dayPolicy)).toEqual(
      ['the total moves 1000.00 -> 1100.00 (+10.0 %, more than guard.maxTotalChangePct 5 %)'],
    );
  });

  it('refuses another zone or currency between provisional versions', () => {
    const other = { ...version(20, '100.00'), currency: 'KRW' };
    expect(provisionalReplacementViolations(other, version(10, '100.00'), dayPolicy)).toEqual([
      'the currency changes from USD to KRW',
    ]);
  });

  it('never lets a provisional replace a final month, and lets a final or a provisional replace a provisional', () => {
    expect(provisionalOverFinalViolations(version(29, '1.00'), version(30, '1.00', 'final'))).toEqual([
      'the published version is final: a month-to-date (provisional) version never replaces it (restate a closed month with report or backfill)',
    ]);
    expect(provisionalOverFinalViolations(version(30, '1.00', 'final'), version(29, '1.00'))).toEqual([]);
    expect(provisionalOverFinalViolations(version(29, '1.00'), version(28, '1.00'))).toEqual([]);
  });
});
