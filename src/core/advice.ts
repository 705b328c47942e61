import { compareStrings } from './compare.ts';
import {
  addRatio,
  compareRatio,
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
  sumDecimals,
} from './money.ts';
import { ownValue } from './records.ts';
import type { InstanceTypeSummary, Summary } from './types.ts';

/**
 * Baseline-vs-burst capacity advice: what the month would have cost under two simpler buying strategies,
 * computed from the hourly allocated-GPU demand of each instance type.
 *
 * Model (stated on the PDF page):
 * - Demand per hour is the mean allocated GPUs of that hour rounded up to whole GPUs (a GPU that is busy
 *   for part of an hour is paid for the whole hour).
 * - "On-Demand for peak": the peak hourly demand, bought On-Demand for every hour of the month.
 * - "Baseline + Spot": an On-Demand baseline equal to the `baselinePercentile` of hourly demand
 *   (nearest-rank) for every hour, and Spot GPU-hours for demand above it, at the catalog Spot price and
 *   with no interruptions, no idle Spot capacity and no instance-size granularity.
 * - "As run": the capacity cost of that instance type in the summary (what the month actually cost),
 *   summed over its clusters.
 * Hourly demand is per instance type, not per cluster; when clusters price a type differently, the
 * prices of its costliest summary entry are used.
 * Money is rounded to the currency's minor unit, half-even.
 */

export type AdviceScenario = 'as-run' | 'on-demand-peak' | 'baseline-burst';

/** Advice for one instance type. Money fields are decimal strings in the billing currency. */
export interface InstanceTypeAdvice {
  instanceType: string;
  gpuModel: string;
  /** Hours of the month (the baseline runs all of them). */
  hours: number;
  /** Sum over hours of demand in whole GPUs. */
  demandGpuHours: number;
  /** Highest hourly demand, whole GPUs. */
  peakGpus: number;
  /** The percentile of hourly demand covered On-Demand, whole GPUs. */
  baselineGpus: number;
  /** GPU-hours of demand above the baseline, bought as Spot. */
  burstGpuHours: number;
  onDemandPricePerGpuHour: string;
  spotPricePerGpuHour: string;
  /** True when the catalog had no Spot price and the On-Demand price was used instead. */
  spotPriceMissing: boolean;
  asRunCost: string;
  onDemandPeakCost: string;
  baselineCost: string;
  burstCost: string;
  baselineBurstCost: string;
  /** The cheapest of the three; ties prefer as-run, then baseline-burst. */
  cheapest: AdviceScenario;
}

/** Capacity advice for the month, per instance type and in total. */
export interface CapacityAdvice {
  baselinePercentile: number;
  hours: number;
  currency: string;
  byInstanceType: InstanceTypeAdvice[];
  totals: {
    asRunCost: string;
    onDemandPeakCost: string;
    baselineBurstCost: string;
    /** asRunCost - baselineBurstCost (positive = the baseline strategy would have been cheaper). */
    savingsVsAsRun: string;
    /** savingsVsAsRun / asRunCost x 100, or null when the month cost nothing. */
    savingsVsAsRunPct: number | null;
  };
}

// Allocated GPUs are means of float samples; 3.0000000004 is 3 GPUs, not 4.
const WHOLE_GPU_TOLERANCE = 1e-6;

/** Mean allocated GPUs of an hour rounded up to the whole GPUs that had to be paid for. */
export function wholeGpus(meanAllocatedGpus: number): number {
  if (!Number.isFinite(meanAllocatedGpus) || meanAllocatedGpus <= 0) return 0;
  return Math.ceil(meanAllocatedGpus - WHOLE_GPU_TOLERANCE);
}

/** Nearest-rank percentile (0..100) of `values`; 0 for an empty list. p=0 gives the minimum, p=100 the maximum. */
export function nearestRankPercentile(values: readonly number[], percentile: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const p = Math.min(100, Math.max(0, percentile));
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1] ?? 0;
}

/** Computes the baseline-vs-burst advice for every instance type with capacity or demand in the month. */
export function capacityAdvice(summary: Summary, baselinePercentile: number): CapacityAdvice {
  const hours = Math.max(0, summary.period.hours);
  const digits = summary.currency.minorDigits;
  const money = (amount: Ratio): string => formatFixed(amount, digits);
  const times = (amount: Ratio, ...factors: number[]): Ratio =>
    factors.reduce((product, f) => multiplyRatio(product, exactNumber(f)), amount);

  const entriesByType = new Map<string, InstanceTypeSummary[]>();
  for (const entry of summary.byInstanceType) {
    const list = entriesByType.get(entry.instanceType) ?? [];
    list.push(entry);
    entriesByType.set(entry.instanceType, list);
  }
  const types = [...new Set([...entriesByType.keys(), ...Object.keys(summary.hourlyAllocatedGpus)])].sort(
    compareStrings,
  );

  const byInstanceType = types.map((instanceType): InstanceTypeAdvice => {
    const entries = entriesByType.get(instanceType) ?? [];
    const series = ownValue(summary.hourlyAllocatedGpus, instanceType) ?? [];
    const demand = Array.from({ length: hours }, (_, h) => wholeGpus(series[h] ?? 0));
    const peakGpus = demand.reduce((max, d) => Math.max(max, d), 0);
    const baselineGpus = nearestRankPercentile(demand, baselinePercentile);
    const demandGpuHours = demand.reduce((sum, d) => sum + d, 0);
    const burstGpuHours = demand.reduce((sum, d) => sum + Math.max(0, d - baselineGpus), 0);

    const onDemandPrice = exactDecimal(entries[0]?.onDemandPricePerGpuHour ?? '0');
    const spotText = entries.find((e) => e.spotPricePerGpuHour !== null)?.spotPricePerGpuHour ?? null;
    const spotPrice = spotText === null ? onDemandPrice : exactDecimal(spotText);

    const asRun = sumDecimals(entries.map((e) => e.cost));
    const onDemandPeak = times(onDemandPrice, peakGpus, hours);
    const baseline = times(onDemandPrice, baselineGpus, hours);
    const burst = times(spotPrice, burstGpuHours);
    const baselineBurst = addRatio(baseline, burst);

    const asRunCost = money(asRun);
    const onDemandPeakCost = money(onDemandPeak);
    const baselineBurstCost = money(baselineBurst);
    return {
      instanceType,
      gpuModel: entries[0]?.gpuModel ?? '',
      hours,
      demandGpuHours,
      peakGpus,
      baselineGpus,
      burstGpuHours,
      onDemandPricePerGpuHour: formatExact(onDemandPrice),
      spotPricePerGpuHour: formatExact(spotPrice),
      spotPriceMissing: spotText === null,
      asRunCost,
      onDemandPeakCost,
      baselineCost: money(baseline),
      burstCost: money(burst),
      baselineBurstCost,
      cheapest: cheapestOf(asRunCost, onDemandPeakCost, baselineBurstCost),
    };
  });

  const sum = (pick: (a: InstanceTypeAdvice) => string): Ratio => sumDecimals(byInstanceType.map(pick));
  const asRun = sum((a) => a.asRunCost);
  const baselineBurst = sum((a) => a.baselineBurstCost);
  const savings = subtractRatio(asRun, baselineBurst);
  return {
    baselinePercentile,
    hours,
    currency: summary.currency.code,
    byInstanceType,
    totals: {
      asRunCost: money(asRun),
      onDemandPeakCost: money(sum((a) => a.onDemandPeakCost)),
      baselineBurstCost: money(baselineBurst),
      savingsVsAsRun: money(savings),
      savingsVsAsRunPct:
        signOf(asRun) === 0
          ? null
          : ratioToDisplayNumber(multiplyRatio(divideRatio(savings, asRun), exactNumber(100))),
    },
  };
}

function cheapestOf(asRun: string, onDemandPeak: string, baselineBurst: string): AdviceScenario {
  const candidates: [AdviceScenario, Ratio][] = [
    ['as-run', exactDecimal(asRun)],
    ['baseline-burst', exactDecimal(baselineBurst)],
    ['on-demand-peak', exactDecimal(onDemandPeak)],
  ];
  let best = candidates[0]!;
  for (const candidate of candidates) if (compareRatio(candidate[1], best[1]) < 0) best = candidate;
  return best[0];
}
