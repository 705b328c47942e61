import { describe, expect, it } from 'vitest';
import { createPrometheusSource } from '../../../src/adapters/prometheus/index.ts';
import { DEFAULT_QUERIES_DIR, loadQueryTemplates } from '../../../src/adapters/prometheus/queries.ts';
import {
  loadSurveyTemplate,
  metricNamesRead,
  surveySamples,
} from '../../../src/adapters/prometheus/survey.ts';
import { parseConfig } from '../../../src/config/loadConfig.ts';
import { type Call, fakeFetch, ok, recordingLogger } from './fakes.ts';

const H = 3_600_000;
const T0 = Date.parse('2026-10-01T00:00:00Z');
/** Four day windows with one hour of margin on each side. */
const windows = [0, 1, 2, 3].map((d) => ({ startMs: T0 + d * 24 * H - H, endMs: T0 + (d + 1) * 24 * H + H }));

/** The window indexes one survey request asks about, with the `@` instant and range of each. */
function asked(query: string): { index: number; at: number; range: string }[] {
  return [...query.matchAll(/\[(\d+ms)\] @ ([\d.]+)\)\),\s*"gpu_chargeback_window", "(\d+)"/g)].map((m) => ({
    index: Number(m[3]),
    at: Number(m[2]) * 1000,
    range: m[1]!,
  }));
}

/** A vector answer naming the windows that have samples. */
const windowsWithSamples = (indexes: number[]) =>
  ok(
    indexes.map((i) => ({ metric: { gpu_chargeback_window: String(i) }, value: [T0 / 1000, '3'] })),
    'vector',
  );

function clientAnswering(respond: (call: Call, index: number) => ReturnType<typeof ok>) {
  const config = parseConfig({ source: { url: 'http://prom.local', selector: 'cluster="a"' } });
  const { fetch, calls } = fakeFetch(respond);
  return { src: createPrometheusSource({ config, logger: recordingLogger(), fetch }), calls };
}

describe('metricNamesRead', () => {
  it('names every metric family the query templates read', () => {
    expect(metricNamesRead(loadQueryTemplates(DEFAULT_QUERIES_DIR))).toEqual([
      'DCGM_FI_DEV_FB_USED',
      'DCGM_FI_DEV_GPU_UTIL',
      'DCGM_FI_PROF_GR_ENGINE_ACTIVE',
      'kube_namespace_labels',
      'kube_node_info',
      'kube_node_labels',
      'kube_node_status_capacity',
      'kube_pod_container_resource_requests',
      'kube_pod_info',
      'kube_pod_init_container_info',
      'kube_pod_init_container_resource_requests',
      'kube_pod_labels',
      'kube_pod_resourceclaim_info',
      'kube_pod_status_phase',
      'kube_resourcequota',
    ]);
  });

  it('reads names before braces and in __name__ matchers, not placeholders', () => {
    expect(
      metricNamesRead({
        a: 'max by ({{cluster}}node) (last_over_time(foo_bar{x="1"{{match}}}[{{window}}]))',
        b: '{__name__=~"one|two", y!=""}[5m] or {__name__="{{metric}}"}',
      }),
    ).toEqual(['foo_bar', 'one', 'two']);
  });
});

/** Answers a survey request: the window it asks about has samples when `has(index, range)` says so. */
function surveyAnswer(has: (index: number, range: string) => boolean) {
  return (call: Call) => {
    const reads = asked(call.params.query!);
    return windowsWithSamples(reads.filter((r) => has(r.index, r.range)).map((r) => r.index));
  };
}

describe('surveySamples', () => {
  it('proves days with samples near their middle, kube_node_info first, one request per window, and counts the others whole', async () => {
    // Window 0 has kube_node_info samples at its middle; window 2 only DCGM samples there; window 3 has
    // samples, but none in the 10 minutes before its middle; window 1 has none.
    const { fetch, calls } = fakeFetch((call) => {
      const onlyNodes = call.params.query!.includes('{__name__=~"kube_node_info"}');
      return surveyAnswer(
        (index, range) =>
          index === 0 || (index === 2 && !onlyNodes) || (index === 3 && range !== '600000ms' && !onlyNodes),
      )(call);
    });
    const config = parseConfig({ source: { url: 'http://prom.local' } });
    const src = createPrometheusSource({ config, logger: recordingLogger(), fetch });

    const found = await src.surveyWindows!(windows);

    expect(found).toEqual([true, false, true, true]);
    // Each request asks about one window only, at that window's instant: Prometheus 2 opens its querier
    // over the range of all of a query's selectors, so windows joined in one request walk the month's
    // blocks once per window.
    const reads = calls.map((c) => asked(c.params.query!));
    expect(reads.map((r) => r.length)).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 1]);
    calls.forEach((c, i) => expect(Number(c.params.time) * 1000).toBe(reads[i]![0]!.at));
    const first = reads.slice(0, 4).map((r) => r[0]!);
    expect(first.map((p) => p.index).sort()).toEqual([0, 1, 2, 3]);
    // The last 10 minutes before each window's middle (noon of the day), of kube_node_info alone.
    expect(first.find((p) => p.index === 1)).toEqual({ index: 1, at: T0 + 36 * H, range: '600000ms' });
    for (const c of calls.slice(0, 4))
      expect(c.params.query).toContain('{__name__=~"kube_node_info"}[600000ms]');
    // Then the same 10 minutes of every family, for the windows kube_node_info did not prove.
    const again = reads.slice(4, 7).map((r) => r[0]!);
    expect(again.map((p) => p.index).sort()).toEqual([1, 2, 3]);
    for (const p of again) expect(p.range).toBe('600000ms');
    for (const c of calls.slice(4, 7)) {
      expect(c.params.query).toContain('kube_pod_status_phase|');
      expect(c.params.query).toContain('DCGM_FI_PROF_GR_ENGINE_ACTIVE');
    }
    // Then only the unproven windows, each over all of it: [end − (length + 1 ms), end].
    expect(
      reads
        .slice(7)
        .map((r) => r[0]!)
        .sort((a, b) => a.index - b.index),
    ).toEqual([
      { index: 1, at: windows[1]!.endMs, range: `${26 * H + 1}ms` },
      { index: 3, at: windows[3]!.endMs, range: `${26 * H + 1}ms` },
    ]);
    expect(calls[7]!.params.query).toContain('kube_pod_status_phase|');
    expect(calls[7]!.params.query).toContain('DCGM_FI_PROF_GR_ENGINE_ACTIVE');
  });

  it('asks once per window when every window is proven by its probe', async () => {
    const { calls, src } = clientAnswering(surveyAnswer(() => true));
    expect(await src.surveyWindows!(windows)).toEqual([true, true, true, true]);
    expect(calls).toHaveLength(4);
    expect(calls[0]!.params.query).toContain(', cluster="a"}');
  });

  it('trusts an answer only for the window it asked about', async () => {
    // A backend that answers every request with every window's label proves only the one asked.
    const { src } = clientAnswering((call) =>
      asked(call.params.query!)[0]!.index === 2 ? windowsWithSamples([0, 1, 2, 3]) : windowsWithSamples([]),
    );
    expect(await src.surveyWindows!(windows)).toEqual([false, false, true, false]);
  });

  it('counts a window too short to probe whole, and asks nothing for no window', async () => {
    const client = { queryInstant: async () => [] };
    let queries = 0;
    const counting = {
      queryInstant: async (...args: Parameters<typeof client.queryInstant>) => {
        queries++;
        return client.queryInstant(...args);
      },
    };
    expect(await surveySamples(counting, loadSurveyTemplate(DEFAULT_QUERIES_DIR), ['up'], '', [])).toEqual(
      [],
    );
    expect(queries).toBe(0);
    expect(
      await surveySamples(counting, loadSurveyTemplate(DEFAULT_QUERIES_DIR), ['up'], '', [
        { startMs: T0, endMs: T0 + 60_000 },
      ]),
    ).toEqual([false]);
    expect(queries).toBe(1);
  });
});

describe('a Prometheus source after a survey', () => {
  const day = { startMs: windows[1]!.startMs + H, endMs: windows[1]!.endMs - H };
  const grid = { startMs: windows[1]!.startMs, endMs: windows[1]!.endMs, stepMs: 60_000, focus: day };
  const scrape = { kubeStateMetricsSeconds: 60, dcgmSeconds: 30, source: 'config' as const };

  it('meters a window without samples without asking, exactly as asking every query would', async () => {
    const surveyed = clientAnswering((call) =>
      asked(call.params.query ?? '').length > 0 ? surveyAnswer((i) => i !== 1)(call) : ok([]),
    );
    const asking = clientAnswering(() => ok([]));
    await surveyed.src.surveyWindows!(windows);
    const before = surveyed.calls.length;

    const skipped = await surveyed.src.observe(grid, scrape);
    const full = await asking.src.observe(grid, scrape);

    expect(surveyed.calls.length).toBe(before);
    expect(asking.calls.length).toBeGreaterThan(10);
    expect(JSON.stringify(skipped)).toBe(JSON.stringify(full));
    expect(await surveyed.src.detectScrapeInterval('kubeStateMetrics', day)).toBeNull();
    expect(await surveyed.src.detectScrapeInterval('dcgm', day)).toBeNull();
    expect(await surveyed.src.measureFleet!(day)).toEqual({ gpuUnits: 0 });
    expect(surveyed.calls.length).toBe(before);
  });

  it('still asks about windows with samples, and about windows reaching past a surveyed one', async () => {
    const surveyed = clientAnswering((call) =>
      asked(call.params.query ?? '').length > 0 ? surveyAnswer((i) => i !== 1)(call) : ok([]),
    );
    await surveyed.src.surveyWindows!(windows);
    const before = surveyed.calls.length;

    await surveyed.src.observe({ ...grid, startMs: windows[2]!.startMs, endMs: windows[2]!.endMs }, scrape);
    const afterOther = surveyed.calls.length;
    await surveyed.src.observe({ ...grid, endMs: grid.endMs + 60_000 }, scrape);

    expect(afterOther).toBeGreaterThan(before + 10);
    expect(surveyed.calls.length).toBeGreaterThan(afterOther + 10);
  });
});
