import { describe, expect, it } from 'vitest';
import {
  createQueries,
  loadQueryTemplates,
  PrometheusClient,
  seriesIdentityOf,
} from '../../../src/adapters/prometheus/index.ts';
import { spanSteps } from '../../../src/adapters/prometheus/queries.ts';
import { fakeFetch, ok, recordingLogger } from './fakes.ts';

const T0 = 1_772_982_000_000;
const STEP = 60_000;
const templates = loadQueryTemplates(new URL('../../../queries/', import.meta.url).pathname);

function queries() {
  const { fetch, calls } = fakeFetch(() => ok([]));
  const client = new PrometheusClient({
    url: 'http://prom.local',
    fetch,
    authorize: async () => ({}),
    headers: {},
    timeoutMs: 1000,
    maxRetries: 0,
    logger: recordingLogger(),
  });
  return { queries: createQueries(client, templates, seriesIdentityOf({ dedupeLabels: [] }), undefined, 'adapter'), calls };
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
    // phase, requests, claims: one request each, over the whole grid.
    expect(calls).toHaveLength(3);
    expect(calls.map((c) => c.params.time)).toEqual(Array(3).fill(String(over.endMs / 1000)));
    expect(calls.every((c) => c.params.query?.endsWith(`[${380 * STEP - 1}ms]`))).toBe(true);
  });
});
