import { createReadStream } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { parse } from 'csv-parse';
import { ZodError } from 'zod';
import type { Config } from '../../config/schema.ts';
import { compareStrings } from '../../core/compare.ts';
import { BillingExportError } from '../../errors.ts';
import type { BillingExportRequest, BillingExportSource, BillingReadStats, InvoiceSink } from '../../ports.ts';
import { s3ClientConfig } from '../s3/openOutputStore.ts';
import { parseOutputLocation } from '../s3/outputLocation.ts';
import { curVerdict, focusVerdict, type RowVerdict } from './exportRows.ts';

/** One file of an export: its name (relative to the location) and how to stream its bytes. */
export interface ExportFile {
  name: string;
  open(): Promise<Readable>;
}

/** Files of an export are CSV, optionally gzip-compressed (AWS Data Exports' "CSV (gzip)"). */
const EXPORT_FILE = /\.csv(\.gz)?$/i;

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
  const description =
    options.description ?? (location.kind === 'fs' ? location.dir : `s3://${location.bucket}/${location.prefix}`);
  return {
    format: billing.format,
    description,
    async read(request, sink) {
      const files = await list();
      if (files.length === 0)
        throw new BillingExportError(`no export files (*.csv, *.csv.gz) under ${description}`);
      const stats: BillingReadStats = { files: files.length, rows: 0, lines: 0 };
      for (const file of files) await readFile(file, verdict, request, sink, stats, `${description.replace(/\/$/, '')}/${file.name}`);
      return stats;
    },
  };
}

/** Streams one file's rows into the sink; an error names the file and the row (1 = the first data row). */
async function readFile(
  file: ExportFile,
  verdict: (record: Record<string, string>, request: BillingExportRequest) => RowVerdict,
  request: BillingExportRequest,
  sink: InvoiceSink,
  stats: BillingReadStats,
  where: string,
): Promise<void> {
  const raw = await file.open();
  const input = /\.gz$/i.test(file.name) ? raw.pipe(createGunzip()) : raw;
  const parser = input.pipe(parse({ columns: true, bom: true, skip_empty_lines: true, relax_column_count: false }));
  raw.on('error', (error) => parser.destroy(error));
  if (input !== raw) input.on('error', (error) => parser.destroy(error));
  let row = 0;
  try {
    for await (const record of parser as AsyncIterable<Record<string, string>>) {
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
    throw new BillingExportError(`${where}: cannot read the export after row ${row} (${describe(error)})`, { cause: error });
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
    throw new BillingExportError(`cannot list the export folder ${dir}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, {
      cause: error,
    });
  }
  return names
    .filter((n) => EXPORT_FILE.test(n))
    .sort(compareStrings)
    .map((name) => ({ name: relative(dir, join(dir, name)), open: async () => createReadStream(join(dir, name)) }));
}

async function s3Files(client: S3Client, bucket: string, prefix: string): Promise<ExportFile[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix ? `${prefix}/` : '', ContinuationToken: token }));
    for (const o of page.Contents ?? []) if (o.Key && EXPORT_FILE.test(o.Key)) keys.push(o.Key);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return keys.sort(compareStrings).map((key) => ({
    name: key.slice(prefix.length).replace(/^\//, ''),
    open: async () => {
      const object = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      if (!object.Body) throw new BillingExportError(`s3://${bucket}/${key} has no body`);
      return object.Body as Readable;
    },
  }));
}
