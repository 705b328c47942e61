import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Summary } from '../../../src/core/types.ts';
import { type PdfOptions, renderPdf } from '../../../src/render/pdf/renderPdf.ts';
import type { Restatement } from '../../../src/core/types.ts';
import {
  krwSummary,
  manyTeamsSummary,
  previousMonthSummary,
  realisticSummary,
  zeroUsageSummary,
} from '../../support/summaryFixture.ts';

/**
 * Renders the fixtures and inspects the PDFs with poppler (pdftotext, pdftoppm): wording, totals,
 * page furniture, layout (every word inside the page, no two words overlapping), non-blank pages,
 * and byte-identical output.
 */

const hasPoppler = ['pdftotext', 'pdftoppm', 'pdfinfo'].every((tool) => !spawnSync(tool, ['-v']).error);
if (!hasPoppler)
  console.warn(
    'Skipping PDF layout tests: pdftotext/pdftoppm/pdfinfo (Debian package poppler-utils) not installed.',
  );

const EN: PdfOptions = { language: 'en', baselinePercentile: 50 };
const KO: PdfOptions = { language: 'ko', baselinePercentile: 50 };

interface Word {
  text: string;
  xMin: number;
  yMin: number;
  xMax: number;
  yMax: number;
}

interface Rendered {
  bytes: Buffer;
  file: string;
  /** pdftotext -layout, one string per page. */
  pages: string[];
  text: string;
}

let dir = '';

async function render(
  name: string,
  summary: Summary,
  previous: Summary | null,
  options: PdfOptions,
): Promise<Rendered> {
  const bytes = await renderPdf(summary, previous, options);
  const file = join(dir, `${name}.pdf`);
  writeFileSync(file, bytes);
  const text = execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' });
  const pages = text.split('\f').slice(0, -1);
  return { bytes, file, pages, text };
}

function wordBoxes(file: string): { width: number; height: number; words: Word[] }[] {
  const html = execFileSync('pdftotext', ['-bbox', file, '-'], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  return html
    .split('<page ')
    .slice(1)
    .map((chunk) => {
      const size = /width="([\d.]+)" height="([\d.]+)"/.exec(chunk)!;
      const words = [
        ...chunk.matchAll(
          /<word xMin="([\d.-]+)" yMin="([\d.-]+)" xMax="([\d.-]+)" yMax="([\d.-]+)">([^<]*)<\/word>/g,
        ),
      ].map((m) => ({
        xMin: Number(m[1]),
        yMin: Number(m[2]),
        xMax: Number(m[3]),
        yMax: Number(m[4]),
        text: m[5]!,
      }));
      return { width: Number(size[1]), height: Number(size[2]), words };
    });
}

/** Share of pixels darker than near-white on each page, from pdftoppm -gray (binary PGM). */
function inkPerPage(file: string, name: string): number[] {
  const prefix = join(dir, `${name}-ink`);
  execFileSync('pdftoppm', ['-r', '40', '-gray', file, prefix]);
  return readdirSync(dir)
    .filter((f) => f.startsWith(`${name}-ink`) && f.endsWith('.pgm'))
    .sort()
    .map((f) => {
      const pgm = readFileSync(join(dir, f));
      const header = /^P5\s+(\d+)\s+(\d+)\s+(\d+)\s/.exec(pgm.subarray(0, 64).toString('latin1'))!;
      const pixels = pgm.subarray(header[0].length);
      let dark = 0;
      for (const p of pixels) if (p < 245) dark++;
      return dark / (Number(header[1]) * Number(header[2]));
    });
}

const overlaps = (a: Word, b: Word, tolerance = 0.5) =>
  Math.min(a.xMax, b.xMax) - Math.max(a.xMin, b.xMin) > tolerance &&
  Math.min(a.yMax, b.yMax) - Math.max(a.yMin, b.yMin) > tolerance;

describe.skipIf(!hasPoppler)('renderPdf', () => {
  let realistic: Rendered;
  let firstMonth: Rendered;
  let korean: Rendered;
  let sixtyTeams: Rendered;
  let sixtyTeamsKorean: Rendered;
  let zero: Rendered;
  let zeroKorean: Rendered;
  let restated: Rendered;
  let restatedKorean: Rendered;
  let all: [string, Rendered][];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pdf-render-test-'));
    realistic = await render('realistic', realisticSummary(), previousMonthSummary(), EN);
    firstMonth = await render('first-month', realisticSummary(), null, EN);
    korean = await render(
      'korean',
      krwSummary(),
      previousMonthSummary({ currency: 'KRW', zone: 'Asia/Seoul' }),
      KO,
    );
    sixtyTeams = await render('sixty', manyTeamsSummary({ sourceKind: 'demo' }), null, EN);
    sixtyTeamsKorean = await render('sixty-ko', manyTeamsSummary({ currency: 'KRW' }), null, KO);
    zero = await render('zero', zeroUsageSummary(), null, EN);
    zeroKorean = await render('zero-ko', zeroUsageSummary({ currency: 'KRW' }), null, KO);
    restated = await render('restated', restatedSummary(realisticSummary()), previousMonthSummary(), EN);
    restatedKorean = await render('restated-ko', restatedSummary(krwSummary()), null, KO);
    all = Object.entries({
      realistic,
      firstMonth,
      korean,
      sixtyTeams,
      sixtyTeamsKorean,
      zero,
      zeroKorean,
      restated,
      restatedKorean,
    });
  });

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  describe('content', () => {
    it("states on page 2 of a restatement which version it replaces, why, and each team's difference", () => {
      const page2 = restated.pages[1]!.replace(/[ \t]+/g, ' ');
      const r = restatedSummary(realisticSummary()).restatement!;
      expect(restated.pages).toHaveLength(7);
      expect(page2).toContain('Restatement');
      expect(page2).toContain(
        'This version replaces version 0123456789abcdef (run run-2026-04-01, published 2026-04-01T06:00:00.000Z).',
      );
      expect(page2).toContain('Reason: INC-4711: Spot prices of 12-14 March were late');
      expect(page2).toContain('Published with --force although the publish guard refused: the total moves');
      expect(page2).toMatch(/Team\s+Replaced version\s+This version\s+Difference/);
      const [first, second] = r.byTeam;
      expect(page2).toMatch(new RegExp(`${first!.team} .*-\\$6,000\\.00`));
      expect(page2).toMatch(new RegExp(`${second!.team} .*-\\$4,000\\.00`));
      expect(page2).toMatch(/Total .*\$200,662\.84 .*\$190,662\.84 .*-\$10,000\.00/);
      expect(page2.replace(/\s+/g, ' ')).toContain('Total $200,662.84 → $190,662.84 (-$10,000.00).');
      // The other pages follow unchanged.
      expect(restated.pages[2]).toContain('Daily cost trend');
      expect(realistic.pages.join('')).not.toContain('Restatement');
    });

    it('states the restatement in Korean', () => {
      const page2 = restatedKorean.pages[1]!;
      expect(page2).toContain('정정 발행');
      expect(page2).toContain('사유: INC-4711');
      expect(page2).toMatch(/팀\s+대체된 버전\s+이 버전\s+차이/);
    });

    it('has a page for each section of the executive report, in order', () => {
      const headings = [
        'GPU Chargeback Report · March 2026',
        'Daily cost trend',
        'Cost by team',
        'Capacity and efficiency',
        'Capacity advice: baseline vs burst',
        'Method and data quality',
      ];

      expect(realistic.pages).toHaveLength(6);
      expect(headings.map((_, i) => realistic.pages[i])).toEqual(
        headings.map((h) => expect.stringContaining(h)),
      );
    });

    it('states the total, the change vs the previous month and the variance vs budget on page 1', () => {
      const page1 = realistic.pages[0]!.replace(/\s+/g, ' ');

      expect(realisticSummary().totals.cost).toBe('190662.84');
      expect(page1).toContain('GPU spend for March 2026 was $190,662.84.');
      // Issue #16: month over month is per day. $190,662.84 / 31 days against $171,515.28 / 28 days is
      // +0.4 % (the total alone, +11.2 %, mostly counts February's three missing days).
      expect(page1).toContain(
        'Per day, that is 0.4% more than February 2026 ($19,147.56 more in total; 31 vs 28 days).',
      );
      // Issue #16: the variance is over budgeted teams only: $190,662.84 − $12,160.16 of fraud-detection (no
      // budget) = $178,502.68 against $179,000.00 is $497.32 under — not $11,662.84 over.
      expect(page1).toContain(
        'Teams with a budget spent $497.32 (0.3%) less than their combined budget of $179,000.00; $12,160.16 of ' +
          'spend (idle capacity, unallocated, teams without a budget) has no budget.',
      );
      expect(page1).toMatch(/Total GPU spend .*Change per day vs previous month .*Budgeted teams vs budget/);
      expect(page1).toMatch(/\+0\.4% -\$497\.32/);
      expect(page1).toContain('3 of 7 over · no budget: $12,160');
    });

    it('shows the key efficiency figures on page 1', () => {
      const page1 = realistic.pages[0]!.replace(/\s+/g, ' ');

      expect(page1).toContain('35,863'); // allocated GPU-hours
      expect(page1).toContain('of 56,052 GPU-hours capacity');
      expect(page1).toContain('$5.32'); // blended cost per GPU-hour
      expect(page1).toContain('On-Demand rate $5.66');
      expect(page1).toContain('Spot savings $12,241.30');
      expect(page1).toContain('64.0%'); // allocation rate
      expect(page1).toContain('GPU utilization 50.8%');
      expect(page1).toContain('$68,674.76'); // idle cost
      expect(page1).toContain('99.8%'); // coverage
      expect(page1).toContain('Top projects');
    });

    it('says "no prior month" for the first month with data', () => {
      const page1 = firstMonth.pages[0]!.replace(/\s+/g, ' ');

      expect(page1).toContain('no prior month');
      expect(page1).toContain('There is no prior month to compare with.');
    });

    it('marks new teams and month-over-month changes in the team table', () => {
      const teams = realistic.pages[2]!;

      expect(teams).toMatch(/fraud-detection\s+\$12,160\.16\s+new/);
      expect(teams).toMatch(/Total\s+\$190,662\.84\s+\+0\.4%/);
    });

    it('states the assumptions and the reconciliation line', () => {
      expect(realistic.pages[4]!.replace(/\s+/g, ' ')).toContain('Assumptions');
      expect(realistic.pages[5]!.replace(/\s+/g, ' ')).toContain(
        'Sum of charges $190,662.84 = capacity cost $190,662.84; difference $0.00.',
      );
    });

    it('puts the title, month and "Page n of m" on every page', () => {
      realistic.pages.forEach((page, i) => {
        expect(page).toContain('GPU Chargeback Report');
        expect(page).toContain('March 2026');
        expect(page).toContain(`Page ${i + 1} of 6`);
      });
    });

    it('marks every page of a demo-data report as DEMO DATA, and no page of a real one', () => {
      expect(sixtyTeams.pages.filter((page) => !page.includes('DEMO DATA'))).toEqual([]);
      expect(sixtyTeams.pages.length).toBeGreaterThan(0);
      expect(realistic.text).not.toContain('DEMO DATA');
    });

    it('uses a custom title when one is given', async () => {
      const custom = await render('custom-title', realisticSummary(), null, {
        ...EN,
        title: 'Acme AI\u0007 GPU costs',
      });

      expect(custom.pages[0]).toContain('Acme AI GPU costs · March 2026');
    });
  });

  describe('Korean', () => {
    it('labels every section in Korean', () => {
      const headings = [
        'GPU 비용 정산 보고서 · 2026년 3월',
        '일별 비용 추이',
        '팀별 비용',
        '용량 및 효율',
        '용량 제안',
        '산정 방법 및 데이터 품질',
      ];

      expect(headings.map((_, i) => korean.pages[i])).toEqual(
        headings.map((h) => expect.stringContaining(h)),
      );
      expect(korean.pages[0]).toContain('총 GPU 비용');
      expect(korean.pages[5]).toContain('6 / 6 페이지');
    });

    it('formats won amounts without minor digits', () => {
      expect(krwSummary().totals.cost).toBe('264106216');
      expect(korean.pages[0]).toContain('₩264,106,216');
      expect(korean.text).not.toMatch(/₩[\d,]+\.\d/);
    });

    it('states the conversion rate of the billing currency', () => {
      expect(korean.pages[5]!.replace(/\s+/g, ' ')).toContain(
        'KRW, USD에서 고정 환율 1,385.20 KRW/USD로 환산.',
      );
    });

    it('says there is no prior month in Korean', () => {
      expect(zeroKorean.pages[0]).toContain('이전 달 없음');
    });
  });

  describe('hostile and edge-case data', () => {
    it('lays out 60 teams on a team table that continues over two pages with its header repeated', () => {
      const tablePages = sixtyTeams.pages.filter((p) => /Team\s+Cost/.test(p));

      expect(sixtyTeams.pages.length).toBeGreaterThanOrEqual(7);
      expect(sixtyTeams.pages.length).toBeLessThanOrEqual(8);
      expect(tablePages).toHaveLength(2);
      expect(tablePages[1]).toContain('Cost by team (continued)');
    });

    it('truncates long team names with an ellipsis and prints no control characters', () => {
      expect(sixtyTeams.pages[2]).toMatch(/team-01-distributed-training-\S*…/);
      expect(sixtyTeams.text).not.toMatch(/[\u0000-\u0008\u000e-\u001f\u007f\u202a-\u202e\u2066-\u2069]/);
      expect(sixtyTeams.text).not.toContain(
        'team-01-distributed-training-of-very-large-language-models-with-an-extremely-long',
      );
    });

    it('renders a month with zero usage without NaN, Infinity or undefined', () => {
      for (const r of [zero, zeroKorean]) {
        expect(r.text).not.toMatch(/NaN|Infinity|undefined|null/);
      }
      expect(zero.pages[0]).toContain('$0.00');
      expect(zero.pages[0]).toContain('No data for this month.');
      expect(zero.pages[4]!.replace(/\s+/g, ' ')).toContain('No GPU demand or capacity this month');
    });

    it('keeps every word inside the page margins on every page of every fixture', () => {
      const outside: string[] = [];
      for (const [name, r] of all) {
        wordBoxes(r.file).forEach((page, p) => {
          for (const w of page.words) {
            if (w.xMin < 20 || w.yMin < 20 || w.xMax > page.width - 20 || w.yMax > page.height - 20) {
              outside.push(`${name} p${p + 1}: ${w.text} [${w.xMin}, ${w.yMin}, ${w.xMax}, ${w.yMax}]`);
            }
          }
        });
      }

      expect(outside).toEqual([]);
    });

    it('never draws one word over another', () => {
      const collisions: string[] = [];
      let checked = 0;
      for (const [name, r] of all) {
        wordBoxes(r.file).forEach((page, p) => {
          const words = page.words;
          checked += words.length;
          for (let i = 0; i < words.length; i++) {
            for (let j = i + 1; j < words.length; j++) {
              if (overlaps(words[i]!, words[j]!))
                collisions.push(`${name} p${p + 1}: "${words[i]!.text}" / "${words[j]!.text}"`);
            }
          }
        });
      }

      expect(checked).toBeGreaterThan(5000);
      expect(collisions).toEqual([]);
    });

    it('draws something on every page (no blank pages)', () => {
      for (const [name, r] of all) {
        const ink = inkPerPage(r.file, name);

        expect(ink).toHaveLength(r.pages.length);
        for (const share of ink) expect(share).toBeGreaterThan(0.01);
      }
    });
  });

  describe('determinism', () => {
    it('renders the same summary to byte-identical PDFs', async () => {
      const again = await renderPdf(realisticSummary(), previousMonthSummary(), EN);
      const againKorean = await renderPdf(
        krwSummary(),
        previousMonthSummary({ currency: 'KRW', zone: 'Asia/Seoul' }),
        KO,
      );

      expect(again.equals(realistic.bytes)).toBe(true);
      expect(againKorean.equals(korean.bytes)).toBe(true);
    });

    it('dates the document at the end of the billing period, not at render time', () => {
      const info = execFileSync('pdfinfo', ['-isodates', realistic.file], { encoding: 'utf8' });

      expect(info).toMatch(/CreationDate:\s+2026-04-01T00:00:00Z/);
      expect(info).toMatch(/ModDate:\s+2026-04-01T00:00:00Z/);
    });

    it('derives a different document ID for a different month', async () => {
      const fileId = (pdf: Buffer) => /\/ID \[<([0-9a-f]+)>/.exec(pdf.toString('latin1'))?.[1];
      const april = await renderPdf(realisticSummary({ month: '2026-04' }), null, EN);

      expect(fileId(realistic.bytes)).toMatch(/^[0-9a-f]{32}$/);
      expect(fileId(april)).not.toBe(fileId(realistic.bytes));
    });
  });
});

/** `summary` as a restatement of a version whose total was 10,000 higher, spread over its first two teams. */
function restatedSummary(summary: Summary): Summary {
  const digits = summary.currency.minorDigits;
  const shift = (amount: string, by: number) => (Number(amount) + by).toFixed(digits);
  const byTeam = summary.byTeam.map((team, i) => {
    const by = i === 0 ? 6000 : i === 1 ? 4000 : 0;
    return {
      team: team.key,
      previous: shift(team.cost, by),
      current: team.cost,
      difference: (-by).toFixed(digits),
    };
  });
  const restatement: Restatement = {
    replaces: {
      versionId: '0123456789abcdef',
      runId: 'run-2026-04-01',
      generatedAt: '2026-04-01T06:00:00.000Z',
    },
    reason: 'INC-4711: Spot prices of 12-14 March were late',
    forced: true,
    overridden: ['the total moves 200662.84 -> 190662.84 (-5.0 %, more than guard.maxTotalChangePct 5 %)'],
    previousTotal: shift(summary.totals.cost, 10_000),
    total: summary.totals.cost,
    difference: (-10_000).toFixed(digits),
    byTeam,
  };
  return { ...summary, restatement };
}
