import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/adapters/log/logger.ts';
import { runCli } from '../../../src/cli/main.ts';
import { makeTempDir } from '../../support/tmp.ts';

/** What a terminal shows for `text`: \r returns to the line's start, ESC[K clears to its end, \n ends it. */
function screen(text: string): string[] {
  const lines: string[] = [''];
  let col = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '\r') col = 0;
    else if (text.startsWith('\x1b[K', i)) {
      lines[lines.length - 1] = lines.at(-1)!.slice(0, col);
      i += 2;
    } else if (text[i] === '\n') {
      lines.push('');
      col = 0;
    } else {
      const line = lines.at(-1)!;
      lines[lines.length - 1] = line.slice(0, col) + text[i] + line.slice(col + 1);
      col += 1;
    }
  }
  return lines.at(-1) === '' ? lines.slice(0, -1) : lines;
}

/** A month's run as runMonthlyReport logs it. */
function logRun(logger: ReturnType<typeof createLogger>): void {
  logger.stage?.('metering days');
  logger.info('metered day', { date: '2026-10-01', pods: 3 });
  logger.progress(1, 3, 'metered 2026-10-01');
  logger.warn('node n1 advertises more GPUs than it has', { date: '2026-10-02' });
  logger.info('metered day', { date: '2026-10-02', pods: 4 });
  logger.progress(2, 3, 'metered 2026-10-02');
  logger.progress(3, 3, 'metered 2026-10-03');
  logger.stage?.('pricing');
  logger.info('billing export read', { rows: 12 });
  logger.stage?.('rendering');
  logger.stage?.('publishing');
  logger.info('monthly report published', { total: '80198.79 USD' });
  logger.stage?.(null);
}

describe('the terminal logger', () => {
  it('shows one line per stage, ending with its last progress or message, and warnings on their own lines', () => {
    let out = '';
    logRun(createLogger({ format: 'tty', write: (t) => (out += t) }));
    expect(screen(out)).toEqual([
      'WARN: node n1 advertises more GPUs than it has (date=2026-10-02)',
      'metering days  [########################] 3/3  metered 2026-10-03',
      'pricing  billing export read (rows=12)',
      'rendering  done',
      'publishing  monthly report published (total=80198.79 USD)',
    ]);
  });

  it('cuts a line being redrawn to the terminal width (a wrapped line cannot be redrawn)', () => {
    let out = '';
    const logger = createLogger({ format: 'tty', write: (t) => (out += t), columns: 40 });
    logger.stage?.('pricing');
    logger.info('billing export read', { location: 'x'.repeat(100) });
    const redraws = out.split('\r\x1b[K').filter((t) => t !== '');
    expect(redraws.every((t) => t.length <= 39)).toBe(true);
  });

  it('writes the same JSON lines as before when stderr is not a terminal: stages add nothing', () => {
    let out = '';
    logRun(createLogger({ format: 'json', write: (t) => (out += t), nowIso: () => 'T' }));
    const lines = out
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => l.msg)).toEqual([
      'metered day',
      'progress',
      'node n1 advertises more GPUs than it has',
      'metered day',
      'progress',
      'progress',
      'billing export read',
      'monthly report published',
    ]);
    expect(lines[1]).toEqual({
      level: 'info',
      time: 'T',
      msg: 'progress',
      done: 1,
      total: 3,
      label: 'metered 2026-10-01',
    });
  });
});

describe('--verbose', () => {
  async function reportOnATerminal(...extra: string[]): Promise<string[]> {
    const tmp = await makeTempDir();
    try {
      const config = join(tmp.dir, 'config.json');
      await writeFile(config, JSON.stringify({ source: { maxRetries: 0, timeoutSeconds: 5 } }));
      let stderr = '';
      const code = await runCli(
        [
          'report',
          '--month',
          '2026-10',
          '--config',
          config,
          '--prometheus-url',
          'http://127.0.0.1:9',
          '--out',
          join(tmp.dir, 'r'),
          ...extra,
        ],
        {
          stdout: () => {},
          stderr: (t) => (stderr += t),
          env: {},
          nowMs: () => Date.parse('2026-11-22T12:00:00Z'),
          stderrIsTty: true,
        },
      );
      expect(code).toBe(1);
      return screen(stderr);
    } finally {
      await tmp.cleanup();
    }
  }

  it('logs JSON lines on a terminal too', async () => {
    const lines = await reportOnATerminal('--verbose');
    expect(JSON.parse(lines[0]!)).toMatchObject({
      level: 'info',
      msg: 'monthly report started',
      month: '2026-10',
    });
  });

  it('is off by default: a terminal gets human lines, no JSON', async () => {
    const lines = await reportOnATerminal();
    expect(lines[0]).toMatch(/^monthly report started \(month=2026-10, /);
    expect(lines.filter((l) => l.startsWith('{'))).toEqual([]);
  });
});
