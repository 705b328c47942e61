/** Pricing stage: the price catalog (prices per node and charge period, and the instants they change). */
export { type NodePrice, PriceResolver, priceCutInstants, pricingCategoryOf } from './catalog.ts';
