import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_OUTPUT_LOCATION, demoConfig } from '../../../src/app/demoConfig.ts';
import { commands, describeWrites, getTargetsOf } from '../../../src/cli/commands.ts';
import { applyCommonOverrides } from '../../../src/cli/options.ts';
import { parseConfig } from '../../../src/config/loadConfig.ts';
import { namingSource } from '../../../src/cli/sourceErrors.ts';
import { PrometheusQueryError } from '../../../src/errors.ts';
import { runCliCaptured } from '../../support/cli.ts';
import { makeTempDir } from '../../support/tmp.ts';

const NOW = Date.parse('2026-11-22T12:00:00Z');
const run = (...argv: string[]) => runCliCaptured(NOW, ...argv);

describe('every command help', () => {
  it.each(Object.keys(commands))(
    '%s: says the default of every option that takes a value, or that it is required',
    async (name) => {
      const r = await run(name, '--help');
      expect(r.code).toBe(0);
      const valued = Object.entries(commands[name]!.options).filter(([, o]) => o.type === 'string');
      for (const [flag] of valued) {
        const line = r.stdout.split('\n').find((l) => l.trimStart().startsWith(`--${flag} `));
        expect(line, `--${flag}`).toMatch(/\((default: .+|required)\)$/);
      }
    },
  );

  it('lists for demo only the options the demo reads (no Prometheus URL), and its own output folder', async () => {
    const r = await run('demo', '--help');
    expect(r.stdout).not.toContain('--prometheus-url');
    expect(r.stdout).toMatch(
      /--out DIR\|s3:\/\/bucket\/prefix .*default: output\.location of --config, else \.\/reports-demo\)/,
    );
    expect((await run('demo', '--prometheus-url', 'http://x:9090')).stderr).toMatch(
      /Unknown option '--prometheus-url'/,
    );
  });
});

describe('demo and report outputs', () => {
  it('keeps the demo out of ./reports, where a real report writes by default', () => {
    const demo = parseConfig(structuredClone(demoConfig), 'demo config');
    const real = parseConfig({}, 'empty config');
    expect(demo.output.location).toBe(DEMO_OUTPUT_LOCATION);
    expect(real.output.location).toBe('./reports');
    expect(demo.output.location).not.toBe(real.output.location);
  });
});

describe('report --language', () => {
  it('sets report.language like demo --language', () => {
    expect(applyCommonOverrides({ report: { title: 'T' } }, { language: 'ko' }).report).toEqual({
      title: 'T',
      language: 'ko',
    });
  });

  it('is an option of report, and anything but en or ko is bad input', async () => {
    expect((await run('report', '--help')).stdout).toMatch(/--language en\|ko/);
    const r = await run('report', '--month', '2026-10', '--language', 'fr');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--language must be en or ko/);
  });
});

describe('get: --out is where reports live, --save-to where the download goes', () => {
  const noDirs = () => false;

  it('reads --out as the location and --save-to as the download', () => {
    expect(getTargetsOf({ out: 's3://b/p', 'save-to': 'x.pdf' }, noDirs)).toEqual({
      location: 's3://b/p',
      saveTo: 'x.pdf',
      warnings: [],
    });
    expect(getTargetsOf({ out: './reports' }, noDirs)).toEqual({
      location: './reports',
      saveTo: undefined,
      warnings: [],
    });
    expect(getTargetsOf({ out: './reports.pdf' }, () => true)).toEqual({
      location: './reports.pdf',
      saveTo: undefined,
      warnings: [],
    });
  });

  it.each([
    [{ from: 's3://b/p', out: 'x.pdf' }, { location: 's3://b/p', saveTo: 'x.pdf' }, 2],
    [{ from: './r' }, { location: './r', saveTo: undefined }, 1],
    [{ out: '-' }, { location: undefined, saveTo: '-' }, 1],
    [{ out: 'team.csv' }, { location: undefined, saveTo: 'team.csv' }, 1],
  ])('keeps the old spelling %j working, with a deprecation warning', (values, expected, warnings) => {
    const targets = getTargetsOf(values, noDirs);
    expect({ location: targets.location, saveTo: targets.saveTo }).toEqual(expected);
    expect(targets.warnings).toHaveLength(warnings);
    expect(targets.warnings.join(' ')).toMatch(/deprecated/);
  });

  it('refuses two locations (--from with --out and --save-to)', () => {
    expect(() => getTargetsOf({ from: 'a', out: 'b', 'save-to': 'c' }, noDirs)).toThrow(
      /old spelling of --out/,
    );
  });
});

describe('what a run says it wrote', () => {
  const base = {
    month: '2026-10',
    keys: ['2026-10/a.csv', '2026-10/b.pdf'],
    versionId: 'ae4b419e81c7dd3c',
    restated: false,
  };

  it('counts the published files and the stored daily partials', () => {
    expect(describeWrites({ ...base, unchanged: false, partialsStored: 31 }, '/r')).toBe(
      'published 2026-10 as version ae4b419e81c7dd3c: wrote 2 files to /r/2026-10/; stored 31 daily partials in /r/usage/',
    );
  });

  it('says a month to date is provisional and through which day', () => {
    const provisional = {
      throughDay: '2026-10-19',
      daysMetered: 19,
      daysInMonth: 31,
      monthEnd: '2026-11-01T00:00:00+09:00',
    };
    expect(describeWrites({ ...base, unchanged: false, partialsStored: 19, provisional }, '/r')).toBe(
      'published 2026-10 (provisional, month to date through 2026-10-19) as version ae4b419e81c7dd3c: wrote 2 files to /r/2026-10/; stored 19 daily partials in /r/usage/',
    );
  });

  it('says nothing was published when the run reproduced the published version', () => {
    const line = describeWrites({ ...base, unchanged: true, partialsStored: 0 }, '/r');
    expect(line).toBe(
      '2026-10 unchanged: version ae4b419e81c7dd3c in /r/2026-10/ already holds these 2 files, none published',
    );
    expect(line).not.toMatch(/wrote/);
  });
});

describe('connection errors', () => {
  it('name the Prometheus URL, without its query string', async () => {
    const tmp = await makeTempDir();
    try {
      const config = join(tmp.dir, 'config.json');
      await writeFile(config, JSON.stringify({ source: { maxRetries: 0, timeoutSeconds: 5 } }));
      const r = await run(
        'report',
        '--month',
        '2026-10',
        '--config',
        config,
        '--prometheus-url',
        'http://127.0.0.1:9/prom?token=hunter2',
        '--out',
        join(tmp.dir, 'r'),
        '--quiet',
      );
      expect(r.code).toBe(1);
      const last = r.stderr.trim().split('\n').at(-1)!;
      expect(last).toMatch(
        /^gpu-chargeback report: PrometheusQueryError: .*fetch failed.*\(source http:\/\/127\.0\.0\.1:9\/prom\)$/,
      );
      expect(r.stderr).not.toContain('hunter2');
    } finally {
      await tmp.cleanup();
    }
  });
});

describe('namingSource', () => {
  const config = parseConfig(
    { source: { url: 'https://user@prom.example:9090/api/?token=t' } },
    'test config',
  );
  const failWith = (error: Error) => namingSource(config, () => Promise.reject(error));

  it('adds the redacted URL to a query error without an HTTP status (could not connect)', async () => {
    await expect(
      failWith(new PrometheusQueryError('query q failed: fetch failed (ECONNREFUSED)', { query: 'q' })),
    ).rejects.toThrow('query q failed: fetch failed (ECONNREFUSED) (source https://prom.example:9090/api)');
  });

  it('leaves an error the server answered with (an HTTP status) as it is', async () => {
    const answered = new PrometheusQueryError('query q failed: HTTP 503', { query: 'q', status: 503 });
    await expect(failWith(answered)).rejects.toBe(answered);
  });
});
