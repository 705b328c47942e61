/**
 * The plain data that flows through the pipeline:
 * period -> collect (WindowObservations) -> meter (MeteredDay) -> price, allocate, round (PricedRows)
 * -> aggregate (Summary) -> render.
 * Every timestamp is epoch milliseconds; every range is half-open [startMs, endMs).
 */
import type { ByIdleReason } from './idleReasons.ts';

/** A half-open time range [startMs, endMs) in epoch milliseconds. */
export interface TimeRange {
  startMs: number;
  endMs: number;
}

/** One calendar day of the billing time zone. `date` is the local date, YYYY-MM-DD. */
export interface Day extends TimeRange {
  date: string;
}

/** A calendar month in an IANA time zone; `hours` is 743 or 745 in DST-change months. */
export interface BillingPeriod extends TimeRange {
  /** YYYY-MM */
  month: string;
  zone: string;
  hours: number;
  days: Day[];
}

/**
 * A slice of a day in which every price is constant: a whole day, or part of one when a price
 * changes at an instant inside it. `date` is the local day that contains it.
 */
export interface ChargePeriod extends TimeRange {
  date: string;
}

// ---------------------------------------------------------------------------------------------
// Collect: what an adapter (Prometheus, demo) hands to metering for one window.
// ---------------------------------------------------------------------------------------------

/** Identity of a pod: uid within its cluster. Names are kept for display. Single-cluster setups use cluster "". */
export interface PodRef {
  cluster: string;
  namespace: string;
  pod: string;
  uid: string;
}

/**
 * The step grid of a window. A point at time t (t = startMs + k*stepMs, k = 1..n) means
 * "a raw sample exists in (t - stepMs, t]" and is credited to the interval [t - stepMs, t).
 * Windows of consecutive days therefore partition time exactly.
 */
export interface StepGrid extends TimeRange {
  stepMs: number;
  /**
   * The part of the grid that is billed (the day, without the bridging margins): utilization and DCGM
   * coverage are only used there, so sources need not read them elsewhere. Absent = the whole grid.
   */
  focus?: TimeRange;
}

/** Grid points (ms) at which a pod was observed in a phase. */
export interface PodPhasePoints {
  pod: PodRef;
  tsMs: number[];
}

/** A container's request of one GPU resource (sanitized KSM name, e.g. nvidia_com_gpu, nvidia_com_mig_1g_5gb). */
export interface PodRequest {
  pod: PodRef;
  container: string;
  resource: string;
  value: number;
}

/** Which node a pod is bound to (from kube_pod_info{node!=""}). */
export interface PodNode {
  pod: PodRef;
  node: string;
}

/** Allowlisted labels (KSM spelling, e.g. label_team) of a pod. */
export interface PodLabels {
  pod: PodRef;
  labels: Record<string, string>;
  /**
   * When the source last saw this label set up to the day's end (epoch ms), given where a pod has several
   * sets in the window (its labels changed); absent when not known or not seen in the day. A pod is billed
   * under its set seen last (attributorOf).
   */
  lastSeenMs?: number;
}

export interface NamespaceLabels {
  cluster: string;
  namespace: string;
  labels: Record<string, string>;
  /** As PodLabels.lastSeenMs, for the namespace's label set. */
  lastSeenMs?: number;
}

/** kube_node_labels of a node (e.g. label_node_kubernetes_io_instance_type). */
export interface NodeLabels {
  cluster: string;
  node: string;
  labels: Record<string, string>;
}

/** Grid points at which a node existed (a kube_node_info sample in (t - step, t]). */
export interface NodePresencePoints {
  cluster: string;
  node: string;
  tsMs: number[];
}

/** A restartable init container (native sidecar, restartPolicy Always) of a pod. */
export interface PodSidecar {
  pod: PodRef;
  container: string;
}

/**
 * A GPU (or MIG device) that dcgm-exporter (`--kubernetes-enable-dra`) attributes to a pod through a
 * DRA ResourceClaim in the window: its `dra_claim_name` and the device (UUID, and GPU_I_ID for MIG).
 * Pods are named as dcgm-exporter names them (namespace and pod name, no uid).
 */
export interface DraDevice {
  cluster: string;
  namespace: string;
  pod: string;
  claim: string;
  /** UUID, plus "/" + GPU_I_ID for a MIG device. */
  device: string;
  /** MIG profile of the device (GPU_I_PROFILE or dra_mig_profile, e.g. 1g.5gb); absent = a whole GPU. */
  migProfile?: string;
}

/**
 * The cloud instance behind a node: kube_node_info's `provider_id` (the kubelet's --provider-id, e.g.
 * `aws:///us-east-1a/i-0abc…`, `gce://project/zone/name`, `azure:///subscriptions/…/virtualMachines/N`).
 */
export interface NodeProviderId {
  cluster: string;
  node: string;
  providerId: string;
}

/** GPU capacity of a node for one resource at grid points: [tMs, units]. */
export interface NodeCapacityPoints {
  cluster: string;
  node: string;
  resource: string;
  /** [t ms, units advertised] at grid points (an array, or a source's compact samples). */
  points: Iterable<readonly [number, number]> | CompactPoints;
}

/**
 * [t ms, value] points as a source's typed arrays (the Prometheus source's SamplePoints): the same pairs,
 * column by column, in time order. Metering reads them by index (metering/points.ts `columnsOf`): iterating
 * them would build a pair for every point of every node series, every day.
 */
export interface CompactPoints extends Iterable<readonly [number, number]> {
  readonly tsMs: Float64Array;
  readonly values: Float64Array;
}

export type UtilizationSource = 'DCGM_FI_PROF_GR_ENGINE_ACTIVE' | 'DCGM_FI_DEV_GPU_UTIL' | 'none';

/**
 * Utilization samples matched to a pod by namespace/pod labels (or exported_* twins), as
 * [tMs, sumOfSamples, countOfSamples] per grid point; values already scaled to 0..1.
 */
export interface PodUtilizationPoints {
  cluster: string;
  namespace: string;
  pod: string;
  source: Exclude<UtilizationSource, 'none'>;
  /** [t ms, sum of means, number of means] at grid points (an array, or a source's compact samples). */
  points: Iterable<readonly [number, number, number]> | CompactUtilizationPoints;
}

/**
 * PodUtilizationPoints.points as a source's typed arrays (the Prometheus source's UtilizationSamples): the
 * same triples, column by column, in time order. Metering keeps such arrays as they are when every point
 * is on the grid (no copy of the day's utilization; issue #18, peak heap per shard).
 */
export interface CompactUtilizationPoints extends Iterable<readonly [number, number, number]> {
  readonly tsMs: Float64Array;
  readonly sums: Float64Array;
  readonly counts: Float64Array;
}

/** One GPU ResourceQuota entry of a namespace, as kube_resourcequota reports it. */
export interface GpuQuotaRef {
  cluster: string;
  namespace: string;
  /** The ResourceQuota object's name. */
  quota: string;
  /** The quota resource as Kubernetes spells it: requests.nvidia.com/gpu, requests.nvidia.com/mig-1g.5gb, ... */
  resource: string;
}

/** Hard and used values of one GPU quota entry at grid points: [t ms, value] (the last sample in (t − step, t]). */
export interface GpuQuotaPoints extends GpuQuotaRef {
  hard: [number, number][];
  used: [number, number][];
}

/**
 * One GPU quota entry over one metered day: its last hard value, the peak and the time integral of
 * used (units × seconds over the intervals with a used sample), and the seconds observed.
 */
export interface GpuQuotaDay extends GpuQuotaRef {
  hard: number | null;
  peakUsed: number;
  usedUnitSeconds: number;
  observedSeconds: number;
}

/** Scrape intervals used for the window, and where they came from. */
export interface ScrapeIntervals {
  kubeStateMetricsSeconds: number;
  dcgmSeconds: number | null;
  source: 'detected' | 'config';
}

/** Everything metering needs for one window (normally one day plus a bridging margin on both sides). */
export interface WindowObservations {
  grid: StepGrid;
  running: PodPhasePoints[];
  /** Pods in phase Pending while bound to a node (only used when metering.pendingOnNode = "charged"). */
  pendingOnNode: PodPhasePoints[];
  requests: PodRequest[];
  podNodes: PodNode[];
  /** Each pod's label sets (several when its labels changed in the window; see PodLabels.lastSeenMs). */
  podLabels: PodLabels[];
  namespaceLabels: NamespaceLabels[];
  nodeLabels: NodeLabels[];
  nodeCapacity: NodeCapacityPoints[];
  /** Grid points at which each node existed, whatever it advertised (capacity comes from the machine). */
  nodePresence: NodePresencePoints[];
  /** GPU requests of init containers (kube_pod_init_container_resource_requests). */
  initRequests: PodRequest[];
  /** Init containers that are restartable sidecars (kube_pod_init_container_info{restart_policy="Always"}). */
  sidecars: PodSidecar[];
  /** GPUs allocated to pods through DRA claims, as dcgm-exporter attributes them. */
  draDevices: DraDevice[];
  utilization: PodUtilizationPoints[];
  /**
   * The cloud instance of each node seen in the window (kube_node_info{provider_id}); absent from
   * sources that do not read it (such nodes are matched to no invoice line).
   */
  nodeProviderIds?: NodeProviderId[];
  /**
   * GPU ResourceQuotas (kube_resourcequota for requests.nvidia.com/*): hard and used per quota and
   * resource at grid points of the day; absent from sources that do not read them.
   */
  gpuQuotas?: GpuQuotaPoints[];
  /** Grid points at which kube-state-metrics was scraped at all (any GPU node capacity sample), for coverage. */
  ksmPresentTsMs: number[];
  /** Grid points at which dcgm-exporter was scraped at all, for coverage. */
  dcgmPresentTsMs: number[];
  /**
   * The same per cluster, before the clusters are intersected (dcgmPresentTsMs are the points at which
   * every cluster was scraped): what the shards of a day add up (src/core/metering/shards.ts). Absent =
   * dcgmPresentTsMs stands for every cluster.
   */
  dcgmPresentByCluster?: { cluster: string; tsMs: number[] }[];
  scrape: ScrapeIntervals;
}

/**
 * One shard of a day: the nodes whose name hashes to `index` of `count` (src/core/metering/shards.ts
 * shardOfNode), with the pods metered on them; pods bound to no node belong to shard 0. `count` 1 is
 * the whole day.
 */
export interface Shard {
  index: number;
  count: number;
}

// ---------------------------------------------------------------------------------------------
// Meter: GPU-seconds per pod and per node, per charge period.
// ---------------------------------------------------------------------------------------------

/** An exact non-negative rational weight, e.g. 3/7 for a 3g MIG slice of an A100. */
export interface Fraction {
  numerator: number;
  denominator: number;
}

export type CapacityType = 'spot' | 'on-demand' | 'reserved' | 'unknown';

/** GPU time one pod held of one GPU resource on one node within one charge period. */
export interface PodUsage {
  pod: PodRef;
  node: string;
  chargePeriod: ChargePeriod;
  /** Sanitized resource name (nvidia_com_gpu, nvidia_com_mig_2g_10gb, ...). */
  gpuResource: string;
  /** Units of gpuResource requested, summed over the pod's containers. */
  requested: number;
  /** GPU equivalents per requested unit (1 for a whole GPU, g/7 for MIG, 1/replicas under time-slicing). */
  weight: Fraction;
  /** requested x weight, as a float for display. */
  gpuEquivalents: number;
  /** Seconds the pod was charged (Running, or Pending on a node when that policy is on) in the charge period. */
  heldSeconds: number;
  /** Of heldSeconds, seconds filled in by bridging a data gap. */
  bridgedSeconds: number;
  /**
   * heldSeconds x gpuEquivalents, or the bounded GPU time when `bounded` is set (float, display only; money
   * is computed exactly from the parts).
   */
  gpuSeconds: number;
  /**
   * Set when the pod's node could not give it what it requested at some grid interval: a request above
   * the node's physical GPUs (then `requested` is the most units that fit the node), its pods together
   * above its capacity, or the node absent. `gpuUnitMs` is the GPU time charged, exactly, in units of
   * 1/`denominator` GPU-millisecond (money uses it instead of heldSeconds × requested × weight);
   * `requestedAsObserved` is what kube-state-metrics reported (at most Number.MAX_VALUE).
   */
  bounded?: { gpuUnitMs: number; denominator: number; requestedAsObserved: number };
  /** Mean GPU utilization 0..1 over the held time, or null when no DCGM sample matched the pod. */
  utilization: number | null;
  utilizationSource: UtilizationSource;
  team: string;
  project: string;
  teamSource: 'pod-label' | 'namespace-label' | 'default';
  phase: 'Running' | 'PendingOnNode';
  /**
   * Of heldSeconds, seconds held while idle: in runs where the pod's GPU utilization stayed below
   * metering.idleHeld's threshold for longer than its window (src/core/metering/idleHeld.ts); absent when
   * none. Unknown utilization is never idle.
   */
  idleHeldSeconds?: number;
}

/** GPU capacity, allocation and idle time of one node within one charge period, in GPU-equivalent seconds. */
export interface NodeUsage {
  cluster: string;
  node: string;
  chargePeriod: ChargePeriod;
  instanceType: string;
  capacityType: CapacityType;
  /** Seconds the node was present with GPU capacity in the charge period. */
  presentSeconds: number;
  /** Sum over grid points of GPU-equivalent capacity x step seconds. */
  capacityGpuSeconds: number;
  /** Sum of gpuSeconds of the pods on this node. */
  allocatedGpuSeconds: number;
  /** capacityGpuSeconds - allocatedGpuSeconds (may be negative only if over-allocated; flagged in warnings). */
  idleGpuSeconds: number;
  /** Physical GPUs of the node (from the catalog, GFD labels, metering.physicalGpus, else what it advertised). */
  gpus: number;
  /** GPU model (catalog, config rule or GFD product); on-prem nodes are priced by it. */
  gpuModel?: string;
  /** The cloud instance (kube_node_info{provider_id}), when the source read it: what invoice lines match. */
  providerId?: string;
  /** Where `gpus` came from; "advertised" is a guess (warned with the money at stake). */
  gpuSource?: 'catalog' | 'gfd' | 'config' | 'advertised';
  /** Of idleGpuSeconds, how much was idle for each reason (they add up to idleGpuSeconds). */
  idleByReason?: ByIdleReason;
  /** GPU-like resources the node advertised that metering cannot interpret. */
  unknownResources?: string[];
  /**
   * The same capacity/allocated/idle as exact integers in units of 1/denominator GPU-millisecond, so
   * idle + allocated = capacity holds exactly even with MIG (g/7) or time-sliced (1/n) weights.
   */
  exact?: {
    denominator: number;
    capacity: number;
    allocated: number;
    idle: number;
    /** Idle per reason in the same units; they add up to `idle` exactly. */
    idleByReason?: ByIdleReason;
  };
}

/** Share of expected scrapes present for one day, and the gaps found. */
export interface DayCoverage {
  date: string;
  /** 0..1 share of grid points with a kube-state-metrics sample. */
  kubeStateMetrics: number;
  /** 0..1 share of grid points with a dcgm-exporter sample, or null when no DCGM data exists at all. */
  dcgm: number | null;
  /** Runs of missing kube-state-metrics data, [startMs, endMs). */
  gaps: TimeRange[];
}

/** Metering result for one day: what a daily partial stores. */
export interface MeteredDay {
  day: Day;
  pods: PodUsage[];
  nodes: NodeUsage[];
  coverage: DayCoverage;
  scrape: ScrapeIntervals;
  /** Per instance type, mean allocated GPU equivalents for each local hour of the day (length 23, 24 or 25). */
  hourlyAllocatedGpus: Record<string, number[]>;
  warnings: string[];
  /** GPU ResourceQuota use of the day (absent when the source reads none; on shard 0 of a sharded day). */
  gpuQuotas?: GpuQuotaDay[];
  /** Only on one shard of a day metered in several (see ShardFacts); the merged day has none. */
  shard?: ShardFacts;
}

/**
 * What a day metered in shards needs besides its rows to be merged exactly (mergeShardDays): which
 * shard it is, the day's dcgm-exporter presence this shard saw (coverage is the union over shards), and
 * the exact allocated units behind `hourlyAllocatedGpus` (floating means of parts do not add up exactly).
 */
export interface ShardFacts extends Shard {
  /** The window's intervals: the day is [dayFirst, dayLast) of them (coverage is recomputed from these). */
  dayFirst: number;
  dayLast: number;
  /** Per cluster, the window intervals at which dcgm-exporter was scraped (any replica). */
  dcgmPresence: { cluster: string; intervals: number[] }[];
  /** Per instance type and node denominator, allocated units × ms per local hour (see hourlyProfile.ts). */
  hourlyUnits: Record<string, Record<string, number[]>>;
}

// ---------------------------------------------------------------------------------------------
// Price, allocate, round: one row per pod x charge period x cost component, plus idle rows.
// ---------------------------------------------------------------------------------------------

export type CostComponent = 'Direct' | 'UnusedAllocation' | 'Idle' | 'IdleShare';
export type PricingCategory = 'Standard' | 'Dynamic' | 'Committed';

/**
 * One line item of the bill, as {@link PricedRows.get} returns it: a plain object (spread it, copy it,
 * change it). Money is decimal text in the billing currency: the exact amount (floored to 10^-15 of the
 * minor unit) and the amount rounded to the minor unit by the month's one rounding step.
 */
export interface PricedRow {
  chargePeriod: ChargePeriod;
  cluster: string;
  /** The team charged: the pod's for Direct and IdleShare rows, the platform team otherwise. */
  team: string;
  project: string;
  namespace: string;
  pod: string;
  podUid: string;
  node: string;
  instanceType: string;
  gpuModel: string;
  gpuResource: string;
  gpuEquivalents: number;
  pricingCategory: PricingCategory;
  component: CostComponent;
  /** GPU-hours held (0 for Idle rows' consumers; the idle GPU-hours for Idle rows). */
  consumedGpuHours: string;
  /** GPU-hours billed after the utilization policy. */
  billableGpuHours: string;
  utilizationPct: number | null;
  utilizationSource: UtilizationSource;
  /** Price per GPU-hour applied (billing currency). */
  unitPrice: string;
  /** Exact cost, unrounded (billing currency). */
  effectiveCostExact: string;
  /** Exact On-Demand equivalent cost (billing currency). */
  listCostExact: string;
  coverage: number;
  /** True when the price came from pricing.fallback. */
  priceFallback: boolean;
  /**
   * With a billing export: `invoice`, `catalog-export-pending` or `catalog-not-on-invoice` (see
   * CostSource in src/core/pricing/catalog.ts); '' without one.
   */
  costSource: '' | 'invoice' | 'catalog-export-pending' | 'catalog-not-on-invoice';
  /** The cloud instance of the row's node (kube_node_info{provider_id}), '' when unknown. */
  providerId: string;
  /** Capacity type of the node the cost comes from. */
  capacityType: CapacityType;
  /** EffectiveCost rounded to the minor unit, fixed-point (e.g. "12.30", or "12300" for KRW). */
  effectiveCost: string;
  /** ListCost (On-Demand equivalent) rounded to the minor unit. */
  listCost: string;
  /** FOCUS ChargeClass: '' or 'Correction'. */
  chargeClass: '' | 'Correction';
}

/**
 * The rows of a priced month, in their deterministic order. A month has about one row per pod-day (two
 * million at 10,000 GPUs), so rows are not kept as objects: their numbers live in typed arrays and their
 * labels in the metered usage they price. This collection reads them on demand:
 * `get(i)` and iteration build plain {@link PricedRow} objects; `column(name)` returns a reader of one
 * field by row index, for loops over every row that need only some fields (the CSV writer).
 */
export interface PricedRows extends Iterable<PricedRow> {
  readonly length: number;
  /** Row `index` (0 <= index < length) as a new plain object. */
  get(index: number): PricedRow;
  /** A reader of one field of any row by index, without building the row. */
  column<K extends keyof PricedRow>(name: K): (index: number) => PricedRow[K];
  /**
   * A reader of a rounded amount of any row by index in integer minor units (the number that
   * `column(name)` prints), without formatting it: for loops that add or sort amounts over every row.
   */
  minorUnits(name: 'effectiveCost' | 'listCost'): (index: number) => number;
  /**
   * A reader of GPU-hours of any row by index as a number: exactly `Number(column(name)(index))`, without
   * printing it (report.html and the team pack sum two million of them at 10,000 GPUs).
   */
  hours(name: 'consumedGpuHours' | 'billableGpuHours'): (index: number) => number;
}

// ---------------------------------------------------------------------------------------------
// Summary: what the JSON holds and what the PDF and CloudWatch read. Money is decimal strings
// rounded to the currency's minor unit; rows, teams and the total agree to the cent.
// ---------------------------------------------------------------------------------------------

export interface CostBreakdown {
  key: string;
  cost: string;
  listCost: string;
  gpuHours: number;
  /** Mean utilization (GPU-hour weighted) 0..100, or null when unknown. */
  utilizationPct: number | null;
}

export interface TeamSummary extends CostBreakdown {
  directCost: string;
  idleCost: string;
  unusedAllocationCost: string;
  /** Share of the team's cost that is idle or unused allocation, 0..100. */
  idleSharePct: number;
  budget: string | null;
  /** cost - budget, or null when there is no budget. */
  variance: string | null;
}

/** The month's budgets: variance over budgeted teams only, everything else as unbudgeted spend. */
export interface BudgetTotals {
  /** The currency the budgets are configured in (report.budgetCurrency, else the billing currency). */
  currency: string;
  /** Units of the billing currency per unit of `currency` when they differ, else null. */
  conversionRate: string | null;
  budgetedTeams: number;
  teamsOver: number;
  /** Σ budgets, in the billing currency. */
  budget: string;
  /** Σ cost of the teams that have a budget. */
  budgetedCost: string;
  /** budgetedCost − budget: positive is over budget. */
  variance: string;
  /** The month's cost outside every budget: teams without one, idle capacity, unallocated. */
  unbudgetedCost: string;
}

/** Capacity and cost of one instance type and capacity type in one cluster. */
export interface InstanceTypeSummary {
  /** The cluster; absent for the one unnamed cluster of a single-cluster setup. */
  cluster?: string;
  instanceType: string;
  gpuModel: string;
  capacityType: CapacityType;
  capacityGpuHours: number;
  allocatedGpuHours: number;
  idleGpuHours: number;
  cost: string;
  /** The cluster's catalog On-Demand and Spot prices per GPU-hour (billing currency) at the end of the period. */
  onDemandPricePerGpuHour: string;
  spotPricePerGpuHour: string | null;
}

export interface DaySummary {
  date: string;
  cost: string;
  spotCost: string;
  onDemandCost: string;
  committedCost: string;
  byTeam: Record<string, string>;
  coveragePct: number;
}

export interface Summary {
  schemaVersion: 1;
  source: { kind: 'demo' | 'prometheus' | 'partials'; description: string };
  period: { month: string; zone: string; start: string; end: string; hours: number; days: number };
  currency: { code: string; minorDigits: number; conversion: { from: string; rate: string } | null };
  policies: {
    pendingOnNode: 'not-charged' | 'charged';
    maxBridgeSeconds: number;
    utilization: { mode: 'allocation' | 'utilization' | 'floor'; floorPct: number | null };
    idle: { mode: 'separate' | 'share-by-node' | 'share-by-cluster'; platformTeam: string };
    rounding: string;
    /** lowUtilization lists workloads below this GPU utilization (report.lowUtilizationBelowPct). */
    lowUtilizationBelowPct: number;
  };
  priceCatalog: { version: string };
  scrape: ScrapeIntervals;
  totals: {
    cost: string;
    listCost: string;
    directCost: string;
    idleCost: string;
    unusedAllocationCost: string;
    spotSavings: string;
    capacityCost: string;
    capacityGpuHours: number;
    allocatedGpuHours: number;
    idleGpuHours: number;
    allocationRatePct: number;
    utilizationPct: number | null;
    /** Spot share of capacity GPU-hours (not of money). */
    spotSharePct: number;
    /** Spot share of the month's cost: Dynamic rows' cost / total cost x 100. */
    spotSpendSharePct: number;
    coveragePct: number;
    blendedCostPerGpuHour: string;
    onDemandCostPerGpuHour: string;
    rowCount: number;
  };
  /** Budgets against spend (null when no budget is configured); see src/core/aggregate/budgets.ts. */
  budgets: BudgetTotals | null;
  byTeam: TeamSummary[];
  byProject: (CostBreakdown & { team: string })[];
  byNamespace: (CostBreakdown & { cluster: string })[];
  byCluster: CostBreakdown[];
  byGpuModel: CostBreakdown[];
  byPricingCategory: CostBreakdown[];
  byInstanceType: InstanceTypeSummary[];
  byDay: DaySummary[];
  /** Per instance type, mean allocated GPUs for each hour of the month (length = period.hours). */
  hourlyAllocatedGpus: Record<string, number[]>;
  /** Workloads (namespace/project) below policies.lowUtilizationBelowPct utilization, most expensive first. */
  lowUtilization: {
    cluster: string;
    namespace: string;
    project: string;
    team: string;
    cost: string;
    utilizationPct: number;
  }[];
  coverage: { byDay: DayCoverage[]; gaps: TimeRange[] };
  reconciliation: {
    /** The exact cost of all GPU capacity, rounded: the month's total. */
    capacityCost: string;
    sumOfRows: string;
    difference: string;
    /**
     * The machines the company pays for, computed apart from the rows: Σ node-hours × physical GPUs ×
     * per-GPU rate (= instance-hours × instance price); `difference` = cost − sumOfRows.
     */
    machines?: { nodeHours: number; gpuHours: number; cost: string; difference: string };
    /** Of the machines' cost, what pods held (before the utilization and idle policies). */
    allocatedCost?: string;
    /** The rest: idle, by reason (see src/core/idleReasons.ts); the reasons add up to `cost`. */
    idle?: { cost: string; byReason: ByIdleReason<{ gpuHours: number; cost: string }> };
  };
  warnings: string[];
  /** GPUs held while idle (metering.idleHeld), per team, namespace and worst pods (src/core/aggregate/idleHeld.ts). */
  idleHeld?: IdleHeldSummary;
  /** GPU ResourceQuota use per namespace quota entry (src/core/aggregate/gpuQuotas.ts). */
  gpuQuotas?: GpuQuotaSummary[];
  /** Present only with a billing export: the month against the invoice (see src/core/aggregate/invoiceReconciliation.ts). */
  invoice?: InvoiceSummary;
  /** Present only on a restated month: the version it replaces and how each team's amount moved. */
  restatement?: Restatement;
  /**
   * Present only on a provisional (month-to-date) version of a month that has not ended: every figure
   * covers the days through `throughDay` only (`period` ends there), and the final version replaces it.
   */
  provisional?: Provisional;
}

/** What a provisional (month-to-date) version of a running month covers (summary.json `provisional`). */
export interface Provisional {
  /** The last local day metered (YYYY-MM-DD): the month to date runs through its end. */
  throughDay: string;
  /** Local days metered (1..daysInMonth - 1): every day of the month through `throughDay`. */
  daysMetered: number;
  /** Local days of the whole month. */
  daysInMonth: number;
  /** ISO 8601 end of the whole month in its zone: the final version can be published after it. */
  monthEnd: string;
}

/**
 * One namespace GPU ResourceQuota entry over the month (summary.json `gpuQuotas`), in units of its
 * resource (GPUs, or MIG devices of the profile).
 */
export interface GpuQuotaSummary {
  cluster: string;
  namespace: string;
  quota: string;
  /** As Kubernetes spells it: requests.nvidia.com/gpu, requests.nvidia.com/mig-1g.5gb, ... */
  resource: string;
  /** The hard limit on the last day it was seen; null when only used was seen. */
  hard: number | null;
  peakUsed: number;
  /** Mean used over the time it was observed; null when used was never observed. */
  averageUsed: number | null;
  /** peakUsed ÷ hard in percent (2 decimals); null without a positive hard limit. */
  peakUsedPct: number | null;
  observedHours: number;
}

/** Idle-held GPU time and the money it cost (decimal text in the billing currency) of one group. */
export interface IdleHeldFigures {
  gpuHours: number;
  cost: string;
}

/** One namespace's idle-held GPU time (of one team's pods, under `idleHeld.byTeam[].namespaces`). */
export type IdleHeldNamespace = IdleHeldFigures & { cluster: string; namespace: string; pods: number };

/**
 * summary.json `idleHeld`: GPU time pods held in runs where their GPU utilization stayed below
 * `rule.utilizationBelowPct` for longer than `rule.forMinutes`, and its cost at each row's effective rate.
 */
export interface IdleHeldSummary extends IdleHeldFigures {
  /** The rule the days were metered under (metering.idleHeld); null when the caller did not say. */
  rule: { utilizationBelowPct: number; forMinutes: number } | null;
  /** Pods (cluster, namespace, name, uid) that held GPUs while idle. */
  pods: number;
  /**
   * Most money first; `namespaces`: the team's pods by namespace, most money first (absent in
   * summaries published before it existed).
   */
  byTeam: (IdleHeldFigures & { team: string; pods: number; namespaces?: IdleHeldNamespace[] })[];
  /** Per namespace, whichever teams its pods belong to; most money first. */
  byNamespace: IdleHeldNamespace[];
  /** The worst offenders, most money first (at most 10). */
  worstPods: (IdleHeldFigures & {
    cluster: string;
    namespace: string;
    pod: string;
    podUid: string;
    team: string;
  })[];
}

/** One team's amount in the replaced version and in this one (money as decimal strings). */
export interface TeamDifference {
  team: string;
  previous: string;
  current: string;
  /** current − previous. */
  difference: string;
}

/** What a restated month says about the version it replaces (summary.json and the PDF). */
export interface Restatement {
  replaces: { versionId: string; runId: string; generatedAt: string };
  /** Why it was restated (`--reason`), or null when no reason was given. */
  reason: string | null;
  /** Whether the publish guard was overridden with --force, and which of its checks. */
  forced: boolean;
  overridden: string[];
  /** null when the replaced version's summary could not be read (the restatement was forced). */
  previousTotal: string | null;
  total: string;
  difference: string | null;
  /** Every team of either version, largest absolute difference first (then by name); [] when unknown. */
  byTeam: TeamDifference[];
}

/**
 * The month against the cloud's cost export (summary.json `invoice`, present only with a billing source).
 * Money is fixed-point text in the billing currency, each figure its exact value rounded half-even.
 */
export interface InvoiceSummary {
  /** The export read: its format and location (credentials never appear here). */
  source: { format: 'focus' | 'cur2'; description: string };
  /** Until when the export covers the month (ISO 8601 UTC), per billing account and overall (the earliest). */
  coveredUntil: string | null;
  coveredUntilByAccount: Record<string, string>;
  /** Days priced from the invoice (the export covers them entirely) and days still priced from the catalog. */
  daysCovered: number;
  daysPending: number;
  /** GPU-instance cost on the invoice in the month, and what the chargeback allocated. */
  invoiceCost: string;
  chargebackCost: string;
  /** invoiceCost − chargebackCost = unchargedOutsideCost + pendingInvoiceCost − catalogPricedCost (± rounding). */
  difference: string;
  /** The part of the invoice the chargeback carries, exactly: matched nodes and tagged instances outside clusters. */
  invoicePricedCost: string;
  outsideChargedCost: string;
  unchargedOutsideCost: string;
  pendingInvoiceCost: string;
  catalogPricedCost: string;
  /** GPU instances outside every cluster: charged to the team of their tag, or not charged (untagged). */
  outsideClusters: {
    resourceId: string;
    instanceType: string;
    billingAccountId: string;
    team: string | null;
  }[];
  /** Nodes the invoice does not know (cluster/node), priced from the catalog on days the export covers. */
  nodesNotOnInvoice: string[];
}
