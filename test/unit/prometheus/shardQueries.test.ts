import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createQueries,
  loadQueryTemplates,
  seriesIdentityOf,
} from '../../../src/adapters/prometheus/index.ts';
import { askShard, unknownTupleMatchers } from '../../../src/adapters/prometheus/shardQueries.ts';
import { parseConfig } from '../../../src/config/loadConfig.ts';
import { shardOfNode } from '../../../src/core/metering/index.ts';
import { type Call, fakeClient, type fakeFetch, ok } from './fakes.ts';

const T0 = Date.UTC(2026, 9, 1);
const STEP = 60_000;
const GRID = { startMs: T0, endMs: T0 + 60 * STEP, stepMs: STEP };
const templates = loadQueryTemplates(new URL('../../../queries/', import.meta.url).pathname);
/** Both DCGM families, as a shard's raw reads of their pod series name them (utilization_raw_*.promql). */
const DCGM = 'DCGM_FI_PROF_GR_ENGINE_ACTIVE|DCGM_FI_DEV_GPU_UTIL';
/** The raw read of running.promql's phase and GPU requests (running_pods_raw.promql). */
const PODS = '{__name__=~"kube_pod_status_phase|kube_pod_container_resource_requests|';

/**
 * Shard 0 of 2 (gpu-b, gpu-d; gpu-a is shard 1's): pod u1 requests a GPU on gpu-b, pod u2 holds one through
 * a DRA claim on gpu-d, pod u3 (a claim too) is bound to gpu-a.
 */
function answer(call: Call) {
  const q = call.params.query ?? '';
  const vector = (rows: Record<string, string>[]) =>
    ok(
      rows.map((metric) => ({ metric, value: [GRID.endMs / 1000, '1'] })),
      'vector',
    );
  if (call.url.endsWith('/api/v1/series') && call.params['match[]']?.includes('DCGM'))
    return {
      body: {
        status: 'success',
        data: ['p2', 'p9'].map((pod) => ({
          __name__: 'DCGM_FI_DEV_GPU_UTIL',
          exported_namespace: 'ml',
          exported_pod: pod,
        })),
      },
    };
  if (call.url.endsWith('/api/v1/series'))
    return {
      body: {
        status: 'success',
        data: ['gpu-a', 'gpu-b', 'gpu-d'].map((node) => ({
          __name__: 'kube_node_info',
          node,
          instance: 'ksm',
        })),
      },
    };
  if (q.startsWith('max by') && q.includes('kube_pod_container_resource_requests'))
    return vector(
      q.includes('gpu-b') ? [{ namespace: 'ml', pod: 'p1', uid: 'u1', resource: 'nvidia_com_gpu' }] : [],
    );
  if (q.includes('count_over_time(kube_pod_resourceclaim_info'))
    return vector([{ uid: 'u2' }, { uid: 'u3' }]);
  // pod_nodes_labels.promql: both families, told apart by name.
  if (q.includes('last_over_time({__name__=~"kube_pod_info|kube_pod_labels"'))
    return vector([
      { __name__: 'kube_pod_info', namespace: 'ml', pod: 'p1', uid: 'u1', node: 'gpu-b' },
      { __name__: 'kube_pod_info', namespace: 'ml', pod: 'p2', uid: 'u2', node: 'gpu-d' },
      { __name__: 'kube_pod_info', namespace: 'ml', pod: 'p3', uid: 'u3', node: 'gpu-a' },
      { __name__: 'kube_pod_labels', namespace: 'ml', pod: 'p1', uid: 'u1', label_team: 'a' },
      { __name__: 'kube_pod_labels', namespace: 'ml', pod: 'p3', uid: 'u3', label_team: 'c' },
    ]);
  return ok([], call.params.step ? 'matrix' : q.includes('[') && !q.includes('(') ? 'matrix' : 'vector');
}

function shardQueries(respond: Parameters<typeof fakeFetch>[0]) {
  const { client, calls } = fakeClient(respond);
  const config = parseConfig({ source: { kind: 'prometheus', url: 'http://prom.local' } });
  const identity = seriesIdentityOf(config.source);
  const queries = createQueries(client, templates, identity, undefined, 'adapter');
  const ask = () => askShard(queries, GRID, config.metering, { index: 0, count: 2 }, identity);
  const raw = (metric: string) =>
    calls.map((c) => c.params.query ?? '').filter((q) => q.startsWith(metric) && q.endsWith('ms]'));
  return { ask, raw, calls };
}

describe('askShard', () => {
  it('reads the exported_pod branch of DCGM only for its pods an exported series names', async () => {
    const { ask, raw } = shardQueries(answer);
    await ask();
    const exported = raw(`{__name__=~"${DCGM}", exported_pod!=""`);
    const direct = raw(`{__name__=~"${DCGM}", exported_pod="", pod!=""`);
    expect(exported.length).toBeGreaterThan(0);
    for (const q of exported) expect(q).toContain('exported_pod=~"p2"}');
    expect(direct.length).toBeGreaterThan(0);
    for (const q of direct) expect(q).toContain('pod=~"p1|p2"}');
  });

  it('reads the exported_pod branch for every pod when the series endpoint refuses the DCGM index', async () => {
    const { ask, raw } = shardQueries((call) =>
      call.params['match[]']?.includes('DCGM')
        ? { status: 422, body: { status: 'error', errorType: 'execution', error: 'limit' } }
        : answer(call),
    );
    await ask();
    const exported = raw(`{__name__=~"${DCGM}", exported_pod!=""`);
    expect(exported.length).toBeGreaterThan(0);
    for (const q of exported) expect(q).toContain('exported_pod=~"p1|p2"}');
  });

  it('asks where its candidates are bound and their labels in one request, and keeps its own pods', async () => {
    const { ask, calls } = shardQueries(answer);
    const { answers } = await ask();
    const asked = calls.map((c) => c.params.query ?? '');
    const both = asked.filter((q) => q.includes('{__name__=~"kube_pod_info|kube_pod_labels"'));
    expect(both).toHaveLength(1);
    expect(both[0]).toContain('uid=~"u1|u2|u3"');
    expect(asked.filter((q) => /kube_pod_(info|labels)\{/.test(q))).toEqual([]);
    // u3 is bound to gpu-a, shard 1's node: neither its binding nor its labels are this shard's.
    expect(answers.podNodes.map((s) => s.metric.uid)).toEqual(['u1', 'u2']);
    expect(answers.podLabels.map((s) => [s.metric.uid, s.metric.label_team])).toEqual([['u1', 'a']]);
    expect(answers.podLabels[0]!.metric).not.toHaveProperty('__name__');
  });

  it('reads raw DRA claim samples only of its pods that pod_claims names', async () => {
    expect(['gpu-a', 'gpu-b', 'gpu-d'].map((n) => shardOfNode(n, 2))).toEqual([1, 0, 0]);
    const { ask, raw } = shardQueries(answer);
    const { warnings } = await ask();
    expect(warnings).toEqual([]);
    // Both of the shard's pods are read for their phase; only u2 for its claim (u3 is shard 1's).
    expect(raw(PODS).length).toBeGreaterThan(0);
    for (const q of raw(PODS)) expect(q).toContain('uid=~"u1|u2"');
    expect(raw('kube_pod_resourceclaim_info').length).toBeGreaterThan(0);
    for (const q of raw('kube_pod_resourceclaim_info')) expect(q).toContain('uid=~"u2"}');
  });

  it('sends each regex of its pods once a span: both DCGM families in one read, phase and requests in one', async () => {
    const { ask, calls } = shardQueries(answer);
    await ask();
    // The 60-step grid is one span: every raw read is one request.
    const rawReads = calls.map((c) => c.params.query ?? '').filter((q) => q.endsWith('ms]'));
    const withRegex = (matcher: string) => rawReads.filter((q) => q.includes(matcher));
    // The pod branch of both families (DCGM series name pods), and the exported_pod branch of both.
    expect(withRegex('pod=~"p1|p2"}')).toEqual([
      expect.stringMatching(
        /^\{__name__=~"DCGM_FI_PROF_GR_ENGINE_ACTIVE\|DCGM_FI_DEV_GPU_UTIL", exported_pod="", pod!=""/,
      ),
    ]);
    expect(withRegex('exported_pod=~"p2"}')).toHaveLength(1);
    // Phase and GPU requests of the shard's pods (running), in one request.
    expect(withRegex('uid=~"u1|u2"}')).toEqual([
      expect.stringMatching(/^\{__name__=~"kube_pod_status_phase\|/),
    ]);
  });
});

/**
 * Whether the matchers of one term (`, l="v"` and `, l!~"regex"`, as PromQL reads them: string escapes,
 * then a fully anchored regex) select a series whose labels are `values` ("" for an absent label).
 */
function selects(term: string, labels: readonly string[], values: readonly string[]): boolean {
  const unquote = (text: string) => text.replace(/\\(.)/g, (_m, c: string) => (c === 'n' ? '\n' : c));
  const matchers = [...term.matchAll(/, (\w+)(=|!~)"((?:[^"\\]|\\.)*)"/g)];
  expect(matchers.map((m) => m[0]).join('')).toBe(term);
  return matchers.every(([, label, op, text]) => {
    const value = values[labels.indexOf(label!)] ?? '';
    return op === '=' ? value === unquote(text!) : !new RegExp(`^(?:${unquote(text!)})$`).test(value);
  });
}

describe('unknownTupleMatchers', () => {
  const labels = ['cluster', 'replica', 'instance'];
  const alphabet = ['', 'a', 'b', 'x"|.\\y'];
  const every = alphabet.flatMap((c) => alphabet.flatMap((r) => alphabet.map((i) => [c, r, i])));

  it('selects each series of an unknown replica by exactly one term, and none of a known one', () => {
    fc.assert(
      fc.property(fc.subarray(every, { minLength: 0, maxLength: 12 }), (known) => {
        const terms = unknownTupleMatchers(labels, known);
        const isKnown = new Set(known.map((t) => JSON.stringify(t)));
        for (const tuple of every) {
          const count = terms.filter((term) => selects(term, labels, tuple)).length;
          expect(count, JSON.stringify({ tuple, known })).toBe(isKnown.has(JSON.stringify(tuple)) ? 0 : 1);
        }
      }),
      { numRuns: 150 },
    );
  });

  it('finds the replica whose every value another one shows, which a label at a time misses', () => {
    // Replicas a and b of an HA pair scrape kube-state-metrics on x and y; (a, y) is not listed.
    const known = [
      ['', 'a', 'x'],
      ['', 'b', 'x'],
      ['', 'b', 'y'],
    ];
    const terms = unknownTupleMatchers(labels, known);
    expect(terms).toEqual([
      ', cluster!~""',
      ', cluster="", replica!~"a|b"',
      ', cluster="", replica="a", instance!~"x"',
      ', cluster="", replica="b", instance!~"x|y"',
    ]);
    expect(terms.filter((term) => selects(term, labels, ['', 'a', 'y']))).toEqual([
      ', cluster="", replica="a", instance!~"x"',
    ]);
  });

  it('selects every series when nothing is listed', () => {
    expect(unknownTupleMatchers(labels, [])).toEqual(['']);
  });
});
