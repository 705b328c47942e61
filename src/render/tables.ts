import type { Fraction, MeteredDay, NodeUsage, PodUsage } from '../core/types.ts';
import { type CellKind, CsvEncoder, csvChunks, isoFormatter, memo, numberCell } from './csv.ts';
import { compareStrings } from '../core/compare.ts';
import { IDLE_REASONS } from '../core/idleReasons.ts';

/**
 * Metering's tables as the pricing stage consumed them, for audit: usage.csv (per pod × GPU resource ×
 * charge period) and nodes.csv (per node × charge period: physical GPUs, where their count came from,
 * capacity, allocation, idle, and idle by reason). Same CSV format as the chargeback file (RFC 4180,
 * UTF-8, CRLF, text cells neutralized against formula injection). Rows follow the days' order, then charge
 * period, cluster, namespace, pod, uid, resource (usage) or cluster, node (nodes).
 */

/** Columns of usage.csv. */
export const USAGE_COLUMNS = [
  'ChargePeriodStart',
  'ChargePeriodEnd',
  'x_Cluster',
  'x_Team',
  'x_Project',
  'x_TeamSource',
  'x_Namespace',
  'x_Pod',
  'x_PodUid',
  'ResourceId',
  'x_GpuResource',
  'x_Requested',
  'x_Weight',
  'x_GpuEquivalents',
  'x_Phase',
  'x_HeldSeconds',
  'x_BridgedSeconds',
  'x_GpuSeconds',
  'x_GpuHours',
  'x_GpuUtilizationPct',
  'x_UtilizationSource',
] as const;

/** What each usage.csv column holds (see CellKind): numbers, pod names and uids (unique), text. */
const USAGE_KINDS: readonly CellKind[] = USAGE_COLUMNS.map((name) =>
  [
    'x_Requested',
    'x_GpuEquivalents',
    'x_HeldSeconds',
    'x_BridgedSeconds',
    'x_GpuSeconds',
    'x_GpuHours',
    'x_GpuUtilizationPct',
  ].includes(name)
    ? 'number'
    : name === 'x_Pod' || name === 'x_PodUid'
      ? 'unique'
      : 'text',
);

/** Columns of nodes.csv. */
export const NODES_COLUMNS = [
  'ChargePeriodStart',
  'ChargePeriodEnd',
  'x_Cluster',
  'ResourceId',
  'SkuId',
  'x_CapacityType',
  'x_Gpus',
  'x_PresentSeconds',
  'x_CapacityGpuHours',
  'x_AllocatedGpuHours',
  'x_IdleGpuHours',
  'x_GpuModel',
  'x_GpuCountSource',
  'x_IdleUnallocatedGpuHours',
  'x_IdleMigUnpartitionedGpuHours',
  'x_IdleNotAdvertisedGpuHours',
  'x_IdleUnknownResourceGpuHours',
] as const;

/** nodes.csv's numeric columns: written as printed, so a negative idle keeps its sign unquoted. */
const NODES_NUMBER_COLUMNS: ReadonlySet<string> = new Set([
  'x_Gpus',
  'x_PresentSeconds',
  'x_CapacityGpuHours',
  'x_AllocatedGpuHours',
  'x_IdleGpuHours',
  'x_IdleUnallocatedGpuHours',
  'x_IdleMigUnpartitionedGpuHours',
  'x_IdleNotAdvertisedGpuHours',
  'x_IdleUnknownResourceGpuHours',
]);

/** What each nodes.csv column holds (see CellKind): the numeric columns, and text. */
const NODES_KINDS: readonly CellKind[] = NODES_COLUMNS.map((name) =>
  NODES_NUMBER_COLUMNS.has(name) ? 'number' : 'text',
);

function sortedPods(days: readonly MeteredDay[]): Iterable<PodUsage> {
  return (function* () {
    for (const day of [...days].sort((a, b) => a.day.startMs - b.day.startMs)) {
      const pods = [...day.pods].sort(
        (a, b) =>
          a.chargePeriod.startMs - b.chargePeriod.startMs ||
          compareStrings(a.pod.cluster, b.pod.cluster) ||
          compareStrings(a.pod.namespace, b.pod.namespace) ||
          compareStrings(a.pod.pod, b.pod.pod) ||
          compareStrings(a.pod.uid, b.pod.uid) ||
          compareStrings(a.gpuResource, b.gpuResource) ||
          compareStrings(a.node, b.node),
      );
      yield* pods;
    }
  })();
}

function sortedNodes(days: readonly MeteredDay[]): Iterable<NodeUsage> {
  return (function* () {
    for (const day of [...days].sort((a, b) => a.day.startMs - b.day.startMs)) {
      yield* [...day.nodes].sort(
        (a, b) =>
          a.chargePeriod.startMs - b.chargePeriod.startMs ||
          compareStrings(a.cluster, b.cluster) ||
          compareStrings(a.node, b.node),
      );
    }
  })();
}

/** usage.csv as chunks (one day's pods are sorted at a time). */
export function usageCsvChunks(days: readonly MeteredDay[], zone: string): Iterable<string> {
  const iso = isoFormatter(zone);
  // Cells with few distinct values (GPU counts, MIG weights), formatted once each.
  const count = memo((value: number) => numberCell(value), 10_000);
  const weights = new Map<Fraction, string>();
  const weightCell = (w: Fraction) => {
    let cell = weights.get(w);
    if (cell === undefined) {
      if (weights.size >= 10_000) weights.clear();
      weights.set(w, (cell = `${w.numerator}/${w.denominator}`));
    }
    return cell;
  };
  return csvChunks(
    USAGE_COLUMNS,
    sortedPods(days),
    (p, out) =>
      out.push(
        iso(p.chargePeriod.startMs),
        iso(p.chargePeriod.endMs),
        p.pod.cluster,
        p.team,
        p.project,
        p.teamSource,
        p.pod.namespace,
        p.pod.pod,
        p.pod.uid,
        p.node,
        p.gpuResource,
        count(p.requested),
        weightCell(p.weight),
        count(p.gpuEquivalents),
        p.phase,
        numberCell(p.heldSeconds, 3),
        numberCell(p.bridgedSeconds, 3),
        numberCell(p.gpuSeconds, 3),
        numberCell(p.gpuSeconds / 3600),
        p.utilization === null ? '' : numberCell(p.utilization * 100, 2),
        p.utilizationSource,
      ),
    new CsvEncoder(USAGE_KINDS),
  );
}

/** nodes.csv as chunks. */
export function nodesCsvChunks(days: readonly MeteredDay[], zone: string): Iterable<string> {
  const iso = isoFormatter(zone);
  return csvChunks(
    NODES_COLUMNS,
    sortedNodes(days),
    (n, out) =>
      out.push(
        iso(n.chargePeriod.startMs),
        iso(n.chargePeriod.endMs),
        n.cluster,
        n.node,
        n.instanceType,
        n.capacityType,
        numberCell(n.gpus),
        numberCell(n.presentSeconds, 3),
        numberCell(n.capacityGpuSeconds / 3600),
        numberCell(n.allocatedGpuSeconds / 3600),
        // Idle as metered; an over-allocated node shows a negative value here (warned in summary.json).
        numberCell(n.idleGpuSeconds / 3600),
        n.gpuModel ?? '',
        n.gpuSource ?? '',
        // Idle by reason (src/core/idleReasons.ts); days metered without reasons count all idle unallocated
        // (negative on an over-allocated node, like x_IdleGpuHours).
        ...IDLE_REASONS.map((r) =>
          numberCell((n.idleByReason?.[r] ?? (r === 'unallocated' ? n.idleGpuSeconds : 0)) / 3600),
        ),
      ),
    new CsvEncoder(NODES_KINDS),
  );
}
