/**
 * Faults from Prometheus, proved through a real fault-injecting proxy in front of a real Prometheus
 * serving two simulated days: every fault the client absorbs must leave the metered day exactly as a
 * clean run meters it, and every fault it cannot absorb must fail with the query and the window named.
 */
import { meterOptionsFor, scrapeIntervalsFor } from '../../src/app/meterDay.ts';
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPrometheusSource } from '../../src/adapters/prometheus/index.ts';
import { parseConfig } from '../../src/config/loadConfig.ts';
import type { ConfigInput } from '../../src/config/schema.ts';
import { gridForDay, meterWindow } from '../../src/core/metering/index.ts';
import { billingPeriod } from '../../src/core/period.ts';
import type { Day, MeteredDay } from '../../src/core/types.ts';
import { ConfigError, PrometheusQueryError } from '../../src/errors.ts';
import type { Logger } from '../../src/ports.ts';
import {
  type Fault,
  type FaultPlan,
  type FaultProxy,
  type PromBody,
  type ProxiedRequest,
  requestSize,
  startFaultProxy,
  TOO_MANY_SAMPLES,
} from '../support/faultProxy.ts';
import {
  type PrometheusHandle,
  prometheusInstallHint,
  startPrometheusWithData,
} from '../support/prometheus.ts';
import {
  CORRUPT_NODE,
  REL_DAYS,
  REL_MONTH,
  REL_SEED,
  REL_ZONE,
  reliabilityConfig,
  writeReliabilityData,
} from '../support/reliabilityData.ts';

const period = billingPeriod(REL_MONTH, REL_ZONE);
const DAY1 = period.days[0]!;
const DAY2 = period.days[1]!;

function memoryLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const log = (level: string) => (message: string, fields?: Record<string, unknown>) =>
    lines.push(`${level} ${message} ${JSON.stringify(fields ?? {})}`);
  return { lines, info: log('info'), warn: log('warn'), error: log('error'), progress: () => {} };
}

/**
 * Meters one day from `url` like the report does; records the retry delays the client asked for. The
 * faults below target the range queries Prometheus evaluates (source.stepEvaluation "prometheus"); the
 * raw reads the adapter evaluates (the default) have their own block at the end.
 */
async function meterFrom(
  url: string,
  day: Day,
  options: { source?: ConfigInput['source']; env?: Record<string, string> } = {},
) {
  const config = parseConfig(
    reliabilityConfig(url, { source: { stepEvaluation: 'prometheus', ...options.source } }),
  );
  const logger = memoryLogger();
  const sleeps: number[] = [];
  const source = createPrometheusSource({
    config,
    logger,
    env: options.env ?? { PROM_TOKEN: 'tok-redirect-secret-123' },
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    random: () => 0.5,
  });
  const scrape = await scrapeIntervalsFor({ config, source }, day);
  const grid = gridForDay(day, scrape, config.metering.maxBridgeSeconds);
  const obs = await source.observe(grid, scrape);
  const metered: MeteredDay = meterWindow(obs, meterOptionsFor(config, day));
  return { metered, stats: source.stats, sleeps, logger, obs };
}

// running.promql's range query, or its raw read of the phase and the requests (running_pods_raw.promql).
const isRunning = (r: ProxiedRequest) =>
  (r.params.query ?? '').includes('kube_pod_status_phase{phase="Running"') ||
  (r.params.query ?? '').startsWith('{__name__=~"kube_pod_status_phase|');
const isNodeCapacity = (r: ProxiedRequest) =>
  r.endpoint === 'query_range' &&
  /^max by \([^)]*\bnode, resource\)/.test((r.params.query ?? '').trimStart());
const isNodeCapacityRaw = (r: ProxiedRequest) =>
  r.endpoint === 'query' && (r.params.query ?? '').startsWith('kube_node_status_capacity{resource=~"nvidia');
const isRunningRaw = (r: ProxiedRequest) =>
  r.endpoint === 'query' && (r.params.query ?? '').startsWith('{__name__=~"kube_pod_status_phase|');
const ADAPTER = { stepEvaluation: 'adapter' } as const;

/**
 * Adds to an answer a series `metric` with a NaN, a +Inf, a −Inf and a negative sample at its first
 * series' first time and the next three minutes (four steps of the grid).
 */
function withCorruptCapacity(metric: Record<string, string>) {
  return (body: PromBody): PromBody => {
    const t = body.data!.result[0]!.values![0]![0];
    body.data!.result.push({
      metric,
      values: [
        [t, 'NaN'],
        [t + 60, '+Inf'],
        [t + 120, '-Inf'],
        [t + 180, '-8'],
      ],
    });
    return body;
  };
}

/** Faults the first `n` requests that match `match`, then forwards everything. */
function firstN(n: number, match: (r: ProxiedRequest) => boolean, fault: Fault): FaultPlan {
  let left = n;
  return (r) => {
    if (left > 0 && match(r)) {
      left--;
      return fault;
    }
    return undefined;
  };
}

describe.skipIf(prometheusInstallHint() !== null)(
  'Prometheus faults through a real fault-injecting proxy',
  () => {
    let dir: string;
    let plain: PrometheusHandle;
    let ha: PrometheusHandle;
    let proxy: FaultProxy;
    let clean: MeteredDay;
    const totals = { faults: 0 };

    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'gcb-reliability-'));
      const files = await writeReliabilityData(dir);
      const key = `reliability-${REL_MONTH}-${REL_ZONE}-${REL_SEED}-d${REL_DAYS}`;
      [plain, ha] = await Promise.all([
        startPrometheusWithData(files.plain, { cacheKey: `${key}-plain` }),
        startPrometheusWithData(files.ha, { cacheKey: `${key}-ha-corrupt-v2` }),
      ]);
      proxy = await startFaultProxy({ target: plain.url });
      clean = (await meterFrom(plain.url, DAY1)).metered;
    }, 300_000);

    afterAll(async () => {
      await proxy?.stop();
      await Promise.all([plain?.stop(), ha?.stop()]);
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    /** Runs `plan` for one metering of day 1 through the proxy; returns the run and the faults it injected. */
    const throughProxy = async (plan: FaultPlan, source: ConfigInput['source'] = {}) => {
      proxy.setPlan(plan);
      const before = proxy.faultsInjected();
      const from = proxy.requests.length;
      try {
        const run = await meterFrom(proxy.url, DAY1, { source });
        return { ...run, faults: proxy.faultsInjected() - before, requests: proxy.requests.slice(from) };
      } finally {
        totals.faults += proxy.faultsInjected() - before;
        proxy.setPlan(() => undefined);
      }
    };

    it('meters a day with real data (the baseline every fault test compares against)', () => {
      expect(clean.pods.length).toBeGreaterThan(5);
      expect(clean.nodes.reduce((s, n) => s + n.capacityGpuSeconds, 0)).toBeGreaterThan(0);
    });

    it('retries a request that outlives the timeout and meters the day exactly', async () => {
      // 2 s, not less: a healthy answer of the real Prometheus must fit in it on a loaded 2-core machine
      // (at 0.5 s a third, unfaulted request timed out while another suite ran).
      const run = await throughProxy(firstN(2, isRunning, { kind: 'delay', ms: 5000 }), {
        timeoutSeconds: 2,
      });
      expect(run.faults).toBe(2);
      expect(run.stats.retries).toBe(2);
      expect(run.logger.lines.filter((l) => l.includes('retrying a Prometheus query')).length).toBe(2);
      expect(run.metered).toEqual(clean);
    });

    it('retries connection resets and meters the day exactly', async () => {
      const run = await throughProxy(firstN(2, () => true, { kind: 'reset' }));
      expect([run.faults, run.stats.retries]).toEqual([2, 2]);
      expect(run.metered).toEqual(clean);
    });

    it('backs off exponentially with jitter on 5xx and honours a longer Retry-After on 429', async () => {
      let n = 0;
      const plan: FaultPlan = (r) => {
        if (!isRunning(r) || n >= 3) return undefined;
        n++;
        return n < 3
          ? { kind: 'status', status: n === 1 ? 503 : 502 }
          : { kind: 'status', status: 429, retryAfter: '7' };
      };
      const run = await throughProxy(plan, { maxRetries: 3 });
      expect(run.faults).toBe(3);
      // base 500 ms doubling, jitter in [exp/2, exp] (random 0.5 -> 3/4 of it); Retry-After 7 s wins over 1.5 s.
      expect(run.sleeps).toEqual([375, 750, 7000]);
      expect(run.metered).toEqual(clean);
    });

    it('retries a malformed and a truncated 200 answer and meters the day exactly', async () => {
      let n = 0;
      const plan: FaultPlan = (r) => {
        if (!isNodeCapacity(r) || n >= 2) return undefined;
        n++;
        return n === 1 ? { kind: 'malformed' } : { kind: 'truncate' };
      };
      const run = await throughProxy(plan);
      expect(run.faults).toBe(2);
      expect(run.stats.retries).toBe(2);
      expect(run.metered).toEqual(clean);
    });

    it('retries a status "error" body that says unavailable, but not one that says the query is bad', async () => {
      const transient = await throughProxy(
        firstN(1, isRunning, {
          kind: 'errorBody',
          status: 503,
          errorType: 'unavailable',
          error: 'TSDB not ready',
        }),
      );
      expect([transient.faults, transient.stats.retries]).toEqual([1, 1]);
      expect(transient.metered).toEqual(clean);

      const error = await throughProxy(
        firstN(1, isRunning, {
          kind: 'errorBody',
          status: 400,
          errorType: 'bad_data',
          error: 'parse error at char 7',
        }),
      ).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PrometheusQueryError);
      const e = error as PrometheusQueryError;
      expect([e.details.query, e.details.status]).toEqual(['running', 400]);
      expect(e.message).toMatch(
        /^query running failed over 2026-01-31T23:01:00\.000Z\.\.2026-02-02T01:00:00\.000Z: HTTP 400 bad_data: parse error/,
      );
    });

    it('logs PromQL warnings with the query name and meters the day exactly', async () => {
      const run = await throughProxy(
        firstN(1, isRunning, { kind: 'warnings', warnings: ['PromQL info: metric might not be a counter'] }),
      );
      expect(run.faults).toBe(1);
      expect(run.logger.lines.filter((l) => l.startsWith('warn Prometheus: PromQL info'))).toEqual([
        'warn Prometheus: PromQL info: metric might not be a counter {"query":"running"}',
      ]);
      expect(run.metered).toEqual(clean);
    });

    it('never bills an answer Prometheus (or Thanos) marks as partial: retried, then the query fails', async () => {
      const partial = {
        kind: 'warnings' as const,
        warnings: ['partial response: store 10.0.0.7:10901 unavailable'],
      };
      const recovered = await throughProxy(firstN(1, isRunning, partial));
      expect([recovered.faults, recovered.stats.retries]).toEqual([1, 1]);
      expect(recovered.metered).toEqual(clean);

      const failed = await throughProxy((r) => (isRunning(r) ? partial : undefined)).catch((e: unknown) => e);
      expect(failed).toBeInstanceOf(PrometheusQueryError);
      expect((failed as Error).message).toMatch(
        /query running failed over .*: the answer is incomplete \(Prometheus warned: partial response/,
      );
    });

    it('splits windows Prometheus refuses as too large and meters the day exactly', async () => {
      const maxPoints = 400;
      const maxRangeSeconds = 7 * 3600;
      const run = await throughProxy((r) => {
        const size = requestSize(r);
        return (size.points ?? 0) > maxPoints || (size.rangeSeconds ?? 0) > maxRangeSeconds
          ? TOO_MANY_SAMPLES
          : undefined;
      });
      expect(run.faults).toBeGreaterThan(10);
      expect(run.stats.splits).toBeGreaterThan(5);
      const answered = run.requests.filter((r) => {
        const size = requestSize(r);
        return (size.points ?? 0) <= maxPoints && (size.rangeSeconds ?? 0) <= maxRangeSeconds;
      });
      expect(answered.length).toBe(run.requests.length - run.faults);
      expect(run.metered).toEqual(clean);
    });

    it('drops NaN, infinite and negative values rewritten into an answer, with a warning per kind', async () => {
      const run = await throughProxy(
        firstN(1, isNodeCapacity, {
          kind: 'rewrite',
          transform: withCorruptCapacity({ node: CORRUPT_NODE, resource: 'nvidia_com_gpu' }),
        }),
      );
      expect(run.faults).toBe(1);
      const warnings = run.logger.lines.filter((l) => l.startsWith('warn Prometheus: dropped'));
      expect(warnings).toEqual([
        'warn Prometheus: dropped 1 NaN sample {"query":"node_capacity"}',
        'warn Prometheus: dropped 2 infinite samples {"query":"node_capacity"}',
        'warn Prometheus: dropped 1 negative sample {"query":"node_capacity"}',
      ]);
      expect(run.metered).toEqual(clean);
    });

    it('fails after maxRetries with the query, the status and the window, and never more requests', async () => {
      const from = proxy.requests.length;
      const run = await throughProxy((r) =>
        isRunning(r) ? { kind: 'status', status: 503 } : undefined,
      ).catch((e: unknown) => e);
      expect(run).toBeInstanceOf(PrometheusQueryError);
      const e = run as PrometheusQueryError;
      expect(e.details).toEqual({
        query: 'running',
        status: 503,
        window: { startMs: Date.parse('2026-01-31T23:01:00Z'), endMs: Date.parse('2026-02-02T01:00:00Z') },
      });
      // maxRetries 2: three attempts in all, then nothing more is sent for that query.
      expect(proxy.requests.slice(from).filter(isRunning).length).toBe(3);
    });

    it('counts each series of an HA pair once (replica labels) and drops NaN/±Inf/negative samples, through the real server', async () => {
      for (const day of [DAY1, DAY2]) {
        const expected = day === DAY1 ? clean : (await meterFrom(plain.url, DAY2)).metered;
        const run = await meterFrom(ha.url, day);
        expect(run.metered).toEqual(expected);
        expect(run.obs.nodeCapacity.some((n) => n.node === CORRUPT_NODE)).toBe(false);
        const dropped = run.logger.lines.filter((l) => l.includes('Prometheus: dropped'));
        expect(dropped.some((l) => /dropped \d+ NaN samples/.test(l))).toBe(true);
        expect(dropped.some((l) => /dropped \d+ infinite samples/.test(l))).toBe(true);
        expect(dropped.some((l) => /dropped \d+ negative samples/.test(l))).toBe(true);
      }
    });

    describe('raw reads evaluated by the adapter (source.stepEvaluation "adapter", the default)', () => {
      it('meters the day exactly as Prometheus evaluates it', async () => {
        expect((await throughProxy(() => undefined, ADAPTER)).metered).toEqual(clean);
      });

      it('retries a malformed and a truncated raw answer and meters the day exactly', async () => {
        let n = 0;
        const run = await throughProxy((r) => {
          if (!isNodeCapacityRaw(r) || n >= 2) return undefined;
          n++;
          return n === 1 ? { kind: 'malformed' } : { kind: 'truncate' };
        }, ADAPTER);
        expect([run.faults, run.stats.retries]).toEqual([2, 2]);
        expect(run.metered).toEqual(clean);
      });

      it('halves raw reads Prometheus refuses as too large and meters the day exactly', async () => {
        const maxRangeSeconds = 3 * 3600;
        const run = await throughProxy(
          (r) =>
            r.endpoint === 'query' &&
            /\}\[\d+ms\]$/.test(r.params.query ?? '') &&
            (requestSize(r).rangeSeconds ?? 0) > maxRangeSeconds
              ? TOO_MANY_SAMPLES
              : undefined,
          ADAPTER,
        );
        expect(run.faults).toBeGreaterThan(5);
        expect(run.metered).toEqual(clean);
      });

      it('names the raw read and its span when it fails, and never bills a partial raw answer', async () => {
        const failed = await throughProxy(
          (r) => (isRunningRaw(r) ? { kind: 'status', status: 503 } : undefined),
          ADAPTER,
        ).catch((e: unknown) => e);
        expect(failed).toBeInstanceOf(PrometheusQueryError);
        const e = failed as PrometheusQueryError;
        // The first span of the window: from the window's first instant (23:00) on — a whole day's first
        // span also holds pod_requests' samples, whose window includes that instant.
        expect(e.details.query).toBe('running_pods_raw');
        expect(e.details.window?.startMs).toBe(Date.parse('2026-01-31T23:00:00.000Z'));
        const partial = await throughProxy(
          (r) =>
            isRunningRaw(r)
              ? { kind: 'warnings', warnings: ['partial response: store 10.0.0.7:10901 unavailable'] }
              : undefined,
          ADAPTER,
        ).catch((e: unknown) => e);
        expect((partial as Error).message).toMatch(
          /query running_pods_raw failed over .*: the answer is incomplete \(Prometheus warned: partial response/,
        );
      });

      it('drops NaN, infinite and negative values of a raw answer as the range answer would, with a warning per kind', async () => {
        const run = await throughProxy(
          firstN(1, isNodeCapacityRaw, {
            kind: 'rewrite',
            transform: withCorruptCapacity({
              __name__: 'kube_node_status_capacity',
              node: CORRUPT_NODE,
              resource: 'nvidia_com_gpu',
            }),
          }),
          ADAPTER,
        );
        expect(run.faults).toBe(1);
        expect(run.logger.lines.filter((l) => l.startsWith('warn Prometheus: dropped'))).toEqual([
          'warn Prometheus: dropped 1 NaN sample {"query":"node_capacity"}',
          'warn Prometheus: dropped 2 infinite samples {"query":"node_capacity"}',
          'warn Prometheus: dropped 1 negative sample {"query":"node_capacity"}',
        ]);
        expect(run.metered).toEqual(clean);
      });
    });

    describe('TLS to Prometheus', () => {
      let tlsDir: string;
      let tlsProxy: FaultProxy;
      let redirectTarget: FaultProxy;
      const openssl = (args: string[]) => execFileSync('openssl', args, { cwd: tlsDir, stdio: 'pipe' });

      beforeAll(async () => {
        tlsDir = await mkdtemp(join(tmpdir(), 'gcb-tls-'));
        for (const ca of ['ca', 'other-ca']) {
          openssl([
            'req',
            '-x509',
            '-newkey',
            'rsa:2048',
            '-nodes',
            '-keyout',
            `${ca}.key`,
            '-out',
            `${ca}.pem`,
            '-days',
            '2',
            '-subj',
            `/CN=${ca} test`,
          ]);
        }
        openssl([
          'req',
          '-newkey',
          'rsa:2048',
          '-nodes',
          '-keyout',
          'server.key',
          '-out',
          'server.csr',
          '-subj',
          '/CN=127.0.0.1',
        ]);
        await writeFile(join(tlsDir, 'san.ext'), 'subjectAltName=IP:127.0.0.1\n');
        openssl([
          'x509',
          '-req',
          '-in',
          'server.csr',
          '-CA',
          'ca.pem',
          '-CAkey',
          'ca.key',
          '-CAcreateserial',
          '-out',
          'server.pem',
          '-days',
          '2',
          '-extfile',
          'san.ext',
        ]);
        const { readFile } = await import('node:fs/promises');
        tlsProxy = await startFaultProxy({
          target: plain.url,
          tls: {
            key: await readFile(join(tlsDir, 'server.key'), 'utf8'),
            cert: await readFile(join(tlsDir, 'server.pem'), 'utf8'),
          },
        });
        redirectTarget = await startFaultProxy({ target: plain.url });
      }, 60_000);

      afterAll(async () => {
        await Promise.all([tlsProxy?.stop(), redirectTarget?.stop()]);
        if (tlsDir) await rm(tlsDir, { recursive: true, force: true });
      });

      it('meters the day exactly over TLS with the custom CA of source.caFile', async () => {
        const run = await meterFrom(tlsProxy.url, DAY1, { source: { caFile: join(tlsDir, 'ca.pem') } });
        expect(run.metered).toEqual(clean);
      });

      it('refuses a server whose certificate no trusted CA signed: no request reaches it, no retry', async () => {
        const before = tlsProxy.requests.length;
        const error = await meterFrom(tlsProxy.url, DAY1, { source: { maxRetries: 2 } }).catch(
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(PrometheusQueryError);
        expect((error as Error).message).toMatch(
          /: TLS verification failed: .*(SELF_SIGNED|UNABLE_TO_VERIFY).*; set source.caFile to trust a private CA$/,
        );
        expect(tlsProxy.requests.length).toBe(before);
      });

      it('keeps verifying with a wrong CA even when NODE_TLS_REJECT_UNAUTHORIZED=0', async () => {
        const previous = process.env.NODE_TLS_REJECT_UNAUTHORIZED;
        process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';
        try {
          const error = await meterFrom(tlsProxy.url, DAY1, {
            source: { caFile: join(tlsDir, 'other-ca.pem'), maxRetries: 0 },
          }).catch((e: unknown) => e);
          expect(error).toBeInstanceOf(PrometheusQueryError);
          expect((error as Error).message).toMatch(/certificate|SELF_SIGNED|UNABLE_TO_VERIFY/i);
        } finally {
          if (previous === undefined) delete process.env.NODE_TLS_REJECT_UNAUTHORIZED;
          else process.env.NODE_TLS_REJECT_UNAUTHORIZED = previous;
        }
      });

      it('refuses to send in clear when source.caFile is set but the URL is http://', async () => {
        const before = proxy.requests.length;
        const error = await meterFrom(proxy.url, DAY1, { source: { caFile: join(tlsDir, 'ca.pem') } }).catch(
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(ConfigError);
        expect((error as Error).message).toBe(
          'source.caFile is set but source.url is not https://; refusing to send in clear',
        );
        expect(proxy.requests.length).toBe(before);
      });

      it('never follows a redirect (no downgrade, no credentials sent elsewhere)', async () => {
        const before = redirectTarget.requests.length;
        const error = await throughProxy(
          firstN(1, () => true, {
            kind: 'redirect',
            location: `${redirectTarget.url}/api/v1/query?token=abc`,
          }),
          { auth: { kind: 'bearer', tokenEnv: 'PROM_TOKEN' } },
        ).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(PrometheusQueryError);
        expect((error as Error).message).toMatch(
          new RegExp(`HTTP 307 redirect to ${redirectTarget.url}/api/v1/query refused`),
        );
        expect(redirectTarget.requests.length).toBe(before);
      });
    });

    it('injected a known number of faults in all', () => {
      expect(totals.faults).toBeGreaterThan(30);
      console.info(`reliability: ${totals.faults} Prometheus faults injected through the proxy`);
    });
  },
);
