/** The month stage: metered days -> priced, allocated, rounded rows and the summary (see priceMonth). */
export { type PricedMonth, type PriceMonthOptions, priceMonth, type RoundedRow } from './priceMonth.ts';
