import type { Summary } from '../../core/types.ts';
import type { TeamFacts } from '../teamCsv.ts';
import { type PdfOptions, renderPdf } from './renderPdf.ts';
import { renderTeamPdf } from './teamPdf.ts';

/** What a month's PDFs are made from: plain data (a worker thread receives it as a structured clone). */
export interface MonthPdfInput {
  summary: Summary;
  /** The previous month's summary, for comparisons; null when there is none. */
  previous: Summary | null;
  options: PdfOptions;
  /** One team PDF per entry, in this order. */
  teams: [team: string, facts: TeamFacts][];
}

/** The executive PDF and the team PDFs, in the order of `MonthPdfInput.teams`. */
export interface MonthPdfs {
  executive: Uint8Array;
  teams: Uint8Array[];
}

/** Renders a month's PDFs. */
export type MonthPdfRenderer = (input: MonthPdfInput) => Promise<MonthPdfs>;

/**
 * Where a run renders its months' PDFs: in this thread ({@link IN_THREAD_PDFS}) or in a worker thread
 * (src/render/pdf/workerPdfs.ts). `start` may get ready ahead of the first `render` (a worker thread
 * boots and loads pdfkit while the month is priced); `close` lets go of whatever it holds.
 */
export interface MonthPdfSession {
  start(): void;
  render: MonthPdfRenderer;
  close(): Promise<void>;
}

/** Renders in the calling thread; holds nothing. */
export const IN_THREAD_PDFS: MonthPdfSession = {
  start: () => undefined,
  render: (input) => renderMonthPdfs(input),
  close: async () => undefined,
};

/** Renders a month's PDFs in this thread, one after the other. Deterministic, as each PDF is. */
export async function renderMonthPdfs(input: MonthPdfInput): Promise<MonthPdfs> {
  const { summary, previous, options } = input;
  const executive = await renderPdf(summary, previous, options);
  const teams: Uint8Array[] = [];
  for (const [team, facts] of input.teams) {
    teams.push(await renderTeamPdf(summary, previous, team, facts, options));
  }
  return { executive, teams };
}
