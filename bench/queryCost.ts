/**
 * Where Prometheus' CPU goes for one metered day (issue #18): the day of the scale scenario (the cached
 * TSDB of bench/day.ts) is metered once whole through the counting proxy to capture every request the
 * product sends, then each request is replayed ALONE against Prometheus, `--runs` times, and measured:
 * Prometheus' CPU (/proc/<pid>/stat, before/after, the request alone on the server), its `stats=all`
 * timings (evalTotalTime = the PromQL evaluation; the rest of the CPU is preparing, JSON encoding and,
 * when the client accepts it, gzip of the answer) and the answer's size, once with `Accept-Encoding:
 * gzip` (what Node's fetch sends) and once without. Extra raw reads (`--raw`): an instant query of a plain
 * range selector over the same span (each series' raw samples, no per-step evaluation), to compare.
 *
 *   node --import tsx bench/queryCost.ts --gpus 256
 *   node --import tsx bench/queryCost.ts --gpus 1024 --runs 3 --json out.json
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { MatchType, readRequestBody } from '../src/adapters/prometheus/remoteRead.ts';
import { startPrometheusWithData } from '../test/support/prometheus.ts';
import { ensureDataset } from './lib/backfill.ts';
import { type ProxiedRequest, startCountingProxy } from './lib/proxy.ts';
import { NEEDED_SELECTORS } from './e2e.ts';
import { instantSum, machineLine, procCpuSeconds, table } from './lib/util.ts';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');

interface Replay {
  name: string;
  endpoint: string;
  params: Record<string, string>;
}

interface Measured {
  cpu: number;
  eval: number;
  exec: number;
  bytes: number;
  samples: number;
}

async function once(url: string, r: Replay, pid: number, gzip: boolean): Promise<Measured> {
  const cpu0 = await procCpuSeconds(pid);
  const res = await fetch(`${url}${r.endpoint}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'accept-encoding': gzip ? 'gzip' : 'identity',
    },
    body: new URLSearchParams({ ...r.params, stats: 'all' }),
  });
  const text = await res.text();
  await new Promise((ok) => setTimeout(ok, 150));
  const cpu1 = await procCpuSeconds(pid);
  const json = JSON.parse(text) as {
    status: string;
    error?: string;
    data?: {
      stats?: {
        timings?: { evalTotalTime?: number; execTotalTime?: number };
        samples?: { totalQueryableSamples?: number };
      };
    };
  };
  if (json.status !== 'success') throw new Error(`${r.name}: ${json.error}`);
  const stats = json.data?.stats;
  return {
    cpu: cpu1 - cpu0,
    eval: stats?.timings?.evalTotalTime ?? 0,
    exec: stats?.timings?.execTotalTime ?? 0,
    bytes: Buffer.byteLength(text),
    samples: stats?.samples?.totalQueryableSamples ?? 0,
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** The needed selectors of bench/e2e.ts NEEDED_SELECTORS as remote-read matchers. */
const GPU_RE = { type: MatchType.RE, name: 'resource', value: 'nvidia_com_gpu(_shared)?|nvidia_com_mig_.+' };
const eq = (name: string, value: string) => ({ type: MatchType.EQ, name, value });
const NEEDED_MATCHERS = [
  [eq('__name__', 'kube_pod_status_phase'), eq('phase', 'Running')],
  [eq('__name__', 'kube_pod_container_resource_requests'), GPU_RE],
  [eq('__name__', 'kube_node_status_capacity'), GPU_RE],
  [eq('__name__', 'kube_pod_info'), { type: MatchType.NEQ, name: 'node', value: '' }],
  [eq('__name__', 'kube_pod_labels'), { type: MatchType.NEQ, name: 'uid', value: '' }],
  [eq('__name__', 'kube_namespace_labels'), { type: MatchType.NEQ, name: 'namespace', value: '' }],
  [eq('__name__', 'kube_node_labels'), { type: MatchType.NEQ, name: 'node', value: '' }],
  [eq('__name__', 'DCGM_FI_PROF_GR_ENGINE_ACTIVE')],
  [eq('__name__', 'DCGM_FI_DEV_GPU_UTIL')],
];

async function remoteRead(url: string, pid: number, startMs: number, endMs: number) {
  const cpu0 = await procCpuSeconds(pid);
  const res = await fetch(`${url}/api/v1/read`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-protobuf',
      'content-encoding': 'snappy',
      'x-prometheus-remote-read-version': '0.1.0',
    },
    body: readRequestBody(NEEDED_MATCHERS, startMs, endMs),
  });
  const bytes = (await res.arrayBuffer()).byteLength;
  if (res.status !== 200) throw new Error(`remote read: HTTP ${res.status}`);
  await new Promise((ok) => setTimeout(ok, 150));
  return { cpu: (await procCpuSeconds(pid)) - cpu0, bytes, type: res.headers.get('content-type') };
}

function replayOf(q: ProxiedRequest): Replay {
  const name = q.query.split('\n')[0]!.slice(0, 60);
  if (q.endpoint.endsWith('query_range'))
    return {
      name,
      endpoint: '/api/v1/query_range',
      params: { query: q.query, start: String(q.startS), end: String(q.endS), step: String(q.stepS) },
    };
  return { name, endpoint: '/api/v1/query', params: { query: q.query, time: String(q.time) } };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      gpus: { type: 'string', default: '256' },
      runs: { type: 'string', default: '3' },
      json: { type: 'string' },
    },
  });
  const gpus = Number(values.gpus);
  const runs = Number(values.runs);
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const out = (line: string) => process.stdout.write(`${line}\n`);
  out(machineLine());
  const d = { gpus, days: 1, month: '2026-10', zone: 'UTC', seed: 42, ksmSeconds: 60, dcgmSeconds: 30 };
  const scratch = await mkdtemp(join(tmpdir(), 'gcb-qc-om-'));
  const backfill = await ensureDataset(d, join(REPO, '.cache', 'tsdb'), scratch, log).finally(() =>
    rm(scratch, { recursive: true, force: true }),
  );
  const prometheus = await startPrometheusWithData([], { cacheKey: backfill.cacheKey });
  const proxy = await startCountingProxy(prometheus.url);
  const work = await mkdtemp(join(tmpdir(), 'gcb-qc-'));
  try {
    const { demoConfig } = await import('../src/app/demoConfig.ts');
    const { parseConfig } = await import('../src/config/loadConfig.ts');
    const { createPrometheusSource } = await import('../src/adapters/prometheus/index.ts');
    const { createFsStore } = await import('../src/adapters/fs/fsStore.ts');
    const { meterAndStoreDay } = await import('../src/app/meterDay.ts');
    const config = parseConfig({
      ...demoConfig,
      timezone: d.zone,
      metering: { scrapeIntervalSeconds: { kubeStateMetrics: d.ksmSeconds, dcgm: d.dcgmSeconds } },
      source: { kind: 'prometheus', url: proxy.url },
      output: { location: work },
      sharding: { shards: 1 },
      guard: { minCoveragePct: 0 },
    });
    const logger = { info() {}, warn() {}, error() {}, progress() {} };
    const source = createPrometheusSource({ config, logger });
    const ctx = {
      config,
      source,
      store: createFsStore(work),
      metrics: { publish: async () => {} },
      logger,
      clock: { nowMs: () => Date.now() },
    };
    proxy.reset();
    const cpu0 = await procCpuSeconds(prometheus.pid);
    await meterAndStoreDay(ctx as never, `${d.month}-01`, {}, { index: 0, count: 1 });
    const dayCpu = (await procCpuSeconds(prometheus.pid)) - cpu0;
    const captured = [...proxy.requests];
    log(`metered the day whole: ${captured.length} requests, Prometheus CPU ${dayCpu.toFixed(2)} s`);

    const replays = captured.map(replayOf);
    const rows: (Replay & { gz: Measured; plain: Measured })[] = [];
    for (const r of replays) {
      const gz: Measured[] = [];
      const plain: Measured[] = [];
      for (let i = 0; i < runs; i++) {
        gz.push(await once(prometheus.url, r, prometheus.pid, true));
        plain.push(await once(prometheus.url, r, prometheus.pid, false));
      }
      const pick = (ms: Measured[]): Measured => ({
        cpu: median(ms.map((m) => m.cpu)),
        eval: median(ms.map((m) => m.eval)),
        exec: median(ms.map((m) => m.exec)),
        bytes: ms[0]!.bytes,
        samples: ms[0]!.samples,
      });
      rows.push({ ...r, gz: pick(gz), plain: pick(plain) });
      log(`  ${r.name}: ${pick(gz).cpu.toFixed(2)} s gzip, ${pick(plain).cpu.toFixed(2)} s plain`);
    }
    // The same data read raw: an instant query of each plain range selector (no per-step evaluation),
    // the kube-state-metrics families over the grid's span (26 h), DCGM over the day; and one remote read
    // (streamed XOR chunks, as stored) of every needed selector over the day.
    const end = Number(replays.find((r) => r.endpoint.endsWith('query_range'))?.params.end ?? 0);
    const ksmSpan = `${end - Number(replays.find((r) => r.endpoint.endsWith('query_range'))!.params.start) + 60}s`;
    const dayEnd = Date.UTC(2026, 9, 2) / 1000;
    const raw: Replay[] = [
      ['kube_pod_status_phase{phase="Running"}', ksmSpan, end],
      ['kube_pod_container_resource_requests{resource=~"nvidia_com_.+"}', ksmSpan, end],
      ['kube_node_status_capacity{resource=~"nvidia_com_.+"}', ksmSpan, end],
      ['{__name__=~"kube_node_info|kube_node_labels", node!=""}', ksmSpan, end],
      ['DCGM_FI_PROF_GR_ENGINE_ACTIVE', '1d', dayEnd],
      ['DCGM_FI_DEV_GPU_UTIL', '1d', dayEnd],
    ].map(([sel, span, at]) => ({
      name: `raw ${sel}[${span}]`,
      endpoint: '/api/v1/query',
      params: { query: `${sel}[${span}]`, time: String(at) },
    }));
    for (const r of raw) {
      const gz: Measured[] = [];
      const plain: Measured[] = [];
      for (let i = 0; i < runs; i++) {
        gz.push(await once(prometheus.url, r, prometheus.pid, true));
        plain.push(await once(prometheus.url, r, prometheus.pid, false));
      }
      rows.push({
        ...r,
        gz: { ...gz[0]!, cpu: median(gz.map((m) => m.cpu)) },
        plain: { ...plain[0]!, cpu: median(plain.map((m) => m.cpu)) },
      });
    }
    const remote: { cpu: number; bytes: number }[] = [];
    for (let i = 0; i < runs; i++)
      remote.push(
        await remoteRead(prometheus.url, prometheus.pid, (dayEnd - 86_400) * 1000 + 1, dayEnd * 1000),
      );
    const floorRuns: number[] = [];
    for (let i = 0; i < runs; i++) {
      const c0 = await procCpuSeconds(prometheus.pid);
      for (const selector of Object.values(NEEDED_SELECTORS))
        await instantSum(prometheus.url, `sum(count_over_time(${selector}[1d]))`, dayEnd);
      floorRuns.push((await procCpuSeconds(prometheus.pid)) - c0);
    }
    out(
      `raw-read floor (bench/day.ts): Prometheus CPU ${median(floorRuns).toFixed(2)} s (runs ${floorRuns.map((x) => x.toFixed(2)).join(', ')})`,
    );
    const sum = (f: (r: (typeof rows)[number]) => number) =>
      rows.filter((r) => !r.name.startsWith('raw ')).reduce((s, r) => s + f(r), 0);
    out(`\n${gpus} GPUs, one day metered whole: each request replayed alone (median of ${runs})`);
    out(
      table(
        ['query', 'kind', 'MiB', 'samples', 'eval s', 'exec s', 'CPU s gzip', 'CPU s plain', 'gzip share'],
        [
          ...rows
            .filter((r) => !r.name.startsWith('raw '))
            .map((r) => [
              r.name,
              r.endpoint.endsWith('query_range') ? 'range' : 'instant',
              (r.plain.bytes / 1048576).toFixed(2),
              r.plain.samples,
              r.plain.eval.toFixed(3),
              r.plain.exec.toFixed(3),
              r.gz.cpu.toFixed(2),
              r.plain.cpu.toFixed(2),
              r.gz.cpu > 0 ? `${Math.round((100 * (r.gz.cpu - r.plain.cpu)) / r.gz.cpu)} %` : '-',
            ]),
          [
            'total',
            '',
            (sum((r) => r.plain.bytes) / 1048576).toFixed(1),
            sum((r) => r.plain.samples),
            sum((r) => r.plain.eval).toFixed(2),
            sum((r) => r.plain.exec).toFixed(2),
            sum((r) => r.gz.cpu).toFixed(2),
            sum((r) => r.plain.cpu).toFixed(2),
            '',
          ],
        ],
      ),
    );
    out('\nthe same data read raw (instant query of a plain range selector)');
    out(
      table(
        ['selector', 'MiB', 'samples', 'CPU s gzip', 'CPU s plain'],
        rows
          .filter((r) => r.name.startsWith('raw '))
          .map((r) => [
            r.name.slice(4, 70),
            (r.plain.bytes / 1048576).toFixed(2),
            r.plain.samples,
            r.gz.cpu.toFixed(2),
            r.plain.cpu.toFixed(2),
          ]),
      ),
    );
    out(
      `remote read (/api/v1/read, streamed XOR chunks) of every needed selector over the day: ` +
        `${(remote[0]!.bytes / 1048576).toFixed(2)} MiB, Prometheus CPU ${median(remote.map((r) => r.cpu)).toFixed(2)} s ` +
        `(runs ${remote.map((r) => r.cpu.toFixed(2)).join(', ')})`,
    );
    if (values.json) {
      const { writeFile } = await import('node:fs/promises');
      await writeFile(values.json, JSON.stringify({ gpus, dayCpu, rows, remote }, null, 2));
    }
  } finally {
    await proxy.close();
    await prometheus.stop();
    await rm(work, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
