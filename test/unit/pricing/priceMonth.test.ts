import { describe, expect, it } from 'vitest';
import type { ConfigInput } from '../../../src/config/schema.ts';
import { billingPeriod, chargePeriods } from '../../../src/core/period.ts';
import { priceCutInstants } from '../../../src/core/pricing/catalog.ts';
import { priceMonth } from '../../../src/core/month/priceMonth.ts';
import type { MeteredDay, PricedRow } from '../../../src/core/types.ts';
import { MissingPriceError } from '../../../src/errors.ts';
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
const day1 = period.days[0]!;
const cp = wholeDay(day1);
const HOUR = 3600;

function price(days: MeteredDay[], config: ConfigInput, extra = {}) {
  const parsed = parseConfig({ pricing: { instanceTypes: CATALOG }, ...config });
  const priced = priceMonth(days, priceOptions(period, parsed, extra));
  return { rows: [...priced.rows], summary: priced.summary };
}

const cost = (rows: PricedRow[], predicate: (r: PricedRow) => boolean) =>
  rows.filter(predicate).map((r) => [r.component, r.team, r.effectiveCost]);

/**
 * The idle-policy example: a 4×A10G g5.12xlarge On-Demand node (5.672/h = 1.418 per GPU-hour) for a day
 * (96 GPU-hours = 136.128). Pod A (team ml) holds 2 GPUs all day at 50 % utilization (48 GPU-h = 68.064);
 * pod B (team search) holds 1 GPU for 12 h with unknown utilization (12 GPU-h = 17.016). Idle 36 GPU-h = 51.048.
 */
function idleExample(withSecondNode = false): MeteredDay[] {
  const a = podUsage(cp, {
    pod: { namespace: 'ml', pod: 'a', uid: 'ua' },
    node: 'big',
    requested: 2,
    utilization: 0.5,
    team: 'ml',
  });
  const b = podUsage(cp, {
    pod: { namespace: 'search', pod: 'b', uid: 'ub' },
    node: 'big',
    heldSeconds: 12 * HOUR,
    utilization: null,
    team: 'search',
  });
  const nodes = [nodeUsage(cp, { node: 'big', instanceType: 'g5.12xlarge', gpus: 4 }, [a, b])];
  // A 1×T4 node with nothing on it: 24 GPU-h × 0.526 = 12.624 of idle.
  if (withSecondNode) nodes.push(nodeUsage(cp, { node: 'small', instanceType: 'g4dn.xlarge', gpus: 1 }));
  return [meteredDay(day1, [a, b], nodes)];
}

describe('priceMonth', () => {
  describe('idle and utilization policies (cents worked out by hand)', () => {
    it('charges held time and puts idle on the platform team under allocation + separate', () => {
      const { rows, summary } = price(idleExample(), {});
      expect(cost(rows, () => true)).toEqual([
        ['Direct', 'ml', '68.06'],
        ['Idle', 'platform', '51.05'],
        ['Direct', 'search', '17.02'],
      ]);
      expect(summary.totals.cost).toBe('136.13');
      expect(summary.reconciliation).toEqual({
        capacityCost: '136.13',
        sumOfRows: '136.13',
        difference: '0.00',
        machines: { nodeHours: 24, gpuHours: 96, cost: '136.13', difference: '0.00' },
        allocatedCost: '85.08',
        idle: {
          cost: '51.05',
          byReason: {
            unallocated: { gpuHours: 36, cost: '51.05' },
            'mig-unpartitioned': { gpuHours: 0, cost: '0.00' },
            'not-advertised': { gpuHours: 0, cost: '0.00' },
            'unknown-resource': { gpuHours: 0, cost: '0.00' },
          },
        },
      });
    });

    it('moves the unused part of held time to the platform team under utilization + separate', () => {
      const { rows } = price(idleExample(), { allocation: { utilization: { mode: 'utilization' } } });
      expect(cost(rows, () => true)).toEqual([
        ['Direct', 'ml', '34.03'],
        ['Idle', 'platform', '51.05'],
        ['UnusedAllocation', 'platform', '34.03'],
        ['Direct', 'search', '17.02'],
      ]);
      const unused = rows.find((r) => r.component === 'UnusedAllocation')!;
      expect([
        unused.pod,
        unused.effectiveCostExact,
        unused.billableGpuHours,
        unused.consumedGpuHours,
      ]).toEqual(['a', '34.032', '24', '0']);
    });

    it('pays at least the floor under floor + separate', () => {
      const { rows } = price(idleExample(), { allocation: { utilization: { mode: 'floor', floor: 0.75 } } });
      expect(cost(rows, () => true)).toEqual([
        ['Direct', 'ml', '51.05'],
        ['Idle', 'platform', '51.05'],
        // platform's 68.064 rounds to 68.06: its rows 51.048 and 17.016 get 51.05 and 17.01 (largest remainder).
        ['UnusedAllocation', 'platform', '17.01'],
        ['Direct', 'search', '17.02'],
      ]);
      expect(rows.filter((r) => r.team === 'platform').map((r) => r.effectiveCostExact)).toEqual([
        '51.048',
        '17.016',
      ]);
    });

    it('charges pods with unknown utilization their full held time and says so', () => {
      const { rows, summary } = price(idleExample(), {
        allocation: { utilization: { mode: 'utilization' } },
      });
      const b = rows.find((r) => r.pod === 'b')!;
      expect([b.effectiveCostExact, b.billableGpuHours, b.utilizationPct]).toEqual(['17.016', '12', null]);
      expect(summary.warnings).toContain(
        '1 pod usage row(s) have no utilization data; their full held time was charged as Direct',
      );
    });

    it('splits a node’s idle over its pods by direct cost under share-by-node', () => {
      const { rows, summary } = price(idleExample(), { allocation: { idle: { mode: 'share-by-node' } } });
      expect(cost(rows, () => true)).toEqual([
        ['Direct', 'ml', '68.06'],
        ['IdleShare', 'ml', '40.84'],
        ['Direct', 'search', '17.02'],
        ['IdleShare', 'search', '10.21'],
      ]);
      expect(rows.filter((r) => r.component === 'IdleShare').map((r) => r.effectiveCostExact)).toEqual([
        '40.8384',
        '10.2096',
      ]);
      expect(summary.byTeam.map((t) => [t.key, t.cost, t.idleCost])).toEqual([
        ['ml', '108.90', '40.84'],
        ['search', '27.23', '10.21'],
      ]);
    });

    it('shares idle and unused allocation together under utilization + share-by-node', () => {
      const { summary } = price(idleExample(), {
        allocation: { utilization: { mode: 'utilization' }, idle: { mode: 'share-by-node' } },
      });
      // Direct 34.032 + 17.016; pool 51.048 + 34.032 = 85.08 split 2:1 → ml 90.752, search 45.376.
      expect(summary.byTeam.map((t) => [t.key, t.cost])).toEqual([
        ['ml', '90.75'],
        ['search', '45.38'],
      ]);
    });

    it('sends the idle of a node without direct cost to the platform team under share-by-node', () => {
      const { rows } = price(idleExample(true), { allocation: { idle: { mode: 'share-by-node' } } });
      expect(cost(rows, (r) => r.team === 'platform')).toEqual([['Idle', 'platform', '12.62']]);
      expect(rows.find((r) => r.team === 'platform')!.node).toBe('small');
    });

    it('splits all of a cluster’s idle over the cluster’s pods under share-by-cluster', () => {
      const { rows, summary } = price(idleExample(true), {
        allocation: { idle: { mode: 'share-by-cluster' } },
      });
      // Pool 51.048 + 12.624 = 63.672 split 4:1 → 50.9376 and 12.7344.
      expect(cost(rows, () => true)).toEqual([
        ['Direct', 'ml', '68.06'],
        ['IdleShare', 'ml', '50.94'],
        ['Direct', 'search', '17.02'],
        ['IdleShare', 'search', '12.73'],
      ]);
      expect(summary.totals.cost).toBe('148.75');
    });
  });

  describe('prices', () => {
    it('applies a mid-day Spot price change exactly from its instant', () => {
      const config = parseConfig({
        pricing: {
          instanceTypes: CATALOG,
          overrides: [
            { instanceType: 'g4dn.xlarge', capacityType: 'spot', from: '2026-03-01T06:00:00Z', price: 0.3 },
          ],
        },
      });
      const cuts = priceCutInstants(config.pricing, period);
      expect(cuts).toEqual([Date.parse('2026-03-01T06:00:00Z')]);
      const [early, late] = chargePeriods([day1], cuts);
      const nodes = [early!, late!].map((p) => nodeUsage(p, { node: 'spot-1', capacityType: 'spot' }));
      const priced = priceMonth([meteredDay(day1, [], nodes)], priceOptions(period, config));
      const [rows, summary] = [[...priced.rows], priced.summary];
      // 6 h × 0.2104 = 1.2624 and 18 h × 0.3 = 5.4.
      expect(
        rows.map((r) => [r.chargePeriod.startMs, r.unitPrice, r.effectiveCostExact, r.effectiveCost]),
      ).toEqual([
        [day1.startMs, '0.2104', '1.2624', '1.26'],
        [Date.parse('2026-03-01T06:00:00Z'), '0.3', '5.4', '5.40'],
      ]);
      expect(rows.map((r) => [r.pricingCategory, r.listCostExact])).toEqual([
        ['Dynamic', '3.156'],
        ['Dynamic', '9.468'],
      ]);
      expect(summary.totals.spotSavings).toBe('5.96');
    });

    it('refuses a charge period that a price change falls inside', () => {
      const config = parseConfig({
        pricing: {
          instanceTypes: CATALOG,
          overrides: [
            { instanceType: 'g4dn.xlarge', capacityType: 'spot', from: '2026-03-01T06:00:00Z', price: 0.3 },
          ],
        },
      });
      const days = [meteredDay(day1, [], [nodeUsage(cp, { capacityType: 'spot' })])];
      expect(() => priceMonth(days, priceOptions(period, config))).toThrow(/re-meter/);
    });

    it('charges a 3g MIG slice of an A100 3/7 of a GPU', () => {
      // p4d.24xlarge: 32.7726 / 8 = 4.096575 per GPU-hour; 3/7 × 7 h = 3 GPU-hours = 12.289725.
      const pod = podUsage(cp, {
        node: 'p4d',
        gpuResource: 'nvidia_com_mig_3g_20gb',
        weight: { numerator: 3, denominator: 7 },
        heldSeconds: 7 * HOUR,
      });
      const node = nodeUsage(cp, { node: 'p4d', instanceType: 'p4d.24xlarge', gpus: 8 }, [pod]);
      const { rows, summary } = price([meteredDay(day1, [pod], [node])], {});
      const direct = rows.find((r) => r.component === 'Direct')!;
      expect([
        direct.consumedGpuHours,
        direct.unitPrice,
        direct.effectiveCostExact,
        direct.effectiveCost,
      ]).toEqual(['3', '4.096575', '12.289725', '12.29']);
      // Capacity 192 GPU-h = 786.5424; idle 774.252675 rounds down so the total stays 786.54.
      expect(rows.find((r) => r.component === 'Idle')!.effectiveCost).toBe('774.25');
      expect(summary.totals.cost).toBe('786.54');
    });

    it('charges a time-sliced replica its weight of the GPU', () => {
      // 1 of 4 replicas for 24 h = 6 GPU-hours × 0.526 = 3.156.
      const pod = podUsage(cp, {
        weight: { numerator: 1, denominator: 4 },
        gpuResource: 'nvidia_com_gpu_shared',
      });
      const { rows } = price([meteredDay(day1, [pod], [nodeUsage(cp, {}, [pod])])], {});
      expect(rows.find((r) => r.component === 'Direct')!.effectiveCostExact).toBe('3.156');
    });

    it('throws MissingPriceError naming an instance type missing from the catalog', () => {
      const days = [meteredDay(day1, [], [nodeUsage(cp, { instanceType: 'g6.xlarge' })])];
      const attempt = () => price(days, {});
      expect(attempt).toThrow(MissingPriceError);
      expect(attempt).toThrow(/"g6\.xlarge"/);
    });

    it('flags every row priced with the fallback and warns', () => {
      const pod = podUsage(cp, { node: 'new', heldSeconds: 12 * HOUR });
      const days = [
        meteredDay(
          day1,
          [pod],
          [nodeUsage(cp, { node: 'new', instanceType: 'g6.xlarge' }, [pod]), nodeUsage(cp, { node: 'old' })],
        ),
      ];
      const { rows, summary } = price(days, {
        pricing: { instanceTypes: CATALOG, fallback: { onDemandPerGpuHour: 2, gpuModel: 'L4?' } },
      });
      expect(rows.map((r) => [r.node, r.component, r.priceFallback, r.effectiveCost, r.gpuModel])).toEqual([
        ['new', 'Direct', true, '24.00', 'L4?'],
        ['new', 'Idle', true, '24.00', 'L4?'],
        ['old', 'Idle', false, '12.62', 'T4'],
      ]);
      expect(summary.warnings.some((w) => w.includes('"g6.xlarge"') && w.includes('fallback'))).toBe(true);
    });

    it('charges Spot capacity without a Spot price at On-Demand and warns', () => {
      const days = [
        meteredDay(
          day1,
          [],
          [nodeUsage(cp, { instanceType: 'p4d.24xlarge', gpus: 8, capacityType: 'spot' })],
        ),
      ];
      const { rows, summary } = price(days, {});
      expect([rows[0]!.pricingCategory, rows[0]!.unitPrice, rows[0]!.effectiveCost]).toEqual([
        'Dynamic',
        '4.096575',
        '786.54',
      ]);
      expect(summary.warnings).toContain(
        'no Spot price for p4d.24xlarge; Spot capacity charged at On-Demand',
      );
    });

    it('charges reserved capacity the committed rate as PricingCategory Committed', () => {
      // 3.5736 / 4 = 0.8934 per GPU-hour × 96 = 85.7664; list 1.418 × 96 = 136.128.
      const days = [
        meteredDay(
          day1,
          [],
          [nodeUsage(cp, { instanceType: 'g5.12xlarge', gpus: 4, capacityType: 'reserved' })],
        ),
      ];
      const { rows } = price(days, {});
      expect([rows[0]!.pricingCategory, rows[0]!.effectiveCost, rows[0]!.listCost]).toEqual([
        'Committed',
        '85.77',
        '136.13',
      ]);
    });

    it('uses a cluster’s own catalog for that cluster only', () => {
      const days = [
        meteredDay(
          day1,
          [],
          [
            nodeUsage(cp, { cluster: 'seoul', node: 'n1' }),
            nodeUsage(cp, { cluster: 'virginia', node: 'n1' }),
          ],
        ),
      ];
      const { rows } = price(days, {
        pricing: {
          instanceTypes: CATALOG,
          byCluster: {
            seoul: { instanceTypes: { 'g4dn.xlarge': { gpus: 1, gpuModel: 'T4', onDemand: 0.647 } } },
          },
        },
      });
      expect(rows.map((r) => [r.cluster, r.unitPrice])).toEqual([
        ['seoul', '0.647'],
        ['virginia', '0.526'],
      ]);
    });

    it('converts to KRW at the fixed rate and rounds to whole won', () => {
      // 24 h × 0.526 USD × 1385.27 = 17487.64848 KRW.
      const { rows, summary } = price([meteredDay(day1, [], [nodeUsage(cp)])], {
        pricing: { instanceTypes: CATALOG, currency: 'KRW', priceCurrency: 'USD', conversionRate: '1385.27' },
      });
      expect([rows[0]!.effectiveCostExact, rows[0]!.effectiveCost]).toEqual(['17487.64848', '17488']);
      expect(summary.currency).toEqual({
        code: 'KRW',
        minorDigits: 0,
        conversion: { from: 'USD', rate: '1385.27' },
      });
      expect(summary.reconciliation.difference).toBe('0');
    });
  });

  describe('edge cases', () => {
    it('scales pods down to the node’s capacity when they held more than it had, and warns', () => {
      const pods = ['p1', 'p2'].map((name) => podUsage(cp, { pod: { pod: name, uid: name } }));
      const { rows, summary } = price([meteredDay(day1, pods, [nodeUsage(cp, {}, pods)])], {});
      expect(rows.map((r) => [r.pod, r.component, r.effectiveCostExact, r.consumedGpuHours])).toEqual([
        ['p1', 'Direct', '6.312', '24'],
        ['p2', 'Direct', '6.312', '24'],
      ]);
      expect(
        summary.warnings.some((w) =>
          w.startsWith('node node-a: pods held 24 GPU-hours more than its capacity'),
        ),
      ).toBe(true);
    });

    it('keeps pods on a node without a capacity record visible at zero cost and warns', () => {
      const pod = podUsage(cp, { node: 'ghost' });
      const { rows, summary } = price([meteredDay(day1, [pod], [])], {});
      expect(rows.map((r) => [r.node, r.effectiveCost, r.consumedGpuHours])).toEqual([
        ['ghost', '0.00', '24'],
      ]);
      expect(summary.warnings).toContain(
        'node ghost has no capacity record; 1 pod usage row(s) on it are not charged (cost 0)',
      );
    });

    it('prices an empty month at zero', () => {
      const { rows, summary } = price([], {});
      expect([rows.length, summary.totals.cost, summary.reconciliation.difference]).toEqual([
        0,
        '0.00',
        '0.00',
      ]);
    });

    it('marks every row as a correction when restating', () => {
      const { rows } = price(idleExample(), {}, { chargeClass: 'Correction' });
      expect(new Set(rows.map((r) => r.chargeClass))).toEqual(new Set(['Correction']));
    });

    it('rejects a day outside the billing period', () => {
      const april = billingPeriod('2026-04', 'UTC').days[0]!;
      expect(() => price([meteredDay(april, [], [])], {})).toThrow(/not in billing period 2026-03/);
    });
  });
});
