/**
 * A real Prometheus for integration tests: backfills OpenMetrics files with promtool into a cached TSDB
 * (<repo>/.cache/tsdb/<key>), copies it to a temp dir and serves it on 127.0.0.1:<free port>.
 */
import { OPENMETRICS_VERSION } from '../../src/sim/openMetrics.ts';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { accessSync, constants, createReadStream } from 'node:fs';
import { cp, mkdir, mkdtemp, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CACHE = join(REPO, '.cache', 'tsdb');

export interface PrometheusHandle {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

function onPath(binary: string): boolean {
  return (process.env.PATH ?? '')
    .split(':')
    .filter(Boolean)
    .some((dir) => {
      try {
        accessSync(join(dir, binary), constants.X_OK);
        return true;
      } catch {
        return false;
      }
    });
}

/** null when `prometheus` and `promtool` are on PATH, otherwise the command that installs them. */
export function prometheusInstallHint(): string | null {
  if (onPath('prometheus') && onPath('promtool')) return null;
  return 'sudo apt-get install -y prometheus   # Debian/Ubuntu: provides prometheus and promtool';
}

async function hashFiles(files: string[]): Promise<string> {
  const hash = createHash('sha256');
  for (const f of files) {
    hash.update(`${basename(f)}\0`);
    await new Promise<void>((ok, fail) => {
      createReadStream(f)
        .on('data', (chunk) => hash.update(chunk))
        .on('end', () => ok())
        .on('error', fail);
    });
  }
  return hash.digest('hex').slice(0, 16);
}

/** Times of the last backfill (for reports and benchmarks). */
export const lastBackfill = { files: 0, seconds: 0, cached: false };

/**
 * promtool re-parses its whole input once per block; with --max-block-duration each per-day file
 * becomes one block in about two passes (≈5× faster than the default 2 h blocks).
 */
async function backfill(files: string[], target: string): Promise<void> {
  const staging = `${target}.tmp-${process.pid}`;
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging, { recursive: true });
  const queue = [...files];
  const worker = async () => {
    for (let f = queue.shift(); f !== undefined; f = queue.shift()) {
      try {
        await run(
          'promtool',
          ['tsdb', 'create-blocks-from', 'openmetrics', '--max-block-duration=486h', f, staging],
          {
            maxBuffer: 64 * 1024 * 1024,
          },
        );
      } catch (error) {
        const e = error as { stderr?: string };
        throw new Error(`promtool backfill of ${f} failed: ${e.stderr ?? String(error)}`, { cause: error });
      }
    }
  };
  await Promise.all([worker(), worker()]);
  await rm(target, { recursive: true, force: true });
  await rename(staging, target);
}

async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => ok(port));
    });
  });
}

const running = new Set<ChildProcess>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of running) child.kill('SIGKILL');
  });
}

/**
 * Backfills `openMetricsFiles` (cached by `cacheKey`, or by a hash of their content) and starts a
 * Prometheus serving them. Resolves once /-/ready answers 200.
 */
export async function startPrometheusWithData(
  openMetricsFiles: string[],
  options: { cacheKey?: string; externalLabels?: Record<string, string> } = {},
): Promise<PrometheusHandle> {
  const hint = prometheusInstallHint();
  if (hint) throw new Error(`prometheus/promtool not found on PATH; install with: ${hint}`);
  const key =
    options.cacheKey === undefined ? await hashFiles(openMetricsFiles) : versioned(options.cacheKey);
  const cached = join(CACHE, key.replace(/[^A-Za-z0-9._-]/g, '_'));
  const started = performance.now();
  const hit = await stat(join(cached, '.complete')).then(
    () => true,
    () => false,
  );
  if (!hit) {
    await mkdir(CACHE, { recursive: true });
    await backfill(openMetricsFiles, cached);
    await writeFile(join(cached, '.complete'), `${new Date().toISOString()}\n`);
  }
  Object.assign(lastBackfill, {
    files: openMetricsFiles.length,
    seconds: (performance.now() - started) / 1000,
    cached: hit,
  });

  const work = await mkdtemp(join(tmpdir(), 'gpu-chargeback-prom-'));
  const data = join(work, 'data');
  await cp(cached, data, { recursive: true, filter: (src) => basename(src) !== '.complete' });
  const config = join(work, 'prometheus.yml');
  const external = Object.entries(options.externalLabels ?? {})
    .map(([name, value]) => `\n    ${name}: ${JSON.stringify(value)}`)
    .join('');
  await writeFile(
    config,
    `global:\n  scrape_interval: 1m${external ? `\n  external_labels:${external}` : ''}\nscrape_configs: []\n`,
  );
  const port = await freePort();
  const child = spawn(
    'prometheus',
    [
      `--config.file=${config}`,
      `--storage.tsdb.path=${data}`,
      '--storage.tsdb.retention.time=100y',
      // min = max block duration disables background compaction of the backfilled blocks.
      '--storage.tsdb.min-block-duration=2h',
      '--storage.tsdb.max-block-duration=2h',
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  running.add(child);
  installExitHook();
  const exited = new Promise<void>((ok) => child.once('exit', () => ok()));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
    running.delete(child);
    await rm(work, { recursive: true, force: true });
  };
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`prometheus exited with code ${child.exitCode}: ${stderr}`);
    }
    try {
      const res = await fetch(`${url}/-/ready`);
      if (res.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`prometheus did not become ready within 60 s: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url, pid: child.pid!, stop };
}

/** Lists the block directories of a cached TSDB (for diagnostics). */
export async function cachedBlocks(cacheKey: string): Promise<string[]> {
  return (await readdir(join(CACHE, versioned(cacheKey))).catch(() => [])).filter((d) =>
    /^[0-9A-Z]{26}$/.test(d),
  );
}

/**
 * A cache key with the version of what the simulator writes (OPENMETRICS_VERSION): when the simulator's
 * series change, every cached TSDB is rebuilt instead of silently serving stale data.
 */
function versioned(cacheKey: string): string {
  return `${cacheKey}-${OPENMETRICS_VERSION}`;
}

/** True when a backfilled TSDB for `cacheKey` is already cached (so its OpenMetrics need not be written). */
export async function hasCachedTsdb(cacheKey: string): Promise<boolean> {
  return stat(join(CACHE, versioned(cacheKey).replace(/[^A-Za-z0-9._-]/g, '_'), '.complete')).then(
    () => true,
    () => false,
  );
}
