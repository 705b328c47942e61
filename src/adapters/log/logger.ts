import type { Logger } from '../../ports.ts';
import { Redactor } from '../../redact.ts';

type Write = (text: string) => void;

/** How the one logger writes (see {@link createLogger}). */
export interface LoggerOptions {
  /**
   * `tty`: one updating line per stage of the run (its progress and latest message), warnings and errors
   * as their own lines (a terminal). `json`: one JSON object per line (pipes, CloudWatch, `--verbose`).
   */
  format: 'tty' | 'json';
  /** Where lines go (default: stderr). */
  write?: Write;
  /** What it must never print (default: a Redactor that knows no secret values, only their shapes). */
  redactor?: Redactor;
  nowIso?: () => string;
  /** Only warnings and errors. */
  quiet?: boolean;
  /** Width of the terminal: a line being redrawn is cut to it (a wrapped line cannot be redrawn). */
  columns?: number;
}

/** `key=value` pairs of a message's fields, for a terminal line. */
function compactFields(fields: Record<string, unknown> | undefined): string {
  if (!fields) return '';
  const parts = Object.entries(fields)
    .filter(([, v]) => v !== undefined && v !== null)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
  return parts.length > 0 ? ` (${parts.join(', ')})` : '';
}

/**
 * The one logger of the CLI and the Lambdas. Every message and every field goes through the run's
 * {@link Redactor} (known secret values, anything shaped like a secret, fields named like one, errors
 * as one redacted line) before it is written. On a terminal: one line per stage, redrawn as it
 * progresses and left showing the stage's last message when the next stage starts; warnings and errors
 * as their own lines. Otherwise one JSON object per line (level, time, msg and the fields), which log
 * pipelines and CloudWatch Logs parse. stdout stays free for machine output.
 */
export function createLogger(options: LoggerOptions): Logger {
  const tty = options.format === 'tty';
  const write: Write = options.write ?? ((t) => process.stderr.write(t));
  const nowIso = options.nowIso ?? (() => new Date().toISOString());
  const redactor = options.redactor ?? new Redactor();
  const columns = Math.max(40, options.columns ?? 100);
  // The terminal's stage line: its name, progress bar and latest message; open = drawn, not yet ended.
  let stage: string | null = null;
  let bar = '';
  let status = '';
  let lineOpen = false;
  const stageText = () => [stage ?? '', bar, status].filter((part) => part !== '').join('  ');
  const draw = () => {
    const text = stageText();
    write(`\r\x1b[K${text.length > columns - 1 ? `${text.slice(0, columns - 2)}…` : text}`);
    lineOpen = true;
  };
  /** Ends the open line showing all of its text (it will not be redrawn). */
  const endLine = () => {
    if (!lineOpen) return;
    if (status === '…') status = 'done';
    write(`\r\x1b[K${stageText()}\n`);
    lineOpen = false;
  };
  const emit = (level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>) => {
    if (options.quiet && level === 'info') return;
    const safeFields = fields ? (redactor.value(fields) as Record<string, unknown>) : undefined;
    const safeMessage = redactor.text(message);
    if (!tty) {
      write(`${JSON.stringify({ level, time: nowIso(), msg: safeMessage, ...safeFields })}\n`);
      return;
    }
    if (level === 'info' && stage !== null) {
      // Within a stage a message is its status, not another line.
      status = `${safeMessage}${compactFields(safeFields)}`;
      draw();
      return;
    }
    const wasOpen = lineOpen;
    if (wasOpen) write('\r\x1b[K');
    lineOpen = false;
    const prefix = level === 'info' ? '' : `${level.toUpperCase()}: `;
    write(`${prefix}${safeMessage}${compactFields(safeFields)}\n`);
    if (wasOpen) draw();
  };
  return {
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    progress(done, total, label) {
      if (options.quiet) return;
      if (tty) {
        const width = 24;
        const filled = total > 0 ? Math.min(width, Math.round((done / total) * width)) : width;
        bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}`;
        status = redactor.text(label);
        draw();
      } else {
        write(
          `${JSON.stringify({ level: 'info', time: nowIso(), msg: 'progress', done, total, label: redactor.text(label) })}\n`,
        );
      }
    },
    stage(name) {
      if (!tty || options.quiet) return;
      endLine();
      stage = name;
      bar = '';
      status = name === null ? '' : '…';
      if (name !== null) draw();
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
