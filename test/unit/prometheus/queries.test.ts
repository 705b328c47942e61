import { describe, expect, it } from 'vitest';
import {
  askScrapeInterval,
  askWindow,
  createQueries,
  loadQueryTemplates,
  seriesIdentityOf,
} from '../../../src/adapters/prometheus/index.ts';
import { parseConfig } from '../../../src/config/loadConfig.ts';
import { type Call, fakeClient, ok } from './fakes.ts';
import type { PromSeries } from '../../../src/adapters/prometheus/parseResponse.ts';
import { WHOLE_DAY_MATCHERS } from '../../../src/adapters/prometheus/queries.ts';
import { SamplePoints } from '../../../src/adapters/prometheus/samplePoints.ts';

const T0 = 1_772_982_000_000;
const templates = loadQueryTemplates(new URL('../../../queries/', import.meta.url).pathname);

function queriesWith(respond: (call: Call) => ReturnType<typeof ok>, clusterLabel?: string) {
  const { client, calls } = fakeClient(respond);
  const identity = seriesIdentityOf({ clusterLabel, dedupeLabels: ['replica'] });
  return { queries: createQueries(client, templates, identity, 'env="prod"'), calls };
}

describe('createQueries', () => {
  it('fills the cluster label, selector and replica labels into the templates that use them', () => {
    const { queries } = queriesWith(() => ok([]), 'k8s');
    const q = queries.fill('node_capacity', { window: '59999ms' });
    expect(q).toContain('max by (k8s, replica, instance, node, resource)');
    expect(q).toContain('env="prod"');
    expect(q).toContain('[59999ms]');
  });

  describe('edge cases', () => {
    it('refuses a parameter that the template does not use', () => {
      const { queries } = queriesWith(() => ok([]));
      expect(() => queries.fill('pod_requests', { range: '1d', window: '59999ms' })).toThrow(
        /does not use parameter\(s\) window/,
      );
    });
  });
});

describe('askWindow', () => {
  const grid = { startMs: T0, endMs: T0 + 3 * 60_000, stepMs: 60_000 };
  const { metering } = parseConfig({});

  it('answers by name, asking in a fixed order and not for Pending pods unless they are charged', async () => {
    const nodeLabel = { metric: { node: 'n1' }, value: [T0 / 1000, '1'] };
    const { queries, calls } = queriesWith((call) =>
      ok(
        call.params.query?.includes('kube_node_labels') ? [nodeLabel] : [],
        call.params.step ? 'matrix' : 'vector',
      ),
    );
    const answers = await askWindow(queries, grid, metering);
    expect(Object.keys(answers)).toEqual([
      'running',
      'pendingOnNode',
      'nodeCapacity',
      'nodePresence',
      'ksmPresence',
      'utilizationProf',
      'utilizationUtil',
      'podRequests',
      'podInitRequests',
      'podSidecars',
      'draDevices',
      'podNodes',
      'podLabels',
      'namespaceLabels',
      'nodeLabels',
      'nodeInfo',
      'gpuQuotas',
    ]);
    expect(answers.nodeLabels.map((s) => s.metric.node)).toEqual(['n1']);
    // No GPU init-container request: pod_sidecars is not asked (it could only mark such a request).
    expect(calls).toHaveLength(15);
    expect(calls.some((c) => c.params.query?.includes('kube_pod_init_container_info'))).toBe(false);
    const quota = calls.find((c) => c.params.query?.includes('kube_resourcequota'));
    expect(quota?.params.query).toContain('resource=~"requests\\\\.nvidia\\\\.com/.+", type=~"hard|used"');
    expect(quota?.params.step).toBeDefined();
    expect(calls.some((c) => c.params.query?.includes('kube_node_info{node!="", provider_id!=""'))).toBe(
      true,
    );
    expect(calls.some((c) => c.params.query?.includes('phase="Pending"'))).toBe(false);
  });

  describe('edge cases', () => {
    it('asks no utilization for a grid whose billed day is empty', async () => {
      const { queries, calls } = queriesWith((call) => ok([], call.params.step ? 'matrix' : 'vector'));
      await askWindow(queries, { ...grid, focus: { startMs: T0, endMs: T0 } }, metering);
      expect(calls.filter((c) => c.params.query?.includes('DCGM'))).toEqual([]);
    });

    it("asks a whole day's phase, and pod_nodes and pod_labels in one request, only of its pods with a GPU request or a DRA claim, and pod_sidecars of those with a GPU init-container request", async () => {
      const asked = async (pods: 'none' | 'app' | 'init') => {
        const series = (name: string, uid: string, extra: Record<string, string> = {}) => ({
          metric: { __name__: name, uid, namespace: 'ml', pod: `p-${uid}`, ...extra },
          values: [[T0 / 1000 + 60, '1']],
        });
        const { client, calls } = fakeClient((call) => {
          const q = call.params.query ?? '';
          const raw = /\]$/.test(q.trimEnd());
          if (pods !== 'none' && q.startsWith('{__name__=~"kube_pod_status_phase|'))
            return ok(
              [
                series('kube_pod_container_resource_requests', 'u1', {
                  container: 'c',
                  resource: 'nvidia_com_gpu',
                }),
                ...(pods === 'init'
                  ? [
                      series('kube_pod_init_container_resource_requests', 'u3', {
                        container: 'side',
                        resource: 'nvidia_com_gpu',
                      }),
                    ]
                  : []),
              ],
              'matrix',
            );
          if (pods !== 'none' && q.startsWith('kube_pod_resourceclaim_info'))
            return ok([series('kube_pod_resourceclaim_info', 'u2')], 'matrix');
          return ok([], raw || call.params.step ? 'matrix' : 'vector');
        });
        const identity = seriesIdentityOf({ dedupeLabels: ['replica'] });
        await askWindow(createQueries(client, templates, identity, undefined, 'adapter'), grid, metering);
        const of = (selector: string) =>
          calls.map((c) => c.params.query ?? '').filter((q) => q.includes(selector));
        return {
          phase: of('{__name__="kube_pod_status_phase"'),
          pods: of('{__name__=~"kube_pod_info|kube_pod_labels"'),
          // pod_nodes.promql and pod_labels.promql on their own: never, for a whole day.
          separately: [...of('kube_pod_info{'), ...of('kube_pod_labels{')],
          sidecars: of('kube_pod_init_container_info{'),
        };
      };
      const app = await asked('app');
      expect(app.phase).toHaveLength(1);
      expect(app.pods).toHaveLength(1);
      expect(app.separately).toEqual([]);
      for (const q of [...app.phase, ...app.pods]) expect(q).toContain('uid=~"u1|u2"');
      // No GPU init-container request, so no sidecar can change what is billed: not asked.
      expect(app.sidecars).toEqual([]);
      const init = await asked('init');
      for (const q of [...init.phase, ...init.pods]) expect(q).toContain('uid=~"u1|u2|u3"');
      expect(init.sidecars).toHaveLength(1);
      expect(init.sidecars[0]).toContain('uid=~"u3"}');
      // No pod with a GPU request or a claim: none of them is asked.
      expect(await asked('none')).toEqual({ phase: [], pods: [], separately: [], sidecars: [] });
    });

    it("asks a shard's pod_sidecars of the pods of its known GPU init-container requests, not of all its pods", async () => {
      const { queries, calls } = queriesWith((call) => ok([], call.params.step ? 'matrix' : 'vector'));
      const request = (uid: string) => ({
        metric: { uid, namespace: 'ml', pod: `p-${uid}`, container: 'side', resource: 'nvidia_com_gpu' },
        points: SamplePoints.of([[T0 + 60_000, 1]]),
      });
      const sidecarsAsked = async (known: PromSeries[]) => {
        calls.length = 0;
        await askWindow(queries, grid, metering, {
          matchers: { ...WHOLE_DAY_MATCHERS, uids: ', uid=~"a|b|c"' },
          known: { podInitRequests: known },
        });
        return calls
          .map((c) => c.params.query ?? '')
          .filter((q) => q.includes('kube_pod_init_container_info{'));
      };
      const asked = await sidecarsAsked([request('b')]);
      expect(asked).toHaveLength(1);
      expect(asked[0]).toContain('uid=~"b"}');
      expect(asked[0]).not.toContain('a|b|c');
      expect(await sidecarsAsked([])).toEqual([]);
    });

    it('asks no GPU quotas for a shard that does not carry them', async () => {
      const { queries, calls } = queriesWith((call) => ok([], call.params.step ? 'matrix' : 'vector'));
      await askWindow(queries, grid, metering, { matchers: WHOLE_DAY_MATCHERS, quotas: false });
      expect(calls.filter((c) => c.params.query?.includes('kube_resourcequota'))).toEqual([]);
    });
  });
});

describe('askScrapeInterval', () => {
  it('asks kube_node_status_capacity over an hour for kube-state-metrics and DCGM over 10 minutes', async () => {
    const { queries, calls } = queriesWith(() =>
      ok([{ metric: { node: 'n1' }, values: [0, 1, 2].map((i) => [T0 / 1000 + i * 30, '1']) }]),
    );
    const day = { startMs: T0, endMs: T0 + 86_400_000 };
    expect(await askScrapeInterval(queries, 'kubeStateMetrics', day)).toBe(30);
    expect(await askScrapeInterval(queries, 'dcgm', day)).toBe(30);
    expect(calls.map((c) => [c.params.query?.match(/\[(\d+ms)\]/)?.[1], c.params.time])).toEqual([
      ['3600000ms', String(day.endMs / 1000)],
      ['600000ms', String(day.endMs / 1000)],
    ]);
  });
});
