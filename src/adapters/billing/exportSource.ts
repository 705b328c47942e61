import { createReadStream } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { parse } from 'csv-parse';
import { asyncBufferFromFile, type AsyncBuffer } from 'hyparquet';
import { ZodError } from 'zod';
import type { Config } from '../../config/schema.ts';
import { compareStrings } from '../../core/compare.ts';
import { BillingExportError } from '../../errors.ts';
import type {
  BillingExportRequest,
  BillingExportSource,
  BillingReadStats,
  InvoiceSink,
} from '../../ports.ts';
import { s3ClientConfig } from '../s3/openOutputStore.ts';
import { parseOutputLocation } from '../../config/outputLocation.ts';
import {
  CUR_COLUMNS_USED,
  curVerdict,
  FOCUS_COLUMNS_USED,
  focusVerdict,
  type RowVerdict,
} from './exportRows.ts';
import { parquetRecords } from './parquetRecords.ts';

/**
 * One file of an export: its name (relative to the location), how to stream its bytes (CSV), and how to
 * read ranges of it (Parquet, whose footer comes first).
 */
export interface ExportFile {
  name: string;
  open(): Promise<Readable>;
  randomAccess?(): Promise<AsyncBuffer>;
}

/** Files of an export: CSV, optionally gzip-compressed (AWS Data Exports' "CSV (gzip)"), or Parquet. */
const EXPORT_FILE = /\.(csv(\.gz)?|parquet)$/i;

export interface BillingSourceOptions {
  /** Client for s3:// locations; by default one built from `billing` (region, endpoint) and the environment. */
  s3Client?: S3Client;
  /** The export's files, instead of listing `billing.location` (the demo's synthetic export). */
  files?: readonly ExportFile[];
  /** Overrides the description recorded in outputs (default: the location). */
  description?: string;
}

/**
 * The configured cost export as a {@link BillingExportSource}: every *.csv and *.csv.gz file under the
 * folder or s3:// prefix (recursively: AWS Data Exports write `<prefix>/<export>/data/BILLING_PERIOD=…/`),
 * in name order, streamed row by row through csv-parse.
 */
export function createBillingExportSource(
  billing: NonNullable<Config['billing']>,
  options: BillingSourceOptions = {},
): BillingExportSource {
  const location = parseOutputLocation(billing.location);
  const given = options.files;
  const list = given
    ? async () => [...given]
    : location.kind === 'fs'
      ? () => localFiles(location.dir)
      : () =>
          s3Files(
            options.s3Client ?? new S3Client(s3ClientConfig(billing)),
            location.bucket,
            location.prefix,
          );
  const verdict = billing.format === 'focus' ? focusVerdict : curVerdict;
  const used = billing.format === 'focus' ? FOCUS_COLUMNS_USED : CUR_COLUMNS_USED;
  const description =
    options.description ??
    (location.kind === 'fs' ? location.dir : `s3://${location.bucket}/${location.prefix}`);
  return {
    format: billing.format,
    description,
    async read(request, sink) {
      const files = await list();
      if (files.length === 0)
        throw new BillingExportError(`no export files (*.csv, *.csv.gz) under ${description}`);
      const stats: BillingReadStats = { files: files.length, rows: 0, lines: 0 };
      for (const file of files) {
        const where = `${description.replace(/\/$/, '')}/${file.name}`;
        const records = /\.parquet$/i.test(file.name)
          ? parquetRecordsOf(file, used, where)
          : csvRecordsOf(file);
        await readRecords(records, verdict, request, sink, stats, where);
      }
      return stats;
    },
  };
}

/** A CSV file's records (gunzipped when its name ends in .gz), keyed by the header. */
async function* csvRecordsOf(file: ExportFile): AsyncIterable<Record<string, string>> {
  const raw = await file.open();
  const input = /\.gz$/i.test(file.name) ? raw.pipe(createGunzip()) : raw;
  const parser = input.pipe(
    parse({ columns: true, bom: true, skip_empty_lines: true, relax_column_count: false }),
  );
  raw.on('error', (error) => parser.destroy(error));
  if (input !== raw) input.on('error', (error) => parser.destroy(error));
  yield* parser as AsyncIterable<Record<string, string>>;
}

/** A Parquet file's records, one row group at a time, only the columns the format uses. */
async function* parquetRecordsOf(
  file: ExportFile,
  used: readonly string[],
  where: string,
): AsyncIterable<Record<string, string>> {
  if (!file.randomAccess)
    throw new BillingExportError(`${where}: cannot read a Parquet file from this source`);
  yield* parquetRecords(await file.randomAccess(), used);
}

/** Streams one file's records into the sink; an error names the file and the row (1 = the first data row). */
async function readRecords(
  records: AsyncIterable<Record<string, string>>,
  verdict: (record: Record<string, string>, request: BillingExportRequest) => RowVerdict,
  request: BillingExportRequest,
  sink: InvoiceSink,
  stats: BillingReadStats,
  where: string,
): Promise<void> {
  let row = 0;
  try {
    for await (const record of records) {
      row++;
      let result: RowVerdict;
      try {
        result = verdict(record, request);
      } catch (error) {
        throw new BillingExportError(`${where}, row ${row}: ${describe(error)}`, { cause: error });
      }
      if (result.kind === 'coverage') sink.noteCoverage(result.billingAccountId, result.endMs);
      else if (result.kind === 'line') {
        sink.add(result.line);
        stats.lines++;
      }
    }
  } catch (error) {
    if (error instanceof BillingExportError) throw error;
    throw new BillingExportError(`${where}: cannot read the export after row ${row} (${describe(error)})`, {
      cause: error,
    });
  }
  stats.rows += row;
}

function describe(error: unknown): string {
  if (error instanceof ZodError)
    return error.issues.map((i) => `${i.path.join('.') || 'row'}: ${i.message}`).join('; ');
  return error instanceof Error ? error.message : String(error);
}

async function localFiles(dir: string): Promise<ExportFile[]> {
  let names: string[];
  try {
    names = (await readdir(dir, { recursive: true })).map(String);
  } catch (error) {
    throw new BillingExportError(
      `cannot list the export folder ${dir}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
      {
        cause: error,
      },
    );
  }
  return names
    .filter((n) => EXPORT_FILE.test(n))
    .sort(compareStrings)
    .map((name) => ({
      name: relative(dir, join(dir, name)),
      open: async () => createReadStream(join(dir, name)),
      randomAccess: () => asyncBufferFromFile(join(dir, name)),
    }));
}

async function s3Files(client: S3Client, bucket: string, prefix: string): Promise<ExportFile[]> {
  const keys: string[] = [];
  const sizes = new Map<string, number>();
  let token: string | undefined;
  do {
    const page = await client.send(
      new ListObjectsV2Command({
        Bucket: bucket,
        Prefix: prefix ? `${prefix}/` : '',
        ContinuationToken: token,
      }),
    );
    for (const o of page.Contents ?? []) {
      if (!o.Key || !EXPORT_FILE.test(o.Key)) continue;
      keys.push(o.Key);
      sizes.set(o.Key, o.Size ?? 0);
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return keys.sort(compareStrings).map((key) => ({
    randomAccess: async (): Promise<AsyncBuffer> => ({
      byteLength: sizes.get(key)!,
      // Ranged GETs: a Parquet reader asks for the footer, then for the column chunks it needs.
      async slice(start: number, end?: number): Promise<ArrayBuffer> {
        const last = (end ?? sizes.get(key)!) - 1;
        if (last < start) return new ArrayBuffer(0);
        const object = await client.send(
          new GetObjectCommand({ Bucket: bucket, Key: key, Range: `bytes=${start}-${last}` }),
        );
        const bytes = await object.Body!.transformToByteArray();
        return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
      },
    }),
    name: key.slice(prefix.length).replace(/^\//, ''),
    open: async () => {
      const object = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      if (!object.Body) throw new BillingExportError(`s3://${bucket}/${key} has no body`);
      return object.Body as Readable;
    },
  }));
}
