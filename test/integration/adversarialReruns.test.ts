/**
 * The adversarial reruns of issue #13, through the real CLI (and the Lambda handlers) against a real
 * Prometheus and a real S3 server (s3rver): a backfill against a source that lost the data (same URL,
 * after a config change, a new URL), a zone change, a slow report racing a backfill, today or a future
 * day, a day metered before its data was complete, and a zone whose clocks change at midnight. None of
 * them can change a published month without --force: every byte under the prefix stays as it was.
 *
 * Data: a small cluster (a p4d.24xlarge and a g5.12xlarge Spot node, three teams' jobs every day) over
 * October 2026 in Asia/Seoul, and one 8-GPU pod Running 71 real hours across America/Havana's jump at
 * midnight on 2026-03-08; both written as the exporters' series and backfilled with promtool.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { dailyMeterHandler, backfillDayHandler } from '../../functions/lib/meterHandlers.ts';
import { monthlyReportHandler } from '../../functions/lib/reportHandlers.ts';
import { createPrometheusSource } from '../../src/adapters/prometheus/index.ts';
import { createS3Store } from '../../src/adapters/s3/s3Store.ts';
import { createLambdaContext } from '../../functions/lib/lambdaContext.ts';
import { createMemoryLogger } from '../../src/adapters/log/logger.ts';
import type { ConfigInput } from '../../src/config/schema.ts';
import { dayOf } from '../../src/core/period.ts';
import type { Summary } from '../../src/core/types.ts';
import type { BlobStore } from '../../src/ports.ts';
import { writeOpenMetrics } from '../../src/sim/index.ts';
import { runCliCaptured } from '../support/cli.ts';
import { readCsvObjects } from '../support/csv.ts';
import { DST_PRICING, dstMidnightSimulation } from '../support/dstScenario.ts';
import { type FaultProxy, type PromBody, startFaultProxy } from '../support/faultProxy.ts';
import {
  hasCachedTsdb,
  type PrometheusHandle,
  prometheusInstallHint,
  startPrometheusWithData,
} from '../support/prometheus.ts';
import { type S3TestServer, startS3Server } from '../support/s3.ts';
import { startS3Gate } from '../support/s3Gate.ts';
import { smallClusterConfig, smallClusterSimulation } from '../support/smallCluster.ts';

const MONTH = '2026-10';
const ZONE = 'Asia/Seoul';
const NOW = Date.parse('2026-11-22T12:00:00Z');
const DST_MONTH = '2026-03';
const DST_ZONE = 'America/Havana';
const H = 3_600_000;

describe.skipIf(prometheusInstallHint() !== null)(
  'adversarial reruns cannot change a published month without --force (real CLI, Prometheus and S3)',
  () => {
    let dir: string;
    let prometheus: PrometheusHandle;
    let dstPrometheus: PrometheusHandle;
    let emptyPrometheus: PrometheusHandle;
    let proxy: FaultProxy;
    let s3: S3TestServer;
    let store: BlobStore;
    const published = { total: '', versionId: '' };
    /** The catalog after a backfill corrected a late Spot price of the g5 node from 30 October noon. */
    const correctedPricing: ConfigInput['pricing'] = {
      ...smallClusterConfig().pricing,
      overrides: [
        { instanceType: 'g5.12xlarge', capacityType: 'spot', from: `${MONTH}-30T12:00:00+09:00`, price: 2.9 },
      ],
    };
    const figures: Record<string, string> = {};

    const storeAt = (prefix: string) => createS3Store({ bucket: s3.bucket, prefix, client: s3.client });
    const config = async (
      name: string,
      extra: Partial<ConfigInput> = {},
      prefix = 'chargeback',
      endpoint?: string,
    ) => {
      const path = join(dir, `${name}.json`);
      const body: ConfigInput = {
        ...smallClusterConfig({ timezone: ZONE }),
        source: { kind: 'prometheus', url: proxy.url, maxRetries: 1, timeoutSeconds: 10 },
        output: {
          location: `s3://${s3.bucket}/${prefix}`,
          endpoint: endpoint ?? s3.endpoint,
          region: 'us-east-1',
        },
        ...extra,
      };
      await writeFile(path, JSON.stringify(body));
      return path;
    };
    const cli = async (...argv: string[]) => {
      const r = await runCliCaptured(NOW, ...argv, '--quiet');
      return { ...r, lastLine: r.stderr.trimEnd().split('\n').pop() ?? '' };
    };
    /** Every object under the prefix with the SHA-256 of its bytes. */
    const snapshot = async (s: BlobStore = store) => {
      const out: Record<string, string> = {};
      for (const key of await s.list(''))
        out[key] = createHash('sha256')
          .update((await s.get(key))!)
          .digest('hex');
      return out;
    };
    const text = async (key: string, s: BlobStore = store) =>
      Buffer.from((await s.get(key))!).toString('utf8');
    const summaryOf = async (s: BlobStore = store) =>
      JSON.parse(await text(`${MONTH}/summary.json`, s)) as Summary;
    const manifestOf = async (s: BlobStore = store) => JSON.parse(await text(`${MONTH}/manifest.json`, s));
    const promRequests = () => proxy.requests.length;

    /** Answers every query over [fromMs, toMs) with no series at all, as Prometheus does once retention ran out. */
    /** The time a request reads: an instant query of a range selector (`…[Nms]`) the N ms before its time. */
    const spanOf = (r: { params: Record<string, string> }) => {
      const range = Number(/\[(\d+)ms\]/.exec(r.params.query ?? '')?.[1] ?? 0);
      return {
        start: r.params.start ? Number(r.params.start) * 1000 : Number(r.params.time) * 1000 - range,
        end: Number(r.params.end ?? r.params.time) * 1000,
      };
    };
    const lose = (fromMs: number, toMs: number) => {
      const empty = (body: PromBody): PromBody => ({
        ...body,
        data: { resultType: body.data?.resultType ?? 'matrix', result: [] },
      });
      proxy.setPlan((r) => {
        if (!r.endpoint) return undefined;
        const { start, end } = spanOf(r);
        return start < toMs && end > fromMs ? { kind: 'rewrite', transform: empty } : undefined;
      });
    };

    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'gcb-adversarial-'));
      const small = smallClusterSimulation(MONTH, ZONE);
      const dstDays = {
        startMs: dayOf(`${DST_MONTH}-01`, DST_ZONE).startMs - 24 * H,
        endMs: dayOf(`${DST_MONTH}-31`, DST_ZONE).endMs + 24 * H,
      };
      const dst = dstMidnightSimulation(DST_ZONE, Date.parse('2026-03-07T17:00:00Z'), 71, dstDays);
      const smallKey = `adversarial-small-${MONTH}-${ZONE.replace('/', '_')}-v1`;
      const dstKey = `dst-midnight-${DST_MONTH}-${DST_ZONE.replace('/', '_')}-v1`;
      const smallFiles = (await hasCachedTsdb(smallKey))
        ? []
        : await writeOpenMetrics(small, join(dir, 'small'));
      const dstFiles = (await hasCachedTsdb(dstKey)) ? [] : await writeOpenMetrics(dst, join(dir, 'dst'));
      [prometheus, dstPrometheus, emptyPrometheus, s3] = await Promise.all([
        startPrometheusWithData(smallFiles, { cacheKey: smallKey }),
        startPrometheusWithData(dstFiles, { cacheKey: dstKey }),
        startPrometheusWithData([], { cacheKey: 'empty' }),
        startS3Server(),
      ]);
      await rm(join(dir, 'small'), { recursive: true, force: true });
      await rm(join(dir, 'dst'), { recursive: true, force: true });
      proxy = await startFaultProxy({ target: prometheus.url });
      store = storeAt('chargeback');
      vi.stubEnv('AWS_ACCESS_KEY_ID', 'S3RVER');
      vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'S3RVER');
      vi.stubEnv('AWS_REGION', 'us-east-1');
    }, 600_000);

    afterAll(async () => {
      vi.unstubAllEnvs();
      await proxy?.stop();
      await Promise.all([prometheus?.stop(), dstPrometheus?.stop(), emptyPrometheus?.stop(), s3?.stop()]);
      if (dir) await rm(dir, { recursive: true, force: true });
      console.info(`adversarial reruns: ${JSON.stringify(figures)}`);
    });

    it(
      'publishes the month once (the version every rerun below must leave alone)',
      { timeout: 180_000 },
      async () => {
        const r = await cli('report', '--month', MONTH, '--config', await config('base'));
        expect([r.code, r.stderr]).toEqual([0, '']);
        const out = JSON.parse(r.stdout);
        expect(out).toMatchObject({ restated: false, unchanged: false, coveragePct: 100 });
        Object.assign(published, { total: out.total, versionId: out.versionId });
        expect((await store.list('usage/')).length).toBe(31);
        figures.published = `${out.total} USD, version ${out.versionId}`;
      },
    );

    it(
      'retention loss (same URL): a backfill of two lost days is refused, nothing written',
      { timeout: 120_000 },
      async () => {
        const before = await snapshot();
        lose(dayOf(`${MONTH}-05`, ZONE).startMs, dayOf(`${MONTH}-06`, ZONE).endMs);
        try {
          const r = await cli(
            'backfill',
            '--from',
            `${MONTH}-05`,
            '--to',
            `${MONTH}-06`,
            '--config',
            await config('base'),
          );
          expect(r.code).toBe(1);
          expect(r.stdout).toBe('');
          expect(r.lastLine).toMatch(
            /^gpu-chargeback backfill: RefusedError: refusing to restate 2026-10 \(replacing version /,
          );
          expect(r.lastLine).toContain('2 stored days would be replaced by emptier ones');
          expect(r.lastLine).toContain(`${MONTH}-05: coverage 100 % -> 0 %`);
          expect(r.lastLine).toMatch(/Nothing was written; if this is intended, rerun with --force --reason/);
        } finally {
          proxy.setPlan(() => undefined);
        }
        expect(await snapshot()).toEqual(before);
        expect((await summaryOf()).totals.cost).toBe(published.total);
        const partials = Object.keys(before).filter((k) => k.startsWith('usage/')).length;
        figures.retentionLoss = `refused, exit 1, total ${published.total} unchanged, ${partials} partials byte-identical`;
      },
    );

    it('retention loss after a config change: refused before querying anything, naming the stale days', async () => {
      const before = await snapshot();
      const sent = promRequests();
      const changed = await config('bridge', {
        metering: { scrapeIntervalSeconds: { kubeStateMetrics: 60, dcgm: 30 }, maxBridgeSeconds: 1800 },
      });
      const r = await cli('backfill', '--from', `${MONTH}-05`, '--to', `${MONTH}-06`, '--config', changed);
      expect(r.code).toBe(1);
      expect(r.lastLine).toContain(
        '29 other days of the month have no usable stored partial (2026-10-01..2026-10-04, 2026-10-07..2026-10-31: ' +
          'metered under other settings (zone, source or metering options))',
      );
      expect(r.lastLine).toContain('backfill those days too (--from 2026-10-01 --to 2026-10-31)');
      expect(promRequests()).toBe(sent);
      expect(await snapshot()).toEqual(before);
      figures.configChange = `refused before any query, exit ${r.code}, 29 stale days named, every object unchanged`;
    });

    it(
      'a new URL without the data: the whole-month backfill and a remetering report are refused',
      { timeout: 120_000 },
      async () => {
        const before = await snapshot();
        for (const argv of [
          ['backfill', '--from', MONTH, '--to', MONTH],
          ['report', '--month', MONTH, '--remeter'],
        ]) {
          const r = await cli(
            ...argv,
            '--config',
            await config('base'),
            '--prometheus-url',
            emptyPrometheus.url,
          );
          expect(r.code, argv[0]).toBe(1);
          expect(r.lastLine).toContain('the source has no kube-state-metrics sample in the whole month');
          expect(r.lastLine).toContain(
            `the total moves ${published.total} -> 0.00 (-100.0 %, more than guard.maxTotalChangePct 5 %)`,
          );
          expect(r.lastLine).toContain('31 stored days would be replaced by emptier ones');
          figures[`newUrl-${argv[0]}`] = `refused, exit ${r.code}, total ${published.total} unchanged`;
        }
        expect(await snapshot()).toEqual(before);
      },
    );

    it('a zone change: report --timezone UTC to the same output is refused before metering', async () => {
      const before = await snapshot();
      const sent = promRequests();
      const r = await cli('report', '--month', MONTH, '--config', await config('base'), '--timezone', 'UTC');
      expect(r.code).toBe(1);
      expect(r.lastLine).toContain(
        'the period changes from Asia/Seoul 2026-10-01T00:00:00+09:00..2026-11-01T00:00:00+09:00 to UTC 2026-10-01T00:00:00Z..2026-11-01T00:00:00Z',
      );
      expect(promRequests()).toBe(sent);
      expect(await snapshot()).toEqual(before);
      figures.zoneChange = `refused before any query, exit ${r.code}, every object unchanged`;
    });

    it(
      'a race: a report that started before a backfill cannot replace the correction it published',
      { timeout: 180_000 },
      async () => {
        // The slow run talks to S3 through a gate that holds its first write: taking the month's lock, or
        // storing a partial (which it must not do before its version is final).
        const gate = await startS3Gate(
          s3.endpoint,
          (r) => r.method === 'PUT' && (r.path.endsWith(`/${MONTH}/.lock`) || r.path.includes('/usage/')),
        );
        try {
          const slowConfig = await config('slow', {}, 'chargeback', gate.url);
          // It re-meters every day, as a report after a Prometheus repair would.
          const slow = cli('report', '--month', MONTH, '--remeter', '--config', slowConfig);
          await gate.held();
          // Meanwhile a backfill corrects a late Spot price of the g5 node from 30 October noon.
          const corrected = await config('corrected', { pricing: correctedPricing });
          const b = await cli(
            'backfill',
            '--from',
            `${MONTH}-30`,
            '--to',
            `${MONTH}-31`,
            '--config',
            corrected,
            '--reason',
            'late Spot price',
          );
          expect([b.code, b.stderr]).toEqual([0, '']);
          expect(JSON.parse(b.stdout)).toMatchObject({ restated: [MONTH] });
          const correction = await manifestOf();
          const correctionBytes = await snapshot();
          gate.open();

          const r = await slow;
          expect(r.code).toBe(1);
          expect(r.stdout).toBe('');
          expect(r.lastLine).toMatch(
            new RegExp(
              `^gpu-chargeback report: ConflictError: 2026-10 changed while this run was working: it started from version ${published.versionId} .*, but version ${correction.versionId} .* is published now; this run published nothing`,
            ),
          );
          // Nothing of the slow run is left: not a version object, not one of its re-metered partials.
          expect(await snapshot()).toEqual(correctionBytes);
          expect(correction).toMatchObject({
            chargeClass: 'Correction',
            reason: 'late Spot price',
            restates: { versionId: published.versionId },
          });
          const restatement = (await summaryOf()).restatement!;
          figures.race = `slow report exit ${r.code}; correction ${restatement.previousTotal} -> ${restatement.total} kept (version ${correction.versionId})`;
          Object.assign(published, { total: restatement.total, versionId: correction.versionId });
        } finally {
          await gate.stop();
        }
      },
    );

    describe('today, a future day, and a day metered before its data was complete (Lambda handlers)', () => {
      const lambda = (nowMs: number) =>
        createLambdaContext(
          {
            GPU_CHARGEBACK_CONFIG_JSON: JSON.stringify({
              ...smallClusterConfig({ timezone: ZONE }),
              source: { kind: 'prometheus', url: proxy.url },
              output: { location: `s3://${s3.bucket}/lambda`, endpoint: s3.endpoint, region: 'us-east-1' },
            }),
            BILLING_TIMEZONE: ZONE,
            CLOUDWATCH_ENABLED: 'false',
          },
          {
            createSource: createPrometheusSource,
            logger: createMemoryLogger(),
            clock: { nowMs: () => nowMs },
          },
        );

      it('refuses to meter today or a future day, and stores nothing', async () => {
        // 2026-10-20 15:00 in Seoul: the 20th has not ended, the 21st has not begun.
        const ctx = lambda(Date.parse('2026-10-20T06:00:00Z'));
        for (const date of [`${MONTH}-20`, `${MONTH}-21`]) {
          await expect(dailyMeterHandler(ctx)({ date })).rejects.toThrow(
            `${date} has not ended yet in Asia/Seoul`,
          );
          await expect(backfillDayHandler(ctx)({ date })).rejects.toThrow('has not ended yet');
        }
        expect(await storeAt('lambda').list('usage/')).toEqual([]);
      });

      it(
        're-meters a day metered before its data was complete instead of trusting it',
        { timeout: 180_000 },
        async () => {
          // The daily run 10 minutes after 31 October ended, while the remote-write backlog still held the
          // day's samples: Prometheus answered nothing for it yet.
          const lastDay = dayOf(`${MONTH}-31`, ZONE);
          lose(lastDay.startMs, lastDay.endMs);
          try {
            const early = await dailyMeterHandler(lambda(lastDay.endMs + 10 * 60_000))({});
            expect(early).toMatchObject({ date: `${MONTH}-31`, pods: 0, coveragePct: 0 });
          } finally {
            proxy.setPlan(() => undefined);
          }
          const sent = proxy.requests.length;
          const result = await monthlyReportHandler(lambda(NOW))({ month: MONTH });
          const reQueried = proxy.requests.slice(sent).filter((r) => {
            const { start, end } = spanOf(r);
            // Past the first hour of the day: not day 30's window (its margin ends an hour into the 31st).
            return start < lastDay.endMs && end > lastDay.startMs + 2 * 3_600_000;
          });
          expect(reQueried.length).toBeGreaterThan(0);
          // The whole of October, as the CLI published it before the correction.
          expect(result).toMatchObject({
            totalCost: figures.published!.split(' ')[0],
            coveragePct: 100,
            restated: false,
          });
          figures.earlyPartial = `month from partials ${result.totalCost} (the early partial alone had coverage 0 %)`;
        },
      );
    });

    it(
      'publishes a restatement of lost days only when forced, with the reason recorded',
      { timeout: 120_000 },
      async () => {
        lose(dayOf(`${MONTH}-05`, ZONE).startMs, dayOf(`${MONTH}-06`, ZONE).endMs);
        let r: Awaited<ReturnType<typeof cli>>;
        try {
          const corrected = await config('corrected', { pricing: correctedPricing });
          r = await cli(
            'backfill',
            '--from',
            `${MONTH}-05`,
            '--to',
            `${MONTH}-06`,
            '--config',
            corrected,
            '--force',
            '--reason',
            'INC-4711: the nodes were retired on 5 Oct',
          );
        } finally {
          proxy.setPlan(() => undefined);
        }
        expect([r.code, JSON.parse(r.stdout).restated]).toEqual([0, [MONTH]]);
        expect(r.stderr).toMatch(
          /^\{"level":"warn",.*"msg":"forced: restate 2026-10 \(replacing version .*despite the guard","reason":"INC-4711/,
        );
        const manifest = await manifestOf();
        expect(manifest).toMatchObject({
          chargeClass: 'Correction',
          reason: 'INC-4711: the nodes were retired on 5 Oct',
        });
        expect(manifest.forced.overridden.join(' ')).toContain(
          '2 stored days would be replaced by emptier ones',
        );
        const rows = readCsvObjects(await text(`${MONTH}/chargeback.csv`));
        expect(new Set(rows.map((row) => row.ChargeClass))).toEqual(new Set(['Correction']));
        const restatement = (await summaryOf()).restatement!;
        expect(restatement).toMatchObject({
          forced: true,
          previousTotal: published.total,
          replaces: { versionId: published.versionId },
        });
        expect(Number(restatement.difference)).toBeLessThan(0);
        figures.forced = `restated ${restatement.previousTotal} -> ${restatement.total} (${restatement.difference}), reason recorded`;
      },
    );

    it(
      'DST at midnight: 71 real hours of an 8-GPU pod across the Havana jump bill 568 GPU-h, and a rerun changes nothing',
      { timeout: 180_000 },
      async () => {
        const dstStore = storeAt('dst');
        const path = join(dir, 'dst.json');
        await writeFile(
          path,
          JSON.stringify({
            timezone: DST_ZONE,
            source: { kind: 'prometheus', url: dstPrometheus.url },
            metering: { scrapeIntervalSeconds: { kubeStateMetrics: 60, dcgm: 30 } },
            pricing: DST_PRICING,
            output: { location: `s3://${s3.bucket}/dst`, endpoint: s3.endpoint, region: 'us-east-1' },
          } satisfies ConfigInput),
        );
        const first = await cli('report', '--month', DST_MONTH, '--config', path);
        expect([first.code, first.stderr]).toEqual([0, '']);
        const summary = JSON.parse(await text(`${DST_MONTH}/summary.json`, dstStore)) as Summary;
        expect(summary.period.hours).toBe(743);
        expect(summary.byTeam.find((t) => t.key === 'ml')?.gpuHours).toBe(568);
        expect(summary.totals.capacityGpuHours).toBe(8 * 743);
        const before = await snapshot(dstStore);
        const again = await cli('report', '--month', DST_MONTH, '--config', path, '--remeter');
        expect([again.code, JSON.parse(again.stdout).unchanged]).toEqual([0, true]);
        const after = await snapshot(dstStore);
        const changed = Object.keys(after).filter((k) => !k.startsWith('usage/') && after[k] !== before[k]);
        expect(changed).toEqual([]);
        figures.dst = `ml ${summary.byTeam.find((t) => t.key === 'ml')?.gpuHours} GPU-h of 8 x 71 h, capacity ${summary.totals.capacityGpuHours} GPU-h; rerun unchanged`;
      },
    );
  },
);
