/**
 * The entry of `table` for a GPU model: an exact key first, else the longest key the model starts with,
 * case-insensitively (so "A100-SXM4-80GB" uses "A100", and "H200" does not fall back to "H20"). The one
 * model lookup of metering (MIG slices) and pricing (on-prem rates). Undefined when nothing matches.
 */
export function lookupGpuModel<T>(
  gpuModel: string | undefined,
  table: Readonly<Record<string, T>>,
): { key: string; value: T } | undefined {
  if (!gpuModel) return undefined;
  if (Object.hasOwn(table, gpuModel)) return { key: gpuModel, value: table[gpuModel]! };
  const upper = gpuModel.toUpperCase();
  const key = Object.keys(table)
    .filter((k) => upper.startsWith(k.toUpperCase()))
    .sort((a, b) => b.length - a.length)[0];
  return key === undefined ? undefined : { key, value: table[key]! };
}
