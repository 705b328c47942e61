import { MissingPriceError } from '../../errors.ts';
import { lookupGpuModel } from '../gpuModels.ts';
import { exactDecimal, formatTrimmed, type Ratio } from '../money.ts';
import { compositeKey } from '../records.ts';
import type { CapacityType, NodeUsage, PricingCategory, TimeRange } from '../types.ts';
import { warningText } from '../warningText.ts';

/** Which price of an instance type an override replaces. */
export type OverrideKind = 'on-demand' | 'spot' | 'committed';

/** Hourly prices of one instance type, per instance, in the catalog's currency. */
export interface InstanceTypePrices {
  /** GPUs of the instance type: the divisor of its instance price. */
  gpus: number;
  gpuModel: string;
  onDemand: number;
  /** Absent: Spot capacity pays On-Demand (warned). */
  spot?: number | undefined;
  /** RI / Savings Plan effective price, for capacity type "reserved"; absent: On-Demand (warned). */
  committed?: number | undefined;
}

/** On-prem prices of one GPU model, per GPU-hour, in the catalog's currency. */
export interface GpuModelPrices {
  perGpuHour: number;
  /** Absent: Spot capacity of this model pays `perGpuHour`. */
  spotPerGpuHour?: number | undefined;
}

/**
 * A price that applies from `from` (an ISO instant, inclusive) until the next override of its key. Its
 * key is exactly one of `instanceType` (a price per instance-hour) or `gpuModel` (a `gpuModels` price per
 * GPU-hour, on-demand or spot); the config schema guarantees that.
 */
export interface PriceOverride {
  instanceType?: string | undefined;
  gpuModel?: string | undefined;
  capacityType: OverrideKind;
  from: string;
  price: number;
  /** Only for this cluster; absent: every cluster priced from the global catalog. */
  cluster?: string | undefined;
}

/** Prices per GPU-hour for instance types missing from the catalog (every such row is flagged). */
export interface FallbackPrices {
  onDemandPerGpuHour: number;
  spotPerGpuHour?: number | undefined;
  gpuModel: string;
}

/**
 * The price catalog as the month stage reads it: plain data, built from the validated configuration at
 * the edge (src/app/priceOptions.ts), so pricing knows nothing of the config file's shape. Every rule
 * about what a valid catalog is (a known currency, a conversion rate when converting, overrides naming
 * catalogued types) is decided once, by the config schema.
 */
export interface PriceCatalog {
  /** Version label recorded on every output. */
  catalogVersion: string;
  /** The billing currency (ISO 4217) and its minor-unit digits (USD 2, KRW 0). */
  currency: { code: string; minorDigits: number };
  /** How catalog prices convert into the billing currency: `rate` units per unit of `from`; null = none. */
  conversion: { from: string; rate: string } | null;
  /** Prices by instance type (a Map: instance types are label values, "constructor" included). */
  instanceTypes: ReadonlyMap<string, InstanceTypePrices>;
  /** Per-cluster catalogs (cluster → instance type → prices): a type listed here is priced from here for that cluster. */
  byCluster: ReadonlyMap<string, ReadonlyMap<string, InstanceTypePrices>>;
  /**
   * On-prem prices per GPU-hour by GPU model, for nodes whose instance type is in no catalog: the node's
   * model matches a key exactly, else the longest key it starts with ({@link lookupGpuModel}).
   */
  gpuModels: ReadonlyMap<string, GpuModelPrices>;
  overrides: readonly PriceOverride[];
  /** Absent (null): a missing instance type is a {@link MissingPriceError}. */
  fallback: FallbackPrices | null;
}

/**
 * Instants inside `range` (strictly after its start and before its end) at which some price of the
 * catalog changes: the `from` of every override. Metering splits days into charge periods at these
 * instants, so that every charge period has constant prices.
 */
export function priceCutInstants(
  catalog: { readonly overrides: readonly { readonly from: string }[] },
  range: TimeRange,
): number[] {
  const cuts = new Set<number>();
  for (const o of catalog.overrides) {
    const ms = Date.parse(o.from);
    if (ms > range.startMs && ms < range.endMs) cuts.add(ms);
  }
  return [...cuts].sort((a, b) => a - b);
}

/** The prices that apply to one node in one charge period, per GPU-hour in the billing currency. */
export interface NodePrice {
  instanceType: string;
  gpuModel: string;
  /** GPUs of the instance type according to the catalog (the divisor of the instance price). */
  catalogGpus: number | null;
  pricingCategory: PricingCategory;
  /** True when pricing.fallback supplied the price. */
  fallback: boolean;
  /** What is charged per GPU-second, exactly, in the billing currency (price / GPUs × rate / 3600). */
  effectivePerGpuSecond: Ratio;
  /** The On-Demand equivalent per GPU-second (ListCost), exactly. */
  listPerGpuSecond: Ratio;
  /** The effective price per GPU-hour for display (x_UnitPrice): 10 decimals, half-even, trailing zeros dropped. */
  unitPriceText: string;
  /**
   * Where the effective price came from when a billing export is configured (x_CostSource): the invoice,
   * or the catalog because the export does not cover the day yet or does not know the node's instance.
   * Absent without a billing export.
   */
  costSource?: CostSource;
}

/**
 * Where a node's effective cost comes from when a billing export is configured: `invoice` (the
 * instance's amortized cost on the export, spread over its GPU-seconds of the day), `catalog-export-pending`
 * (the export does not cover the whole day yet: catalog prices until it does, then the month is restated),
 * `catalog-not-on-invoice` (the export covers the day but has no line of the node's instance: an
 * unmatched provider id, another account, or a node without one).
 */
export type CostSource = 'invoice' | 'catalog-export-pending' | 'catalog-not-on-invoice';

interface ParsedOverride {
  /** The instance type (per instance-hour), or undefined for a GPU-model price (per GPU-hour). */
  instanceType: string | undefined;
  gpuModel: string | undefined;
  kind: OverrideKind;
  from: string;
  fromMs: number;
  price: number;
  cluster: string | undefined;
  index: number;
}

/** The PricingCategory of a capacity type (FOCUS: Spot is Dynamic, RI/Savings Plan is Committed). */
export function pricingCategoryOf(capacityType: CapacityType): PricingCategory {
  if (capacityType === 'spot') return 'Dynamic';
  if (capacityType === 'reserved') return 'Committed';
  return 'Standard';
}

/**
 * Resolves prices from the catalog, with these rules:
 * - the entry comes from `pricing.byCluster.get(cluster)` when that cluster lists the instance type, else
 *   from `pricing.instanceTypes`; neither → `pricing.fallback` (flagged) or {@link MissingPriceError};
 * - an override applies from its `from` instant (inclusive) until the next override of the same
 *   instance type and kind; the latest applicable one wins, a cluster-specific override beating a
 *   global one with the same instant. Global overrides do not apply to a cluster that has its own
 *   catalog entry for the type (they describe the global catalog's prices);
 * - Spot capacity without a Spot price, and reserved capacity without a committed price, pay On-Demand
 *   (warned once per instance type); capacity type "unknown" pays On-Demand (warned);
 * - a node whose instance type is in no catalog but whose GPU model has a `pricing.gpuModels` rate
 *   (on-prem) pays that rate per GPU-hour (Spot rate for Spot capacity when given), effective-dated by
 *   overrides with `gpuModel`, whatever its capacity type (no warning: owned hardware has none);
 * - per-GPU-hour = instance price / catalog GPUs × conversion rate (fallback and GPU-model prices are
 *   already per GPU).
 * Warnings are collected in {@link PriceResolver.warnings}, sorted and deduplicated.
 */
export class PriceResolver {
  readonly #pricing: PriceCatalog;
  readonly #overrides: ParsedOverride[];
  /** Conversion rate into the billing currency, exactly (1 when the catalog is in it). */
  readonly #rate: Ratio;
  readonly #cache = new Map<string, NodePrice>();
  readonly #warnings = new Set<string>();
  readonly #fallbackTypes = new Set<string>();

  constructor(pricing: PriceCatalog) {
    this.#pricing = pricing;
    this.#overrides = pricing.overrides.map((o, index) => ({
      instanceType: o.instanceType,
      gpuModel: o.gpuModel,
      kind: o.capacityType,
      from: o.from,
      fromMs: Date.parse(o.from),
      price: o.price,
      cluster: o.cluster,
      index,
    }));
    this.#rate = exactDecimal(pricing.conversion?.rate ?? 1);
  }

  /** Sorted, deduplicated warnings raised so far. */
  get warnings(): string[] {
    return [...this.#warnings].sort();
  }

  /** Instance types priced with pricing.fallback so far, sorted. */
  get fallbackInstanceTypes(): string[] {
    return [...this.#fallbackTypes].sort();
  }

  /**
   * Prices for a node of `instanceType` / `capacityType` in `cluster` over a charge period starting at
   * `atMs`; `gpuModel` (the node's GPU model) prices a node outside the catalog by `pricing.gpuModels`.
   */
  resolve(
    cluster: string,
    instanceType: string,
    capacityType: CapacityType,
    atMs: number,
    gpuModel?: string,
  ): NodePrice {
    const key = compositeKey(cluster, instanceType, capacityType, String(atMs), gpuModel ?? '');
    let price = this.#cache.get(key);
    if (!price) {
      price = this.#resolveUncached(cluster, instanceType, capacityType, atMs, gpuModel);
      this.#cache.set(key, price);
    }
    return price;
  }

  /**
   * The prices of a metered node in its charge period: from the catalog here ({@link resolve}); a
   * resolver that knows the invoice (pricing/invoicePrices.ts) prices matched nodes from it.
   */
  priceNode(node: NodeUsage): NodePrice {
    return this.resolve(
      node.cluster,
      node.instanceType,
      node.capacityType,
      node.chargePeriod.startMs,
      node.gpuModel,
    );
  }

  /**
   * Catalog On-Demand and Spot prices per GPU-hour (billing currency) of `instanceType` at `atMs`, for
   * display; null when the type is not in the catalog. Raises no warnings.
   */
  catalogPrices(
    cluster: string,
    instanceType: string,
    atMs: number,
    gpuModel?: string,
  ): { onDemand: Ratio; spot: Ratio | null } | null {
    const clusterEntry = this.#pricing.byCluster.get(cluster)?.get(instanceType);
    const entry = clusterEntry ?? this.#pricing.instanceTypes.get(instanceType);
    const model = entry ? undefined : lookupGpuModel(gpuModel, this.#pricing.gpuModels);
    if (model) {
      const onDemand = this.#modelOverridePrice(model.key, 'on-demand', atMs) ?? model.value.perGpuHour;
      const spot = this.#modelOverridePrice(model.key, 'spot', atMs) ?? model.value.spotPerGpuHour;
      return {
        onDemand: this.#perGpuHour(onDemand, 1),
        spot: spot === undefined ? null : this.#perGpuHour(spot, 1),
      };
    }
    if (!entry) {
      const fallback = this.#pricing.fallback;
      if (!fallback) return null;
      return {
        onDemand: this.#perGpuHour(fallback.onDemandPerGpuHour, 1),
        spot: fallback.spotPerGpuHour === undefined ? null : this.#perGpuHour(fallback.spotPerGpuHour, 1),
      };
    }
    const isClusterCatalog = clusterEntry !== undefined;
    const onDemand =
      this.#overridePrice(cluster, instanceType, 'on-demand', atMs, isClusterCatalog) ?? entry.onDemand;
    const spot = this.#overridePrice(cluster, instanceType, 'spot', atMs, isClusterCatalog) ?? entry.spot;
    const perGpu = (instancePrice: number) => this.#perGpuHour(instancePrice, entry.gpus);
    return { onDemand: perGpu(onDemand), spot: spot === undefined ? null : perGpu(spot) };
  }

  /**
   * Throws when a price changes strictly inside `range`: metering must have split the day there (see
   * {@link priceCutInstants}); pricing such a period with one price would be wrong.
   */
  assertConstantPrices(range: TimeRange): void {
    for (const o of this.#overrides) {
      if (o.fromMs > range.startMs && o.fromMs < range.endMs) {
        throw new RangeError(
          `a price override (${o.instanceType ?? o.gpuModel} ${o.kind} from ${o.from}) falls inside a ` +
            'charge period; re-meter the affected days so they are split at priceCutInstants',
        );
      }
    }
  }

  #resolveUncached(
    cluster: string,
    instanceType: string,
    capacityType: CapacityType,
    atMs: number,
    gpuModel: string | undefined,
  ): NodePrice {
    const pricing = this.#pricing;
    const clusterEntry = pricing.byCluster.get(cluster)?.get(instanceType);
    const entry = clusterEntry ?? pricing.instanceTypes.get(instanceType);
    const category = pricingCategoryOf(capacityType);
    const model = entry ? undefined : lookupGpuModel(gpuModel, pricing.gpuModels);
    if (model) return this.#byGpuModel(instanceType, gpuModel!, model, capacityType, atMs);
    if (capacityType === 'unknown') {
      this.#warnings.add(warningText('capacityTypeUnknown', { instanceType }));
    }
    if (!entry) return this.#fallback(instanceType, capacityType, category);

    const isClusterCatalog = clusterEntry !== undefined;
    const at = (kind: OverrideKind, base: number | undefined) =>
      this.#overridePrice(cluster, instanceType, kind, atMs, isClusterCatalog) ?? base;
    const onDemand = at('on-demand', entry.onDemand)!;
    let effective = onDemand;
    if (capacityType === 'spot') {
      const spot = at('spot', entry.spot);
      if (spot === undefined) {
        this.#warnings.add(warningText('noSpotPrice', { instanceType }));
      } else effective = spot;
    } else if (capacityType === 'reserved') {
      const committed = at('committed', entry.committed);
      if (committed === undefined) {
        this.#warnings.add(warningText('noCommittedPrice', { instanceType }));
      } else effective = committed;
    }
    return this.#withExactRates(
      {
        instanceType,
        gpuModel: entry.gpuModel,
        catalogGpus: entry.gpus,
        pricingCategory: category,
        fallback: false,
      },
      effective,
      onDemand,
      entry.gpus,
    );
  }

  /** Adds the exact per-GPU-second ratios: price / gpus × conversion rate / 3600, with no rounding. */
  #withExactRates(
    price: Omit<NodePrice, 'effectivePerGpuSecond' | 'listPerGpuSecond' | 'unitPriceText'>,
    effective: number,
    list: number,
    gpus: number,
  ): NodePrice {
    const perSecond = (instancePrice: number): Ratio => {
      const perHour = this.#perGpuHour(instancePrice, gpus);
      return { numerator: perHour.numerator, denominator: perHour.denominator * 3600n };
    };
    const effectivePerGpuSecond = perSecond(effective);
    return {
      ...price,
      effectivePerGpuSecond,
      listPerGpuSecond: list === effective ? effectivePerGpuSecond : perSecond(list),
      unitPriceText: formatTrimmed(this.#perGpuHour(effective, gpus), 10),
    };
  }

  /** An instance price per GPU-hour in the billing currency, exactly: price / gpus × conversion rate. */
  #perGpuHour(instancePrice: number, gpus: number): Ratio {
    const p = exactDecimal(instancePrice);
    return {
      numerator: p.numerator * this.#rate.numerator,
      denominator: p.denominator * this.#rate.denominator * BigInt(gpus),
    };
  }

  #fallback(instanceType: string, capacityType: CapacityType, category: PricingCategory): NodePrice {
    const fallback = this.#pricing.fallback;
    if (!fallback) {
      const known = new Set([
        ...this.#pricing.instanceTypes.keys(),
        ...[...this.#pricing.byCluster.values()].flatMap((c) => [...c.keys()]),
      ]);
      throw new MissingPriceError(instanceType, [...known].sort());
    }
    this.#fallbackTypes.add(instanceType);
    this.#warnings.add(warningText('priceFallbackUsed', { instanceType }));
    let effective = fallback.onDemandPerGpuHour;
    if (capacityType === 'spot') {
      if (fallback.spotPerGpuHour === undefined) {
        this.#warnings.add(warningText('noFallbackSpotPrice', { instanceType }));
      } else effective = fallback.spotPerGpuHour;
    }
    return this.#withExactRates(
      {
        instanceType,
        gpuModel: fallback.gpuModel,
        catalogGpus: null,
        pricingCategory: category,
        fallback: true,
      },
      effective,
      fallback.onDemandPerGpuHour,
      1,
    );
  }

  /** On-prem: the GPU model's rate per GPU-hour (Spot rate for Spot capacity when given), effective-dated. */
  #byGpuModel(
    instanceType: string,
    gpuModel: string,
    model: { key: string; value: GpuModelPrices },
    capacityType: CapacityType,
    atMs: number,
  ): NodePrice {
    const onDemand = this.#modelOverridePrice(model.key, 'on-demand', atMs) ?? model.value.perGpuHour;
    const spot =
      capacityType === 'spot'
        ? (this.#modelOverridePrice(model.key, 'spot', atMs) ?? model.value.spotPerGpuHour)
        : undefined;
    const effective = spot ?? onDemand;
    return this.#withExactRates(
      {
        instanceType,
        gpuModel,
        catalogGpus: null,
        pricingCategory: spot !== undefined ? 'Dynamic' : 'Standard',
        fallback: false,
      },
      effective,
      onDemand,
      1,
    );
  }

  /** The latest override of a GPU model's price of `kind` applicable at `atMs`. */
  #modelOverridePrice(modelKey: string, kind: OverrideKind, atMs: number): number | undefined {
    let best: ParsedOverride | undefined;
    for (const o of this.#overrides) {
      if (o.gpuModel !== modelKey || o.kind !== kind || o.fromMs > atMs) continue;
      if (!best || o.fromMs > best.fromMs || (o.fromMs === best.fromMs && o.index > best.index)) best = o;
    }
    return best?.price;
  }

  #overridePrice(
    cluster: string,
    instanceType: string,
    kind: OverrideKind,
    atMs: number,
    isClusterCatalog: boolean,
  ): number | undefined {
    let best: ParsedOverride | undefined;
    for (const o of this.#overrides) {
      if (o.instanceType !== instanceType || o.kind !== kind || o.fromMs > atMs) continue;
      const applies = o.cluster === undefined ? !isClusterCatalog : o.cluster === cluster;
      if (!applies) continue;
      if (
        !best ||
        o.fromMs > best.fromMs ||
        (o.fromMs === best.fromMs && (o.cluster !== undefined) > (best.cluster !== undefined)) ||
        (o.fromMs === best.fromMs &&
          (o.cluster !== undefined) === (best.cluster !== undefined) &&
          o.index > best.index)
      ) {
        best = o;
      }
    }
    return best?.price;
  }
}
