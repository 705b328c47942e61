/**
 * The HTML view (issue #16) in a real headless Chromium: static and self-contained (no request leaves the
 * file), filters, sorting, drill-down to pods, Korean text, hostile label values shown as text, and a
 * 50-team month.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { billingPeriod } from '../../src/core/period.ts';
import { priceMonth } from '../../src/core/month/priceMonth.ts';
import type { PodUsage, Summary } from '../../src/core/types.ts';
import { renderHtmlReport } from '../../src/render/html/htmlReport.ts';
import { CHROMIUM, launchBrowser } from '../support/browser.ts';
import {
  CATALOG,
  meteredDay,
  nodeUsage,
  parseConfig,
  podUsage,
  priceOptions,
  wholeDay,
} from '../support/meteredFixture.ts';

const period = billingPeriod('2026-03', 'Asia/Seoul');
const HOSTILE = '<img src=x onerror="window.__pwned=1">';

/** `teams` teams, each with 2 pods on its own 4-GPU node for the first two days; team i holds 1 + i % 3 GPUs. */
function month(teams: readonly string[], language: 'en' | 'ko') {
  const days = period.days.slice(0, 2).map((day) => {
    const cp = wholeDay(day);
    const pods: PodUsage[] = [];
    const nodes = teams.map((team, i) => {
      const node = `node-${i}`;
      const own = [0, 1].map((k) =>
        podUsage(cp, {
          node,
          team,
          project: `proj-${i % 4}`,
          requested: k === 0 ? 1 + (i % 3) : 1,
          utilization: 0.2 + (i % 5) * 0.15,
          pod: {
            namespace: `ns-${i % 7}`,
            pod: `${team === HOSTILE ? 'evil' : `pod-${i}`}-${k}`,
            uid: `u-${i}-${k}`,
          },
        }),
      );
      pods.push(...own);
      return nodeUsage(
        cp,
        { node, instanceType: 'g5.12xlarge', capacityType: i % 2 === 0 ? 'spot' : 'on-demand', gpus: 4 },
        own,
      );
    });
    return meteredDay(day, pods, nodes);
  });
  const config = parseConfig({
    timezone: 'Asia/Seoul',
    pricing: { instanceTypes: CATALOG },
    report: { language },
  });
  return priceMonth(days, priceOptions(period, config));
}

describe.skipIf(!existsSync(CHROMIUM))('the HTML view in headless Chromium', () => {
  let dir: string;
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  const requests: string[] = [];

  async function open(name: string, summary: Summary, html: string): Promise<Page> {
    const file = join(dir, `${name}.html`);
    writeFileSync(file, html);
    const page = await browser.context.newPage();
    page.on('request', (r) => requests.push(r.url()));
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`file://${file}`);
    await page.waitForSelector('body[data-ready="true"]');
    expect(errors, summary.period.month).toEqual([]);
    return page;
  }
  const groupNames = (page: Page) => page.locator('tr.group > td:first-child').allTextContents();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'html-view-'));
    browser = await launchBrowser();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  describe('a month with a Korean and a hostile team name', () => {
    const teams = ['ml', '연구팀', HOSTILE, 'search'];
    const { summary, rows } = month(teams, 'en');
    let page: Page;
    beforeAll(async () => {
      page = await open('small', summary, renderHtmlReport(summary, rows, { language: 'en' }));
    }, 60_000);

    it('loads nothing but its own file', () => {
      expect(requests.filter((u) => !u.startsWith('file://'))).toEqual([]);
    });

    it("lists every team with the month's total, as summary.json has them", async () => {
      expect(await page.textContent('#total-cost')).toBe(
        `$${Number(summary.totals.cost).toLocaleString('en-US', { minimumFractionDigits: 2 })}`,
      );
      expect((await groupNames(page)).sort()).toEqual(summary.byTeam.map((t) => t.key).sort());
    });

    it('shows a hostile label as text and never runs it', async () => {
      expect(await groupNames(page)).toContain(HOSTILE);
      expect(await page.evaluate(() => (globalThis as { __pwned?: number }).__pwned)).toBeUndefined();
      expect(await page.locator('img').count()).toBe(0);
    });

    it('filters by team, and the total and trend follow the filter', async () => {
      const team = summary.byTeam.find((t) => t.key === '연구팀')!;
      await page.selectOption('select[data-dim="team"]', { label: '연구팀' });
      expect(await groupNames(page)).toEqual(['연구팀']);
      expect(await page.textContent('#total-cost')).toBe(
        `$${Number(team.cost).toLocaleString('en-US', { minimumFractionDigits: 2 })}`,
      );
      expect(await page.textContent('#trend h2')).toBe('Daily cost of 연구팀');
      const dayUnits = await page
        .locator('#trend rect')
        .evaluateAll((rects) => rects.map((r) => Number(r.getAttribute('data-units'))));
      expect(dayUnits.reduce((a, b) => a + b, 0)).toBe(Math.round(Number(team.cost) * 100));
      await page.click('#reset');
      expect(await groupNames(page)).toHaveLength(summary.byTeam.length);
    });

    it('filters by pricing and groups by namespace', async () => {
      await page.selectOption('select[data-dim="pricing"]', { label: 'Spot' });
      await page.selectOption('#group-by', 'namespace');
      const spot = summary.byPricingCategory.find((p) => p.key === 'Dynamic')!;
      expect(await page.textContent('#total-cost')).toBe(
        `$${Number(spot.cost).toLocaleString('en-US', { minimumFractionDigits: 2 })}`,
      );
      expect((await groupNames(page)).every((n) => /^ns-\d$|^\(none\)$/.test(n))).toBe(true);
      await page.click('#reset');
      await page.selectOption('#group-by', 'team');
    });

    it('sorts by a column, and reverses on a second click', async () => {
      await page.click('th[data-sort="name"]');
      const ascending = await groupNames(page);
      expect(ascending).toEqual([...ascending].sort((a, b) => a.localeCompare(b)));
      await page.click('th[data-sort="name"]');
      expect(await groupNames(page)).toEqual([...ascending].reverse());
      await page.click('th[data-sort="cost"]');
      const costs = await page.locator('tr.group > td:nth-child(2)').allTextContents();
      const values = costs.map((c) => Number(c.replace(/[$,]/g, '')));
      expect(values).toEqual([...values].sort((a, b) => b - a));
    });

    it('drills down from a team to its pods', async () => {
      await page.locator('tr.group', { hasText: 'ml' }).first().click();
      const pods = await page.locator('tr.pod > td:first-child').allTextContents();
      expect(pods.sort()).toEqual(['pod-0-0', 'pod-0-1']);
      await page.locator('tr.group', { hasText: 'ml' }).first().click();
      expect(await page.locator('tr.pod').count()).toBe(0);
    });
  });

  it('speaks Korean in a Korean report', async () => {
    const { summary, rows } = month(['연구팀', 'ml'], 'ko');
    const page = await open('korean', summary, renderHtmlReport(summary, rows, { language: 'ko' }));
    expect(await page.getAttribute('html', 'lang')).toBe('ko');
    expect(await page.textContent('#filters h2')).toBe('필터');
    expect(await page.textContent('th[data-sort="cost"]')).toBe('비용');
    expect(await groupNames(page)).toContain('연구팀');
    expect(await page.textContent('#total-cost')).toMatch(/^US\$[\d,]+\.\d{2}$/);
    await page.close();
  });

  it('handles a 50-team month: every team listed, filtered and sorted', async () => {
    const teams = Array.from({ length: 50 }, (_, i) => `team-${String(i).padStart(2, '0')}`);
    const { summary, rows } = month(teams, 'en');
    const page = await open('fifty', summary, renderHtmlReport(summary, rows, { language: 'en' }));
    expect((await groupNames(page)).sort()).toEqual(['platform', ...teams]); // and the platform team's idle
    await page.selectOption('select[data-dim="project"]', { label: 'proj-1' });
    const inProject = summary.byProject
      .filter((p) => p.key === 'proj-1')
      .map((p) => p.team)
      .sort();
    expect((await groupNames(page)).sort()).toEqual(inProject);
    await page.fill('#search', 'pod-49-');
    expect(await groupNames(page)).toEqual(['team-49']);
    await page.close();
  });
});
