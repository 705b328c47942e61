/**
 * Metering across a clock change at midnight: an 8-GPU pod Running for 71 real hours bills 568 GPU-hours,
 * however the zone's days fall. Regression: with days ending at `start.plus({ days: 1 })`, America/Havana
 * billed 576 GPU-h (the hour after the March jump belonged to two days) and Atlantic/Azores 560 (the first
 * of October's two midnight hours belonged to no day).
 */
import { describe, expect, it } from 'vitest';
import { createDemoSource } from '../../../src/adapters/demo/demoSource.ts';
import type { AppContext } from '../../../src/app/context.ts';
import { meterDay } from '../../../src/app/meterDay.ts';
import { parseConfig } from '../../../src/config/loadConfig.ts';
import { dayOf, nextDate } from '../../../src/core/period.ts';
import type { Logger } from '../../../src/ports.ts';
import { DST_POD_GPUS, DST_PRICING, dstMidnightSimulation } from '../../support/dstScenario.ts';

const H = 3_600_000;
const silent: Logger = { info() {}, warn() {}, error() {}, progress() {} };

async function meteredGpuHours(zone: string, runningIso: string, from: string, to: string): Promise<number> {
  const runningMs = Date.parse(runningIso);
  const range = { startMs: dayOf(from, zone).startMs, endMs: dayOf(to, zone).endMs };
  const sim = dstMidnightSimulation(zone, runningMs, 71, range);
  const ctx: AppContext = {
    config: parseConfig({
      timezone: zone,
      source: { kind: 'demo' },
      metering: { scrapeIntervalSeconds: { kubeStateMetrics: 60, dcgm: 30 } },
      pricing: DST_PRICING,
    }),
    source: createDemoSource(sim),
    store: undefined as never,
    metrics: { publish: async () => {} },
    logger: silent,
    clock: { nowMs: () => range.endMs + 30 * 24 * H },
  };
  let gpuSeconds = 0;
  for (let date = from; date <= to; date = nextDate(date)) {
    const { day } = await meterDay(ctx, date);
    gpuSeconds += day.pods.reduce((sum, p) => sum + p.gpuSeconds, 0);
  }
  return gpuSeconds / 3600;
}

describe('metering days around a clock change at midnight', () => {
  it('bills an 8-GPU pod Running 71 real hours across the Havana jump (00:00 -> 01:00) 568 GPU-h', async () => {
    // 2026-03-07 12:00 CST to 2026-03-10 12:00 CDT: 72 local hours, 71 real ones.
    const hours = await meteredGpuHours('America/Havana', '2026-03-07T17:00:00Z', '2026-03-06', '2026-03-11');
    expect(hours).toBe(DST_POD_GPUS * 71);
  });

  it('bills the same pod 568 GPU-h across the Azores fall-back (01:00 -> 00:00)', async () => {
    const hours = await meteredGpuHours(
      'Atlantic/Azores',
      '2026-10-23T12:00:00Z',
      '2026-10-22',
      '2026-10-27',
    );
    expect(hours).toBe(DST_POD_GPUS * 71);
  });
});
