import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { mapLimit } from '../../concurrency.ts';
import type { TimeRange } from '../../core/types.ts';
import type { PrometheusClient } from './client.ts';
import { durationMs, fillQuery, literalAlternation } from './promql.ts';

/**
 * Which windows (days with their bridging margins) hold any sample the queries read, in one cheap
 * request per window (two for a window its probe does not prove), so that a month's days without
 * samples are metered without asking each of them every query. Exact in the one direction that matters:
 * a window is called empty only when Prometheus counts no raw sample of any metric family a query
 * template reads (with the source's selector) in it.
 */

/** How far back from the middle of each window the first request looks: 10 minutes of samples. */
const PROBE_MS = 600_000;

/**
 * The family a window's first probe asks alone: kube-state-metrics writes kube_node_info for every node at
 * every scrape (internal/store/node.go), so it proves nearly every day with samples while reading the
 * fewest series of any family — one a node and replica. Measured on the 24-GPU month (Prometheus 2.42):
 * 1.2 ms of Prometheus CPU a window against 8.6 ms for every family's 394 series (docs/performance.md,
 * "Session 16"). A window it does not prove is probed again with every family.
 */
const FIRST_PROBE_FAMILY = 'kube_node_info';

/** The label the survey puts on each window's answer: the window's index. */
const WINDOW_LABEL = 'gpu_chargeback_window';

/**
 * Survey requests in flight at once. Each window is its own request: Prometheus 2 opens one querier
 * over the time range of all of a query's selectors, so the 31 windows of a month joined with `or` into
 * one request made it walk every block of the month once per window (10.5 s of its CPU for a 24-GPU
 * month of 6-hour blocks, where the 31 single-window requests take milliseconds each).
 */
const SURVEY_CONCURRENCY = 4;

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

/** One instant query: survey_window.promql for one window (`rangeMs` before `atMs`). */
function windowQuery(
  template: string,
  params: { names: string; match: string },
  read: { index: number; atMs: number; rangeMs: number },
): string {
  return fillQuery(template, {
    ...params,
    range: durationMs(read.rangeMs),
    at: (read.atMs / 1000).toFixed(3),
    index: String(read.index),
  });
}

/** Asks each read (one window each, at most SURVEY_CONCURRENCY at once) and marks the windows found. */
async function markWindowsWithSamples(
  client: Pick<PrometheusClient, 'queryInstant'>,
  name: string,
  template: string,
  params: { names: string; match: string },
  reads: readonly { index: number; atMs: number; rangeMs: number }[],
  found: boolean[],
): Promise<void> {
  await mapLimit(reads, SURVEY_CONCURRENCY, async (read) => {
    const answer = await client.queryInstant(name, windowQuery(template, params, read), read.atMs);
    for (const i of indexesWithSamples(answer)) if (i === read.index) found[i] = true;
  });
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
 * source's extra matchers). First one request per window counts the last 10 minutes before its middle
 * (a day with samples is almost always proven there, for about 1 % of its samples): of kube_node_info
 * alone when `names` has it (FIRST_PROBE_FAMILY), then, for the windows that did not prove, of every
 * family; then one request per window still not proven looks at all of it (a window found empty costs
 * Prometheus nothing but its index). Any sample of one family proves a window; only the last request
 * can call it empty. The range `[end − (end − start + 1 ms), end]` holds every sample of [start, end]
 * under both Prometheus 2's closed and Prometheus 3's left-open range selection.
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
  const probes = windows.flatMap((w, index) => {
    const middle = Math.floor((w.startMs + w.endMs) / 2);
    return middle - PROBE_MS >= w.startMs ? [{ index, atMs: middle, rangeMs: PROBE_MS }] : [];
  });
  if (names.length > 1 && names.includes(FIRST_PROBE_FAMILY)) {
    const first = { names: literalAlternation([FIRST_PROBE_FAMILY]), match };
    await markWindowsWithSamples(client, 'survey_probe_nodes', template, first, probes, found);
  }
  const unproven = probes.filter((p) => !found[p.index]);
  await markWindowsWithSamples(client, 'survey_probe', template, params, unproven, found);
  const rest = windows.flatMap((w, index) =>
    found[index] ? [] : [{ index, atMs: w.endMs, rangeMs: w.endMs - w.startMs + 1 }],
  );
  await markWindowsWithSamples(client, 'survey_windows', template, params, rest, found);
  return found;
}
