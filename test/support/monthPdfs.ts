/** A month's PDFs to render, and the check that a PDF session draws them as this thread does (worker tests). */
import { expect } from 'vitest';
import {
  type MonthPdfInput,
  type MonthPdfs,
  type MonthPdfSession,
  renderMonthPdfs,
} from '../../src/render/pdf/monthPdfs.ts';
import type { TeamFacts } from '../../src/render/teamCsv.ts';
import { realisticSummary } from './summaryFixture.ts';

/** A team's biggest pods, projects and namespaces, as teamFacts finds them (src/render/teamCsv.ts). */
function teamFactsFixture(team: string, size: number): TeamFacts {
  const entries = (prefix: string) =>
    Array.from({ length: size }, (_, i) => ({ key: `${prefix}-${i}`, units: 9000 - i * 7, gpuHours: 3 + i }));
  return {
    rowCount: 4 * size,
    totalUnits: 250_000,
    pods: entries(`${team}/pod`),
    projects: entries(`${team}-project`),
    namespaces: entries(team),
  };
}

/** A month's PDFs to render (the executive PDF against the month before, and two team PDFs). */
export function monthPdfInput(language: 'en' | 'ko' = 'en'): MonthPdfInput {
  return {
    summary: realisticSummary(),
    previous: realisticSummary({ month: '2026-09' }),
    options: { language, baselinePercentile: 50 },
    teams: [
      ['speech', teamFactsFixture('speech', 8)],
      ['vision', teamFactsFixture('vision', 3)],
    ],
  };
}

/**
 * Renders the fixture month in each of `languages` through `session` and in this thread, and expects the
 * same bytes, PDF by PDF. What the session rendered, in order.
 */
export async function expectSamePdfsAsHere(
  session: Pick<MonthPdfSession, 'render'>,
  languages: readonly ('en' | 'ko')[] = ['en', 'ko'],
): Promise<MonthPdfs[]> {
  const rendered: MonthPdfs[] = [];
  for (const language of languages) {
    const here = await renderMonthPdfs(monthPdfInput(language));
    const there = await session.render(monthPdfInput(language));
    expect(there.teams).toHaveLength(here.teams.length);
    expect(Buffer.compare(there.executive, here.executive)).toBe(0);
    there.teams.forEach((pdf, t) => expect(Buffer.compare(pdf, here.teams[t]!)).toBe(0));
    rendered.push(there);
  }
  return rendered;
}
