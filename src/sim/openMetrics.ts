/**
 * Writes a simulation as OpenMetrics text that `promtool tsdb create-blocks-from openmetrics` accepts:
 * `# TYPE <family> gauge` before each family's series, `name{labels} value timestamp_seconds` lines, the
 * samples of one series contiguous and in time order, and `# EOF` at the end of every file.
 *
 * Output is split into one file per UTC day (aligned with Prometheus block boundaries): promtool reads a
 * whole input file into memory and re-parses it once per block it writes, so small files bound memory,
 * and with `--max-block-duration` each day becomes a single block in about two passes.
 */
import { mkdir, open } from 'node:fs/promises';
import { join } from 'node:path';
import { DateTime } from 'luxon';
import type { TimeRange } from '../core/types.ts';
import type { Simulation } from './model.ts';
import { buildSeries, FAMILIES, type SeriesDef } from './series.ts';
import { forEachSampleTime } from './timeline.ts';

const DAY_MS = 86_400_000;

/**
 * Version of what the simulator writes for a scenario. Test and benchmark caches of backfilled TSDBs
 * include it in their keys (test/support/prometheus.ts, bench/lib/backfill.ts), so a change of the written
 * series never runs against stale data: om2 adds kube_node_info (with provider_id, issue #17).
 */
export const OPENMETRICS_VERSION = 'om2';

/** Escapes a label value for the text formats: backslash, double quote and line feed. */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** `name{a="x",b="y"}` with escaped values. */
export function formatSeriesName(family: string, labels: readonly [string, string][]): string {
  if (labels.length === 0) return family;
  return `${family}{${labels.map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(',')}}`;
}

/** Formats a sample value; integers without a decimal point, others in shortest round-trip form. */
export function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(value);
}

/** Epoch ms as OpenMetrics seconds (decimals only when the time is not a whole second). */
export function formatTimestamp(tMs: number): string {
  return tMs % 1000 === 0 ? String(tMs / 1000) : (tMs / 1000).toFixed(3);
}

/**
 * The file ranges a simulation (or several, e.g. the clusters of one platform) is split into: UTC days
 * overlapping the simulated range(s).
 */
export function openMetricsFileRanges(
  sims: Simulation | readonly Simulation[],
): (TimeRange & { name: string })[] {
  const list = asList(sims);
  const startMs = Math.min(...list.map((s) => s.range.startMs));
  const endMs = Math.max(...list.map((s) => s.range.endMs));
  const out: (TimeRange & { name: string })[] = [];
  for (let t = Math.floor(startMs / DAY_MS) * DAY_MS; t < endMs; t += DAY_MS) {
    const name = `metrics-${DateTime.fromMillis(t, { zone: 'UTC' }).toISODate()}.om`;
    out.push({ name, startMs: Math.max(t, startMs), endMs: Math.min(t + DAY_MS, endMs) });
  }
  return out;
}

const asList = (sims: Simulation | readonly Simulation[]): readonly Simulation[] =>
  Array.isArray(sims) ? sims : [sims as Simulation];

/** Writes the text of `series` restricted to [range.startMs, range.endMs) through `write`. */
export async function writeOpenMetricsRange(
  sim: Simulation,
  series: readonly SeriesDef[],
  range: TimeRange,
  write: (chunk: string) => Promise<void>,
): Promise<number> {
  return writeSeriesRange(
    series.map((s) => ({ sim, series: s })),
    range,
    write,
  );
}

/**
 * The series of several simulations (one Prometheus holding several clusters) with their simulation,
 * each family's series of all simulations together: OpenMetrics wants a family contiguous.
 */
function platformSeries(sims: readonly Simulation[]): { sim: Simulation; series: SeriesDef }[] {
  const all = sims.map((sim) => buildSeries(sim).map((series) => ({ sim, series })));
  if (all.length === 1) return all[0]!;
  return FAMILIES.flatMap((family) => all.flatMap((list) => list.filter((e) => e.series.family === family)));
}

async function writeSeriesRange(
  entries: readonly { sim: Simulation; series: SeriesDef }[],
  range: TimeRange,
  write: (chunk: string) => Promise<void>,
): Promise<number> {
  let buffer: string[] = [];
  let buffered = 0;
  let samples = 0;
  let family = '';
  const flush = async () => {
    if (buffer.length === 0) return;
    const chunk = buffer.join('');
    buffer = [];
    buffered = 0;
    await write(chunk);
  };
  for (const { sim, series: s } of entries) {
    let prefix: string | null = null;
    for (const seg of s.segments) {
      if (seg.endMs <= range.startMs || seg.startMs >= range.endMs) continue;
      if (prefix === null) {
        if (s.family !== family) {
          family = s.family;
          buffer.push(`# TYPE ${family} gauge\n`);
        }
        prefix = `${formatSeriesName(s.family, s.labels)} `;
      }
      const p = prefix;
      const value = seg.value;
      if (typeof value === 'number') {
        const v = `${p}${formatValue(value)} `;
        forEachSampleTime(
          sim,
          s.schedule,
          Math.max(seg.startMs, range.startMs),
          Math.min(seg.endMs, range.endMs),
          (t) => {
            buffer.push(`${v}${formatTimestamp(t)}\n`);
            samples++;
          },
        );
      } else {
        forEachSampleTime(
          sim,
          s.schedule,
          Math.max(seg.startMs, range.startMs),
          Math.min(seg.endMs, range.endMs),
          (t) => {
            buffer.push(`${p}${formatValue(value(t))} ${formatTimestamp(t)}\n`);
            samples++;
          },
        );
      }
      buffered = buffer.length;
      if (buffered > 20_000) await flush();
    }
  }
  buffer.push('# EOF\n');
  await flush();
  return samples;
}

/**
 * Writes the simulation — or several, e.g. the clusters of one platform (give each a `cluster`) — into
 * `dir` as one OpenMetrics file per UTC day (see the module comment) and returns the paths written, in
 * time order.
 */
export async function writeOpenMetrics(
  sims: Simulation | readonly Simulation[],
  dir: string,
): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const entries = platformSeries(asList(sims));
  const paths: string[] = [];
  for (const range of openMetricsFileRanges(sims)) {
    const path = join(dir, range.name);
    const file = await open(path, 'w');
    try {
      await writeSeriesRange(entries, range, async (chunk) => {
        await file.write(chunk);
      });
    } finally {
      await file.close();
    }
    paths.push(path);
  }
  return paths;
}
