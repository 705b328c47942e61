/**
 * Local days and billing months in every IANA zone: the days of a month tile it exactly (each day ends
 * where the next one starts), each day starts at the first instant of its local date, and months tile
 * the years. Regression: `dayOf` ended a day at `start.plus({ days: 1 })`, so in zones whose clocks
 * change at midnight days overlapped (America/Havana 2026-03-08/09: one hour billed twice) or left a
 * hole (Atlantic/Azores 2026-10-24/25: one hour billed to nobody).
 */
import { describe, expect, it } from 'vitest';
import { billingPeriod, dayOf, localDateOf, monthToDate, nextDate } from '../../src/core/period.ts';

const H = 3_600_000;
const YEARS = [2025, 2026, 2027];

/** An oracle independent of the implementation (and of luxon): the local date of an instant, from Intl. */
function localDateOracle(zone: string): (ms: number) => string {
  const format = new Intl.DateTimeFormat('en-CA', {
    timeZone: zone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  });
  // en-CA writes dates as YYYY-MM-DD.
  return (ms) => format.format(ms);
}

const months = YEARS.flatMap((y) =>
  Array.from({ length: 12 }, (_, i) => `${y}-${String(i + 1).padStart(2, '0')}`),
);

describe('billingPeriod and dayOf in every IANA zone', () => {
  const zones = Intl.supportedValuesOf('timeZone');

  it(`tiles every month of ${YEARS.join(', ')} with days that start at the first instant of their local date`, () => {
    expect(zones.length).toBeGreaterThan(300);
    let days = 0;
    let nonDayLong = 0;
    const problems: string[] = [];
    for (const zone of zones) {
      const localDate = localDateOracle(zone);
      let previousEnd: number | undefined;
      for (const month of months) {
        const period = billingPeriod(month, zone);
        if (previousEnd !== undefined && period.startMs !== previousEnd)
          problems.push(`${zone} ${month}: starts after a gap or overlap`);
        previousEnd = period.endMs;
        if (period.days.length < 28) problems.push(`${zone} ${month}: ${period.days.length} days`);
        if (period.days[0]!.startMs !== period.startMs || period.days.at(-1)!.endMs !== period.endMs) {
          problems.push(`${zone} ${month}: days do not span the month`);
        }
        let expectedDate = `${month}-01`;
        for (const [i, day] of period.days.entries()) {
          days++;
          const length = day.endMs - day.startMs;
          if (length !== 24 * H) nonDayLong++;
          if (day.date !== expectedDate) problems.push(`${zone} ${day.date}: expected ${expectedDate}`);
          expectedDate = nextDate(day.date);
          if (i > 0 && period.days[i - 1]!.endMs !== day.startMs)
            problems.push(`${zone} ${day.date}: not adjacent`);
          if (length < 22 * H || length > 26 * H) problems.push(`${zone} ${day.date}: ${length / H} h`);
          // The exact characterisation of a day's start: the instant is in the day, the one before is not.
          if (localDate(day.startMs) !== day.date || localDate(day.startMs - 1) === day.date) {
            problems.push(`${zone} ${day.date}: starts at ${new Date(day.startMs).toISOString()}`);
          }
        }
        if (problems.length > 20) break;
      }
    }
    expect(problems).toEqual([]);
    // Sanity of the sweep itself: about 418 zones × 1,095 days, a few thousand of them not 24 h long.
    expect(days).toBeGreaterThan(zones.length * 1090);
    expect(nonDayLong).toBeGreaterThan(500);
  });

  it('gives the same day from dayOf as from the month it belongs to', () => {
    for (const zone of [
      'America/Havana',
      'Atlantic/Azores',
      'Africa/Cairo',
      'America/Santiago',
      'Asia/Beirut',
    ]) {
      for (const month of ['2026-03', '2026-04', '2026-09', '2026-10']) {
        for (const day of billingPeriod(month, zone).days) expect(dayOf(day.date, zone)).toEqual(day);
      }
    }
  });
});

describe('zones whose clocks change at midnight (2026)', () => {
  const iso = (ms: number) => new Date(ms).toISOString();
  it.each([
    // zone, date, first instant (UTC), hours: 00:00 does not exist, the day starts at 01:00 new time
    ['America/Havana', '2026-03-08', '2026-03-08T05:00:00.000Z', 23],
    ['Asia/Beirut', '2026-03-29', '2026-03-28T22:00:00.000Z', 23],
    ['Atlantic/Azores', '2026-03-29', '2026-03-29T01:00:00.000Z', 23],
    ['Africa/Cairo', '2026-04-24', '2026-04-23T22:00:00.000Z', 23],
    ['America/Santiago', '2026-09-06', '2026-09-06T04:00:00.000Z', 23],
    // 01:00 summer time goes back to 00:00: the day starts at the first of the two midnights
    ['Atlantic/Azores', '2026-10-25', '2026-10-25T00:00:00.000Z', 25],
    // 00:00 summer time goes back to 23:00 of the day before, which is therefore 25 h long
    ['America/Santiago', '2026-04-04', '2026-04-04T03:00:00.000Z', 25],
  ])('%s %s starts at %s and lasts %d h', (zone, date, start, hours) => {
    const day = dayOf(date, zone);
    expect(iso(day.startMs)).toBe(start);
    expect((day.endMs - day.startMs) / H).toBe(hours);
    expect(dayOf(nextDate(date), zone).startMs).toBe(day.endMs);
  });

  it('keeps the hour before the Havana jump in the day before, once', () => {
    const before = dayOf('2026-03-07', 'America/Havana');
    const jump = dayOf('2026-03-08', 'America/Havana');
    const after = dayOf('2026-03-09', 'America/Havana');
    expect([before.endMs, jump.endMs]).toEqual([jump.startMs, after.startMs]);
    expect((after.endMs - before.startMs) / H).toBe(24 + 23 + 24);
    expect(localDateOf(jump.startMs - 1, 'America/Havana')).toBe('2026-03-07');
  });

  describe('edge cases', () => {
    it('has 743 hours in a month that loses an hour at midnight and 745 in one that gains it', () => {
      expect(billingPeriod('2026-03', 'America/Havana').hours).toBe(743);
      expect(billingPeriod('2026-10', 'Atlantic/Azores').hours).toBe(745);
    });

    it('leaves out a date the zone skipped entirely (Pacific/Apia, 2011-12-30)', () => {
      const period = billingPeriod('2011-12', 'Pacific/Apia');
      expect(period.days.map((d) => d.date)).not.toContain('2011-12-30');
      expect(period.days).toHaveLength(30);
    });

    it('rejects an impossible date and an unknown zone', () => {
      expect(() => dayOf('2026-02-30', 'UTC')).toThrow(RangeError);
      expect(() => dayOf('2026-02-03', 'Mars/Olympus_Mons')).toThrow(RangeError);
    });
  });
});

describe('monthToDate: the days of a running month that have ended', () => {
  const at = (iso: string) => Date.parse(iso);

  it('cuts the month after the last day that has ended in the zone, not in UTC', () => {
    // 2026-11-15 00:30 in Seoul is still 2026-11-14 in UTC: the 14th has ended in Seoul.
    const period = billingPeriod('2026-11', 'Asia/Seoul');
    const mtd = monthToDate(period, at('2026-11-14T15:30:00Z'))!;
    expect(mtd.days.map((d) => d.date).at(-1)).toBe('2026-11-14');
    expect(mtd.days).toHaveLength(14);
    expect(mtd.startMs).toBe(period.startMs);
    expect(mtd.endMs).toBe(at('2026-11-14T15:00:00Z'));
    expect(mtd.hours).toBe(14 * 24);
  });

  it('never includes a day that has not ended, even one millisecond before its end', () => {
    const period = billingPeriod('2026-11', 'Asia/Seoul');
    const end14 = dayOf('2026-11-14', 'Asia/Seoul').endMs;
    expect(monthToDate(period, end14 - 1)!.days.at(-1)!.date).toBe('2026-11-13');
    expect(monthToDate(period, end14)!.days.at(-1)!.date).toBe('2026-11-14');
  });

  it('counts the 25-hour day of a DST change only once it is over (America/New_York, November)', () => {
    const period = billingPeriod('2026-11', 'America/New_York');
    const fallBack = dayOf('2026-11-01', 'America/New_York');
    expect((fallBack.endMs - fallBack.startMs) / H).toBe(25);
    // 24 hours after the month began the day still has an hour to run.
    expect(monthToDate(period, fallBack.startMs + 24 * H)).toBeUndefined();
    const mtd = monthToDate(period, fallBack.endMs)!;
    expect(mtd.days.map((d) => d.date)).toEqual(['2026-11-01']);
    expect(mtd.hours).toBe(25);
  });

  it('ends the day before a jump at midnight where the jumped day starts (America/Havana, March 2026)', () => {
    const period = billingPeriod('2026-03', 'America/Havana');
    const jump = dayOf('2026-03-08', 'America/Havana');
    // The 7th ends at 2026-03-08T05:00Z (00:00 does not exist; the 8th starts at 01:00 new time).
    const mtd = monthToDate(period, jump.startMs)!;
    expect(mtd.days.at(-1)!.date).toBe('2026-03-07');
    expect(mtd.endMs).toBe(at('2026-03-08T05:00:00Z'));
    expect(mtd.hours).toBe(7 * 24);
    // The 23-hour 8th is in only once all of its 23 hours are over.
    expect(monthToDate(period, jump.endMs - 1)!.days).toHaveLength(7);
    const through8 = monthToDate(period, jump.endMs)!;
    expect(through8.days).toHaveLength(8);
    expect(through8.hours).toBe(8 * 24 - 1);
    expect(through8.days.at(-1)!.endMs).toBe(dayOf('2026-03-09', 'America/Havana').startMs);
  });

  it('has no month to date on the first day of the month or before it', () => {
    const period = billingPeriod('2026-11', 'Europe/Berlin');
    expect(monthToDate(period, period.startMs - 1)).toBeUndefined();
    expect(monthToDate(period, period.days[0]!.endMs - 1)).toBeUndefined();
  });

  it('is the whole month once every day has ended', () => {
    const period = billingPeriod('2026-11', 'Europe/Berlin');
    expect(monthToDate(period, period.endMs)).toBe(period);
  });
});
