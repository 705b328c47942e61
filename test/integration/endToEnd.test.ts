import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { backfillDayHandler, dailyMeterHandler } from '../../functions/lib/meterHandlers.ts';
import { backfillPlanHandler } from '../../functions/lib/planHandler.ts';
import { backfillMonthHandler, monthlyReportHandler } from '../../functions/lib/reportHandlers.ts';
import { createFsStore } from '../../src/adapters/fs/fsStore.ts';
import { createPrometheusSource } from '../../src/adapters/prometheus/index.ts';
import { createS3Store } from '../../src/adapters/s3/s3Store.ts';
import { demoConfig } from '../../src/app/demoConfig.ts';
import { createLambdaContext } from '../../functions/lib/lambdaContext.ts';
import { createMemoryLogger } from '../../src/adapters/log/logger.ts';
import { runCli } from '../../src/cli/main.ts';
import { runMonthlyReport } from '../../src/app/runMonthlyReport.ts';
import { parseConfig } from '../../src/config/loadConfig.ts';
import { DEMO_BILLING_ACCOUNT, demoOutsideInstances } from '../../src/app/demoExport.ts';
import { billingPeriod, localDateOf } from '../../src/core/period.ts';
import { providerIdOf } from '../../src/sim/cloud.ts';
import { syntheticExportCsv } from '../../src/sim/invoiceExport.ts';
import type { Summary } from '../../src/core/types.ts';
import {
  type GroundTruth,
  type GroundTruthNode,
  groundTruth,
  ksmSchedule,
  sampleTimes,
  simulate,
  writeOpenMetrics,
} from '../../src/sim/index.ts';
import type { Simulation } from '../../src/sim/model.ts';
import { quotaSeries } from '../../src/sim/quota.ts';
import {
  hasCachedTsdb,
  type PrometheusHandle,
  prometheusInstallHint,
  startPrometheusWithData,
} from '../support/prometheus.ts';
import { type S3TestServer, startS3Server } from '../support/s3.ts';
import { readCsvObjects as parseCsv } from '../support/csv.ts';

/**
 * The demo's price per GPU-hour of a simulated node: its instance price ÷ GPUs (Spot when Spot), or for
 * the on-prem node outside the catalog the configured rate of its GPU model.
 */
function perGpuHour(node: GroundTruthNode): number {
  const price = demoConfig.pricing!.instanceTypes![node.instanceType];
  if (!price) return demoConfig.pricing!.gpuModels![node.gpuModel]!.perGpuHour;
  return (node.capacityType === 'spot' ? price.spot! : price.onDemand) / price.gpus;
}

const MONTH = '2026-10';
const ZONE = 'Asia/Seoul';
const SEED = 7;
const KSM_SECONDS = 60;
const NOW = Date.parse('2026-11-22T12:00:00Z');
const REPO_ROOT = join(import.meta.dirname, '../..');

const cents = (s: string) => Math.round(Number(s) * 100);

describe.skipIf(prometheusInstallHint() !== null)(
  'report end to end: simulated month → real Prometheus → S3',
  () => {
    let prometheus: PrometheusHandle;
    let s3: S3TestServer;
    let dir: string;
    let truth: GroundTruth;
    let demoSim: Simulation;
    const readBytes = async (key: string) => {
      const store = createS3Store({ bucket: s3.bucket, prefix: 'chargeback', client: s3.client });
      const bytes = await store.get(key);
      if (!bytes) throw new Error(`missing ${key}`);
      return bytes;
    };
    const read = async (key: string) => {
      const store = createS3Store({ bucket: s3.bucket, prefix: 'chargeback', client: s3.client });
      const bytes = await store.get(key);
      if (!bytes) throw new Error(`missing ${key}`);
      return Buffer.from(bytes).toString('utf8');
    };
    const report = async () => {
      let stdout = '';
      let stderr = '';
      const code = await runCli(
        ['report', '--month', MONTH, '--config', join(dir, 'config.json'), '--quiet'],
        {
          stdout: (d) => {
            stdout += String(d);
          },
          stderr: (t) => {
            stderr += t;
          },
          env: {},
          nowMs: () => NOW,
          stderrIsTty: false,
        },
      );
      return { code, stdout, stderr };
    };

    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'gcb-e2e-'));
      // A full month at 60 s kube-state-metrics scrapes; dcgm-exporter at 120 s keeps the OpenMetrics text
      // (and the backfill) about 4x smaller than at its 30 s default without changing what is metered.
      const sim = simulate({
        preset: 'demo',
        month: MONTH,
        zone: ZONE,
        seed: SEED,
        scrape: { ksmSeconds: KSM_SECONDS, dcgmSeconds: 120 },
      });
      truth = groundTruth(sim, billingPeriod(MONTH, ZONE));
      demoSim = sim;
      // v2: the demo gained the real GPU shapes of #14 (on-prem DGX, DRA, GPU sidecars); v3: GPU
      // ResourceQuotas on two namespaces (kube_resourcequota, #16).
      const cacheKey = `e2e-demo-${MONTH}-${ZONE}-${SEED}-ksm${KSM_SECONDS}-dcgm120-v3`;
      // The month's OpenMetrics text is ~4.8 GB: write it only when the TSDB is not cached, and delete it
      // as soon as it is backfilled.
      const files = (await hasCachedTsdb(cacheKey)) ? [] : await writeOpenMetrics(sim, join(dir, 'om'));
      [prometheus, s3] = await Promise.all([startPrometheusWithData(files, { cacheKey }), startS3Server()]);
      await rm(join(dir, 'om'), { recursive: true, force: true });
      vi.stubEnv('AWS_ACCESS_KEY_ID', 'S3RVER');
      vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'S3RVER');
      vi.stubEnv('AWS_REGION', 'us-east-1');
      const config = {
        ...demoConfig,
        timezone: ZONE,
        source: { kind: 'prometheus', url: prometheus.url },
        output: { location: `s3://${s3.bucket}/chargeback`, endpoint: s3.endpoint, region: 'us-east-1' },
      };
      await writeFile(join(dir, 'config.json'), JSON.stringify(config));
    }, 600_000);

    afterAll(async () => {
      vi.unstubAllEnvs();
      await Promise.all([prometheus?.stop(), s3?.stop()]);
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    it('publishes every output and a manifest, and exits 0', { timeout: 300_000 }, async () => {
      const result = await report();
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      const out = JSON.parse(result.stdout) as { keys: string[]; total: string };
      for (const name of [
        'chargeback.csv',
        'summary.json',
        'executive-report.pdf',
        'usage.csv',
        'nodes.csv',
      ]) {
        expect(out.keys).toContain(`${MONTH}/${name}`);
      }
      const manifest = JSON.parse(await read(`${MONTH}/manifest.json`)) as {
        files: { key: string; sha256: string }[];
      };
      expect(manifest.files.map((f) => f.key).sort()).toEqual([...out.keys].sort());
    });

    it('meters every pod within one scrape interval per boundary of the ground truth', async () => {
      const usage = parseCsv(await read(`${MONTH}/usage.csv`));
      const meteredByUid = new Map<string, number>();
      for (const row of usage) {
        meteredByUid.set(row.x_PodUid!, (meteredByUid.get(row.x_PodUid!) ?? 0) + Number(row.x_GpuSeconds));
      }
      let checked = 0;
      for (const pod of truth.pods) {
        const metered = meteredByUid.get(pod.uid) ?? 0;
        // Two boundaries (start, end) per Running span, each off by at most one scrape interval.
        const tolerance = 2 * KSM_SECONDS * pod.gpuEquivalents + 1e-6;
        expect(
          Math.abs(metered - pod.gpuSeconds),
          `pod ${pod.namespace}/${pod.pod} (${pod.uid})`,
        ).toBeLessThanOrEqual(tolerance);
        if (pod.gpuSeconds > 0) checked++;
      }
      expect(checked).toBeGreaterThan(50);
      for (const uid of meteredByUid.keys())
        expect(
          truth.pods.some((p) => p.uid === uid),
          uid,
        ).toBe(true);
    });

    it('reports the GPU ResourceQuotas kube-state-metrics exported, read through the real Prometheus (#16)', async () => {
      const summary = JSON.parse(await read(`${MONTH}/summary.json`)) as Summary;
      const period = billingPeriod(MONTH, ZONE);
      // One kube-state-metrics sample per grid step: the month's used values are the samples in the month.
      const times = sampleTimes(demoSim, ksmSchedule(demoSim), period.startMs + 1, period.endMs + 1);
      const series = quotaSeries(demoSim);
      const expected = series
        .filter((q) => q.type === 'used')
        .map((q) => {
          const used = times.map((t) => (typeof q.value === 'number' ? q.value : q.value(t)));
          const hard = series.find(
            (h) => h.type === 'hard' && h.namespace === q.namespace && h.resource === q.resource,
          )!;
          return [
            q.namespace,
            q.resource,
            hard.value,
            Math.max(...used),
            used.reduce((a, b) => a + b, 0) / used.length,
          ];
        });
      expect(expected.length).toBeGreaterThan(2);
      expect(
        summary.gpuQuotas!.map((q) => [q.namespace, q.resource, q.hard, q.peakUsed, q.averageUsed]),
      ).toEqual(
        expected.map(([ns, resource, hard, peak, average]) => [
          ns,
          resource,
          hard,
          peak,
          expect.closeTo(average as number, 5),
        ]),
      );
    });

    it('matches the month total of allocated GPU-hours within 0.01 % and capacity per node exactly', async () => {
      const summary = JSON.parse(await read(`${MONTH}/summary.json`)) as Summary;
      const trueAllocatedHours = truth.totals.allocatedGpuSeconds / 3600;
      expect(
        Math.abs(summary.totals.allocatedGpuHours - trueAllocatedHours) / trueAllocatedHours,
      ).toBeLessThan(1e-4);
      // Node capacity: off by at most one scrape interval at each appearance or disappearance of a node.
      const trueCapacityHours = truth.totals.capacityGpuSeconds / 3600;
      const boundarySlackHours = truth.nodes.reduce(
        (sum, node) => sum + (2 * node.lifetimes.length * KSM_SECONDS * node.gpus) / 3600,
        0,
      );
      expect(Math.abs(summary.totals.capacityGpuHours - trueCapacityHours)).toBeLessThanOrEqual(
        boundarySlackHours,
      );
      expect(boundarySlackHours / trueCapacityHours).toBeLessThan(1e-3);
      const nodes = parseCsv(await read(`${MONTH}/nodes.csv`));
      for (const row of nodes) {
        const sum = Number(row.x_AllocatedGpuHours) + Number(row.x_IdleGpuHours);
        expect(sum).toBeCloseTo(Number(row.x_CapacityGpuHours), 5);
      }
    });

    it('prices each node-day at its capacity cost and adds line items up to the totals to the cent', async () => {
      const rows = parseCsv(await read(`${MONTH}/chargeback.csv`));
      const summary = JSON.parse(await read(`${MONTH}/summary.json`)) as Summary;
      const total = rows.reduce((sum, r) => sum + cents(r.EffectiveCost!), 0);
      expect(total).toBe(cents(summary.totals.cost));
      expect(summary.reconciliation.difference).toMatch(/^0\.00$/);
      for (const team of summary.byTeam) {
        const teamRows = rows.filter((r) => r.x_Team === team.key);
        expect(
          teamRows.reduce((s, r) => s + cents(r.EffectiveCost!), 0),
          team.key,
        ).toBe(cents(team.cost));
      }
      // Ground-truth capacity cost: node-seconds x physical GPUs x per-GPU price, from the simulator's
      // exact node days.
      let trueCapacityCost = 0;
      for (const node of truth.nodes) {
        for (const day of node.days) trueCapacityCost += (day.capacityGpuSeconds / 3600) * perGpuHour(node);
      }
      expect(Math.abs(Number(summary.totals.cost) - trueCapacityCost)).toBeLessThan(
        0.01 + trueCapacityCost * 1e-9,
      );
    });

    it('charges each pod its ground-truth cost within one scrape interval of its price per boundary', async () => {
      const rows = parseCsv(await read(`${MONTH}/chargeback.csv`)).filter(
        (r) => r.x_CostComponent === 'Direct',
      );
      const costByUid = new Map<string, number>();
      for (const r of rows)
        costByUid.set(r.x_PodUid!, (costByUid.get(r.x_PodUid!) ?? 0) + Number(r.EffectiveCost));
      const nodes = new Map(truth.nodes.map((n) => [n.node, n]));
      for (const pod of truth.pods) {
        if (!pod.node || pod.gpuSeconds === 0) continue;
        const node = nodes.get(pod.node)!;
        const perGpuSecond = perGpuHour(node) / 3600;
        const expected = pod.gpuSeconds * perGpuSecond;
        const tolerance = 2 * KSM_SECONDS * pod.gpuEquivalents * perGpuSecond + 0.01 * 31;
        expect(
          Math.abs((costByUid.get(pod.uid) ?? 0) - expected),
          `${pod.namespace}/${pod.pod}`,
        ).toBeLessThanOrEqual(tolerance);
      }
    });

    it(
      'writes byte-identical CSV and JSON when run again on the same data',
      {
        timeout: 300_000,
      },
      async () => {
        const before = await Promise.all([read(`${MONTH}/chargeback.csv`), read(`${MONTH}/summary.json`)]);
        const again = await report();
        expect(again.code).toBe(0);
        const after = await Promise.all([read(`${MONTH}/chargeback.csv`), read(`${MONTH}/summary.json`)]);
        expect(after[0]).toBe(before[0]);
        expect(after[1]).toBe(before[1]);
      },
    );

    it('prices every node at its ground-truth capacity cost within one scrape interval per appearance', async () => {
      const rows = parseCsv(await read(`${MONTH}/chargeback.csv`));
      const costByNode = new Map<string, number>();
      for (const r of rows)
        costByNode.set(r.ResourceId!, (costByNode.get(r.ResourceId!) ?? 0) + Number(r.EffectiveCost));
      for (const node of truth.nodes) {
        const perGpuSecond = perGpuHour(node) / 3600;
        const gpus = node.gpus;
        const expected = node.days.reduce((sum, d) => sum + d.capacityGpuSeconds, 0) * perGpuSecond;
        // Rounding to cents per row (at most 0.5 cent each) plus one scrape interval per appearance/disappearance.
        const rowCount = rows.filter((r) => r.ResourceId === node.node).length;
        const tolerance =
          2 * node.lifetimes.length * KSM_SECONDS * gpus * perGpuSecond + rowCount * 0.005 + 1e-9;
        expect(Math.abs((costByNode.get(node.node) ?? 0) - expected), node.node).toBeLessThanOrEqual(
          tolerance,
        );
      }
    });

    it('downloads a team CSV with `get`, verified against the manifest', async () => {
      const out = join(dir, 'ml-research.csv');
      let stderr = '';
      const code = await runCli(
        [
          'get',
          '--month',
          MONTH,
          '--team',
          'ml-research',
          '--config',
          join(dir, 'config.json'),
          '--out',
          out,
        ],
        {
          stdout: () => {},
          stderr: (t) => {
            stderr += t;
          },
          env: {},
          nowMs: () => NOW,
          stderrIsTty: false,
        },
      );
      expect(stderr).toMatch(/sha256 verified/);
      expect(code).toBe(0);
      const published = await read(`${MONTH}/teams/ml-research.csv`);
      expect(await readFile(out, 'utf8')).toBe(published);
      expect(parseCsv(published).every((r) => r.x_Team === 'ml-research')).toBe(true);
    });

    it("downloads report.html with `get --file` and a team lead's pack with `get --team --pack` from S3", async () => {
      const into = join(dir, 'pack') + '/';
      const get = async (...args: string[]) => {
        let stderr = '';
        const code = await runCli(['get', '--month', MONTH, '--config', join(dir, 'config.json'), ...args], {
          stdout: () => {},
          stderr: (t) => {
            stderr += t;
          },
          env: {},
          nowMs: () => NOW,
          stderrIsTty: false,
        });
        return { code, stderr };
      };
      const html = await get('--file', 'report.html', '--save-to', into);
      expect(html.code, html.stderr).toBe(0);
      expect(await readFile(join(into, 'report.html'), 'utf8')).toBe(await read(`${MONTH}/report.html`));
      const pack = await get('--team', 'ml-research', '--pack', '--save-to', into);
      expect(pack.code, pack.stderr).toBe(0);
      expect(await readFile(join(into, 'costs.csv'), 'utf8')).toBe(
        await read(`${MONTH}/teams/ml-research/costs.csv`),
      );
      expect(await readFile(join(into, 'COLUMNS.md'), 'utf8')).toBe(await read(`${MONTH}/COLUMNS.md`));
      expect(await readFile(join(into, 'report.pdf'), 'latin1')).toBe(
        Buffer.from(await readBytes(`${MONTH}/teams/ml-research/report.pdf`)).toString('latin1'),
      );
    });

    describe('Lambda handlers in-process (real Prometheus and S3; CloudWatch mocked)', () => {
      const sent: unknown[] = [];
      const lambdaCtx = (pricing = demoConfig.pricing, pdfWorkerFile?: string) =>
        createLambdaContext(
          {
            GPU_CHARGEBACK_CONFIG_JSON: JSON.stringify({
              ...demoConfig,
              pricing,
              output: { location: `s3://${s3.bucket}/lambda`, endpoint: s3.endpoint, region: 'us-east-1' },
            }),
            PROMETHEUS_URL: prometheus.url,
            BILLING_TIMEZONE: ZONE,
            CLOUDWATCH_ENABLED: 'true',
            CLOUDWATCH_NAMESPACE: 'GpuChargebackTest',
          },
          {
            createSource: createPrometheusSource,
            // No injected client: the context builds its own from output.endpoint/region as in production,
            // with the SDK's retries (the harness client makes one attempt, and s3rver sometimes closes a
            // kept-alive socket just as it is reused: "socket hang up").
            cloudWatchClient: {
              send: async (command: unknown) => {
                sent.push(command);
              },
            } as never,
            logger: createMemoryLogger(),
            clock: { nowMs: () => NOW },
            ...(pdfWorkerFile ? { pdfWorkerFile } : {}),
          },
        );
      const lambdaStore = () => createS3Store({ bucket: s3.bucket, prefix: 'lambda', client: s3.client });
      const text = async (key: string) => Buffer.from((await lambdaStore().get(key))!).toString('utf8');

      it('meters a day into a daily partial and publishes run metrics', { timeout: 120_000 }, async () => {
        const result = await dailyMeterHandler(lambdaCtx())({ date: `${MONTH}-15` });
        expect(result.date).toBe(`${MONTH}-15`);
        expect(result.pods).toBeGreaterThan(10);
        expect(result.coveragePct).toBe(100);
        const partial = JSON.parse(await text(`usage/${MONTH}-15.json`));
        expect(partial.day.day.date).toBe(`${MONTH}-15`);
        expect(sent.length).toBeGreaterThan(0);
      });

      it(
        'publishes the month from partials with the same total as the CLI',
        {
          timeout: 300_000,
        },
        async () => {
          // With the PDF worker thread the package ships (dist/lambda/pdfWorker.mjs, built by the suite).
          const ctx = lambdaCtx(demoConfig.pricing, join(REPO_ROOT, 'dist/lambda/pdfWorker.mjs'));
          const inWorker = ctx.pdfs!;
          let months = 0;
          ctx.pdfs = () => {
            const session = inWorker();
            return { ...session, render: (input) => (months++, session.render(input)) };
          };
          const result = await monthlyReportHandler(ctx)({ month: MONTH });
          const cli = JSON.parse(await read(`${MONTH}/summary.json`)) as Summary;
          expect(result.totalCost).toBe(cli.totals.cost);
          expect(result.restated).toBe(false);
          expect(await lambdaStore().get(`${MONTH}/manifest.json`)).toBeDefined();
          // Drawn in the worker, the PDFs are the bytes the CLI drew in its own thread.
          expect(months).toBe(1);
          const pdf = async (key: string) => Buffer.from((await lambdaStore().get(key))!);
          expect(
            Buffer.compare(
              await pdf(`${MONTH}/executive-report.pdf`),
              Buffer.from(await readBytes(`${MONTH}/executive-report.pdf`)),
            ),
          ).toBe(0);
          expect(
            Buffer.compare(
              await pdf(`${MONTH}/teams/ml-research/report.pdf`),
              Buffer.from(await readBytes(`${MONTH}/teams/ml-research/report.pdf`)),
            ),
          ).toBe(0);
        },
      );

      it(
        'plans, meters and leaves a month alone when a backfill changes nothing',
        { timeout: 300_000 },
        async () => {
          const ctx = lambdaCtx();
          const before = await text(`${MONTH}/manifest.json`);
          const plan = await backfillPlanHandler(ctx)({ from: `${MONTH}-30`, to: `${MONTH}-31` });
          expect(plan).toMatchObject({ days: [`${MONTH}-30`, `${MONTH}-31`], months: [MONTH], force: false });
          for (const date of plan.days)
            await backfillDayHandler(ctx)({ date, force: plan.force, reason: plan.reason });
          const result = await backfillMonthHandler(ctx)({
            month: MONTH,
            force: plan.force,
            reason: plan.reason,
          });
          expect([result.restated, result.unchanged]).toEqual([false, true]);
          expect(await text(`${MONTH}/manifest.json`)).toBe(before);
        },
      );

      it(
        'plans, meters and restates a backfill that corrects a price of a published month',
        { timeout: 300_000 },
        async () => {
          // The Spot price of g4dn.xlarge was late from 30 October noon: a correction, within the guard.
          const corrected = {
            ...demoConfig.pricing,
            overrides: [
              {
                instanceType: 'g4dn.xlarge',
                capacityType: 'spot' as const,
                from: `${MONTH}-30T12:00:00+09:00`,
                price: 0.26,
              },
            ],
          };
          const ctx = lambdaCtx(corrected);
          const plan = await backfillPlanHandler(ctx)({
            from: `${MONTH}-30`,
            to: `${MONTH}-31`,
            reason: 'late Spot price',
          });
          expect(plan).toMatchObject({ days: [`${MONTH}-30`, `${MONTH}-31`], months: [MONTH] });
          for (const date of plan.days)
            await backfillDayHandler(ctx)({ date, force: plan.force, reason: plan.reason });
          const restated = await backfillMonthHandler(ctx)({
            month: MONTH,
            force: plan.force,
            reason: plan.reason,
          });
          expect(restated.restated).toBe(true);
          const rows = parseCsv(await text(`${MONTH}/chargeback.csv`));
          expect(rows.length).toBeGreaterThan(0);
          expect(rows.every((r) => r.ChargeClass === 'Correction')).toBe(true);
          const manifest = JSON.parse(await text(`${MONTH}/manifest.json`));
          expect(manifest.restates).not.toBeNull();
          expect(manifest).toMatchObject({ chargeClass: 'Correction', reason: 'late Spot price' });
          const summary = JSON.parse(await text(`${MONTH}/summary.json`)) as Summary;
          expect(summary.restatement?.replaces.versionId).toBe(manifest.restates.versionId);
          expect(Number(summary.restatement?.difference)).toBeGreaterThan(0);
        },
      );
    });
    it(
      'restates the month from the cloud export in S3 through the guard, nodes matched by kube_node_info provider_id',
      {
        timeout: 300_000,
      },
      async () => {
        // The demo cluster's synthetic FOCUS export, gzip CSV, under an s3:// prefix of the real local S3 server.
        const period = billingPeriod(MONTH, ZONE);
        const sim = simulate({
          preset: 'demo',
          month: MONTH,
          zone: ZONE,
          seed: SEED,
          scrape: { ksmSeconds: KSM_SECONDS, dcgmSeconds: 120 },
        });
        const exportText = [
          ...syntheticExportCsv([sim], {
            format: 'focus',
            period,
            prices: demoConfig.pricing!.instanceTypes as never,
            currency: 'USD',
            billingAccountId: DEMO_BILLING_ACCOUNT,
            subAccountId: '444455556666',
            outside: demoOutsideInstances(period.startMs, period.endMs),
          }),
        ].join('');
        await s3.client.send(
          new PutObjectCommand({
            Bucket: s3.bucket,
            Key: `exports/focus/data/BILLING_PERIOD=${MONTH}/part-00001.csv.gz`,
            Body: gzipSync(exportText),
          }),
        );
        const base = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8'));
        await writeFile(
          join(dir, 'config.json'),
          JSON.stringify({
            ...base,
            billing: {
              format: 'focus',
              location: `s3://${s3.bucket}/exports/focus`,
              endpoint: s3.endpoint,
              region: 'us-east-1',
            },
          }),
        );
        try {
          const result = await report();
          expect(result.code, result.stderr).toBe(0);
          const manifest = JSON.parse(await read(`${MONTH}/manifest.json`));
          expect(manifest.chargeClass).toBe('Correction');
          expect(manifest.reason).toMatch(/^invoice export now covers 31 more day\(s\)/);
          const summary = JSON.parse(await read(`${MONTH}/summary.json`)) as Summary;
          expect(summary.invoice!.daysCovered).toBe(31);
          // Independently: Σ EffectiveCost of the export's lines of the cluster's instances (decimal text, exact).
          const reconciliation = parseCsv(await read(`${MONTH}/reconciliation.csv`));
          const uncharged = new Set(
            reconciliation.flatMap((r) =>
              r.UnchargedInstanceIds ? r.UnchargedInstanceIds.split(' ').map((id) => `${id}@${r.Date}`) : [],
            ),
          );
          const cluster = new Set(
            sim.nodes
              .map((n) => providerIdOf(n))
              .filter((p): p is string => p !== null)
              .map((p) => p.split('/').pop()!),
          );
          let exact = 0n;
          for (const line of parseCsv(exportText.replace(/\r?\n/g, '\r\n'))) {
            if (!cluster.has(line.ResourceId!)) continue;
            const date = localDateOf(Date.parse(line.ChargePeriodStart!), ZONE);
            if (
              Date.parse(line.ChargePeriodStart!) < period.startMs ||
              Date.parse(line.ChargePeriodEnd!) > period.endMs
            )
              continue;
            if (uncharged.has(`${line.ResourceId}@${date}`)) continue;
            const [whole, fraction = ''] = line.EffectiveCost!.split('.');
            exact += BigInt(whole! + fraction.padEnd(10, '0'));
          }
          // Half-even to the cent, as the month's rounding rule.
          const q = exact / 100_000_000n;
          const r = exact % 100_000_000n;
          const cents = r > 50_000_000n || (r === 50_000_000n && q % 2n === 1n) ? q + 1n : q;
          expect(summary.invoice!.invoicePricedCost).toBe(
            `${cents / 100n}.${String(cents % 100n).padStart(2, '0')}`,
          );
          // Every cluster node with a provider id was matched: only the on-prem DGX is not on the invoice.
          expect(summary.invoice!.nodesNotOnInvoice).toEqual(['dgx-a100-01']);
        } finally {
          await writeFile(join(dir, 'config.json'), JSON.stringify(base));
        }
      },
    );

    it(
      'publishes the same bytes when the raw samples are read by remote read (source.readApi remote)',
      { timeout: 300_000 },
      async () => {
        const publish = async (readApi: 'query' | 'remote') => {
          const out = await mkdtemp(join(dir, `out-${readApi}-`));
          const config = parseConfig({
            ...demoConfig,
            timezone: ZONE,
            source: { kind: 'prometheus', url: prometheus.url, readApi },
            output: { location: out },
          });
          const logger = createMemoryLogger();
          const source = createPrometheusSource({ config, logger });
          const store = createFsStore(out);
          const ctx = {
            config,
            source,
            store,
            metrics: { publish: async () => {} },
            logger,
            clock: { nowMs: () => Date.parse('2026-11-20T00:00:00Z') },
          };
          await runMonthlyReport(ctx, MONTH, { concurrency: 4 });
          const files: Record<string, string> = {};
          for (const key of await store.list(`${MONTH}/`)) {
            if (key.endsWith('manifest.json') || key.includes('/versions/')) continue;
            files[key] = createHash('sha256')
              .update((await store.get(key))!)
              .digest('hex');
          }
          return { files, remoteReads: source.stats.remoteReads };
        };
        const viaQuery = await publish('query');
        const viaRemote = await publish('remote');
        expect(Object.keys(viaQuery.files).length).toBeGreaterThan(20);
        expect(viaQuery.remoteReads).toBe(0);
        expect(viaRemote.remoteReads).toBeGreaterThan(300);
        expect(viaRemote.files).toEqual(viaQuery.files);
      },
    );
  },
);
