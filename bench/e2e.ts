/**
 * End-to-end benchmark: the scale scenario (src/sim/scalePreset.ts) for clusters of increasing size,
 * backfilled once into a cached TSDB, served by a real Prometheus on loopback behind a counting proxy,
 * and one `gpu-chargeback report` run per size in a fresh child process (wall, CPU, peak RSS), with
 * Prometheus requests, bytes, samples processed (`stats=all`), Prometheus' own busy time and CPU, and
 * the raw samples of the series the report needs (count_over_time per selector) for comparison.
 *
 *   node --import tsx bench/e2e.ts                          # 64, 256, 1024 GPUs × 7 days
 *   node --import tsx bench/e2e.ts --sizes 64,256 --days 31 # a full month
 *   node --import tsx bench/e2e.ts --json out.json          # also write the rows as JSON
 *
 * The report covers the whole billing month (--month, default 2026-10, UTC); with --days < 31 the
 * days after the simulated ones have no data and are metered as empty days (cheap queries).
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startPrometheusWithData } from '../test/support/prometheus.ts';
import { ensureDataset, type ScaleDataset } from './lib/backfill.ts';
import { busyMs, type ProxiedRequest, startCountingProxy } from './lib/proxy.ts';
import {
  exponent,
  instantSum,
  lastJson,
  machineLine,
  mb,
  millions,
  procCpuSeconds,
  runNode,
  sec,
  table,
} from './lib/util.ts';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const GPU_RESOURCES = 'resource=~"nvidia_com_gpu(_shared)?|nvidia_com_mig_.+"';

/** The series the report needs (what metering reads at least once), one selector per family. */
export const NEEDED_SELECTORS: Record<string, string> = {
  'kube_pod_status_phase{phase="Running"}': 'kube_pod_status_phase{phase="Running"}',
  'kube_pod_container_resource_requests{gpu}': `kube_pod_container_resource_requests{${GPU_RESOURCES}}`,
  'kube_node_status_capacity{gpu}': `kube_node_status_capacity{${GPU_RESOURCES}}`,
  'kube_pod_info{node!=""}': 'kube_pod_info{node!=""}',
  kube_pod_labels: 'kube_pod_labels{uid!=""}',
  kube_namespace_labels: 'kube_namespace_labels{namespace!=""}',
  kube_node_labels: 'kube_node_labels{node!=""}',
  DCGM_FI_PROF_GR_ENGINE_ACTIVE: 'DCGM_FI_PROF_GR_ENGINE_ACTIVE',
  DCGM_FI_DEV_GPU_UTIL: 'DCGM_FI_DEV_GPU_UTIL',
};

export interface E2eRow {
  gpus: number;
  days: number;
  month: string;
  nodes: number;
  pods: number;
  backfill: { cached: boolean; seconds: number; textBytes: number; tsdbBytes: number; samples: number };
  report: { code: number; wallSeconds: number; cpuSeconds: number; maxRssMiB: number };
  /** The same report again: every day loaded from its stored daily partial (the sharded path's last step). */
  fromPartials: {
    code: number;
    wallSeconds: number;
    cpuSeconds: number;
    maxRssMiB: number;
    requests: number;
  };
  /**
   * The report once more with one day's partial removed: that day is metered alone (as one dailyMeter /
   * backfillDay Lambda does), the others are loaded; minus `fromPartials`, it is one day's metering.
   */
  oneDay?: {
    date: string;
    code: number;
    wallSeconds: number;
    cpuSeconds: number;
    maxRssMiB: number;
    requests: number;
    promCpuSeconds: number;
  };
  pdf: { enSeconds: number; koSeconds: number; bytes: number };
  prometheus: {
    requests: number;
    /** Decoded JSON bytes. */
    bytes: number;
    /** Bytes on the wire (gzip, as fetch asks for it). */
    wireBytes: number;
    samples: number;
    busySeconds: number;
    execSeconds: number;
    cpuSeconds: number;
    maxPointsPerSeries: number;
    maxPeakSamples: number;
    /** Requests the client gave up on (timeout) and retried or split. */
    aborted: number;
    /** Answers that were errors (e.g. Prometheus' own query timeout, which the client splits). */
    errors: number;
  };
  neededSamples: number;
  neededByFamily: Record<string, number>;
  storedSamples: number;
  perQuery: Record<
    string,
    { requests: number; samples: number; bytes: number; execSeconds: number; maxPoints: number }
  >;
}

/** Names a request after the queries/*.promql template it was filled from. */
async function queryClassifier(): Promise<(query: string) => string> {
  const { loadQueryTemplates } = await import('../src/adapters/prometheus/queries.ts');
  const templates = loadQueryTemplates(join(REPO, 'queries'));
  const patterns = Object.entries(templates).map(([name, text]) => {
    const re = text
      .split(/\{\{[A-Za-z_]+\}\}/)
      .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
      .join('[\\s\\S]*?');
    return [name, new RegExp(`^${re}$`)] as const;
  });
  return (query) => patterns.find(([, re]) => re.test(query))?.[0] ?? 'other';
}

/** Raw samples per selector over [startMs, startMs + days) (count_over_time per UTC day, summed). */
async function countRawSamples(
  url: string,
  selector: string,
  startMs: number,
  days: number,
): Promise<number> {
  let total = 0;
  for (let k = 1; k <= days; k++) {
    const at = (startMs + k * 86_400_000 - 1) / 1000;
    total += await instantSum(url, `sum(count_over_time(${selector}[1d]))`, at);
  }
  return total;
}

async function measureSize(
  d: ScaleDataset,
  log: (line: string) => void,
  classify: (q: string) => string,
): Promise<E2eRow> {
  log(`== ${d.gpus} GPUs × ${d.days} days: simulate + backfill (cached in .cache/tsdb)`);
  const scratch = await mkdtemp(join(tmpdir(), 'gcb-bench-om-'));
  let backfill: Awaited<ReturnType<typeof ensureDataset>>;
  try {
    backfill = await ensureDataset(d, join(REPO, '.cache', 'tsdb'), scratch, log);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  log(
    backfill.cached
      ? `  cached TSDB ${backfill.cacheKey} (${mb(backfill.tsdbBytes)} MiB)`
      : `  backfilled ${millions(backfill.samples)} samples (${mb(backfill.textBytes)} MiB of text, deleted) in ${sec(backfill.seconds)} s → ${mb(backfill.tsdbBytes)} MiB TSDB`,
  );
  const prometheus = await startPrometheusWithData([], { cacheKey: backfill.cacheKey });
  const proxy = await startCountingProxy(prometheus.url);
  const work = await mkdtemp(join(tmpdir(), 'gcb-bench-report-'));
  try {
    const { demoConfig } = await import('../src/app/demoConfig.ts');
    const config = {
      ...demoConfig,
      timezone: d.zone,
      // Days after the simulated ones have no samples to detect intervals from: configure them.
      metering: { scrapeIntervalSeconds: { kubeStateMetrics: d.ksmSeconds, dcgm: d.dcgmSeconds } },
      source: { kind: 'prometheus', url: proxy.url },
      report: { language: 'en', title: `GPU Chargeback — scale benchmark (${d.gpus} GPUs)`, budgets: {} },
      output: { location: join(work, 'out') },
      // With --days < 31 the rest of the month has no samples: publish it anyway (the publish guard's
      // coverage floor is not what this measures).
      guard: { minCoveragePct: 0 },
    };
    await mkdir(join(work, 'out'), { recursive: true });
    const configPath = join(work, 'config.json');
    await writeFile(configPath, JSON.stringify(config));
    const cpu0 = await procCpuSeconds(prometheus.pid);
    log(`  report --month ${d.month} against ${prometheus.url} (through the counting proxy)`);
    const child = await runNode(
      [join(REPO, 'bench/e2e.ts'), '--child-report', configPath, d.month, join(work, 'out')],
      {
        cwd: REPO,
      },
    );
    const cpu1 = await procCpuSeconds(prometheus.pid);
    await new Promise((r) => setTimeout(r, 300)); // let the proxy finish decoding the last answers
    const result = lastJson<{
      code: number;
      wallSeconds: number;
      cpuSeconds: number;
      maxRssMiB: number;
      pdf: E2eRow['pdf'];
    }>(child.stdout);
    if (result.code !== 0) throw new Error(`report exited ${result.code} for ${d.gpus} GPUs`);
    const requests = [...proxy.requests];
    proxy.reset();
    log('  report again: every day from its stored daily partial');
    const again = lastJson<typeof result>(
      (
        await runNode(
          [join(REPO, 'bench/e2e.ts'), '--child-report', configPath, d.month, join(work, 'out')],
          {
            cwd: REPO,
          },
        )
      ).stdout,
    );
    const againRequests = proxy.requests.length;
    if (againRequests > 0)
      log(
        `  WARNING: the second report made ${againRequests} Prometheus requests: stored partials were not reused`,
      );
    // One day alone: the middle simulated day (a full day of data) loses its partial and is metered again.
    const { keys } = await import('../src/app/context.ts');
    const oneDate = `${d.month}-${String(Math.max(1, Math.ceil(d.days / 2))).padStart(2, '0')}`;
    log(`  one day alone: ${oneDate}'s partial removed, the report again (meters that day, loads the rest)`);
    await rm(join(work, 'out', keys.dayPartial(oneDate)));
    proxy.reset();
    const oneCpu0 = await procCpuSeconds(prometheus.pid);
    const single = lastJson<typeof result>(
      (
        await runNode(
          [join(REPO, 'bench/e2e.ts'), '--child-report', configPath, d.month, join(work, 'out')],
          { cwd: REPO },
        )
      ).stdout,
    );
    const oneCpu1 = await procCpuSeconds(prometheus.pid);
    const oneDay = {
      date: oneDate,
      code: single.code,
      wallSeconds: single.wallSeconds,
      cpuSeconds: single.cpuSeconds,
      maxRssMiB: single.maxRssMiB,
      requests: proxy.requests.length,
      promCpuSeconds: oneCpu1 - oneCpu0,
    };
    const perQuery: E2eRow['perQuery'] = {};
    let maxPoints = 0;
    for (const r of requests) {
      const name = classify(r.query);
      perQuery[name] ??= { requests: 0, samples: 0, bytes: 0, execSeconds: 0, maxPoints: 0 };
      const q = perQuery[name];
      q.requests++;
      q.samples += r.samples;
      q.bytes += r.bytes;
      q.execSeconds += r.execSeconds;
      if (r.endpoint === 'query_range' && r.stepS) {
        const points = Math.round((r.endS! - r.startS!) / r.stepS) + 1;
        q.maxPoints = Math.max(q.maxPoints, points);
        maxPoints = Math.max(maxPoints, points);
      }
    }
    const sum = (f: (r: ProxiedRequest) => number) => requests.reduce((s, r) => s + f(r), 0);

    log('  counting the raw samples the report needs (count_over_time per selector)');
    const { billingPeriod } = await import('../src/core/period.ts');
    const period = billingPeriod(d.month, d.zone);
    const neededByFamily: Record<string, number> = {};
    for (const [family, selector] of Object.entries(NEEDED_SELECTORS)) {
      neededByFamily[family] = await countRawSamples(prometheus.url, selector, period.startMs, d.days);
    }
    const { FAMILIES } = await import('../src/sim/index.ts');
    let storedSamples = 0;
    for (const family of FAMILIES)
      storedSamples += await countRawSamples(prometheus.url, family, period.startMs, d.days);
    return {
      gpus: d.gpus,
      days: d.days,
      month: d.month,
      nodes: backfill.nodes,
      pods: backfill.pods,
      backfill: {
        cached: backfill.cached,
        seconds: backfill.seconds,
        textBytes: backfill.textBytes,
        tsdbBytes: backfill.tsdbBytes,
        samples: backfill.samples,
      },
      report: {
        code: result.code,
        wallSeconds: result.wallSeconds,
        cpuSeconds: result.cpuSeconds,
        maxRssMiB: result.maxRssMiB,
      },
      fromPartials: {
        code: again.code,
        wallSeconds: again.wallSeconds,
        cpuSeconds: again.cpuSeconds,
        maxRssMiB: again.maxRssMiB,
        requests: againRequests,
      },
      oneDay,
      pdf: result.pdf,
      prometheus: {
        requests: requests.length,
        bytes: sum((r) => r.bytes),
        wireBytes: sum((r) => r.wireBytes),
        samples: sum((r) => r.samples),
        busySeconds: busyMs(requests) / 1000,
        execSeconds: sum((r) => r.execSeconds),
        cpuSeconds: cpu1 - cpu0,
        maxPointsPerSeries: maxPoints,
        maxPeakSamples: Math.max(0, ...requests.map((r) => r.peakSamples)),
        aborted: requests.filter((r) => r.aborted).length,
        errors: requests.filter((r) => !r.aborted && r.status !== 200).length,
      },
      neededSamples: Object.values(neededByFamily).reduce((a, b) => a + b, 0),
      neededByFamily,
      storedSamples,
      perQuery,
    };
  } finally {
    await proxy.close();
    await prometheus.stop();
    await rm(work, { recursive: true, force: true });
  }
}

/** The child: one `report` run through runCli in a fresh process, then the PDF timed on its summary. */
async function childReport(configPath: string, month: string, outDir: string): Promise<void> {
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const { runCli } = await import('../src/cli/main.ts');
  let stderr = '';
  const code = await runCli(['report', '--month', month, '--config', configPath, '--quiet'], {
    stdout: () => {},
    stderr: (t: string) => {
      stderr += t;
    },
    env: {},
    nowMs: () => Date.now(),
    stderrIsTty: false,
  } as Parameters<typeof runCli>[1]);
  const wallSeconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const maxRssMiB = process.resourceUsage().maxRSS / 1024;
  if (stderr) process.stderr.write(stderr.slice(-2000));
  if (code !== 0) {
    console.log(JSON.stringify({ code, wallSeconds, cpuSeconds: 0, maxRssMiB, pdf: null }));
    return;
  }
  // The PDF alone, on the published summary (after the measurements above, so it does not skew them).
  const summary = JSON.parse(await readFile(join(outDir, month, 'summary.json'), 'utf8'));
  const { renderPdf } = await import('../src/render/pdf/renderPdf.ts');
  const timePdf = async (language: 'en' | 'ko') => {
    const t = performance.now();
    const bytes = await renderPdf(summary, null, {
      language,
      title: 'GPU Chargeback',
      baselinePercentile: 50,
    });
    return { seconds: (performance.now() - t) / 1000, bytes: bytes.length };
  };
  const en = await timePdf('en');
  const ko = await timePdf('ko');
  console.log(
    JSON.stringify({
      code,
      wallSeconds,
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
      maxRssMiB,
      pdf: { enSeconds: en.seconds, koSeconds: ko.seconds, bytes: en.bytes },
    }),
  );
}

/** Prints the e2e table, the growth exponents and the targets. */
export function printE2e(rows: E2eRow[], out: (line: string) => void): void {
  out(
    table(
      [
        'GPUs',
        'days',
        'pods',
        'wall s',
        'CPU s',
        'peak RSS MiB',
        'requests (aborted/err)',
        'MiB recv (gzip)',
        'samples processed',
        'needed raw',
        'ratio',
        'Prom busy s',
        'Prom CPU s',
        'wall/busy',
        'max pts/series',
        'PDF s (en/ko)',
        'from partials: wall s / RSS MiB',
        'one day alone: wall s / RSS MiB / Prom CPU s',
      ],
      rows.map((r) => [
        r.gpus,
        r.days,
        r.pods,
        sec(r.report.wallSeconds),
        sec(r.report.cpuSeconds),
        Math.round(r.report.maxRssMiB),
        `${r.prometheus.requests} (${r.prometheus.aborted ?? 0}/${r.prometheus.errors ?? 0})`,
        `${mb(r.prometheus.bytes)} (${mb(r.prometheus.wireBytes)})`,
        millions(r.prometheus.samples),
        millions(r.neededSamples),
        (r.prometheus.samples / r.neededSamples).toFixed(2),
        sec(r.prometheus.busySeconds),
        sec(r.prometheus.cpuSeconds),
        (r.report.wallSeconds / r.prometheus.busySeconds).toFixed(2),
        r.prometheus.maxPointsPerSeries,
        `${r.pdf.enSeconds.toFixed(2)}/${r.pdf.koSeconds.toFixed(2)}`,
        `${sec(r.fromPartials.wallSeconds)} / ${Math.round(r.fromPartials.maxRssMiB)}`,
        r.oneDay
          ? `${sec(r.oneDay.wallSeconds)} / ${Math.round(r.oneDay.maxRssMiB)} / ${sec(r.oneDay.promCpuSeconds)}`
          : '-',
      ]),
    ),
  );
  if (rows.length > 1) {
    out('\ngrowth exponent k (figure ∝ GPUs^k) between consecutive sizes:');
    out(
      table(
        ['GPUs', 'wall', 'CPU', 'peak RSS', 'requests', 'bytes', 'samples', 'Prom busy'],
        rows.slice(1).map((r, i) => {
          const p = rows[i]!;
          const e = (f: (x: E2eRow) => number) => exponent(f(p), f(r), p.gpus, r.gpus);
          return [
            `${p.gpus}→${r.gpus}`,
            e((x) => x.report.wallSeconds),
            e((x) => x.report.cpuSeconds),
            e((x) => x.report.maxRssMiB),
            e((x) => x.prometheus.requests),
            e((x) => x.prometheus.bytes),
            e((x) => x.prometheus.samples),
            e((x) => x.prometheus.busySeconds),
          ];
        }),
      ),
    );
  }
  const last = rows[rows.length - 1];
  if (last) {
    out(
      `\nper query at ${last.gpus} GPUs × ${last.days} days (samples processed by Prometheus, bytes received):`,
    );
    out(
      table(
        ['query', 'requests', 'samples', 'share', 'MiB', 'exec s', 'max pts'],
        Object.entries(last.perQuery)
          .sort((a, b) => b[1].samples - a[1].samples)
          .map(([name, q]) => [
            name,
            q.requests,
            millions(q.samples),
            `${((100 * q.samples) / last.prometheus.samples).toFixed(1)}%`,
            mb(q.bytes),
            sec(q.execSeconds),
            q.maxPoints || '-',
          ]),
      ),
    );
    out('\nraw samples of the needed series (count_over_time over the simulated days):');
    out(
      table(
        ['series', 'raw samples'],
        [
          ...Object.entries(last.neededByFamily).map(([k, v]) => [k, millions(v)]),
          ['total needed', millions(last.neededSamples)],
          ['all stored (incl. FB_USED, other phases, CPU requests)', millions(last.storedSamples)],
        ],
      ),
    );
  }
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      sizes: { type: 'string', default: '64,256,1024' },
      days: { type: 'string', default: '7' },
      month: { type: 'string', default: '2026-10' },
      zone: { type: 'string', default: 'UTC' },
      seed: { type: 'string', default: '42' },
      ksm: { type: 'string', default: '60' },
      dcgm: { type: 'string', default: '30' },
      json: { type: 'string' },
      'child-report': { type: 'boolean', default: false },
    },
  });
  if (values['child-report']) {
    const [configPath, month, outDir] = positionals as [string, string, string];
    await childReport(configPath, month, outDir);
    return;
  }
  const out = (line: string) => process.stdout.write(`${line}\n`);
  const log = (line: string) => process.stderr.write(`${line}\n`);
  out(machineLine());
  const classify = await queryClassifier();
  const rows: E2eRow[] = [];
  for (const gpus of values.sizes.split(',').map(Number)) {
    rows.push(
      await measureSize(
        {
          gpus,
          days: Number(values.days),
          month: values.month,
          zone: values.zone,
          seed: Number(values.seed),
          ksmSeconds: Number(values.ksm),
          dcgmSeconds: Number(values.dcgm),
        },
        log,
        classify,
      ),
    );
  }
  out(
    `\nend to end: report --month ${values.month} (${values.zone}) against Prometheus 2.42 on loopback; KSM ${values.ksm} s, DCGM ${values.dcgm} s`,
  );
  printE2e(rows, out);
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
