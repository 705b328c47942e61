import type { MeteredDay } from '../types.ts';
import { warningText } from '../warningText.ts';

/**
 * The metering warnings of a month, each once: a warning raised on one day is prefixed with that date,
 * one raised on several days with the first and last date and the number of days ("2026-10-01..2026-10-31
 * (31 days): ..."), in the order first raised. A node's or pod's condition that lasts the month is then
 * one line, not one per day.
 */
export function dayWarnings(days: readonly MeteredDay[]): string[] {
  const dates = new Map<string, string[]>();
  for (const day of [...days].sort((a, b) => a.day.startMs - b.day.startMs)) {
    for (const w of day.warnings) {
      const list = dates.get(w) ?? [];
      if (list.at(-1) !== day.day.date) list.push(day.day.date);
      dates.set(w, list);
    }
  }
  return [...dates].map(([w, list]) =>
    list.length === 1
      ? warningText('onDay', { date: list[0]!, warning: w })
      : warningText('onDays', { first: list[0]!, last: list.at(-1)!, count: list.length, warning: w }),
  );
}
