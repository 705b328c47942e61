import { describe, expect, it } from 'vitest';
import {
  durationMs,
  extraMatchers,
  fillQuery,
  labelPrefix,
} from '../../../src/adapters/prometheus/promql.ts';

describe('fillQuery', () => {
  it.each([
    ['up{{{match}}}', { match: 'job="a"' }, 'up{job="a"}'],
    [
      'max by ({{cluster}}node) (x[{{window}}])',
      { cluster: 'cluster, ', window: '59999ms' },
      'max by (cluster, node) (x[59999ms])',
    ],
    [
      'max by ({{cluster}}node) (x[{{window}}])',
      { cluster: '', window: '59999ms' },
      'max by (node) (x[59999ms])',
    ],
    ['{{a}} and {{a}}', { a: 'x' }, 'x and x'],
    ['no placeholders', {}, 'no placeholders'],
    [
      'kube_pod_info{node!=""{{match}}}',
      { match: ', cluster="prod"' },
      'kube_pod_info{node!="", cluster="prod"}',
    ],
  ])('fills %s', (template, params, expected) => {
    expect(fillQuery(template, params)).toBe(expected);
  });

  describe('edge cases', () => {
    it('throws naming a placeholder that has no parameter', () => {
      expect(() => fillQuery('x[{{window}}] {{match}}', { window: '1m' })).toThrow(/\{\{match\}\}/);
    });

    it('throws naming a parameter the template does not use', () => {
      expect(() => fillQuery('x[{{window}}]', { window: '1m', cluster: '' })).toThrow(/cluster/);
    });

    it('does not expand a value that itself looks like a placeholder', () => {
      expect(fillQuery('{{a}}', { a: '{{b}}' })).toBe('{{b}}');
    });
  });
});

describe('labelPrefix', () => {
  it('turns label names into a by-clause prefix without duplicates', () => {
    expect(labelPrefix(['cluster', 'label_team', 'cluster'])).toBe('cluster, label_team, ');
  });

  describe('edge cases', () => {
    it('rejects a label name that could inject PromQL', () => {
      expect(() => labelPrefix(['team) or vector(1'])).toThrow(RangeError);
    });

    it('is empty for no labels', () => {
      expect(labelPrefix([])).toBe('');
    });
  });
});

describe('extraMatchers', () => {
  it.each([
    [undefined, ''],
    ['', ''],
    ['cluster=~"prod-.*"', ', cluster=~"prod-.*"'],
    [', env="a"', ', env="a"'],
  ])('turns selector %s into %s', (selector, expected) => {
    expect(extraMatchers(selector)).toBe(expected);
  });

  describe('edge cases', () => {
    it('rejects a whole selector with braces', () => {
      expect(() => extraMatchers('{cluster="a"}')).toThrow(/matchers/);
    });
  });
});

describe('durationMs', () => {
  it('writes whole milliseconds', () => {
    expect(durationMs(59_999)).toBe('59999ms');
  });

  describe('edge cases', () => {
    it('rejects zero and fractions', () => {
      expect(() => durationMs(0)).toThrow(RangeError);
      expect(() => durationMs(1.5)).toThrow(RangeError);
    });
  });
});
