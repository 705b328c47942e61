import { describe, expect, it } from 'vitest';
import { billingPeriod } from '../../../src/core/period.ts';
import { priceMonth } from '../../../src/core/month/priceMonth.ts';
import {
  CATALOG,
  meteredDay,
  nodeUsage,
  parseConfig,
  podUsage,
  priceOptions,
  wholeDay,
} from '../../support/meteredFixture.ts';

const period = billingPeriod('2026-03', 'UTC');
const [day1, day2] = period.days as [(typeof period.days)[0], (typeof period.days)[0]];

/**
 * Two days. Day 1: a Spot g5.12xlarge (spot 2.2688/4 = 0.5672, list 1.418 per GPU-hour) with ml's pod on
 * 2 GPUs (util 20 %) and search's pod on 1 GPU (util 90 %). Day 2: an On-Demand g4dn.xlarge with ml's pod.
 */
function month(overrides: { pricing?: object; report?: object } = {}) {
  const c1 = wholeDay(day1);
  const c2 = wholeDay(day2);
  const ml1 = podUsage(c1, { node: 'spot', requested: 2, utilization: 0.2, team: 'ml', project: 'vision' });
  const se1 = podUsage(c1, {
    node: 'spot',
    utilization: 0.9,
    team: 'search',
    project: 'rank',
    pod: { namespace: 'search', pod: 's', uid: 's' },
  });
  const ml2 = podUsage(c2, { node: 'od', utilization: 0.4, team: 'ml', project: 'vision' });
  const days = [
    meteredDay(
      day1,
      [ml1, se1],
      [
        nodeUsage(c1, { node: 'spot', instanceType: 'g5.12xlarge', capacityType: 'spot', gpus: 4 }, [
          ml1,
          se1,
        ]),
      ],
    ),
    meteredDay(day2, [ml2], [nodeUsage(c2, { node: 'od' }, [ml2])]),
  ];
  const config = parseConfig({
    pricing: { instanceTypes: CATALOG, catalogVersion: '2026-03-a', ...overrides.pricing },
    report: { budgets: { ml: 50, finance: 10 }, ...overrides.report },
  });
  return priceMonth(days, priceOptions(period, config)).summary;
}

describe('priceMonth summary', () => {
  const summary = month();

  it('totals capacity, direct and idle cost and Spot savings', () => {
    // Day 1: 96 GPU-h × 0.5672 = 54.4512 (list 136.128); day 2: 24 × 0.526 = 12.624. Idle: 24 GPU-h Spot = 13.6128.
    // Teams ml 39.8496, search 13.6128, platform 13.6128 → 6708 cents: ml takes the first leftover cent (.96),
    // and of the tied .28 remainders "platform" sorts before "search", so idle is 13.62 and search 13.61.
    expect([
      summary.totals.cost,
      summary.totals.listCost,
      summary.totals.idleCost,
      summary.totals.directCost,
    ]).toEqual(['67.08', '148.75', '13.62', '53.46']);
    expect(summary.totals.spotSavings).toBe('81.67');
    expect([
      summary.totals.capacityGpuHours,
      summary.totals.allocatedGpuHours,
      summary.totals.idleGpuHours,
    ]).toEqual([120, 96, 24]);
  });

  it('reports budgets and variance per team, including budgeted teams without cost', () => {
    expect(summary.byTeam.map((t) => [t.key, t.cost, t.budget, t.variance])).toEqual([
      ['ml', '39.85', '50.00', '-10.15'],
      ['platform', '13.62', null, null],
      ['search', '13.61', null, null],
      ['finance', '0.00', '10.00', '-10.00'],
    ]);
  });

  it('weights utilization by GPU-hours held', () => {
    // (48 × 20 + 24 × 90 + 24 × 40) / 96 = 42.5.
    expect(summary.totals.utilizationPct).toBe(42.5);
    expect(summary.byTeam[0]!.utilizationPct).toBe(26.67);
  });

  it('breaks the month down by day with Spot and On-Demand cost', () => {
    expect(summary.byDay.slice(0, 3).map((d) => [d.date, d.cost, d.spotCost, d.onDemandCost])).toEqual([
      ['2026-03-01', '54.46', '54.46', '0.00'],
      ['2026-03-02', '12.62', '0.00', '12.62'],
      ['2026-03-03', '0.00', '0.00', '0.00'],
    ]);
    expect(summary.byDay).toHaveLength(31);
  });

  it('concatenates hourly allocated GPUs over every hour of the month', () => {
    expect(summary.hourlyAllocatedGpus['g5.12xlarge']).toHaveLength(period.hours);
    expect(summary.hourlyAllocatedGpus['g5.12xlarge']!.slice(22, 26)).toEqual([3, 3, 0, 0]);
    expect(summary.hourlyAllocatedGpus['g4dn.xlarge']!.slice(22, 26)).toEqual([0, 0, 1, 1]);
  });

  it('lists low-utilization workloads below the threshold (50 % by default), most expensive first', () => {
    // Issue #16: search at 90 % was listed as a right-sizing candidate because nothing bounded the list.
    expect(summary.policies.lowUtilizationBelowPct).toBe(50);
    expect(summary.lowUtilization.map((w) => [w.namespace, w.team, w.utilizationPct])).toEqual([
      ['ml', 'ml', 26.67],
    ]);
  });

  it('takes the right-sizing threshold from report.lowUtilizationBelowPct', () => {
    const wide = month({ report: { lowUtilizationBelowPct: 95 } });
    expect(wide.lowUtilization.map((w) => [w.namespace, w.utilizationPct])).toEqual([
      ['ml', 26.67],
      ['search', 90],
    ]);
    expect(month({ report: { lowUtilizationBelowPct: 20 } }).lowUtilization).toEqual([]);
  });

  it('compares budgets with the budgeted teams only and reports the rest of the spend as unbudgeted', () => {
    // Issue #16: the headline compared all spend (idle, unallocated included) with the budgets.
    // Budgeted: ml 39.85 (budget 50) and finance 0.00 (budget 10) → 39.85 − 60 = −20.15; the other
    // 27.23 (platform's idle 13.62, search 13.61) has no budget; both add up to the total 67.08.
    expect(summary.budgets).toEqual({
      currency: 'USD',
      conversionRate: null,
      budgetedTeams: 2,
      teamsOver: 0,
      budget: '60.00',
      budgetedCost: '39.85',
      variance: '-20.15',
      unbudgetedCost: '27.23',
    });
  });

  it('warns about a budget whose team has no spend this month, without failing the month', () => {
    expect(summary.warnings.filter((w) => w.startsWith('report.budgets'))).toEqual([
      'report.budgets has a budget for team "finance", which has no GPU spend in 2026-03: its whole budget ' +
        'counts as unused; if the team did not run this month that is right, otherwise check the name',
    ]);
  });

  it("reports Spot's share of spend apart from its share of GPU capacity", () => {
    // Issue #16: "Spot share of spend" was the share of capacity GPU-hours. Spot: 54.46 of 67.08 = 81.19 %
    // of the money; 96 of 120 GPU-hours = 80 % of capacity.
    expect(summary.totals.spotSpendSharePct).toBe(81.19);
    expect(summary.totals.spotSharePct).toBe(80);
  });

  it('converts budgets written in the catalog currency to the billing currency at the fixed rate', () => {
    const krw = month({
      pricing: { currency: 'KRW', priceCurrency: 'USD', conversionRate: '1400' },
      report: { budgets: { ml: 50.5 }, budgetCurrency: 'USD' },
    });
    expect(krw.byTeam.find((t) => t.key === 'ml')!.budget).toBe('70700');
    expect(krw.budgets).toMatchObject({ currency: 'USD', conversionRate: '1400', budget: '70700' });
    const inKrw = month({
      pricing: { currency: 'KRW', priceCurrency: 'USD', conversionRate: '1400' },
      report: { budgets: { ml: 50000 }, budgetCurrency: 'KRW' },
    });
    expect(inKrw.budgets).toMatchObject({ currency: 'KRW', conversionRate: null, budget: '50000' });
  });

  it('records the catalog version, policies, rounding rule and reconciliation', () => {
    expect(summary.priceCatalog.version).toBe('2026-03-a');
    expect(summary.policies.idle).toEqual({ mode: 'separate', platformTeam: 'platform' });
    expect(summary.policies.rounding).toMatch(/half-even.*largest remainder/);
    expect(summary.reconciliation).toEqual({
      capacityCost: '67.08',
      sumOfRows: '67.08',
      difference: '0.00',
      machines: { nodeHours: 48, gpuHours: 120, cost: '67.08', difference: '0.00' },
      allocatedCost: '53.47',
      idle: {
        cost: '13.61',
        byReason: {
          unallocated: { gpuHours: 24, cost: '13.61' },
          'mig-unpartitioned': { gpuHours: 0, cost: '0.00' },
          'not-advertised': { gpuHours: 0, cost: '0.00' },
          'unknown-resource': { gpuHours: 0, cost: '0.00' },
        },
      },
    });
    expect(summary.warnings[0]).toBe(
      'no metered data for 29 day(s): 2026-03-03, 2026-03-04, 2026-03-05, 2026-03-06, 2026-03-07, 2026-03-08, 2026-03-09, 2026-03-10, 2026-03-11, 2026-03-12, 2026-03-13, 2026-03-14, 2026-03-15, 2026-03-16, 2026-03-17, 2026-03-18, 2026-03-19, 2026-03-20, 2026-03-21, 2026-03-22, 2026-03-23, 2026-03-24, 2026-03-25, 2026-03-26, 2026-03-27, 2026-03-28, 2026-03-29, 2026-03-30, 2026-03-31',
    );
  });

  it('describes instance types with their end-of-month catalog prices per GPU-hour', () => {
    expect(
      summary.byInstanceType.map((t) => [
        t.instanceType,
        t.capacityType,
        t.cost,
        t.onDemandPricePerGpuHour,
        t.spotPricePerGpuHour,
      ]),
    ).toEqual([
      ['g5.12xlarge', 'spot', '54.46', '1.418', '0.5672'],
      ['g4dn.xlarge', 'on-demand', '12.62', '0.526', '0.2104'],
    ]);
  });
});

describe('priceMonth summary with several clusters', () => {
  /**
   * Regression: byInstanceType was keyed by instance type and capacity type only, so a type running in
   * two clusters with different prices was one entry with the capacity and cost of both and the prices
   * of whichever cluster came first. Day 1: a g4dn.xlarge On-Demand in cluster "us" (0.526/h) and one in
   * cluster "kr" priced by its own catalog at 0.7/h, each idle all day (24 GPU-hours).
   */
  function twoClusters() {
    const cp = wholeDay(day1);
    const nodes = [nodeUsage(cp, { cluster: 'us', node: 'a' }), nodeUsage(cp, { cluster: 'kr', node: 'a' })];
    const config = parseConfig({
      pricing: {
        instanceTypes: CATALOG,
        byCluster: { kr: { instanceTypes: { 'g4dn.xlarge': { gpus: 1, gpuModel: 'T4', onDemand: 0.7 } } } },
      },
    });
    return priceMonth([meteredDay(day1, [], nodes)], priceOptions(period, config)).summary;
  }

  it('lists an instance type once per cluster, with the prices, capacity and cost of that cluster', () => {
    const summary = twoClusters();
    expect(
      summary.byInstanceType.map((t) => [
        t.cluster,
        t.instanceType,
        t.capacityGpuHours,
        t.cost,
        t.onDemandPricePerGpuHour,
        t.spotPricePerGpuHour,
      ]),
    ).toEqual([
      ['kr', 'g4dn.xlarge', 24, '16.80', '0.7', null],
      ['us', 'g4dn.xlarge', 24, '12.62', '0.526', '0.2104'],
    ]);
    expect(summary.totals.cost).toBe('29.42');
  });

  it('leaves the cluster out for the one unnamed cluster of a single-cluster setup', () => {
    expect(month().byInstanceType.every((t) => !('cluster' in t))).toBe(true);
  });
});
