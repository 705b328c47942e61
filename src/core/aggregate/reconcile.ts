import { compareStrings } from '../compare.ts';
import { isDraResource } from '../metering/weights.ts';
import { byIdleReason, type ByIdleReason, IDLE_REASONS } from '../idleReasons.ts';
import {
  addRatio,
  exactNumber,
  FINE_DIGITS,
  formatMinorUnits,
  pow10,
  type Ratio,
  ratioToNumber,
  toMinorUnitsHalfEven,
} from '../money.ts';
import type { PriceResolver } from '../pricing/catalog.ts';
import { compositeKey } from '../records.ts';
import { apportionParts } from '../rounding/largestRemainder.ts';
import type { MeteredDay, NodeUsage, Summary } from '../types.ts';
import { warningText } from '../warningText.ts';

const ZERO: Ratio = { numerator: 0n, denominator: 1n };

/**
 * The month against the machines the company pays for: Σ over node × charge period of the hours it
 * existed × its physical GPUs × its per-GPU rate (= instance-hours × instance price, or GPU-hours × the
 * on-prem rate), computed independently of the rows, and what of it pods did not hold, by reason.
 *
 * Idle by reason is the machine cost left after the pods' held cost (before the idle policy moves it
 * into Idle or IdleShare rows): exact per node-period (idle GPU-seconds of the reason × the node's
 * rate; none on a node-period whose pods held more than its capacity, as allocation scales them to
 * it), rounded half-even in total and apportioned to the reasons by largest remainder, so the reasons
 * add up to `idle.cost` and `allocatedCost` + `idle.cost` = `machines.cost` to the minor unit.
 */
export function reconcileMachines(
  days: readonly MeteredDay[],
  resolver: PriceResolver,
  digits: number,
  sumOfRowsUnits: number,
): Omit<Summary['reconciliation'], 'capacityCost' | 'sumOfRows' | 'difference'> {
  let machineCost = ZERO;
  let nodeSeconds = 0;
  let gpuSeconds = 0;
  const idleCost = byIdleReason(() => ZERO);
  const idleSeconds = byIdleReason(() => 0);
  for (const day of days) {
    for (const node of day.nodes) {
      const rate = rateOf(node, resolver);
      const present = exactNumber(node.presentSeconds);
      const gpus = exactNumber(node.gpus);
      machineCost = addRatio(machineCost, {
        numerator: present.numerator * gpus.numerator * rate.numerator,
        denominator: present.denominator * gpus.denominator * rate.denominator,
      });
      nodeSeconds += node.presentSeconds;
      gpuSeconds += node.presentSeconds * node.gpus;
      const reasons = idleGpuSecondsOf(node);
      for (const reason of IDLE_REASONS) {
        const s = reasons[reason];
        if (s.numerator <= 0n) continue;
        idleSeconds[reason] += ratioToNumber(s);
        idleCost[reason] = addRatio(idleCost[reason], {
          numerator: s.numerator * rate.numerator,
          denominator: s.denominator * rate.denominator,
        });
      }
    }
  }
  const machineUnits = toMinorUnitsHalfEven(machineCost, digits);
  let idleTotal = ZERO;
  for (const reason of IDLE_REASONS) idleTotal = addRatio(idleTotal, idleCost[reason]);
  const idleUnits = Math.min(machineUnits, toMinorUnitsHalfEven(idleTotal, digits));
  const byReason = apportion(idleUnits, idleCost, digits);
  const money = (units: number) => formatMinorUnits(units, digits);
  return {
    machines: {
      nodeHours: round6(nodeSeconds / 3600),
      gpuHours: round6(gpuSeconds / 3600),
      cost: money(machineUnits),
      difference: money(machineUnits - sumOfRowsUnits),
    },
    allocatedCost: money(machineUnits - idleUnits),
    idle: {
      cost: money(idleUnits),
      byReason: byIdleReason((r) => ({ gpuHours: round6(idleSeconds[r] / 3600), cost: money(byReason[r]) })),
    },
  };
}

/**
 * Warnings about the machines, once per node and month, each with the money at stake: a node whose
 * physical GPU count is only what it advertised (its whole cost rests on that guess), and a node whose
 * GPUs were idle because it did not advertise them — unless its pods claim GPUs through DRA in the
 * month (then unclaimed GPUs are its ordinary idle) — or advertised a resource metering cannot interpret.
 */
export function machineWarnings(
  days: readonly MeteredDay[],
  resolver: PriceResolver,
  digits: number,
  currency: string,
): string[] {
  const byNode = new Map<string, MachineFacts>();
  // On a node whose pods hold GPUs through DRA claims, unclaimed GPUs are its ordinary idle.
  const draNodes = new Set<string>();
  for (const day of days)
    for (const p of day.pods)
      if (isDraResource(p.gpuResource)) draNodes.add(compositeKey(p.pod.cluster, p.node));
  const add = (acc: { seconds: number; cost: Ratio } | undefined, seconds: Ratio, rate: Ratio) => ({
    seconds: (acc?.seconds ?? 0) + ratioToNumber(seconds),
    cost: addRatio(acc?.cost ?? ZERO, {
      numerator: seconds.numerator * rate.numerator,
      denominator: seconds.denominator * rate.denominator,
    }),
  });
  for (const day of days) {
    for (const node of day.nodes) {
      const guessed = node.gpuSource === 'advertised';
      const reasons = idleGpuSecondsOf(node);
      const dra = draNodes.has(compositeKey(node.cluster, node.node));
      const idle = (['not-advertised', 'unknown-resource'] as const).filter(
        (r) => reasons[r].numerator > 0n && !(dra && r === 'not-advertised'),
      );
      if (!guessed && idle.length === 0) continue;
      const id = compositeKey(node.cluster, node.node);
      const facts = byNode.get(id) ?? {
        label: `${node.cluster ? `${node.cluster}/` : ''}${node.node}`,
        gpus: node.gpus,
        instanceType: node.instanceType,
        unknownResources: new Set<string>(),
        guessed: { seconds: 0, cost: ZERO },
        idle: {},
      };
      byNode.set(id, facts);
      facts.gpus = Math.max(facts.gpus, node.gpus);
      for (const r of node.unknownResources ?? []) facts.unknownResources.add(r);
      const rate = rateOf(node, resolver);
      if (guessed) {
        const gpus = exactNumber(node.gpus);
        const present = exactNumber(node.presentSeconds);
        facts.guessed = add(
          facts.guessed,
          {
            numerator: gpus.numerator * present.numerator,
            denominator: gpus.denominator * present.denominator,
          },
          rate,
        );
      }
      for (const reason of idle) facts.idle[reason] = add(facts.idle[reason], reasons[reason], rate);
    }
  }
  const money = (cost: Ratio) =>
    `${currency} ${formatMinorUnits(toMinorUnitsHalfEven(cost, digits), digits)}`;
  const hours = (seconds: number) => String(round6(seconds / 3600));
  return [...byNode.keys()]
    .sort(compareStrings)
    .flatMap((id) => nodeFactWarnings(byNode.get(id)!, money, hours));
}

/** A node's facts of the month that machineWarnings warns about. */
interface MachineFacts {
  label: string;
  gpus: number;
  instanceType: string;
  unknownResources: Set<string>;
  guessed: { seconds: number; cost: Ratio };
  idle: Partial<Record<'not-advertised' | 'unknown-resource', { seconds: number; cost: Ratio }>>;
}

/** The warnings of one node's facts, each with the money at stake. */
function nodeFactWarnings(
  f: MachineFacts,
  money: (cost: Ratio) => string,
  hours: (seconds: number) => string,
): string[] {
  const out: string[] = [];
  if (f.guessed.seconds > 0) {
    out.push(
      warningText('nodeGpuCountGuessed', {
        node: f.label,
        instanceType: f.instanceType,
        gpus: f.gpus,
        gpuHours: hours(f.guessed.seconds),
        amount: money(f.guessed.cost),
      }),
    );
  }
  const notAdvertised = f.idle['not-advertised'];
  if (notAdvertised) {
    out.push(
      warningText('nodeGpusNotAdvertised', {
        node: f.label,
        gpuHours: hours(notAdvertised.seconds),
        amount: money(notAdvertised.cost),
        gpus: f.gpus,
      }),
    );
  }
  const unknown = f.idle['unknown-resource'];
  if (unknown) {
    out.push(
      warningText(f.unknownResources.size > 0 ? 'nodeUnknownResource' : 'nodeUnknownResourceUnnamed', {
        node: f.label,
        resources: [...f.unknownResources].sort(compareStrings).join(', '),
        gpuHours: hours(unknown.seconds),
        amount: money(unknown.cost),
      }),
    );
  }
  return out;
}

/** A node-period's effective price per GPU-second. */
function rateOf(node: NodeUsage, resolver: PriceResolver): Ratio {
  return resolver.priceNode(node).effectivePerGpuSecond;
}

/**
 * A node-period's idle GPU-seconds per reason, exactly: from its exact units when metered with them,
 * else from its per-reason seconds, else its idle as "unallocated" (days metered before idle reasons
 * existed). All zero when its pods held more than its capacity.
 */
function idleGpuSecondsOf(node: NodeUsage): ByIdleReason<Ratio> {
  const exact = node.exact;
  if (exact && exact.idle < 0) return byIdleReason(() => ZERO);
  if (exact?.idleByReason) {
    const scale = BigInt(exact.denominator) * 1000n;
    const reasons = exact.idleByReason;
    return byIdleReason((r) => ({ numerator: BigInt(Math.round(reasons[r])), denominator: scale }));
  }
  if (node.idleGpuSeconds <= 0) return byIdleReason(() => ZERO);
  const floats = node.idleByReason;
  if (floats) return byIdleReason((r) => (floats[r] > 0 ? exactNumber(floats[r]) : ZERO));
  const idle = exactNumber(node.idleGpuSeconds);
  return byIdleReason((r) => (r === 'unallocated' ? idle : ZERO));
}

/** `totalUnits` apportioned over the reasons' exact amounts by largest remainder (ties: reason order). */
function apportion(totalUnits: number, exact: ByIdleReason<Ratio>, digits: number): ByIdleReason<number> {
  const fine = pow10(digits + FINE_DIGITS);
  const perMinor = pow10(FINE_DIGITS);
  const floors = new Float64Array(IDLE_REASONS.length);
  const rems = new Float64Array(IDLE_REASONS.length);
  IDLE_REASONS.forEach((reason, i) => {
    const units = (exact[reason].numerator * fine) / exact[reason].denominator;
    floors[i] = Number(units / perMinor);
    rems[i] = Number(units % perMinor);
  });
  const out = new Float64Array(IDLE_REASONS.length);
  apportionParts(
    totalUnits,
    floors,
    rems,
    IDLE_REASONS.map((_, i) => i),
    out,
  );
  return byIdleReason((r) => out[IDLE_REASONS.indexOf(r)]!);
}

function round6(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}
