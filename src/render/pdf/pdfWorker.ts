/**
 * Entry of the worker thread that renders a run's PDFs (dist/pdfWorker.mjs; see workerPdfs.ts). At start
 * it loads pdfkit and the fonts; then, for each message `{ id, input }`, it renders the month with the
 * same code as the calling thread (renderMonthPdfs) and answers `{ id, ok, pdfs }` or `{ id, ok: false,
 * message, stack }`. The PDFs are copied, not transferred: a small PDF's Buffer may be a view of Node's
 * shared pool, which must not be transferred.
 */
import { parentPort } from 'node:worker_threads';
import { preloadPdfKit } from './document.ts';
import { type MonthPdfInput, renderMonthPdfs } from './monthPdfs.ts';

const port = parentPort;
if (!port) throw new Error('pdfWorker.mjs runs only as a worker thread');
const ready = preloadPdfKit();
// A failure to load is the first month's error (answered below), not an unhandled rejection that would
// end the thread before it could say why.
ready.catch(() => undefined);
// One month at a time, in the order they arrive.
let queue: Promise<void> = Promise.resolve();
port.on('message', ({ id, input }: { id: number; input: MonthPdfInput }) => {
  queue = queue.then(async () => {
    try {
      await ready;
      port.postMessage({ id, ok: true, pdfs: await renderMonthPdfs(input) });
    } catch (error) {
      const e = error instanceof Error ? error : new Error(String(error));
      port.postMessage({ id, ok: false, message: e.message, stack: e.stack ?? '' });
    }
  });
});
