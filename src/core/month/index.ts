/** The month stage: metered days -> priced, allocated, rounded rows and the summary (see priceMonth). */
export { type MonthInvoice, type PricedMonth, type PriceMonthOptions, priceMonth } from './priceMonth.ts';
export { RowSet } from './rowSet.ts';
