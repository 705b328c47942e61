import { describe, expect, it } from 'vitest';
import {
  createQueries,
  loadQueryTemplates,
  seriesIdentityOf,
} from '../../../src/adapters/prometheus/index.ts';
import { spanSteps } from '../../../src/adapters/prometheus/queries.ts';
import { fakeClient, type fakeFetch, ok } from './fakes.ts';

const T0 = 1_772_982_000_000;
const STEP = 60_000;
const templates = loadQueryTemplates(new URL('../../../queries/', import.meta.url).pathname);
/** The raw read of running.promql's phase and GPU requests (running_pods_raw.promql). */
const PODS = '{__name__=~"kube_pod_status_phase|';

function queries(respond: Parameters<typeof fakeFetch>[0] = () => ok([])) {
  const { client, calls } = fakeClient(respond);
  return {
    queries: createQueries(client, templates, seriesIdentityOf({ dedupeLabels: [] }), undefined, 'adapter'),
    calls,
  };
}

describe('raw spans', () => {
  it('reads a tail of at most a fifth of a span with it', () => {
    expect(spanSteps(360, 1560)).toBe(360);
    expect(spanSteps(1199, 1200)).toBe(1200);
    expect(spanSteps(1034, 1080)).toBe(1080);
    expect(spanSteps(931, 1080)).toBe(1080);
    expect(spanSteps(500, 601)).toBe(500);
    expect(spanSteps(500, 400)).toBe(400);
  });

  it('reads 380 steps in one span per raw query, not 360 and then 20', async () => {
    const { queries: q, calls } = queries();
    const over = { startMs: T0 + STEP, endMs: T0 + 380 * STEP, stepMs: STEP };
    await q.runningFromRaw(over, STEP - 1);
    // A whole day: the GPU requests (running_pods_raw without phase) and the claims, one request each
    // over the whole grid; they name no pod, so no phase is read (running_phase_raw).
    expect(calls).toHaveLength(2);
    expect(calls.map((c) => c.params.time)).toEqual(Array(2).fill(String(over.endMs / 1000)));
    expect(calls.every((c) => c.params.query?.endsWith(`[${380 * STEP - 1}ms]`))).toBe(true);
  });

  it("sizes a shard's spans to twice a whole day's raw samples (fewer requests with its pods' regex)", async () => {
    // 120,000 raw samples in the first 360 steps: a whole day reads 360, then 3,000, then the 1,000 left;
    // a shard reads 720 (twice a whole day's first span), then the 3,640 left (its next would be 12,000).
    const first = ok(
      Array.from({ length: 120 }, (_, i) => ({
        metric: { __name__: 'kube_pod_status_phase', uid: `u${i}`, phase: 'Running' },
        values: Array.from({ length: 1000 }, (_, k) => [(T0 + (k + 1) * 21_600) / 1000, '1']),
      })),
    );
    const over = { startMs: T0 + STEP, endMs: T0 + 4360 * STEP, stepMs: STEP };
    const phaseReads = async (shard: { uids?: string }) => {
      let phase = 0;
      const { queries: q, calls } = queries((call) =>
        call.params.query?.startsWith(PODS) && phase++ === 0 ? first : ok([]),
      );
      await q.runningFromRaw(over, STEP - 1, shard);
      return calls
        .filter((c) => c.params.query?.startsWith(PODS))
        .map((c) => (Number(/\[(\d+)ms\]$/.exec(c.params.query!)![1]!) + 1) / STEP);
    };
    expect(await phaseReads({})).toEqual([360, 3000, 1000]);
    expect(await phaseReads({ uids: ', uid=~"u1|u2"' })).toEqual([720, 3640]);
  });

  it('sizes the spans of DCGM reads by their raw samples, though it keeps only their means', async () => {
    // As above, 120,000 raw samples in the first 360 steps (2.8 a step and series; one mean a step).
    const first = ok(
      Array.from({ length: 120 }, (_, i) => ({
        metric: { __name__: 'DCGM_FI_DEV_GPU_UTIL', UUID: `g${i}`, pod: `p${i}` },
        values: Array.from({ length: 1000 }, (_, k) => [(T0 + (k + 1) * 21_600) / 1000, '50']),
      })),
    );
    const over = { startMs: T0 + STEP, endMs: T0 + 4360 * STEP, stepMs: STEP };
    let pod = 0;
    const isPod = (query = '') => query.includes('exported_pod="", pod!=""');
    const { queries: q, calls } = queries((call) =>
      isPod(call.params.query) && pod++ === 0 ? first : ok([]),
    );
    const util = await q.utilizationFromRaw('utilization_util', over, STEP - 1);
    expect(
      calls
        .filter((c) => isPod(c.params.query))
        .map((c) => (Number(/\[(\d+)ms\]$/.exec(c.params.query!)![1]!) + 1) / STEP),
    ).toEqual([360, 3000, 1000]);
    // What is kept: one mean a step of each series, 0.5.
    expect(util).toHaveLength(120);
    expect(util[0]!.metric).toEqual({ UUID: 'g0', pod: 'p0' });
    expect(util[0]!.points.length).toBe(360);
    expect(new Set(util.flatMap((s) => s.points.map(([, v]) => v)))).toEqual(new Set([0.5]));
  });
});
