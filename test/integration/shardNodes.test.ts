/**
 * What one shard of a day reads of the node series (issue #18), against a real Prometheus: the day's node
 * names from the series endpoint (no sample read), only the shard's own node series raw, and
 * kube-state-metrics presence exactly as the whole day computes it — also for a shard whose only node
 * disappears mid-day, a shard without nodes, a replica that exports none of the shard's nodes and an
 * outage of kube-state-metrics. When the series endpoint does not answer, or answers for less time than
 * asked (it lacks a node the query API shows samples of), the shard reads every node series as before.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectPrometheus } from '../../src/adapters/prometheus/connect.ts';
import type { HttpFetch } from '../../src/adapters/prometheus/httpFetch.ts';
import { seriesIdentityOf } from '../../src/adapters/prometheus/identity.ts';
import type { PromSeries } from '../../src/adapters/prometheus/parseResponse.ts';
import {
  createQueries,
  DEFAULT_QUERIES_DIR,
  loadQueryTemplates,
} from '../../src/adapters/prometheus/queries.ts';
import { askShard } from '../../src/adapters/prometheus/shardQueries.ts';
import { parseConfig } from '../../src/config/loadConfig.ts';
import { compareStrings } from '../../src/core/compare.ts';
import { shardOfNode } from '../../src/core/metering/index.ts';
import {
  type PrometheusHandle,
  prometheusInstallHint,
  startPrometheusWithData,
} from '../support/prometheus.ts';

const T0 = Date.UTC(2026, 9, 1) / 1000;
const STEP = 60;
const GRID = { startMs: T0 * 1000, endMs: (T0 + 32 * STEP) * 1000, stepMs: STEP * 1000 };
/** The next day's grid: the HA pair's node series (nodeSeries). */
const T1 = T0 + 86_400;
const GRID2 = { startMs: T1 * 1000, endMs: (T1 + 32 * STEP) * 1000, stepMs: STEP * 1000 };

/**
 * Node series of two kube-state-metrics replicas. With 2 shards, shard 0 holds gpu-b, gpu-d and gpu-h (all
 * day) and shard 1 only gpu-a, which is gone after step 10; with 3, shard 1 has no node. ksm-1 exports every
 * node and misses steps 20–22 (an outage); ksm-2, 17.5 s later, exports gpu-b and gpu-d only, steps 5–15.
 * gpu-h has kube_node_labels only: kube-state-metrics writes both families for every node
 * (internal/store/node.go) unless told not to (`--metric-denylist`, docs/developer/cli-arguments.md), or a
 * relabelling drops one; the product bills a node seen by either family.
 * Label shapes from kube-state-metrics internal/store/node.go (c92fe0c): kube_node_info carries the node's
 * system info (kernel_version, os_image, container_runtime_version, kubelet_version, kubeproxy_version,
 * provider_id, pod_cidr, system_uuid, internal_ip) and kube_node_labels one label_* per Kubernetes label;
 * both carry `node`, and Prometheus adds the scrape target's `instance`.
 */
function nodeSeries(): string {
  const lines: string[] = [];
  const steps = (from: number, to: number, offset = 0) =>
    Array.from({ length: to - from + 1 }, (_, i) => T0 + (from + i) * STEP + offset).filter(
      (t) => offset !== 0 || ![20, 21, 22].includes((t - T0) / STEP),
    );
  const rows: [string, string, number[], string?][] = [
    ['gpu-a', 'ksm-1', steps(1, 10)],
    ['gpu-b', 'ksm-1', steps(1, 32)],
    ['gpu-d', 'ksm-1', steps(1, 32)],
    ['gpu-b', 'ksm-2', steps(5, 15, 17.5)],
    ['gpu-d', 'ksm-2', steps(5, 15, 17.5)],
    ['gpu-h', 'ksm-1', steps(1, 32)],
  ];
  // The next day (GRID2): an HA pair of Prometheus replicas (`replica`, a source.dedupeLabels default)
  // scraping two kube-state-metrics replicas. p-0 and p-1 see ksm-1, p-0 sees ksm-2, all day, exporting
  // gpu-a (shard 1 of 2) and gpu-b (shard 0); p-1 sees ksm-2 only at steps 5–15, and with gpu-b only.
  const day2 = (from: number, to: number, offset: number) =>
    Array.from({ length: to - from + 1 }, (_, i) => T1 + (from + i) * STEP + offset);
  for (const node of ['gpu-a', 'gpu-b']) {
    rows.push([node, 'ksm-1', day2(1, 32, 0), 'p-0'], [node, 'ksm-1', day2(1, 32, 5), 'p-1']);
    rows.push([node, 'ksm-2', day2(1, 32, 17.5), 'p-0']);
  }
  rows.push(['gpu-b', 'ksm-2', day2(5, 15, 22.5), 'p-1']);
  const labelsOnly = new Set(['gpu-h']);
  const extra = {
    kube_node_info: (node: string) =>
      `,kernel_version="6.1.0-18-cloud-amd64",os_image="Debian GNU/Linux 12 (bookworm)",` +
      `container_runtime_version="containerd://1.7.13",kubelet_version="v1.29.2",kubeproxy_version="deprecated",` +
      `provider_id="aws:///us-east-1a/i-0${node.slice(-1)}",pod_cidr="",system_uuid="ec2${node.slice(-1)}",internal_ip="10.0.0.${node.charCodeAt(4)}"`,
    kube_node_labels: (node: string) => `,label_kubernetes_io_hostname="${node}"`,
  };
  for (const name of ['kube_node_info', 'kube_node_labels'] as const) {
    lines.push(`# TYPE ${name} gauge`);
    for (const [node, instance, times, replica] of rows)
      for (const t of name === 'kube_node_info' && labelsOnly.has(node) ? [] : times)
        lines.push(
          `${name}{node="${node}",instance="${instance}"${replica ? `,replica="${replica}"` : ''}` +
            `${extra[name](node)}} 1 ${t.toFixed(3)}`,
        );
  }
  lines.push('# EOF');
  return `${lines.join('\n')}\n`;
}

/** Series with their labels and points, in a stable order; `times` keeps only the points' times. */
function canonical(series: PromSeries[], times = false): string[] {
  return series
    .map((s) =>
      JSON.stringify([
        Object.entries(s.metric).sort(([a], [b]) => compareStrings(a, b)),
        times ? s.points.toJSON().map(([t]) => t) : s.points.toJSON(),
      ]),
    )
    .sort(compareStrings);
}

const quiet = { info() {}, warn() {}, error() {}, progress() {} };

describe.skipIf(prometheusInstallHint() !== null)('the node series one shard of a day reads', () => {
  let dir: string;
  let prometheus: PrometheusHandle;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gcb-shard-nodes-'));
    const file = join(dir, 'nodes.om');
    await writeFile(file, nodeSeries());
    prometheus = await startPrometheusWithData([file]);
  }, 120_000);

  afterAll(async () => {
    await prometheus?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /**
   * Queries against the fixture through a fetch that records each request, and may refuse the series
   * endpoint or narrow its time range to the last `narrowSeriesMs` (as Mimir's
   * -store.max-labels-query-length does: "the request will not fail, but will be manipulated to only query
   * data within the allowed time range", grafana/mimir pkg/util/validation/limits.go).
   */
  const setUp = (
    options: {
      refuseSeries?: boolean;
      narrowSeriesMs?: number;
      unlistNode?: string;
      unlistInstance?: string;
      /** Every series with these label values (absent: "") left out. */
      unlistReplica?: Record<string, string>;
    } = {},
  ) => {
    const config = parseConfig({ source: { kind: 'prometheus', url: prometheus.url } });
    const requests: { path: string; query: string; start?: string; end?: string }[] = [];
    const fetch: HttpFetch = async (url, init) => {
      const path = new URL(url).pathname;
      const params = new URLSearchParams(init.body as string);
      requests.push({
        path,
        query: params.get('query') ?? params.get('match[]') ?? '',
        start: params.get('start') ?? undefined,
        end: params.get('end') ?? undefined,
      });
      if (options.refuseSeries && path.endsWith('/api/v1/series')) {
        return { status: 404, headers: { get: () => null }, text: async () => '404 page not found\n' };
      }
      if (options.narrowSeriesMs !== undefined && path.endsWith('/api/v1/series')) {
        const end = Number(params.get('end'));
        params.set(
          'start',
          String(Math.max(Number(params.get('start')), end - options.narrowSeriesMs / 1000)),
        );
        return (globalThis.fetch as unknown as HttpFetch)(url, { ...init, body: params.toString() });
      }
      const unlisted = (m: Record<string, string>) =>
        m.node === options.unlistNode ||
        m.instance === options.unlistInstance ||
        (options.unlistReplica !== undefined &&
          Object.entries(options.unlistReplica).every(([label, value]) => (m[label] ?? '') === value));
      if (
        (options.unlistNode ?? options.unlistInstance ?? options.unlistReplica) !== undefined &&
        path.endsWith('/api/v1/series')
      ) {
        // As if the node's (or the replica's) samples arrived after the endpoint was asked, or lay in the
        // hours a narrowing endpoint dropped.
        const answer = await (globalThis.fetch as unknown as HttpFetch)(url, init);
        const body = JSON.parse(await answer.text()) as { data: Record<string, string>[] };
        body.data = body.data.filter((m) => !unlisted(m));
        return { status: answer.status, headers: answer.headers, text: async () => JSON.stringify(body) };
      }
      return (globalThis.fetch as unknown as HttpFetch)(url, init);
    };
    const identity = seriesIdentityOf(config.source);
    const queries = createQueries(
      connectPrometheus({ source: config.source, logger: quiet, fetch }),
      loadQueryTemplates(DEFAULT_QUERIES_DIR),
      identity,
      undefined,
      'adapter',
      quiet,
    );
    return { config, identity, queries, requests };
  };

  const wholeDay = async (grid = GRID) => {
    const { queries } = setUp();
    const over = { startMs: grid.startMs + grid.stepMs, endMs: grid.endMs, stepMs: grid.stepMs };
    return queries.presenceFromRaw(over, GRID.stepMs - 1);
  };

  /** node_labels and node_info over the grid's window, as Prometheus answers them for the whole day. */
  const wholeDayLabels = async () => {
    const { queries } = setUp();
    const window = { startMs: GRID.startMs, endMs: GRID.endMs };
    return {
      nodeLabels: await queries.overWindow('node_labels', {}, window),
      nodeInfo: await queries.overWindow('node_info', {}, window),
    };
  };

  /**
   * A shard's node_labels and node_info, read from its raw node series instead of asked: Prometheus'
   * answers for its nodes, and no request of their own.
   */
  const expectShardLabels = (
    answers: { nodeLabels: PromSeries[]; nodeInfo: PromSeries[] },
    labels: Awaited<ReturnType<typeof wholeDayLabels>>,
    requests: { query: string }[],
    index: number,
    count: number,
  ) => {
    for (const name of ['nodeLabels', 'nodeInfo'] as const) {
      expect(labels[name].length).toBeGreaterThan(0);
      const mine = labels[name].filter((s) => shardOfNode(s.metric.node!, count) === index);
      expect(canonical(answers[name], true), `${name}, shard ${index + 1} of ${count}`).toEqual(
        canonical(mine, true),
      );
    }
    expect(requests.filter((r) => /max_over_time\(kube_node_(labels|info)/.test(r.query))).toEqual([]);
  };

  /**
   * Both shards of 2 through an endpoint set up with `options` that lists less than the day holds: each
   * warns (`warning`), reads as without the endpoint (the whole day's presence) and asks it nothing more.
   * Each shard's requests, warnings and answers, for what a test checks besides.
   */
  const expectShardsReadAsWhole = async (
    options: Parameters<typeof setUp>[0],
    warning: RegExp,
    grid = GRID,
  ) => {
    const whole = await wholeDay(grid);
    const asked: {
      requests: ReturnType<typeof setUp>['requests'];
      warnings: string[];
      answers: Awaited<ReturnType<typeof askShard>>['answers'];
    }[] = [];
    for (let index = 0; index < 2; index++) {
      const { config, identity, queries, requests } = setUp(options);
      const { answers, warnings, gpuUtilScope } = await askShard(
        queries,
        grid,
        config.metering,
        { index, count: 2 },
        identity,
      );
      expect(warnings.join('\n')).toMatch(warning);
      expect(warnings.join('\n')).toMatch(/narrows its time range/);
      // Every node series read: kube-state-metrics presence is the whole day's, counts included.
      expect(canonical(answers.ksmPresence)).toEqual(canonical(whole.ksmPresence));
      expect(canonical(answers.nodePresence)).toEqual(canonical(whole.nodePresence));
      expect(gpuUtilScope.narrowedIndex).toBe(true);
      // The endpoint is asked nothing more (the DCGM indexes); the DCGM_FI_DEV_GPU_UTIL read takes it so.
      expect(requests.filter((r) => r.path.endsWith('/api/v1/series')).length).toBe(1);
      asked.push({ requests, warnings, answers });
    }
    return { whole, asked };
  };

  for (const count of [2, 3]) {
    it(`reads only its own node series and keeps the whole day's presence: ${count} shards`, async () => {
      const whole = await wholeDay();
      const labels = await wholeDayLabels();
      expect(whole.ksmPresence.length).toBe(2);
      for (let index = 0; index < count; index++) {
        const { config, identity, queries, requests } = setUp();
        const { answers, warnings } = await askShard(
          queries,
          GRID,
          config.metering,
          { index, count },
          identity,
        );
        const what = `shard ${index + 1} of ${count}`;
        expect(warnings, what).toEqual([]);
        // kube-state-metrics presence: the steps of the whole day, for every replica.
        expect(canonical(answers.ksmPresence, true), what).toEqual(canonical(whole.ksmPresence, true));
        // Node presence: the whole day's, for the shard's nodes.
        const mine = whole.nodePresence.filter((s) => shardOfNode(s.metric.node!, count) === index);
        expect(canonical(answers.nodePresence), what).toEqual(canonical(mine));
        // One index request; node samples read only with the shard's node matcher.
        expect(requests.filter((r) => r.path.endsWith('/api/v1/series')).length, what).toBe(1);
        // (The index checks select with `!~` the listed values: no sample when the list is complete.)
        const raw = requests.filter(
          (r) =>
            r.path.endsWith('/api/v1/query') &&
            r.query.includes('kube_node_info|kube_node_labels') &&
            !r.query.startsWith('group by ('),
        );
        for (const r of raw) expect(r.query, what).toMatch(/node=~"/);
        if (mine.length === 0) expect(raw, what).toEqual([]);
        expectShardLabels(answers, labels, requests, index, count);
      }
    }, 120_000);
  }

  it('asks Prometheus for kube-state-metrics presence only at the steps its own nodes cannot tell', async () => {
    // Steps (1–32) of each ksm_presence range query one shard of 2 asks.
    const asked = async (index: number) => {
      const { config, identity, queries, requests } = setUp();
      await askShard(queries, GRID, config.metering, { index, count: 2 }, identity);
      return requests
        .filter((r) => r.path.endsWith('/query_range') && r.query.includes('count by'))
        .map((r) => [r.start, r.end].map((t) => Math.round(Number(t) - T0) / STEP));
    };
    // Shard 0 (gpu-b, gpu-d all day) sees ksm-1 at every step but its outage (20–22, which is ksm-2's too),
    // and ksm-2 at 6–16 (its samples 17.5 s after steps 5–15): it asks 1–5 and 17–32.
    expect(await asked(0)).toEqual([
      [1, 5],
      [17, 32],
    ]);
    // Shard 1 (gpu-a, gone after step 10) never sees ksm-2: it asks the whole day.
    expect(await asked(1)).toEqual([[1, 32]]);
  }, 120_000);

  it('reads every node series when the series endpoint answers for less time than asked', async () => {
    // Narrowed to the last 15 minutes (steps 18-32), the endpoint does not list gpu-a (gone after step
    // 10): trusted, no shard would read gpu-a, and with 2 shards its shard would bill no node at all.
    const labels = await wholeDayLabels();
    const { whole, asked } = await expectShardsReadAsWhole(
      { narrowSeriesMs: 15 * STEP * 1000 },
      /lists 1 node\(s\) fewer[^]*\(gpu-a\)/,
    );
    expect(whole.nodePresence.some((s) => s.metric.node === 'gpu-a')).toBe(true);
    asked.forEach(({ requests, answers }, index) => expectShardLabels(answers, labels, requests, index, 2));
    // An endpoint that answers for the whole window: the checks (one query of the node series' samples a
    // label) find nothing.
    const { config, identity, queries, requests } = setUp();
    const { warnings, gpuUtilScope } = await askShard(
      queries,
      GRID,
      config.metering,
      { index: 1, count: 2 },
      identity,
    );
    expect(warnings).toEqual([]);
    expect(gpuUtilScope.narrowedIndex).toBeUndefined();
    expect(requests.filter((r) => r.query.includes('group by (node)')).length).toBe(1);
  }, 120_000);

  it("checks the series endpoint's node list up to the day's end only", async () => {
    // A day that ends at T0, metered while the samples of its margin after midnight (every node's, from
    // step 1) may still be arriving: a node whose samples the endpoint did not have yet bills nothing in
    // the day, and is no sign of a narrowed endpoint.
    const grid = {
      startMs: GRID.startMs - 30 * GRID.stepMs,
      endMs: GRID.endMs,
      stepMs: GRID.stepMs,
      focus: { startMs: GRID.startMs - 30 * GRID.stepMs, endMs: GRID.startMs },
    };
    const late = setUp({ unlistNode: 'gpu-a' });
    const shard = { index: 0, count: 2 };
    const { warnings, gpuUtilScope } = await askShard(
      late.queries,
      grid,
      late.config.metering,
      shard,
      late.identity,
    );
    expect(warnings).toEqual([]);
    expect(gpuUtilScope.narrowedIndex).toBeUndefined();
    expect(late.requests.filter((r) => r.query.includes('group by (node)')).length).toBe(1);
    // The same node missing from the list of a day it ran in is found.
    const inDay = setUp({ unlistNode: 'gpu-a' });
    const found = await askShard(inDay.queries, GRID, inDay.config.metering, shard, inDay.identity);
    expect(found.warnings.join('\n')).toMatch(/lists 1 node\(s\) fewer[^]*\(gpu-a\)/);
    expect(found.gpuUtilScope.narrowedIndex).toBe(true);
  }, 120_000);

  it('finds a node the endpoint lacks that only kube_node_labels shows', async () => {
    // gpu-h has no kube_node_info: a check of kube_node_info alone would find nothing, and no shard would
    // bill gpu-h.
    const { whole } = await expectShardsReadAsWhole(
      { unlistNode: 'gpu-h' },
      /lists 1 node\(s\) fewer \(gpu-h\)/,
    );
    expect(whole.nodePresence.some((s) => s.metric.node === 'gpu-h')).toBe(true);
  }, 120_000);

  it('finds a kube-state-metrics replica the endpoint lacks, and keeps its presence', async () => {
    // ksm-2 (steps 5-15, gpu-b and gpu-d only) unlisted while every node still is: trusted, shard 1 (gpu-a,
    // exported by ksm-1 alone) would ask Prometheus only the steps ksm-1 misses and lose ksm-2 at 6-10.
    const { whole, asked } = await expectShardsReadAsWhole(
      { unlistInstance: 'ksm-2' },
      /lists no node series of kube-state-metrics replica\(s\) \{instance="ksm-2"\}/,
    );
    expect(whole.ksmPresence.some((s) => s.metric.instance === 'ksm-2')).toBe(true);
    for (const { requests, warnings } of asked) {
      expect(warnings.join('\n')).not.toMatch(/node\(s\) fewer/);
      // Two checks: the node names, and the replicas (the labels that tell them apart, together).
      const checks = requests.filter((r) => r.query.startsWith('group by ('));
      expect(checks.map((r) => r.query.slice(0, r.query.indexOf(')') + 1))).toEqual([
        'group by (node)',
        'group by (replica, prometheus_replica, instance)',
      ]);
    }
  }, 120_000);

  it('finds a replica the endpoint lacks whose every label value it lists on other series', async () => {
    // Next day: p-1 on ksm-2 (steps 5–15, gpu-b only) unlisted; p-1 and ksm-2 are each listed (p-1 on ksm-1,
    // p-0 on ksm-2). Trusted, shard 1 (gpu-a, shown by every listed replica at every step) would ask
    // Prometheus nothing and lose p-1 on ksm-2; a check of each label alone finds nothing.
    const { whole, asked } = await expectShardsReadAsWhole(
      { unlistReplica: { replica: 'p-1', instance: 'ksm-2' } },
      /lists no node series of kube-state-metrics replica\(s\) \{replica="p-1", instance="ksm-2"\}/,
      GRID2,
    );
    expect(whole.ksmPresence.map((s) => [s.metric.replica, s.metric.instance])).toContainEqual([
      'p-1',
      'ksm-2',
    ]);
    for (const { requests } of asked) {
      const check = requests.filter((r) => r.query.startsWith('group by (replica'));
      expect(check.length).toBe(1);
      // One term for each prefix of a listed replica, joined with `or`, all in one request: (), (p-0),
      // (p-1), (p-0, ""), (p-1, "").
      expect(check[0]!.query.split('\nor\n').length).toBe(5);
    }
  }, 120_000);

  it('reads every node series as before when the series endpoint does not answer', async () => {
    const whole = await wholeDay();
    const labels = await wholeDayLabels();
    for (let index = 0; index < 2; index++) {
      const { config, identity, queries, requests } = setUp({ refuseSeries: true });
      const { answers, warnings } = await askShard(
        queries,
        GRID,
        config.metering,
        { index, count: 2 },
        identity,
      );
      expect(warnings.join('\n')).toMatch(/series endpoint did not answer[^]*every node series/);
      expect(canonical(answers.ksmPresence)).toEqual(canonical(whole.ksmPresence));
      expect(canonical(answers.nodePresence)).toEqual(canonical(whole.nodePresence));
      const raw = requests.filter(
        (r) => r.path.endsWith('/api/v1/query') && r.query.includes('kube_node_info|kube_node_labels'),
      );
      expect(raw.length).toBeGreaterThan(0);
      for (const r of raw) expect(r.query).not.toMatch(/node=~/);
      expectShardLabels(answers, labels, requests, index, 2);
    }
  }, 120_000);
});
