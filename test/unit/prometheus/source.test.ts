import { SamplePoints } from '../../../src/adapters/prometheus/samplePoints.ts';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  createAuthorizer,
  createPrometheusSource,
  utilizationPoints,
} from '../../../src/adapters/prometheus/index.ts';
import { parseConfig } from '../../../src/config/loadConfig.ts';
import type { ConfigInput } from '../../../src/config/schema.ts';
import { type Call, fakeFetch, ok, recordingLogger } from './fakes.ts';

const P = SamplePoints.of;
const T0 = 1_772_982_000_000;
const grid = { startMs: T0, endMs: T0 + 3 * 60_000, stepMs: 60_000 };

function sourceWith(
  respond: (call: Call) => ReturnType<typeof ok>,
  source: ConfigInput['source'] = {},
  metering: ConfigInput['metering'] = {},
) {
  // The fake answers range queries: Prometheus evaluates the steps here (the adapter's evaluation is
  // checked against a real Prometheus in test/integration/rawSteps.test.ts).
  const config = parseConfig({
    source: { url: 'http://prom.local', stepEvaluation: 'prometheus', ...source },
    metering,
  });
  const { fetch, calls } = fakeFetch((call) => respond(call));
  return {
    src: createPrometheusSource({ config, logger: recordingLogger(), fetch, env: { PROM_TOKEN: 'tok-123' } }),
    calls,
  };
}

/** Answers each query by the metric it selects. */
function byQuery(call: Call) {
  const q = call.params.query ?? '';
  const ts = [1, 2, 3].map((k) => (T0 + k * 60_000) / 1000);
  if (q.includes('phase="Running"')) {
    return ok([
      { metric: { k8s: 'east', namespace: 'ml', pod: 'p', uid: 'u1' }, values: ts.map((t) => [t, '1']) },
    ]);
  }
  if (q.includes('kube_node_status_capacity{resource=~')) {
    return ok([
      { metric: { k8s: 'east', node: 'n1', resource: 'nvidia_com_gpu' }, values: ts.map((t) => [t, '4']) },
    ]);
  }
  if (q.startsWith('max by (k8s, namespace, pod, uid, container, resource)')) {
    return ok(
      [
        {
          metric: {
            k8s: 'east',
            namespace: 'ml',
            pod: 'p',
            uid: 'u1',
            container: 'c',
            resource: 'nvidia_com_gpu',
          },
          value: [ts[2]!, '2'],
        },
      ],
      'vector',
    );
  }
  if (q.includes('DCGM_FI_DEV_GPU_UTIL') && !q.startsWith('count')) {
    return ok([
      {
        metric: {
          k8s: 'east',
          UUID: 'g1',
          exported_namespace: 'ml',
          exported_pod: 'p',
          namespace: 'gpu-operator',
          pod: 'dcgm-1',
        },
        values: ts.map((t) => [t, '0.5']),
      },
      { metric: { k8s: 'east', UUID: 'g2', namespace: 'ml', pod: 'p' }, values: ts.map((t) => [t, '0.25']) },
    ]);
  }
  return ok([]);
}

describe('createPrometheusSource', () => {
  it('keys every series by the cluster label and adds the selector to every query', async () => {
    const { src, calls } = sourceWith(byQuery, { clusterLabel: 'k8s', selector: 'k8s=~"east|west"' });
    const obs = await src.observe(grid, { kubeStateMetricsSeconds: 60, dcgmSeconds: 30, source: 'config' });
    expect(obs.running).toEqual([
      {
        pod: { cluster: 'east', namespace: 'ml', pod: 'p', uid: 'u1' },
        tsMs: [T0 + 60_000, T0 + 120_000, T0 + 180_000],
      },
    ]);
    expect(obs.requests).toEqual([
      {
        pod: { cluster: 'east', namespace: 'ml', pod: 'p', uid: 'u1' },
        container: 'c',
        resource: 'nvidia_com_gpu',
        value: 2,
      },
    ]);
    expect(obs.nodeCapacity[0]).toMatchObject({ cluster: 'east', node: 'n1', resource: 'nvidia_com_gpu' });
    const queries = calls.map((c) => c.params.query ?? '');
    expect(queries.every((q) => q.includes('k8s=~"east|west"'))).toBe(true);
    expect(queries.filter((q) => q.includes('max by (')).every((q) => q.includes('max by (k8s, '))).toBe(
      true,
    );
  });

  it('evaluates range queries on the grid with a window of one step minus 1 ms', async () => {
    const { src, calls } = sourceWith(byQuery);
    await src.observe(grid, { kubeStateMetricsSeconds: 60, dcgmSeconds: 30, source: 'config' });
    const running = calls.find((c) => c.params.query?.includes('phase="Running"'))!;
    expect(running.params).toMatchObject({
      start: String((T0 + 60_000) / 1000),
      end: String(grid.endMs / 1000),
      step: '60',
    });
    expect(running.params.query).toContain('[59999ms]');
    const requests = calls.find((c) =>
      c.params.query?.includes('max by (namespace, pod, uid, container, resource)'),
    )!;
    expect(requests.params).toMatchObject({ time: String(grid.endMs / 1000) });
    expect(requests.params.query).toContain('[180000ms]');
  });

  it('does not ask for Pending pods unless Pending on a node is charged', async () => {
    const off = sourceWith(byQuery);
    await off.src.observe(grid, { kubeStateMetricsSeconds: 60, dcgmSeconds: 30, source: 'config' });
    const on = sourceWith(byQuery, {}, { pendingOnNode: 'charged' });
    await on.src.observe(grid, { kubeStateMetricsSeconds: 60, dcgmSeconds: 30, source: 'config' });
    const pendingQueries = (calls: Call[]) =>
      calls.filter((c) => c.params.query?.includes('phase="Pending"')).length;
    expect([pendingQueries(off.calls), pendingQueries(on.calls)]).toEqual([0, 1]);
  });

  it('matches utilization to pods by exported_* labels first, else pod/namespace, summing per point', async () => {
    const { src } = sourceWith(byQuery, { clusterLabel: 'k8s' });
    const obs = await src.observe(grid, { kubeStateMetricsSeconds: 60, dcgmSeconds: 30, source: 'config' });
    const util = obs.utilization.filter((u) => u.source === 'DCGM_FI_DEV_GPU_UTIL');
    expect(util).toHaveLength(1);
    expect(util[0]).toMatchObject({ cluster: 'east', namespace: 'ml', pod: 'p' });
    expect([...util[0]!.points][0]).toEqual([T0 + 60_000, 0.75, 2]);
  });

  it('detects the scrape intervals from the median spacing of raw samples', async () => {
    const { src } = sourceWith((call) => {
      const spacing = call.params.query?.includes('DCGM') ? 30 : 60;
      return ok([
        { metric: { node: 'n1' }, values: [0, 1, 2, 3].map((i) => [T0 / 1000 + i * spacing, '1']) },
      ]);
    });
    const day = { startMs: T0, endMs: T0 + 86_400_000 };
    expect([
      await src.detectScrapeInterval('kubeStateMetrics', day),
      await src.detectScrapeInterval('dcgm', day),
    ]).toEqual([60, 30]);
  });

  describe('edge cases', () => {
    it('detects nothing (null) when no sample exists around the day, after trying three instants', async () => {
      const { src, calls } = sourceWith(() => ok([]));
      const day = { startMs: T0, endMs: T0 + 86_400_000 };
      expect(await src.detectScrapeInterval('kubeStateMetrics', day)).toBeNull();
      expect(calls).toHaveLength(3);
    });

    it('detects the interval only: a configured interval is not its business', async () => {
      const { src } = sourceWith(
        () => ok([{ metric: { node: 'n1' }, values: [0, 1, 2].map((i) => [T0 / 1000 + i * 15, '1']) }]),
        {},
        { scrapeIntervalSeconds: { kubeStateMetrics: 60, dcgm: 30 } },
      );
      expect(await src.detectScrapeInterval('dcgm', { startMs: T0, endMs: T0 + 86_400_000 })).toBe(15);
    });

    it('refuses a cluster label that is also a dedupe label', () => {
      expect(() => sourceWith(byQuery, { clusterLabel: 'replica' })).toThrow(/dedupeLabels/);
    });

    it('sends the tenant header and the bearer token from the environment', async () => {
      const { src, calls } = sourceWith(byQuery, {
        auth: { kind: 'bearer', tokenEnv: 'PROM_TOKEN' },
        tenant: { header: 'X-Scope-OrgID', value: 'team-a' },
      });
      await src.observe(grid, { kubeStateMetricsSeconds: 60, dcgmSeconds: 30, source: 'config' });
      expect(calls[0]!.headers).toMatchObject({ authorization: 'Bearer tok-123', 'X-Scope-OrgID': 'team-a' });
    });
  });
});

describe('createAuthorizer', () => {
  it('reads a bearer token from a file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tok-'));
    writeFileSync(join(dir, 'token'), 'from-file\n');
    const authorize = createAuthorizer({ kind: 'bearer', tokenFile: join(dir, 'token') }, {});
    expect(await authorize({ url: 'http://x', headers: {}, body: '' })).toEqual({
      authorization: 'Bearer from-file',
    });
  });

  it('signs a request with SigV4 for service aps', async () => {
    const authorize = createAuthorizer(
      { kind: 'sigv4', region: 'us-east-1', service: 'aps' },
      {},
      async () => ({
        accessKeyId: 'AKIDEXAMPLE',
        secretAccessKey: 'secret',
      }),
    );
    const headers = await authorize({
      url: 'https://aps-workspaces.us-east-1.amazonaws.com/workspaces/ws-1/api/v1/query',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'query=up',
    });
    expect(headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/us-east-1\/aps\/aws4_request, SignedHeaders=.*host/,
    );
    expect(headers['x-amz-date']).toMatch(/^\d{8}T\d{6}Z$/);
    expect(headers.host).toBeUndefined();
  });

  describe('edge cases', () => {
    it('fails naming the empty environment variable, not a token', async () => {
      const authorize = createAuthorizer({ kind: 'bearer', tokenEnv: 'MISSING' }, {});
      await expect(authorize({ url: 'http://x', headers: {}, body: '' })).rejects.toThrow(/MISSING is empty/);
    });
  });
});

describe('utilizationPoints', () => {
  it('skips GPUs that carry no pod label', () => {
    expect(
      utilizationPoints([{ metric: { UUID: 'g' }, points: P([[1, 0.5]]) }], 'DCGM_FI_DEV_GPU_UTIL', () => ''),
    ).toEqual([]);
  });

  describe('edge cases', () => {
    it('prefers exported_pod over the scraping pod label', () => {
      const out = utilizationPoints(
        [
          {
            metric: { exported_pod: 'w', exported_namespace: 'ml', pod: 'dcgm', namespace: 'ops' },
            points: P([[1, 0.5]]),
          },
        ],
        'DCGM_FI_PROF_GR_ENGINE_ACTIVE',
        () => '',
      );
      expect(out.map((u) => [u.namespace, u.pod])).toEqual([['ml', 'w']]);
    });
  });
});

describe('the fleet a day is planned for', () => {
  it('sums the GPU units every node advertised at most over the day, in one instant query', async () => {
    const { src, calls } = sourceWith(
      () => ok([{ metric: {}, value: [T0 / 1000 + 86_400, '1280'] }], 'vector'),
      {
        clusterLabel: 'k8s',
      },
    );
    expect(await src.measureFleet!({ startMs: T0, endMs: T0 + 86_400_000 })).toEqual({ gpuUnits: 1280 });
    expect(calls).toHaveLength(1);
    expect(calls[0]!.params.query).toMatch(
      /^sum\(\s*max by \(k8s, node, resource\) \(\s*max_over_time\(kube_node_status_capacity\{resource=~"nvidia_com_\.\+"\}\[86400000ms\]\)/,
    );
    expect(calls[0]!.params.time).toBe(String(T0 / 1000 + 86_400));
  });

  it('is no fleet when Prometheus has no GPU capacity that day', async () => {
    const { src } = sourceWith(() => ok([], 'vector'));
    expect(await src.measureFleet!({ startMs: T0, endMs: T0 + 86_400_000 })).toEqual({ gpuUnits: 0 });
  });
});
