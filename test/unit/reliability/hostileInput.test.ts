/**
 * Hostile and bad input: fuzzed config files give only validation errors with paths, bad CLI arguments
 * give one line and exit code 2, and attacker-controlled label values cannot escape a key, break a
 * CSV, inject a formula or put control characters into the PDF.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assertRelativeKey } from '../../../src/adapters/fs/relativeKey.ts';
import { scrubSecrets } from '../../../src/redact.ts';
import { keys } from '../../../src/app/context.ts';
import { mergeConfig } from '../../../src/cli/commands.ts';
import { loadConfig, parseConfig, parseConfigText } from '../../../src/config/loadConfig.ts';
import { safeFileName } from '../../../src/core/safeName.ts';
import { ConfigError } from '../../../src/errors.ts';
import { csvRecords, neutralizeFormula } from '../../../src/render/csv.ts';
import { sanitizeLabel, truncateToWidth } from '../../../src/render/pdf/text.ts';
import { runCliCaptured } from '../../support/cli.ts';

const NOW = Date.parse('2026-11-22T12:00:00Z');
const run = (...argv: string[]) => runCliCaptured(NOW, ...argv);
/** Runs of each property; the totals in docs/reliability.md are these numbers. */
const RUNS = { configObjects: 400, configMutations: 400, configTexts: 300, labels: 500 };

/** parseConfig either returns a config or throws a ConfigError whose every issue has a path and a message. */
function outcomeOf(input: unknown): 'valid' | 'invalid' {
  try {
    parseConfig(input);
    return 'valid';
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    expect(error.issues.length).toBeGreaterThan(0);
    for (const issue of error.issues) {
      expect(issue.path).toMatch(/^(\(root\)|[^\s]+)$/);
      expect(issue.message.length).toBeGreaterThan(0);
    }
    expect(error.message.includes('\n')).toBe(false);
    return 'invalid';
  }
}

const VALID = {
  timezone: 'Asia/Seoul',
  source: { url: 'https://prom.example:9090', auth: { kind: 'bearer', tokenEnv: 'T' }, maxRetries: 3 },
  metering: { maxBridgeSeconds: 3600, team: { podLabels: ['label_team'] } },
  pricing: {
    currency: 'KRW',
    conversionRate: '1385.2',
    instanceTypes: { 'g5.xlarge': { gpus: 1, gpuModel: 'A10G', onDemand: 1.006, spot: 0.4 } },
    overrides: [
      { instanceType: 'g5.xlarge', capacityType: 'spot', from: '2026-03-01T00:00:00Z', price: 0.3 },
    ],
  },
  allocation: { idle: { mode: 'share-by-node' } },
  // Bill in KRW, catalog in USD: the budgets say their currency (issue #16).
  report: { budgets: { ml: 100 }, budgetCurrency: 'KRW' },
  output: { location: 's3://bucket/prefix', lockStaleSeconds: 60 },
};

/** Every path to a leaf of `value`. */
function leafPaths(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (value && typeof value === 'object') {
    return Object.entries(value).flatMap(([k, v]) =>
      leafPaths(v, [...prefix, Array.isArray(value) ? Number(k) : k]),
    );
  }
  return [prefix];
}

function setAt(root: unknown, path: (string | number)[], replacement: unknown): unknown {
  const copy = structuredClone(root) as Record<string | number, unknown>;
  let node = copy;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  node[path.at(-1)!] = replacement;
  return copy;
}

describe('config fuzzing', () => {
  it('accepts the valid base config (the mutations below start from it)', () => {
    expect(outcomeOf(VALID)).toBe('valid');
  });

  it('answers any JSON value with a config or a ConfigError listing paths, never a crash', () => {
    let invalid = 0;
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        if (outcomeOf(value) === 'invalid') invalid++;
      }),
      { numRuns: RUNS.configObjects, seed: 1 },
    );
    expect(invalid).toBeGreaterThan(RUNS.configObjects / 2);
  });

  it('answers any single-leaf mutation of a valid config with a config or a ConfigError naming that leaf', () => {
    const paths = leafPaths(VALID);
    let named = 0;
    fc.assert(
      fc.property(
        fc.constantFrom(...paths),
        fc.oneof(
          fc.jsonValue(),
          fc.constantFrom(-1, 0, 1e308, Number.NaN, '', '../x', '__proto__', null, [], {}),
        ),
        (path, replacement) => {
          try {
            parseConfig(setAt(VALID, path, replacement));
          } catch (error) {
            if (!(error instanceof ConfigError)) throw error;
            const joined = path.join('.');
            if (error.issues.some((i) => joined.startsWith(i.path) || i.path.startsWith(joined))) named++;
          }
        },
      ),
      { numRuns: RUNS.configMutations, seed: 2 },
    );
    expect(named).toBeGreaterThan(RUNS.configMutations / 4);
  });

  it('answers any config text (YAML or JSON) with data or a one-line ConfigError', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), fc.boolean(), (text, json) => {
        try {
          const data = parseConfigText(text, json ? 'c.json' : 'c.yaml');
          outcomeOf(data);
        } catch (error) {
          if (!(error instanceof ConfigError)) throw error;
          expect(error.message.includes('\n')).toBe(false);
        }
      }),
      { numRuns: RUNS.configTexts, seed: 3 },
    );
  });

  it('refuses a YAML alias bomb instead of expanding it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gcb-yaml-'));
    const lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 12; i++) {
      const prev = String.fromCharCode(96 + i);
      const next = String.fromCharCode(97 + i);
      lines.push(`${next}: &${next} [${Array(9).fill(`*${prev}`).join(',')}]`);
    }
    writeFileSync(join(dir, 'bomb.yaml'), `${lines.join('\n')}\n`);
    const started = performance.now();
    const error = await loadConfig(join(dir, 'bomb.yaml')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('never lets "__proto__" in a config file become the prototype of the merged config', () => {
    const merged = mergeConfig(
      { report: { language: 'en' } },
      JSON.parse('{"__proto__": {"output": {"location": "/tmp/evil"}}, "report": {"__proto__": {"x": 1}}}'),
    ) as Record<string, Record<string, unknown>>;
    expect(Object.getPrototypeOf(merged)).toBe(Object.prototype);
    expect(merged.output).toBeUndefined();
    expect(Object.getPrototypeOf(merged.report)).toBe(Object.prototype);
    expect(merged.report!.x).toBeUndefined();
  });
});

describe('bad command-line arguments: one line on stderr and exit code 2', () => {
  const cases: [string, string[], RegExp][] = [
    ['an impossible month', ['report', '--month', '2026-13'], /--month "2026-13" is not a month/],
    ['month zero', ['report', '--month', '2026-00'], /is not a month/],
    ['a short year', ['report', '--month', '26-01'], /is not a month/],
    ['a future month', ['report', '--month', '2099-01'], /--month 2099-01 is in the future/],
    [
      'from after to',
      ['backfill', '--from', '2026-05', '--to', '2026-03'],
      /--from 2026-05 is after --to 2026-03/,
    ],
    [
      'a ten-year range',
      ['backfill', '--from', '2016-01', '--to', '2025-12'],
      /covers \d+ days; at most 400/,
    ],
    ['a future range', ['backfill', '--from', '2030-01', '--to', '2030-02'], /in the future/],
    [
      'an impossible date',
      ['backfill', '--from', '2026-02-30', '--to', '2026-03-01'],
      /not a month .* or a date/,
    ],
    ['a missing bound', ['backfill', '--from', '2026-01'], /--from and --to are both required/],
    ['an unknown flag', ['report', '--month', '2026-01', '--montth', 'x'], /Unknown option '--montth'/],
    [
      'an unknown time zone',
      ['report', '--month', '2026-01', '--timezone', 'Mars/Base'],
      /not an IANA time zone/,
    ],
    [
      'an unknown file kind',
      ['get', '--month', '2026-01', '--what', 'exe'],
      /--what must be pdf, csv or summary/,
    ],
    [
      'a link for a year',
      ['get', '--month', '2026-01', '--link', '--expires-in', '31536000'],
      /--expires-in must be/,
    ],
    ['a hostile month', ['get', '--month', '../../etc'], /is not a month/],
    ['a NUL in a month', ['report', '--month', '2026-01\u0000'], /is not a month/],
    ['year 0000', ['report', '--month', '0000-01'], /month 0000-01 is before guard.earliestMonth 2015-01/],
    ['a month of 1969', ['report', '--month', '1969-12'], /month 1969-12 is before guard.earliestMonth/],
    [
      'a backfill of 1969',
      ['backfill', '--from', '1969-12', '--to', '1970-01'],
      /before guard.earliestMonth/,
    ],
    ['--force without a reason', ['report', '--month', '2026-01', '--force'], /--force needs --reason/],
    [
      'a repeated --month',
      ['report', '--month', '2026-01', '--month', '2026-02'],
      /--month is given more than once \("2026-01" and "2026-02"\)/,
    ],
    [
      'a repeated --out',
      ['backfill', '--from', '2026-01', '--to', '2026-01', '--out', 'a', '--out', 'b'],
      /--out is given more than once/,
    ],
    [
      'a repeated boolean',
      ['report', '--month', '2026-01', '--remeter', '--remeter'],
      /--remeter is given more than once/,
    ],
    [
      'an s3 location with one slash',
      ['report', '--month', '2026-01', '--out', 's3:/bucket'],
      /output\.location: output location "s3:\/bucket" is not s3:\/\/bucket\/prefix/,
    ],
    [
      'a backfill forced without a reason',
      ['backfill', '--from', '2026-01', '--to', '2026-01', '--force', '--reason', ' '],
      /--force needs --reason/,
    ],
  ];
  it('rejects the current month on its first day, when none of its days has ended (month to date needs one)', async () => {
    const firstDay = Date.parse('2026-11-01T18:00:00Z');
    const r = await runCliCaptured(firstDay, 'report', '--month', '2026-11');
    expect(r.code).toBe(2);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(
      /month 2026-11 has not ended yet in UTC, and none of its days has ended either: its first day ends 2026-11-02T00:00:00Z/,
    );
    expect(r.stdout).toBe('');
  });

  for (const [name, argv, message] of cases) {
    it(`rejects ${name}`, async () => {
      const r = await run(...argv);
      expect(r.code).toBe(2);
      const lines = r.stderr.trimEnd().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(message);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(r.stdout).toBe('');
    });
  }
});

/** Attacker-controlled label values: anything at all, weighted towards the characters that do harm. */
const hostileLabel = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc.string({
    unit: fc.constantFrom(
      '.',
      '/',
      '\\',
      '\0',
      '\n',
      '\r',
      '"',
      ',',
      '=',
      '+',
      '-',
      '@',
      '\t',
      '‮',
      '팀',
      'x',
    ),
    maxLength: 40,
  }),
  fc.constantFrom('..', '.', '', '../../etc/passwd', 'x'.repeat(5000), '=1+1', '\u202Eexe.pdf'),
);

describe('label values as file names, CSV cells and PDF text', () => {
  it('turns any label value into a key inside the month directory, and different values into different keys', () => {
    const seen = new Map<string, string>();
    fc.assert(
      fc.property(hostileLabel, (label) => {
        const name = safeFileName(label);
        // Letters and digits of any script and "._-" (a valid IAM tag value), starting with one; the name,
        // a 16-digit hash suffix and ".csv" within the 255-byte file-name limit.
        expect(name).toMatch(/^[\p{L}\p{N}][\p{L}\p{N}._-]*$/u);
        expect(new TextEncoder().encode(`${name}0123456789abcdef.csv`).length).toBeLessThanOrEqual(255);
        expect(name.normalize('NFC')).toBe(name);
        expect(assertRelativeKey(keys.teamCsv('2026-03', name))).toBe(`2026-03/teams/${name}.csv`);
        const other = seen.get(name);
        if (other !== undefined) expect(other).toBe(label);
        seen.set(name, label);
        // A team named after another team's file name never gets that file (issue #13, item 10).
        if (name !== label) expect(safeFileName(name)).not.toBe(name);
      }),
      { numRuns: RUNS.labels, seed: 4 },
    );
  });

  it('writes any label value as one CSV field that reads back as itself and starts no formula', () => {
    fc.assert(
      fc.property(hostileLabel, (label) => {
        const cell = neutralizeFormula(label);
        const field = csvRecords([[cell]]).slice(0, -2);
        // One field: quoted whenever it holds a separator, with inner quotes doubled.
        if (/[",\r\n]/.test(cell)) {
          expect(field.startsWith('"') && field.endsWith('"')).toBe(true);
          expect(field.slice(1, -1).replaceAll('""', '"')).toBe(cell);
        } else expect(field).toBe(cell);
        expect(/^[=+\-@\t\r]/.test(cell)).toBe(false);
        expect(cell === label || cell === `'${label}`).toBe(true);
      }),
      { numRuns: RUNS.labels, seed: 5 },
    );
  });

  it('strips control and bidi characters from PDF text and keeps it within its width', () => {
    const measure = (s: string) => Array.from(s).length * 5;
    fc.assert(
      fc.property(hostileLabel, (label) => {
        const clean = sanitizeLabel(label);
        expect(/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069]/.test(clean)).toBe(false);
        expect(measure(truncateToWidth(clean, 200, measure))).toBeLessThanOrEqual(200);
      }),
      { numRuns: RUNS.labels, seed: 6 },
    );
  });
});

describe('secrets in error text', () => {
  it('replaces every occurrence of each secret, longest first', () => {
    expect(
      scrubSecrets('token abcdef123 and Bearer abcdef123456 again abcdef123', ['abcdef123', 'abcdef123456']),
    ).toBe('token [REDACTED] and Bearer [REDACTED] again [REDACTED]');
  });
});
