/**
 * The entry of `table` for a GPU model: an exact key first, else the longest key the model starts with,
 * case-insensitively (so "A100-SXM4-80GB" uses "A100", and "H200" does not fall back to "H20"). The one
 * model lookup of metering (MIG slices) and pricing (on-prem rates). Undefined when nothing matches.
 * The table is a Map: a model named like an Object.prototype member ("constructor") is just a name.
 */
export function lookupGpuModel<T>(
  gpuModel: string | undefined,
  table: ReadonlyMap<string, T>,
): { key: string; value: T } | undefined {
  if (!gpuModel) return undefined;
  const exact = table.get(gpuModel);
  if (exact !== undefined) return { key: gpuModel, value: exact };
  const upper = gpuModel.toUpperCase();
  const key = [...table.keys()]
    .filter((k) => upper.startsWith(k.toUpperCase()))
    .sort((a, b) => b.length - a.length)[0];
  return key === undefined ? undefined : { key, value: table.get(key)! };
}
