/**
 * The real GPU shapes' day (src/sim preset "real-shapes": MIG with shared and +me profiles, unpartitioned
 * MIG, on-prem with GFD labels, DRA, GPU sidecars, time-slicing, GKE/AKS Spot) as the integration tests
 * read it from a real Prometheus: simulated and backfilled once under one cache key
 * (test/integration/realShapes.test.ts uses the same), and the config that meters it.
 */
import { join } from 'node:path';
import { parseConfig } from '../../src/config/loadConfig.ts';
import type { Config } from '../../src/config/schema.ts';
import { REAL_SHAPES_PRICING, simulate, writeOpenMetrics } from '../../src/sim/index.ts';
import { type PrometheusHandle, startPrometheusWithData } from './prometheus.ts';

export const REAL_SHAPES_MONTH = '2026-03';
export const REAL_SHAPES_ZONE = 'Asia/Seoul';
export const REAL_SHAPES_CACHE_KEY = `real-shapes-${REAL_SHAPES_MONTH}-${REAL_SHAPES_ZONE.replace('/', '_')}-42-v2`;

/** A Prometheus serving the real-shapes day (its OpenMetrics written under `dir` when not cached). */
export async function startRealShapesPrometheus(
  dir: string,
  options: { externalLabels?: Record<string, string> } = {},
): Promise<PrometheusHandle> {
  const sim = simulate({
    preset: 'real-shapes',
    month: REAL_SHAPES_MONTH,
    zone: REAL_SHAPES_ZONE,
    seed: 42,
    days: 1,
  });
  const files = await writeOpenMetrics(sim, join(dir, 'om'));
  return startPrometheusWithData(files, { cacheKey: REAL_SHAPES_CACHE_KEY, ...options });
}

/** The config that meters it from `url` (KSM 60 s, DCGM 30 s, the preset's prices, no coverage floor). */
export function realShapesConfig(url: string, dir: string): Config {
  return parseConfig({
    timezone: REAL_SHAPES_ZONE,
    source: { url, maxRetries: 1 },
    metering: { scrapeIntervalSeconds: { kubeStateMetrics: 60, dcgm: 30 } },
    pricing: REAL_SHAPES_PRICING,
    // The preset lives in the month's first day: the other days have no samples.
    guard: { minCoveragePct: 0 },
    output: { location: join(dir, 'unused') },
  });
}
