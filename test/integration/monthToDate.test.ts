/**
 * Month to date (issue #16), through the real CLI against a real Prometheus (the small cluster of the
 * adversarial reruns: a p4d.24xlarge and a g5.12xlarge Spot node, three teams, October 2026 in Asia/Seoul,
 * backfilled with promtool) and a directory store: a provisional version through 9 October, a longer one
 * through 19 October, the final month on 22 November. Each is marked for what it is (manifest,
 * summary.json, every PDF page, each team's PDF, report.html), none is a Correction, a shorter provisional
 * is refused as worse, and no provisional replaces the final month, not even forced. The clock is the
 * CLI's injected one.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Summary } from '../../src/core/types.ts';
import { writeOpenMetrics } from '../../src/sim/index.ts';
import { runCliCaptured } from '../support/cli.ts';
import { readCsvObjects } from '../support/csv.ts';
import {
  hasCachedTsdb,
  type PrometheusHandle,
  prometheusInstallHint,
  startPrometheusWithData,
} from '../support/prometheus.ts';
import { smallClusterConfig, smallClusterSimulation } from '../support/smallCluster.ts';

const MONTH = '2026-10';
const ZONE = 'Asia/Seoul';
const hasPoppler = !spawnSync('pdftotext', ['-v']).error;

describe.skipIf(prometheusInstallHint() !== null)(
  'month to date: provisional versions, then the final month (real CLI and Prometheus)',
  () => {
    let dir: string;
    let out: string;
    let configPath: string;
    let prometheus: PrometheusHandle;
    const versions: Record<string, string> = {};
    const totals: Record<string, string> = {};

    const cli = async (iso: string, ...argv: string[]) => {
      const r = await runCliCaptured(Date.parse(iso), ...argv, '--config', configPath, '--quiet');
      return { ...r, lastLine: r.stderr.trimEnd().split('\n').pop() ?? '' };
    };
    const text = (key: string) => readFile(join(out, key), 'utf8');
    const json = async <T = Record<string, unknown>>(key: string) => JSON.parse(await text(key)) as T;
    const pdfText = (key: string) =>
      execFileSync('pdftotext', ['-layout', join(out, key), '-'], { encoding: 'utf8' })
        .split('\f')
        .slice(0, -1);
    /** Every file under the output with the SHA-256 of its bytes. */
    const snapshot = async () => {
      const files: Record<string, string> = {};
      for (const entry of await readdir(out, { recursive: true, withFileTypes: true })) {
        if (!entry.isFile()) continue;
        const path = join(entry.parentPath, entry.name);
        files[path] = createHash('sha256')
          .update(await readFile(path))
          .digest('hex');
      }
      return files;
    };
    const chargeClasses = async () =>
      new Set(readCsvObjects(await text(`${MONTH}/chargeback.csv`)).map((r) => r.ChargeClass));
    const teamPdfs = async () =>
      (await json<{ files: { key: string }[] }>(`${MONTH}/manifest.json`)).files
        .map((f) => f.key)
        .filter((k) => k.startsWith(`${MONTH}/teams/`) && k.endsWith('/report.pdf'));

    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'gcb-mtd-'));
      out = join(dir, 'reports');
      // The same series (and cache key) as the adversarial reruns.
      const key = `adversarial-small-${MONTH}-${ZONE.replace('/', '_')}-v1`;
      const files = (await hasCachedTsdb(key))
        ? []
        : await writeOpenMetrics(smallClusterSimulation(MONTH, ZONE), join(dir, 'om'));
      prometheus = await startPrometheusWithData(files, { cacheKey: key });
      configPath = join(dir, 'config.json');
      await writeFile(
        configPath,
        JSON.stringify({
          ...smallClusterConfig({ timezone: ZONE }),
          source: { kind: 'prometheus', url: prometheus.url, maxRetries: 1, timeoutSeconds: 10 },
          output: { location: out },
        }),
      );
    }, 600_000);

    afterAll(async () => {
      await prometheus?.stop();
      if (dir) await rm(dir, { recursive: true, force: true });
      console.info(`month to date: ${JSON.stringify({ versions, totals })}`);
    });

    it('refuses the month on its first day: no day of it has ended yet', async () => {
      const r = await cli('2026-10-01T03:00:00Z', 'report', '--month', MONTH);
      expect(r.code).toBe(2);
      expect(r.lastLine).toMatch(
        /none of its days has ended either: its first day ends 2026-10-02T00:00:00\+09:00/,
      );
    });

    it(
      'publishes a provisional version through the last ended day, marked everywhere, metering no other day',
      { timeout: 180_000 },
      async () => {
        // 12:00 on 10 October in Seoul: 1–9 October have ended.
        const r = await cli('2026-10-10T03:00:00Z', 'report', '--month', MONTH);
        expect([r.code, r.stderr]).toEqual([0, '']);
        const result = JSON.parse(r.stdout);
        const provisional = {
          throughDay: '2026-10-09',
          daysMetered: 9,
          daysInMonth: 31,
          monthEnd: '2026-11-01T00:00:00+09:00',
        };
        expect(result).toMatchObject({ restated: false, unchanged: false, provisional });
        versions.through09 = result.versionId;
        totals.through09 = result.total;

        const manifest = await json(`${MONTH}/manifest.json`);
        expect(manifest).toMatchObject({ provisional, chargeClass: '', restates: null });
        expect(manifest.replacesProvisional).toBeUndefined();
        const summary = await json<Summary>(`${MONTH}/summary.json`);
        expect(summary.provisional).toEqual(provisional);
        expect(summary.period).toMatchObject({ days: 9, end: '2026-10-10T00:00:00+09:00', hours: 216 });
        expect(summary.byDay.map((d) => d.date).at(-1)).toBe('2026-10-09');
        expect(summary.restatement).toBeUndefined();
        // Only ended days were metered and stored: 9 partials, none for 10 October.
        expect((await readdir(join(out, 'usage'))).sort()).toEqual(
          Array.from({ length: 9 }, (_, i) => `${MONTH}-0${i + 1}.json`),
        );
        expect(await chargeClasses()).toEqual(new Set(['']));
        expect(await text(`${MONTH}/report.html`)).toContain(
          'Provisional — month to date through 2026-10-09 (9 of 31 days).',
        );
        if (hasPoppler) {
          const pages = pdfText(`${MONTH}/executive-report.pdf`);
          for (const page of pages) expect(page).toContain('PROVISIONAL · through 2026-10-09');
          expect(pages[0]!.replace(/\s+/g, ' ')).toContain(
            'Provisional — month to date through 2026-10-09 (9 of 31 days)',
          );
          const teams = await teamPdfs();
          expect(teams.length).toBeGreaterThan(1);
          for (const key of teams) {
            const [page] = pdfText(key);
            expect(page).toContain('PROVISIONAL · through 2026-10-09');
            expect(page!.replace(/\s+/g, ' ')).toContain('Provisional — month to date through 2026-10-09');
          }
        }
      },
    );

    it(
      'replaces it with a longer provisional version: not a Correction, the replaced version recorded',
      { timeout: 180_000 },
      async () => {
        const r = await cli('2026-10-20T03:00:00Z', 'report', '--month', MONTH);
        expect([r.code, r.stderr]).toEqual([0, '']);
        const result = JSON.parse(r.stdout);
        expect(result).toMatchObject({
          restated: false,
          unchanged: false,
          replacedProvisional: versions.through09,
          provisional: { throughDay: '2026-10-19', daysMetered: 19 },
        });
        versions.through19 = result.versionId;
        totals.through19 = result.total;
        // The total more than doubles: no restatement floor applies to a month that ran on.
        expect(Number(result.total)).toBeGreaterThan(2 * Number(totals.through09));
        const manifest = await json(`${MONTH}/manifest.json`);
        expect(manifest).toMatchObject({
          chargeClass: '',
          provisional: { throughDay: '2026-10-19' },
          replacesProvisional: { versionId: versions.through09, throughDay: '2026-10-09' },
          restates: { versionId: versions.through09 },
        });
        expect((await json<Summary>(`${MONTH}/summary.json`)).restatement).toBeUndefined();
        expect(await chargeClasses()).toEqual(new Set(['']));
        if (hasPoppler) {
          const pages = pdfText(`${MONTH}/executive-report.pdf`);
          expect(pages.join('\n')).not.toMatch(/Restatement|Correction/);
          for (const page of pages) expect(page).toContain('PROVISIONAL · through 2026-10-19');
        }
      },
    );

    it('refuses a provisional version through fewer days than the published one, writing nothing', async () => {
      const before = await snapshot();
      const r = await cli('2026-10-15T03:00:00Z', 'report', '--month', MONTH);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.lastLine).toContain(
        'it covers fewer ended days (through 2026-10-14, 14) than the published provisional version (through 2026-10-19, 19)',
      );
      expect(await snapshot()).toEqual(before);
    });

    it(
      'publishes the final month over the provisional one: not a Correction, unmarked, the provisional recorded',
      { timeout: 180_000 },
      async () => {
        const r = await cli('2026-11-22T12:00:00Z', 'report', '--month', MONTH);
        expect([r.code, r.stderr]).toEqual([0, '']);
        const result = JSON.parse(r.stdout);
        expect(result).toMatchObject({
          restated: false,
          unchanged: false,
          replacedProvisional: versions.through19,
        });
        expect(result.provisional).toBeUndefined();
        versions.final = result.versionId;
        totals.final = result.total;
        const manifest = await json(`${MONTH}/manifest.json`);
        expect(manifest).toMatchObject({
          chargeClass: '',
          replacesProvisional: { versionId: versions.through19, throughDay: '2026-10-19' },
        });
        expect(manifest.provisional).toBeUndefined();
        const summary = await json<Summary>(`${MONTH}/summary.json`);
        expect(summary.provisional).toBeUndefined();
        expect(summary.restatement).toBeUndefined();
        expect(summary.period.days).toBe(31);
        expect(await chargeClasses()).toEqual(new Set(['']));
        expect(await text(`${MONTH}/report.html`)).not.toContain('id="provisional"');
        if (hasPoppler) {
          const all = pdfText(`${MONTH}/executive-report.pdf`).join('\n');
          expect(all).not.toMatch(/PROVISIONAL|Provisional|Restatement|Correction/);
        }
      },
    );

    it('never lets a provisional version replace the final month, not even forced', async () => {
      const before = await snapshot();
      for (const force of [[], ['--force', '--reason', 'team leads asked for it']]) {
        const r = await cli('2026-10-25T03:00:00Z', 'report', '--month', MONTH, ...force);
        expect(r.code).toBe(1);
        expect(r.lastLine).toContain(
          `refusing to publish a provisional version of ${MONTH} over version ${versions.final}`,
        );
        expect(r.lastLine).toContain('the published version is final');
      }
      expect(await snapshot()).toEqual(before);
    });
  },
);
