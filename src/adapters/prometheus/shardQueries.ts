import { compareStrings } from '../../core/compare.ts';
import { shardOfNode } from '../../core/metering/index.ts';
import type { Shard, StepGrid } from '../../core/types.ts';
import type { Config } from '../../config/schema.ts';
import type { SeriesIdentity } from './identity.ts';
import type { PromSeries } from './parseResponse.ts';
import { durationMs, literalAlternation } from './promql.ts';
import {
  askWindow,
  type PrometheusQueries,
  rangesOf,
  type ShardMatchers,
  type WindowAnswers,
} from './queries.ts';

/**
 * Asking Prometheus for one shard of a day (src/core/metering/shards.ts): only the shard's nodes and the
 * pods on them are read, plus what every shard shares (node presence, which also names the day's nodes;
 * kube-state-metrics presence; namespace labels; DRA devices). Metering then keeps exactly the shard, so
 * what is asked here only needs to hold every series of the shard's pods and nodes:
 *
 * 1. the day's nodes (node_presence, asked whole) -> the shard's node names;
 * 2. its candidate pods: those whose GPU requests kube-state-metrics labels with one of those nodes, and
 *    every pod with a DRA claim (pod_claims); shard 0 also asks for requests on nodes no node series
 *    names (a pod never becomes nobody's);
 * 3. every kube_pod_info binding of the candidates (pod_nodes by uid): a pod belongs to the shard of the
 *    first node by name that binds it (shard 0 when none), exactly as metering decides;
 * 4. every other question narrowed to those pods (by uid; DCGM series by pod name, as metering matches
 *    them) or to the shard's nodes; idle GPUs (dcgm-exporter presence) only in shard 0.
 */

/** A pod name can never contain ":" (Kubernetes names are DNS subdomains): matches no series. */
const NO_POD = 'gpu-chargeback:none';

/** One shard's answers, and what metering cannot see from them (warned). */
export interface ShardAnswers {
  answers: WindowAnswers;
  warnings: string[];
}

export async function askShard(
  queries: PrometheusQueries,
  grid: StepGrid,
  metering: Pick<Config['metering'], 'pendingOnNode' | 'team' | 'project'>,
  shard: Shard,
  identity: SeriesIdentity,
): Promise<ShardAnswers> {
  const whole = { startMs: grid.startMs, endMs: grid.endMs };
  const window = durationMs(grid.stepMs - 1);
  const { index, count } = shard;

  // 1. The day's nodes, from the node series every shard reads whole anyway.
  // With "adapter", ksm_presence comes from the same raw read.
  const presence =
    queries.stepEvaluation === 'adapter'
      ? await queries.presenceFromRaw(rangesOf(grid).window, grid.stepMs - 1)
      : { nodePresence: await queries.range('node_presence', { window }, rangesOf(grid).window) };
  const { nodePresence } = presence;
  const allNodes = [...new Set(nodePresence.map((s) => s.metric.node ?? '').filter((n) => n !== ''))].sort(
    compareStrings,
  );
  const nodes = allNodes.filter((n) => shardOfNode(n, count) === index);
  const nodeMatcher = nodes.length > 0 ? `, node=~"${literalAlternation(nodes)}"` : `, node="${NO_POD}"`;

  // 2. Candidate pods: GPU requests on the shard's nodes (and, in shard 0, on nodes no node series names).
  const byNode = async (name: 'pod_requests' | 'pod_init_requests') => {
    const found = nodes.length > 0 ? await queries.overWindow(name, {}, whole, { nodes: nodeMatcher }) : [];
    if (index !== 0) return found;
    const unlisted =
      allNodes.length > 0 ? `, node!="", node!~"${literalAlternation(allNodes)}"` : ', node!=""';
    return [...found, ...(await queries.overWindow(name, {}, whole, { nodes: unlisted }))];
  };
  const podRequests = await byNode('pod_requests');
  const podInitRequests = await byNode('pod_init_requests');
  const claims = await queries.overWindow('pod_claims', {}, whole);
  const podKey = (m: Record<string, string>) => `${identity.clusterOf(m)}\u0000${m.uid ?? ''}`;
  const candidates = new Map<string, Record<string, string>>();
  for (const s of [...podRequests, ...podInitRequests, ...claims]) {
    if (s.metric.uid) candidates.set(podKey(s.metric), s.metric);
  }

  // 3. Where each candidate is bound: the first node by name decides its shard ("" -> shard 0).
  const uids = [...new Set([...candidates.values()].map((m) => m.uid!))];
  const podNodes =
    uids.length > 0
      ? await queries.overWindow('pod_nodes', {}, whole, { uids: `, uid=~"${literalAlternation(uids)}"` })
      : [];
  const boundTo = new Map<string, string>();
  for (const s of podNodes) {
    const node = s.metric.node ?? '';
    const id = podKey(s.metric);
    const current = boundTo.get(id);
    if (node !== '' && (current === undefined || compareStrings(node, current) < 0)) boundTo.set(id, node);
  }
  const warnings: string[] = [];
  const kept = new Map<string, Record<string, string>>();
  const requested = new Set([...podRequests, ...podInitRequests].map((s) => podKey(s.metric)));
  for (const [id, metric] of candidates) {
    const node = boundTo.get(id) ?? '';
    if (shardOfNode(node, count) === index) kept.set(id, metric);
    else if (node === '' && requested.has(id)) {
      // Its requests name one of this shard's nodes, kube_pod_info names none: the whole day would meter it
      // on node "" (shard 0), but shard 0 cannot tell it from the pods of other shards.
      warnings.push(
        `pod ${metric.namespace ?? ''}/${metric.pod ?? ''} (uid ${metric.uid}) requests GPUs on a node but has no ` +
          'kube_pod_info node; not metered when its day is split into shards (meter the day whole: sharding.shards 1)',
      );
    }
  }

  // 4. Everything else, narrowed to the shard's pods and nodes.
  const keptUids = [...new Set([...kept.values()].map((m) => m.uid!))];
  // DCGM series name pods, not uids (pod_claims has no name: take it from the bindings).
  const names = [
    ...new Set(
      [...podRequests, ...podInitRequests, ...podNodes]
        .filter((s) => kept.has(podKey(s.metric)))
        .map((s) => s.metric.pod ?? '')
        .filter((n) => n !== ''),
    ),
  ];
  const podNames = names.length > 0 ? literalAlternation(names) : NO_POD;
  const matchers: ShardMatchers = {
    uids: keptUids.length > 0 ? `, uid=~"${literalAlternation(keptUids)}"` : `, uid="${NO_POD}"`,
    nodes: nodeMatcher,
    exportedPods: `, exported_pod=~"${podNames}"`,
    pods: `, pod=~"${podNames}"`,
    // The idle-GPU branch selects pod=""; a second, impossible pod matcher empties it outside shard 0.
    idle: index === 0 ? '' : `, pod="${NO_POD}"`,
  };
  const keep = (list: PromSeries[]) => list.filter((s) => kept.has(podKey(s.metric)));
  const answers = await askWindow(queries, grid, metering, {
    matchers,
    hasPods: kept.size > 0,
    noDcgm: kept.size === 0 && index !== 0,
    quotas: index === 0,
    known: {
      ...presence,
      podRequests: keep(podRequests),
      podInitRequests: keep(podInitRequests),
      podNodes: keep(podNodes),
    },
  });
  return { answers, warnings };
}
