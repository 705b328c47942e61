import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { WARNING_TEMPLATES, type WarningCode, warningText } from '../../../src/core/warningText.ts';
import { fill, wordingFor } from '../../../src/render/pdf/templates.ts';
import { decodeWarning, localizeWarning } from '../../../src/render/pdf/warnings.ts';

const CODES = Object.keys(WARNING_TEMPLATES) as WarningCode[];
const SENTENCE_CODES = CODES.filter((c) => c !== 'onDay' && c !== 'onDays');

function placeholders(template: string): string[] {
  return [...new Set([...template.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!))].sort();
}

/** Parameters shaped like the real ones: dates and counts where the day prefix expects them. */
function sampleParams(code: WarningCode): Record<string, string | number> {
  const values: Record<string, string | number> = {};
  for (const name of placeholders(WARNING_TEMPLATES[code])) {
    values[name] =
      name === 'date' || name === 'first' || name === 'last'
        ? '2026-10-0' + (name === 'last' ? 9 : 1)
        : ['count', 'physical', 'advertised', 'requested'].includes(name)
          ? 3
          : `east/${name}-1 (uid u-${name})`;
  }
  return values;
}

function stringParams(params: Record<string, string | number>): Record<string, string> {
  return Object.fromEntries(Object.entries(params).map(([k, v]) => [k, String(v)]));
}

describe('the warnings of the month, from codes and parameters (issue #16)', () => {
  it("keeps templates/en.json's warnings equal to the sentences the core writes", () => {
    const { unrecognized, ...sentences } = wordingFor('en').warnings;
    expect(sentences).toEqual(WARNING_TEMPLATES);
    expect(unrecognized).toContain('summary.json');
  });

  it('translates every warning into Korean with the same parameters', () => {
    const ko = wordingFor('ko').warnings;
    for (const code of CODES)
      expect([code, placeholders(ko[code])]).toEqual([code, placeholders(WARNING_TEMPLATES[code])]);
  });

  it.each(SENTENCE_CODES)(
    'reads %s back into its code and parameters, with and without a day prefix',
    (code) => {
      const params = sampleParams(code);
      const text = warningText(code, params);
      expect(decodeWarning(text)).toEqual({ code, params: stringParams(params) });
      const ranged = warningText('onDays', {
        first: '2026-10-01',
        last: '2026-10-31',
        count: 31,
        warning: text,
      });
      expect(decodeWarning(ranged)).toEqual({
        code,
        params: stringParams(params),
        days: { code: 'onDays', params: { first: '2026-10-01', last: '2026-10-31', count: '31' } },
      });
      expect(localizeWarning(ranged, 'en')).toBe(ranged);
      // Korean: every word of the sentence from the template, the parameters as they were.
      const korean = localizeWarning(ranged, 'ko');
      const words = fill(wordingFor('ko').warnings[code], {});
      expect(korean.startsWith('2026-10-01..2026-10-31 (31일): ')).toBe(true);
      for (const part of words.split(/\{\w+\}/).filter((p) => p.length > 0)) expect(korean).toContain(part);
      for (const value of Object.values(params)) expect(korean).toContain(String(value));
    },
  );

  it('tells a sentence from a longer one that extends it', () => {
    const params = { node: 'n1', seconds: 60, date: '2026-10-02' };
    expect(decodeWarning(warningText('nodeOverAllocatedNoCapacity', params))?.code).toBe(
      'nodeOverAllocatedNoCapacity',
    );
    expect(decodeWarning(warningText('nodeOverAllocated', params))?.code).toBe('nodeOverAllocated');
  });

  it('prints a warning in Korean, the items of a list included', () => {
    const bills = [
      warningText('uidPodBill', { pod: 'ml/a (uid u)', team: 'vision', amount: 'KRW 1,000' }),
      warningText('uidPodBill', { pod: 'ml/b (uid u)', team: 'speech', amount: 'KRW 2,000' }),
    ].join('; ');
    const text = warningText('onDay', {
      date: '2026-10-05',
      warning: warningText('uidSeveralPods', { uid: 'u', count: 2, bills, amount: 'KRW 3,000' }),
    });
    expect(localizeWarning(text, 'ko')).toBe(
      '2026-10-05: uid u을(를) 파드 2개가 가지고 있습니다 — 복사되거나 복원된 객체일 수 있습니다. 각각 따로 계량·청구했습니다: ' +
        'ml/a (uid u) 팀 vision: KRW 1,000; ml/b (uid u) 팀 speech: KRW 2,000; 합계 KRW 3,000. 복사본이 실제로 실행되었는지 확인하십시오',
    );
  });

  it('prints no English for a line no code matches (written by an older version): summary.json keeps it', () => {
    const old = 'g4dn.xlarge has no Spot price in catalog c1; On-Demand used for Spot comparisons';
    expect(decodeWarning(old)).toBeUndefined();
    expect(localizeWarning(old, 'en')).toBe(old);
    expect(localizeWarning(old, 'ko')).toBe(wordingFor('ko').warnings.unrecognized);
  });

  it('leaves no warning sentence written by hand in src/core: each goes through warningText', () => {
    const root = resolve(import.meta.dirname, '../../../src/core');
    const files = (dir: string): string[] =>
      readdirSync(dir).flatMap((n) => {
        const p = join(dir, n);
        return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
      });
    const offenders = files(root).flatMap((file) =>
      [...readFileSync(file, 'utf8').matchAll(/(?:warnings\.(?:add|push)|\bwarn)\(\s*[`'"]/g)].map(
        (m) => `${file}: ${m[0]}`,
      ),
    );
    expect(offenders).toEqual([]);
  });
});
