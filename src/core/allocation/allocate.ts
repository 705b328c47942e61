import { compareStrings } from '../compare.ts';
import {
  addRatio,
  compareRatio,
  divideHalfEven,
  exactDecimal,
  exactNumber,
  FINE_DIGITS,
  pow10,
  type Ratio,
  ratioToNumber,
} from '../money.ts';
import type { NodePrice, PriceResolver } from '../pricing/catalog.ts';
import type { MeteredDay, NodeUsage, PodUsage } from '../types.ts';
import {
  ChargeRow,
  DIRECT,
  IDLE,
  type NodeInfo,
  RowStore,
  type SharePool,
  ShareRow,
  UNUSED_ALLOCATION,
} from './chargeRows.ts';
import { warningText } from '../warningText.ts';
import { RatioSum } from './ratioSum.ts';

/** Who pays for held-but-unused GPU time (see {@link allocateMonth}). */
export interface UtilizationPolicy {
  mode: 'allocation' | 'utilization' | 'floor';
  /** For mode "floor": the minimum utilization paid, 0..1. */
  floor: number;
}

/** Who pays for idle capacity (see {@link allocateMonth}). */
export interface IdlePolicy {
  mode: 'separate' | 'share-by-node' | 'share-by-cluster';
  /** Team charged for idle capacity and unused allocation under "separate" (and its fallback). */
  platformTeam: string;
}

/** The allocation policies of a month (built from config.allocation at the edge). */
export interface AllocationPolicies {
  utilization: UtilizationPolicy;
  idle: IdlePolicy;
}

/** What allocation needs to know about the policies and the currency. */
export interface AllocateOptions extends AllocationPolicies {
  chargeClass: '' | 'Correction';
  /** Minor-unit digits of the billing currency (fixes the fine unit, see money.ts). */
  digits: number;
}

/** Rows of a month in their final order, their numbers, and the exact cost of all GPU capacity. */
export interface AllocationResult {
  /** Sorted: charge period, team, namespace, pod, uid, component, then cluster, node, GPU resource. */
  rows: ChargeRow[];
  store: RowStore;
  /** Σ over node × charge period of capacityGpuSeconds × the node's effective rate, exactly (billing currency). */
  capacityCost: Ratio;
  /** The same at On-Demand prices. */
  capacityListCost: Ratio;
  /**
   * Per day (in the order of `days`), per node in the day's `nodes` order: GPU-seconds its pods held
   * (Σ PodUsage.gpuSeconds, float), for the summary's capacity figures.
   */
  allocatedGpuSecondsByDay: Float64Array[];
  warnings: string[];
}

const SECONDS_PER_HOUR = 3600;
const ZERO_RATIO: Ratio = { numerator: 0n, denominator: 1n };
const ONE_RATIO: Ratio = { numerator: 1n, denominator: 1n };

/** A price's exact rates, scaled so that gpuSeconds × numerator / denominator is in fine units. */
interface FineRates {
  effNumerator: bigint;
  effDenominator: bigint;
  listNumerator: bigint;
  listDenominator: bigint;
  sameList: boolean;
}

/**
 * A pod's exact amounts on its node, in fine units (the rows get their floors): `direct` is the effective
 * Direct amount that idle shares are weighted by, `unused` what the utilization policy leaves unpaid.
 */
interface PodAmounts {
  direct: Ratio;
  directList: Ratio;
  unused: Ratio;
  unusedList: Ratio;
  /** GPU-seconds of held time not paid directly (display). */
  unusedGpuSeconds: number;
  /** The paid share of held time (null: all of it). */
  fraction: ReturnType<PaidFraction>;
}

/**
 * A node in a charge period, while its day is being settled (exact amounts in fine units). It keeps no
 * amounts per pod: a share-by-cluster pool holds a cluster's nodes for a whole day, and a month of such
 * per-pod ratios was most of what allocation left for the old generation to collect. Whoever needs a
 * pod's amounts again (the UnusedAllocation and IdleShare rows) recomputes them, exactly, from its usage
 * and the node's `scale` and `rates` ({@link podAmounts}).
 */
interface NodeContext {
  info: NodeInfo;
  idle: Ratio;
  idleList: Ratio;
  /** Idle GPU-seconds (display). */
  idleGpuSeconds: number;
  /** The node's pods, in pricing order; pod i's sort entry in its day is `firstEntry + i`. */
  usages: readonly PodUsage[];
  firstEntry: number;
  /** Over-allocation scale of the node's pods (capacity / held when above capacity, else 1). */
  scale: Ratio;
  rates: FineRates;
  /**
   * Pod i's paid fraction ({@link PaidFraction} of its utilization), as its Direct row used it: the
   * UnusedAllocation and IdleShare rows reuse it rather than parse the utilization's decimal again.
   */
  fractions: ReturnType<PaidFraction>[];
}

/**
 * An idle pool while its nodes are priced (share-by-node: one node; share-by-cluster: a cluster's nodes
 * in a charge period): its nodes and its sums, gathered in pricing order (node idle, then each pod's
 * unused allocation; GPU-seconds are floats, so the order is the one the rows always had).
 */
interface IdlePool {
  contexts: NodeContext[];
  /** Σ idle and unused allocation, exactly ({@link RatioSum}: summed per denominator, reduced once). */
  cost: RatioSum;
  list: RatioSum;
  gpuSeconds: number;
  fallback: boolean;
  /** Σ Direct amounts of the pool's pods, exactly, and Σ of their floors. */
  directTotal: RatioSum;
  directTotalFine: bigint;
}

function emptyPool(): IdlePool {
  return {
    contexts: [],
    cost: new RatioSum(),
    list: new RatioSum(),
    gpuSeconds: 0,
    fallback: false,
    directTotal: new RatioSum(),
    directTotalFine: 0n,
  };
}

/** Pods metered on one node key (cluster, node, charge period start) of a day. */
interface PodGroup {
  pods: PodUsage[];
  gpuSeconds: number;
  claimed: boolean;
}

/**
 * Prices every pod and node of `days` and applies the utilization and idle policies. Rules:
 *
 * Utilization (`allocation.utilization.mode`): a pod's held cost is held GPU-seconds × the node's rate.
 * `allocation` pays it all (Direct). `utilization` pays held × utilization as Direct and the rest as
 * UnusedAllocation; `floor` pays held × max(utilization, floor). Unknown utilization (null) pays the full
 * held cost as Direct (the row's utilization is empty, and a warning counts such rows).
 *
 * Idle (`allocation.idle.mode`): a node-charge-period's idle cost is its capacity cost minus the held
 * cost of its pods, so rows close on capacity by construction. `separate`: idle is an Idle row and
 * unused allocation an UnusedAllocation row (naming the pod that left it unused), both charged to
 * `platformTeam`. `share-by-node`: the node-period's pool (idle + unused allocation) is split over its
 * pods proportionally to their Direct cost, as IdleShare rows; `share-by-cluster`: the pool of every node
 * of a cluster in a charge period is split over all that cluster's pods in the charge period. A pool with
 * no Direct cost to split over (no pods, or all utilization 0) falls back to `separate` rows for the
 * platform team.
 *
 * Over-allocation: if pods on a node held more GPU-seconds than the node's capacity in a charge period,
 * their costs (not their GPU-hours) are scaled down by capacity/held so the node never costs more than its
 * capacity and idle is never negative; a warning names the node. Pods on a node with no capacity record
 * cannot be priced: they get zero-cost Direct rows and a warning.
 *
 * Exactness: GPU-seconds, rates, utilization and every split are exact ratios (inputs at their shortest
 * decimal spelling), and each row's amount is the floor of its exact value in fine units (10^-15 minor
 * unit, see money.ts): Direct = held × rate × paid, UnusedAllocation = held × rate × (1 − paid), Idle =
 * (capacity − Σ held) × rate, IdleShare = pool × Direct / Σ Direct, with the over-allocation scale
 * capacity / Σ held folded in. So equal exact amounts stay equal, every row is within one fine unit below
 * its exact value, and a node's (or pool's) rows fall short of its exact cost by less than one fine unit
 * per row — far below the half minor unit the rounding step can absorb.
 */
export function allocateMonth(
  days: readonly MeteredDay[],
  resolver: PriceResolver,
  options: AllocateOptions,
): AllocationResult {
  const month = new MonthAllocation(days, resolver, options);
  for (const day of days) month.settleDay(day);
  return month.result();
}

/** What a month's allocation noticed, for its warnings. */
interface Anomalies {
  overAllocated: Map<string, { periods: number; excessGpuSeconds: number }>;
  unknownNodes: Map<string, number>;
  gpuMismatch: Set<string>;
  unknownUtilizationRows: number;
}

/** A month being allocated: its rows so far, its exact capacity totals and what it noticed. */
class MonthAllocation {
  readonly #resolver: PriceResolver;
  readonly #options: AllocateOptions;
  readonly #store: RowStore;
  readonly #fineScale: bigint;
  readonly #fineRates = new Map<NodePrice, FineRates>();
  readonly #paid: PaidFraction;
  /** Exact capacity GPU-seconds per rate, for the exact grand totals. */
  readonly #capacityByEffectiveRate = new Map<Ratio, Ratio>();
  readonly #capacityByListRate = new Map<Ratio, Ratio>();
  readonly #rows: ChargeRow[] = [];
  /** The current day's rows (one instance for the month, see {@link DayRows}). */
  readonly #dayRows = new DayRows();
  readonly #allocatedGpuSecondsByDay: Float64Array[] = [];
  readonly #anomalies: Anomalies = {
    overAllocated: new Map(),
    unknownNodes: new Map(),
    gpuMismatch: new Set(),
    unknownUtilizationRows: 0,
  };

  constructor(days: readonly MeteredDay[], resolver: PriceResolver, options: AllocateOptions) {
    this.#resolver = resolver;
    this.#options = options;
    const podCount = days.reduce((s, d) => s + d.pods.length, 0);
    const nodeCount = days.reduce((s, d) => s + d.nodes.length, 0);
    const twoRowsPerPod = options.utilization.mode !== 'allocation' || options.idle.mode !== 'separate';
    this.#store = new RowStore(
      podCount * (twoRowsPerPod ? 2 : 1) + nodeCount,
      options.digits,
      options.chargeClass,
      options.idle.platformTeam,
    );
    this.#fineScale = pow10(options.digits + FINE_DIGITS);
    this.#paid = paidFractionPolicy(options.utilization);
  }

  /**
   * Prices a day's nodes and pods and settles each node's idle with its day (charge periods never cross
   * midnight); share-by-cluster pools are settled once the day's nodes are priced. Everything here lives
   * for one day only: the day's rows and, per row, its sort entry (a pod usage, or a node for Idle rows).
   */
  settleDay(day: MeteredDay): void {
    const coverage = day.coverage.kubeStateMetrics;
    const out = this.#dayRows;
    out.reset();
    const groups = podsByNodePeriod(day.pods);
    const allocatedByNode = new Float64Array(day.nodes.length);
    const clusterPools = new NestedMap<IdlePool>();
    const { mode } = this.#options.idle;
    day.nodes.forEach((node, nodeIndex) => {
      const group = groups.get(node.cluster, node.node, node.chargePeriod.startMs);
      allocatedByNode[nodeIndex] = group?.gpuSeconds ?? 0;
      if (mode === 'separate') {
        emitSeparate(this.#priceNode(node, group, coverage, out, null), this.#store, out);
      } else if (mode === 'share-by-node') {
        const pool = emptyPool();
        const context = this.#priceNode(node, group, coverage, out, pool);
        if (!emitShares(pool, this.#options.digits, this.#store, out))
          emitSeparate(context, this.#store, out);
      } else {
        let pool = clusterPools.get(node.cluster, '', node.chargePeriod.startMs);
        if (!pool) clusterPools.set(node.cluster, '', node.chargePeriod.startMs, (pool = emptyPool()));
        this.#priceNode(node, group, coverage, out, pool);
      }
    });
    clusterPools.forEach((_cluster, _node, _startMs, pool) => {
      if (!emitShares(pool, this.#options.digits, this.#store, out))
        for (const context of pool.contexts) emitSeparate(context, this.#store, out);
    });
    this.#chargeUnpriced(groups, coverage, out);
    out.appendSorted(this.#rows);
    this.#allocatedGpuSecondsByDay.push(allocatedByNode);
  }

  result(): AllocationResult {
    return {
      rows: this.#rows,
      store: this.#store,
      capacityCost: totalCost(this.#capacityByEffectiveRate),
      capacityListCost: totalCost(this.#capacityByListRate),
      allocatedGpuSecondsByDay: this.#allocatedGpuSecondsByDay,
      warnings: anomalyWarnings(this.#anomalies),
    };
  }

  /**
   * Prices one node-charge-period: its capacity into the exact totals, a Direct row per pod on it (the
   * pods of `group`, unless another node record already claimed them), and its idle, not yet emitted;
   * with a `pool` (share modes), the node joins it with its idle and its pods' unused and Direct amounts.
   */
  #priceNode(
    node: NodeUsage,
    group: PodGroup | undefined,
    coverage: number,
    out: DayRows,
    pool: IdlePool | null,
  ): NodeContext {
    this.#resolver.assertConstantPrices(node.chargePeriod);
    const price = this.#resolver.priceNode(node);
    if (price.catalogGpus !== null && node.gpus > 0 && Math.abs(node.gpus - price.catalogGpus) > 1e-6) {
      this.#anomalies.gpuMismatch.add(
        warningText('gpuCountMismatch', {
          instanceType: node.instanceType,
          catalogGpus: price.catalogGpus,
          node: node.node,
          gpus: node.gpus,
        }),
      );
    }
    const podUsages = group && !group.claimed ? group.pods : [];
    if (group) group.claimed = true;
    const info = nodeInfo(this.#store, node, price, coverage);
    const rates = this.#ratesOf(price);
    const capacity = exactNumber(node.capacityGpuSeconds);
    addCapacity(this.#capacityByEffectiveRate, price.effectivePerGpuSecond, capacity);
    addCapacity(this.#capacityByListRate, price.listPerGpuSecond, capacity);

    const held = podUsages.map(heldGpuSecondsOf);
    let allocated = ZERO_RATIO;
    for (const h of held) allocated = addRatio(allocated, h);
    const over = compareRatio(allocated, capacity) > 0;
    if (over) this.#noteOverAllocation(node, addRatio(allocated, negate(capacity)));
    // Over-allocated pods pay held × capacity/allocated (their costs sum to the node's exactly).
    const scale: Ratio = over
      ? {
          numerator: capacity.numerator * allocated.denominator,
          denominator: capacity.denominator * allocated.numerator,
        }
      : ONE_RATIO;

    const idleGpuSeconds = over ? ZERO_RATIO : addRatio(capacity, negate(allocated));
    const idle = costRatio(idleGpuSeconds, ONE_RATIO, rates.effNumerator, rates.effDenominator);
    const context: NodeContext = {
      info,
      idle,
      idleList: rates.sameList
        ? idle
        : costRatio(idleGpuSeconds, ONE_RATIO, rates.listNumerator, rates.listDenominator),
      idleGpuSeconds: Math.max(0, ratioToNumber(idleGpuSeconds)),
      usages: podUsages,
      firstEntry: out.entryCount,
      scale,
      rates,
      fractions: [],
    };
    const periodSeconds = (node.chargePeriod.endMs - node.chargePeriod.startMs) / 1000;
    info.idleGpuEquivalents = periodSeconds > 0 ? round6(context.idleGpuSeconds / periodSeconds) : 0;
    if (pool) {
      pool.contexts.push(context);
      pool.cost.add(context.idle);
      pool.list.add(context.idleList);
      pool.gpuSeconds += context.idleGpuSeconds;
      pool.fallback ||=
        info.fallback && !(context.idle.numerator === 0n && context.idleList.numerator === 0n);
    }
    podUsages.forEach((usage, i) => {
      context.fractions.push(this.#paid(usage.utilization));
      this.#chargePod(usage, held[i]!, context, context.fractions[i]!, out, pool);
    });
    return context;
  }

  /** A pod's Direct row on a priced node; its unused allocation and Direct amount go to the pool. */
  #chargePod(
    usage: PodUsage,
    held: Ratio,
    context: NodeContext,
    paidFraction: ReturnType<PaidFraction>,
    out: DayRows,
    pool: IdlePool | null,
  ): void {
    const heldHours = heldGpuHoursOf(usage);
    if (usage.utilization === null && this.#options.utilization.mode !== 'allocation')
      this.#anomalies.unknownUtilizationRows++;
    const { direct, directList, unused, unusedList, unusedGpuSeconds, fraction } = podAmounts(
      held,
      context,
      paidFraction,
    );
    const billableHours = fraction === null ? heldHours : heldHours * fraction.value;
    const directFine = floorRatio(direct);
    const slot = this.#store.push(
      directFine,
      directList === direct ? directFine : floorRatio(directList),
      heldHours,
      billableHours,
    );
    out.emit(new ChargeRow(usage, context.info, slot, DIRECT), out.entry(usage));
    if (pool) {
      pool.cost.add(unused);
      pool.list.add(unusedList);
      pool.gpuSeconds += unusedGpuSeconds;
      pool.fallback ||= context.info.fallback && unused.numerator !== 0n;
      pool.directTotal.add(direct);
      pool.directTotalFine += directFine;
    }
  }

  /** Pods on a node key no node record claimed: zero-cost Direct rows, and a warning naming the node. */
  #chargeUnpriced(groups: NestedMap<PodGroup>, coverage: number, out: DayRows): void {
    groups.forEach((cluster, nodeName, _startMs, group) => {
      if (group.claimed) return;
      const label = `${cluster ? `${cluster}/` : ''}${nodeName}`;
      const { unknownNodes } = this.#anomalies;
      unknownNodes.set(label, (unknownNodes.get(label) ?? 0) + group.pods.length);
      for (const usage of group.pods) {
        const info = unpricedInfo(this.#store, usage, coverage);
        const slot = this.#store.push(0n, 0n, heldGpuHoursOf(usage), 0);
        out.emit(new ChargeRow(usage, info, slot, DIRECT), out.entry(usage));
      }
    });
  }

  #noteOverAllocation(node: NodeUsage, excess: Ratio): void {
    const label = `${node.cluster ? `${node.cluster}/` : ''}${node.node}`;
    const entry = this.#anomalies.overAllocated.get(label) ?? { periods: 0, excessGpuSeconds: 0 };
    entry.periods++;
    entry.excessGpuSeconds += ratioToNumber(excess);
    this.#anomalies.overAllocated.set(label, entry);
  }

  /** A price's rates in fine units, computed once per price. */
  #ratesOf(price: NodePrice): FineRates {
    let rates = this.#fineRates.get(price);
    if (!rates) {
      const eff = price.effectivePerGpuSecond;
      const list = price.listPerGpuSecond;
      rates = {
        effNumerator: eff.numerator * this.#fineScale,
        effDenominator: eff.denominator,
        listNumerator: list.numerator * this.#fineScale,
        listDenominator: list.denominator,
        sameList: eff === list,
      };
      this.#fineRates.set(price, rates);
    }
    return rates;
  }
}

/** A day's pods grouped by node key (cluster, node, charge period start), with their held GPU-seconds. */
function podsByNodePeriod(pods: readonly PodUsage[]): NestedMap<PodGroup> {
  const groups = new NestedMap<PodGroup>();
  for (const usage of pods) {
    let group = groups.get(usage.pod.cluster, usage.node, usage.chargePeriod.startMs);
    if (!group) {
      group = { pods: [], gpuSeconds: 0, claimed: false };
      groups.set(usage.pod.cluster, usage.node, usage.chargePeriod.startMs, group);
    }
    group.pods.push(usage);
    group.gpuSeconds += usage.gpuSeconds;
  }
  return groups;
}

function addCapacity(map: Map<Ratio, Ratio>, rate: Ratio, capacity: Ratio): void {
  map.set(rate, addRatio(map.get(rate) ?? ZERO_RATIO, capacity));
}

/** The month's warnings, each kind in a stable order. */
function anomalyWarnings(anomalies: Anomalies): string[] {
  const warnings: string[] = [];
  for (const [label, { periods, excessGpuSeconds }] of [...anomalies.overAllocated].sort(([a], [b]) =>
    compareStrings(a, b),
  )) {
    warnings.push(
      warningText('nodeOverCapacityScaled', {
        node: label,
        gpuHours: round2(excessGpuSeconds / SECONDS_PER_HOUR),
        periods,
      }),
    );
  }
  for (const [label, count] of [...anomalies.unknownNodes].sort(([a], [b]) => compareStrings(a, b))) {
    warnings.push(warningText('nodeNoCapacityRecord', { node: label, count }));
  }
  warnings.push(...[...anomalies.gpuMismatch].sort(compareStrings));
  if (anomalies.unknownUtilizationRows > 0) {
    warnings.push(warningText('rowsWithoutUtilization', { count: anomalies.unknownUtilizationRows }));
  }
  return warnings;
}

/** Idle row for the node and UnusedAllocation rows for its pods, all for the platform team. */
function emitSeparate(context: NodeContext, store: RowStore, out: DayRows): void {
  context.usages.forEach((usage, i) => {
    const fraction = context.fractions[i]!;
    // A pod that pays all its held time leaves nothing unused.
    if (fraction === null) return;
    const { unused, unusedList, unusedGpuSeconds } = podAmounts(heldGpuSecondsOf(usage), context, fraction);
    if (unused.numerator === 0n && unusedList.numerator === 0n) return;
    const unusedFine = floorRatio(unused);
    const slot = store.push(
      unusedFine,
      unusedList === unused ? unusedFine : floorRatio(unusedList),
      0,
      unusedGpuSeconds / SECONDS_PER_HOUR,
    );
    out.emit(new ChargeRow(usage, context.info, slot, UNUSED_ALLOCATION), context.firstEntry + i);
  });
  if (context.idle.numerator === 0n && context.idleList.numerator === 0n) return;
  const idleHours = context.idleGpuSeconds / SECONDS_PER_HOUR;
  const idleFine = floorRatio(context.idle);
  const slot = store.push(
    idleFine,
    context.idleList === context.idle ? idleFine : floorRatio(context.idleList),
    idleHours,
    idleHours,
  );
  out.emit(new ChargeRow(null, context.info, slot, IDLE), out.entry(context.info));
}

/**
 * Splits the pool (idle + unused allocation of its nodes) over the pool's pods proportionally to their
 * Direct cost, as IdleShare rows. Returns false, emitting nothing, when there is no Direct cost to split
 * over.
 */
function emitShares(pool: IdlePool, digits: number, store: RowStore, out: DayRows): boolean {
  const { gpuSeconds: poolGpuSeconds } = pool;
  const poolCost = pool.cost.total();
  const poolList = pool.list.total();
  const directTotal = pool.directTotal.total();
  if (poolCost.numerator === 0n && poolList.numerator === 0n) return true;
  if (directTotal.numerator === 0n) return false;
  const sharePool: SharePool = {
    unitPrice: poolGpuSeconds === 0 ? '' : poolUnitPriceText(floorRatio(poolCost), poolGpuSeconds, digits),
    fallback: pool.fallback,
  };
  // share = pool × direct / directTotal, floored: (pool.n × total.d) × direct.n / ((pool.d × total.n) × direct.d).
  const costNumerator = poolCost.numerator * directTotal.denominator;
  const costDenominator = poolCost.denominator * directTotal.numerator;
  const listNumerator = poolList.numerator * directTotal.denominator;
  const listDenominator = poolList.denominator * directTotal.numerator;
  const totalFine = pool.directTotalFine > 0n ? Number(pool.directTotalFine) : 1;
  for (const context of pool.contexts) {
    context.usages.forEach((usage, i) => {
      const { direct } = podAmounts(heldGpuSecondsOf(usage), context, context.fractions[i]!);
      if (direct.numerator === 0n) return;
      const share = (costNumerator * direct.numerator) / (costDenominator * direct.denominator);
      const shareList = (listNumerator * direct.numerator) / (listDenominator * direct.denominator);
      const fraction = Number(floorRatio(direct)) / totalFine;
      const slot = store.push(share, shareList, 0, (poolGpuSeconds * fraction) / SECONDS_PER_HOUR);
      out.emit(new ShareRow(usage, context.info, slot, sharePool), context.firstEntry + i);
    });
  }
  return true;
}

/**
 * A pod's exact amounts on its node: held × scale × rate, split by the paid fraction into Direct and
 * unused allocation. The one formula for the Direct row and, recomputed, for the UnusedAllocation and
 * IdleShare rows (so they agree exactly).
 */
function podAmounts(held: Ratio, context: NodeContext, fraction: ReturnType<PaidFraction>): PodAmounts {
  const { scale, rates } = context;
  const full = costRatio(held, scale, rates.effNumerator, rates.effDenominator);
  const fullList = rates.sameList ? full : costRatio(held, scale, rates.listNumerator, rates.listDenominator);
  if (fraction === null)
    return {
      direct: full,
      directList: fullList,
      unused: ZERO_RATIO,
      unusedList: ZERO_RATIO,
      unusedGpuSeconds: 0,
      fraction,
    };
  const [direct, unused] = splitRatio(full, fraction.ratio);
  const [directList, unusedList] = rates.sameList ? [direct, unused] : splitRatio(fullList, fraction.ratio);
  return {
    direct,
    directList,
    unused,
    unusedList,
    unusedGpuSeconds: ratioToNumber(held) * (1 - fraction.value),
    fraction,
  };
}

/**
 * One day's rows and their sort entries (pod usages, and nodes for Idle rows). `appendSorted` orders
 * them: charge period, team, namespace, pod, uid, component, cluster, node, GPU resource. Entries are
 * sorted once by their strings; each row's key is then a few small integers packed into one exactly
 * representable double, and the keys are sorted natively.
 *
 * One instance serves the whole month ({@link reset} before each day): its arrays are a day's size
 * (tens of thousands of elements at 10,000 GPUs, each above V8's large-object threshold), so new ones
 * every day were ~3 MB a day the old generation kept until a major collection. Slots past the counts
 * still point at earlier days' rows and usages, which the month's rows hold anyway.
 */
class DayRows {
  readonly #rows: ChargeRow[] = [];
  readonly #rowEntries: number[] = [];
  readonly #entries: (PodUsage | NodeInfo)[] = [];
  #rowCount = 0;
  #entryCount = 0;
  // appendSorted's columns, per entry (and per row for teams).
  readonly #ns: string[] = [];
  readonly #pods: string[] = [];
  readonly #uids: string[] = [];
  readonly #clusters: string[] = [];
  readonly #nodes: string[] = [];
  readonly #resources: string[] = [];
  readonly #teamOf: string[] = [];

  /** Starts a new day. */
  reset(): void {
    this.#rowCount = 0;
    this.#entryCount = 0;
  }

  /** Sort entries so far: the next {@link entry} gets this number. */
  get entryCount(): number {
    return this.#entryCount;
  }

  /** A new sort entry for a pod usage (once per usage) or a node (for its Idle row). */
  entry(of: PodUsage | NodeInfo): number {
    this.#entries[this.#entryCount] = of;
    return this.#entryCount++;
  }

  emit(row: ChargeRow, entry: number): void {
    this.#rows[this.#rowCount] = row;
    this.#rowEntries[this.#rowCount++] = entry;
  }

  appendSorted(into: ChargeRow[]): void {
    const rows = this.#rows;
    const rowEntries = this.#rowEntries;
    const entries = this.#entries;
    const n = this.#entryCount;
    const rowCount = this.#rowCount;
    if (rowCount <= 1) {
      for (let i = 0; i < rowCount; i++) into.push(rows[i]!);
      return;
    }
    const starts = new Float64Array(n);
    const ns = this.#ns;
    const pods = this.#pods;
    const uids = this.#uids;
    const clusters = this.#clusters;
    const nodes = this.#nodes;
    const resources = this.#resources;
    for (let i = 0; i < n; i++) {
      const entry = entries[i]!;
      if ('gpuResource' in entry) {
        starts[i] = entry.chargePeriod.startMs;
        ns[i] = entry.pod.namespace;
        pods[i] = entry.pod.pod;
        uids[i] = entry.pod.uid;
        clusters[i] = entry.pod.cluster;
        nodes[i] = entry.node;
        resources[i] = entry.gpuResource;
      } else {
        starts[i] = entry.chargePeriod.startMs;
        ns[i] = '';
        pods[i] = '';
        uids[i] = '';
        clusters[i] = entry.cluster;
        nodes[i] = entry.node;
        resources[i] = '';
      }
    }
    const order = Array.from({ length: n }, (_, i) => i);
    order.sort(
      (a, b) =>
        starts[a]! - starts[b]! ||
        compareStrings(ns[a]!, ns[b]!) ||
        compareStrings(pods[a]!, pods[b]!) ||
        compareStrings(uids[a]!, uids[b]!) ||
        compareStrings(clusters[a]!, clusters[b]!) ||
        compareStrings(nodes[a]!, nodes[b]!) ||
        compareStrings(resources[a]!, resources[b]!),
    );
    // Position (p) of each entry, dense rank (g) of its (period, namespace, pod, uid), rank of its period.
    const position = new Float64Array(n);
    const group = new Float64Array(n);
    const periodRank = new Float64Array(n);
    let g = -1;
    let c = -1;
    order.forEach((e, p) => {
      const prev = p > 0 ? order[p - 1]! : -1;
      const newPeriod = prev < 0 || starts[prev] !== starts[e];
      if (newPeriod) c++;
      if (newPeriod || ns[prev] !== ns[e] || pods[prev] !== pods[e] || uids[prev] !== uids[e]) g++;
      position[e] = p;
      group[e] = g;
      periodRank[e] = c;
    });
    const teamOf = this.#teamOf;
    const teamSet = new Set<string>();
    for (let i = 0; i < rowCount; i++) teamSet.add((teamOf[i] = rows[i]!.rowTeam));
    const teams = [...teamSet].sort(compareStrings);
    const teamRank = new Map(teams.map((t, i) => [t, i]));
    const T = teams.length;
    const G = g + 1;
    const P = n;
    if ((c + 1) * T * G * 4 * P >= 2 ** 53)
      throw new RangeError(`too many rows in one day to sort (${n} entries)`);
    const keys = new Float64Array(rowCount);
    const rowAt = new Int32Array(4 * P).fill(-1);
    for (let i = 0; i < rowCount; i++) {
      const e = rowEntries[i]!;
      const code = rows[i]!.code;
      keys[i] =
        (((periodRank[e]! * T + teamRank.get(teamOf[i]!)!) * G + group[e]!) * 4 + code) * P + position[e]!;
      const at = code * P + position[e]!;
      if (rowAt[at] !== -1) throw new RangeError('two rows with the same sort key');
      rowAt[at] = i;
    }
    keys.sort();
    for (const key of keys) {
      const p = key % P;
      const code = Math.floor(key / P) % 4;
      into.push(rows[rowAt[code * P + p]!]!);
    }
  }
}

/** The policy's paid share of held time for a utilization, or null when the pod pays all of it. */
/** The share of a pod's held cost it pays directly, exactly and as a float; null pays it all. */
type PaidFraction = (utilization: number | null) => { ratio: Ratio; value: number } | null;

function paidFractionPolicy(policy: UtilizationPolicy): PaidFraction {
  if (policy.mode === 'allocation') return () => null;
  return (utilization) => {
    if (utilization === null || !Number.isFinite(utilization)) return null;
    const u = clamp01(utilization);
    const value = policy.mode === 'floor' ? Math.max(u, policy.floor) : u;
    return { ratio: exactDecimal(value), value };
  };
}

/** GPU-equivalent seconds held: heldSeconds × requested × weight, or the bounded GPU time, exactly. */
export function heldGpuSecondsOf(usage: PodUsage): Ratio {
  // Bounded by its node's capacity (metering, boundToCapacity): the GPU time charged, exactly.
  if (usage.bounded) {
    const units = exactNumber(usage.bounded.gpuUnitMs);
    return {
      numerator: units.numerator,
      denominator: units.denominator * BigInt(usage.bounded.denominator) * 1000n,
    };
  }
  const { heldSeconds, requested } = usage;
  const { numerator, denominator } = usage.weight;
  if (
    Number.isInteger(heldSeconds) &&
    Number.isInteger(requested) &&
    Number.isInteger(numerator) &&
    Number.isSafeInteger(denominator)
  ) {
    const product = heldSeconds * requested * numerator;
    // A product of integers below 2^53 is exact as a float.
    if (Number.isSafeInteger(product))
      return { numerator: BigInt(product), denominator: BigInt(denominator) };
  }
  const h = exactNumber(heldSeconds);
  const q = exactNumber(requested);
  const wn = exactNumber(numerator);
  const wd = exactNumber(denominator);
  return {
    numerator: h.numerator * q.numerator * wn.numerator * wd.denominator,
    denominator: h.denominator * q.denominator * wn.denominator * wd.numerator,
  };
}

/** GPU-equivalent hours held, as a float for display (money uses {@link heldGpuSecondsOf}). */
function heldGpuHoursOf(usage: PodUsage): number {
  if (usage.bounded) return usage.bounded.gpuUnitMs / usage.bounded.denominator / 1000 / SECONDS_PER_HOUR;
  return (
    (usage.heldSeconds * usage.requested * usage.weight.numerator) /
    usage.weight.denominator /
    SECONDS_PER_HOUR
  );
}

/** gpuSeconds × scale × rate as an exact ratio in fine units (rate given as numerator / denominator). */
function costRatio(gpuSeconds: Ratio, scale: Ratio, rateNumerator: bigint, rateDenominator: bigint): Ratio {
  if (gpuSeconds.numerator === 0n) return ZERO_RATIO;
  let numerator = gpuSeconds.numerator * rateNumerator;
  let denominator =
    gpuSeconds.denominator === 1n ? rateDenominator : gpuSeconds.denominator * rateDenominator;
  if (scale !== ONE_RATIO) {
    numerator *= scale.numerator;
    denominator *= scale.denominator;
  }
  return { numerator, denominator };
}

/** amount × fraction and amount × (1 − fraction), exactly (0 <= fraction <= 1). */
function splitRatio(amount: Ratio, fraction: Ratio): [Ratio, Ratio] {
  const denominator = amount.denominator * fraction.denominator;
  return [
    { numerator: amount.numerator * fraction.numerator, denominator },
    { numerator: amount.numerator * (fraction.denominator - fraction.numerator), denominator },
  ];
}

/** floor of a non-negative ratio. */
function floorRatio(r: Ratio): bigint {
  return r.numerator === 0n ? 0n : r.numerator / r.denominator;
}

function negate(r: Ratio): Ratio {
  return { numerator: -r.numerator, denominator: r.denominator };
}

/** Σ capacity × rate over rates, exactly. */
function totalCost(capacityByRate: Map<Ratio, Ratio>): Ratio {
  let total = ZERO_RATIO;
  for (const [rate, capacity] of capacityByRate) {
    total = addRatio(total, {
      numerator: capacity.numerator * rate.numerator,
      denominator: capacity.denominator * rate.denominator,
    });
  }
  return total;
}

/** The blended unit price of a pool per GPU-hour, 10 decimals half-even (display). */
function poolUnitPriceText(poolCostFine: bigint, poolGpuSeconds: number, digits: number): string {
  const gpuSeconds = exactNumber(poolGpuSeconds);
  const scaled = divideHalfEven(
    poolCostFine * 3600n * pow10(10) * gpuSeconds.denominator,
    pow10(digits + FINE_DIGITS) * gpuSeconds.numerator,
  );
  const text = scaled.toString().padStart(11, '0');
  const whole = text.slice(0, -10);
  const fraction = text.slice(-10).replace(/0+$/, '');
  return fraction === '' ? whole : `${whole}.${fraction}`;
}

function nodeInfo(store: RowStore, node: NodeUsage, price: NodePrice, coverage: number): NodeInfo {
  return {
    store,
    cluster: node.cluster,
    node: node.node,
    chargePeriod: node.chargePeriod,
    instanceType: node.instanceType,
    capacityType: node.capacityType,
    providerId: node.providerId ?? '',
    gpuModel: price.gpuModel,
    pricingCategory: price.pricingCategory,
    unitPrice: price.unitPriceText,
    fallback: price.fallback,
    costSource: price.costSource ?? '',
    coverage,
    idleGpuEquivalents: 0,
  };
}

function unpricedInfo(store: RowStore, usage: PodUsage, coverage: number): NodeInfo {
  return {
    store,
    cluster: usage.pod.cluster,
    node: usage.node,
    chargePeriod: usage.chargePeriod,
    instanceType: '',
    capacityType: 'unknown',
    providerId: '',
    gpuModel: 'unknown',
    pricingCategory: 'Standard',
    unitPrice: '0',
    fallback: false,
    costSource: '',
    coverage,
    idleGpuEquivalents: 0,
  };
}

/** A three-level map (cluster, node, charge period start), so grouping allocates no key strings. */
class NestedMap<V> {
  readonly #map = new Map<string, Map<string, Map<number, V>>>();

  get(a: string, b: string, c: number): V | undefined {
    return this.#map.get(a)?.get(b)?.get(c);
  }

  set(a: string, b: string, c: number, value: V): void {
    let byB = this.#map.get(a);
    if (!byB) {
      byB = new Map();
      this.#map.set(a, byB);
    }
    let byC = byB.get(b);
    if (!byC) {
      byC = new Map();
      byB.set(b, byC);
    }
    byC.set(c, value);
  }

  forEach(visit: (a: string, b: string, c: number, value: V) => void): void {
    for (const [a, byB] of this.#map) for (const [b, byC] of byB) for (const [c, v] of byC) visit(a, b, c, v);
  }
}

function clamp01(value: number): number {
  return Math.min(1, Math.max(0, value));
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}

function round6(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}
