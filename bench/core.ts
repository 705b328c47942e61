/**
 * Core-only scale benchmark: synthetic metered usage -> price/allocate/aggregate -> chargeback CSV
 * (streamed to a file), usage/nodes CSVs and summary.json, in process, without Prometheus.
 *
 *   node --import tsx bench/core.ts                         # 3 policies × 1/4, 1/2, 1 × 500k pods
 *   node --import tsx bench/core.ts --pods 500000 --gpus 10000 --days 31 --policy allocation/separate --sizes 1
 *   node --import tsx bench/core.ts --src /path/to/other/src  # the same run against another checkout
 *   node --import tsx bench/core.ts --out /tmp/outputs         # keep the files (one folder per policy)
 *   node --import tsx bench/core.ts --heap-mb 1024             # children run with --max-old-space-size
 *   node --import tsx bench/core.ts --live-heap                # GC before each stage's heap reading
 *   node --import tsx bench/core.ts --snapshot /tmp/snaps      # a heap snapshot after each stage (slow)
 *   node --import tsx bench/core.ts --from-partials            # days loaded from stored partials
 *   node --import tsx bench/core.ts --render                   # also the team pack, PDFs and report.html
 *
 * Every (policy, size) runs in a child process of its own so that maxRSS is that run's peak. The table
 * shows wall time per stage, the heap in use at the end of each stage (the largest is "heap"), and the
 * process's peak resident set (process.resourceUsage().maxRSS). No thresholds: this prints figures.
 * After each run: the month's total and one SHA-256 over every file written (in order), so two trees
 * (`--src`) or two commits can be checked to bill the same month byte for byte.
 *
 * Synthetic model (deterministic, seeded): `gpus`/8 nodes of four 8-GPU instance types (A100, H100,
 * A10G, L40S), 35 % Spot, in two clusters; 3 % of Spot node-days are interrupted (present only part of
 * the day). `pods` pods each live on 1–3 consecutive days (uniform, so pod-days ≈ 2 × pods), on one node;
 * a quarter of the pods on A100 nodes hold MIG slices (3/7 or 1/7 GPU), the rest 1, 2, 4 or 8 GPUs.
 * A node-day's pods hold ~70 % of its capacity between them (held seconds are multiples of 30 s); 5 %
 * of pod-days have no utilization sample, the rest a full-precision double in [0, 1). Teams 40,
 * namespaces 400, projects 200. Each day's PodUsage/PodRef objects are separate (as when days are
 * loaded from daily partials); name strings are flat and shared between a pod's days.
 *
 * --from-partials: the month is generated once per size by a child process of its own, which stores
 * every day as the product stores it (`usage/<date>.json`, written by partialOf and storeDayPartial
 * into a filesystem store in a temp folder); each measured child then loads the days the way the
 * monthly report does (src/app/storedDays.ts, loadStoredDays: read, parse, share strings) — stage
 * "load" — and holds neither the generator's pod specs nor anything the monthly report does not hold.
 * Under each run's table a line gives the process's peak RSS as it stood at the end of every stage
 * (maxRSS is monotonic: the stage where it rises is where the peak falls).
 */
import { mulberry32 } from '../src/sim/prng.ts';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { writeHeapSnapshot } from 'node:v8';
import type { AppContext } from '../src/app/context.ts';
import type { Config, ConfigInput } from '../src/config/schema.ts';
import type { BlobStore } from '../src/ports.ts';
import type { CapacityType, Day, MeteredDay, NodeUsage, PodUsage } from '../src/core/types.ts';

type Schema = typeof import('../src/config/schema.ts');
type Period = typeof import('../src/core/period.ts');
type MonthStage = typeof import('../src/core/month/index.ts');
type Csv = typeof import('../src/render/csv.ts');
type Tables = typeof import('../src/render/tables.ts');
type SummaryJson = typeof import('../src/render/summaryJson.ts');
type Spool = typeof import('../src/adapters/fs/spool.ts');
type PriceOptions = typeof import('../src/app/priceOptions.ts');

const POLICIES = ['allocation/separate', 'utilization/share-by-node', 'floor/share-by-cluster'] as const;

const { values: args } = parseArgs({
  options: {
    pods: { type: 'string', default: '500000' },
    gpus: { type: 'string', default: '10000' },
    days: { type: 'string', default: '31' },
    policy: { type: 'string', default: 'all' },
    sizes: { type: 'string', default: '0.25,0.5,1' },
    src: { type: 'string', default: '' },
    seed: { type: 'string', default: '42' },
    child: { type: 'boolean', default: false },
    out: { type: 'string', default: '' },
    'live-heap': { type: 'boolean', default: false },
    'heap-mb': { type: 'string', default: '' },
    /** Days loaded from stored partials (`usage/<date>.json`), as the monthly report's month step does. */
    'from-partials': { type: 'boolean', default: false },
    /** Internal: the folder of stored partials a measured child loads (--from-partials). */
    partials: { type: 'string', default: '' },
    /** Internal: generate the month and store its partials into this folder, then exit. */
    'write-partials': { type: 'string', default: '' },
    /** Write a heap snapshot (v8.writeHeapSnapshot) into this folder after each stage. */
    snapshot: { type: 'string', default: '' },
    /** Also render the team pack (costs.csv and PDF per team), the executive PDF and report.html. */
    render: { type: 'boolean', default: false },
    /** Price the month from a synthetic invoice (one hourly line per node-hour; issue #17). */
    billing: { type: 'boolean', default: false },
  },
});

interface StageResult {
  stage: string;
  ms: number;
  /** User + system CPU time of the process (all threads, GC helpers included). */
  cpuMs?: number;
  heapMB: number;
  /** The process's peak RSS so far (maxRSS) at the end of the stage. */
  rssMB?: number;
}

interface RunResult {
  policy: string;
  pods: number;
  gpus: number;
  days: number;
  podDays: number;
  rows: number;
  csvMB: number;
  total: string;
  /** SHA-256 over the SHA-256 of every file written, in order (older trees without spoolChunks: '-'). */
  filesSha256: string;
  /** --render: SHA-256 over the team packs, the executive PDF and report.html (in order), and their MB. */
  renderSha256?: string;
  renderMB?: number;
  /** --render: CPU seconds of each part of the team pack (every team's costs.csv, facts, PDF). */
  teamPackParts?: string;
  stages: StageResult[];
  maxRssMB: number;
}

const here = path.dirname(fileURLToPath(import.meta.url));
const srcRoot = path.resolve(args.src || path.join(here, '..', 'src'));
const maxRssMB = () => process.resourceUsage().maxRSS / 1024;

function runAll(): void {
  const policies = args.policy === 'all' ? [...POLICIES] : args.policy.split(',');
  const sizes = args.sizes.split(',').map(Number);
  const results: RunResult[] = [];
  const cpus = os.cpus();
  console.log(
    `machine: ${cpus[0]?.model ?? 'unknown'} × ${cpus.length} cores, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, ` +
      `Node ${process.version}, ${os.platform()} ${os.release()}, load ${os.loadavg()[0]!.toFixed(1)}; src ${srcRoot}` +
      (args['heap-mb'] ? `; --max-old-space-size=${args['heap-mb']}` : ''),
  );
  // --from-partials: each size's month generated and stored once (by a child of its own), for every policy.
  const partialDirs = new Map<number, string>();
  const partialsOf = (size: number, pods: number, gpus: number): string | undefined => {
    let dir = partialDirs.get(size);
    if (dir) return dir;
    dir = mkdtempSync(path.join(os.tmpdir(), 'gpu-chargeback-bench-partials-'));
    const started = performance.now();
    const child = spawnSync(
      process.execPath,
      [
        ...process.execArgv,
        fileURLToPath(import.meta.url),
        '--child',
        `--write-partials=${dir}`,
        `--pods=${pods}`,
        `--gpus=${gpus}`,
        `--days=${args.days}`,
        `--seed=${args.seed}`,
        `--src=${srcRoot}`,
      ],
      { encoding: 'utf8', maxBuffer: 64 * 2 ** 20 },
    );
    if (child.status !== 0) {
      console.log(
        `storing the partials of pods=${pods}: FAILED (exit ${child.status})\n${child.stderr.slice(-2000)}`,
      );
      rmSync(dir, { recursive: true, force: true });
      return undefined;
    }
    console.log(
      `${''.padStart(26)}   ${child.stdout.trim()} in ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
    partialDirs.set(size, dir);
    return dir;
  };
  try {
    runPolicies(policies, sizes, partialsOf, results);
  } finally {
    for (const dir of partialDirs.values()) rmSync(dir, { recursive: true, force: true });
  }
}

function runPolicies(
  policies: readonly string[],
  sizes: readonly number[],
  partialsOf: (size: number, pods: number, gpus: number) => string | undefined,
  results: RunResult[],
): void {
  for (const policy of policies) {
    for (const size of sizes) {
      const pods = Math.round(Number(args.pods) * size);
      const gpus = Math.round((Number(args.gpus) * size) / 8) * 8;
      const partials = args['from-partials'] ? partialsOf(size, pods, gpus) : undefined;
      if (args['from-partials'] && !partials) continue;
      const childArgs = [
        ...process.execArgv,
        ...(args['live-heap'] ? ['--expose-gc'] : []),
        ...(args['heap-mb'] ? [`--max-old-space-size=${args['heap-mb']}`] : []),
        fileURLToPath(import.meta.url),
        '--child',
        `--pods=${pods}`,
        `--gpus=${gpus}`,
        `--days=${args.days}`,
        `--policy=${policy}`,
        `--seed=${args.seed}`,
        `--src=${srcRoot}`,
        ...(args['live-heap'] ? ['--live-heap'] : []),
        ...(partials ? [`--partials=${partials}`] : []),
        ...(args.snapshot ? [`--snapshot=${path.resolve(args.snapshot)}`] : []),
        ...(args.billing ? ['--billing'] : []),
        ...(args.render ? ['--render'] : []),
        ...(args.out ? [`--out=${path.join(path.resolve(args.out), policy.replace('/', '_'))}`] : []),
      ];
      const child = spawnSync(process.execPath, childArgs, { encoding: 'utf8', maxBuffer: 64 * 2 ** 20 });
      const line = child.stdout.split('\n').find((l) => l.startsWith('@@RESULT '));
      if (child.status !== 0 || !line) {
        console.log(`${policy} pods=${pods}: FAILED (exit ${child.status})\n${child.stderr.slice(-2000)}`);
        continue;
      }
      const result = JSON.parse(line.slice('@@RESULT '.length)) as RunResult;
      results.push(result);
      printTable([result], results.length === 1);
      console.log(
        `${''.padStart(26)}   total ${result.total}, ${result.rows} rows, files sha256 ${result.filesSha256}`,
      );
      if (result.renderSha256) {
        const took = (stage: string) => result.stages.find((s) => s.stage === stage);
        const rendering = ['team pack', 'executive PDF', 'report.html'].map(
          (stage) =>
            `${stage} ${((took(stage)?.ms ?? Number.NaN) / 1000).toFixed(1)} s (CPU ${((took(stage)?.cpuMs ?? Number.NaN) / 1000).toFixed(1)} s)`,
        );
        console.log(
          `${''.padStart(26)}   rendered ${rendering.join(', ')}: ${result.renderMB!.toFixed(0)} MB, sha256 ${result.renderSha256}\n` +
            `${''.padStart(26)}   team pack CPU s: ${result.teamPackParts}`,
        );
      }
      console.log(
        `${''.padStart(26)}   peak RSS MB at each stage's end (the stage's CPU): ` +
          result.stages
            .filter((s) => s.rssMB !== undefined)
            .map(
              (s) =>
                `${s.stage} ${s.rssMB!.toFixed(0)}` +
                (s.cpuMs === undefined ? '' : ` (CPU ${(s.cpuMs / 1000).toFixed(1)} s)`),
            )
            .join(', ') +
          '',
      );
    }
  }
}

function printTable(results: readonly RunResult[], header: boolean): void {
  const stageNames = [
    'generate',
    'load',
    'price',
    'chargeback.csv',
    'team CSVs',
    'usage+nodes.csv',
    'summary.json',
  ];
  const cols = [
    'policy',
    'pods',
    'GPUs',
    'pod-days',
    'rows',
    ...stageNames.map((s) => `${s} s`),
    'core s',
    'core cpu s',
    'heap MB',
    'maxRSS MB',
    'csv MB',
  ];
  const widths = [26, 8, 6, 9, 9, 10, 6, 8, 16, 17, 14, 8, 10, 8, 10, 8];
  const pad = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i] ?? 8)).join(' ');
  if (header) console.log(pad(cols));
  for (const r of results) {
    const byStage = new Map(r.stages.map((s) => [s.stage, s]));
    const core = r.stages.filter((s) => s.stage !== 'generate' && !s.stage.startsWith('price:'));
    const coreMs = core.reduce((t, s) => t + s.ms, 0);
    const coreCpuMs = core.reduce((t, s) => t + (s.cpuMs ?? Number.NaN), 0);
    const heapMB = Math.max(...r.stages.map((s) => s.heapMB));
    console.log(
      pad([
        r.policy,
        String(r.pods),
        String(r.gpus),
        String(r.podDays),
        String(r.rows),
        ...stageNames.map((s) => ((byStage.get(s)?.ms ?? Number.NaN) / 1000).toFixed(1)),
        (coreMs / 1000).toFixed(1),
        (coreCpuMs / 1000).toFixed(1),
        heapMB.toFixed(0),
        r.maxRssMB.toFixed(0),
        r.csvMB.toFixed(0),
      ]),
    );
    const sub = r.stages.filter((s) => s.stage.startsWith('price:'));
    if (sub.length > 0)
      console.log(
        `${''.padStart(widths[0]!)}   price = ${sub.map((s) => `${s.stage.slice(6)} ${(s.ms / 1000).toFixed(1)}s`).join(', ')}`,
      );
  }
}

async function runOnce(): Promise<RunResult> {
  const load = async <T>(rel: string) => (await import(pathToFileURL(path.join(srcRoot, rel)).href)) as T;
  const { configSchema } = await load<Schema>('config/schema.ts');
  const { billingPeriod } = await load<Period>('core/period.ts');
  // The month stage's entry point (older trees kept it in core/pricing, so --src can still compare them).
  const { priceMonth } = await load<MonthStage>('core/month/index.ts').catch(() =>
    load<MonthStage>('core/pricing/index.ts'),
  );
  const csv = await load<Csv>('render/csv.ts');
  const { chargebackCsvChunks, csvMetaFromSummary } = csv;
  // The product's own spooler (streamed to a file while hashed), when the source tree has one.
  const spool = await load<Spool>('adapters/fs/spool.ts').catch(() => undefined);
  const { usageCsvChunks, nodesCsvChunks } = await load<Tables>('render/tables.ts');
  const { renderSummaryJson } = await load<SummaryJson>('render/summaryJson.ts');
  // The product's own config edge when the tree has one (older trees took config sections directly).
  const priceOptions = await load<PriceOptions>('app/priceOptions.ts').catch(() => undefined);

  const pods = Number(args.pods);
  const gpus = Number(args.gpus);
  const dayCount = Number(args.days);
  const [utilizationMode, idleMode] = args.policy.split('/') as [string, string];
  const stages: StageResult[] = [];
  const heapMB = () => process.memoryUsage().heapUsed / 2 ** 20;
  let last = performance.now();
  let lastCpu = process.cpuUsage();
  const gc = (globalThis as { gc?: () => void }).gc;
  // Under --trace-gc (node option), each stage's end is printed among V8's lines, to place the collections.
  const traceGc = process.execArgv.includes('--trace-gc');
  // Time and CPU spent in --live-heap collections inside a stage (its sub-stages'), left out of its figures.
  let excludedMs = 0;
  let excludedCpuMs = 0;
  const mark = (stage: string) => {
    const now = performance.now();
    if (traceGc)
      console.log(
        `@@STAGE ${stage} ${Math.round(now)} ms, rss ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MB`,
      );
    const cpu = process.cpuUsage(lastCpu);
    // --live-heap: collect garbage first, so heapMB is the live heap (not counted in the stage's time).
    if (args['live-heap'] && gc) gc();
    stages.push({
      stage,
      ms: now - last - excludedMs,
      cpuMs: (cpu.user + cpu.system) / 1000 - excludedCpuMs,
      heapMB: heapMB(),
      rssMB: maxRssMB(),
    });
    excludedMs = 0;
    excludedCpuMs = 0;
    if (args.snapshot) {
      mkdirSync(args.snapshot, { recursive: true });
      writeHeapSnapshot(
        path.join(args.snapshot, `${args.policy.replace('/', '_')}-${stages.length}-${stage}.heapsnapshot`),
      );
    }
    last = performance.now();
    lastCpu = process.cpuUsage();
  };

  const period = billingPeriod('2026-03', 'UTC');
  const config = benchConfig(configSchema, utilizationMode, idleMode);
  let days: MeteredDay[];
  if (args.partials) {
    // The month step's own loading of the stored days (read, parse, share strings), as the report does it.
    type StoredDaysModule = typeof import('../src/app/storedDays.ts');
    type Fs = typeof import('../src/adapters/fs/fsStore.ts');
    const { loadStoredDays } = await load<StoredDaysModule>('app/storedDays.ts');
    const { createFsStore } = await load<Fs>('adapters/fs/fsStore.ts');
    const ctx = benchContext(config, createFsStore(args.partials));
    const wanted = period.days.slice(0, dayCount);
    const { reused } = await loadStoredDays(ctx, period, () => true);
    const missing = wanted.filter((d) => !reused.has(d.date)).map((d) => d.date);
    if (missing.length > 0) throw new Error(`no fresh stored partial for ${missing.join(', ')}`);
    days = wanted.map((d) => reused.get(d.date)!);
    mark('load');
  } else {
    days = generateMonth(period.days.slice(0, dayCount), pods, gpus, Number(args.seed));
    mark('generate');
  }
  const podDays = days.reduce((s, d) => s + d.pods.length, 0);
  // --billing: every node's instance has an hourly line on a synthetic FOCUS-like invoice (prices of the
  // catalog, Spot ones moving every six hours), streamed through the product's InvoiceLedger.
  let invoice: Record<string, unknown> | undefined;
  if (args.billing) {
    type Ledger = typeof import('../src/core/billing/ledger.ts');
    type Money = typeof import('../src/core/money.ts');
    const { InvoiceLedger } = await load<Ledger>('core/billing/ledger.ts');
    const { exactDecimal } = await load<Money>('core/money.ts');
    const { chargePeriods } = await load<Period>('core/period.ts');
    const ids = new Map<string, string>();
    const idOf = (node: string) => {
      let id = ids.get(node);
      if (!id) ids.set(node, (id = `i-${(0x10000000000000 + ids.size).toString(16).padStart(17, '0')}`));
      return id;
    };
    days = days.map((d) => ({
      ...d,
      nodes: d.nodes.map((n) => ({ ...n, providerId: `aws:///us-east-1a/${idOf(n.node)}` })),
    }));
    const typeOf = new Map<string, { type: string; spot: boolean }>();
    for (const d of days)
      for (const n of d.nodes) typeOf.set(n.node, { type: n.instanceType, spot: n.capacityType === 'spot' });
    const ledger = new InvoiceLedger(chargePeriods(period.days.slice(0, dayCount), []));
    const moves = ['1', '0.94', '1.06', '1.12'].map((m) => exactDecimal(m));
    const start = period.days[0]!.startMs;
    const end = period.days[dayCount - 1]!.endMs;
    for (const [node, id] of ids) {
      const { type, spot } = typeOf.get(node)!;
      const entry = (CATALOG as Record<string, { onDemand: number; spot?: number }>)[type]!;
      const base = exactDecimal(spot ? (entry.spot ?? entry.onDemand) : entry.onDemand);
      for (let t = start; t < end; t += 3_600_000) {
        const move = spot ? moves[Math.floor(new Date(t).getUTCHours() / 6)]! : moves[0]!;
        ledger.add({
          billingAccountId: '111122223333',
          subAccountId: '',
          resourceId: id,
          instanceType: type,
          region: 'us-east-1',
          startMs: t,
          endMs: t + 3_600_000,
          usageSeconds: 3600,
          effectiveCost: {
            numerator: base.numerator * move.numerator,
            denominator: base.denominator * move.denominator,
          },
          pricingCategory: spot ? 'Dynamic' : 'Standard',
          team: null,
          project: null,
        });
      }
    }
    invoice = {
      costs: ledger.result(),
      source: { format: 'focus', description: 'bench' },
      gpuInstanceTypes: {},
      defaultProject: 'unallocated',
    };
    mark('invoice');
  }

  // Sub-stage hook (newer src only; older code ignores unknown options).
  let subLast = performance.now();
  const onStage = (stage: string) => {
    const now = performance.now();
    if (traceGc)
      console.log(
        `@@STAGE price:${stage} ${Math.round(now)} ms, rss ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MB`,
      );
    const gcStart = performance.now();
    const gcCpu = process.cpuUsage();
    if (args['live-heap'] && gc) gc();
    stages.push({ stage: `price:${stage}`, ms: now - subLast, heapMB: heapMB(), rssMB: maxRssMB() });
    const gcCpuUsed = process.cpuUsage(gcCpu);
    excludedCpuMs += (gcCpuUsed.user + gcCpuUsed.system) / 1000;
    subLast = performance.now();
    excludedMs += subLast - gcStart;
  };
  subLast = performance.now();
  const metering = { pendingOnNode: 'not-charged', maxBridgeSeconds: 0 } as const;
  const options = priceOptions
    ? priceOptions.priceMonthOptionsFor(config, period, SOURCE, {
        metering,
        onStage,
        ...(invoice ? { invoice } : {}),
      } as never)
    : ({
        period,
        pricing: config.pricing,
        allocation: config.allocation,
        metering,
        budgets: {},
        source: SOURCE,
        onStage,
      } as unknown as Parameters<MonthStage['priceMonth']>[1]);
  const priced = priceMonth(days, options);
  mark('price');

  const dir = args.out || mkdtempSync(path.join(os.tmpdir(), 'gpu-chargeback-bench-'));
  mkdirSync(dir, { recursive: true });
  let csvBytes = 0;
  const fileHashes = createHash('sha256');
  let hashed = false;
  const writeChunks = async (file: string, chunks: Iterable<string>) => {
    if (spool) {
      const spooled = await spool.spoolChunks(chunks, dir);
      csvBytes += spooled.bytes;
      fileHashes.update(`${file} ${spooled.sha256}\n`);
      hashed = true;
      return;
    }
    const fd = openSync(path.join(dir, file), 'w');
    try {
      for (const chunk of chunks) {
        const buffer = Buffer.from(chunk, 'utf8');
        writeSync(fd, buffer);
        csvBytes += buffer.length;
      }
    } finally {
      closeSync(fd);
    }
  };
  const meta = { ...csvMetaFromSummary(priced.summary, period), ...(invoice ? { billing: true } : {}) };
  // --render on trees whose costs.csv lines are made from the chargeback CSV's encoded records (as the
  // monthly report makes them): the lines are spooled per team during "chargeback.csv" and put in cost
  // order in "team pack".
  type TeamCsv = typeof import('../src/render/teamCsv.ts');
  const teamCsv = args.render ? await load<TeamCsv>('render/teamCsv.ts') : undefined;
  const costs = {
    currency: priced.summary.currency.code,
    minorDigits: priced.summary.currency.minorDigits,
    zone: 'UTC',
  };
  let costLines:
    | {
        writer: InstanceType<TeamCsv['TeamCostLineWriter']>;
        files: { path: string; discard(): void; finish(): { path: string } }[];
      }
    | undefined;
  if (typeof csv.chargebackAndTeamCsvChunks === 'function' && spool?.SpoolWriter) {
    // As the monthly report writes them: the team CSVs from the chargeback CSV's encoding of each record
    // (so stage "chargeback.csv" includes the team CSVs' records; "team CSVs" only finishes their files).
    const teams = csv.rowsByTeam(priced.rows);
    const writers = [...teams.keys()].map(() => new spool.SpoolWriter(dir));
    if (teamCsv && typeof teamCsv.TeamCostLineWriter === 'function') {
      const files = [...teams.keys()].map(() => new spool.SpoolWriter(dir));
      const writer = new teamCsv.TeamCostLineWriter(
        priced.rows,
        meta,
        { ...costs, correction: false },
        (t, line) => files[t]!.write(line),
      );
      costLines = { writer, files };
    }
    const writeTeam = (t: number, text: string) => {
      writers[t]!.write(text);
    };
    if (typeof csv.writeChargebackAndTeamCsvs === 'function') {
      // As the monthly report writes it: record by record into a spooled file (no chunk strings).
      const all = new spool.SpoolWriter(dir, 1 << 20);
      csv.writeChargebackAndTeamCsvs(
        priced.rows,
        meta,
        teams,
        (text) => {
          all.write(text);
        },
        writeTeam,
        costLines?.writer.add,
      );
      const spooled = all.finish();
      csvBytes += spooled.bytes;
      fileHashes.update(`chargeback.csv ${spooled.sha256}\n`);
      hashed = true;
    } else {
      await writeChunks(
        'chargeback.csv',
        csv.chargebackAndTeamCsvChunks(priced.rows, meta, teams, writeTeam, costLines?.writer.add),
      );
    }
    mark('chargeback.csv');
    let t = 0;
    for (const team of teams.keys()) {
      const spooled = writers[t++]!.finish();
      csvBytes += spooled.bytes;
      fileHashes.update(`team-${team}.csv ${spooled.sha256}\n`);
    }
  } else {
    await writeChunks('chargeback.csv', chargebackCsvChunks(priced.rows, meta));
    mark('chargeback.csv');
    // Per-team CSVs as the monthly report wrote them (older trees without teamChargebackCsvs skip this).
    if (typeof csv.teamChargebackCsvs === 'function') {
      for (const file of csv.teamChargebackCsvs(priced.rows, meta))
        await writeChunks(`team-${file.team}.csv`, file.chunks);
    }
  }
  mark('team CSVs');
  await writeChunks('usage.csv', usageCsvChunks(days, period.zone));
  await writeChunks('nodes.csv', nodesCsvChunks(days, period.zone));
  mark('usage+nodes.csv');
  const json = renderSummaryJson(priced.summary);
  await writeChunks('summary.json', [json]);
  mark('summary.json');
  // --render: what the monthly report renders besides the CSVs and summary.json: the team pack (each
  // team's costs.csv and PDF), the executive PDF and the browsable report.html (one record per pod).
  const renderHashes = createHash('sha256');
  let renderMB = 0;
  let teamPackParts = '';
  if (args.render) {
    type Pdf = typeof import('../src/render/pdf/renderPdf.ts');
    type TeamPdf = typeof import('../src/render/pdf/teamPdf.ts');
    type Html = typeof import('../src/render/html/htmlReport.ts');
    const { renderPdf } = await load<Pdf>('render/pdf/renderPdf.ts');
    const { renderTeamPdf, TEAM_PDF_TOP } = await load<TeamPdf>('render/pdf/teamPdf.ts');
    const { teamCostsCsvChunks, teamFacts } = teamCsv!;
    const html = await load<Html>('render/html/htmlReport.ts');
    const { summary } = priced;
    const rendered = (name: string, body: Uint8Array | string) => {
      const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
      renderMB += bytes.length / 2 ** 20;
      renderHashes.update(`${name} ${createHash('sha256').update(bytes).digest('hex')}\n`);
    };
    const pdfOptions = { language: 'en', baselinePercentile: config.report.baselinePercentile } as const;
    const teamRows = csv.rowsByTeam(priced.rows);
    // CPU seconds of the team pack's parts, summed over the teams.
    const cpuSeconds = () => {
      const used = process.cpuUsage();
      return (used.user + used.system) / 1e6;
    };
    const parts = { 'costs.csv': 0, facts: 0, PDF: 0 };
    let t = 0;
    for (const [team, indices] of teamRows) {
      let started = cpuSeconds();
      const file = costLines?.files[t++];
      const lines = file && spool!.spooledReader(file.finish().path);
      const chunks = lines
        ? teamCsv!.teamCostsCsvChunksOfLines(
            priced.rows,
            indices,
            costLines!.writer.lineBytes,
            lines.readAt,
            costs,
          )
        : teamCostsCsvChunks(priced.rows, indices, { ...costs, correction: false });
      // Chunks of bytes, spooled synchronously (older trees: text, through spoolChunks).
      const { spoolBytes } = spool as Partial<Spool>;
      const spooled = spoolBytes
        ? spoolBytes(chunks as Iterable<Uint8Array>, dir)
        : await spool!.spoolChunks(chunks as unknown as Iterable<string>, dir);
      lines?.close();
      file?.discard();
      renderMB += spooled.bytes / 2 ** 20;
      renderHashes.update(`team-${team}/costs.csv ${spooled.sha256}\n`);
      parts['costs.csv'] += cpuSeconds() - started;
      started = cpuSeconds();
      const facts = teamFacts(priced.rows, indices, TEAM_PDF_TOP.pods);
      parts.facts += cpuSeconds() - started;
      started = cpuSeconds();
      rendered(`team-${team}/report.pdf`, await renderTeamPdf(summary, null, team, facts, pdfOptions));
      parts.PDF += cpuSeconds() - started;
    }
    teamPackParts = Object.entries(parts)
      .map(([part, seconds]) => `${part} ${seconds.toFixed(1)}`)
      .join(', ');
    mark('team pack');
    rendered('executive-report.pdf', await renderPdf(summary, null, pdfOptions));
    mark('executive PDF');
    // Written as the monthly report writes it: in pieces to a spooled file (older trees: one string).
    const { htmlReportChunks } = html as Partial<Html>;
    if (htmlReportChunks) {
      const spooled = await spool!.spoolChunks(
        htmlReportChunks(summary, priced.rows, { language: 'en' }),
        dir,
      );
      renderMB += spooled.bytes / 2 ** 20;
      renderHashes.update(`report.html ${spooled.sha256}\n`);
    } else rendered('report.html', html.renderHtmlReport(summary, priced.rows, { language: 'en' }));
    mark('report.html');
  }
  if (!args.out) rmSync(dir, { recursive: true, force: true });

  return {
    policy: args.policy,
    pods,
    gpus,
    days: dayCount,
    podDays,
    rows: priced.rows.length,
    csvMB: csvBytes / 2 ** 20,
    total: priced.summary.totals.cost,
    filesSha256: hashed ? fileHashes.digest('hex') : '-',
    ...(args.render ? { renderSha256: renderHashes.digest('hex'), renderMB, teamPackParts } : {}),
    stages,
    maxRssMB: maxRssMB(),
  };
}

// ---------------------------------------------------------------------------------------------
// Synthetic month.
// ---------------------------------------------------------------------------------------------

const CATALOG = {
  'p4d.24xlarge': { gpus: 8, gpuModel: 'A100', onDemand: 32.7726, spot: 12.4536 },
  'p5.48xlarge': { gpus: 8, gpuModel: 'H100', onDemand: 98.32, spot: 40.5107 },
  'g5.48xlarge': { gpus: 8, gpuModel: 'A10G', onDemand: 16.288, spot: 5.6408 },
  'g6e.48xlarge': { gpus: 8, gpuModel: 'L40S', onDemand: 30.13109, spot: 11.9 },
};
const TYPES = Object.keys(CATALOG) as (keyof typeof CATALOG)[];
const TYPE_SHARE = [0.3, 0.2, 0.3, 0.2];
const CLUSTERS = ['prod-a', 'prod-b'];

const prng = mulberry32;

interface NodeSpec {
  cluster: string;
  name: string;
  instanceType: keyof typeof CATALOG;
  capacityType: CapacityType;
}

interface PodSpec {
  cluster: string;
  namespace: string;
  name: string;
  uid: string;
  team: string;
  project: string;
  node: number;
  resource: string;
  requested: number;
  numerator: number;
  denominator: number;
  firstDay: number;
  lastDay: number;
}

function generateMonth(days: readonly Day[], podCount: number, gpuCount: number, seed: number): MeteredDay[] {
  const random = prng(seed);
  const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)]!;
  const nodeCount = Math.max(2, Math.round(gpuCount / 8));
  const nodes: NodeSpec[] = [];
  for (let i = 0; i < nodeCount; i++) {
    let r = random();
    let t = 0;
    while (t < TYPES.length - 1 && r >= TYPE_SHARE[t]!) r -= TYPE_SHARE[t++]!;
    nodes.push({
      cluster: CLUSTERS[i % 2]!,
      name: ['ip-10-', (i >> 8) & 255, '-', i & 255, '-', 100 + (i % 100), '.ec2.internal'].join(''),
      instanceType: TYPES[t]!,
      capacityType: random() < 0.35 ? 'spot' : 'on-demand',
    });
  }
  const nodesByCluster = CLUSTERS.map((_, c) => nodes.map((_, i) => i).filter((i) => i % 2 === c));

  const teams = Array.from({ length: 40 }, (_, i) => `team-${String.fromCharCode(97 + (i % 26))}${i}`);
  const namespaces = Array.from({ length: 400 }, (_, i) => ({
    name: `ns-${i}-${['train', 'infer', 'eval', 'batch'][i % 4]}`,
    team: teams[Math.floor(Math.sqrt(random()) * teams.length) % teams.length]!,
    project: `proj-${Math.floor(i / 2)}`,
    cluster: i % 2,
  }));
  const hex = (n: number) =>
    Array.from({ length: n }, () => '0123456789abcdef'[Math.floor(random() * 16)]).join('');
  const podSpecs: PodSpec[] = [];
  for (let p = 0; p < podCount; p++) {
    const ns = pick(namespaces);
    const nodeIndex = pick(nodesByCluster[ns.cluster]!);
    const node = nodes[nodeIndex]!;
    const firstDay = Math.floor(random() * days.length);
    const span = 1 + Math.floor(random() * 3);
    let resource = 'nvidia_com_gpu';
    let requested = pick([1, 1, 1, 1, 2, 2, 4, 8]);
    let numerator = 1;
    let denominator = 1;
    if (node.instanceType === 'p4d.24xlarge' && random() < 0.25) {
      const mig = random() < 0.5;
      resource = mig ? 'nvidia_com_mig_3g_20gb' : 'nvidia_com_mig_1g_5gb';
      numerator = mig ? 3 : 1;
      denominator = 7;
      requested = 1 + Math.floor(random() * 2);
    }
    podSpecs.push({
      cluster: node.cluster,
      namespace: ns.name,
      // Flat strings (join), as a parsed partial's are: a template literal makes a rope that the first
      // comparison flattens, which would make the month step's heap look like the generator's.
      name: [ns.project, '-job-', p.toString(36), '-', hex(5)].join(''),
      uid: [hex(8), '-', hex(4), '-4', hex(3), '-a', hex(3), '-', hex(12)].join(''),
      team: ns.team,
      project: ns.project,
      node: nodeIndex,
      resource,
      requested,
      numerator,
      denominator,
      firstDay,
      lastDay: Math.min(days.length - 1, firstDay + span - 1),
    });
  }

  const month = days.map((day, d) => {
    const chargePeriod = { date: day.date, startMs: day.startMs, endMs: day.endMs };
    const daySeconds = (day.endMs - day.startMs) / 1000;
    const onNode: PodSpec[][] = nodes.map(() => []);
    for (const spec of podSpecs) if (spec.firstDay <= d && d <= spec.lastDay) onNode[spec.node]!.push(spec);
    const podUsages: PodUsage[] = [];
    const nodeUsages: NodeUsage[] = [];
    const hourly: Record<string, number[]> = {};
    nodes.forEach((node, n) => {
      const interrupted = node.capacityType === 'spot' && random() < 0.03;
      const presentSeconds = interrupted ? 30 * Math.floor((random() * daySeconds) / 30) : daySeconds;
      const capacityGpuSeconds = 8 * presentSeconds;
      const specs = onNode[n]!;
      const weights = specs.map(() => 0.2 + random());
      const weightSum = weights.reduce((s, w) => s + w, 0);
      let allocated = 0;
      specs.forEach((spec, k) => {
        const gpuEquivalents = (spec.requested * spec.numerator) / spec.denominator;
        const share = (0.7 * capacityGpuSeconds * weights[k]!) / weightSum;
        const heldSeconds = Math.max(
          30,
          30 * Math.floor(Math.min(presentSeconds, share / gpuEquivalents) / 30),
        );
        const gpuSeconds = heldSeconds * gpuEquivalents;
        allocated += gpuSeconds;
        const utilization = random() < 0.05 ? null : random();
        podUsages.push({
          pod: { cluster: spec.cluster, namespace: spec.namespace, pod: spec.name, uid: spec.uid },
          node: node.name,
          chargePeriod,
          gpuResource: spec.resource,
          requested: spec.requested,
          weight: { numerator: spec.numerator, denominator: spec.denominator },
          gpuEquivalents,
          heldSeconds,
          bridgedSeconds: 0,
          gpuSeconds,
          utilization,
          utilizationSource: utilization === null ? 'none' : 'DCGM_FI_PROF_GR_ENGINE_ACTIVE',
          team: spec.team,
          project: spec.project,
          teamSource: 'namespace-label',
          phase: 'Running',
        });
      });
      nodeUsages.push({
        cluster: node.cluster,
        node: node.name,
        chargePeriod,
        instanceType: node.instanceType,
        capacityType: node.capacityType,
        presentSeconds,
        capacityGpuSeconds,
        allocatedGpuSeconds: allocated,
        idleGpuSeconds: capacityGpuSeconds - allocated,
        gpus: 8,
      });
      hourly[node.instanceType] ??= new Array<number>(24).fill(0);
      const series = hourly[node.instanceType]!;
      for (let h = 0; h < 24; h++) series[h]! += allocated / daySeconds;
    });
    return {
      day,
      pods: podUsages,
      nodes: nodeUsages,
      coverage: { date: day.date, kubeStateMetrics: 1, dcgm: 0.98, gaps: [] },
      scrape: { kubeStateMetricsSeconds: 30, dcgmSeconds: 15, source: 'detected' as const },
      hourlyAllocatedGpus: hourly,
      warnings: [],
    } satisfies MeteredDay;
  });
  return month;
}

/** The bench's configuration under one policy (allocation settings are not part of a partial's key). */
function benchConfig(schema: Schema['configSchema'], utilizationMode: string, idleMode: string) {
  return schema.parse({
    pricing: { catalogVersion: 'bench', instanceTypes: CATALOG },
    allocation: {
      utilization: { mode: utilizationMode, floor: 0.25 },
      idle: { mode: idleMode, platformTeam: 'platform' },
    },
  } as ConfigInput);
}

const SOURCE = { kind: 'demo', description: 'bench/core.ts synthetic month' } as const;

/** What the product's loading and storing of partials read from a context: config, source, store, clock. */
function benchContext(config: Config, store: BlobStore): AppContext {
  const quiet = () => {};
  return {
    config,
    source: SOURCE,
    store,
    logger: { info: quiet, warn: quiet, error: quiet, progress: quiet },
    clock: { nowMs: () => Date.now() },
  } as unknown as AppContext;
}

/** --write-partials: the month generated and every day stored as `usage/<date>.json`, as metering stores it. */
async function writePartials(dir: string): Promise<void> {
  const load = async <T>(rel: string) => (await import(pathToFileURL(path.join(srcRoot, rel)).href)) as T;
  type MeterDayModule = typeof import('../src/app/meterDay.ts');
  type Fs = typeof import('../src/adapters/fs/fsStore.ts');
  type Catalog = typeof import('../src/core/pricing/catalog.ts');
  type Metering = typeof import('../src/core/metering/index.ts');
  const { configSchema } = await load<Schema>('config/schema.ts');
  const { billingPeriod } = await load<Period>('core/period.ts');
  const { meteringKey, partialOf, storeDayPartial } = await load<MeterDayModule>('app/meterDay.ts');
  const { createFsStore } = await load<Fs>('adapters/fs/fsStore.ts');
  const { priceCutInstants } = await load<Catalog>('core/pricing/catalog.ts');
  const { WHOLE_DAY } = await load<Metering>('core/metering/index.ts');
  const config = benchConfig(configSchema, 'allocation', 'separate');
  const ctx = benchContext(config, createFsStore(dir));
  const period = billingPeriod('2026-03', 'UTC');
  const month = generateMonth(
    period.days.slice(0, Number(args.days)),
    Number(args.pods),
    Number(args.gpus),
    Number(args.seed),
  );
  let bytes = 0;
  for (const day of month) {
    const key = meteringKey(config, day.day, priceCutInstants(config.pricing, day.day), SOURCE.description);
    const partial = partialOf(ctx, { day, key, shard: WHOLE_DAY });
    bytes += Buffer.byteLength(JSON.stringify(partial));
    await storeDayPartial(ctx, partial);
  }
  console.log(`stored ${month.length} partials (${(bytes / 2 ** 20).toFixed(0)} MB of JSON)`);
}

if (args.child && args['write-partials']) {
  await writePartials(args['write-partials']);
} else if (args.child) {
  const result = await runOnce();
  process.stdout.write(`\n@@RESULT ${JSON.stringify(result)}\n`);
} else {
  runAll();
}
