/**
 * One day of a large fleet through the sharded path (issue #18): the scale scenario (src/sim/scalePreset.ts)
 * for one day, backfilled once into a cached TSDB, served by a real Prometheus behind the counting proxy;
 * the day's shard plan (config `sharding`, from the fleet Prometheus reports), then every shard metered
 * and stored in its own fresh child process, as one `backfillDay` Lambda does (wall, CPU, peak RSS, peak
 * heap against the bytes of the compact answers it held), with Prometheus' requests, bytes, samples and
 * CPU per shard; the day metered whole for comparison (--whole); the month step from the stored shard
 * partials; and the raw-read floor: Prometheus' CPU and samples to `count_over_time` every needed selector
 * over the day, measured in the same run.
 *
 *   node --import tsx bench/day.ts --sizes 1024,4096            # auto plan for a 3,008 MB budget
 *   node --import tsx bench/day.ts --sizes 256 --shards 3 --whole
 *   node --import tsx bench/day.ts --sizes 1024 --budget 10240 --json out.json
 *   node --import tsx bench/day.ts --sizes 256 --whole --compression none --step-evaluation adapter
 *   node --import tsx bench/day.ts --sizes 256 --shards 2 --by-query   # each invocation's requests by query
 *   node --import tsx bench/day.ts --sizes 1024 --shards 2 --whole --read-api remote   # raw reads by remote read
 *   node --import tsx bench/day.ts --sizes 1024 --shards 2 --whole --replay 3   # and replayed alone, 3 times
 *   node --import tsx bench/day.ts --sizes 1024 --shards 2 --whole --dump-requests /tmp/d1024   # for bench/promProfile.ts
 *   node --import tsx bench/day.ts --sizes 1024 --shards 2 --live-heap   # peak heap after a full collection, not sampled
 *   node --import tsx bench/day.ts --sizes 1024 --shards 2 --warm   # Prometheus warmed on the day before the first shard
 *   node --import tsx bench/day.ts --sizes 1024 --shards 1 --daemon-pods 10   # and 10 pods without a GPU a node
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startPrometheusWithData } from '../test/support/prometheus.ts';
import { NEEDED_SELECTORS } from './e2e.ts';
import { ensureDataset, type ScaleDataset } from './lib/backfill.ts';
import { type ProxiedRequest, startCountingProxy } from './lib/proxy.ts';
import {
  byQuery,
  instantSum,
  lastJson,
  machineLine,
  mb,
  millions,
  procCpuSeconds,
  queryShape,
  replayRequest,
  runNode,
  sec,
  table,
} from './lib/util.ts';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** How many times the raw-read floor is measured in a run (its median is the run's floor). */
const FLOOR_RUNS = 5;

/** What one child measured of itself. */
interface ChildResult {
  code: number;
  error?: string;
  wallSeconds: number;
  cpuSeconds: number;
  maxRssMiB: number;
  /**
   * Largest heapUsed + arrayBuffers seen: sampled every 20 ms while the event loop is free (so a peak
   * inside one long synchronous step can be missed; maxRssMiB cannot) and once at the end. With
   * --live-heap, each sample follows a full collection: the peak of what is still reachable, without the
   * garbage V8 has not collected yet (slower: a collection every 20 ms).
   */
  peakHeapMiB: number;
  /**
   * heapUsed + arrayBuffers after a full collection once the code is loaded, before metering: the
   * process and its modules (tsx's loader included), which a shard's data adds to.
   */
  baseHeapMiB: number;
  /** Bytes of the compact answers the Prometheus source held at most (typed arrays + interned labels). */
  compactMiB: number;
  pods: number;
  /** Raw reads answered by remote read, and the samples in their chunks (source.readApi "remote"). */
  remoteReads?: number;
  remoteReadSamples?: number;
}

export interface ShardRow extends ChildResult {
  index: number;
  count: number;
  requests: number;
  bytes: number;
  samples: number;
  promCpuSeconds: number;
}

export interface DayRow {
  gpus: number;
  date: string;
  backfill: { cached: boolean; seconds: number; textBytes: number; samples: number; tsdbBytes: number };
  gpuUnits: number;
  budgetMb: number;
  shards: ShardRow[];
  whole?: ShardRow;
  month?: { wallSeconds: number; maxRssMiB: number; code: number };
  floor: { promCpuSeconds: number; samples: number; byFamily: Record<string, number>; runs: number[] };
  /**
   * --replay: every invocation's query requests sent again one at a time, alone on Prometheus, and the
   * floor, `runs` times: Prometheus CPU-s per run (shards summed), less sensitive to the machine's load
   * than the invocations' own figures (no other request of ours in flight).
   */
  replay?: { shards: number[]; whole: number[]; floor: number[] };
  loadBefore: string;
  loadAfter: string;
}

/** Per needed family, its raw samples in the day (`count_over_time` of its selector over the day). */
async function countNeeded(url: string, date: string, zone: string): Promise<Record<string, number>> {
  const { dayOf } = await import('../src/core/period.ts');
  const day = dayOf(date, zone);
  const out: Record<string, number> = {};
  for (const [family, selector] of Object.entries(NEEDED_SELECTORS)) {
    out[family] = await instantSum(
      url,
      `sum(count_over_time(${selector}[${day.endMs - day.startMs}ms]))`,
      day.endMs / 1000,
    );
  }
  return out;
}

async function loadAverage(): Promise<string> {
  return (await readFile('/proc/loadavg', 'utf8')).split(' ').slice(0, 3).join(' ');
}

async function measureSize(
  d: ScaleDataset,
  options: {
    shards: number | 'auto';
    budgetMb: number;
    whole: boolean;
    compression: 'gzip' | 'none';
    stepEvaluation: 'prometheus' | 'adapter';
    readApi: 'query' | 'remote';
    byQuery?: boolean;
    replay?: number;
    /** --warm: the day's needed samples read once (unmeasured) before the first invocation. */
    warm?: boolean;
    /** Each invocation's query requests into `<prefix>-<count>-<index>.json` (bench/promProfile.ts). */
    dumpRequests?: string;
    /** Peak heap after a full collection at each sample (ChildResult.peakHeapMiB). */
    liveHeap?: boolean;
  },
  log: (line: string) => void,
): Promise<DayRow> {
  log(`== ${d.gpus} GPUs × 1 day: simulate + backfill (cached in .cache/tsdb)`);
  const scratch = await mkdtemp(join(tmpdir(), 'gcb-day-om-'));
  let backfill: Awaited<ReturnType<typeof ensureDataset>>;
  try {
    backfill = await ensureDataset(d, join(REPO, '.cache', 'tsdb'), scratch, log);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  log(
    backfill.cached
      ? `  cached TSDB ${backfill.cacheKey} (${mb(backfill.tsdbBytes)} MiB)`
      : `  backfilled ${millions(backfill.samples)} samples (${mb(backfill.textBytes)} MiB of text) in ${sec(backfill.seconds)} s`,
  );
  const prometheus = await startPrometheusWithData([], { cacheKey: backfill.cacheKey });
  const proxy = await startCountingProxy(prometheus.url);
  const work = await mkdtemp(join(tmpdir(), 'gcb-day-'));
  const date = `${d.month}-01`;
  try {
    const { demoConfig } = await import('../src/app/demoConfig.ts');
    const config = {
      ...demoConfig,
      timezone: d.zone,
      metering: { scrapeIntervalSeconds: { kubeStateMetrics: d.ksmSeconds, dcgm: d.dcgmSeconds } },
      source: {
        kind: 'prometheus',
        url: proxy.url,
        compression: options.compression,
        stepEvaluation: options.stepEvaluation,
        readApi: options.readApi,
      },
      output: { location: join(work, 'out') },
      sharding: { memoryBudgetMb: options.budgetMb, shards: options.shards },
      guard: { minCoveragePct: 0 },
    };
    await mkdir(join(work, 'out'), { recursive: true });
    const configPath = join(work, 'config.json');
    await writeFile(configPath, JSON.stringify(config));
    const loadBefore = await loadAverage();

    const plan = lastJson<{ count: number; gpuUnits: number }>(
      (await runNode([join(REPO, 'bench/day.ts'), '--child-plan', configPath, date], { cwd: REPO })).stdout,
    );
    log(`  plan: ${plan.count} shard(s) for ${plan.gpuUnits} GPU units (budget ${options.budgetMb} MB)`);
    const captured: { whole: boolean; requests: ProxiedRequest[] }[] = [];
    const meter = async (index: number, count: number, out: string): Promise<ShardRow> => {
      proxy.reset();
      const cpu0 = await procCpuSeconds(prometheus.pid);
      const child = lastJson<ChildResult>(
        (
          await runNode(
            [
              '--expose-gc',
              join(REPO, 'bench/day.ts'),
              '--child-shard',
              configPath,
              date,
              String(index),
              String(count),
              out,
              ...(options.liveHeap ? ['live'] : []),
            ],
            { cwd: REPO },
          )
        ).stdout,
      );
      await new Promise((r) => setTimeout(r, 300));
      const cpu1 = await procCpuSeconds(prometheus.pid);
      const requests: ProxiedRequest[] = [...proxy.requests];
      captured.push({ whole: count === 1 && options.whole && plan.count > 1, requests });
      if (options.dumpRequests) {
        await writeFile(
          `${options.dumpRequests}-${count}-${index}.json`,
          JSON.stringify({ cacheKey: backfill.cacheKey, requests }),
        );
      }
      if (child.code !== 0) throw new Error(`shard ${index + 1}/${count} failed: ${child.error}`);
      const row: ShardRow = {
        ...child,
        index,
        count,
        requests: requests.length,
        bytes: requests.reduce((s, r) => s + r.bytes, 0),
        // Remote reads have no stats: the samples of the chunks they were sent, as the client counted them.
        samples: requests.reduce((s, r) => s + r.samples, 0) + (child.remoteReadSamples ?? 0),
        promCpuSeconds: cpu1 - cpu0,
      };
      if (options.byQuery) for (const line of byQuery(requests)) log(`    ${line}`);
      log(
        `  shard ${index + 1}/${count}: ${sec(row.wallSeconds)} s, ${Math.round(row.maxRssMiB)} MiB RSS, ` +
          `heap ${Math.round(row.peakHeapMiB)} MiB, compact ${row.compactMiB.toFixed(1)} MiB, ${row.pods} pod rows, ` +
          `${row.requests} requests${row.remoteReads ? ` (${row.remoteReads} remote reads)` : ''}, ` +
          `${millions(row.samples)} samples, Prom CPU ${sec(row.promCpuSeconds)} s`,
      );
      return row;
    };
    if (options.warm) {
      // --warm: every needed raw sample read once before the first invocation, so that no invocation
      // pays for a Prometheus that has not yet touched the day (its chunks' pages, its postings, its Go
      // heap); the floor is measured after the invocations, as warm.
      log('  warming Prometheus: count_over_time of every needed selector over the day (not measured)');
      await countNeeded(prometheus.url, date, d.zone);
    }
    const shards: ShardRow[] = [];
    for (let index = 0; index < plan.count; index++)
      shards.push(await meter(index, plan.count, join(work, 'out')));
    let whole: ShardRow | undefined;
    if (options.whole && plan.count > 1) {
      await mkdir(join(work, 'whole'), { recursive: true });
      whole = await meter(0, 1, join(work, 'whole'));
    }

    // The month step, from the stored shard partials (every other day of the month is empty: stored too).
    log('  month step from the stored partials');
    proxy.reset();
    const monthRun = lastJson<{ code: number; wallSeconds: number; maxRssMiB: number }>(
      (await runNode([join(REPO, 'bench/day.ts'), '--child-month', configPath, d.month], { cwd: REPO }))
        .stdout,
    );

    // The floor: Prometheus' CPU to read every needed raw sample of the day once.
    // Five runs: on a shared machine three gave medians 20 % apart for the same day (docs/performance.md).
    log(`  raw-read floor: count_over_time of every needed selector over the day (${FLOOR_RUNS} runs)`);
    const runs: number[] = [];
    const byFamily: Record<string, number> = {};
    const floorOnce = async () => {
      const cpu0 = await procCpuSeconds(prometheus.pid);
      Object.assign(byFamily, await countNeeded(prometheus.url, date, d.zone));
      return (await procCpuSeconds(prometheus.pid)) - cpu0;
    };
    for (let run = 0; run < FLOOR_RUNS; run++) runs.push(await floorOnce());
    const sorted = [...runs].sort((a, b) => a - b);
    // --replay: each invocation's requests again, one at a time, then the floor, `options.replay` times.
    let replay: DayRow['replay'];
    if (options.replay) {
      log(`  replaying every invocation's requests one at a time, and the floor (${options.replay} runs)`);
      const send = (r: ProxiedRequest) => replayRequest(prometheus.url, r);
      // Per query shape (byQuery's key) and kind of invocation: CPU-s over all runs, in /proc's ticks.
      const byShape = new Map<string, { shards: number; whole: number }>();
      const cpuOf = async (requests: readonly ProxiedRequest[], whole: boolean) => {
        const cpu0 = await procCpuSeconds(prometheus.pid);
        let last = cpu0;
        for (const r of requests) {
          await send(r);
          const now = await procCpuSeconds(prometheus.pid);
          const key = queryShape(r);
          const g = byShape.get(key) ?? { shards: 0, whole: 0 };
          g[whole ? 'whole' : 'shards'] += now - last;
          byShape.set(key, g);
          last = now;
        }
        return last - cpu0;
      };
      replay = { shards: [], whole: [], floor: [] };
      for (let run = 0; run < options.replay; run++) {
        let shardsCpu = 0;
        for (const c of captured) {
          const cpu = await cpuOf(c.requests, c.whole);
          if (c.whole) replay.whole.push(cpu);
          else shardsCpu += cpu;
        }
        replay.shards.push(shardsCpu);
        replay.floor.push(await floorOnce());
      }
      if (options.byQuery) {
        log(`  replayed CPU-s by query over the ${options.replay} runs (all shards | whole day):`);
        for (const [key, g] of [...byShape].sort((a, b) => b[1].shards - a[1].shards))
          log(`    ${g.shards.toFixed(2).padStart(6)} | ${g.whole.toFixed(2).padStart(6)}  ${key}`);
      }
    }
    return {
      gpus: d.gpus,
      date,
      backfill: {
        cached: backfill.cached,
        seconds: backfill.seconds,
        textBytes: backfill.textBytes,
        samples: backfill.samples,
        tsdbBytes: backfill.tsdbBytes,
      },
      gpuUnits: plan.gpuUnits,
      budgetMb: options.budgetMb,
      shards,
      ...(whole ? { whole } : {}),
      month: monthRun,
      ...(replay ? { replay } : {}),
      floor: {
        promCpuSeconds: sorted[Math.floor(sorted.length / 2)]!,
        samples: Object.values(byFamily).reduce((a, b) => a + b, 0),
        byFamily,
        runs,
      },
      loadBefore,
      loadAfter: await loadAverage(),
    };
  } finally {
    await proxy.close();
    await prometheus.stop();
    await rm(work, { recursive: true, force: true });
  }
}

async function childContext(configPath: string) {
  const { parseConfig } = await import('../src/config/loadConfig.ts');
  const { createPrometheusSource } = await import('../src/adapters/prometheus/index.ts');
  const { createFsStore } = await import('../src/adapters/fs/fsStore.ts');
  const config = parseConfig(JSON.parse(await readFile(configPath, 'utf8')));
  const logger = { info() {}, warn() {}, error() {}, progress() {} };
  const source = createPrometheusSource({ config, logger });
  return {
    source,
    ctx: {
      config,
      source,
      store: createFsStore(config.output.location),
      metrics: { publish: async () => {} },
      logger,
      clock: { nowMs: () => Date.now() },
    },
  };
}

/** The child of one shard: meters and stores it as backfillDay does, measuring itself. */
async function childShard(args: string[]): Promise<void> {
  const [configPath, date, index, count, out, heap] = args as [
    string,
    string,
    string,
    string,
    string,
    string?,
  ];
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  let peakHeap = 0;
  const gc = (globalThis as { gc?: () => void }).gc;
  const sample = () => {
    if (heap === 'live') gc?.();
    const m = process.memoryUsage();
    peakHeap = Math.max(peakHeap, m.heapUsed + m.arrayBuffers);
  };
  const timer = setInterval(sample, 20);
  const result: ChildResult = {
    code: 0,
    wallSeconds: 0,
    cpuSeconds: 0,
    maxRssMiB: 0,
    peakHeapMiB: 0,
    baseHeapMiB: 0,
    compactMiB: 0,
    pods: 0,
  };
  try {
    const { ctx, source } = await childContext(configPath);
    ctx.config = { ...ctx.config, output: { ...ctx.config.output, location: out } };
    const { createFsStore } = await import('../src/adapters/fs/fsStore.ts');
    ctx.store = createFsStore(out);
    const { meterAndStoreDay } = await import('../src/app/meterDay.ts');
    (globalThis as { gc?: () => void }).gc?.();
    const before = process.memoryUsage();
    result.baseHeapMiB = (before.heapUsed + before.arrayBuffers) / 1024 / 1024;
    peakHeap = 0;
    const day = await meterAndStoreDay(ctx, date, {}, { index: Number(index), count: Number(count) });
    result.pods = day.pods.length;
    sample();
    result.compactMiB = ((source.stats as { peakCompactBytes?: number }).peakCompactBytes ?? 0) / 1024 / 1024;
    result.remoteReads = source.stats.remoteReads;
    result.remoteReadSamples = source.stats.remoteReadSamples;
  } catch (error) {
    result.code = 1;
    result.error = String((error as Error).stack ?? error);
  } finally {
    clearInterval(timer);
  }
  const cpu = process.cpuUsage(cpu0);
  result.wallSeconds = (performance.now() - t0) / 1000;
  result.cpuSeconds = (cpu.user + cpu.system) / 1e6;
  result.maxRssMiB = process.resourceUsage().maxRSS / 1024;
  result.peakHeapMiB = peakHeap / 1024 / 1024;
  console.log(JSON.stringify(result));
}

async function childPlan(args: string[]): Promise<void> {
  const [configPath, date] = args as [string, string];
  const { ctx, source } = await childContext(configPath);
  const { planDayShards } = await import('../src/app/meterDay.ts');
  const { dayOf } = await import('../src/core/period.ts');
  const count = await planDayShards(ctx, date);
  const fleet = await source.measureFleet!(dayOf(date, ctx.config.timezone));
  console.log(JSON.stringify({ count, gpuUnits: fleet.gpuUnits }));
}

/** The month step: the whole month from stored partials (days without a partial are metered: empty). */
async function childMonth(args: string[]): Promise<void> {
  const [configPath, month] = args as [string, string];
  const t0 = performance.now();
  const { ctx } = await childContext(configPath);
  const { runMonthlyReport } = await import('../src/app/runMonthlyReport.ts');
  let code = 0;
  try {
    await runMonthlyReport(ctx, month, { concurrency: 8 });
  } catch (error) {
    code = 1;
    process.stderr.write(`${String(error)}\n`);
  }
  console.log(
    JSON.stringify({
      code,
      wallSeconds: (performance.now() - t0) / 1000,
      maxRssMiB: process.resourceUsage().maxRSS / 1024,
    }),
  );
}

export function printDay(rows: DayRow[], out: (line: string) => void): void {
  for (const r of rows) {
    const total = (f: (s: ShardRow) => number) => r.shards.reduce((sum, s) => sum + f(s), 0);
    out(
      `\n${r.gpus} GPUs, ${r.date} (${r.gpuUnits} GPU units): ${r.shards.length} shard(s) for a ${r.budgetMb} MB budget; ` +
        `load average ${r.loadBefore} before, ${r.loadAfter} after` +
        (r.backfill.cached
          ? ''
          : `; generated ${millions(r.backfill.samples)} samples (${mb(r.backfill.textBytes)} MiB of text) in ${sec(r.backfill.seconds)} s`),
    );
    const line = (name: string, s: ShardRow) => [
      name,
      sec(s.wallSeconds),
      sec(s.cpuSeconds),
      Math.round(s.maxRssMiB),
      Math.round(s.peakHeapMiB),
      s.compactMiB.toFixed(1),
      s.compactMiB > 0 ? (s.peakHeapMiB / s.compactMiB).toFixed(2) : '-',
      Math.round(s.baseHeapMiB ?? 0),
      s.compactMiB > 0 ? ((s.peakHeapMiB - (s.baseHeapMiB ?? 0)) / s.compactMiB).toFixed(2) : '-',
      s.pods,
      s.requests,
      mb(s.bytes),
      millions(s.samples),
      sec(s.promCpuSeconds),
    ];
    out(
      table(
        [
          'invocation',
          'wall s',
          'CPU s',
          'peak RSS MiB',
          'peak heap MiB',
          'compact MiB',
          'heap/compact',
          'heap before MiB',
          '(peak-before)/compact',
          'pod rows',
          'requests',
          'MiB recv',
          'samples',
          'Prom CPU s',
        ],
        [
          ...r.shards.map((s) => line(`shard ${s.index + 1}/${s.count}`, s)),
          [
            'all shards',
            sec(total((s) => s.wallSeconds)),
            sec(total((s) => s.cpuSeconds)),
            Math.round(Math.max(...r.shards.map((s) => s.maxRssMiB))),
            Math.round(Math.max(...r.shards.map((s) => s.peakHeapMiB))),
            '',
            '',
            '',
            '',
            total((s) => s.pods),
            total((s) => s.requests),
            mb(total((s) => s.bytes)),
            millions(total((s) => s.samples)),
            sec(total((s) => s.promCpuSeconds)),
          ],
          ...(r.whole ? [line('whole day (1 shard)', r.whole)] : []),
        ],
      ),
    );
    out(
      `raw-read floor (count_over_time of the needed selectors over the day): ${millions(r.floor.samples)} samples, ` +
        `Prometheus CPU ${r.floor.promCpuSeconds.toFixed(2)} s (median of ${r.floor.runs.map((x) => x.toFixed(2)).join(', ')})`,
    );
    out(
      `all shards vs floor: Prometheus CPU ${(total((s) => s.promCpuSeconds) / r.floor.promCpuSeconds).toFixed(2)}x, ` +
        `samples ${(total((s) => s.samples) / r.floor.samples).toFixed(2)}x` +
        (r.month
          ? `; month step from partials ${sec(r.month.wallSeconds)} s, ${Math.round(r.month.maxRssMiB)} MiB RSS`
          : ''),
    );
    if (r.replay) {
      const fmt = (xs: number[]) => xs.map((x) => x.toFixed(2)).join(', ');
      const ratios = r.replay.shards.map((x, i) => x / r.replay!.floor[i]!);
      const wholeRatios = r.replay.whole.map((x, i) => x / r.replay!.floor[i]!);
      out(
        `replayed one request at a time (Prometheus CPU-s per run): all shards ${fmt(r.replay.shards)}` +
          (r.replay.whole.length > 0 ? `; whole day ${fmt(r.replay.whole)}` : '') +
          `; floor ${fmt(r.replay.floor)}; all shards vs floor ${fmt(ratios)}x` +
          (wholeRatios.length > 0 ? `; whole day vs floor ${fmt(wholeRatios)}x` : ''),
      );
    }
  }
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      sizes: { type: 'string', default: '1024,4096' },
      'daemon-pods': { type: 'string', default: '0' },
      month: { type: 'string', default: '2026-10' },
      zone: { type: 'string', default: 'UTC' },
      seed: { type: 'string', default: '42' },
      shards: { type: 'string', default: 'auto' },
      budget: { type: 'string', default: '3008' },
      whole: { type: 'boolean', default: false },
      compression: { type: 'string', default: 'none' },
      'step-evaluation': { type: 'string', default: 'adapter' },
      'read-api': { type: 'string', default: 'query' },
      json: { type: 'string' },
      'by-query': { type: 'boolean', default: false },
      replay: { type: 'string', default: '0' },
      warm: { type: 'boolean', default: false },
      'dump-requests': { type: 'string' },
      'live-heap': { type: 'boolean', default: false },
      'child-shard': { type: 'boolean', default: false },
      'child-plan': { type: 'boolean', default: false },
      'child-month': { type: 'boolean', default: false },
    },
  });
  if (values['child-shard']) return childShard(positionals);
  if (values['child-plan']) return childPlan(positionals);
  if (values['child-month']) return childMonth(positionals);
  const out = (line: string) => process.stdout.write(`${line}\n`);
  const log = (line: string) => process.stderr.write(`${line}\n`);
  out(machineLine());
  const rows: DayRow[] = [];
  for (const gpus of values.sizes.split(',').map(Number)) {
    rows.push(
      await measureSize(
        {
          gpus,
          days: 1,
          month: values.month,
          zone: values.zone,
          seed: Number(values.seed),
          ksmSeconds: 60,
          dcgmSeconds: 30,
          ...(Number(values['daemon-pods']) > 0 ? { daemonPodsPerNode: Number(values['daemon-pods']) } : {}),
        },
        {
          shards: values.shards === 'auto' ? 'auto' : Number(values.shards),
          budgetMb: Number(values.budget),
          whole: values.whole,
          compression: values.compression === 'none' ? 'none' : 'gzip',
          stepEvaluation: values['step-evaluation'] === 'adapter' ? 'adapter' : 'prometheus',
          readApi: values['read-api'] === 'remote' ? 'remote' : 'query',
          byQuery: values['by-query'],
          replay: Number(values.replay),
          warm: values.warm,
          ...(values['dump-requests'] ? { dumpRequests: values['dump-requests'] } : {}),
          liveHeap: values['live-heap'],
        },
        log,
      ),
    );
  }
  out(
    `\none day (UTC) through the sharded path against Prometheus 2.42 on loopback; KSM 60 s, DCGM 30 s; ` +
      `source.compression ${values.compression}, source.stepEvaluation ${values['step-evaluation']}, ` +
      `source.readApi ${values['read-api']}` +
      (values['live-heap'] ? '; peak heap: live (each 20 ms sample after a full collection)' : ''),
  );
  printDay(rows, out);
  if (values.json) await writeFile(values.json, JSON.stringify(rows, null, 2));
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().then(
    () => process.exit(0),
    (error) => {
      console.error(error);
      process.exit(1);
    },
  );
}
