import { describe, expect, it } from 'vitest';
import { niceTicks } from '../../../src/render/pdf/charts.ts';
import { createReportFormat, percentChange, ratio } from '../../../src/render/pdf/format.ts';
import { topWithOther } from '../../../src/render/pdf/reportModel.ts';
import { fill, wordingFor } from '../../../src/render/pdf/templates.ts';
import { sanitizeLabel, truncateToWidth, wrapToWidth } from '../../../src/render/pdf/text.ts';

// A monospace measure: every code point is 1 unit wide.
const mono = (s: string) => Array.from(s).length;

describe('sanitizeLabel', () => {
  it('strips control characters, escape sequences and bidi overrides from a label value', () => {
    expect(sanitizeLabel('team\u0007-\u001b[31mred\u202Eevil\u0000')).toBe('team-[31mredevil');
  });

  it('turns tabs and newlines into single spaces and trims', () => {
    expect(sanitizeLabel('  ml\t\tresearch\nteam \r\n')).toBe('ml research team');
  });

  it('keeps Korean and accented letters', () => {
    expect(sanitizeLabel('연구팀-café')).toBe('연구팀-café');
  });
});

describe('truncateToWidth', () => {
  it('returns text that fits unchanged', () => {
    expect(truncateToWidth('vision', 6, mono)).toBe('vision');
  });

  it('cuts text that is too wide and ends it with an ellipsis within the width', () => {
    const result = truncateToWidth('recommendations', 8, mono);

    expect(result).toBe('recomme…');
    expect(mono(result)).toBeLessThanOrEqual(8);
  });

  it('never splits a surrogate pair', () => {
    expect(truncateToWidth('ab😀😀😀', 4, mono)).toBe('ab😀…');
  });
});

describe('wrapToWidth', () => {
  it('breaks at spaces so that no line exceeds the width', () => {
    expect(wrapToWidth('the quick brown fox jumps', 10, mono)).toEqual(['the quick', 'brown fox', 'jumps']);
  });

  it('breaks a word longer than the width inside the word', () => {
    expect(wrapToWidth('abcdefghij', 4, mono)).toEqual(['abcd', 'efgh', 'ij']);
  });

  it('ends the last kept line with an ellipsis when lines are limited', () => {
    expect(wrapToWidth('one two three four five', 9, mono, 2)).toEqual(['one two', 'three…']);
  });
});

describe('createReportFormat', () => {
  it('formats US dollars with cents and grouping for en-US', () => {
    const fmt = createReportFormat('en-US', 'USD', 2, '—');

    expect([fmt.money('190662.84'), fmt.moneyWhole('190662.84'), fmt.signedMoney('-928.54')]).toEqual([
      '$190,662.84',
      '$190,663',
      '-$928.54',
    ]);
  });

  it('formats Korean won without minor digits for ko-KR', () => {
    const fmt = createReportFormat('ko-KR', 'KRW', 0, '—');

    expect([fmt.money('264106216'), fmt.signedMoney('13506216'), fmt.unitPrice('7364.4')]).toEqual([
      '₩264,106,216',
      '+₩13,506,216',
      '₩7,364',
    ]);
  });

  it('formats a decimal string exactly, beyond float precision', () => {
    const fmt = createReportFormat('en-US', 'USD', 2, '—');

    expect(fmt.money('12345678901234567.89')).toBe('$12,345,678,901,234,567.89');
  });

  it('prints the none mark instead of NaN, Infinity or null', () => {
    const fmt = createReportFormat('en-US', 'USD', 2, '—');

    expect([
      fmt.percent(null),
      fmt.percent(Number.NaN),
      fmt.number(Number.POSITIVE_INFINITY),
      fmt.money('NaN'),
    ]).toEqual(['—', '—', '—', '—']);
  });

  it('never prints a negative zero', () => {
    const fmt = createReportFormat('en-US', 'USD', 2, '—');

    expect([fmt.money('-0.00'), fmt.signedPercent(-0.01), fmt.number(-0.2)]).toEqual(['$0.00', '0.0%', '0']);
  });

  it('names months and days in the locale', () => {
    const en = createReportFormat('en-US', 'USD', 2, '—');
    const ko = createReportFormat('ko-KR', 'KRW', 0, '—');

    expect([
      en.month('2026-03'),
      en.shortMonth('2026-02'),
      ko.month('2026-03'),
      ko.shortDate('2026-03-05'),
    ]).toEqual(['March 2026', 'Feb 2026', '2026년 3월', '3월 5일']);
  });
});

describe('ratio and percentChange', () => {
  it('return null instead of dividing by zero', () => {
    expect([ratio(5, 0), percentChange('10.00', '0.00')]).toEqual([null, null]);
  });

  it('compute the change of a decimal amount in percent', () => {
    expect(percentChange('110.00', '100.00')).toBeCloseTo(10, 10);
  });
});

describe('niceTicks', () => {
  it('covers the maximum with round steps', () => {
    expect(niceTicks(6184, 4)).toEqual([0, 2000, 4000, 6000, 8000]);
  });

  it('gives a unit scale when there is no data', () => {
    expect(niceTicks(0)).toEqual([0, 1]);
  });
});

describe('topWithOther', () => {
  it('keeps the n largest entries and folds the rest into one other entry', () => {
    const grouped = topWithOther(
      [
        { key: 'a', value: 1 },
        { key: 'b', value: 5 },
        { key: 'c', value: 3 },
        { key: 'd', value: 2 },
      ],
      2,
    );

    expect(grouped).toEqual([
      { key: 'b', value: 5, count: 1, isOther: false },
      { key: 'c', value: 3, count: 1, isOther: false },
      { key: '', value: 3, count: 2, isOther: true },
    ]);
  });

  it('shows a single remaining entry by name rather than as other', () => {
    expect(
      topWithOther(
        [
          { key: 'a', value: 1 },
          { key: 'b', value: 2 },
        ],
        1,
      ).map((g) => g.key),
    ).toEqual(['b', 'a']);
  });
});

describe('report templates', () => {
  it('has the same wording keys in Korean as in English', () => {
    const keys = (o: unknown, prefix = ''): string[] =>
      typeof o === 'object' && o !== null && !Array.isArray(o)
        ? Object.entries(o).flatMap(([k, v]) => keys(v, `${prefix}${k}.`))
        : [prefix];

    expect(keys(wordingFor('ko')).sort()).toEqual(keys(wordingFor('en')).sort());
    expect(wordingFor('ko').advice.assumptions).toHaveLength(wordingFor('en').advice.assumptions.length);
  });

  it('uses the same placeholders in each Korean string as in its English original', () => {
    const placeholders = (o: unknown, prefix = ''): [string, string][] =>
      typeof o === 'string'
        ? [
            [
              prefix,
              [...o.matchAll(/\{(\w+)\}/g)]
                .map((m) => m[1])
                .sort()
                .join(','),
            ],
          ]
        : typeof o === 'object' && o !== null
          ? Object.entries(o).flatMap(([k, v]) => placeholders(v, `${prefix}${k}.`))
          : [];

    expect(placeholders(wordingFor('ko'))).toEqual(placeholders(wordingFor('en')));
  });

  it('fills placeholders and leaves unknown ones visible', () => {
    expect(fill('{a} of {b} ({c})', { a: 1, b: 'two' })).toBe('1 of two ({c})');
  });

  it('fills only own placeholders, and never fills an inserted value again', () => {
    expect(fill('{constructor} {toString} {a}', { a: '{constructor}' })).toBe(
      '{constructor} {toString} {constructor}',
    );
  });
});
