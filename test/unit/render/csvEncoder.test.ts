import fc from 'fast-check';
import { stringify } from 'csv-stringify/sync';
import { describe, expect, it } from 'vitest';
import { type CellKind, CsvEncoder, csvRecords, neutralizeFormula } from '../../../src/render/csv.ts';
import { HOSTILE_CELLS, readCsvRecords } from '../../support/csv.ts';

/** Text that CSV encoding and formula neutralization must handle: separators, quotes, formula starts. */
const hostileText = fc.oneof(
  fc.constantFrom(...HOSTILE_CELLS, '+3', '\rCR', 'x\ny'),
  fc.string({
    unit: fc.constantFrom('a', '"', ',', '\r', '\n', '=', '-', ' ', 'é', '\u0000'),
    maxLength: 12,
  }),
  fc.string({ maxLength: 20 }),
);
/** Numbers as this program prints them. */
const printedNumber = fc.oneof(
  fc.constant(''),
  fc.integer({ min: -1_000_000, max: 1_000_000 }).map(String),
  fc.double({ min: -1e6, max: 1e6, noNaN: true }).map((x) => x.toFixed(3)),
);

/** A table: column kinds and batches of records whose cells fit them (values repeat across records). */
const table = fc
  .array(fc.constantFrom<CellKind>('text', 'text', 'unique', 'number'), { minLength: 1, maxLength: 6 })
  .chain((kinds) =>
    fc.record({
      kinds: fc.constant(kinds),
      batches: fc.array(
        fc.array(fc.tuple(...kinds.map((kind) => (kind === 'number' ? printedNumber : hostileText))), {
          minLength: 1,
          maxLength: 30,
        }),
        { minLength: 1, maxLength: 6 },
      ),
      keep: fc.integer({ min: 1, max: 8 }),
    }),
  );

/** What csv-stringify writes for whole records, text cells neutralized: the reference the encoder must equal. */
function reference(kinds: readonly CellKind[], records: readonly (readonly string[])[]): string {
  return csvRecords(
    records.map((r) => r.map((cell, i) => (kinds[i] === 'number' ? cell : neutralizeFormula(cell)))),
  );
}

describe('CsvEncoder', () => {
  it('writes byte for byte what csv-stringify writes for the whole records, batch after batch (property)', () => {
    fc.assert(
      fc.property(table, ({ kinds, batches, keep }) => {
        const encoder = new CsvEncoder(kinds, keep);
        for (const batch of batches) expect(encoder.encode(batch.flat())).toBe(reference(kinds, batch));
      }),
      { numRuns: 400 },
    );
  });

  it('writes the same bytes for ever-new values in a unique column, repeated on consecutive records or not', () => {
    const kinds: CellKind[] = ['unique', 'text', 'number'];
    const encoder = new CsvEncoder(kinds);
    for (let b = 0; b < 12; b++) {
      const batch = Array.from({ length: 200 }, (_, r) => [
        `pod-${b}-${Math.floor(r / (1 + (b % 3)))}${r % 7 === 0 ? ',"x"' : ''}`,
        r % 3 === 0 ? '=team' : 'ml,"x"',
        `${r}.5`,
      ]);
      expect(encoder.encode(batch.flat())).toBe(reference(kinds, batch));
    }
  });

  it('quotes a lone CR or LF (not only CRLF), so an independent reader cannot split the record', () => {
    const encoder = new CsvEncoder(['text', 'text']);
    const text = encoder.encode(['a\nb', 'c\rd']);
    expect(text).toBe('"a\nb","c\rd"\r\n');
    expect(readCsvRecords(text)).toEqual([['a\nb', 'c\rd']]);
  });

  it('round-trips hostile text through csv-parse, neutralized (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(hostileText, hostileText, printedNumber), { minLength: 1, maxLength: 20 }),
        (records) => {
          const encoder = new CsvEncoder(['text', 'text', 'number']);
          const parsed = readCsvRecords(encoder.encode(records.flat()));
          expect(parsed).toEqual(records.map(([a, b, n]) => [neutralizeFormula(a), neutralizeFormula(b), n]));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('writes each record alone with encodeRecords, byte for byte what encode writes for the batch (property)', () => {
    fc.assert(
      fc.property(table, ({ kinds, batches, keep }) => {
        const encoder = new CsvEncoder(kinds, keep);
        for (const batch of batches) {
          const records = encoder.encodeRecords(batch.flat());
          expect(records).toEqual(batch.map((record) => reference(kinds, [record])));
        }
      }),
      { numRuns: 200 },
    );
  });

  it('refuses cells that do not make whole records', () => {
    expect(() => new CsvEncoder(['text', 'number']).encode(['a', '1', 'b'])).toThrow(RangeError);
  });

  it('uses the options csv-stringify needs for RFC 4180: CRLF, a lone CR or LF quoted', () => {
    // Without quote_record_delimiter, csv-stringify would leave "a\nb" unquoted once a record delimiter is set.
    expect(stringify([['a\nb']], { record_delimiter: '\r\n' })).toBe('a\nb\r\n');
    expect(csvRecords([['a\nb', 'c']])).toBe('"a\nb",c\r\n');
  });
});
