/** Pricing stage: the price catalog (prices per node and charge period, and the instants they change). */
export {
  type FallbackPrices,
  type GpuModelPrices,
  type InstanceTypePrices,
  type NodePrice,
  type PriceCatalog,
  type PriceOverride,
  PriceResolver,
  priceCutInstants,
  pricingCategoryOf,
} from './catalog.ts';
