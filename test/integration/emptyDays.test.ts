/**
 * Days without samples against a real Prometheus (issue #18, "no round trips for days with no samples"):
 * the small cluster's February (test/support/smallCluster.ts) with samples removed so that four days and
 * their bridging margins have none at all, one day has only kube-state-metrics samples, one only
 * dcgm-exporter samples, and one only samples in its margin after midnight. The month reported with the
 * survey of which days have samples publishes byte-identical files and daily partials to the month
 * reported by asking every day every query, skips exactly the four empty days, and asks Prometheus far
 * fewer requests.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFsStore } from '../../src/adapters/fs/fsStore.ts';
import { createPrometheusSource } from '../../src/adapters/prometheus/index.ts';
import type { AppContext } from '../../src/app/context.ts';
import { runMonthlyReport } from '../../src/app/runMonthlyReport.ts';
import { parseConfig } from '../../src/config/loadConfig.ts';
import type { Config } from '../../src/config/schema.ts';
import type { MeteredDay } from '../../src/core/types.ts';
import type { BlobStore, Logger, ObservationSource } from '../../src/ports.ts';
import { writeOpenMetrics } from '../../src/sim/index.ts';
import {
  hasCachedTsdb,
  type PrometheusHandle,
  prometheusInstallHint,
  startPrometheusWithData,
} from '../support/prometheus.ts';
import { smallClusterConfig, smallClusterSimulation } from '../support/smallCluster.ts';

const MONTH = '2026-02';
const H = 3_600_000;
const at = (iso: string) => Date.parse(`${iso}Z`);
const hint = prometheusInstallHint();

/** Samples removed from the small cluster's month: [from, to) and which exporter's families. */
const REMOVED: { fromMs: number; toMs: number; families: 'all' | 'kube' | 'DCGM' }[] = [
  // 02-04..02-07 and their one-hour margins: no sample at all (02-03 loses its last 2 h, 02-08 its first 2 h).
  { fromMs: at('2026-02-03T22:00:00'), toMs: at('2026-02-08T02:00:00'), families: 'all' },
  // 02-15: kube-state-metrics only.
  { fromMs: at('2026-02-14T22:00:00'), toMs: at('2026-02-16T02:00:00'), families: 'DCGM' },
  // 02-20: dcgm-exporter only.
  { fromMs: at('2026-02-19T22:00:00'), toMs: at('2026-02-21T02:00:00'), families: 'kube' },
  // 02-25: only the samples of 02-26 00:30-01:00, in its bridging margin.
  { fromMs: at('2026-02-24T22:00:00'), toMs: at('2026-02-26T00:30:00'), families: 'all' },
];
const EMPTY_DAYS = ['2026-02-04', '2026-02-05', '2026-02-06', '2026-02-07'];

function removed(line: string): boolean {
  if (line.startsWith('#')) return false;
  const name = line.slice(0, line.search(/[{ ]/));
  // Not read by any query without DRA claims: left out to keep the fixture small.
  if (name === 'DCGM_FI_DEV_FB_USED') return true;
  const tMs = Number(line.slice(line.lastIndexOf(' ') + 1)) * 1000;
  return REMOVED.some(
    (r) =>
      tMs >= r.fromMs &&
      tMs < r.toMs &&
      (r.families === 'all' || (r.families === 'kube' ? name.startsWith('kube_') : name.startsWith('DCGM_'))),
  );
}

/** Copies an OpenMetrics file without the removed samples. */
async function filtered(from: string, to: string): Promise<void> {
  const out = createWriteStream(to);
  for await (const line of createInterface({ input: createReadStream(from), crlfDelay: Infinity })) {
    if (!removed(line) && !out.write(`${line}\n`))
      await new Promise<void>((ok) => out.once('drain', () => ok()));
  }
  await new Promise<void>((ok, fail) => out.end((error?: Error | null) => (error ? fail(error) : ok())));
}

/** A logger that keeps what the survey logged. */
function surveyLog(): Logger & { skipped: string[][] } {
  const skipped: string[][] = [];
  return {
    skipped,
    info(message, fields) {
      if (message.startsWith('days without samples')) skipped.push(fields?.dates as string[]);
    },
    warn() {},
    error() {},
    progress() {},
  };
}

describe.skipIf(hint !== null)('days without samples against a real Prometheus', () => {
  let prometheus: PrometheusHandle | undefined;
  let dir: string;
  let config: Config;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gpu-chargeback-empty-days-'));
    const cacheKey = `empty-days-small-${MONTH}-v1`;
    const files: string[] = [];
    if (!(await hasCachedTsdb(cacheKey))) {
      const raw = await writeOpenMetrics(smallClusterSimulation(MONTH), join(dir, 'raw'));
      await mkdir(join(dir, 'om'));
      for (const file of raw) {
        const to = join(dir, 'om', basename(file));
        await filtered(file, to);
        await rm(file);
        files.push(to);
      }
    }
    prometheus = await startPrometheusWithData(files, { cacheKey });
    await rm(join(dir, 'om'), { recursive: true, force: true });
    config = parseConfig({
      ...smallClusterConfig(),
      source: { kind: 'prometheus', url: prometheus.url, maxRetries: 1 },
      // Four empty days lose coverage: publish anyway (the guard's floor is not what this checks).
      guard: { minCoveragePct: 0 },
    });
  }, 600_000);

  afterAll(async () => {
    await prometheus?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  /** Reports the month into a fresh store; `survey: false` takes the survey away from the source. */
  async function report(survey: boolean) {
    const store = createFsStore(await mkdtemp(join(dir, 'out-')));
    const logger = surveyLog();
    const prom = createPrometheusSource({ config, logger });
    const source: ObservationSource = survey ? prom : { ...prom, surveyWindows: undefined };
    const ctx: AppContext = {
      config,
      source,
      store,
      metrics: { publish: async () => {} },
      logger,
      clock: { nowMs: () => Date.parse('2026-03-20T00:00:00Z') },
    };
    await runMonthlyReport(ctx, MONTH, { concurrency: 4 });
    return { store, requests: prom.stats.requests, skipped: logger.skipped };
  }

  /** Every published file and daily partial, by key, as SHA-256 (the manifest names the run). */
  async function outputs(store: BlobStore): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    for (const key of [...(await store.list(`${MONTH}/`)), ...(await store.list('usage/'))]) {
      if (key.endsWith('manifest.json') || key.includes('/versions/')) continue;
      out[key] = createHash('sha256')
        .update((await store.get(key))!)
        .digest('hex');
    }
    return out;
  }

  async function partial(store: BlobStore, date: string): Promise<MeteredDay> {
    return (
      JSON.parse(new TextDecoder().decode((await store.get(`usage/${date}.json`))!)) as { day: MeteredDay }
    ).day;
  }

  it(
    'bills exactly what asking every day bills, skipping only the days without samples, in fewer requests',
    { timeout: 600_000 },
    async () => {
      const asked = await report(false);
      const surveyed = await report(true);

      const expected = await outputs(asked.store);
      expect(Object.keys(expected).filter((k) => k.startsWith('usage/'))).toHaveLength(28);
      expect(await outputs(surveyed.store)).toEqual(expected);
      expect(surveyed.skipped).toEqual([EMPTY_DAYS]);
      expect(asked.skipped).toEqual([]);
      // Each empty day saves its 10+ questions; the survey costs one request per day (kube_node_info in
      // the 10 minutes before the day's middle), one more per day that does not prove (every family over
      // the same 10 minutes: the empty days, 02-20 and 02-25), and one more per day still not proven (the
      // whole window: the empty days and 02-25).
      const surveyRequests = 28 + (EMPTY_DAYS.length + 2) + (EMPTY_DAYS.length + 1);
      expect(surveyed.requests).toBeLessThanOrEqual(asked.requests - EMPTY_DAYS.length * 10 + surveyRequests);
      expect(surveyed.requests).toBeLessThan(asked.requests);

      // The fixture is what it claims: an empty day has no coverage; the others were metered from samples.
      const empty = await partial(surveyed.store, '2026-02-05');
      expect(empty.pods).toEqual([]);
      expect(empty.coverage.kubeStateMetrics).toBe(0);
      const ksmOnly = await partial(surveyed.store, '2026-02-15');
      expect(ksmOnly.pods.length).toBeGreaterThan(0);
      expect(ksmOnly.coverage.dcgm ?? 0).toBe(0);
      const dcgmOnly = await partial(surveyed.store, '2026-02-20');
      expect(dcgmOnly.coverage.kubeStateMetrics).toBe(0);
      expect(dcgmOnly.coverage.dcgm ?? 0).toBeGreaterThan(0);
    },
  );

  it('finds samples in a day that has them only in its bridging margin', async () => {
    const source = createPrometheusSource({ config, logger: surveyLog() });
    const days = ['2026-02-24', '2026-02-25', '2026-02-26'].map((date) => {
      const startMs = at(`${date}T00:00:00`);
      return { startMs: startMs - H, endMs: startMs + 25 * H };
    });
    expect(await source.surveyWindows!(days)).toEqual([true, true, true]);
    // Without the margin 02-25 has no sample.
    const bare = { startMs: at('2026-02-25T00:00:00'), endMs: at('2026-02-26T00:00:00') - 1 };
    expect(await source.surveyWindows!([bare, days[0]!])).toEqual([false, true]);
  });
});
