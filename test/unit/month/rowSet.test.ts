import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hoursText, roundedHours } from '../../../src/core/allocation/chargeRows.ts';
import { billingPeriod } from '../../../src/core/period.ts';
import { priceMonth } from '../../../src/core/month/priceMonth.ts';
import type { PricedRow } from '../../../src/core/types.ts';
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
const day = period.days[0]!;
const cp = wholeDay(day);

/** Every field of a priced row, in the order rows are built. */
const FIELDS: (keyof PricedRow)[] = [
  'chargePeriod',
  'cluster',
  'team',
  'project',
  'namespace',
  'pod',
  'podUid',
  'node',
  'instanceType',
  'gpuModel',
  'gpuResource',
  'gpuEquivalents',
  'pricingCategory',
  'component',
  'consumedGpuHours',
  'billableGpuHours',
  'utilizationPct',
  'utilizationSource',
  'unitPrice',
  'effectiveCostExact',
  'listCostExact',
  'coverage',
  'priceFallback',
  'costSource',
  'providerId',
  'capacityType',
  'effectiveCost',
  'listCost',
  'chargeClass',
];

/** Pod a (2 GPUs, 50 % utilized) and b (1 GPU, 12 h) on a 4-GPU node, utilization policy, idle shared. */
function month() {
  const a = podUsage(cp, { pod: { pod: 'a', uid: 'ua' }, node: 'n', requested: 2, utilization: 0.5 });
  const b = podUsage(cp, { pod: { pod: 'b', uid: 'ub' }, node: 'n', heldSeconds: 12 * 3600, team: 'search' });
  const config = parseConfig({
    pricing: { instanceTypes: CATALOG },
    allocation: { utilization: { mode: 'utilization' }, idle: { mode: 'share-by-node' } },
  });
  const node = nodeUsage(cp, { node: 'n', instanceType: 'g5.12xlarge', gpus: 4 }, [a, b]);
  return priceMonth([meteredDay(day, [a, b], [node])], priceOptions(period, config));
}

describe('the rows of a priced month', () => {
  const { rows } = month();

  it('yields plain rows that keep every field when spread, cloned or serialized', () => {
    const [first] = rows;
    expect(Object.keys({ ...first })).toEqual(FIELDS);
    expect(structuredClone(first)).toEqual(first);
    expect(JSON.parse(JSON.stringify(first))).toEqual(first);
  });

  it('gets row i as a new plain object each time (changing one changes nothing else)', () => {
    const row = rows.get(1);
    row.team = 'someone-else';
    expect(rows.get(1).team).not.toBe('someone-else');
    expect(rows.get(1)).toEqual([...rows][1]);
  });

  it('has a length, iterates in order, and reads one column without building rows', () => {
    const all = [...rows];
    expect(all.length).toBe(rows.length);
    expect(rows.length).toBe(4);
    expect(all.map((r) => [r.pod, r.component])).toEqual([
      ['a', 'Direct'],
      ['a', 'IdleShare'],
      ['b', 'Direct'],
      ['b', 'IdleShare'],
    ]);
    const cost = rows.column('effectiveCost');
    expect(all.map((_, i) => cost(i))).toEqual(all.map((r) => r.effectiveCost));
  });

  it('reads the rounded amounts in integer minor units, the numbers their columns print', () => {
    // On a Spot node, so that the On-Demand equivalent (listCost) differs from the cost.
    const a = podUsage(cp, { pod: { pod: 'a', uid: 'ua' }, node: 'n', requested: 3 });
    const config = parseConfig({ pricing: { instanceTypes: CATALOG } });
    const node = nodeUsage(cp, { node: 'n', instanceType: 'g5.12xlarge', gpus: 4, capacityType: 'spot' }, [
      a,
    ]);
    const spot = priceMonth([meteredDay(day, [a], [node])], priceOptions(period, config)).rows;
    const all = [...spot];
    const units = spot.minorUnits('effectiveCost');
    const listUnits = spot.minorUnits('listCost');
    const printed = (amount: string) => Math.round(Number(amount) * 100);
    expect(all.map((_, i) => units(i))).toEqual(all.map((r) => printed(r.effectiveCost)));
    expect(all.map((_, i) => listUnits(i))).toEqual(all.map((r) => printed(r.listCost)));
    expect(all.some((r) => r.listCost !== r.effectiveCost && Number(r.effectiveCost) > 0)).toBe(true);
  });

  it('reads every field by column as get builds it, on every component (Direct, UnusedAllocation, Idle, IdleShare)', () => {
    const a = podUsage(cp, { pod: { pod: 'a', uid: 'ua' }, node: 'n', requested: 2, utilization: 0.5 });
    const b = podUsage(cp, {
      pod: { pod: 'b', uid: 'ub' },
      node: 'n',
      heldSeconds: 12 * 3600,
      team: 'search',
    });
    const node = nodeUsage(cp, { node: 'n', instanceType: 'g5.12xlarge', gpus: 4 }, [a, b]);
    const months = (['separate', 'share-by-node'] as const).map((idle) => {
      const config = parseConfig({
        pricing: { instanceTypes: CATALOG },
        allocation: { utilization: { mode: 'utilization' }, idle: { mode: idle } },
      });
      return priceMonth([meteredDay(day, [a, b], [node])], priceOptions(period, config)).rows;
    });
    const components = new Set(months.flatMap((m) => [...m].map((r) => r.component)));
    expect([...components].sort()).toEqual(['Direct', 'Idle', 'IdleShare', 'UnusedAllocation']);
    for (const m of months) {
      for (const field of FIELDS) {
        const read = m.column(field);
        for (let i = 0; i < m.length; i++) expect(read(i)).toEqual(m.get(i)[field]);
      }
    }
  });

  it('reads GPU-hours as the numbers their columns print', () => {
    for (const name of ['consumedGpuHours', 'billableGpuHours'] as const) {
      const hours = rows.hours(name);
      const printed = rows.column(name);
      for (let i = 0; i < rows.length; i++) expect(hours(i)).toBe(Number(printed(i)));
    }
    expect(() => rows.hours('gpuEquivalents' as 'consumedGpuHours')).toThrow(RangeError);
  });

  it('prints GPU-hours as text whose number is roundedHours (property, any double)', () => {
    const same = (h: number) => Object.is(Number(hoursText(h)), roundedHours(h) === 0 ? 0 : roundedHours(h));
    fc.assert(
      fc.property(fc.double(), (h) => same(h)),
      { numRuns: 20_000 },
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 53 - 1 }), (k) => same(k / 1e6)),
      { numRuns: 20_000 },
    );
    for (const h of [
      0,
      -0,
      1e-7,
      4.9999e-7,
      5e-7,
      1.5e-6,
      123.4567895,
      1e9 + 0.1,
      1e10 + 0.3,
      1e21,
      -3.5,
      NaN,
    ])
      expect(same(h)).toBe(true);
  });

  it('refuses a column that is not a field of a row (also names every object inherits)', () => {
    for (const name of ['toString', 'constructor', 'nope'])
      expect(() => rows.column(name as keyof PricedRow)).toThrow(RangeError);
  });

  it('refuses a row outside the month', () => {
    expect(() => rows.get(rows.length)).toThrow(RangeError);
    expect(() => rows.get(-1)).toThrow(RangeError);
  });

  it('serializes as the array of its plain rows', () => {
    expect(JSON.parse(JSON.stringify(rows))).toEqual(JSON.parse(JSON.stringify([...rows])));
  });
});
