import { type AsyncBuffer, parquetMetadataAsync, parquetRead } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';

/**
 * The records of a Parquet export as text, one row group at a time (a month of a large account is
 * gigabytes; a row group is what is held), reading only the columns in `used` that the file has. Values
 * become the text a CSV export would hold: timestamps as ISO 8601 UTC, numbers at their shortest decimal
 * spelling (AWS writes costs as Parquet doubles: that spelling is the decimal it printed, and is then parsed
 * exactly), maps and structs as JSON, null as absent.
 *
 * hyparquet was chosen over DuckDB's Node API after measuring both on a 5,000,000-row FOCUS export
 * (docs/performance.md "Reading a Parquet export"): DuckDB was twice as fast, but is a 68 MB native binary
 * per platform that the Lambda bundle cannot carry; hyparquet is 0.5 MB of JavaScript.
 */
export async function* parquetRecords(
  buffer: AsyncBuffer,
  used: readonly string[],
): AsyncIterable<Record<string, string>> {
  const metadata = await parquetMetadataAsync(buffer);
  const present = new Set(metadata.schema.slice(1).map((e) => e.name));
  const columns = used.filter((c) => present.has(c));
  let start = 0;
  for (const group of metadata.row_groups) {
    const end = start + Number(group.num_rows);
    let rows: Record<string, unknown>[] = [];
    await parquetRead({
      file: buffer,
      metadata,
      compressors,
      columns,
      rowStart: start,
      rowEnd: end,
      rowFormat: 'object',
      onComplete: (data) => {
        rows = data as Record<string, unknown>[];
      },
    });
    for (const row of rows) yield textOf(row);
    start = end;
  }
}

function textOf(row: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(row)) {
    if (value === null || value === undefined) continue;
    if (value instanceof Date) out[key] = value.toISOString();
    else if (typeof value === 'string') out[key] = value;
    else if (typeof value === 'number' || typeof value === 'bigint') out[key] = String(value);
    else if (value instanceof Map) out[key] = JSON.stringify(Object.fromEntries(value));
    else out[key] = JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v));
  }
  return out;
}
