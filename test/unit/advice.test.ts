import { describe, expect, it } from 'vitest';
import { capacityAdvice, nearestRankPercentile, wholeGpus } from '../../src/core/advice.ts';
import type { InstanceTypeSummary, Summary } from '../../src/core/types.ts';
import { realisticSummary, zeroUsageSummary } from '../support/summaryFixture.ts';

function instanceType(overrides: Partial<InstanceTypeSummary>): InstanceTypeSummary {
  return {
    instanceType: 'g5.12xlarge',
    gpuModel: 'A10G',
    capacityType: 'on-demand',
    capacityGpuHours: 16,
    allocatedGpuHours: 10.5,
    idleGpuHours: 5.5,
    cost: '30.00',
    onDemandPricePerGpuHour: '2.00',
    spotPricePerGpuHour: '0.50',
    ...overrides,
  };
}

/** A 4-hour "month" whose demand is easy to follow by hand. */
function fourHourMonth(extra: Partial<Summary> = {}): Summary {
  const base = zeroUsageSummary();
  return {
    ...base,
    period: { ...base.period, hours: 4 },
    byInstanceType: [instanceType({})],
    // Whole GPUs per hour: 1, 3, 4, 3 (2.5 rounds up; 3.0000000001 is float noise for 3).
    hourlyAllocatedGpus: { 'g5.12xlarge': [1, 2.5, 4, 3.0000000001] },
    ...extra,
  };
}

describe('capacityAdvice', () => {
  it('prices the month as run, On-Demand for peak, and a p50 On-Demand baseline with Spot above it', () => {
    const advice = capacityAdvice(fourHourMonth(), 50);

    const g5 = advice.byInstanceType[0]!;
    expect(g5).toMatchObject({
      instanceType: 'g5.12xlarge',
      hours: 4,
      demandGpuHours: 11,
      peakGpus: 4,
      baselineGpus: 3,
      burstGpuHours: 1,
      asRunCost: '30.00',
      onDemandPeakCost: '32.00', // 4 GPUs x 4 h x 2.00
      baselineCost: '24.00', // 3 GPUs x 4 h x 2.00
      burstCost: '0.50', // 1 GPU-hour x 0.50
      baselineBurstCost: '24.50',
      cheapest: 'baseline-burst',
      spotPriceMissing: false,
    });
    expect(advice.totals).toEqual({
      asRunCost: '30.00',
      onDemandPeakCost: '32.00',
      baselineBurstCost: '24.50',
      savingsVsAsRun: '5.50',
      savingsVsAsRunPct: (5.5 / 30) * 100,
    });
  });

  it('sizes the baseline at the peak for p100, so nothing bursts to Spot', () => {
    const g5 = capacityAdvice(fourHourMonth(), 100).byInstanceType[0]!;

    expect([g5.baselineGpus, g5.burstGpuHours, g5.baselineBurstCost]).toEqual([4, 0, '32.00']);
  });

  it('sizes the baseline at the minimum hourly demand for p0 and bursts the rest', () => {
    const g5 = capacityAdvice(fourHourMonth(), 0).byInstanceType[0]!;

    // baseline 1 GPU: 1 x 4 h x 2.00 = 8.00; Spot (0 + 2 + 3 + 2) = 7 GPU-h x 0.50 = 3.50
    expect([g5.baselineGpus, g5.burstGpuHours, g5.baselineBurstCost]).toEqual([1, 7, '11.50']);
  });

  it('uses the On-Demand price for Spot and flags it when the catalog has no Spot price', () => {
    const summary = fourHourMonth({ byInstanceType: [instanceType({ spotPricePerGpuHour: null })] });

    const g5 = capacityAdvice(summary, 50).byInstanceType[0]!;

    expect(g5.spotPriceMissing).toBe(true);
    expect(g5.spotPricePerGpuHour).toBe('2');
    expect(g5.baselineBurstCost).toBe('26.00');
  });

  it('adds the as-run cost of every capacity type of one instance type', () => {
    const summary = fourHourMonth({
      byInstanceType: [instanceType({ cost: '30.00' }), instanceType({ capacityType: 'spot', cost: '7.25' })],
    });

    expect(capacityAdvice(summary, 50).byInstanceType[0]!.asRunCost).toBe('37.25');
  });

  it('lists an instance type that had capacity but no demand, with zero scenario costs', () => {
    const summary = fourHourMonth({
      byInstanceType: [instanceType({}), instanceType({ instanceType: 'p4d.24xlarge', cost: '100.00' })],
    });

    const p4d = capacityAdvice(summary, 50).byInstanceType.find((a) => a.instanceType === 'p4d.24xlarge')!;

    expect([p4d.peakGpus, p4d.onDemandPeakCost, p4d.baselineBurstCost, p4d.asRunCost]).toEqual([
      0,
      '0.00',
      '0.00',
      '100.00',
    ]);
  });

  it('rounds money to the currency minor unit (KRW has none)', () => {
    const base = fourHourMonth();
    const summary: Summary = {
      ...base,
      currency: { code: 'KRW', minorDigits: 0, conversion: { from: 'USD', rate: '1385.20' } },
      byInstanceType: [
        instanceType({ cost: '41556', onDemandPricePerGpuHour: '2770.4', spotPricePerGpuHour: '692.6' }),
      ],
    };

    const g5 = capacityAdvice(summary, 50).byInstanceType[0]!;

    // 3 x 4 x 2770.4 = 33244.8 plus 1 x 692.6 = 33937.4 -> 33937
    expect(g5.baselineBurstCost).toBe('33937');
  });

  describe('edge cases', () => {
    it('returns zero totals and no percentage for a month with zero usage', () => {
      const advice = capacityAdvice(zeroUsageSummary(), 50);

      expect(advice.byInstanceType).toEqual([]);
      expect(advice.totals).toEqual({
        asRunCost: '0.00',
        onDemandPeakCost: '0.00',
        baselineBurstCost: '0.00',
        savingsVsAsRun: '0.00',
        savingsVsAsRunPct: null,
      });
    });

    it('treats missing hours of a short series as zero demand', () => {
      const summary = fourHourMonth({ hourlyAllocatedGpus: { 'g5.12xlarge': [2, 2] } });

      const g5 = capacityAdvice(summary, 50).byInstanceType[0]!;

      // demand 2, 2, 0, 0: p50 nearest rank of [0, 0, 2, 2] is 0, so all 4 GPU-hours burst
      expect([g5.demandGpuHours, g5.baselineGpus, g5.burstGpuHours]).toEqual([4, 0, 4]);
    });

    it('gives the realistic fixture month a cheaper baseline-plus-Spot total than running it as it ran', () => {
      const advice = capacityAdvice(realisticSummary(), 50);

      expect(Number(advice.totals.baselineBurstCost)).toBeLessThan(Number(advice.totals.asRunCost));
      expect(advice.byInstanceType.map((a) => a.instanceType)).toEqual([
        'g4dn.xlarge',
        'g5.12xlarge',
        'p4d.24xlarge',
        'p5.48xlarge',
      ]);
    });
  });
});

describe('wholeGpus', () => {
  it('rounds a partial GPU up and ignores float noise above a whole number', () => {
    expect([wholeGpus(0), wholeGpus(0.2), wholeGpus(2), wholeGpus(2.0000000001), wholeGpus(2.01)]).toEqual([
      0, 1, 2, 2, 3,
    ]);
  });

  it('returns zero for NaN and negative samples', () => {
    expect([wholeGpus(Number.NaN), wholeGpus(-3)]).toEqual([0, 0]);
  });
});

describe('nearestRankPercentile', () => {
  it('returns the value at rank ceil(p/100 x n) of the sorted list', () => {
    const values = [15, 20, 35, 40, 50];

    expect([5, 30, 40, 50, 100].map((p) => nearestRankPercentile(values, p))).toEqual([15, 20, 20, 35, 50]);
  });

  it('returns zero for an empty list', () => {
    expect(nearestRankPercentile([], 50)).toBe(0);
  });
});
