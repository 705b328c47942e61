import { ownValue } from '../records.ts';
import type { CapacityType } from '../types.ts';
import { firstLabel } from './attribution.ts';
import type { GpuCatalogEntry, MeterOptions } from './options.ts';
import { describeNode } from './refs.ts';
import { warningText } from '../warningText.ts';

/** What a node is: its instance type and capacity type from its labels, and its catalog entry. */
export interface NodeIdentity {
  cluster: string;
  node: string;
  instanceType: string;
  capacityType: CapacityType;
  /** GPUs and model of the instance type in the cluster's catalog, else the global one. */
  catalog: GpuCatalogEntry | undefined;
}

/**
 * Identifies a node from its kube_node_labels. Warns (for a named node) when it has no labels, no
 * instance-type label, or an instance type in neither catalog: its MIG and time-slicing weights then
 * rest on guesses.
 */
export function identifyNode(
  cluster: string,
  node: string,
  labels: Record<string, string> | undefined,
  options: Pick<MeterOptions, 'nodeLabels' | 'instanceTypes' | 'instanceTypesByCluster'>,
  warnings: Set<string>,
): NodeIdentity {
  const describe = describeNode({ cluster, node });
  const instanceType = firstLabel(labels, options.nodeLabels.instanceType) ?? 'unknown';
  const capacityType = capacityTypeOf(labels, options.nodeLabels);
  const catalog = catalogEntryOf(options, cluster, instanceType);
  if (node !== '' && !labels) warnings.add(warningText('nodeNoLabels', { node: describe }));
  else if (node !== '' && instanceType === 'unknown')
    warnings.add(warningText('nodeNoInstanceType', { node: describe }));
  else if (node !== '' && !catalog) {
    warnings.add(warningText('nodeInstanceTypeNotInCatalog', { instanceType, node: describe }));
  }
  return { cluster, node, instanceType, capacityType, catalog };
}

/**
 * The catalog entry of `instanceType` for a node of `cluster`: the cluster's own catalog
 * (pricing.byCluster) first, else the global one — the same rule as its price.
 */
export function catalogEntryOf(
  options: Pick<MeterOptions, 'instanceTypes' | 'instanceTypesByCluster'>,
  cluster: string,
  instanceType: string,
): GpuCatalogEntry | undefined {
  return (
    options.instanceTypesByCluster.get(cluster)?.get(instanceType) ?? options.instanceTypes.get(instanceType)
  );
}

/**
 * Built-in meanings of capacity-type labels whose values are not capacity-type words: GKE marks Spot
 * and preemptible VMs with `cloud.google.com/gke-spot="true"` / `cloud.google.com/gke-preemptible="true"`,
 * AKS marks scale-set priority with `kubernetes.azure.com/scalesetpriority=spot|regular`.
 */
const BUILT_IN_VALUES: ReadonlyMap<string, ReadonlyMap<string, Exclude<CapacityType, 'unknown'>>> = new Map([
  ['label_cloud_google_com_gke_spot', new Map([['true', 'spot']])],
  ['label_cloud_google_com_gke_preemptible', new Map([['true', 'spot']])],
  [
    'label_kubernetes_azure_com_scalesetpriority',
    new Map([
      ['spot', 'spot'],
      ['regular', 'on-demand'],
    ]),
  ],
]);

/**
 * The capacity type of a node: the first of the configured labels whose value means one — through the
 * configured value map (metering.nodeLabels.capacityTypeValues), else the built-in meaning of that label
 * (GKE, AKS), else the Karpenter/EKS words ({@link toCapacityType}); "unknown" when none does.
 */
export function capacityTypeOf(
  labels: Record<string, string> | undefined,
  nodeLabels: MeterOptions['nodeLabels'],
): CapacityType {
  if (!labels) return 'unknown';
  for (const name of nodeLabels.capacityType) {
    const value = ownValue(labels, name);
    if (!value) continue;
    const configured = nodeLabels.capacityTypeValues?.get(name)?.get(value);
    const type = configured ?? BUILT_IN_VALUES.get(name)?.get(value) ?? toCapacityType(value);
    if (type !== 'unknown') return type;
  }
  return 'unknown';
}

/** Maps Karpenter (spot/on-demand/reserved) and EKS (SPOT/ON_DEMAND/CAPACITY_BLOCK) label values. */
export function toCapacityType(value: string | undefined): CapacityType {
  switch ((value ?? '').toLowerCase().replace(/_/g, '-')) {
    case 'spot':
      return 'spot';
    case 'on-demand':
      return 'on-demand';
    case 'reserved':
    case 'capacity-block':
      return 'reserved';
    default:
      return 'unknown';
  }
}
