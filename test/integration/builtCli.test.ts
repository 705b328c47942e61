/**
 * The installed command runs from built JavaScript (dist/cli.mjs, made by `npm run build`, which `npm ci`
 * runs through `prepare`), not from TypeScript transpiled at every start: no tsx at run time, the query
 * templates found from the bundle, and `npx gpu-chargeback` resolving the package's own bin without a
 * self-dependency.
 */
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Summary } from '../../src/core/types.ts';
import {
  inThreadWhenUnavailable,
  PdfWorkerUnavailable,
  renderMonthPdfs,
} from '../../src/render/pdf/monthPdfs.ts';
import { workerPdfSessions } from '../../src/render/pdf/workerPdfs.ts';
import { expectSamePdfsAsHere, monthPdfInput } from '../support/monthPdfs.ts';

const run = promisify(execFile);
const REPO = resolve(import.meta.dirname, '../..');
const BIN = join(REPO, 'bin/gpu-chargeback.js');
const hasPoppler = !spawnSync('pdftotext', ['-v']).error;

describe('the built command line', () => {
  let dir = '';
  beforeAll(async () => {
    await run(process.execPath, [join(REPO, 'scripts/build.mjs')], { cwd: REPO });
    dir = await mkdtemp(join(tmpdir(), 'built-cli-'));
  }, 120_000);
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('is bundled ES modules that load neither tsx nor any TypeScript file', async () => {
    const chunks = await readdir(join(REPO, 'dist/chunks'));
    expect(chunks.filter((f) => f.endsWith('.mjs')).length).toBeGreaterThan(0);
    const entries = ['cli.mjs', 'pdfWorker.mjs'];
    for (const file of [...entries, ...chunks.filter((f) => f.endsWith('.mjs')).map((f) => `chunks/${f}`)]) {
      const bundle = await readFile(join(REPO, 'dist', file), 'utf8');
      expect(bundle).not.toMatch(/from ['"]tsx/);
      expect(bundle).not.toMatch(/from ['"][^'"]+\.ts['"]/);
      expect(bundle).not.toMatch(/import\(['"][^'"]+\.ts['"]\)/);
    }
    const pkg = JSON.parse(await readFile(join(REPO, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
      devDependencies: Record<string, string>;
    };
    expect(Object.keys(pkg.dependencies)).not.toContain('tsx');
    expect(Object.keys(pkg.dependencies)).not.toContain('gpu-chargeback');
  });

  it('loads the AWS SDK, the billing export readers and pdfkit only when a command needs them', async () => {
    // What the entry module imports statically, and the chunks it imports statically, transitively, loads
    // at every start (--help included): S3 is needed only for an s3:// output, CloudWatch when enabled,
    // the Parquet and CSV readers for a billing export, pdfkit for the first PDF — they must come through
    // import().
    const packages = new Set<string>();
    const seen = new Set<string>();
    const visit = async (file: string): Promise<void> => {
      if (seen.has(file)) return;
      seen.add(file);
      const text = await readFile(file, 'utf8');
      for (const [, specifier] of text.matchAll(/^import\s(?:[^;]*?\sfrom\s)?\s*"([^"]+)"/gms)) {
        if (specifier!.startsWith('.')) await visit(resolve(dirname(file), specifier!));
        else packages.add(specifier!);
      }
    };
    await visit(join(REPO, 'dist/cli.mjs'));
    expect(packages).toContain('luxon'); // the matcher finds static imports
    expect(seen.size).toBeGreaterThan(1); // and follows the chunks
    for (const lazy of [
      '@aws-sdk/client-s3',
      '@aws-sdk/client-cloudwatch',
      'hyparquet',
      'csv-parse',
      'pdfkit',
    ]) {
      expect(packages).not.toContain(lazy);
    }
  });

  it('prints a stack into src/ with --debug only (source maps are read only then)', async () => {
    const args = [BIN, 'report', '--month', '2026-10', '--config', join(dir, 'missing.yaml')];
    const fail = async (extra: string[]) =>
      run(process.execPath, [...args, ...extra], { cwd: dir }).then(
        () => '',
        (error: { stderr: string }) => error.stderr,
      );
    const debug = await fail(['--debug']);
    expect(debug).toMatch(/cannot read config file/);
    expect(debug).toMatch(/\n {4}at loadConfig \(.*src\/config\/loadConfig\.ts:\d+:\d+\)/);
    const plain = await fail([]);
    expect(plain).toMatch(/^gpu-chargeback report: cannot read config file .*missing\.yaml: ENOENT\n$/);
  });

  it('runs the demo from the bundle, with the report fonts found from there', async () => {
    const { stdout } = await run(process.execPath, [BIN, 'demo', '--month', '2026-10', '--out', dir], {
      cwd: dir,
      maxBuffer: 16 * 1024 * 1024,
    });
    const out = JSON.parse(stdout) as { total: string; keys: string[] };
    expect(Number(out.total)).toBeGreaterThan(0);
    expect(out.keys).toContain('2026-10/executive-report.pdf');
    expect(existsSync(join(dir, '2026-10/executive-report.pdf'))).toBe(true);
  }, 120_000);

  it.skipIf(!hasPoppler)(
    "keeps each demo team's idle-held line on its one page, the busiest team's included (#16)",
    async () => {
      // Runs on the demo written by the test above. Before, vision and search-ranking (the teams with the
      // fullest pages) lost the line to their top tables.
      const summary = JSON.parse(await readFile(join(dir, '2026-10/summary.json'), 'utf8')) as Summary;
      const idle = summary.idleHeld!.byTeam.filter((t) => t.pods > 0);
      // The fullest pages: with the code before, vision's and search-ranking's left the line out.
      expect(idle.map((t) => t.team)).toEqual(expect.arrayContaining(['vision', 'search-ranking']));
      for (const team of idle) {
        const file = join(dir, '2026-10/teams', team.team, 'report.pdf');
        const pages = Number(
          /Pages:\s+(\d+)/.exec(execFileSync('pdfinfo', [file], { encoding: 'utf8' }))![1],
        );
        const text = execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' }).replace(
          /\s+/g,
          ' ',
        );
        expect([team.team, pages]).toEqual([team.team, 1]);
        expect(text).toMatch(/Held while idle: [\d.,]+ GPU-hours costing \$[\d.,]+ \(\d+ pods\)\./);
      }
    },
  );

  it('reads the query templates of queries/ from the bundle (a report reaches its first query)', async () => {
    const config = join(dir, 'no-retries.json');
    await writeFile(config, JSON.stringify({ source: { maxRetries: 0, timeoutSeconds: 5 } }));
    const failed = await run(
      process.execPath,
      [
        BIN,
        'report',
        '--month',
        '2026-10',
        '--config',
        config,
        '--prometheus-url',
        'http://127.0.0.1:9',
        '--out',
        join(dir, 'r'),
      ],
      { cwd: dir },
    ).then(
      () => null,
      (error: { code: number; stderr: string }) => error,
    );
    expect(failed?.code).toBe(1);
    // The first query of a report is the shard plan's (config sharding: auto asks for the day's fleet).
    expect(failed?.stderr).toContain('query fleet_gpus failed');
    expect(failed?.stderr).not.toMatch(/ENOENT|\.promql/);
  }, 120_000);

  it('prints help through `npx gpu-chargeback` without installing anything', async () => {
    const { stdout } = await run('npx', ['--no-install', 'gpu-chargeback', 'report', '--help'], {
      cwd: REPO,
      env: { ...process.env, npm_config_update_notifier: 'false' },
    });
    expect(stdout).toContain('Usage: gpu-chargeback report --month YYYY-MM');
  }, 120_000);

  it('says how to build when dist/cli.mjs is missing, instead of a stack trace', async () => {
    const moved = join(dir, 'bin-only');
    await run('mkdir', ['-p', join(moved, 'bin')]);
    await run('cp', [BIN, join(moved, 'bin/gpu-chargeback.js')]);
    const failed = await run(process.execPath, [join(moved, 'bin/gpu-chargeback.js'), '--help']).then(
      () => null,
      (error: { code: number; stderr: string }) => error,
    );
    expect(failed?.code).toBe(1);
    expect(failed?.stderr).toContain('run `npm run build`');
  });
});

describe("the built CLI's PDF worker thread (dist/pdfWorker.mjs)", () => {
  const WORKER = join(REPO, 'dist/pdfWorker.mjs');
  let dir = '';
  beforeAll(async () => {
    // The suite above builds dist/ first (vitest runs a file's describe blocks in order).
    if (!existsSync(WORKER)) await run(process.execPath, [join(REPO, 'scripts/build.mjs')], { cwd: REPO });
    dir = await mkdtemp(join(tmpdir(), 'pdf-worker-'));
  }, 120_000);
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });
  const input = monthPdfInput;

  it('renders the same bytes as the calling thread, months one after another and at once', async () => {
    const session = workerPdfSessions(WORKER)();
    try {
      session.start();
      for (const there of await expectSamePdfsAsHere(session)) {
        expect(there.teams).toHaveLength(2);
        expect(Buffer.isBuffer(there.executive)).toBe(true);
        expect(Buffer.from(there.executive.subarray(0, 5)).toString('latin1')).toBe('%PDF-');
      }
      // Two months asked at once are answered each with its own PDFs.
      const [en, ko] = await Promise.all([session.render(input('en')), session.render(input('ko'))]);
      expect(Buffer.compare(en.executive, ko.executive)).not.toBe(0);
      expect(Buffer.compare(en.executive, (await renderMonthPdfs(input('en'))).executive)).toBe(0);
    } finally {
      await session.close();
    }
  }, 120_000);

  it("rejects a month with the worker's error or one it cannot be sent, and renders the next one", async () => {
    const session = workerPdfSessions(WORKER)();
    try {
      const broken = { ...input(), summary: { period: {} } as unknown as Summary };
      await expect(session.render(broken)).rejects.toThrow(/^rendering the PDFs failed: /);
      await expect(session.render(broken)).rejects.toMatchObject({
        stack: expect.stringContaining('(in the PDF worker thread)'),
      });
      // What cannot be cloned into the worker is refused here, and nothing waits for an answer.
      const title = (() => 'a function') as unknown as string;
      const unsent = session.render({ ...input(), options: { ...input().options, title } });
      await expect(unsent).rejects.toThrow(/could not be cloned/);
      await expect(unsent).rejects.toBeInstanceOf(PdfWorkerUnavailable);
      const next = await session.render(input());
      expect(Buffer.from(next.executive.subarray(0, 5)).toString('latin1')).toBe('%PDF-');
    } finally {
      await session.close();
    }
  }, 120_000);

  it('rejects every waiting month when the worker exits, and after close', async () => {
    const exits = join(dir, 'exits.mjs');
    await writeFile(
      exits,
      "import { parentPort } from 'node:worker_threads';\nparentPort.on('message', () => process.exit(3));\n",
    );
    const dying = workerPdfSessions(exits)();
    const both = [dying.render(input()), dying.render(input())];
    for (const month of both) await expect(month).rejects.toThrow('the PDF worker thread exited (code 3)');
    await expect(dying.render(input())).rejects.toBeInstanceOf(PdfWorkerUnavailable);
    await dying.close();

    const session = workerPdfSessions(WORKER)();
    await session.close(); // never started: nothing to stop
    await expect(session.render(input())).rejects.toThrow('the PDF worker thread was closed');
  }, 120_000);

  it("draws in the calling thread what a dead worker cannot, with one warning, but not a month's own error", async () => {
    const exits = join(dir, 'exits-too.mjs');
    await writeFile(
      exits,
      "import { parentPort } from 'node:worker_threads';\nparentPort.on('message', () => process.exit(4));\n",
    );
    const warnings: string[] = [];
    const session = inThreadWhenUnavailable(workerPdfSessions(exits)(), (w) => warnings.push(w));
    try {
      expect(await expectSamePdfsAsHere(session, ['ko', 'ko'])).toHaveLength(2);
      expect(warnings).toEqual([
        "the PDF worker thread exited (code 4); the month's PDFs are drawn in the calling thread instead",
      ]);
    } finally {
      await session.close();
    }
    // A month that fails to render in a live worker fails here too: it is not drawn again.
    const live = inThreadWhenUnavailable(workerPdfSessions(WORKER)(), (w) => warnings.push(w));
    try {
      const broken = { ...input(), summary: { period: {} } as unknown as Summary };
      await expect(live.render(broken)).rejects.toThrow(/^rendering the PDFs failed: /);
      expect(warnings).toHaveLength(1);
    } finally {
      await live.close();
    }
  }, 120_000);
});
