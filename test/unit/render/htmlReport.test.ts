import { describe, expect, it } from 'vitest';
import { billingPeriod } from '../../../src/core/period.ts';
import { priceMonth } from '../../../src/core/month/priceMonth.ts';
import fc from 'fast-check';
import {
  htmlData,
  htmlReportChunks,
  renderHtmlReport,
  scriptSafeJson,
} from '../../../src/render/html/htmlReport.ts';
import { pricedRow, pricedRows } from '../../support/pricedRows.ts';
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
const BREAKOUT = '</script><script>alert(1)</script><!--';

function month() {
  const cp = wholeDay(period.days[0]!);
  const pods = [
    podUsage(cp, { node: 'n', team: BREAKOUT, pod: { pod: 'a', uid: 'a' } }),
    podUsage(cp, { node: 'n', team: 'ml', pod: { pod: 'b', uid: 'b' }, requested: 2 }),
  ];
  const config = parseConfig({ pricing: { instanceTypes: CATALOG } });
  return priceMonth(
    [
      meteredDay(period.days[0]!, pods, [
        nodeUsage(cp, { node: 'n', instanceType: 'g5.12xlarge', gpus: 4 }, pods),
      ]),
    ],
    priceOptions(period, config),
  );
}

describe('renderHtmlReport', () => {
  const { summary, rows } = month();
  const html = renderHtmlReport(summary, rows, { language: 'en' });

  it('embeds label values so that none can close the data element or open a script', () => {
    expect(html.match(/<script/g)).toHaveLength(2);
    expect(html.match(/<\/script>/g)).toHaveLength(2);
    expect(html).not.toContain('<!--');
    expect(scriptSafeJson({ v: '\u2028</x>&' })).toBe('{"v":"\\u2028\\u003c/x\\u003e\\u0026"}');
  });

  it('is self-contained: no external script, style, image or link, and a policy that forbids them', () => {
    expect(html).not.toMatch(/\s(src|href)=/);
    expect(html).toContain(
      `content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:"`,
    );
  });

  it("sums the rows per pod in minor units that add up to the month's total exactly", () => {
    const data = htmlData(rows);
    const total = data.records.reduce((s, r) => s + (r[7] as number), 0);
    expect(total).toBe(Math.round(Number(summary.totals.cost) * 100));
    expect(data.values.team.sort()).toEqual([BREAKOUT, 'ml', 'platform'].sort());
    expect(data.values.pricing).toEqual(['Standard']);
  });
});

describe('htmlReportChunks', () => {
  // More pods than one chunk holds, with label values that must be escaped inside the data element.
  const base = fc.sample(pricedRow, { seed: 18, numRuns: 1 })[0]!;
  const many = Array.from({ length: 9_000 }, (_, i) => ({
    ...base,
    pod: i % 3 === 0 ? `p${i}</script>\u2028&` : `p${i}`,
    podUid: `uid-${i}`,
  }));

  it('writes the page in pieces that join to the page one JSON.stringify of its data makes', () => {
    const { summary } = month();
    const rows = pricedRows(many);
    const chunks = [...htmlReportChunks(summary, rows, { language: 'en' })];
    expect(chunks.length).toBeGreaterThan(3); // the head, 3 chunks of records, the tail
    const html = chunks.join('');
    expect(renderHtmlReport(summary, rows, { language: 'en' })).toBe(html);
    const open = '<script type="application/json" id="data">';
    const json = html.slice(html.indexOf(open) + open.length, html.indexOf('</script>', html.indexOf(open)));
    const data = JSON.parse(json) as { records: unknown[]; values: unknown };
    // One pass over the whole object gives the same bytes: same keys in the same order, records last.
    expect(scriptSafeJson(data)).toBe(json);
    expect(Object.keys(data).slice(-2)).toEqual(['values', 'records']);
    expect(data.records).toEqual(htmlData(rows).records);
    expect(data.records).toHaveLength(9_000);
    expect(html.match(/<\/script>/g)).toHaveLength(2);
  });

  it('embeds an empty list of records when the month has no rows', () => {
    const { summary } = month();
    const html = renderHtmlReport(summary, pricedRows([]), { language: 'en' });
    expect(html).toContain('"records":[]}</script>');
    expect(html.endsWith('</html>\n')).toBe(true);
  });
});
