/**
 * Code-unit string order: locale-independent, so every sort (rows, CSV files, summary keys, partial keys)
 * is identical on every machine. The one string comparator of the product.
 */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
