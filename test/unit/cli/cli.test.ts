import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { planBackfill } from '../../../src/core/backfillPlan.ts';
import { runCliCaptured } from '../../support/cli.ts';

const NOW = Date.parse('2026-11-22T12:00:00Z');
const run = (...argv: string[]) => runCliCaptured(NOW, ...argv);

describe('gpu-chargeback CLI', () => {
  it('prints the commands on --help and exits 0', async () => {
    const r = await run('--help');
    expect(r.code).toBe(0);
    for (const c of ['report', 'backfill', 'demo', 'validate-config', 'simulate', 'get'])
      expect(r.stdout).toContain(c);
  });

  it('prints each command help with its flags', async () => {
    const r = await run('report', '--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/--month YYYY-MM/);
    expect(r.stdout).toMatch(/--prometheus-url URL/);
    expect(r.stdout).toMatch(/--out DIR\|s3:\/\/bucket\/prefix/);
    expect(r.stdout).toMatch(/--timezone Area\/City/);
  });

  it.each([
    [['report', '--month', '2026-13'], /not a month/],
    [['report', '--month', '2030-01'], /in the future/],
    [['report'], /--month YYYY-MM is required/],
    [['report', '--month', '2026-10', '--bogus'], /Unknown option '--bogus'/],
    [['report', '--month', '2026-10', '--timezone', 'Mars/Olympus'], /not an IANA time zone/],
    [['report', '--month', '2026-10', '--config', '/nonexistent/config.yaml'], /cannot read config file/],
    [['nope'], /unknown command "nope"/],
  ])('rejects %j with exit code 2 and a one-line reason', async (argv, message) => {
    const r = await run(...argv);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('reports every config error with its path at once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gcb-cli-'));
    const file = join(dir, 'bad.yaml');
    writeFileSync(
      file,
      'timezone: Nowhere/Land\npricing:\n  currency: usd\n  instanceTypes:\n    g5.xlarge: { gpus: 0, gpuModel: A10G, onDemand: -1 }\nsurprise: 1\n',
    );
    const r = await run('validate-config', file);
    expect(r.code).toBe(2);
    const out = JSON.parse(r.stdout) as { valid: boolean; issues: { path: string }[] };
    expect(out.valid).toBe(false);
    const paths = out.issues.map((i) => i.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'timezone',
        'pricing.currency',
        'pricing.instanceTypes.g5.xlarge.gpus',
        'pricing.instanceTypes.g5.xlarge.onDemand',
        'surprise',
      ]),
    );
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('prints a valid config with defaults applied', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gcb-cli-'));
    const file = join(dir, 'ok.json');
    writeFileSync(file, JSON.stringify({ timezone: 'Asia/Seoul', source: { url: 'http://127.0.0.1:9090' } }));
    const r = await run('validate-config', file);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.config.timezone).toBe('Asia/Seoul');
    expect(out.config.allocation.idle.mode).toBe('separate');
    expect(out.config.metering.pendingOnNode).toBe('not-charged');
  });

  it.each([
    [['backfill', '--from', '2026-05', '--to', '2026-04'], /is after/],
    [['backfill', '--from', '2016-01', '--to', '2026-01'], /at most 400/],
    [['backfill', '--from', '2026-12-01', '--to', '2026-12-02'], /future/],
    [['backfill', '--from', '2026-02-30', '--to', '2026-03-01'], /not a month/],
  ])('rejects backfill %j with exit code 2', async (argv, message) => {
    const r = await run(...argv, '--prometheus-url', 'http://127.0.0.1:1');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });
});

describe('planBackfill', () => {
  it('expands months into local days and lists closed months to re-run', () => {
    const plan = planBackfill('2026-02', '2026-03-02', 'Asia/Seoul', NOW);
    expect(plan.days).toHaveLength(28 + 2);
    expect(plan.days[0]).toBe('2026-02-01');
    expect(plan.days.at(-1)).toBe('2026-03-02');
    expect(plan.months).toEqual(['2026-02', '2026-03']);
    expect(plan.openMonths).toEqual([]);
  });

  it('meters the open month up to yesterday but does not re-run its report', () => {
    const plan = planBackfill('2026-11-19', '2026-11', 'Asia/Seoul', NOW);
    expect(plan.days).toEqual(['2026-11-19', '2026-11-20', '2026-11-21']);
    expect(plan.months).toEqual([]);
    expect(plan.openMonths).toEqual(['2026-11']);
  });
});
