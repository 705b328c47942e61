import { Worker } from 'node:worker_threads';
import {
  type MonthPdfInput,
  type MonthPdfs,
  type MonthPdfSession,
  PdfWorkerUnavailable,
} from './monthPdfs.ts';

type Answer = { id: number } & (
  { ok: true; pdfs: MonthPdfs } | { ok: false; message: string; stack: string }
);

/**
 * Sessions that render PDFs in a worker thread (the built pdfWorker.mjs at `workerFile`), so that they
 * are drawn on another core while the calling thread writes the month's CSVs. The worker renders with
 * the same code as the calling thread (renderMonthPdfs): the bytes are the same. `start` boots it (it
 * loads pdfkit and the fonts at once); `render` starts it if needed; `close` terminates it. An error in
 * the worker rejects that month's promise with the error's message (and the worker's stack); a worker
 * that fails or exits rejects every month still waiting. The worker keeps the process alive only while a
 * month is waiting for it (an idle one never holds a finished run open).
 */
export function workerPdfSessions(workerFile: string | URL): () => MonthPdfSession {
  return () => {
    let worker: Worker | undefined;
    let failure: Error | undefined;
    let nextId = 0;
    const waiting = new Map<number, { resolve: (pdfs: MonthPdfs) => void; reject: (e: Error) => void }>();
    const failAll = (error: Error) => {
      failure ??= error;
      for (const { reject } of waiting.values()) reject(failure);
      waiting.clear();
    };
    const start = (): Worker => {
      if (worker) return worker;
      const w = new Worker(workerFile);
      w.unref();
      w.on('message', (answer: Answer) => {
        const pending = waiting.get(answer.id);
        if (!pending) return;
        waiting.delete(answer.id);
        if (waiting.size === 0) w.unref();
        if (answer.ok) {
          // Structured clones arrive as plain Uint8Arrays; the files are Buffers like the ones made here.
          const asBuffer = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength);
          pending.resolve({
            executive: asBuffer(answer.pdfs.executive),
            teams: answer.pdfs.teams.map(asBuffer),
          });
        } else {
          const error = new Error(`rendering the PDFs failed: ${answer.message}`);
          error.stack = `${error.message}\n(in the PDF worker thread) ${answer.stack}`;
          pending.reject(error);
        }
      });
      w.on('error', (error) =>
        failAll(new PdfWorkerUnavailable(`the PDF worker thread failed: ${error.message}`, { cause: error })),
      );
      w.on('exit', (code) =>
        failAll(new PdfWorkerUnavailable(`the PDF worker thread exited (code ${code})`)),
      );
      worker = w;
      return w;
    };
    return {
      start: () => void start(),
      render: (input: MonthPdfInput) =>
        new Promise<MonthPdfs>((resolve, reject) => {
          if (failure) return reject(failure);
          const w = start();
          const id = nextId++;
          waiting.set(id, { resolve, reject });
          w.ref();
          try {
            w.postMessage({ id, input });
          } catch (error) {
            // Not cloneable (a function, a class instance the clone would lose): nothing was sent.
            waiting.delete(id);
            if (waiting.size === 0) w.unref();
            const message = error instanceof Error ? error.message : String(error);
            reject(
              new PdfWorkerUnavailable(`the month could not be sent to the PDF worker thread: ${message}`, {
                cause: error,
              }),
            );
          }
        }),
      close: async () => {
        const w = worker;
        worker = undefined;
        failAll(new Error('the PDF worker thread was closed'));
        if (w) await w.terminate();
      },
    };
  };
}
