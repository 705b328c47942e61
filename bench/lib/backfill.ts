/**
 * Simulates the scale scenario and backfills it into a cached TSDB (<repo>/.cache/tsdb/<key>, the
 * folder test/support/prometheus.ts serves) as a stream: OpenMetrics text is generated in chunks of a
 * few hours, each chunk is handed to `promtool tsdb create-blocks-from openmetrics` as soon as it is
 * written and deleted right after, so at most a few chunks of text are ever on disk.
 */
import { OPENMETRICS_VERSION } from '../../src/sim/openMetrics.ts';
import { execFile } from 'node:child_process';
import { mkdir, open, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { buildSeries, simulate } from '../../src/sim/index.ts';
import { writeOpenMetricsRange } from '../../src/sim/openMetrics.ts';
import { buildScaleScenario } from '../../src/sim/scalePreset.ts';

const run = promisify(execFile);
const H = 3_600_000;

export interface ScaleDataset {
  gpus: number;
  month: string;
  days: number;
  zone: string;
  seed: number;
  ksmSeconds: number;
  dcgmSeconds: number;
  /** Pods without a GPU on every node (src/sim/scalePreset.ts daemonPodsPerNode); 0 or absent: none. */
  daemonPodsPerNode?: number;
}

export interface BackfillResult {
  cacheKey: string;
  cached: boolean;
  seconds: number;
  /** Raw samples written (all families), when backfilled now. */
  samples: number;
  textBytes: number;
  nodes: number;
  pods: number;
  tsdbBytes: number;
}

/** Cache key: everything the data depends on (bump the version when the scenario changes). */
export function datasetKey(d: ScaleDataset): string {
  const daemons = d.daemonPodsPerNode ? `-daemons${d.daemonPodsPerNode}` : '';
  return `bench-scale-v1-${d.gpus}gpu-${d.month}-${d.days}d-${d.zone.replace(/\//g, '_')}-ksm${d.ksmSeconds}-dcgm${d.dcgmSeconds}-s${d.seed}${daemons}`;
}

async function duBytes(dir: string): Promise<number> {
  const { stdout } = await run('du', ['-sb', dir]);
  return Number(stdout.split(/\s/)[0]);
}

/** Ensures the dataset is in the TSDB cache under `cacheRoot`; returns what it did. */
export async function ensureDataset(
  d: ScaleDataset,
  cacheRoot: string,
  scratch: string,
  log: (line: string) => void,
  chunkHours = 6,
): Promise<BackfillResult> {
  const cacheKey = datasetKey(d);
  // The folder test/support/prometheus.ts serves for this key (it appends what the simulator writes' version).
  const target = join(cacheRoot, `${cacheKey}-${OPENMETRICS_VERSION}`);
  const sim = simulate(
    buildScaleScenario({
      gpus: d.gpus,
      month: d.month,
      zone: d.zone,
      seed: d.seed,
      days: d.days,
      scrape: { ksmSeconds: d.ksmSeconds, dcgmSeconds: d.dcgmSeconds },
      ...(d.daemonPodsPerNode ? { daemonPodsPerNode: d.daemonPodsPerNode } : {}),
    }),
  );
  const base = { cacheKey, nodes: sim.nodes.length, pods: sim.pods.length };
  if (
    await stat(join(target, '.complete')).then(
      () => true,
      () => false,
    )
  ) {
    return { ...base, cached: true, seconds: 0, samples: 0, textBytes: 0, tsdbBytes: await duBytes(target) };
  }
  const started = performance.now();
  const staging = `${target}.tmp-${process.pid}`;
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging, { recursive: true });
  await mkdir(scratch, { recursive: true });
  const series = buildSeries(sim);
  const chunks: { startMs: number; endMs: number }[] = [];
  for (let t = sim.range.startMs; t < sim.range.endMs; t += chunkHours * H) {
    chunks.push({ startMs: t, endMs: Math.min(sim.range.endMs, t + chunkHours * H) });
  }
  let samples = 0;
  let textBytes = 0;
  // Producer/consumer: at most `maxPending` chunk files on disk, two promtool processes at a time.
  const maxPending = 3;
  const ready: string[] = [];
  let producing = true;
  let failure: unknown;
  const wakers: (() => void)[] = [];
  const wake = () => {
    for (const w of wakers.splice(0)) w();
  };
  const waitChange = () => new Promise<void>((ok) => wakers.push(ok));
  let inFlight = 0;
  let done = 0;
  const consumer = async () => {
    for (;;) {
      const file = ready.shift();
      if (file === undefined) {
        if (!producing || failure) return;
        await waitChange();
        continue;
      }
      inFlight++;
      try {
        await run(
          'promtool',
          ['tsdb', 'create-blocks-from', 'openmetrics', '--max-block-duration=486h', file, staging],
          { maxBuffer: 64 * 1024 * 1024 },
        );
      } catch (error) {
        failure ??= new Error(
          `promtool backfill of ${file} failed: ${(error as { stderr?: string }).stderr ?? error}`,
        );
      } finally {
        inFlight--;
        done++;
        await rm(file, { force: true });
        wake();
      }
      if (done % Math.max(1, Math.round(24 / chunkHours)) === 0)
        log(
          `  backfilled ${done}/${chunks.length} chunks (${((performance.now() - started) / 1000).toFixed(0)} s)`,
        );
    }
  };
  const consumers = [consumer(), consumer()];
  try {
    for (const [i, range] of chunks.entries()) {
      while (ready.length + inFlight >= maxPending && !failure) await waitChange();
      if (failure) break;
      const file = join(scratch, `chunk-${String(i).padStart(4, '0')}.om`);
      const handle = await open(file, 'w');
      try {
        samples += await writeOpenMetricsRange(sim, series, range, async (text) => {
          textBytes += Buffer.byteLength(text);
          await handle.write(text);
        });
      } finally {
        await handle.close();
      }
      ready.push(file);
      wake();
    }
  } finally {
    producing = false;
    wake();
    await Promise.all(consumers);
  }
  if (failure) {
    await rm(staging, { recursive: true, force: true });
    throw failure;
  }
  await rm(target, { recursive: true, force: true });
  await rename(staging, target);
  await writeFile(join(target, '.complete'), `${new Date().toISOString()}\n`);
  return {
    ...base,
    cached: false,
    seconds: (performance.now() - started) / 1000,
    samples,
    textBytes,
    tsdbBytes: await duBytes(target),
  };
}
