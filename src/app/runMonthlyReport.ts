import { createHash, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spoolChunks } from '../adapters/fs/spool.ts';
import { billingPeriod, isoInZone, previousMonth } from '../core/period.ts';
import { priceMonth } from '../core/month/index.ts';
import { safeFileName } from '../core/safeName.ts';
import type { BillingPeriod, MeteredDay, Summary } from '../core/types.ts';
import { mapLimit } from '../concurrency.ts';
import { InputError } from '../errors.ts';
import { type CsvMeta, chargebackCsvChunks, csvMetaFromSummary, teamChargebackCsvs } from '../render/csv.ts';
import { renderPdf } from '../render/pdf/renderPdf.ts';
import { renderSummaryJson } from '../render/summaryJson.ts';
import { nodesCsvChunks, usageCsvChunks } from '../render/tables.ts';
import { type AppContext, keys } from './context.ts';
import { loadDayPartial, meterAndStoreDay } from './meterDay.ts';
import { priceMonthOptionsFor } from './priceOptions.ts';
import { type PublishFile, manifestMetaFromSummary, publishMonth } from './publishMonth.ts';

// Moved to the config edge (./priceOptions.ts); re-exported so existing importers keep working.
export { priceMonthOptionsFor } from './priceOptions.ts';

export interface MonthlyReportOptions {
  /** Re-meter every day even when a stored daily partial exists. */
  remeter?: boolean;
  /** Set by backfill when the month was already published: rows get ChargeClass=Correction. */
  restatement?: boolean;
  /** Days metered in parallel (Prometheus load). */
  concurrency?: number;
  /**
   * Where the run's temporary directory for the CSVs goes (default: the OS temp dir, /tmp on Lambda). The
   * directory is removed when the run ends, failed or not.
   */
  tempDir?: string;
}

export interface MonthlyReportResult {
  month: string;
  summary: Summary;
  /** Keys written, relative to the store. */
  keys: string[];
  restated: boolean;
  runId: string;
}

/** A stable hash of the effective configuration, recorded in the manifest. */
export function configHash(config: unknown): string {
  return createHash('sha256').update(JSON.stringify(config)).digest('hex');
}

/** Reads the previous month's published summary (only when its manifest exists), for month-over-month figures. */
async function loadPreviousSummary(ctx: AppContext, month: string): Promise<Summary | null> {
  const prev = previousMonth(month);
  if (!(await ctx.store.get(keys.manifest(prev)))) return null;
  const bytes = await ctx.store.get(keys.summaryJson(prev));
  if (!bytes) return null;
  try {
    const parsed = JSON.parse(Buffer.from(bytes).toString('utf8')) as Summary;
    return parsed.schemaVersion === 1 ? parsed : null;
  } catch {
    ctx.logger.warn('previous month summary is unreadable; reporting without comparison', { month: prev });
    return null;
  }
}

/**
 * Meters (or reuses daily partials for) every day of `month`, prices, allocates, renders and publishes.
 * The CSVs (month-sized: about 1 GB for 10,000 GPUs, and as much again split by team) are streamed to
 * files in a temporary directory while being hashed, then streamed to the store; only summary.json and
 * the PDF are held in memory.
 */
export async function runMonthlyReport(
  ctx: AppContext,
  month: string,
  options: MonthlyReportOptions = {},
): Promise<MonthlyReportResult> {
  const { config, logger } = ctx;
  const startedMs = ctx.clock.nowMs();
  const period = billingPeriod(month, config.timezone);
  if (period.endMs > startedMs) {
    throw new InputError(
      `month ${month} has not ended yet in ${config.timezone} (it ends ${isoInZone(period.endMs, config.timezone)}); report closed months only`,
    );
  }
  const runId = randomUUID();
  logger.info('monthly report started', { month, zone: config.timezone, days: period.days.length, runId });

  // Per run and always removed: Lambda reuses /tmp across invocations of a warm container.
  const spoolDir = await mkdtemp(join(options.tempDir ?? tmpdir(), 'gpu-chargeback-'));
  try {
    // The metered days and priced rows stay inside renderMonth: they can be collected before the upload.
    const { summary, files } = await renderMonth(ctx, period, options, spoolDir);
    const manifest = await publishMonth(ctx.store, month, files, {
      ...manifestMetaFromSummary(summary, {
        runId,
        configHash: configHash(config),
        generatedAt: new Date(ctx.clock.nowMs()).toISOString(),
      }),
      lockStaleSeconds: config.output.lockStaleSeconds,
    });

    const durationSeconds = (ctx.clock.nowMs() - startedMs) / 1000;
    logger.info('monthly report published', {
      month,
      location: ctx.store.location,
      objects: files.length,
      total: `${summary.totals.cost} ${summary.currency.code}`,
      coveragePct: summary.totals.coveragePct,
      durationSeconds,
      restated: Boolean(manifest.restates),
    });
    return { month, summary, keys: files.map((f) => f.key), restated: Boolean(manifest.restates), runId };
  } finally {
    await rm(spoolDir, { recursive: true, force: true }).catch((error: unknown) => {
      // Never hide the run's own outcome behind this; the next run's directory has another name.
      logger.warn('could not remove the temporary directory', { dir: spoolDir, error: String(error) });
    });
  }
}

/**
 * The files of `period`'s report: days metered (or loaded), priced and rendered, the CSVs spooled to
 * `spoolDir` (same bytes as joining their chunks), summary.json and the PDF in memory.
 */
async function renderMonth(
  ctx: AppContext,
  period: BillingPeriod,
  options: MonthlyReportOptions,
  spoolDir: string,
): Promise<{ summary: Summary; files: PublishFile[] }> {
  const { config, logger } = ctx;
  const month = period.month;
  let done = 0;
  const days: MeteredDay[] = await mapLimit(period.days, options.concurrency ?? 4, async (day) => {
    const stored = options.remeter ? undefined : await loadDayPartial(ctx, day.date);
    const metered = stored ?? (await meterAndStoreDay(ctx, day.date));
    done += 1;
    logger.progress(done, period.days.length, `${stored ? 'loaded' : 'metered'} ${day.date}`);
    return metered;
  });

  const priced = priceMonth(
    days,
    priceMonthOptionsFor(config, period, { kind: ctx.source.kind, description: ctx.source.description }, {
      chargeClass: options.restatement ? 'Correction' : '',
    }),
  );
  const { summary, rows } = priced;
  for (const warning of summary.warnings) logger.warn(warning, { month });

  const csvMeta: CsvMeta = {
    ...csvMetaFromSummary(summary, period),
    chargeClass: options.restatement ? 'Correction' : '',
    clusters: config.clusters,
  };
  const files: PublishFile[] = [];
  const csvType = 'text/csv; charset=utf-8';
  const spoolCsv = async (key: string, chunks: Iterable<string>) => {
    files.push({ key, body: await spoolChunks(chunks, spoolDir), contentType: csvType });
  };
  await spoolCsv(keys.chargebackCsv(month), chargebackCsvChunks(rows, csvMeta));
  for (const file of teamChargebackCsvs(rows, csvMeta)) {
    await spoolCsv(keys.teamCsv(month, safeFileName(file.team)), file.chunks);
  }
  await spoolCsv(keys.usageCsv(month), usageCsvChunks(days, config.timezone));
  await spoolCsv(keys.nodesCsv(month), nodesCsvChunks(days, config.timezone));
  files.push({
    key: keys.summaryJson(month),
    body: renderSummaryJson(summary),
    contentType: 'application/json',
  });
  const previous = await loadPreviousSummary(ctx, month);
  const pdf = await renderPdf(summary, previous, {
    language: config.report.language,
    title: config.report.title,
    baselinePercentile: config.report.baselinePercentile,
  });
  files.push({ key: keys.pdf(month), body: pdf, contentType: 'application/pdf' });
  return { summary, files };
}
