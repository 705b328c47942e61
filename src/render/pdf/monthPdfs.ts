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

/**
 * A worker thread could not render a month, through no fault of the month: it died (an exit, an uncaught
 * error, its module failing to load) or the month could not be sent to it. The calling thread can render
 * the month instead ({@link inThreadWhenUnavailable}). An error the month's own rendering raised in the
 * worker is not this: rendering it here would raise it again.
 */
export class PdfWorkerUnavailable extends Error {
  override name = 'PdfWorkerUnavailable';
}

/**
 * `session`, whose months are rendered in the calling thread when its worker is unavailable
 * ({@link PdfWorkerUnavailable}), with one warning: the thread is an optimization, and a run never fails
 * for the want of it. The same bytes either way.
 */
export function inThreadWhenUnavailable(
  session: MonthPdfSession,
  warn: (message: string) => void,
): MonthPdfSession {
  let warned = false;
  return {
    start: () => session.start(),
    render: async (input) => {
      try {
        return await session.render(input);
      } catch (error) {
        if (!(error instanceof PdfWorkerUnavailable)) throw error;
        if (!warned) warn(`${error.message}; the month's PDFs are drawn in the calling thread instead`);
        warned = true;
        return renderMonthPdfs(input);
      }
    },
    close: () => session.close(),
  };
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
