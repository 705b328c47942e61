import type { Config } from '../config/schema.ts';
import { minorDigits } from '../core/money.ts';
import type { PriceMonthOptions } from '../core/month/index.ts';
import type { PriceCatalog } from '../core/pricing/index.ts';
import { mapOf } from '../core/records.ts';
import type { BillingPeriod } from '../core/types.ts';

/**
 * The edge between the configuration and the month stage: the core takes plain option types of its own,
 * built here from a config the schema has validated (so no rule about the config is checked twice).
 */

/** The price catalog of a validated config: currency digits and the conversion decided from `pricing`. */
export function priceCatalogFor(pricing: Config['pricing']): PriceCatalog {
  const digits = minorDigits(pricing.currency);
  // The schema accepts only currencies with a known minor unit.
  if (digits === undefined) throw new TypeError(`unvalidated pricing.currency "${pricing.currency}"`);
  const converts = pricing.currency !== pricing.priceCurrency;
  return {
    catalogVersion: pricing.catalogVersion,
    currency: { code: pricing.currency, minorDigits: digits },
    // The schema requires conversionRate whenever the currencies differ.
    conversion: converts ? { from: pricing.priceCurrency, rate: pricing.conversionRate! } : null,
    instanceTypes: mapOf(pricing.instanceTypes),
    byCluster: new Map(
      Object.entries(pricing.byCluster).map(([cluster, c]) => [cluster, mapOf(c.instanceTypes)]),
    ),
    gpuModels: mapOf(pricing.gpuModels),
    overrides: pricing.overrides,
    fallback: pricing.fallback ?? null,
  };
}

/** The month stage's options for `period` under `config` (shared with tests, so none can drift from the product). */
export function priceMonthOptionsFor(
  config: Config,
  period: BillingPeriod,
  source: PriceMonthOptions['source'],
  extra: Partial<PriceMonthOptions> = {},
): PriceMonthOptions {
  return {
    period,
    pricing: priceCatalogFor(config.pricing),
    allocation: config.allocation,
    metering: {
      pendingOnNode: config.metering.pendingOnNode,
      maxBridgeSeconds: config.metering.maxBridgeSeconds,
    },
    budgets: mapOf(config.report.budgets),
    idleHeld: { ...config.metering.idleHeld },
    ...(config.report.budgetCurrency === undefined ? {} : { budgetCurrency: config.report.budgetCurrency }),
    lowUtilizationBelowPct: config.report.lowUtilizationBelowPct,
    source,
    ...extra,
  };
}
