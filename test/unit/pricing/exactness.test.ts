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
const day = period.days[0]!;
const cp = wholeDay(day);

function price(
  pods: ReturnType<typeof podUsage>[],
  nodes: ReturnType<typeof nodeUsage>[],
  extraTypes = {},
  allocation = {},
) {
  const config = parseConfig({ pricing: { instanceTypes: { ...CATALOG, ...extraTypes } }, allocation });
  const priced = priceMonth([meteredDay(day, pods, nodes)], priceOptions(period, config));
  return { rows: [...priced.rows], summary: priced.summary };
}

/**
 * Regression tests for exact money: amounts that floats, or decimals carried to a fixed number of
 * significant digits, get wrong in the last places. Expected values are worked out by hand (and with
 * Python's fractions.Fraction); fine units are 10^-15 cent, so USD exact strings have up to 17 decimals.
 */
describe('exact money (regressions)', () => {
  it('prices one second of a 3/7 MIG slice of a 32.7726/8 A100 exactly', () => {
    // 32.7726 / 8 / 3600 × 3/7 × 1 s = 7803 / 16,000,000 = 0.0004876875 (the 7 cancels: 327726 = 7 × 46818).
    // The node: 8 GPUs × 86400 s × 32.7726 / 8 / 3600 = 786.5424; idle = 786.5424 − 0.0004876875.
    const pod = podUsage(cp, {
      node: 'p4d',
      gpuResource: 'nvidia_com_mig_3g_20gb',
      weight: { numerator: 3, denominator: 7 },
      heldSeconds: 1,
    });
    const node = nodeUsage(cp, { node: 'p4d', instanceType: 'p4d.24xlarge', gpus: 8 }, [pod]);
    const { rows, summary } = price([pod], [node]);
    expect(rows.map((r) => [r.component, r.effectiveCostExact, r.effectiveCost])).toEqual([
      ['Direct', '0.0004876875', '0.00'],
      ['Idle', '786.5419123125', '786.54'],
    ]);
    expect(summary.totals.cost).toBe('786.54');
  });

  it('floors a repeating amount at 10^-17 USD and keeps the node within one fine unit per row', () => {
    // x3.triple: 1 / 3 GPUs = 1/3 per GPU-hour; 3/7 GPU for 1 s = 1/25200 = 0.0000396825396825396825…
    // Idle = 24 − 1/25200 = 23.99996031746031746031…; both floored at 17 decimals (one fine unit short).
    const pod = podUsage(cp, {
      node: 'l4',
      gpuResource: 'nvidia_com_mig_3g_20gb',
      weight: { numerator: 3, denominator: 7 },
      heldSeconds: 1,
    });
    const node = nodeUsage(cp, { node: 'l4', instanceType: 'x3.triple', gpus: 3 }, [pod]);
    const { rows, summary } = price([pod], [node]);
    expect(rows.map((r) => [r.effectiveCostExact, r.effectiveCost])).toEqual([
      ['0.00003968253968253', '0.00'],
      ['23.99996031746031746', '24.00'],
    ]);
    expect(summary.reconciliation).toEqual({
      capacityCost: '24.00',
      sumOfRows: '24.00',
      difference: '0.00',
      machines: { nodeHours: 24, gpuHours: 72, cost: '24.00', difference: '0.00' },
      allocatedCost: '0.00',
      idle: {
        cost: '24.00',
        byReason: {
          unallocated: { gpuHours: 71.999881, cost: '24.00' },
          'mig-unpartitioned': { gpuHours: 0, cost: '0.00' },
          'not-advertised': { gpuHours: 0, cost: '0.00' },
          'unknown-resource': { gpuHours: 0, cost: '0.00' },
        },
      },
    });
  });

  it('splits held cost by a decimal utilization exactly under the utilization policy', () => {
    // 0.0004876875 × 0.1 and × 0.9.
    const pod = podUsage(cp, {
      node: 'p4d',
      weight: { numerator: 3, denominator: 7 },
      heldSeconds: 1,
      utilization: 0.1,
    });
    const node = nodeUsage(cp, { node: 'p4d', instanceType: 'p4d.24xlarge', gpus: 8 }, [pod]);
    const { rows } = price([pod], [node], {}, { utilization: { mode: 'utilization' } });
    expect(rows.filter((r) => r.pod !== '').map((r) => [r.component, r.effectiveCostExact])).toEqual([
      ['Direct', '0.00004876875'],
      ['UnusedAllocation', '0.00043891875'],
    ]);
  });

  it('gives the leftover cent to the earlier of two rows whose exact amounts are equal', () => {
    // Two 1-GPU nodes at 0.013/h present 3600 s, each with 6/7 GPU-s held: node-a by one 3/7 pod for
    // 2 s, node-b by two 1/7 pods for 3 s each. Idle = 0.013 − 0.013 × 6/7 / 3600 = 0.01299690476… on
    // both. Total 0.026 → 3 cents; platform's exact 2.599… cents gets all 3, and its two equal Idle rows
    // (1.2997 cents each) share the leftover cent by row order. Flooring node-b's pods separately
    // (1.547619047619… + 1.547619047619… fine units) must not make the idle amounts differ.
    const tiny = { 'tiny.gpu': { gpus: 1, gpuModel: 'T4', onDemand: 0.013 } };
    const mig = (name: string, nodeName: string, numerator: number, heldSeconds: number) =>
      podUsage(cp, {
        pod: { pod: name, uid: name },
        node: nodeName,
        gpuResource: 'nvidia_com_mig_1g_5gb',
        weight: { numerator, denominator: 7 },
        heldSeconds,
      });
    const pods = [mig('a', 'node-a', 3, 2), mig('b1', 'node-b', 1, 3), mig('b2', 'node-b', 1, 3)];
    const nodes = ['node-a', 'node-b'].map((name) =>
      nodeUsage(cp, { node: name, instanceType: 'tiny.gpu', gpus: 1, capacityGpuSeconds: 3600 }, pods),
    );
    const { rows, summary } = price(pods, nodes, tiny);
    const idle = rows.filter((r) => r.component === 'Idle');
    expect(idle.map((r) => [r.node, r.effectiveCostExact, r.effectiveCost])).toEqual([
      ['node-a', '0.01299690476190476', '0.02'],
      ['node-b', '0.01299690476190476', '0.01'],
    ]);
    expect(summary.totals.cost).toBe('0.03');
  });
});
