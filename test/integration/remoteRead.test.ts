/**
 * `source.readApi: remote` against a real Prometheus 2.42: the raw samples read through the remote-read
 * API (streamed XOR chunks, src/adapters/prometheus/remoteRead.ts) are the samples the query API returns,
 * series for series and bit for bit, and a day metered from them — whole and in 3 shards, for the GPU
 * shapes real exporters produce and for an HA pair with NaN, ±Inf and negative samples — is the day
 * metered through the query API. A Prometheus with external labels, which its remote-read handler adds to
 * every series, is read through the query API instead, with one warning.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrometheusClient } from '../../src/adapters/prometheus/client.ts';
import { createAuthorizer } from '../../src/adapters/prometheus/auth.ts';
import type { HttpFetch } from '../../src/adapters/prometheus/httpFetch.ts';
import { createPrometheusSource } from '../../src/adapters/prometheus/index.ts';
import { meterOptionsFor, scrapeIntervalsFor } from '../../src/app/meterOptions.ts';
import { parseConfig } from '../../src/config/loadConfig.ts';
import type { Config } from '../../src/config/schema.ts';
import { gridForDay, mergeShardDays, meterWindow } from '../../src/core/metering/index.ts';
import { billingPeriod } from '../../src/core/period.ts';
import type { Day, MeteredDay } from '../../src/core/types.ts';
import type { Logger } from '../../src/ports.ts';
import {
  type PrometheusHandle,
  prometheusInstallHint,
  startPrometheusWithData,
} from '../support/prometheus.ts';
import {
  REAL_SHAPES_MONTH,
  REAL_SHAPES_ZONE,
  realShapesConfig,
  startRealShapesPrometheus,
} from '../support/realShapes.ts';
import {
  REL_DAYS,
  REL_MONTH,
  REL_SEED,
  REL_ZONE,
  reliabilityConfig,
  writeReliabilityData,
} from '../support/reliabilityData.ts';

const hint = prometheusInstallHint();
const MONTH = REAL_SHAPES_MONTH;
const ZONE = REAL_SHAPES_ZONE;

function recordingLogger(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  return { warnings, info() {}, warn: (m: string) => void warnings.push(m), error() {}, progress() {} };
}

/** Everything but the order of the warnings (a merged day lists them shard by shard). */
function comparable(day: MeteredDay) {
  const { warnings, ...rest } = day;
  return { ...rest, warnings: [...warnings].sort() };
}

/** `day` metered whole (or in `shards`, merged) with `readApi`; the source's stats and warnings. */
async function meter(config: Config, day: Day, readApi: 'query' | 'remote', shards = 1) {
  const logger = recordingLogger();
  const withApi = { ...config, source: { ...config.source, readApi } };
  const source = createPrometheusSource({ config: withApi, logger });
  const scrape = await scrapeIntervalsFor({ config: withApi, source }, day);
  const grid = gridForDay(day, scrape, config.metering.maxBridgeSeconds);
  const options = meterOptionsFor(withApi, day);
  let metered: MeteredDay;
  if (shards === 1) metered = meterWindow(await source.observe(grid, scrape), options);
  else {
    const parts: MeteredDay[] = [];
    for (let index = 0; index < shards; index++) {
      const shard = { index, count: shards };
      parts.push(meterWindow(await source.observe(grid, scrape, shard), { ...options, shard }));
    }
    metered = mergeShardDays(parts);
  }
  return { metered, stats: { ...source.stats }, warnings: logger.warnings };
}

function client(url: string, readApi: 'query' | 'remote', logger: Logger = recordingLogger()) {
  return new PrometheusClient({
    url,
    fetch: globalThis.fetch as unknown as HttpFetch,
    authorize: createAuthorizer({ kind: 'none' }, {}),
    headers: { 'accept-encoding': 'identity' },
    timeoutMs: 30_000,
    maxRetries: 0,
    logger,
    readApi,
  });
}

describe.skipIf(hint !== null)('source.readApi "remote" against a real Prometheus', () => {
  let dir: string;
  let prometheus: PrometheusHandle;
  let config: Config;
  let day: Day;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gcb-remote-read-'));
    prometheus = await startRealShapesPrometheus(dir);
    config = realShapesConfig(prometheus.url, dir);
    day = billingPeriod(MONTH, ZONE).days[0]!;
  }, 300_000);

  afterAll(async () => {
    await prometheus?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("answers every raw selector with the query API's series and samples, both range ends included", async () => {
    const query = client(prometheus.url, 'query');
    const remote = client(prometheus.url, 'remote');
    // A time at which samples exist, and a range that starts exactly at a sample too: kube-state-metrics
    // is scraped every 60 s, so both ends fall on samples of most series.
    const phase = await query.queryInstant(
      't',
      'kube_pod_status_phase{phase="Running"}[1d]',
      day.endMs,
      undefined,
      true,
    );
    const t = phase.flatMap((s) => [...s.points].map(([ts]) => ts)).sort((a, b) => b - a)[0]!;
    for (const selector of [
      `kube_pod_status_phase{phase="Running"}[${3_600_000}ms]`,
      `{__name__=~"kube_node_info|kube_node_labels", node!=""}[${7_200_000}ms]`,
      `{__name__="DCGM_FI_PROF_GR_ENGINE_ACTIVE", exported_pod="", pod!=""}[${5_400_000}ms]`,
      `{__name__="DCGM_FI_DEV_GPU_UTIL"}[${86_400_000}ms]`,
      `kube_node_status_capacity{resource=~"nvidia_com_.+", node=~"${'a|b|'.repeat(20_000)}.*"}[${3_600_000}ms]`,
    ]) {
      const viaQuery = await query.queryInstant('q', selector, t, undefined, true);
      const viaRemote = await remote.queryInstant('q', selector, t, undefined, true);
      const key = (s: (typeof viaQuery)[number]) => JSON.stringify(s.metric);
      const sorted = (xs: typeof viaQuery) =>
        [...xs]
          .sort((a, b) => (key(a) < key(b) ? -1 : 1))
          .map((s) => ({ metric: s.metric, points: s.points.toJSON() }));
      expect(viaQuery.length, selector).toBeGreaterThan(0);
      expect(sorted(viaRemote), selector).toEqual(sorted(viaQuery));
      const points = viaQuery.flatMap((s) => s.points.toJSON().map(([ts]) => ts));
      expect(Math.max(...points), selector).toBeLessThanOrEqual(t);
    }
    // The range's first instant is inside it (Prometheus 2's closed range), and so is its last.
    const edge = `kube_pod_status_phase{phase="Running"}[${3_600_000}ms]`;
    const edges = (await query.queryInstant('e', edge, t, undefined, true)).flatMap((s) =>
      s.points.toJSON().map(([ts]) => ts),
    );
    expect(edges).toContain(t);
    expect(edges).toContain(t - 3_600_000);
    expect(remote.stats.remoteReads).toBe(5);
  });

  it(
    'meters the day whole and in 3 shards exactly as through the query API',
    { timeout: 120_000 },
    async () => {
      const viaQuery = await meter(config, day, 'query');
      const viaRemote = await meter(config, day, 'remote');
      const inShards = await meter(config, day, 'remote', 3);
      expect(viaQuery.metered.pods.length).toBeGreaterThan(5);
      expect(viaRemote.stats.remoteReads).toBeGreaterThan(5);
      expect(viaRemote.warnings.filter((w) => w.includes('readApi'))).toEqual([]);
      expect(viaRemote.metered).toEqual(viaQuery.metered);
      expect(inShards.stats.remoteReads).toBeGreaterThan(viaRemote.stats.remoteReads);
      expect(comparable(inShards.metered)).toEqual(comparable(viaQuery.metered));
    },
  );

  it(
    'reads through the query API, with one warning, when Prometheus has external labels',
    { timeout: 120_000 },
    async () => {
      const labelled = await startRealShapesPrometheus(dir, {
        externalLabels: { cluster: 'eu-1', replica: 'a' },
      });
      try {
        const withExternal = { ...config, source: { ...config.source, url: labelled.url } };
        const viaRemote = await meter(withExternal, day, 'remote');
        const viaQuery = await meter(withExternal, day, 'query');
        expect(viaRemote.stats.remoteReads).toBe(0);
        expect(viaRemote.warnings.filter((w) => w.includes('readApi'))).toEqual([
          'source.readApi "remote": Prometheus has external labels (cluster, replica), which remote read adds to every series; raw samples are read through the query API for the rest of this run',
        ]);
        expect(viaRemote.metered).toEqual(viaQuery.metered);
      } finally {
        await labelled.stop();
      }
    },
  );

  it(
    'meters an HA pair with NaN, ±Inf and negative samples exactly as through the query API',
    { timeout: 180_000 },
    async () => {
      const files = await writeReliabilityData(join(dir, 'rel'));
      const key = `reliability-${REL_MONTH}-${REL_ZONE}-${REL_SEED}-d${REL_DAYS}`;
      const ha = await startPrometheusWithData(files.ha, { cacheKey: `${key}-ha-corrupt-v2` });
      try {
        const relConfig = parseConfig(reliabilityConfig(ha.url));
        const relDay = billingPeriod(REL_MONTH, REL_ZONE).days[0]!;
        const viaQuery = await meter(relConfig, relDay, 'query');
        const viaRemote = await meter(relConfig, relDay, 'remote');
        expect(viaRemote.stats.remoteReads).toBeGreaterThan(5);
        expect(viaQuery.metered.pods.length).toBeGreaterThan(0);
        expect(viaRemote.metered).toEqual(viaQuery.metered);
      } finally {
        await ha.stop();
      }
    },
  );
});
