import fc from 'fast-check';
import type { Config, ConfigInput } from '../../src/config/schema.ts';
import { configSchema } from '../../src/config/schema.ts';
import { billingPeriod, chargePeriods } from '../../src/core/period.ts';
import { priceCutInstants } from '../../src/core/pricing/catalog.ts';
import type { PriceMonthOptions } from '../../src/core/month/index.ts';
import type {
  BillingPeriod,
  CapacityType,
  ChargePeriod,
  Day,
  Fraction,
  MeteredDay,
  NodeUsage,
  PodUsage,
} from '../../src/core/types.ts';
import { priceMonthOptionsFor } from '../../src/app/priceOptions.ts';

/**
 * Hand-made and random MeteredDay fixtures for the pricing stage (what metering would produce), plus
 * config helpers. Everything is plain data; random months come from fast-check arbitraries.
 */

/** A config section parsed through the real schema, so defaults match production. */
export function parseConfig(input: ConfigInput = {}): Config {
  return configSchema.parse(input);
}

/** A small catalog: 1×T4, 4×A10G, 3-GPU (awkward divisor), 8×A100 (MIG-capable). Prices USD/instance-hour. */
export const CATALOG: NonNullable<NonNullable<ConfigInput['pricing']>['instanceTypes']> = {
  'g4dn.xlarge': { gpus: 1, gpuModel: 'T4', onDemand: 0.526, spot: 0.2104 },
  'g5.12xlarge': { gpus: 4, gpuModel: 'A10G', onDemand: 5.672, spot: 2.2688, committed: 3.5736 },
  'x3.triple': { gpus: 3, gpuModel: 'L4', onDemand: 1, spot: 0.35 },
  'p4d.24xlarge': { gpus: 8, gpuModel: 'A100', onDemand: 32.7726 },
};

/** A PodUsage with sensible defaults (1 whole GPU held for the whole charge period, utilization 50 %). */
export function podUsage(
  chargePeriod: ChargePeriod,
  overrides: Partial<Omit<PodUsage, 'pod'>> & { pod?: Partial<PodUsage['pod']> } = {},
): PodUsage {
  const { pod, ...rest } = overrides;
  const weight: Fraction = rest.weight ?? { numerator: 1, denominator: 1 };
  const requested = rest.requested ?? 1;
  const heldSeconds = rest.heldSeconds ?? (chargePeriod.endMs - chargePeriod.startMs) / 1000;
  const gpuEquivalents = (requested * weight.numerator) / weight.denominator;
  return {
    pod: { cluster: '', namespace: 'ml', pod: 'train-0', uid: 'uid-0', ...pod },
    node: 'node-a',
    chargePeriod,
    gpuResource: 'nvidia_com_gpu',
    requested,
    weight,
    gpuEquivalents,
    heldSeconds,
    bridgedSeconds: 0,
    gpuSeconds: heldSeconds * gpuEquivalents,
    utilization: 0.5,
    utilizationSource: 'DCGM_FI_PROF_GR_ENGINE_ACTIVE',
    team: 'ml',
    project: 'vision',
    teamSource: 'pod-label',
    phase: 'Running',
    ...rest,
  };
}

/** A NodeUsage present for the whole charge period with `gpus` GPUs; allocated/idle follow from `pods`. */
export function nodeUsage(
  chargePeriod: ChargePeriod,
  overrides: Partial<NodeUsage> & { gpus?: number } = {},
  pods: readonly PodUsage[] = [],
): NodeUsage {
  const gpus = overrides.gpus ?? 1;
  const presentSeconds = overrides.presentSeconds ?? (chargePeriod.endMs - chargePeriod.startMs) / 1000;
  const capacityGpuSeconds = overrides.capacityGpuSeconds ?? gpus * presentSeconds;
  const node = overrides.node ?? 'node-a';
  const cluster = overrides.cluster ?? '';
  const allocated = pods
    .filter(
      (p) => p.node === node && p.pod.cluster === cluster && p.chargePeriod.startMs === chargePeriod.startMs,
    )
    .reduce((s, p) => s + p.gpuSeconds, 0);
  return {
    cluster,
    node,
    chargePeriod,
    instanceType: 'g4dn.xlarge',
    capacityType: 'on-demand',
    presentSeconds,
    capacityGpuSeconds,
    allocatedGpuSeconds: allocated,
    idleGpuSeconds: capacityGpuSeconds - allocated,
    gpus,
    ...overrides,
  };
}

/** A MeteredDay of `day` with full coverage and a flat hourly series per instance type. */
export function meteredDay(
  day: Day,
  pods: PodUsage[],
  nodes: NodeUsage[],
  overrides: Partial<MeteredDay> = {},
): MeteredDay {
  const hours = Math.round((day.endMs - day.startMs) / 3_600_000);
  const hourly: Record<string, number[]> = {};
  for (const node of nodes) {
    const allocated = pods.filter((p) => p.node === node.node).reduce((s, p) => s + p.gpuSeconds, 0);
    const series = hourly[node.instanceType] ?? new Array<number>(hours).fill(0);
    const mean = allocated / ((day.endMs - day.startMs) / 1000);
    hourly[node.instanceType] = series.map((v) => v + mean);
  }
  return {
    day,
    pods,
    nodes,
    coverage: { date: day.date, kubeStateMetrics: 1, dcgm: 1, gaps: [] },
    scrape: { kubeStateMetricsSeconds: 30, dcgmSeconds: 30, source: 'detected' },
    hourlyAllocatedGpus: hourly,
    warnings: [],
    ...overrides,
  };
}

/** PriceMonthOptions from a config (defaults from the schema), exactly as the monthly report builds them. */
export function priceOptions(
  period: BillingPeriod,
  config: Config,
  extra: Partial<PriceMonthOptions> = {},
): PriceMonthOptions {
  return priceMonthOptionsFor(config, period, { kind: 'demo', description: 'test fixture' }, extra);
}

/** One charge period of a day: the whole day. */
export function wholeDay(day: Day): ChargePeriod {
  return { date: day.date, startMs: day.startMs, endMs: day.endMs };
}

// ---------------------------------------------------------------------------------------------
// Random months for property tests.
// ---------------------------------------------------------------------------------------------

/** A random month: config input and the metered days, consistent with priceCutInstants. */
export interface RandomMonth {
  config: Config;
  period: BillingPeriod;
  days: MeteredDay[];
}

const WEIGHTS: Fraction[] = [
  { numerator: 1, denominator: 1 },
  { numerator: 3, denominator: 7 },
  { numerator: 1, denominator: 7 },
  { numerator: 1, denominator: 2 },
  { numerator: 1, denominator: 3 },
];

const price = fc.integer({ min: 1, max: 1_000_000 }).map((n) => n / 10_000);

const nodeSpec = fc.record({
  instanceType: fc.constantFrom(...Object.keys(CATALOG)),
  capacityType: fc.constantFrom<CapacityType>('on-demand', 'spot', 'reserved', 'unknown'),
  /** Share of the charge period the node was present, in 1/8ths (0 = absent yet recorded). */
  presentEighths: fc.integer({ min: 0, max: 8 }),
  pods: fc.array(
    fc.record({
      team: fc.constantFrom('ml', 'search', 'ads', '=evil', 'data science'),
      project: fc.constantFrom('p1', 'p2'),
      namespace: fc.constantFrom('ns-a', 'ns-b'),
      weight: fc.constantFrom(...WEIGHTS),
      requested: fc.integer({ min: 1, max: 2 }),
      heldShare: fc.integer({ min: 0, max: 1000 }),
      utilization: fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { nil: null }),
    }),
    { maxLength: 5 },
  ),
});

/** fast-check arbitrary of a random month under every policy, currency and price shape. */
export function randomMonthArbitrary(): fc.Arbitrary<RandomMonth> {
  return fc
    .record({
      zone: fc.constantFrom('UTC', 'Asia/Seoul', 'America/New_York'),
      dayCount: fc.integer({ min: 1, max: 2 }),
      currency: fc.constantFrom('USD', 'KRW'),
      utilization: fc.constantFrom('allocation', 'utilization', 'floor') as fc.Arbitrary<
        'allocation' | 'utilization' | 'floor'
      >,
      floor: fc.integer({ min: 0, max: 100 }).map((n) => n / 100),
      idle: fc.constantFrom('separate', 'share-by-node', 'share-by-cluster') as fc.Arbitrary<
        'separate' | 'share-by-node' | 'share-by-cluster'
      >,
      prices: fc.record({
        'g4dn.xlarge': fc.tuple(price, fc.option(price, { nil: undefined })),
        'g5.12xlarge': fc.tuple(price, fc.option(price, { nil: undefined })),
        'x3.triple': fc.tuple(price, fc.option(price, { nil: undefined })),
        'p4d.24xlarge': fc.tuple(price, fc.option(price, { nil: undefined })),
      }),
      overrides: fc.array(
        fc.record({
          instanceType: fc.constantFrom(...Object.keys(CATALOG)),
          capacityType: fc.constantFrom('on-demand', 'spot', 'committed') as fc.Arbitrary<
            'on-demand' | 'spot' | 'committed'
          >,
          /** Seconds after the month's start (within the first two days). */
          offsetSeconds: fc.integer({ min: 1, max: 2 * 86_400 - 1 }),
          price,
        }),
        { maxLength: 3 },
      ),
      nodes: fc.array(nodeSpec, { minLength: 1, maxLength: 4 }),
      clusters: fc.boolean(),
    })
    .map((spec): RandomMonth => {
      const period = billingPeriod('2026-03', spec.zone);
      const instanceTypes = Object.fromEntries(
        Object.entries(CATALOG).map(([type, entry]) => {
          const [onDemand, spot] = spec.prices[type as keyof typeof spec.prices];
          return [
            type,
            { ...entry, onDemand, spot, committed: spot === undefined ? undefined : onDemand * 0.6 },
          ];
        }),
      );
      const config = parseConfig({
        timezone: spec.zone,
        pricing: {
          catalogVersion: 'prop',
          currency: spec.currency,
          priceCurrency: 'USD',
          conversionRate: spec.currency === 'KRW' ? '1385.27' : undefined,
          instanceTypes,
          overrides: spec.overrides.map((o) => ({
            instanceType: o.instanceType,
            capacityType: o.capacityType,
            from: new Date(period.startMs + o.offsetSeconds * 1000).toISOString(),
            price: o.price,
          })),
        },
        allocation: {
          utilization: { mode: spec.utilization, floor: spec.floor },
          idle: { mode: spec.idle, platformTeam: 'platform' },
        },
      });
      const days = period.days.slice(0, spec.dayCount);
      const periods = chargePeriods(days, priceCutInstants(config.pricing, period));
      const metered = days.map((day) => {
        const pods: PodUsage[] = [];
        const nodes: NodeUsage[] = [];
        for (const cp of periods.filter((p) => p.date === day.date)) {
          const seconds = (cp.endMs - cp.startMs) / 1000;
          spec.nodes.forEach((n, i) => {
            const cluster = spec.clusters && i % 2 === 1 ? 'c2' : '';
            const gpus = CATALOG[n.instanceType]!.gpus;
            const present = Math.floor((seconds * n.presentEighths) / 8);
            const nodePods = n.pods.map((p, k) =>
              podUsage(cp, {
                pod: { cluster, namespace: p.namespace, pod: `pod-${i}-${k}`, uid: `uid-${i}-${k}` },
                node: `node-${i}`,
                team: p.team,
                project: p.project,
                weight: p.weight,
                requested: p.requested,
                heldSeconds: Math.floor((present * p.heldShare) / 1000),
                utilization: p.utilization,
              }),
            );
            pods.push(...nodePods);
            nodes.push(
              nodeUsage(
                cp,
                {
                  cluster,
                  node: `node-${i}`,
                  instanceType: n.instanceType,
                  capacityType: n.capacityType,
                  gpus,
                  presentSeconds: present,
                },
                nodePods,
              ),
            );
          });
        }
        return meteredDay(day, pods, nodes);
      });
      return { config, period, days: metered };
    });
}
