/** Pricing stage: price catalog, month pricing (allocation, rounding and summary included). */
export { type NodePrice, PriceResolver, priceCutInstants, pricingCategoryOf } from './catalog.ts';
export { type PricedMonth, type PriceMonthOptions, priceMonth, type RoundedRow } from './priceMonth.ts';
