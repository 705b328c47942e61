/**
 * A small fleet's month from scratch (issue #18, "small fleets are instant"): the demo's simulated
 * platform (src/sim preset "demo": 42 nodes over the month, 78 GPUs in all, ~3,500 pods; on-prem, MIG,
 * Spot, DRA and sidecar shapes) for a whole month in Asia/Seoul, backfilled once into a cached TSDB (the
 * same cache key as test/integration/endToEnd.test.ts, so a machine that ran the suite has it), served by
 * a real Prometheus on loopback. Each run is the shipped CLI (`bin/gpu-chargeback.js`, i.e. the bundled
 * dist/cli.mjs: run `npm run build` first) in a fresh process with a fresh output directory, so every one
 * of the month's days is metered from Prometheus (no stored partial): wall time, the process's CPU and
 * peak RSS, and Prometheus' CPU (/proc) during the run. Median of `--runs`.
 *
 *   node --import tsx bench/small.ts                     # 3 runs, DCGM scraped every 120 s (as the e2e test)
 *   node --import tsx bench/small.ts --runs 5 --json out.json
 *   node --import tsx bench/small.ts --args=--no-billing # extra arguments for `report`
 *   node --import tsx bench/small.ts --compression gzip --step-evaluation prometheus   # the previous defaults
 *   node --import tsx bench/small.ts --gpus 24           # the scale scenario (bench/lib/backfill.ts) at 24 GPUs
 *   node --import tsx bench/small.ts --gpus 64 --days 2  # samples in the first 2 days only: 29 days without samples
 *   node --import tsx bench/small.ts --requests          # also count requests (through bench/lib/proxy.ts)
 *   node --import tsx bench/small.ts --requests --by-query   # and print each run's requests grouped by query
 *   node --import tsx bench/small.ts --cpu-prof /tmp/prof  # a V8 CPU profile of each CLI run into that folder
 *   node --import tsx bench/small.ts --gpus 24 --node-args=--no-turbo-inlining  # Node/V8 flags for the CLI runs (the = form)
 *   node --import tsx bench/small.ts --gpus 24 --node 22   # the CLI runs on Node 22 (the Lambdas' runtime; a path also works)
 *   node --import tsx bench/small.ts --gpus 24 --read-api remote   # raw samples by remote read (source.readApi)
 *   node --import tsx bench/small.ts --gpus 24 --replay  # the report's own cost: Prometheus' answers replayed
 *   node --import tsx bench/small.ts --gpus 24 --daemon-pods 10  # and 10 pods without a GPU on every node
 *   node --import tsx bench/small.ts --gpus 24 --runs 1 --dump-requests /tmp/m24.json  # the run's requests, for
 *     bench/promProfile.ts --by-shape /tmp/m24.json (what each query shape costs Prometheus alone)
 *
 * With `--replay` the CLI asks a loopback server (bench/lib/replay.ts) that forwards each request to
 * Prometheus the first time it is seen and answers it from memory afterwards. One unmeasured run fills it;
 * the measured runs then cost Prometheus (almost) nothing, so their wall time is the report's alone, as
 * with a Prometheus on another machine. Requests a run asks for the first time are forwarded and counted
 * (`misses`); the server's own CPU (the bench's process) is shown.
 *
 * With `--gpus N` the month is the scale scenario of `npm run bench` (src/sim/scalePreset.ts: 31 days, UTC,
 * KSM 60 s, DCGM 30 s, seed 42), backfilled once into its own cached TSDB, instead of the demo's platform.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { demoConfig } from '../src/app/demoConfig.ts';
import { simulate, writeOpenMetrics } from '../src/sim/index.ts';
import { hasCachedTsdb, startPrometheusWithData } from '../test/support/prometheus.ts';
import { ensureDataset, type ScaleDataset } from './lib/backfill.ts';
import { nodeBinary } from './lib/nodeBinary.ts';
import { type CountingProxy, startCountingProxy } from './lib/proxy.ts';
import { type ReplayServer, startReplayServer } from './lib/replay.ts';
import { byQuery, machineLine, procCpuSeconds, sec, table } from './lib/util.ts';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const MONTH = '2026-10';
const ZONE = 'Asia/Seoul';
const SEED = 7;
const KSM_SECONDS = 60;

export interface SmallRun {
  code: number;
  wallSeconds: number;
  cpuSeconds: number;
  /** The CLI's main thread alone (Linux); the rest of cpuSeconds is V8's compiler and collector threads. */
  mainThreadCpuSeconds?: number;
  maxRssMiB: number;
  promCpuSeconds: number;
  /** Requests to Prometheus (with --requests; else undefined). */
  requests?: number;
  /** MiB of the answers, decoded and on the wire (with --requests). */
  mibReceived?: number;
  mibOnWire?: number;
  /** With --replay: requests not answered from memory, and the replaying server's CPU during the run. */
  replayMisses?: number;
  replayCpuSeconds?: number;
}

export interface SmallResult {
  /** What was billed: the demo's platform, or the scale scenario at N GPUs. */
  fleet: string;
  zone: string;
  dcgmSeconds: number;
  /** source.compression and source.stepEvaluation of the runs. */
  sourceOptions: string;
  /** The Node.js version the CLI runs ran on (`--node`; the bench's own by default). */
  node?: string;
  runs: SmallRun[];
  median: SmallRun;
  load: string;
}

/** Runs the shipped CLI once; its CPU and peak RSS come from the process itself (rusage preload). */
async function runReport(
  configPath: string,
  extra: string[],
  profileDir: string | undefined,
  nodeArgs: string[],
  node: string,
): Promise<Omit<SmallRun, 'promCpuSeconds'>> {
  const usageFile = join(dirname(configPath), 'rusage.json');
  const preload = join(REPO, 'bench/lib/rusage.mjs');
  const t0 = performance.now();
  const code = await new Promise<number>((ok, fail) => {
    const child = spawn(
      node,
      [
        ...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []),
        ...nodeArgs,
        '--import',
        preload,
        join(REPO, 'bin/gpu-chargeback.js'),
        'report',
        '--month',
        MONTH,
        '--config',
        configPath,
        '--quiet',
        ...extra,
      ],
      {
        cwd: REPO,
        env: { ...process.env, GCB_BENCH_RUSAGE: usageFile },
        stdio: ['ignore', 'ignore', 'inherit'],
      },
    );
    child.on('error', fail);
    child.on('exit', (c, signal) => ok(c ?? (signal ? 128 : 1)));
  });
  const wallSeconds = (performance.now() - t0) / 1000;
  const usage = JSON.parse(await readFile(usageFile, 'utf8')) as {
    cpuSeconds: number;
    mainThreadCpuSeconds?: number;
    maxRssMiB: number;
  };
  return { code, wallSeconds, ...usage };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '3' },
      dcgm: { type: 'string', default: '120' },
      args: { type: 'string', default: '' },
      compression: { type: 'string', default: 'none' },
      'step-evaluation': { type: 'string', default: 'adapter' },
      'read-api': { type: 'string', default: 'query' },
      gpus: { type: 'string' },
      'daemon-pods': { type: 'string', default: '0' },
      days: { type: 'string', default: '31' },
      requests: { type: 'boolean', default: false },
      'by-query': { type: 'boolean', default: false },
      'dump-requests': { type: 'string' },
      'cpu-prof': { type: 'string' },
      'node-args': { type: 'string' },
      node: { type: 'string' },
      replay: { type: 'boolean', default: false },
      json: { type: 'string' },
    },
  });
  const scale: ScaleDataset | undefined = values.gpus
    ? {
        gpus: Number(values.gpus),
        month: MONTH,
        days: Number(values.days),
        zone: 'UTC',
        seed: 42,
        ksmSeconds: KSM_SECONDS,
        dcgmSeconds: values.dcgm === '120' ? 30 : Number(values.dcgm),
        ...(Number(values['daemon-pods']) > 0 ? { daemonPodsPerNode: Number(values['daemon-pods']) } : {}),
      }
    : undefined;
  const dcgmSeconds = scale ? scale.dcgmSeconds : Number(values.dcgm);
  const zone = scale ? scale.zone : ZONE;
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const node = values.node
    ? await nodeBinary(values.node, join(REPO, '.cache', 'node'))
    : { path: process.execPath, version: process.version };
  const work = await mkdtemp(join(tmpdir(), 'gcb-small-'));
  // The e2e test's key (test/integration/endToEnd.test.ts): the same simulated month, cached once.
  let cacheKey = `e2e-demo-${MONTH}-${ZONE}-${SEED}-ksm${KSM_SECONDS}-dcgm${dcgmSeconds}-v3`;
  try {
    let files: string[] = [];
    if (scale) {
      const backfill = await ensureDataset(scale, join(REPO, '.cache', 'tsdb'), join(work, 'om'), log);
      if (!backfill.cached) log(`backfilled the ${scale.gpus}-GPU month in ${sec(backfill.seconds)} s`);
      cacheKey = backfill.cacheKey;
    } else if (!(await hasCachedTsdb(cacheKey))) {
      log(`simulating the demo month (DCGM every ${dcgmSeconds} s) and backfilling it (once)…`);
      const sim = simulate({
        preset: 'demo',
        month: MONTH,
        zone: ZONE,
        seed: SEED,
        scrape: { ksmSeconds: KSM_SECONDS, dcgmSeconds },
      });
      files = await writeOpenMetrics(sim, join(work, 'om'));
    }
    const prometheus = await startPrometheusWithData(files, { cacheKey });
    await rm(join(work, 'om'), { recursive: true, force: true });
    const proxy: CountingProxy | undefined =
      values.requests || values['dump-requests'] ? await startCountingProxy(prometheus.url) : undefined;
    const replay: ReplayServer | undefined = values.replay
      ? await startReplayServer(proxy?.url ?? prometheus.url)
      : undefined;
    const runs: SmallRun[] = [];
    let load = '';
    try {
      // With --replay, run -1 fills the replaying server and is not measured.
      for (let i = replay ? -1 : 0; i < Number(values.runs); i++) {
        const dir = await mkdtemp(join(work, 'run-'));
        const config = {
          ...demoConfig,
          timezone: zone,
          ...(scale
            ? {
                metering: { scrapeIntervalSeconds: { kubeStateMetrics: KSM_SECONDS, dcgm: dcgmSeconds } },
                report: { language: 'en', budgets: {} },
                // With --days < 31 the rest of the month has no samples: publish anyway (as bench/e2e.ts).
                ...(scale.days < 31 ? { guard: { minCoveragePct: 0 } } : {}),
              }
            : {}),
          source: {
            kind: 'prometheus',
            url: replay?.url ?? proxy?.url ?? prometheus.url,
            compression: values.compression,
            stepEvaluation: values['step-evaluation'],
            readApi: values['read-api'],
          },
          output: { location: join(dir, 'reports') },
        };
        proxy?.reset();
        replay?.reset();
        await writeFile(join(dir, 'config.json'), JSON.stringify(config));
        if (i < 0) {
          const fill = await runReport(
            join(dir, 'config.json'),
            values.args ? values.args.split(' ') : [],
            undefined,
            values['node-args'] ? values['node-args'].split(' ') : [],
            node.path,
          );
          log(
            `replay: filled by an unmeasured run (exit ${fill.code}, ${sec(fill.wallSeconds)} s): ${replay!.kept.answers} answers, ${(replay!.kept.bytes / 1024 / 1024).toFixed(1)} MiB`,
          );
          continue;
        }
        load += `${(await readFile('/proc/loadavg', 'utf8')).split(' ')[0]} `;
        const cpu0 = await procCpuSeconds(prometheus.pid);
        const own0 = process.cpuUsage();
        const run = await runReport(
          join(dir, 'config.json'),
          values.args ? values.args.split(' ') : [],
          values['cpu-prof'],
          values['node-args'] ? values['node-args'].split(' ') : [],
          node.path,
        );
        const promCpuSeconds = (await procCpuSeconds(prometheus.pid)) - cpu0;
        const own = process.cpuUsage(own0);
        const mib = (pick: (r: CountingProxy['requests'][number]) => number) =>
          (proxy?.requests ?? []).reduce((sum, r) => sum + pick(r), 0) / 1024 / 1024;
        runs.push({
          ...run,
          promCpuSeconds,
          ...(proxy
            ? {
                requests: proxy.requests.length,
                mibReceived: mib((r) => r.bytes),
                mibOnWire: mib((r) => r.wireBytes),
              }
            : {}),
          ...(replay ? { replayMisses: replay.misses, replayCpuSeconds: (own.user + own.system) / 1e6 } : {}),
        });
        log(`run ${i + 1}: exit ${run.code}, ${sec(run.wallSeconds)} s wall, ${sec(run.cpuSeconds)} s CPU`);
        // The last measured run's requests, as bench/day.ts --dump-requests writes an invocation's.
        if (values['dump-requests'] && proxy)
          await writeFile(values['dump-requests'], JSON.stringify({ cacheKey, requests: proxy.requests }));
        if (values['by-query'] && proxy) for (const line of byQuery(proxy.requests)) log(`    ${line}`);
      }
    } finally {
      await replay?.close();
      await proxy?.close();
      await prometheus.stop();
    }
    const median = (pick: (r: SmallRun) => number) => {
      const sorted = runs.map(pick).sort((a, b) => a - b);
      return sorted[Math.floor(sorted.length / 2)] ?? 0;
    };
    const result: SmallResult = {
      fleet: scale
        ? `scale scenario, ${scale.gpus} GPUs${scale.days < 31 ? `, samples in the first ${scale.days} days` : ''}`
        : 'the demo platform (78 GPUs)',
      zone,
      dcgmSeconds,
      sourceOptions: `source.compression ${values.compression}, source.stepEvaluation ${values['step-evaluation']}, source.readApi ${values['read-api']}${replay ? ', answers replayed (--replay)' : ''}`,
      node: node.version,
      runs,
      load: load.trim(),
      median: {
        code: Math.max(...runs.map((r) => r.code)),
        wallSeconds: median((r) => r.wallSeconds),
        cpuSeconds: median((r) => r.cpuSeconds),
        ...(runs.every((r) => r.mainThreadCpuSeconds !== undefined)
          ? { mainThreadCpuSeconds: median((r) => r.mainThreadCpuSeconds!) }
          : {}),
        maxRssMiB: median((r) => r.maxRssMiB),
        promCpuSeconds: median((r) => r.promCpuSeconds),
        ...(proxy
          ? {
              requests: median((r) => r.requests ?? 0),
              mibReceived: median((r) => r.mibReceived ?? 0),
              mibOnWire: median((r) => r.mibOnWire ?? 0),
            }
          : {}),
        ...(replay
          ? {
              replayMisses: median((r) => r.replayMisses ?? 0),
              replayCpuSeconds: median((r) => r.replayCpuSeconds ?? 0),
            }
          : {}),
      },
    };
    if (values.json) await writeFile(values.json, JSON.stringify(result));
    printSmall(result, (line) => process.stdout.write(`${line}\n`));
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** The small-fleet table: every run and the median. */
export function printSmall(result: SmallResult, out: (line: string) => void): void {
  out(machineLine());
  out(
    `${result.fleet ?? 'demo'}: month ${MONTH} (${result.zone ?? ZONE}, 31 days, KSM ${KSM_SECONDS} s, DCGM ${result.dcgmSeconds} s) from scratch, shipped CLI${result.node ? ` on Node ${result.node}` : ''}, ${result.sourceOptions}; load at each start: ${result.load}`,
  );
  const row = (name: string, r: SmallRun) => [
    name,
    r.code,
    sec(r.wallSeconds),
    sec(r.cpuSeconds),
    r.mainThreadCpuSeconds === undefined ? '-' : sec(r.mainThreadCpuSeconds),
    r.maxRssMiB.toFixed(0),
    sec(r.promCpuSeconds),
    r.requests ?? '-',
    r.mibReceived === undefined ? '-' : `${r.mibReceived.toFixed(1)} (${(r.mibOnWire ?? 0).toFixed(1)})`,
    ...(replayed ? [r.replayMisses ?? '-', sec(r.replayCpuSeconds ?? 0)] : []),
  ];
  const replayed = result.median.replayMisses !== undefined;
  out(
    table(
      [
        'run',
        'exit',
        'wall s',
        'CPU s',
        'main thread s',
        'peak RSS MiB',
        'Prom CPU s',
        'requests',
        'MiB recv (wire)',
        ...(replayed ? ['replay misses', 'replay CPU s'] : []),
      ],
      [...result.runs.map((r, i) => row(String(i + 1), r)), row('median', result.median)],
    ),
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
