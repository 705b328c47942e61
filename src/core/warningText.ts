import { fill } from './fill.ts';

/**
 * Every warning the core writes, by code: the English sentence with its `{parameters}`. A warning is
 * written only through {@link warningText}, so each line of summary.json's `warnings` (and of a daily
 * partial's) is one of these sentences filled with its parameters, possibly behind a day prefix
 * (`onDay`/`onDays`). templates/en.json's `warnings` section is this table (a test keeps them equal);
 * templates/ko.json translates it, and the PDF reads a warning back into its code and parameters
 * (src/render/warnings.ts) to print it in the report's language.
 */
export const WARNING_TEMPLATES = {
  onDay: '{date}: {warning}',
  onDays: '{first}..{last} ({count} days): {warning}',
  noMeteredDays: 'no metered data for {count} day(s): {dates}',
  migSlicesAssumed:
    'node {node}: GPU model {model} not in metering.migSlicesPerGpu; MIG weights assume {slices} slices per GPU',
  migSingleUnknownProfile:
    'node {node}: MIG single strategy with an unknown profile (GFD gpu.product {product}); each unit weighted {physical}/{advertised}',
  wholeGpusBesideFullMig:
    'node {node} advertises whole GPUs although MIG uses all {physical} of its GPUs; whole GPUs weighted 1',
  timeSlicingUndetectable:
    'node {node}: physical GPU count unknown, time-slicing cannot be detected; whole GPUs weighted 1',
  migSharedReplicasAssumed:
    'node {node}: replicas of {resource}_shared unknown (GFD label nvidia.com/mig-<profile>.replicas not exported); {replicas} assumed so its MIG devices fit {gpus} GPUs',
  migSharedReplicasAssumedNoGpuCount:
    'node {node}: replicas of {resource}_shared unknown (GFD label nvidia.com/mig-<profile>.replicas not exported); {replicas} assumed so its MIG devices fit its GPUs',
  nodePodsBounded:
    "node {node}: its pods held more GPUs than it had (or it did not exist) for {seconds} s on {date}; each was bounded to its share of the node's capacity at each grid interval",
  nodeNoLabels: 'node {node} has no kube_node_labels; instance type "unknown"',
  nodeNoInstanceType: 'node {node} has no instance-type label; instance type "unknown"',
  nodeInstanceTypeNotInCatalog:
    'instance type "{instanceType}" of node {node} is not in the price catalog; no GPU model for MIG or time-slicing weights',
  nodeOverAllocated: 'node {node}: allocated GPUs exceed reported capacity for {seconds} s on {date}',
  nodeOverAllocatedNoCapacity:
    'node {node}: allocated GPUs exceed reported capacity for {seconds} s on {date} (node reports no GPU capacity)',
  nodeNotCountable:
    'node {node} advertises {resources} but no GPU metering can count (no catalog entry, GFD nvidia.com/gpu.count label or metering.physicalGpus rule); not billed',
  pointsOffGrid:
    '{count} observation point(s) were not on the {stepMs} ms grid of the window and were ignored',
  nodeTwoInstances:
    'node {node} names two cloud instances ({previous}, {providerId}) in one day; invoice lines are matched to {providerId}',
  shardCoverageDiffers:
    'the shards of {date} were metered from different kube-state-metrics coverage ({coverages}); the lowest is reported',
  migProfileDoesNotFit:
    'node {node}: MIG profile {resource} does not fit a GPU of {slices} slices; not metered',
  podPendingNoNode: 'pod {pod} was Pending with no known node; not charged',
  podNoRequestData:
    'pod {pod} held a node in {date} but has no GPU request data; not charged (a DRA claim: run dcgm-exporter with --kubernetes-enable-dra so its GPUs are attributed)',
  podNoNode: 'pod {pod} has no node in kube_pod_info; metered on node "" (unknown instance type)',
  podUninterpretableGpuResource:
    'pod {pod} requests {resource}, which metering cannot interpret as GPUs; not charged (its share of the node is idle "unknown-resource")',
  podNonGpuResource: 'pod {pod} requests {resource}, which is not a GPU resource; not charged',
  podRequestAboveNode:
    'pod {pod} requests {requested} {resource}, more than node {node} has ({gpus} GPUs); bounded to {bounded}',
  podSeveralNodes: 'pod {pod} is bound to several nodes ({nodes}); metered on {node}',
  draClaimWithoutPod:
    'dcgm-exporter attributes GPU {device} to pod {pod} through DRA claim {claim}, but no Running pod of that name has kube_pod_resourceclaim_info (kube-state-metrics); not billed to a pod',
  draClaimSeveralPods: 'several Running pods are named {pod}; DRA claim {claim} is billed to uid {uid}',
  nodeOverCapacityScaled:
    "node {node}: pods held {gpuHours} GPU-hours more than its capacity in {periods} charge period(s); their costs were scaled down to the node's capacity cost",
  nodeNoCapacityRecord:
    'node {node} has no capacity record; {count} pod usage row(s) on it are not charged (cost 0)',
  gpuCountMismatch:
    'GPU count mismatch for {instanceType}: catalog says {catalogGpus} GPUs, node {node} reports {gpus}; the per-GPU rate uses the catalog count',
  rowsWithoutUtilization:
    '{count} pod usage row(s) have no utilization data; their full held time was charged as Direct',
  capacityTypeUnknown: 'capacity type of {instanceType} nodes is unknown; On-Demand price used',
  noSpotPrice: 'no Spot price for {instanceType}; Spot capacity charged at On-Demand',
  noCommittedPrice: 'no committed price for {instanceType}; reserved capacity charged at On-Demand',
  priceFallbackUsed:
    'instance type "{instanceType}" is not in the price catalog; pricing.fallback used (rows flagged x_PriceFallback=true)',
  noFallbackSpotPrice: 'no Spot price in pricing.fallback; Spot {instanceType} capacity charged at On-Demand',
  nodeGpuCountGuessed:
    'node {node}: physical GPU count unknown (instance type "{instanceType}" not in the price catalog, no GPU feature discovery nvidia.com/gpu.count label, no metering.physicalGpus rule); billed as the {gpus} GPU(s) it advertised: {gpuHours} GPU-hours, {amount} this month at stake',
  nodeGpusNotAdvertised:
    'node {node}: {gpuHours} GPU-hours ({amount}) of its {gpus} physical GPU(s) were not advertised (device plugin down, or GPUs managed by a DRA driver and not attributed to a pod); idle "not-advertised"',
  nodeUnknownResource:
    'node {node} advertises {resources} that metering cannot interpret: {gpuHours} GPU-hours ({amount}) idle "unknown-resource"',
  nodeUnknownResourceUnnamed:
    'node {node} advertises a resource that metering cannot interpret: {gpuHours} GPU-hours ({amount}) idle "unknown-resource"',
  uidSeveralPods:
    'uid {uid} is carried by {count} pods — a copied or restored object? They are metered and billed apart: {bills}; together {amount}. Check that the copy really ran',
  uidSeveralPodsInCluster:
    'uid {uid} (cluster {cluster}) is carried by {count} pods — a copied or restored object? They are metered and billed apart: {bills}; together {amount}. Check that the copy really ran',
  uidPodBill: '{pod} team {team}: {amount}',
  podBoundedOnDay:
    "pod {pod} on node {node} held more than the node could give (requested {requests}; {date}): bounded to the node's capacity at each grid interval, billed {gpuHours} GPU-hours, {amount}",
  podBoundedOnDays:
    "pod {pod} on node {node} held more than the node could give (requested {requests}; {first}..{last} ({count} days)): bounded to the node's capacity at each grid interval, billed {gpuHours} GPU-hours, {amount}",
  budgetWithoutSpend:
    'report.budgets has a budget for team "{team}", which has no GPU spend in {month}: its whole budget counts as unused; if the team did not run this month that is right, otherwise check the name',
} as const;

/** A warning's code: a key of {@link WARNING_TEMPLATES}. */
export type WarningCode = keyof typeof WARNING_TEMPLATES;

/** A warning's parameters: labels, dates, counts and amounts, as they are printed. */
export type WarningParams = Readonly<Record<string, string | number>>;

/** The English sentence of warning `code` with its parameters: the only way the core writes a warning. */
export function warningText(code: WarningCode, params: WarningParams): string {
  return fill(WARNING_TEMPLATES[code], params);
}
