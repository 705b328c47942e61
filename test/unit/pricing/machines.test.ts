import { describe, expect, it } from 'vitest';
import type { ConfigInput } from '../../../src/config/schema.ts';
import { billingPeriod } from '../../../src/core/period.ts';
import { priceMonth } from '../../../src/core/month/priceMonth.ts';
import type { MeteredDay } from '../../../src/core/types.ts';
import {
  CATALOG,
  meteredDay,
  nodeUsage,
  parseConfig,
  podUsage,
  priceOptions,
  wholeDay,
} from '../../support/meteredFixture.ts';

/** The month against the machines the company pays for (#14): on-prem rates, reconciliation, idle by reason. */
const period = billingPeriod('2026-03', 'UTC');
const day1 = period.days[0]!;
const cp = wholeDay(day1);
const DAY_S = 24 * 3600;

function price(days: MeteredDay[], config: ConfigInput) {
  const parsed = parseConfig({ ...config, pricing: { instanceTypes: CATALOG, ...config.pricing } });
  const priced = priceMonth(days, priceOptions(period, parsed));
  return { rows: [...priced.rows], summary: priced.summary };
}

/** An on-prem 8×A100 node (no instance type) with one pod holding 2 GPUs for 6 h. */
function onPremDay() {
  const pod = podUsage(cp, { node: 'dgx-1', requested: 2, heldSeconds: 6 * 3600 });
  const node = nodeUsage(
    cp,
    { node: 'dgx-1', instanceType: 'unknown', gpus: 8, gpuModel: 'A100-SXM4-80GB' },
    [pod],
  );
  return meteredDay(day1, [pod], [node]);
}

describe('on-prem pricing by GPU model (pricing.gpuModels)', () => {
  it('prices a node outside the catalog per GPU-hour by the longest model key it starts with', () => {
    const { rows, summary } = price([onPremDay()], {
      pricing: { gpuModels: { A100: { perGpuHour: 1.25 }, A: { perGpuHour: 9 } } },
    });
    // 8 GPUs × 24 h × 1.25 = 240; the pod held 2 × 6 = 12 GPU-hours = 15.
    expect(rows.map((r) => [r.component, r.effectiveCost, r.unitPrice, r.priceFallback, r.gpuModel])).toEqual(
      [
        ['Direct', '15.00', '1.25', false, 'A100-SXM4-80GB'],
        ['Idle', '225.00', '1.25', false, 'A100-SXM4-80GB'],
      ],
    );
    expect(summary.totals.cost).toBe('240.00');
    expect(summary.warnings.some((w) => w.includes('capacity type'))).toBe(false);
  });

  it('applies an effective-dated GPU-model override from its instant (the day is split there)', () => {
    const config = {
      pricing: {
        gpuModels: { A100: { perGpuHour: 1 } },
        overrides: [
          { gpuModel: 'A100', capacityType: 'on-demand' as const, from: '2026-03-01T12:00:00Z', price: 2 },
        ],
      },
    };
    const halves = [
      { date: day1.date, startMs: day1.startMs, endMs: day1.startMs + 12 * 3600_000 },
      { date: day1.date, startMs: day1.startMs + 12 * 3600_000, endMs: day1.endMs },
    ];
    const nodes = halves.map((h) =>
      nodeUsage(h, { node: 'dgx-1', instanceType: 'unknown', gpus: 8, gpuModel: 'A100' }),
    );
    const { summary } = price([meteredDay(day1, [], nodes)], config);
    // 8 × 12 × 1 + 8 × 12 × 2 = 288.
    expect(summary.totals.cost).toBe('288.00');
  });

  it('bills a cloud and an on-prem node in one run, and pricing.fallback keeps working for the rest', () => {
    const cloud = nodeUsage(cp, { node: 'g5', instanceType: 'g5.12xlarge', gpus: 4 });
    const unknownModel = nodeUsage(cp, { node: 'odd', instanceType: 'unknown', gpus: 1, gpuModel: 'L40S' });
    const day = meteredDay(day1, [], [...onPremDay().nodes, cloud, unknownModel]);
    const { summary, rows } = price([day], {
      pricing: { gpuModels: { A100: { perGpuHour: 1.25 } }, fallback: { onDemandPerGpuHour: 3 } },
    });
    // 240 + 5.672 × 24 = 136.128 + 1 × 24 × 3 = 72.
    expect(summary.totals.cost).toBe('448.13');
    expect(rows.filter((r) => r.priceFallback).map((r) => r.node)).toEqual(['odd']);
  });
});

describe('reconciliation against the machines', () => {
  it('states machine cost = Σ node-hours × price = Σ rows, and splits idle by reason', () => {
    const pod = podUsage(cp, { node: 'p4d', requested: 1 });
    const node = nodeUsage(cp, { node: 'p4d', instanceType: 'p4d.24xlarge', gpus: 8 }, [pod]);
    const D = 7;
    // 8 GPUs all day; 1 held; 4 not advertised (device plugin down), 1/7 MIG unpartitioned, rest unallocated.
    const exactIdle = { notAdvertised: 4 * D, mig: 1, unknown: 0 };
    const unallocated = 7 * D - exactIdle.notAdvertised - exactIdle.mig;
    const ms = DAY_S * 1000;
    node.exact = {
      denominator: D,
      capacity: 8 * D * ms,
      allocated: D * ms,
      idle: 7 * D * ms,
      idleByReason: {
        unallocated: unallocated * ms,
        'mig-unpartitioned': exactIdle.mig * ms,
        'not-advertised': exactIdle.notAdvertised * ms,
        'unknown-resource': 0,
      },
    };
    const { summary } = price([meteredDay(day1, [pod], [node])], {});
    // 32.7726 / 8 = 4.096575 per GPU-hour: machines 786.5424; pod 98.3178; idle 688.2246.
    expect(summary.reconciliation).toEqual({
      capacityCost: '786.54',
      sumOfRows: '786.54',
      difference: '0.00',
      machines: { nodeHours: 24, gpuHours: 192, cost: '786.54', difference: '0.00' },
      allocatedCost: '98.32',
      idle: {
        cost: '688.22',
        byReason: {
          // 280.908 + 14.0454 + 393.2712 = 688.2246: floors 688.21, the cent to the largest remainder.
          unallocated: { gpuHours: 68.571429, cost: '280.91' },
          'mig-unpartitioned': { gpuHours: 3.428571, cost: '14.04' },
          'not-advertised': { gpuHours: 96, cost: '393.27' },
          'unknown-resource': { gpuHours: 0, cost: '0.00' },
        },
      },
    });
  });
});

describe('month warnings', () => {
  it('names each node whose GPUs were guessed or not advertised once a month, with the money at stake', () => {
    const guessedNodes = period.days.slice(0, 3).map((d) => {
      const c = wholeDay(d);
      const guessed = nodeUsage(c, { node: 'x', instanceType: 'unknown', gpus: 2, gpuSource: 'advertised' });
      const dark = nodeUsage(c, { node: 'dark', instanceType: 'g5.12xlarge', gpus: 4, gpuSource: 'catalog' });
      dark.idleByReason = {
        unallocated: 0,
        'mig-unpartitioned': 0,
        'not-advertised': 4 * DAY_S,
        'unknown-resource': 0,
      };
      return meteredDay(d, [], [guessed, dark]);
    });
    for (const day of guessedNodes)
      day.warnings = [
        'node x: physical GPU count unknown, time-slicing cannot be detected; whole GPUs weighted 1',
      ];
    guessedNodes[2]!.warnings.push(
      'pod ml/a (uid u) held a node in 2026-03-03 but has no GPU request data; not charged',
    );
    const { summary } = price(guessedNodes, { pricing: { fallback: { onDemandPerGpuHour: 2 } } });
    expect(summary.warnings.filter((w) => /node (x|dark)|pod ml/.test(w))).toEqual([
      '2026-03-01..2026-03-03 (3 days): node x: physical GPU count unknown, time-slicing cannot be detected; whole GPUs weighted 1',
      '2026-03-03: pod ml/a (uid u) held a node in 2026-03-03 but has no GPU request data; not charged',
      'node dark: 288 GPU-hours (USD 408.38) of its 4 physical GPU(s) were not advertised (device plugin down, or GPUs managed by a DRA driver and not attributed to a pod); idle "not-advertised"',
      'node x: physical GPU count unknown (instance type "unknown" not in the price catalog, no GPU feature discovery nvidia.com/gpu.count label, no metering.physicalGpus rule); billed as the 2 GPU(s) it advertised: 144 GPU-hours, USD 288.00 this month at stake',
    ]);
  });

  it('names the resources of a node whose share is idle "unknown-resource"', () => {
    const node = nodeUsage(cp, {
      node: 'n',
      instanceType: 'g5.12xlarge',
      gpus: 4,
      unknownResources: ['nvidia_com_a10g'],
    });
    node.idleByReason = {
      unallocated: 0,
      'mig-unpartitioned': 0,
      'not-advertised': 0,
      'unknown-resource': 4 * DAY_S,
    };
    const { summary } = price([meteredDay(day1, [], [node])], {});
    expect(summary.warnings).toContain(
      'node n advertises nvidia_com_a10g that metering cannot interpret: 96 GPU-hours (USD 136.13) idle "unknown-resource"',
    );
    expect(summary.reconciliation.idle!.byReason['unknown-resource']).toEqual({
      gpuHours: 96,
      cost: '136.13',
    });
  });
});

describe('month warnings on DRA nodes', () => {
  it('does not warn about the unclaimed GPUs of a node whose pods claim GPUs through DRA', () => {
    const pod = podUsage(cp, { node: 'dra', gpuResource: 'dra_gpu', requested: 2 });
    const node = nodeUsage(cp, { node: 'dra', instanceType: 'g5.12xlarge', gpus: 4 }, [pod]);
    node.idleByReason = {
      unallocated: 0,
      'mig-unpartitioned': 0,
      'not-advertised': 2 * DAY_S,
      'unknown-resource': 0,
    };
    const { summary } = price([meteredDay(day1, [pod], [node])], {});
    expect(summary.warnings.filter((w) => w.startsWith('node dra'))).toEqual([]);
    expect(summary.reconciliation.idle!.byReason['not-advertised']).toEqual({ gpuHours: 48, cost: '68.06' });
  });
});

describe('summary of on-prem nodes', () => {
  it('shows the GPU-model rate as the On-Demand price per GPU-hour of an instance type outside the catalog', () => {
    const { summary } = price([onPremDay()], { pricing: { gpuModels: { A100: { perGpuHour: 1.25 } } } });
    expect(
      summary.byInstanceType.map((t) => [t.instanceType, t.gpuModel, t.onDemandPricePerGpuHour]),
    ).toEqual([['unknown', 'A100-SXM4-80GB', '1.25']]);
  });
});
