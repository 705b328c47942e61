import { createHash, randomUUID } from 'node:crypto';
import { billingPeriod, isoInZone, previousMonth } from '../core/period.ts';
import { type PriceMonthOptions, priceMonth } from '../core/pricing/index.ts';
import type { Config } from '../config/schema.ts';
import { safeFileName } from '../core/safeName.ts';
import type { BillingPeriod, MeteredDay, Summary } from '../core/types.ts';
import { mapLimit } from '../concurrency.ts';
import { InputError } from '../errors.ts';
import { type CsvMeta, chargebackCsvChunks, teamChargebackCsvs } from '../render/csv.ts';
import { renderPdf } from '../render/pdf/renderPdf.ts';
import { renderSummaryJson } from '../render/summaryJson.ts';
import { renderNodesCsv, renderUsageCsv } from '../render/tables.ts';
import { type AppContext, keys } from './context.ts';
import { loadDayPartial, meterAndStoreDay } from './meterDay.ts';
import { manifestMetaFromSummary, publishMonth } from './publishMonth.ts';

export interface MonthlyReportOptions {
  /** Re-meter every day even when a stored daily partial exists. */
  remeter?: boolean;
  /** Set by backfill when the month was already published: rows get ChargeClass=Correction. */
  restatement?: boolean;
  /** Days metered in parallel (Prometheus load). */
  concurrency?: number;
}

export interface MonthlyReportResult {
  month: string;
  summary: Summary;
  /** Keys written, relative to the store. */
  keys: string[];
  restated: boolean;
  runId: string;
}

/**
 * A CSV's chunks as one byte buffer: a month of a large organisation is larger than V8's ~512 MB string
 * limit, which joining the chunks into one string would hit.
 */
function bytesOf(chunks: Iterable<string>): Uint8Array {
  const parts: Buffer[] = [];
  for (const chunk of chunks) parts.push(Buffer.from(chunk, 'utf8'));
  return Buffer.concat(parts);
}

/** The pricing options of `period` under `config` (shared with tests, so none can drift from the product). */
export function priceMonthOptionsFor(
  config: Config,
  period: BillingPeriod,
  source: PriceMonthOptions['source'],
  extra: Partial<PriceMonthOptions> = {},
): PriceMonthOptions {
  return {
    period,
    pricing: config.pricing,
    allocation: config.allocation,
    metering: {
      pendingOnNode: config.metering.pendingOnNode,
      maxBridgeSeconds: config.metering.maxBridgeSeconds,
    },
    budgets: config.report.budgets,
    source,
    ...extra,
  };
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

/** Meters (or reuses daily partials for) every day of `month`, prices, allocates, renders and publishes. */
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
    period,
    currency: summary.currency.code,
    catalogVersion: config.pricing.catalogVersion,
    utilizationPolicy: config.allocation.utilization.mode,
    idlePolicy: config.allocation.idle.mode,
    source: ctx.source.kind,
    chargeClass: options.restatement ? 'Correction' : '',
    clusters: config.clusters,
  };
  const files: { key: string; body: string | Uint8Array; contentType: string }[] = [];
  const csvType = 'text/csv; charset=utf-8';
  files.push({ key: keys.chargebackCsv(month), body: bytesOf(chargebackCsvChunks(rows, csvMeta)), contentType: csvType });
  for (const file of teamChargebackCsvs(rows, csvMeta)) {
    files.push({ key: keys.teamCsv(month, safeFileName(file.team)), body: bytesOf(file.chunks), contentType: csvType });
  }
  files.push({
    key: keys.usageCsv(month),
    body: renderUsageCsv(days, config.timezone),
    contentType: csvType,
  });
  files.push({
    key: keys.nodesCsv(month),
    body: renderNodesCsv(days, config.timezone),
    contentType: csvType,
  });
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
}
