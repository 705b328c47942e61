/**
 * `npm run bench`: the five benchmarks of docs/performance.md, each in its own child process.
 *
 *   npm run bench                                  # e2e 64, 256, 1024 GPUs × 7 days; one sharded day of
 *                                                  # 1024 and 4096 GPUs; core; bundles
 *   npm run bench -- --quick                       # e2e 64 GPUs × 2 days; a 64-GPU day in 2 shards; a
 *                                                  # small core run; bundles
 *   npm run bench -- --sizes 64,256,1024 --days 7  # choose the e2e sizes and simulated days
 *   npm run bench -- --day-sizes 1024 --shards 2   # the sharded day: sizes, shards (default auto), --whole
 *   npm run bench -- --only e2e,bundle             # any of e2e, day, core, bundle, small
 *   npm run bench -- --only small                  # the demo's month from scratch through the shipped CLI
 *
 * Needs `prometheus` and `promtool` on PATH for e2e (the first run simulates and backfills each size
 * into .cache/tsdb; later runs reuse it). Prints the machine and the tables; exits 0 when every part ran.
 * Figures are printed, not asserted: the targets are judged in docs/performance.md.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { type BundleRow, printBundles } from './bundle.ts';
import { type DayRow, printDay } from './day.ts';
import { type E2eRow, printE2e } from './e2e.ts';
import { machineLine, runNode } from './lib/util.ts';
import { printSmall, type SmallResult } from './small.ts';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    sizes: { type: 'string' },
    days: { type: 'string' },
    month: { type: 'string', default: '2026-10' },
    only: { type: 'string', default: 'e2e,day,core,bundle,small' },
    'day-sizes': { type: 'string' },
    shards: { type: 'string' },
    budget: { type: 'string', default: '3008' },
    whole: { type: 'boolean', default: false },
  },
});
const parts = new Set(values.only.split(',').map((s) => s.trim()));
const sizes = values.sizes ?? (values.quick ? '64' : '64,256,1024');
const days = values.days ?? (values.quick ? '2' : '7');
const daySizes = values['day-sizes'] ?? (values.quick ? '64' : '1024,4096');
const dayShards = values.shards ?? (values.quick ? '2' : 'auto');
const out = (line = '') => process.stdout.write(`${line}\n`);

async function main(): Promise<number> {
  out(machineLine());
  const work = await mkdtemp(join(tmpdir(), 'gcb-bench-'));
  const failed: string[] = [];
  try {
    let e2e: E2eRow[] | undefined;
    let day: DayRow[] | undefined;
    let bundles: { rows: BundleRow[]; packageSeconds: number } | undefined;
    let small: SmallResult | undefined;
    if (parts.has('e2e')) {
      out(`\n[1/5] end to end: ${sizes} GPUs × ${days} days (progress on stderr)`);
      const json = join(work, 'e2e.json');
      const r = await runNode(
        [
          join(REPO, 'bench/e2e.ts'),
          '--sizes',
          sizes,
          '--days',
          days,
          '--month',
          values.month,
          '--json',
          json,
        ],
        { cwd: REPO },
      );
      if (r.code === 0) e2e = JSON.parse(await readFile(json, 'utf8')) as E2eRow[];
      else failed.push('e2e');
    }
    if (parts.has('day')) {
      out(
        `\n[2/5] one day through the sharded path: ${daySizes} GPUs, shards ${dayShards} (progress on stderr)`,
      );
      const json = join(work, 'day.json');
      const r = await runNode(
        [
          join(REPO, 'bench/day.ts'),
          '--sizes',
          daySizes,
          '--shards',
          dayShards,
          '--budget',
          values.budget,
          '--month',
          values.month,
          ...(values.whole ? ['--whole'] : []),
          '--json',
          json,
        ],
        { cwd: REPO },
      );
      if (r.code === 0) day = JSON.parse(await readFile(json, 'utf8')) as DayRow[];
      else failed.push('day');
    }
    if (parts.has('core')) {
      out('\n[3/5] core only (bench/core.ts): pricing, allocation, CSV in process');
      const coreArgs = values.quick
        ? ['--pods', '50000', '--gpus', '1000', '--sizes', '1', '--policy', 'allocation/separate']
        : [];
      const r = await runNode([join(REPO, 'bench/core.ts'), ...coreArgs], { cwd: REPO, inheritStdout: true });
      if (r.code !== 0) failed.push('core');
    }
    if (parts.has('bundle')) {
      out('\n[4/5] bundles: serverless package --stage ci, zip sizes, cold handler import');
      const json = join(work, 'bundle.json');
      const r = await runNode([join(REPO, 'bench/bundle.ts'), '--json', json], { cwd: REPO });
      if (r.code === 0) bundles = JSON.parse(await readFile(json, 'utf8'));
      else failed.push('bundle');
    }
    if (parts.has('small')) {
      out('\n[5/5] a small fleet: the demo month from scratch through the shipped CLI (progress on stderr)');
      const json = join(work, 'small.json');
      const r = await runNode(
        [join(REPO, 'bench/small.ts'), '--runs', values.quick ? '1' : '3', '--json', json],
        {
          cwd: REPO,
        },
      );
      if (r.code === 0) small = JSON.parse(await readFile(json, 'utf8')) as SmallResult;
      else failed.push('small');
    }

    out(`\n${'='.repeat(100)}\n${machineLine()}`);
    if (e2e) {
      out(
        `\nend to end: report --month ${values.month} (UTC) against Prometheus on loopback; KSM 60 s, DCGM 30 s`,
      );
      printE2e(e2e, out);
    }
    if (day) {
      out(
        `\none day through the sharded path (${values.month}-01, UTC) against Prometheus on loopback; KSM 60 s, DCGM 30 s`,
      );
      printDay(day, out);
    }
    if (bundles) {
      out(
        `\nbundles (serverless package took ${bundles.packageSeconds.toFixed(0)} s; cold import, median of 5 fresh processes):`,
      );
      printBundles(bundles.rows, out);
    }
    if (small) {
      out('\na small fleet: the demo month from scratch (bench/small.ts)');
      printSmall(small, out);
    }
    if (failed.length) out(`\nFAILED: ${failed.join(', ')}`);
    return failed.length ? 1 : 0;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
