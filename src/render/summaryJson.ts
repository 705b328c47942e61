import type { Summary } from '../core/types.ts';
import { compareStrings } from '../core/compare.ts';

/** Top-level keys of summary.json in reading order; any other key follows in code-unit order. */
const TOP_LEVEL_ORDER: readonly (keyof Summary)[] = [
  'schemaVersion',
  'source',
  'period',
  'provisional',
  'currency',
  'policies',
  'priceCatalog',
  'scrape',
  'totals',
  'reconciliation',
  'budgets',
  'byTeam',
  'byProject',
  'byNamespace',
  'byCluster',
  'byGpuModel',
  'byPricingCategory',
  'byInstanceType',
  'byDay',
  'hourlyAllocatedGpus',
  'lowUtilization',
  'idleHeld',
  'gpuQuotas',
  'coverage',
  'warnings',
];

/**
 * summary.json, deterministically: the top level in {@link TOP_LEVEL_ORDER}, every nested object's keys in
 * code-unit order (including integer-like keys such as a team named "2024", which JSON.stringify would move
 * first), arrays in their given order (the summary's lists are already sorted), two-space indent, a final
 * newline, no -0, and undefined properties omitted. Identical summaries give byte-identical files.
 */
export function renderSummaryJson(summary: Summary): string {
  const record = summary as unknown as Record<string, unknown>;
  const known = new Set<string>(TOP_LEVEL_ORDER);
  const keys = [
    ...TOP_LEVEL_ORDER.filter((k) => record[k] !== undefined),
    ...Object.keys(record)
      .filter((k) => !known.has(k))
      .sort(compareStrings),
  ];
  return `${serializeObject(record, keys, '')}\n`;
}

function serialize(value: unknown, indent: string): string {
  if (value === null) return 'null';
  if (typeof value === 'number') return Object.is(value, -0) ? '0' : JSON.stringify(value);
  if (typeof value === 'string' || typeof value === 'boolean') return JSON.stringify(value);
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    const inner = `${indent}  `;
    // Number arrays (hourly series) stay on one line to keep the file readable.
    if (value.every((v) => typeof v === 'number'))
      return `[${value.map((v) => serialize(v, inner)).join(', ')}]`;
    return `[\n${value.map((v) => inner + serialize(v === undefined ? null : v, inner)).join(',\n')}\n${indent}]`;
  }
  if (typeof value === 'object') {
    const record = value as Record<string, unknown>;
    return serializeObject(record, Object.keys(record).sort(compareStrings), indent);
  }
  throw new TypeError(`cannot serialize ${typeof value} in summary.json`);
}

function serializeObject(record: Record<string, unknown>, keys: readonly string[], indent: string): string {
  const present = keys.filter((k) => record[k] !== undefined);
  if (present.length === 0) return '{}';
  const inner = `${indent}  `;
  const lines = present.map((k) => `${inner}${JSON.stringify(k)}: ${serialize(record[k], inner)}`);
  return `{\n${lines.join(',\n')}\n${indent}}`;
}
