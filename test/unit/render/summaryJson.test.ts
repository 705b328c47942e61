import { describe, expect, it } from 'vitest';
import { billingPeriod } from '../../../src/core/period.ts';
import { priceMonth } from '../../../src/core/month/priceMonth.ts';
import { renderSummaryJson } from '../../../src/render/summaryJson.ts';
import {
  CATALOG,
  meteredDay,
  nodeUsage,
  parseConfig,
  podUsage,
  priceOptions,
  wholeDay,
} from '../../support/meteredFixture.ts';

const period = billingPeriod('2026-03', 'UTC');
const day = period.days[0]!;

function summaryOf(teams: string[]) {
  const cp = wholeDay(day);
  const pods = teams.map((team, i) => podUsage(cp, { team, pod: { pod: `p${i}`, uid: `u${i}` }, node: 'n' }));
  const config = parseConfig({ pricing: { instanceTypes: CATALOG }, report: { budgets: { ml: 100 } } });
  const nodes = [nodeUsage(cp, { node: 'n', instanceType: 'g5.12xlarge', gpus: 4 }, pods)];
  return priceMonth([meteredDay(day, pods, nodes)], priceOptions(period, config)).summary;
}

describe('renderSummaryJson', () => {
  it('is byte-identical for identical input regardless of the order teams were seen', () => {
    expect(renderSummaryJson(summaryOf(['ml', 'search', '2024']))).toBe(
      renderSummaryJson(summaryOf(['2024', 'search', 'ml'])),
    );
  });

  it('puts the top level in reading order and nested keys in code-unit order, integer-like keys included', () => {
    const json = renderSummaryJson(summaryOf(['ml', '2024', 'Zeta']));
    const top = [...json.matchAll(/^ {2}"(\w+)":/gm)].map((m) => m[1]);
    expect(top.slice(0, 4)).toEqual(['schemaVersion', 'source', 'period', 'currency']);
    expect(top.at(-1)).toBe('warnings');
    const byTeamOfDay = json.slice(
      json.indexOf('"byTeam": {'),
      json.indexOf('}', json.indexOf('"byTeam": {')),
    );
    expect([...byTeamOfDay.matchAll(/"([^"]+)": "/g)].map((m) => m[1])).toEqual([
      '2024',
      'Zeta',
      'ml',
      'platform',
    ]);
  });

  it('round-trips through JSON.parse to the same summary', () => {
    const summary = summaryOf(['ml']);
    expect(JSON.parse(renderSummaryJson(summary))).toEqual(JSON.parse(JSON.stringify(summary)));
  });

  it('ends with a newline and writes -0 as 0', () => {
    const summary = summaryOf(['ml']);
    summary.totals.capacityGpuHours = -0;
    const json = renderSummaryJson(summary);
    expect(json.endsWith('}\n')).toBe(true);
    expect(json).toContain('"capacityGpuHours": 0,');
  });
});
