import type { Logger } from '../../ports.ts';
import { Redactor } from '../../redact.ts';

type Write = (text: string) => void;

/** How the one logger writes (see {@link createLogger}). */
export interface LoggerOptions {
  /** Human lines and a redrawn progress line (a terminal), or one JSON object per line (pipes, CloudWatch). */
  format: 'tty' | 'json';
  /** Where lines go (default: stderr). */
  write?: Write;
  /** What it must never print (default: a Redactor that knows no secret values, only their shapes). */
  redactor?: Redactor;
  nowIso?: () => string;
  /** Only warnings and errors. */
  quiet?: boolean;
}

/**
 * The one logger of the CLI and the Lambdas. Every message and every field goes through the run's
 * {@link Redactor} (known secret values, anything shaped like a secret, fields named like one, errors
 * as one redacted line) before it is written. On a terminal: human lines and a redrawn progress line;
 * otherwise one JSON object per line (level, time, msg and the fields), which log pipelines and
 * CloudWatch Logs parse. stdout stays free for machine output.
 */
export function createLogger(options: LoggerOptions): Logger {
  const tty = options.format === 'tty';
  const write: Write = options.write ?? ((t) => process.stderr.write(t));
  const nowIso = options.nowIso ?? (() => new Date().toISOString());
  const redactor = options.redactor ?? new Redactor();
  let progressShown = false;
  const clearProgress = () => {
    if (tty && progressShown) {
      write('\r\x1b[K');
      progressShown = false;
    }
  };
  const emit = (level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>) => {
    if (options.quiet && level === 'info') return;
    const safeFields = fields ? (redactor.value(fields) as Record<string, unknown>) : undefined;
    const safeMessage = redactor.text(message);
    if (tty) {
      clearProgress();
      const prefix = level === 'info' ? '' : `${level.toUpperCase()}: `;
      const extra = safeFields && Object.keys(safeFields).length ? ` ${JSON.stringify(safeFields)}` : '';
      write(`${prefix}${safeMessage}${extra}\n`);
    } else {
      write(`${JSON.stringify({ level, time: nowIso(), msg: safeMessage, ...safeFields })}\n`);
    }
  };
  return {
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    progress(done, total, label) {
      if (options.quiet) return;
      if (tty) {
        const width = 24;
        const filled = total > 0 ? Math.round((done / total) * width) : width;
        write(`\r\x1b[K[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} ${redactor.text(label)}`);
        progressShown = true;
        if (done >= total) clearProgress();
      } else {
        write(
          `${JSON.stringify({ level: 'info', time: nowIso(), msg: 'progress', done, total, label: redactor.text(label) })}\n`,
        );
      }
    },
  };
}

/** A logger that records entries in memory (tests). */
export function createMemoryLogger(): Logger & {
  entries: { level: string; message: string; fields?: Record<string, unknown> }[];
} {
  const entries: { level: string; message: string; fields?: Record<string, unknown> }[] = [];
  return {
    entries,
    info: (message, fields) => entries.push({ level: 'info', message, fields }),
    warn: (message, fields) => entries.push({ level: 'warn', message, fields }),
    error: (message, fields) => entries.push({ level: 'error', message, fields }),
    progress: (done, total, label) =>
      entries.push({ level: 'progress', message: label, fields: { done, total } }),
  };
}
