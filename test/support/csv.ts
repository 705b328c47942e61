import { parse } from 'csv-parse/sync';

/**
 * A strict RFC 4180 reader for tests, so the tests check the product's writer (csv-stringify) with an
 * independent parser (csv-parse): quoted fields, doubled quotes, CR/LF inside quotes, CRLF record ends,
 * every record as wide as the first, no stray quotes. Throws when the text does not end with CRLF (every
 * file the pipeline writes does).
 */
export function readCsvRecords(text: string): string[][] {
  if (text !== '' && !text.endsWith('\r\n')) throw new Error('CSV does not end with CRLF');
  return parse(text, {
    record_delimiter: '\r\n',
    bom: false,
    relax_quotes: false,
    relax_column_count: false,
    skip_empty_lines: false,
  }) as string[][];
}

/** The records of a CSV as objects keyed by the header row. */
export function readCsvObjects(text: string): Record<string, string>[] {
  const [header, ...body] = readCsvRecords(text);
  return body.map((r) => Object.fromEntries(header!.map((h, i) => [h, r[i] ?? ''])));
}

/**
 * Cell texts every CSV writer must handle: empty, plain, formula starts (=, -, @, tab), separators,
 * quotes and line breaks. The property tests add their own extras and random strings.
 */
export const HOSTILE_CELLS = [
  '',
  'ml',
  'team-a',
  '=1+1',
  '-2',
  '@SUM(A1)',
  '\tTab',
  'a,b',
  'say "hi"',
  'x\r\ny',
] as const;
