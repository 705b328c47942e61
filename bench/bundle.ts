/**
 * Bundle benchmark: packages the service offline exactly as test/integration/serverlessPackage.test.ts
 * does (`serverless package --stage ci`, into a temporary directory so .serverless/ is untouched),
 * then reports each function's zip size and the cold-start time to import its handler: a fresh
 * `node` process per sample that imports functions/<name>.mjs from the unpacked zip with the
 * deployment environment (median of --runs samples; the process start itself is reported apart).
 *
 *   node --import tsx bench/bundle.ts [--runs 5] [--json out.json]
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { machineLine, mb, table } from './lib/util.ts';

const run = promisify(execFile);
const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export interface BundleRow {
  name: string;
  zipBytes: number;
  unpackedBytes: number;
  importMs: number;
  processMs: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function measureBundles(
  runs: number,
  log: (line: string) => void,
): Promise<{ rows: BundleRow[]; packageSeconds: number }> {
  const out = await mkdtemp(join(tmpdir(), 'gcb-bench-package-'));
  try {
    log('  serverless package --stage ci (offline)');
    const t0 = performance.now();
    await run('timeout', ['600', 'npx', 'serverless', 'package', '--stage', 'ci', '--package', out], {
      cwd: REPO,
      env: { ...process.env, SLS_TELEMETRY_DISABLED: '1', SLS_NOTIFICATIONS_MODE: 'off' },
      maxBuffer: 64 * 1024 * 1024,
    });
    const packageSeconds = (performance.now() - t0) / 1000;
    const zips = (await readdir(out)).filter((f) => f.endsWith('.zip')).sort();
    const rows: BundleRow[] = [];
    for (const zip of zips) {
      const name = zip.replace(/\.zip$/, '');
      const dir = await mkdtemp(join(tmpdir(), `gcb-bench-${name}-`));
      try {
        await run('unzip', ['-q', join(out, zip), '-d', dir]);
        const { stdout: du } = await run('du', ['-sb', dir]);
        const script = join(dir, 'bench-import.mjs');
        await writeFile(
          script,
          `const t0 = performance.now();
           await import('./functions/${name}.mjs');
           console.log(JSON.stringify({ importMs: performance.now() - t0, processMs: performance.now() }));`,
        );
        const samples: { importMs: number; processMs: number }[] = [];
        for (let i = 0; i < runs; i++) {
          const { stdout } = await run(process.execPath, [script], {
            cwd: dir,
            env: {
              PATH: process.env.PATH,
              LAMBDA_TASK_ROOT: dir,
              GPU_CHARGEBACK_CONFIG_FILE: 'docs/config.example.yaml',
              OUTPUT_LOCATION: 's3://ci-gpu-chargeback-reports/gpu-chargeback',
              AMP_WORKSPACE_ID: 'ws-1',
              AWS_REGION: 'us-east-1',
              BILLING_TIMEZONE: 'Asia/Seoul',
              CLOUDWATCH_ENABLED: 'false',
            },
          });
          samples.push(JSON.parse(stdout.trim().split('\n').pop()!));
        }
        rows.push({
          name,
          zipBytes: (await stat(join(out, zip))).size,
          unpackedBytes: Number(du.split(/\s/)[0]),
          importMs: median(samples.map((s) => s.importMs)),
          processMs: median(samples.map((s) => s.processMs)),
        });
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    }
    return { rows, packageSeconds };
  } finally {
    await rm(out, { recursive: true, force: true });
  }
}

export function printBundles(rows: BundleRow[], out: (line: string) => void): void {
  out(
    table(
      [
        'function',
        'zip MiB',
        'unpacked MiB',
        'handler import ms',
        'node start→imported ms',
        'zip < 10 MB',
        'import < 1 s',
      ],
      rows.map((r) => [
        r.name,
        mb(r.zipBytes),
        mb(r.unpackedBytes),
        Math.round(r.importMs),
        Math.round(r.processMs),
        r.zipBytes < 10 * 1024 * 1024 ? 'yes' : 'NO',
        r.importMs < 1000 ? 'yes' : 'NO',
      ]),
    ),
  );
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { runs: { type: 'string', default: '5' }, json: { type: 'string' } },
  });
  console.log(machineLine());
  const { rows, packageSeconds } = await measureBundles(Number(values.runs), (l) =>
    process.stderr.write(`${l}\n`),
  );
  console.log(
    `\nbundles (serverless package --stage ci took ${packageSeconds.toFixed(0)} s; import = cold, fresh process, median of ${values.runs}):`,
  );
  printBundles(rows, (l) => console.log(l));
  if (values.json) await writeFile(values.json, JSON.stringify({ rows, packageSeconds }, null, 2));
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
