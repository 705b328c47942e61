import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliCaptured } from '../support/cli.ts';
import { makeTempDir } from '../support/tmp.ts';

/**
 * `get` and `demo` as a user meets them (issue #16): the demo published twice (English, then Korean, a
 * restatement of the PDF only) into one folder, then read back with `get`. No server: the demo cluster.
 */
const NOW = Date.parse('2026-11-22T12:00:00Z');
const MONTH = '2026-10';
const run = (...argv: string[]) => runCliCaptured(NOW, ...argv);

describe('get and demo against a folder with two versions of a month', () => {
  let tmp: Awaited<ReturnType<typeof makeTempDir>>;
  let reports: string;
  let first: { versionId: string; stderr: string; files: number };
  let again: { stderr: string };
  let second: { versionId: string };

  beforeAll(async () => {
    tmp = await makeTempDir();
    reports = join(tmp.dir, 'reports');
    const versionOf = (stdout: string) => (JSON.parse(stdout) as { versionId?: string }).versionId;
    const a = await run('demo', '--month', MONTH, '--no-billing', '--out', reports, '--quiet');
    expect(a.code, a.stderr).toBe(0);
    // The files of the month, as the demo's result lists them (the team pack adds files per team).
    const files = (JSON.parse(a.stdout) as { keys: string[] }).keys.length;
    first = { versionId: /version ([0-9a-f]{16})/.exec(a.stderr)![1]!, stderr: a.stderr, files };
    const b = await run('demo', '--month', MONTH, '--no-billing', '--out', reports, '--quiet');
    expect(b.code, b.stderr).toBe(0);
    again = { stderr: b.stderr };
    const c = await run(
      'demo',
      '--month',
      MONTH,
      '--no-billing',
      '--language',
      'ko',
      '--out',
      reports,
      '--quiet',
    );
    expect(c.code, c.stderr).toBe(0);
    second = { versionId: versionOf(c.stdout) ?? /version ([0-9a-f]{16})/.exec(c.stderr)![1]! };
  }, 300_000);

  afterAll(async () => {
    await tmp?.cleanup();
  });

  it('says what the demo wrote: the files it published, or that it published none', () => {
    expect(first.files).toBeGreaterThan(13);
    expect(first.stderr).toMatch(
      new RegExp(
        `demo: published ${MONTH} as version ${first.versionId}: wrote ${first.files} files to .*; stored 31 daily partials`,
      ),
    );
    expect(again.stderr).toMatch(
      new RegExp(
        `demo: ${MONTH} unchanged: version ${first.versionId} .* already holds these ${first.files} files, none published`,
      ),
    );
    expect(again.stderr).not.toMatch(/wrote \d+ files/);
    expect(second.versionId).not.toBe(first.versionId);
  });

  it('reads from --out and writes into a --save-to directory, never a file named like it', async () => {
    const into = join(tmp.dir, 'downloads') + '/';
    const r = await run('get', '--month', MONTH, '--out', reports, '--save-to', into);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/deprecated/);
    const current = await readFile(join(reports, MONTH, 'executive-report.pdf'));
    expect(await readFile(join(into, 'executive-report.pdf'))).toEqual(current);
    expect(r.stderr).toContain(`version ${second.versionId}`);
  });

  it('writes into an existing directory given without a trailing slash', async () => {
    const dir = join(tmp.dir, 'existing');
    await mkdir(dir);
    const r = await run('get', '--month', MONTH, '--what', 'summary', '--out', reports, '--save-to', dir);
    expect(r.code, r.stderr).toBe(0);
    expect(await readFile(join(dir, 'summary.json'))).toEqual(
      await readFile(join(reports, MONTH, 'summary.json')),
    );
  });

  it('fetches an earlier version with --version', async () => {
    const target = join(tmp.dir, 'first.pdf');
    const r = await run(
      'get',
      '--month',
      MONTH,
      '--version',
      first.versionId,
      '--out',
      reports,
      '--save-to',
      target,
    );
    expect(r.code, r.stderr).toBe(0);
    const earlier = await readFile(join(reports, MONTH, 'versions', first.versionId, 'executive-report.pdf'));
    expect(await readFile(target)).toEqual(earlier);
    expect(earlier).not.toEqual(await readFile(join(reports, MONTH, 'executive-report.pdf')));
  });

  it('names the versions there are when --version names none', async () => {
    const r = await run(
      'get',
      '--month',
      MONTH,
      '--version',
      '0000000000000000',
      '--out',
      reports,
      '--save-to',
      '-',
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`has no version 0000000000000000`);
    expect(r.stderr).toContain(first.versionId);
    expect(r.stderr).toContain(second.versionId);
  });

  it('keeps the old spelling (--from LOCATION --out FILE) working, with a deprecation warning', async () => {
    const target = join(tmp.dir, 'old-spelling.csv');
    const r = await run('get', '--month', MONTH, '--team', 'vision', '--from', reports, '--out', target);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/warning: --from is deprecated/);
    expect(r.stderr).toMatch(/warning: --out as the download target is deprecated.*--save-to/);
    expect(await readFile(target)).toEqual(await readFile(join(reports, MONTH, 'teams', 'vision.csv')));
  });

  it('fetches any file of the month by name with --file: the browsable report.html', async () => {
    const into = join(tmp.dir, 'html') + '/';
    const r = await run(
      'get',
      '--month',
      MONTH,
      '--file',
      'report.html',
      '--out',
      reports,
      '--save-to',
      into,
    );
    expect(r.code, r.stderr).toBe(0);
    expect(await readFile(join(into, 'report.html'))).toEqual(
      await readFile(join(reports, MONTH, 'report.html')),
    );
    expect(r.stderr).toContain('sha256 verified');
  });

  it('names the files there are when --file names none, and refuses a path outside the month', async () => {
    const missing = await run(
      'get',
      '--month',
      MONTH,
      '--file',
      'report.htm',
      '--out',
      reports,
      '--save-to',
      '-',
    );
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/has no file "report\.htm"; files: .*COLUMNS\.md.*report\.html/);
    const outside = await run('get', '--month', MONTH, '--file', '../2026-09/summary.json', '--out', reports);
    expect(outside.code).toBe(2);
    expect(outside.stderr).toContain("is not a file name of the month's folder");
    const both = await run(
      'get',
      '--month',
      MONTH,
      '--file',
      'report.html',
      '--what',
      'pdf',
      '--out',
      reports,
    );
    expect(both.code).toBe(2);
  });

  it("fetches a team lead's pack with --team --pack: its report.pdf and costs.csv and the month's COLUMNS.md", async () => {
    const into = join(tmp.dir, 'pack') + '/';
    const r = await run(
      'get',
      '--month',
      MONTH,
      '--team',
      'vision',
      '--pack',
      '--out',
      reports,
      '--save-to',
      into,
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/deprecated/);
    expect((await readdir(into)).sort()).toEqual(['COLUMNS.md', 'costs.csv', 'report.pdf']);
    const pack: [string, string][] = [
      ['report.pdf', 'teams/vision/report.pdf'],
      ['costs.csv', 'teams/vision/costs.csv'],
      ['COLUMNS.md', 'COLUMNS.md'],
    ];
    for (const [name, key] of pack)
      expect(await readFile(join(into, name))).toEqual(await readFile(join(reports, MONTH, key)));
    expect(r.stderr).toContain(`${MONTH} version ${second.versionId}: the pack of team "vision", 3 files`);
  });

  it('refuses --pack without --team, into a file, with --link, or for an unknown team', async () => {
    const noTeam = await run('get', '--month', MONTH, '--pack', '--out', reports);
    expect([noTeam.code, noTeam.stderr]).toEqual([2, expect.stringContaining('give it with --team')]);
    const file = join(tmp.dir, 'pack.pdf');
    const intoFile = await run(
      'get',
      '--month',
      MONTH,
      '--team',
      'vision',
      '--pack',
      '--out',
      reports,
      '--save-to',
      file,
    );
    expect([intoFile.code, intoFile.stderr]).toEqual([
      2,
      expect.stringContaining('--save-to must be a directory'),
    ]);
    const link = await run('get', '--month', MONTH, '--team', 'vision', '--pack', '--link', '--out', reports);
    expect(link.code).toBe(2);
    const unknown = await run('get', '--month', MONTH, '--team', 'nobody', '--pack', '--out', reports);
    expect([unknown.code, unknown.stderr]).toEqual([2, expect.stringContaining('no CSV for team "nobody"')]);
  });

  it('says where --out now points when nothing is published there', async () => {
    const empty = join(tmp.dir, 'nothing-here');
    await mkdir(empty);
    await writeFile(join(empty, '.keep'), '');
    const r = await run('get', '--month', MONTH, '--out', empty);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/not published.*--out names where reports are published.*--save-to/);
  });
});
