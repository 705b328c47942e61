import type { Logger } from '../ports.ts';

/** Redacts values that look like secrets (bearer tokens, AWS signatures, credentials) from log fields. */
export function redact(value: unknown): unknown {
  if (typeof value === 'string') {
    return value
      .replace(/(Bearer\s+)[^\s"']+/gi, '$1[REDACTED]')
      .replace(/(Signature=)[0-9a-f]+/gi, '$1[REDACTED]')
      .replace(/(X-Amz-Security-Token=)[^&\s]+/gi, '$1[REDACTED]')
      .replace(/(Credential=)[^,\s&]+/gi, '$1[REDACTED]');
  }
  if (Array.isArray(value)) return value.map(redact);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] = /authorization|token|secret|password|signature|credential/i.test(k) ? '[REDACTED]' : redact(v);
    }
    return out;
  }
  return value;
}

type Write = (text: string) => void;

/**
 * Logs to stderr: on a TTY, human lines and a redrawn progress line; otherwise one JSON object per line
 * (level, msg, time and fields), so log pipelines can parse it. stdout stays free for machine output.
 */
export function createStderrLogger(
  options: { tty?: boolean; write?: Write; nowIso?: () => string; quiet?: boolean } = {},
): Logger {
  const tty = options.tty ?? Boolean(process.stderr.isTTY);
  const write: Write = options.write ?? ((t) => process.stderr.write(t));
  const nowIso = options.nowIso ?? (() => new Date().toISOString());
  let progressShown = false;
  const clearProgress = () => {
    if (tty && progressShown) {
      write('\r\x1b[K');
      progressShown = false;
    }
  };
  const emit = (level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>) => {
    if (options.quiet && level === 'info') return;
    const safeFields = fields ? (redact(fields) as Record<string, unknown>) : undefined;
    const safeMessage = redact(message) as string;
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
        write(`\r\x1b[K[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} ${label}`);
        progressShown = true;
        if (done >= total) clearProgress();
      } else {
        write(`${JSON.stringify({ level: 'info', time: nowIso(), msg: 'progress', done, total, label })}\n`);
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
