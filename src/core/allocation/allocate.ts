import type { Config } from '../../config/schema.ts';
import { type Money, toMoney, ZERO } from '../money.ts';
import type { NodePrice, PriceResolver } from '../pricing/catalog.ts';
import type { RoundedRow } from '../pricing/model.ts';
import type { CostComponent, MeteredDay, NodeUsage, PodUsage } from '../types.ts';

/**
 * A row before rounding: the output row (its money strings still empty) and its exact money. Kept as a
 * thin wrapper so the row objects are built once and only their money strings are filled in later.
 */
export interface ExactRow {
  row: RoundedRow;
  effective: Money;
  list: Money;
}

/** What allocation needs to know about the policies. */
export interface AllocateOptions {
  utilization: Config['allocation']['utilization'];
  idle: Config['allocation']['idle'];
  chargeClass: '' | 'Correction';
}

/** Exact rows of a month and the exact cost of all GPU capacity they must sum to. */
export interface AllocationResult {
  rows: ExactRow[];
  /** Σ over node × charge period of capacityGpuSeconds × the node's per-GPU-second effective rate. */
  capacityCost: Money;
  /** The same at On-Demand prices. */
  capacityListCost: Money;
  warnings: string[];
}

const SECONDS_PER_HOUR = 3600;
const ONE = toMoney(1);

interface PodEntry {
  usage: PodUsage;
  coverage: number;
  heldGpuSeconds: Money;
  /** Share of held time paid directly, 0..1 (1 under "allocation" or unknown utilization). */
  paidFraction: Money;
  direct: ExactRow;
  unusedCost: Money;
  unusedList: Money;
}

interface NodeContext {
  chargeClass: '' | 'Correction';
  node: NodeUsage;
  price: NodePrice;
  coverage: number;
  idleGpuSeconds: Money;
  idleCost: Money;
  idleList: Money;
  pods: PodEntry[];
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
 */
export function allocateMonth(
  days: readonly MeteredDay[],
  resolver: PriceResolver,
  options: AllocateOptions,
): AllocationResult {
  const rows: ExactRow[] = [];
  const warnings: string[] = [];
  const overAllocated = new Map<string, { periods: number; excessGpuSeconds: number }>();
  const unknownNodes = new Map<string, number>();
  const gpuMismatch = new Set<string>();
  let unknownUtilizationRows = 0;
  let capacityCost = ZERO;
  let capacityListCost = ZERO;

  for (const day of days) {
    const nodeContexts: NodeContext[] = [];
    const coverage = day.coverage.kubeStateMetrics;
    const podsByNode = new Map<string, PodUsage[]>();
    for (const usage of day.pods) {
      const key = nodeKey(usage.pod.cluster, usage.node, usage.chargePeriod.startMs);
      const list = podsByNode.get(key);
      if (list) list.push(usage);
      else podsByNode.set(key, [usage]);
    }
    const nodes = [...day.nodes].sort((a, b) =>
      compareStrings(
        nodeKey(a.cluster, a.node, a.chargePeriod.startMs),
        nodeKey(b.cluster, b.node, b.chargePeriod.startMs),
      ),
    );
    for (const node of nodes) {
      resolver.assertConstantPrices(node.chargePeriod);
      const price = resolver.resolve(
        node.cluster,
        node.instanceType,
        node.capacityType,
        node.chargePeriod.startMs,
      );
      if (price.catalogGpus !== null && node.gpus > 0 && Math.abs(node.gpus - price.catalogGpus) > 1e-6) {
        gpuMismatch.add(
          `${node.instanceType}: catalog says ${price.catalogGpus} GPUs, node ${node.node} reports ${node.gpus}`,
        );
      }
      const key = nodeKey(node.cluster, node.node, node.chargePeriod.startMs);
      const podUsages = podsByNode.get(key) ?? [];
      podsByNode.delete(key);
      const capacityGpuSeconds = toMoney(node.capacityGpuSeconds);
      // Multiply before dividing by 3600 so that terminating amounts stay exact decimals.
      const nodeCost = costOf(capacityGpuSeconds, price.effectivePerGpuHour);
      const nodeList = costOf(capacityGpuSeconds, price.listPerGpuHour);
      capacityCost = capacityCost.plus(nodeCost);
      capacityListCost = capacityListCost.plus(nodeList);

      const held = podUsages.map(heldGpuSecondsOf);
      let allocatedGpuSeconds = ZERO;
      for (const h of held) allocatedGpuSeconds = allocatedGpuSeconds.plus(h);
      let scale = ONE;
      if (allocatedGpuSeconds.gt(capacityGpuSeconds)) {
        scale = capacityGpuSeconds.div(allocatedGpuSeconds);
        const label = `${node.cluster ? `${node.cluster}/` : ''}${node.node}`;
        const entry = overAllocated.get(label) ?? { periods: 0, excessGpuSeconds: 0 };
        entry.periods++;
        entry.excessGpuSeconds += allocatedGpuSeconds.minus(capacityGpuSeconds).toNumber();
        overAllocated.set(label, entry);
      }

      const context: NodeContext = {
        chargeClass: options.chargeClass,
        node,
        price,
        coverage,
        idleGpuSeconds: ZERO,
        idleCost: ZERO,
        idleList: ZERO,
        pods: [],
      };
      let allocatedCost = ZERO;
      let allocatedList = ZERO;
      podUsages.forEach((usage, i) => {
        const heldGpuSeconds = held[i]!;
        const scaled = scale === ONE ? heldGpuSeconds : heldGpuSeconds.times(scale);
        const fullCost = costOf(scaled, price.effectivePerGpuHour);
        const fullList = costOf(scaled, price.listPerGpuHour);
        allocatedCost = allocatedCost.plus(fullCost);
        allocatedList = allocatedList.plus(fullList);
        const paidFraction = paidFractionOf(usage.utilization, options.utilization);
        if (usage.utilization === null && options.utilization.mode !== 'allocation') unknownUtilizationRows++;
        const paysAll = paidFraction === ONE;
        const directCost = paysAll ? fullCost : fullCost.times(paidFraction);
        const directList = paysAll ? fullList : fullList.times(paidFraction);
        const row = baseRow(usage, node, price, coverage, 'Direct', options.chargeClass);
        const heldHours = heldGpuHoursOf(usage);
        row.consumedGpuHours = hoursText(heldHours);
        row.billableGpuHours = paysAll
          ? row.consumedGpuHours
          : hoursText(heldHours * paidFraction.toNumber());
        const direct: ExactRow = { row, effective: directCost, list: directList };
        rows.push(direct);
        context.pods.push({
          usage,
          coverage,
          heldGpuSeconds,
          paidFraction,
          direct,
          unusedCost: paysAll ? ZERO : fullCost.minus(directCost),
          unusedList: paysAll ? ZERO : fullList.minus(directList),
        });
      });
      // Over-allocated nodes have no idle time by definition (their pods' costs were scaled to capacity).
      if (scale === ONE) {
        context.idleCost = maxZero(nodeCost.minus(allocatedCost));
        context.idleList = maxZero(nodeList.minus(allocatedList));
        context.idleGpuSeconds = maxZero(capacityGpuSeconds.minus(allocatedGpuSeconds));
      }
      nodeContexts.push(context);
    }
    for (const [key, usages] of podsByNode) {
      const [cluster, nodeName] = key.split('\u0000');
      const label = `${cluster ? `${cluster}/` : ''}${nodeName}`;
      unknownNodes.set(label, (unknownNodes.get(label) ?? 0) + usages.length);
      for (const usage of usages) {
        const row = unpricedRow(usage, coverage, options.chargeClass);
        row.consumedGpuHours = hoursText(heldGpuHoursOf(usage));
        rows.push({ row, effective: ZERO, list: ZERO });
      }
    }
    // Charge periods never cross midnight, so a day's idle can be settled before the next day is priced.
    emitIdle(nodeContexts, options.idle, rows);
  }

  for (const [label, { periods, excessGpuSeconds }] of [...overAllocated].sort(([a], [b]) =>
    compareStrings(a, b),
  )) {
    warnings.push(
      `node ${label}: pods held ${round2(excessGpuSeconds / SECONDS_PER_HOUR)} GPU-hours more than its capacity in ` +
        `${periods} charge period(s); their costs were scaled down to the node's capacity cost`,
    );
  }
  for (const [label, count] of [...unknownNodes].sort(([a], [b]) => compareStrings(a, b))) {
    warnings.push(
      `node ${label} has no capacity record; ${count} pod usage row(s) on it are not charged (cost 0)`,
    );
  }
  for (const text of [...gpuMismatch].sort(compareStrings)) {
    warnings.push(`GPU count mismatch for ${text}; the per-GPU rate uses the catalog count`);
  }
  if (unknownUtilizationRows > 0) {
    warnings.push(
      `${unknownUtilizationRows} pod usage row(s) have no utilization data; their full held time was charged as Direct`,
    );
  }
  return { rows, capacityCost, capacityListCost, warnings };
}

/** Applies the idle policy to the node contexts of one day. */
function emitIdle(
  nodeContexts: readonly NodeContext[],
  idle: AllocateOptions['idle'],
  rows: ExactRow[],
): void {
  const platformTeam = idle.platformTeam;
  if (idle.mode === 'separate') {
    for (const context of nodeContexts) emitSeparate(context, platformTeam, rows);
  } else if (idle.mode === 'share-by-node') {
    for (const context of nodeContexts) {
      if (!emitShares([context], context.pods, rows)) emitSeparate(context, platformTeam, rows);
    }
  } else {
    const byCluster = new Map<string, NodeContext[]>();
    for (const context of nodeContexts) {
      const key = `${context.node.cluster}\u0000${context.node.chargePeriod.startMs}`;
      const list = byCluster.get(key);
      if (list) list.push(context);
      else byCluster.set(key, [context]);
    }
    for (const contexts of byCluster.values()) {
      const pods = contexts.flatMap((c) => c.pods);
      if (!emitShares(contexts, pods, rows)) {
        for (const context of contexts) emitSeparate(context, platformTeam, rows);
      }
    }
  }
}

/** Idle row for the node and UnusedAllocation rows for its pods, all for the platform team. */
function emitSeparate(context: NodeContext, platformTeam: string, rows: ExactRow[]): void {
  for (const pod of context.pods) {
    if (pod.unusedCost.isZero() && pod.unusedList.isZero()) continue;
    const row: RoundedRow = {
      ...pod.direct.row,
      component: 'UnusedAllocation',
      team: platformTeam,
      consumedGpuHours: '0',
      billableGpuHours: hoursText(
        pod.heldGpuSeconds.times(ONE.minus(pod.paidFraction)).toNumber() / SECONDS_PER_HOUR,
      ),
    };
    rows.push({ row, effective: pod.unusedCost, list: pod.unusedList });
  }
  if (context.idleCost.isZero() && context.idleList.isZero()) return;
  const node = context.node;
  const periodSeconds = (node.chargePeriod.endMs - node.chargePeriod.startMs) / 1000;
  const idleHours = hoursText(context.idleGpuSeconds.toNumber() / SECONDS_PER_HOUR);
  const row: RoundedRow = {
    chargePeriod: node.chargePeriod,
    cluster: node.cluster,
    team: platformTeam,
    project: '',
    namespace: '',
    pod: '',
    podUid: '',
    node: node.node,
    instanceType: node.instanceType,
    gpuModel: context.price.gpuModel,
    gpuResource: '',
    gpuEquivalents: periodSeconds > 0 ? round6(context.idleGpuSeconds.toNumber() / periodSeconds) : 0,
    pricingCategory: context.price.pricingCategory,
    component: 'Idle',
    consumedGpuHours: idleHours,
    billableGpuHours: idleHours,
    utilizationPct: null,
    utilizationSource: 'none',
    unitPrice: unitPriceText(context.price.effectivePerGpuHour),
    coverage: context.coverage,
    priceFallback: context.price.fallback,
    capacityType: node.capacityType,
    effectiveCostExact: '',
    listCostExact: '',
    effectiveCost: '',
    listCost: '',
    chargeClass: context.chargeClass,
  };
  rows.push({ row, effective: context.idleCost, list: context.idleList });
}

/**
 * Splits the pool (idle + unused allocation) of `contexts` over `pods` proportionally to their Direct
 * cost, as IdleShare rows. Returns false, emitting nothing, when there is no Direct cost to split over.
 */
function emitShares(contexts: readonly NodeContext[], pods: readonly PodEntry[], rows: ExactRow[]): boolean {
  let poolCost = ZERO;
  let poolList = ZERO;
  let poolGpuSeconds = ZERO;
  let poolFallback = false;
  for (const c of contexts) {
    poolCost = poolCost.plus(c.idleCost);
    poolList = poolList.plus(c.idleList);
    poolGpuSeconds = poolGpuSeconds.plus(c.idleGpuSeconds);
    poolFallback ||= c.price.fallback && !(c.idleCost.isZero() && c.idleList.isZero());
    for (const p of c.pods) {
      poolCost = poolCost.plus(p.unusedCost);
      poolList = poolList.plus(p.unusedList);
      poolGpuSeconds = poolGpuSeconds.plus(p.heldGpuSeconds.times(ONE.minus(p.paidFraction)));
      poolFallback ||= c.price.fallback && !p.unusedCost.isZero();
    }
  }
  if (poolCost.isZero() && poolList.isZero()) return true;
  let directTotal = ZERO;
  for (const p of pods) directTotal = directTotal.plus(p.direct.effective);
  if (directTotal.isZero()) return false;
  const unitPrice = poolGpuSeconds.isZero()
    ? ''
    : unitPriceText(poolCost.div(poolGpuSeconds).times(SECONDS_PER_HOUR));
  for (const p of pods) {
    if (p.direct.effective.isZero()) continue;
    const fraction = p.direct.effective.div(directTotal);
    const row: RoundedRow = {
      ...p.direct.row,
      component: 'IdleShare',
      consumedGpuHours: '0',
      billableGpuHours: hoursText(poolGpuSeconds.times(fraction).toNumber() / SECONDS_PER_HOUR),
      unitPrice: unitPrice || p.direct.row.unitPrice,
      priceFallback: p.direct.row.priceFallback || poolFallback,
    };
    rows.push({ row, effective: poolCost.times(fraction), list: poolList.times(fraction) });
  }
  return true;
}

function baseRow(
  usage: PodUsage,
  node: NodeUsage,
  price: NodePrice,
  coverage: number,
  component: CostComponent,
  chargeClass: '' | 'Correction',
): RoundedRow {
  return {
    chargePeriod: usage.chargePeriod,
    cluster: usage.pod.cluster,
    team: usage.team,
    project: usage.project,
    namespace: usage.pod.namespace,
    pod: usage.pod.pod,
    podUid: usage.pod.uid,
    node: usage.node,
    instanceType: node.instanceType,
    gpuModel: price.gpuModel,
    gpuResource: usage.gpuResource,
    gpuEquivalents: usage.gpuEquivalents,
    pricingCategory: price.pricingCategory,
    component,
    consumedGpuHours: '0',
    billableGpuHours: '0',
    utilizationPct: usage.utilization === null ? null : round2(clamp01(usage.utilization) * 100),
    utilizationSource: usage.utilizationSource,
    unitPrice: unitPriceText(price.effectivePerGpuHour),
    coverage,
    priceFallback: price.fallback,
    capacityType: node.capacityType,
    effectiveCostExact: '',
    listCostExact: '',
    effectiveCost: '',
    listCost: '',
    chargeClass,
  };
}

function unpricedRow(usage: PodUsage, coverage: number, chargeClass: '' | 'Correction'): RoundedRow {
  const row = baseRow(
    usage,
    { instanceType: '', capacityType: 'unknown' } as NodeUsage,
    {
      instanceType: '',
      gpuModel: 'unknown',
      catalogGpus: null,
      pricingCategory: 'Standard',
      effectivePerGpuHour: ZERO,
      listPerGpuHour: ZERO,
      fallback: false,
    },
    coverage,
    'Direct',
    chargeClass,
  );
  row.billableGpuHours = '0';
  return row;
}

/** GPU-equivalent seconds held: heldSeconds × requested × weight, exactly. */
export function heldGpuSecondsOf(usage: PodUsage): Money {
  const { numerator, denominator } = usage.weight;
  const product = usage.heldSeconds * usage.requested * numerator;
  // Integer products below 2^53 are exact as floats; anything else goes through decimals.
  const scaled = Number.isSafeInteger(product)
    ? toMoney(product)
    : toMoney(usage.heldSeconds).times(usage.requested).times(numerator);
  return denominator === 1 ? scaled : scaled.div(denominator);
}

/** GPU-equivalent hours held, as a float for display (money uses {@link heldGpuSecondsOf}). */
function heldGpuHoursOf(usage: PodUsage): number {
  return (
    (usage.heldSeconds * usage.requested * usage.weight.numerator) /
    usage.weight.denominator /
    SECONDS_PER_HOUR
  );
}

/** Share of held time paid as Direct under the utilization policy. */
export function paidFractionOf(utilization: number | null, policy: AllocateOptions['utilization']): Money {
  if (policy.mode === 'allocation' || utilization === null || !Number.isFinite(utilization)) return ONE;
  const u = clamp01(utilization);
  return toMoney(policy.mode === 'floor' ? Math.max(u, policy.floor) : u);
}

/** Cost of `gpuSeconds` at `perGpuHour`. */
function costOf(gpuSeconds: Money, perGpuHour: Money): Money {
  return gpuSeconds.times(perGpuHour).div(SECONDS_PER_HOUR);
}

function nodeKey(cluster: string, node: string, startMs: number): string {
  return `${cluster}\u0000${node}\u0000${startMs}`;
}

/** Code-unit string order (locale-independent, so sorting is identical everywhere). */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function maxZero(value: Money): Money {
  return value.isNegative() ? ZERO : value;
}

function clamp01(value: number): number {
  return Math.min(1, Math.max(0, value));
}

/** GPU-hours for display: at most 6 decimals, no exponent, no negative zero. */
function hoursText(hours: number): string {
  const rounded = Math.round(hours * 1e6) / 1e6;
  if (rounded === 0 || !Number.isFinite(rounded)) return '0';
  return rounded.toFixed(6).replace(/\.?0+$/, '');
}

/** Unit prices are shown to 10 decimals (display only; costs use the exact rate). */
function unitPriceText(perGpuHour: Money): string {
  return perGpuHour.toDecimalPlaces(10).toString();
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}

function round6(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}
