import { compareStrings } from '../../core/compare.ts';
import { shardOfNode } from '../../core/metering/index.ts';
import type { Shard, StepGrid } from '../../core/types.ts';
import type { Config } from '../../config/schema.ts';
import type { SeriesIdentity } from './identity.ts';
import type { PromSeries } from './parseResponse.ts';
import { durationMs, literalAlternation, quotedValue, uidMatcher } from './promql.ts';
import { SamplePoints } from './samplePoints.ts';
import { gapRanges, stepGaps } from './stepGaps.ts';
import { sortLikePrometheus } from './rawSteps.ts';
import type { RangeWindow } from './client.ts';
import type { GpuUtilScope } from './gpuUtilOnDemand.ts';
import {
  askWindow,
  type PrometheusQueries,
  rangesOf,
  type ShardMatchers,
  type WindowAnswers,
} from './queries.ts';

/**
 * Asking Prometheus for one shard of a day (src/core/metering/shards.ts): only the shard's nodes and the
 * pods on them are read, plus what every shard shares (the day's node names; kube-state-metrics presence;
 * namespace labels; DRA devices). Metering then keeps exactly the shard, so what is asked here only needs
 * to hold every series of the shard's pods and nodes:
 *
 * 1. the day's nodes -> the shard's node names, and presence (nodesOfShard): with source.stepEvaluation
 *    "adapter", the names from Prometheus' index (no sample read), the shard's own node series raw, and
 *    kube-state-metrics presence completed from every node only at the steps the shard's nodes cannot
 *    tell (shardKsmPresence); otherwise, when the index request fails, or when it lacks a node whose
 *    kube_node_info samples the query API shows (an endpoint that narrows its time range),
 *    every node series (as the whole day reads them);
 * 2. its candidate pods: those whose GPU requests kube-state-metrics labels with one of those nodes, and
 *    every pod with a DRA claim (pod_claims); shard 0 also asks for requests on nodes no node series
 *    names (a pod never becomes nobody's);
 * 3. every kube_pod_info binding of the candidates (pod_nodes by uid): a pod belongs to the shard of the
 *    first node by name that binds it (shard 0 when none), exactly as metering decides;
 * 4. every other question narrowed to those pods (by uid; DCGM series by pod name, as metering matches
 *    them) or to the shard's nodes; idle GPUs (dcgm-exporter presence) only in shard 0. The exported_pod
 *    branch asks only for the pods an exported series names, by the index, when the query API shows no
 *    exported_pod name it lacks (exportedNames); otherwise for every pod of the shard. With
 *    `gpuUtilPods: false`, DCGM_FI_DEV_GPU_UTIL's pod series are left for source.ts to read, within the
 *    shard's pods (`gpuUtilScope`), for those metering needs them for (gpuUtilOnDemand.ts).
 */

/** A pod name can never contain ":" (Kubernetes names are DNS subdomains): matches no series. */
const NO_POD = 'gpu-chargeback:none';

/** The first few of `names` for a warning. */
const listShort = (names: readonly string[]) =>
  names.slice(0, 5).join(', ') + (names.length > 5 ? ', …' : '');

/** One shard's answers, and what metering cannot see from them (warned). */
export interface ShardAnswers {
  answers: WindowAnswers;
  warnings: string[];
  /** The shard's pods as its DCGM reads select them: where DCGM_FI_DEV_GPU_UTIL's pod series are read. */
  gpuUtilScope: GpuUtilScope;
}

/**
 * With `gpuUtilPods: false`, utilization_util is read without its pod series (askWindow), for
 * askGpuUtilPods to read the ones metering needs within `gpuUtilScope`.
 */
export async function askShard(
  queries: PrometheusQueries,
  grid: StepGrid,
  metering: Pick<Config['metering'], 'pendingOnNode' | 'team' | 'project'>,
  shard: Shard,
  identity: SeriesIdentity,
  options: { gpuUtilPods?: boolean } = {},
): Promise<ShardAnswers> {
  const whole = { startMs: grid.startMs, endMs: grid.endMs };
  const { index, count } = shard;

  const warnings: string[] = [];
  // 1. The day's nodes, and the presence of the shard's nodes and of kube-state-metrics.
  const { allNodes, nodes, nodeMatcher, presence, indexed, narrowed } = await nodesOfShard(
    queries,
    grid,
    shard,
    identity,
    warnings,
  );

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

  // 3. Where each candidate is bound: the first node by name decides its shard ("" -> shard 0). Its pod
  // labels come in the same request (pod_nodes_labels.promql: the candidates' uid regex compiled once):
  // the kept pods' rows, in their order, are pod_labels' answer for them.
  const uids = [...new Set([...candidates.values()].map((m) => m.uid!))];
  const { podNodes, podLabels } =
    uids.length > 0
      ? await queries.podNodesAndLabels(
          [...metering.team.podLabels, ...metering.project.podLabels],
          whole,
          uidMatcher(uids),
        )
      : { podNodes: [], podLabels: [] };
  const boundTo = new Map<string, string>();
  for (const s of podNodes) {
    const node = s.metric.node ?? '';
    const id = podKey(s.metric);
    const current = boundTo.get(id);
    if (node !== '' && (current === undefined || compareStrings(node, current) < 0)) boundTo.set(id, node);
  }
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
  // Only pods with a claim series in the window (pod_claims) have raw claim samples to read.
  const claimed = new Set(claims.map((s) => podKey(s.metric)));
  const claimUids = [...new Set([...kept].filter(([id]) => claimed.has(id)).map(([, m]) => m.uid!))];
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
  // The exported_pod branch only for the pods an exported series names (from the index, when it answers).
  let exported = names;
  let narrowedIndex = narrowed;
  if (indexed && names.length > 0) {
    const found = await exportedNames(queries, grid, names);
    exported = found.names;
    if (found.unlisted.length > 0) {
      narrowedIndex = true;
      warnings.push(
        `Prometheus: the series endpoint lists ${found.unlisted.length} exported_pod name(s) fewer than ` +
          `dcgm-exporter's samples over the day show (${listShort(found.unlisted)}): it narrows its time ` +
          "range (as Mimir's -store.max-labels-query-length does); the shard reads the DCGM series of every " +
          'one of its pods instead, and asks that endpoint nothing more',
      );
    }
  }
  const exportedRegex = exported.length > 0 ? literalAlternation(exported) : NO_POD;
  const matchers: ShardMatchers = {
    uids: keptUids.length > 0 ? uidMatcher(keptUids) : `, uid="${NO_POD}"`,
    claimUids: claimUids.length > 0 ? uidMatcher(claimUids) : `, uid="${NO_POD}"`,
    nodes: nodeMatcher,
    exportedPods: `, exported_pod=~"${exportedRegex}"`,
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
    ...(options.gpuUtilPods === false ? { gpuUtilPods: false } : {}),
    known: {
      ...presence,
      podRequests: keep(podRequests),
      podInitRequests: keep(podInitRequests),
      podNodes: keep(podNodes),
      podLabels: keep(podLabels),
    },
  });
  const gpuUtilScope: GpuUtilScope = {
    matchers: { exportedPods: matchers.exportedPods, pods: matchers.pods },
    exportedPods: new Set(exported),
    pods: new Set(names),
    ...(narrowedIndex ? { narrowedIndex: true } : {}),
  };
  return { answers, warnings, gpuUtilScope };
}

/**
 * The day's node names (sorted), the shard's nodes and their matcher, and what the shard knows of presence
 * (node_presence of its nodes, ksm_presence) before asking anything else.
 *
 * With source.stepEvaluation "adapter", the day's nodes come from Prometheus' index (node_index: the
 * label sets of the node series with samples in the window, no sample read), the shard reads only its own
 * nodes' series raw (node presence), and kube-state-metrics presence is completed from the whole fleet
 * only where the shard's nodes cannot tell it (shardKsmPresence). The index is checked against the nodes
 * whose kube_node_info samples the query API shows up to the day's end (node_names): a node it lacks
 * would be no shard's. When the index request fails (a backend without the series endpoint, or one that
 * refuses it), when it lacks a node (`narrowed`: the endpoint is asked nothing more), or with
 * "prometheus", every node series is read as before.
 */
async function nodesOfShard(
  queries: PrometheusQueries,
  grid: StepGrid,
  shard: Shard,
  identity: SeriesIdentity,
  warnings: string[],
): Promise<{
  allNodes: string[];
  nodes: string[];
  nodeMatcher: string;
  presence: Partial<WindowAnswers>;
  /** The series endpoint answered, and listed every node (the shard may ask it more). */
  indexed: boolean;
  /** The series endpoint answered but lacked nodes with samples: it is not asked again. */
  narrowed: boolean;
}> {
  const over = rangesOf(grid).window;
  const windowMs = grid.stepMs - 1;
  const namesOf = (list: Record<string, string>[]) =>
    [...new Set(list.map((m) => m.node ?? '').filter((n) => n !== ''))].sort(compareStrings);
  const ownOf = (allNodes: string[]) => {
    const nodes = allNodes.filter((n) => shardOfNode(n, shard.count) === shard.index);
    const nodeMatcher = nodes.length > 0 ? `, node=~"${literalAlternation(nodes)}"` : `, node="${NO_POD}"`;
    return { allNodes, nodes, nodeMatcher };
  };
  if (queries.stepEvaluation === 'adapter') {
    let index: Record<string, string>[] | undefined;
    let narrowed = false;
    try {
      index = await queries.seriesIndex('node_index', {
        startMs: over.startMs - windowMs,
        endMs: over.endMs,
      });
    } catch (error) {
      warnings.push(
        `Prometheus: the series endpoint did not answer (${(error as Error).message}); ` +
          'every shard of the day reads every node series instead',
      );
    }
    // A node the index lacks would be no shard's: its capacity and its pods' node would go unbilled. Checked
    // up to the day's end only: samples of the margin after it may still arrive between the two requests
    // (a day is metered from guard.ingestionDelaySeconds after its end), and a node seen only there bills
    // nothing in the day.
    const checked = { startMs: over.startMs - windowMs, endMs: rangesOf(grid).day.endMs };
    // Likewise a kube-state-metrics replica the index lacks (one whose node series all lie in the hours
    // the endpoint dropped, such as a replica restarted with a new pod IP) would be missing from the
    // presence shardKsmPresence completes: the replicas, each the values of the labels that tell them
    // apart together, are checked the same way, in one request.
    const replicaLabels = replicaKeyLabels(identity);
    const found = index
      ? await Promise.all([
          unlistedValues(queries, 'node_names', 'node', checked, new Set(namesOf(index))).then((unlisted) =>
            unlisted.length > 0 ? `${unlisted.length} node(s) fewer (${listShort(unlisted)})` : '',
          ),
          unlistedReplicas(queries, replicaLabels, checked, index).then((unlisted) =>
            unlisted.length > 0
              ? `no node series of kube-state-metrics replica(s) ${listShort(unlisted.map(selectorText))}`
              : '',
          ),
        ])
      : [];
    const missing = found.filter((what) => what !== '');
    if (missing.length > 0) {
      index = undefined;
      narrowed = true;
      const what = missing.join(' and ');
      warnings.push(
        `Prometheus: against kube-state-metrics' node series over the day, the series endpoint lists ${what}: ` +
          "it narrows its time range (as Mimir's -store.max-labels-query-length does); every shard of the day " +
          'reads every node series and every DCGM pod series of its pods instead, and asks that endpoint nothing more',
      );
    }
    // node_labels and node_info of the shard's nodes come from the same raw read of their node series
    // (queries.ts presenceFromRaw with the whole window), not from requests of their own.
    const whole = { startMs: grid.startMs, endMs: grid.endMs };
    if (index) {
      const own = ownOf(namesOf(index));
      const mine =
        own.nodes.length > 0
          ? await queries.presenceFromRaw(over, windowMs, { nodes: own.nodeMatcher }, whole)
          : { nodePresence: [], ksmPresence: [], nodeLabels: [], nodeInfo: [] };
      const ksmPresence = await shardKsmPresence(queries, over, windowMs, mine.ksmPresence, index, identity);
      return {
        ...own,
        presence: {
          nodePresence: mine.nodePresence,
          ksmPresence,
          ...(mine.nodeLabels && mine.nodeInfo
            ? { nodeLabels: mine.nodeLabels, nodeInfo: mine.nodeInfo }
            : {}),
        },
        indexed: true,
        narrowed,
      };
    }
    const { nodeLabels, nodeInfo, ...presence } = await queries.presenceFromRaw(over, windowMs, {}, whole);
    const own = ownOf(namesOf(presence.nodePresence.map((s) => s.metric)));
    // Every node's series were read: the shard's are those its node matcher (literal names) selects.
    const ownNodes = new Set(own.nodes);
    const mineOnly = (list: PromSeries[]) => list.filter((s) => ownNodes.has(s.metric.node ?? ''));
    return {
      ...own,
      presence: {
        ...presence,
        ...(nodeLabels && nodeInfo ? { nodeLabels: mineOnly(nodeLabels), nodeInfo: mineOnly(nodeInfo) } : {}),
      },
      indexed: false,
      narrowed,
    };
  }
  const nodePresence = await queries.range('node_presence', { window: durationMs(windowMs) }, over);
  return {
    ...ownOf(namesOf(nodePresence.map((s) => s.metric))),
    presence: { nodePresence },
    indexed: false,
    narrowed: false,
  };
}

/**
 * The values of `label` with samples in `window` (`name`: node_names, dcgm_exported_names) that the series
 * endpoint's `listed` values lack, sorted. The query is asked of the query API with `label!~` the listed
 * values ({{unlisted}}): only the samples of series it lacks are read. None unless that endpoint answered
 * for less than the window: it lists every series with samples in it, and the query API's range selection
 * is the same window or, in Prometheus 3 (left-open), within it.
 */
async function unlistedValues(
  queries: PrometheusQueries,
  name: 'node_names' | 'dcgm_exported_names',
  label: string,
  window: { startMs: number; endMs: number },
  listed: ReadonlySet<string>,
): Promise<string[]> {
  const sorted = [...listed].sort(compareStrings);
  const unlisted = sorted.length > 0 ? `, ${label}!~"${literalAlternation(sorted)}"` : '';
  const seen = await queries.overWindow(name, { unlisted, label }, window);
  // "" is a value too: series without the label, when every listed one had it (a replica label).
  return [...new Set(seen.map((s) => s.metric[label] ?? ''))]
    .filter((v) => !listed.has(v))
    .sort(compareStrings);
}

/**
 * The labels whose values together tell kube-state-metrics replicas apart, as ksm_presence groups them:
 * the cluster label, then source.dedupeLabels and `instance` (identity.ksmReplicaLabels).
 */
function replicaKeyLabels(identity: SeriesIdentity): string[] {
  return [
    ...new Set([...(identity.clusterLabel ? [identity.clusterLabel] : []), ...identity.ksmReplicaLabels]),
  ];
}

/** `{label="value", …}` of a replica's non-empty labels, for a warning. */
function selectorText(replica: Record<string, string>): string {
  const set = Object.entries(replica).filter(([, v]) => v !== '');
  return `{${set.map(([l, v]) => `${l}=${quotedValue(v)}`).join(', ')}}`;
}

/**
 * The matchers ({{unlisted}} of node_names) that together select exactly the series whose values of
 * `labels` (in order; "" for an absent label) are none of `known`'s tuples, by the index alone: for each
 * prefix of a known tuple (the empty one first), its labels equal to it and the next label none of the
 * values that follow it in a known tuple. A series of an unknown tuple leaves the known ones at one label
 * after a known prefix, so exactly one term selects it; a series of a known tuple, none. No known tuple:
 * one term without matchers (every series). Checking each label's values alone misses a tuple whose
 * every value another tuple shows (replicas `a`/`b` on instances `x`/`y`, `a` on `y` unknown).
 */
export function unknownTupleMatchers(
  labels: readonly string[],
  known: readonly (readonly string[])[],
): string[] {
  if (known.length === 0) return [''];
  const terms: string[] = [];
  for (let depth = 0; depth < labels.length; depth++) {
    const next = new Map<string, { prefix: readonly string[]; values: Set<string> }>();
    for (const tuple of known) {
      const prefix = tuple.slice(0, depth);
      const key = JSON.stringify(prefix);
      let entry = next.get(key);
      if (!entry) next.set(key, (entry = { prefix, values: new Set() }));
      entry.values.add(tuple[depth] ?? '');
    }
    for (const key of [...next.keys()].sort(compareStrings)) {
      const { prefix, values } = next.get(key)!;
      terms.push(
        prefix.map((value, i) => `, ${labels[i]}=${quotedValue(value)}`).join('') +
          `, ${labels[depth]}!~"${literalAlternation([...values].sort(compareStrings))}"`,
      );
    }
  }
  return terms;
}

/**
 * The kube-state-metrics replicas (the values of `labels`, "" for an absent label) with node series
 * samples in `window` that the series endpoint's `index` lacks, asked in one request of the query API
 * (node_names grouped by `labels`, one term of unknownTupleMatchers each, joined with `or`): none read a
 * sample when the index lists every replica.
 */
async function unlistedReplicas(
  queries: PrometheusQueries,
  labels: readonly string[],
  window: { startMs: number; endMs: number },
  index: readonly Record<string, string>[],
): Promise<Record<string, string>[]> {
  if (labels.length === 0) return [];
  const tupleOf = (metric: Record<string, string>) => labels.map((label) => metric[label] ?? '');
  const known = new Map(
    index.map((m) => {
      const tuple = tupleOf(m);
      return [JSON.stringify(tuple), tuple];
    }),
  );
  const terms = unknownTupleMatchers(labels, [...known.values()]);
  const label = labels.join(', ');
  const seen = await queries.overWindow(
    'node_names',
    terms.map((unlisted) => ({ label, unlisted })),
    window,
  );
  const unlisted = new Map<string, Record<string, string>>();
  for (const { metric } of seen) {
    const key = JSON.stringify(tupleOf(metric));
    if (!known.has(key)) unlisted.set(key, Object.fromEntries(labels.map((l) => [l, metric[l] ?? ''])));
  }
  return [...unlisted.keys()].sort(compareStrings).map((key) => unlisted.get(key)!);
}

/**
 * Of the shard's pod `names`, those that a dcgm-exporter series with samples in the grid's window names in
 * exported_pod (dcgm_exported_index, from the series endpoint: no sample read). Every series the
 * exported_pod branch of the utilization reads would select for the shard is one of theirs. When the index
 * does not answer, every name. The index is checked against the query API (dcgm_exported_names: the
 * exported_pod names with samples in the window that it lacks, anywhere in the fleet; no sample read when
 * it lacks none): when it lacks one (`unlisted`: an endpoint that narrows its time range), every name.
 */
async function exportedNames(
  queries: PrometheusQueries,
  grid: StepGrid,
  names: string[],
): Promise<{ names: string[]; unlisted: string[] }> {
  const window = { startMs: grid.startMs, endMs: grid.endMs };
  let index: Record<string, string>[];
  try {
    index = await queries.seriesIndex('dcgm_exported_index', window);
  } catch {
    return { names, unlisted: [] };
  }
  const named = new Set(index.map((m) => m.exported_pod ?? '').filter((n) => n !== ''));
  // Up to the day's end only (utilization is read within the day): later samples may still be arriving.
  const checked = { startMs: grid.startMs, endMs: rangesOf(grid).day.endMs };
  const unlisted = await unlistedValues(queries, 'dcgm_exported_names', 'exported_pod', checked, named);
  if (unlisted.length > 0) return { names, unlisted };
  return { names: names.filter((n) => named.has(n)), unlisted };
}

/**
 * kube-state-metrics presence (ksm_presence: per cluster and replica, the steps at which any node series
 * had a sample) as the whole day computes it, from a shard that read only its own nodes' series (`own`:
 * ksm_presence counted over them). Where `own` has a point, the whole day has one too; so only the steps at
 * which some replica of the index (`index`: every node series' labels with samples in the window) has no
 * point in `own` are asked of Prometheus, over every node (ksm_presence evaluated by Prometheus on runs of
 * those steps; one range over all of them when they are scattered). A node that disappears, a shard
 * without nodes, a replica that exported none of the shard's nodes: their steps are asked, so presence is
 * exactly the whole day's. The points' values are not the whole day's counts (nothing reads them).
 */
export async function shardKsmPresence(
  queries: PrometheusQueries,
  over: RangeWindow,
  windowMs: number,
  own: PromSeries[],
  index: Record<string, string>[],
  identity: SeriesIdentity,
): Promise<PromSeries[]> {
  const by = replicaKeyLabels(identity);
  const keyOf = (metric: Record<string, string>) => by.map((name) => metric[name] ?? '').join('\u0000');
  const asked = gapRanges(stepGaps(own, index, keyOf, over).gap, over);
  if (asked.length === 0) return own;
  const answers: PromSeries[] = [];
  for (const range of asked)
    answers.push(...(await queries.range('ksm_presence', { window: durationMs(windowMs) }, range)));
  const merged = new Map<string, { metric: Record<string, string>; points: Map<number, number> }>();
  for (const s of [...own, ...answers]) {
    const key = keyOf(s.metric);
    let group = merged.get(key);
    if (!group) merged.set(key, (group = { metric: s.metric, points: new Map() }));
    for (let i = 0; i < s.points.length; i++) group.points.set(s.points.tAt(i), s.points.vAt(i));
  }
  return sortLikePrometheus(
    [...merged.values()].map(({ metric, points }) => ({
      metric,
      points: SamplePoints.of([...points].sort((a, b) => a[0] - b[0])),
    })),
  );
}
