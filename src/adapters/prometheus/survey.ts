import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TimeRange } from '../../core/types.ts';
import type { PrometheusClient } from './client.ts';
import { durationMs, fillQuery, literalAlternation } from './promql.ts';

/**
 * Which windows (days with their bridging margins) hold any sample the queries read, for all of them in
 * one or two requests, so that a month's days without samples are metered without asking each of them
 * every query. Exact in the one direction that matters: a window is called empty only when Prometheus
 * counts no raw sample of any metric family a query template reads (with the source's selector) in it.
 */

/** How far back from the middle of each window the first request looks: 10 minutes of samples. */
const PROBE_MS = 600_000;

/** The label the survey puts on each window's answer: the window's index. */
const WINDOW_LABEL = 'gpu_chargeback_window';

/**
 * Every metric family the query templates read, sorted: the names written before a selector's braces
 * (`kube_pod_info{`) and the values of `__name__` matchers (`{__name__=~"a|b"`). Placeholders
 * (`__name__="{{metric}}"`, utilization_counts: one of the utilization families) are skipped.
 */
export function metricNamesRead(templates: Readonly<Record<string, string>>): string[] {
  const names = new Set<string>();
  for (const text of Object.values(templates)) {
    for (const m of text.matchAll(/([A-Za-z_:][A-Za-z0-9_:]*)\{(?!\{)/g)) names.add(m[1]!);
    for (const m of text.matchAll(/__name__\s*=~?\s*"([^"]*)"/g)) {
      if (m[1]!.includes('{{')) continue;
      for (const name of m[1]!.split('|')) names.add(name);
    }
  }
  return [...names].sort();
}

/** queries/survey_window.promql from the queries directory `dir`, without its `#` comment lines. */
export function loadSurveyTemplate(dir: string): string {
  return readFileSync(join(dir, 'survey_window.promql'), 'utf8')
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('#'))
    .join('\n')
    .trim();
}

/** One instant query: survey_window.promql for each window (`rangeMs` before `atMs`), joined with `or`. */
function windowsQuery(
  template: string,
  params: { names: string; match: string },
  reads: readonly { index: number; atMs: number; rangeMs: number }[],
): string {
  return reads
    .map(({ index, atMs, rangeMs }) =>
      fillQuery(template, {
        ...params,
        range: durationMs(rangeMs),
        at: (atMs / 1000).toFixed(3),
        index: String(index),
      }),
    )
    .join(' or ');
}

/** The windows' indexes that the answer says have series with samples. */
function indexesWithSamples(series: Awaited<ReturnType<PrometheusClient['queryInstant']>>): Set<number> {
  const out = new Set<number>();
  for (const s of series) {
    const index = Number(s.metric[WINDOW_LABEL]);
    if (Number.isInteger(index) && s.points.length > 0 && s.points.vAt(0) > 0) out.add(index);
  }
  return out;
}

/**
 * For each window [startMs, endMs], whether it holds any raw sample of `names` (with `match`, the
 * source's extra matchers). First one request counts the last 10 minutes before each window's middle
 * (a day with samples is almost always proven there, for about 1 % of its samples); then one request
 * looks at the rest's whole windows (a window found empty costs Prometheus nothing but its index). The
 * range `[end − (end − start + 1 ms), end]` holds every sample of [start, end] under both Prometheus
 * 2's closed and Prometheus 3's left-open range selection.
 */
export async function surveySamples(
  client: Pick<PrometheusClient, 'queryInstant'>,
  template: string,
  names: readonly string[],
  match: string,
  windows: readonly TimeRange[],
): Promise<boolean[]> {
  const found = new Array<boolean>(windows.length).fill(false);
  if (windows.length === 0) return found;
  const params = { names: literalAlternation(names), match };
  const lastEnd = Math.max(...windows.map((w) => w.endMs));
  const probes = windows.flatMap((w, index) => {
    const middle = Math.floor((w.startMs + w.endMs) / 2);
    return middle - PROBE_MS >= w.startMs ? [{ index, atMs: middle, rangeMs: PROBE_MS }] : [];
  });
  if (probes.length > 0) {
    for (const i of indexesWithSamples(
      await client.queryInstant('survey_probe', windowsQuery(template, params, probes), lastEnd),
    ))
      found[i] = true;
  }
  const rest = windows.flatMap((w, index) =>
    found[index] ? [] : [{ index, atMs: w.endMs, rangeMs: w.endMs - w.startMs + 1 }],
  );
  if (rest.length > 0) {
    for (const i of indexesWithSamples(
      await client.queryInstant('survey_windows', windowsQuery(template, params, rest), lastEnd),
    ))
      found[i] = true;
  }
  return found;
}
