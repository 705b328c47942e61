import { compareStrings } from '../compare.ts';
import type { InvoiceCosts, InvoiceInstance } from '../billing/ledger.ts';
import type { InvoicePricedResolver } from './invoicePrices.ts';
import type { CapacityType, MeteredDay, NodeUsage, PodUsage, PricingCategory } from '../types.ts';

/**
 * The cluster name of GPU instances that are on the invoice but in no cluster (x_Cluster of their rows,
 * a key of summary.byCluster). Not a valid Kubernetes cluster label value of the simulator or a real
 * cluster (it has no dot, but the parentheses-free name is deliberate: it is also a file-safe word).
 */
export const OUTSIDE_CLUSTERS = 'outside-kubernetes';

/** The GPUs of an instance type (the catalog's or billing.gpuInstanceTypes'), or null for a type without GPUs. */
export type GpusOfType = (instanceType: string) => { gpus: number; gpuModel: string } | null;

/** Options of {@link withInstancesOutsideClusters}. */
export interface OutsideClusterOptions {
  gpusOf: GpusOfType;
  /** Project of an instance without a project tag. */
  defaultProject: string;
}

/**
 * GPU instances on the invoice that no cluster reported on a day the export covers: charged to the team
 * their team tag names (rows of cluster {@link OUTSIDE_CLUSTERS}, a pseudo pod per instance holding all
 * its GPUs for the time it ran), or, untagged, left uncharged and listed in the reconciliation.
 */
export interface OutsideClusterResult {
  /** The days with a node and a pod usage per tagged instance and charge period appended. */
  days: MeteredDay[];
  /** Pseudo nodes added (their capacity must be priced from the invoice too). */
  nodes: NodeUsage[];
}

/**
 * Appends, to each day, the GPU instances of the invoice that no cluster reported that day and that are
 * tagged with a team: one pseudo node (its physical GPUs × the seconds it ran, per the export) and one
 * pseudo pod holding all of it, for the team of its tag. Their rows then carry the instance's invoice
 * cost exactly, like any node's. Untagged ones are not charged (the reconciliation names them).
 */
export function withInstancesOutsideClusters(
  days: readonly MeteredDay[],
  costs: InvoiceCosts,
  resolver: InvoicePricedResolver,
  covered: ReadonlySet<string>,
  options: OutsideClusterOptions,
): OutsideClusterResult {
  const extraNodes = new Map<string, NodeUsage[]>();
  const extraPods = new Map<string, PodUsage[]>();
  const added: NodeUsage[] = [];
  for (const instance of costs.instances.values()) {
    if (instance.team === null) continue;
    const gpus = options.gpusOf(instance.instanceType);
    if (!gpus) continue;
    for (const p of instance.periods) {
      const period = costs.chargePeriods[p.period]!;
      if (!covered.has(period.date) || resolver.isMatched(instance.key, period.date)) continue;
      const seconds = Math.round(p.usageSeconds * 1000) / 1000;
      if (!(seconds > 0) || p.cost.numerator <= 0n) continue;
      const node = pseudoNode(instance, period, seconds, gpus, categoryOf(p.byCategory));
      const pod = pseudoPod(instance, node, options.defaultProject);
      (extraNodes.get(period.date) ?? extraNodes.set(period.date, []).get(period.date)!).push(node);
      (extraPods.get(period.date) ?? extraPods.set(period.date, []).get(period.date)!).push(pod);
      added.push(node);
    }
  }
  if (added.length === 0) return { days: [...days], nodes: [] };
  const out = days.map((day) => {
    const nodes = extraNodes.get(day.day.date);
    if (!nodes) return day;
    return {
      ...day,
      nodes: [...day.nodes, ...nodes].sort(
        (a, b) =>
          a.chargePeriod.startMs - b.chargePeriod.startMs ||
          compareStrings(a.cluster, b.cluster) ||
          compareStrings(a.node, b.node),
      ),
      pods: [...day.pods, ...extraPods.get(day.day.date)!],
    };
  });
  return { days: out, nodes: added };
}

/** The pricing category that carries most of a period's cost. */
function categoryOf(byCategory: Partial<Record<PricingCategory, unknown>>): CapacityType {
  if (byCategory.Dynamic && !byCategory.Standard && !byCategory.Committed) return 'spot';
  if (byCategory.Committed && !byCategory.Standard && !byCategory.Dynamic) return 'reserved';
  return 'on-demand';
}

function pseudoNode(
  instance: InvoiceInstance,
  period: NodeUsage['chargePeriod'],
  seconds: number,
  gpus: { gpus: number; gpuModel: string },
  capacityType: CapacityType,
): NodeUsage {
  const gpuSeconds = seconds * gpus.gpus;
  return {
    cluster: OUTSIDE_CLUSTERS,
    node: instance.resourceId,
    chargePeriod: period,
    instanceType: instance.instanceType,
    capacityType,
    presentSeconds: seconds,
    capacityGpuSeconds: gpuSeconds,
    allocatedGpuSeconds: gpuSeconds,
    idleGpuSeconds: 0,
    gpus: gpus.gpus,
    gpuModel: gpus.gpuModel,
    gpuSource: 'catalog',
    providerId: instance.resourceId,
  };
}

function pseudoPod(instance: InvoiceInstance, node: NodeUsage, defaultProject: string): PodUsage {
  return {
    pod: { cluster: OUTSIDE_CLUSTERS, namespace: '', pod: instance.resourceId, uid: instance.resourceId },
    node: node.node,
    chargePeriod: node.chargePeriod,
    gpuResource: 'instance',
    requested: node.gpus,
    weight: { numerator: 1, denominator: 1 },
    gpuEquivalents: node.gpus,
    heldSeconds: node.presentSeconds,
    bridgedSeconds: 0,
    gpuSeconds: node.capacityGpuSeconds,
    utilization: null,
    utilizationSource: 'none',
    team: instance.team!,
    project: instance.project ?? defaultProject,
    teamSource: 'default',
    phase: 'Running',
  };
}
