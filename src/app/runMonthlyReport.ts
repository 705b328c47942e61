import { createHash, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SpoolWriter, spoolBytes, spoolChunks, spooledReader } from '../adapters/fs/spool.ts';
import { compareStrings } from '../core/compare.ts';
import { billingPeriod, isoInZone, monthToDate, previousMonth } from '../core/period.ts';
import { type MonthInvoice, priceMonth } from '../core/month/index.ts';
import {
  emptierDaysViolation,
  identityViolations,
  monthFiguresOf,
  monthViolations,
  provisionalOverFinalViolations,
  provisionalReplacementViolations,
  restatementOf,
  versionFiguresOf,
} from '../core/restatement.ts';
import { teamFileNames } from '../core/safeName.ts';
import type { BillingPeriod, MeteredDay, Provisional, Restatement, Summary } from '../core/types.ts';
import { InputError, PublishError, RefusedError } from '../errors.ts';
import { type CsvMeta, csvMetaFromSummary, rowsByTeam, writeChargebackAndTeamCsvs } from '../render/csv.ts';
import { columnsMarkdown } from '../render/columnsDoc.ts';
import { htmlReportChunks } from '../render/html/htmlReport.ts';
import { TEAM_PDF_TOP } from '../render/pdf/teamPdf.ts';
import { TeamCostLineWriter, teamCostsCsvChunksOfLines, teamFacts } from '../render/teamCsv.ts';
import {
  IN_THREAD_PDFS,
  inThreadWhenUnavailable,
  type MonthPdfRenderer,
  type MonthPdfSession,
} from '../render/pdf/monthPdfs.ts';
import { renderSummaryJson } from '../render/summaryJson.ts';
import { nodesCsvChunks, usageCsvChunks } from '../render/tables.ts';
import { type AppContext, keys } from './context.ts';
import {
  assertPlausibleMonth,
  checkOverride,
  type GuardOverride,
  type OverrideRecord,
  readPublishedSummary,
  refuseUnlessForced,
  withoutRestatement,
} from './guard.ts';
import {
  canonicalJson,
  describeVersion,
  type Manifest,
  type ManifestMeta,
  type PublishedHead,
} from './manifest.ts';
import {
  type DayPartial,
  meterDayInShards,
  meterDaysWithinMemory,
  surveyDays,
  partialOf,
  replacementViolations,
  type StoredPartial,
  storeDayPartial,
} from './meterDay.ts';
import {
  manifestMetaFromSummary,
  type PublishFile,
  publishMonth,
  readPublishedHead,
  versionIdOfFiles,
} from './publishMonth.ts';
import { loadStoredDays } from './storedDays.ts';
import { priceMonthOptionsFor } from './priceOptions.ts';
import { readInvoice } from './readInvoice.ts';
import type { InvoiceReconciliationLine } from '../core/aggregate/invoiceReconciliation.ts';
import { renderReconciliationCsv } from '../render/reconciliationCsv.ts';
import { focusCsvChunks } from '../render/focusCsv.ts';
import { contentSha256 } from './publishFiles.ts';

export interface MonthlyReportOptions extends GuardOverride {
  /** Re-meter every day even when a stored daily partial exists. */
  remeter?: boolean;
  /** Re-meter these days (YYYY-MM-DD) even when a fresh partial is stored: the days a backfill names. */
  remeterDays?: readonly string[];
  /**
   * Take every other day from a fresh stored partial and refuse (RefusedError, naming the days) when one is
   * missing or stale, instead of metering it: a backfill re-meters only the days it names.
   */
  onlyStoredPartials?: boolean;
  /**
   * The version the run builds on, when the caller read it earlier (a backfill reads it before metering
   * its days); `null`: the month was not published then. Default: read at the start of this run.
   */
  startedFrom?: PublishedHead | null;
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
  /**
   * This run replaced a published final version (its rows are ChargeClass=Correction). Replacing a
   * provisional version is not a restatement: see `replacedProvisional`.
   */
  restated: boolean;
  /** Present when the month has not ended: a provisional version through the last ended day. */
  provisional?: Provisional;
  /** The published provisional version this run replaced (not a restatement: no Correction). */
  replacedProvisional?: string;
  /** The run reproduced the published version exactly; nothing was committed. */
  unchanged: boolean;
  /** Daily partials (`usage/<date>.json`) this run metered and stored. */
  partialsStored: number;
  versionId: string;
  runId: string;
}

/**
 * A stable hash of the effective configuration, recorded in the manifest. The `guard` thresholds are left
 * out: they decide whether a version may be published, not what it contains; so is `sharding`: how a day
 * is split for metering never changes what is billed; and so is `delivery`: whom the links are sent to.
 */
export function configHash(config: unknown): string {
  const {
    guard: _guard,
    sharding: _sharding,
    delivery: _delivery,
    ...rest
  } = config as Record<string, unknown>;
  return createHash('sha256').update(JSON.stringify(rest)).digest('hex');
}

/**
 * The days a report of `month` covers at `nowMs`: the whole month once it has ended; while it runs, the
 * month to date through its last day whose data is complete (ended, plus guard.ingestionDelaySeconds, as
 * for a stored partial), with the `provisional` block that marks the version. A day that has not ended
 * is never metered. InputError (exit 2) for a month that has not started, or one with no such day yet
 * (its first day).
 */
export function reportPeriod(
  month: string,
  zone: string,
  nowMs: number,
  ingestionDelaySeconds: number,
): { period: BillingPeriod; provisional?: Provisional } {
  const full = billingPeriod(month, zone);
  if (full.endMs <= nowMs) return { period: full };
  if (full.startMs > nowMs) {
    throw new InputError(
      `month ${month} has not started yet in ${zone} (it starts ${isoInZone(full.startMs, zone)}); nothing to report`,
    );
  }
  const period = monthToDate(full, nowMs - ingestionDelaySeconds * 1000);
  if (!period) {
    const first = full.days[0]!;
    throw new InputError(
      `month ${month} has not ended yet in ${zone}, and none of its days has ended either: its first day ends ` +
        `${isoInZone(first.endMs, zone)} (its data is complete guard.ingestionDelaySeconds ${ingestionDelaySeconds} s later). ` +
        'A month-to-date (provisional) report covers ended days only; run it again after that',
    );
  }
  const provisional: Provisional = {
    throughDay: period.days.at(-1)!.date,
    daysMetered: period.days.length,
    daysInMonth: full.days.length,
    monthEnd: isoInZone(full.endMs, zone),
  };
  return { period, provisional };
}

/** What the published version says about being provisional: its manifest's block, else its summary's; null when final. */
function provisionalOf(published: PublishedVersion): { throughDay: string; daysMetered: number } | null {
  const block = published.manifest?.provisional ?? published.summary?.provisional;
  return block ? { throughDay: block.throughDay, daysMetered: block.daysMetered } : null;
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

/** The version a run builds on, as far as it can be read: its manifest and summary, or why not. */
interface PublishedVersion {
  head: PublishedHead;
  manifest: Manifest | undefined;
  summary: Summary | undefined;
  /** Why the guard cannot compare against it (unreadable manifest or summary). */
  problem: string | undefined;
}

async function readPublishedVersion(
  ctx: AppContext,
  head: PublishedHead | null,
): Promise<PublishedVersion | undefined> {
  if (head === null) return undefined;
  if (head.manifest === undefined) {
    return {
      head,
      manifest: undefined,
      summary: undefined,
      problem: `the published manifest is unreadable (${head.problem})`,
    };
  }
  const read = await readPublishedSummary(ctx.store, head.manifest);
  return 'summary' in read
    ? { head, manifest: head.manifest, summary: read.summary, problem: undefined }
    : {
        head,
        manifest: head.manifest,
        summary: undefined,
        problem: `the published version cannot be compared: ${read.problem}`,
      };
}

/**
 * Meters (or reuses daily partials for) every day of `month`, prices, allocates, renders and publishes.
 *
 * A published month is never silently replaced by a worse one: the run reads the version it builds on
 * first; a result identical to it publishes nothing; any other result is a restatement (every row
 * ChargeClass=Correction, summary.json and the PDF name the replaced version and each team's difference)
 * that the guard (config `guard`) refuses when it loses coverage or moves the total or a team by more
 * than the allowed shares, unless forced with a reason. Every publication needs the coverage floor. The
 * commit is a compare-and-swap on the version read at the start (ConflictError when it changed). A
 * refused run writes nothing: re-metered days replace stored partials only once their version is final.
 *
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
  checkOverride(options);
  assertPlausibleMonth(month, config);
  const startedMs = ctx.clock.nowMs();
  const { period, provisional } = reportPeriod(
    month,
    config.timezone,
    startedMs,
    config.guard.ingestionDelaySeconds,
  );
  const runId = randomUUID();
  // The version this run builds on, read before anything is metered: the commit must still find it.
  const startedFrom =
    options.startedFrom !== undefined
      ? options.startedFrom
      : ((await readPublishedHead(ctx.store, month)) ?? null);
  const published = await readPublishedVersion(ctx, startedFrom);
  if (provisional && published) {
    const over = provisionalOverFinalViolations({ provisional }, { provisional: provisionalOf(published) });
    if (over.length > 0) {
      throw new RefusedError(
        `refusing to publish a provisional version of ${month} over ${describeVersion(published.head)}: ${over.join('; ')}. Nothing was written`,
        over,
      );
    }
  }
  logger.info('monthly report started', {
    month,
    zone: config.timezone,
    days: period.days.length,
    ...(provisional ? { provisionalThrough: provisional.throughDay } : {}),
    runId,
    buildsOn: describeVersion(startedFrom ?? undefined),
  });

  // Per run and always removed: Lambda reuses /tmp across invocations of a warm container.
  const spoolDir = await mkdtemp(join(options.tempDir ?? tmpdir(), 'gpu-chargeback-'));
  // One per run; a worker thread (the built CLI, the Lambdas that publish) starts once the days are
  // metered, and gets ready while the month is priced. Where it cannot render, this thread does.
  const pdfs = ctx.pdfs
    ? inThreadWhenUnavailable(ctx.pdfs(), (message) => ctx.logger.warn(message))
    : IN_THREAD_PDFS;
  try {
    // The metered days and priced rows stay inside buildVersion: they can be collected before the upload.
    const version = await buildVersion(ctx, period, provisional, options, published, spoolDir, pdfs, {
      runId,
      configHash: configHash(config),
      generatedAt: new Date(ctx.clock.nowMs()).toISOString(),
    });
    // Re-metered days replace their stored partials only once the version they belong to is final: a run
    // that is refused, fails or loses the race to a newer version leaves every partial as it was.
    const storePartials = async () => {
      for (const { partial } of version.toStore) await storeDayPartial(ctx, partial);
    };
    let manifest: Manifest;
    logger.stage?.('publishing');
    try {
      manifest = await publishMonth(ctx.store, month, version.files, version.meta, {
        startedFrom,
        lockStaleSeconds: config.output.lockStaleSeconds,
        logger,
      });
    } catch (error) {
      if (error instanceof PublishError && error.committed) await storePartials();
      throw error;
    }
    await storePartials();
    const { summary, files } = version;
    const unchanged = manifest.versionId === published?.manifest?.versionId;
    const replacedProvisional = unchanged ? undefined : manifest.replacesProvisional?.versionId;
    const restated = !unchanged && startedFrom !== null && replacedProvisional === undefined;
    logger.info(
      unchanged
        ? 'monthly report unchanged'
        : restated
          ? 'monthly report restated'
          : provisional
            ? 'monthly report published (provisional, month to date)'
            : 'monthly report published',
      {
        month,
        location: ctx.store.location,
        versionId: manifest.versionId,
        objects: files.length,
        total: `${summary.totals.cost} ${summary.currency.code}`,
        coveragePct: summary.totals.coveragePct,
        durationSeconds: (ctx.clock.nowMs() - startedMs) / 1000,
        ...(restated ? { restates: manifest.restates?.versionId, forced: version.record.forced } : {}),
        ...(provisional ? { provisionalThrough: provisional.throughDay } : {}),
        ...(replacedProvisional ? { replacesProvisional: replacedProvisional } : {}),
      },
    );
    return {
      month,
      summary,
      keys: files.map((f) => f.key),
      restated,
      ...(provisional ? { provisional } : {}),
      ...(replacedProvisional ? { replacedProvisional } : {}),
      unchanged,
      partialsStored: version.storedWhileMetering + version.toStore.length,
      versionId: manifest.versionId,
      runId,
    };
  } finally {
    logger.stage?.(null);
    await pdfs.close();
    await rm(spoolDir, { recursive: true, force: true }).catch((error: unknown) => {
      // Never hide the run's own outcome behind this; the next run's directory has another name.
      logger.warn('could not remove the temporary directory', { dir: spoolDir, error: String(error) });
    });
  }
}

/** A version ready to publish (the guard has passed), and the re-metered partials to store once it is final. */
interface BuiltVersion {
  summary: Summary;
  files: PublishFile[];
  meta: ManifestMeta;
  record: OverrideRecord;
  toStore: PendingPartial[];
  /** Daily partials already stored while metering (new days of a month not yet published). */
  storedWhileMetering: number;
}

/** A freshly metered day whose partial is stored only once the version it belongs to is final. */
interface PendingPartial {
  partial: DayPartial;
  /** Why the guard would refuse to replace the stored partial ([]: it would not). */
  violations: string[];
}

/**
 * Meters and prices `period`, decides what the result is against the published version (the same, a
 * restatement, or a first publication), applies the guard, and renders the files of that version.
 */
async function buildVersion(
  ctx: AppContext,
  period: BillingPeriod,
  provisional: Provisional | undefined,
  options: MonthlyReportOptions,
  published: PublishedVersion | undefined,
  spoolDir: string,
  pdfs: MonthPdfSession,
  run: { runId: string; configHash: string; generatedAt: string },
): Promise<BuiltVersion> {
  const { config, logger } = ctx;
  const month = period.month;
  // A provisional version, and the final one that replaces it, are not restatements: the month ran on.
  const replacesProvisional = published ? provisionalOf(published) !== null : false;
  const kind = provisional ? `the provisional version of ${month} through ${provisional.throughDay}` : month;
  const what = published
    ? replacesProvisional
      ? `publish ${kind} (replacing the provisional ${describeVersion(published.head)})`
      : `restate ${month} (replacing ${describeVersion(published.head)})`
    : `publish ${kind}`;
  // Another zone or currency is another bill: refuse before querying anything (a forced run goes on,
  // and records every reason below).
  if (published?.summary && !options.force) {
    const publishedFigures = monthFiguresOf(published.summary);
    const next = {
      period: {
        zone: period.zone,
        start: isoInZone(period.startMs, period.zone),
        // A month to date ends earlier than the month: only the zone and the start must match.
        end:
          provisional || replacesProvisional
            ? publishedFigures.period.end
            : isoInZone(period.endMs, period.zone),
      },
      currency: config.pricing.currency,
    };
    refuseUnlessForced(what, identityViolations(next, publishedFigures), options, logger);
  }
  const metered = await meterMonth(ctx, period, options, published !== undefined);
  pdfs.start();
  logger.stage?.('pricing');
  const dayViolations = emptierDaysViolation(
    metered.pending.flatMap((p) => p.violations),
    config.guard,
  );
  const invoice = await readInvoice(ctx, period, metered.days);
  const {
    summary: pricedMonth,
    rows,
    reconciliation,
  } = priceMonth(
    metered.days,
    priceMonthOptionsFor(
      config,
      period,
      { kind: ctx.source.kind, description: ctx.source.description },
      invoice ? { invoice } : {},
    ),
  );
  const priced: Summary = provisional ? { ...pricedMonth, provisional } : pricedMonth;
  for (const warning of priced.warnings) logger.warn(warning, { month });
  const baseMeta: ManifestMeta = {
    ...manifestMetaFromSummary(priced, run),
    lockStaleSeconds: config.output.lockStaleSeconds,
  };
  logger.stage?.('rendering');
  const render = createRenderer(ctx, period, rows, metered.days, spoolDir, reconciliation, pdfs.render);

  // The same figures as the published version: render it as that version was rendered (its charge
  // class and restatement block); identical bytes mean nothing to publish.
  if (published?.manifest && published.summary && sameFigures(priced, published.summary)) {
    const chargeClass = chargeClassOf(published.manifest, published.summary);
    const summary: Summary = published.summary.restatement
      ? { ...priced, restatement: published.summary.restatement }
      : priced;
    const files = await render(summary, chargeClass);
    // Byte-identical files are the same version even when the configuration's hash moved (a new
    // release adds a default, a setting that changes no output): keep the published hash, so such a
    // rerun publishes nothing instead of a zero-difference Correction of every row.
    const sameFiles = sameFileContents(files, published.manifest);
    const meta = {
      ...baseMeta,
      chargeClass,
      ...(sameFiles ? { configHash: published.manifest.configHash } : {}),
    };
    if (versionIdOfFiles(month, files, meta) === published.manifest.versionId) {
      const record = refuseUnlessForced(
        `replace stored daily partials of ${month} with emptier ones`,
        dayViolations,
        options,
        logger,
      );
      return {
        summary,
        files,
        meta,
        record,
        toStore: pendingToStore(metered.pending, record),
        storedWhileMetering: metered.storedNow,
      };
    }
  }

  if (published && replacesProvisional) {
    return replaceProvisional(ctx, {
      what,
      period,
      provisional,
      invoice,
      published,
      priced,
      baseMeta,
      render,
      metered,
      dayViolations,
      options,
    });
  }

  const figures = monthFiguresOf(priced);
  const previousFigures = published?.summary
    ? monthFiguresOf(withoutRestatement(published.summary))
    : undefined;
  let moneyViolations = monthViolations(figures, previousFigures, config.guard);
  // The export caught up since the published version: judge everything but the invoice's own effect.
  const invoiceArrival =
    moneyViolations.length > 0 && previousFigures && invoice && published?.summary
      ? judgeInvoiceArrival(config, period, metered.days, invoice, published.summary, ctx, (asPublished) =>
          monthViolations(monthFiguresOf(asPublished), previousFigures, config.guard),
        )
      : undefined;
  if (invoiceArrival?.violations.length === 0) {
    logger.info('restatement from a newer invoice export passes the guard', {
      month,
      reason: invoiceArrival.reason,
    });
    moneyViolations = [];
  } else if (invoiceArrival) moneyViolations = invoiceArrival.violations;
  const violations = [
    ...(published?.problem ? [published.problem] : []),
    ...moneyViolations,
    ...dayViolations,
  ];
  const decided = refuseUnlessForced(what, violations, options, logger);
  const record: OverrideRecord =
    decided.reason === null && invoiceArrival?.violations.length === 0
      ? { ...decided, reason: invoiceArrival.reason }
      : decided;
  const chargeClass = published ? 'Correction' : '';
  const summary: Summary = published
    ? { ...priced, restatement: restatementBlock(published, priced, record) }
    : priced;
  const files = await render(summary, chargeClass);
  const meta: ManifestMeta = {
    ...baseMeta,
    chargeClass,
    ...(record.reason !== null ? { reason: record.reason } : {}),
    ...(record.forced ? { forced: { overridden: record.overridden } } : {}),
  };
  return {
    summary,
    files,
    meta,
    record,
    toStore: pendingToStore(metered.pending, record),
    storedWhileMetering: metered.storedNow,
  };
}

/** What buildVersion hands on when a version replaces a published provisional one. */
interface ProvisionalReplacement {
  what: string;
  period: BillingPeriod;
  provisional: Provisional | undefined;
  invoice: MonthInvoice | undefined;
  published: PublishedVersion;
  priced: Summary;
  baseMeta: ManifestMeta;
  render: (summary: Summary, chargeClass: '' | 'Correction') => Promise<PublishFile[]>;
  metered: { days: MeteredDay[]; pending: PendingPartial[]; storedNow: number };
  dayViolations: string[];
  options: MonthlyReportOptions;
}

/**
 * A version (provisional, or the final month) that replaces a published provisional version: not a
 * restatement (no Correction rows, no restatement block or page), but judged by the guard's rules for
 * provisional versions (provisionalReplacementViolations: coverage, no fewer ended days, no day both cover
 * dropping) and recorded in the manifest as `replacesProvisional`.
 */
async function replaceProvisional(ctx: AppContext, v: ProvisionalReplacement): Promise<BuiltVersion> {
  const { published, priced } = v;
  const { config, logger } = ctx;
  const publishedProvisional = provisionalOf(published)!;
  const publishedFigures = published.summary
    ? { ...versionFiguresOf(withoutRestatement(published.summary)), provisional: publishedProvisional }
    : undefined;
  const judge = (summary: Summary) =>
    publishedFigures
      ? provisionalReplacementViolations(
          versionFiguresOf(v.provisional ? { ...summary, provisional: v.provisional } : summary),
          publishedFigures,
          config.guard,
        )
      : [];
  let moneyViolations = judge(priced);
  // The export caught up since the published version (days it priced from the catalog now have invoice
  // prices): judge everything but the invoice's own effect, as for a restatement.
  const invoiceArrival =
    moneyViolations.length > 0 && v.invoice && published.summary
      ? judgeInvoiceArrival(config, v.period, v.metered.days, v.invoice, published.summary, ctx, judge)
      : undefined;
  if (invoiceArrival?.violations.length === 0) {
    logger.info('replacing a provisional version with a newer invoice export passes the guard', {
      month: v.period.month,
      reason: invoiceArrival.reason,
    });
    moneyViolations = [];
  } else if (invoiceArrival) moneyViolations = invoiceArrival.violations;
  const violations = [
    ...(published.problem ? [published.problem] : []),
    ...moneyViolations,
    ...v.dayViolations,
  ];
  const decided = refuseUnlessForced(v.what, violations, v.options, logger);
  const record: OverrideRecord =
    decided.reason === null && invoiceArrival?.violations.length === 0
      ? { ...decided, reason: invoiceArrival.reason }
      : decided;
  const files = await v.render(priced, '');
  const meta: ManifestMeta = {
    ...v.baseMeta,
    chargeClass: '',
    replacesProvisional: {
      versionId: published.manifest?.versionId ?? 'unreadable',
      throughDay: publishedProvisional.throughDay,
    },
    ...(record.reason !== null ? { reason: record.reason } : {}),
    ...(record.forced ? { forced: { overridden: record.overridden } } : {}),
  };
  return {
    summary: priced,
    files,
    meta,
    record,
    toStore: pendingToStore(v.metered.pending, record),
    storedWhileMetering: v.metered.storedNow,
  };
}

/**
 * An invoice-driven restatement. When the export now covers days the published version priced from the
 * catalog, its total moves by the difference between catalog and invoice — money the guard must not
 * mistake for a metering accident, nor wave through blindly. So the month is priced a second time with
 * the export cut back to the published version's coverage (days it covered stay invoice-priced, the others
 * catalog-priced, as published) and the guard judges that against the published figures: if it passes,
 * everything but the invoice's arrival is within the thresholds, and the restatement is published with the
 * recorded reason "invoice export now covers …"; if not, those violations refuse it (unless forced). The
 * thresholds are never widened. Undefined when the export covers no more than the published version did.
 */
function judgeInvoiceArrival(
  config: AppContext['config'],
  period: BillingPeriod,
  days: MeteredDay[],
  invoice: MonthInvoice,
  published: Summary,
  ctx: AppContext,
  judge: (asPublished: Summary) => string[],
): { violations: string[]; reason: string } | undefined {
  const before = published.invoice ? published.invoice.coveredUntil : null;
  const beforeMs = before === null ? null : Date.parse(before);
  const now = invoice.costs.coveredUntilMs;
  if (now === null || (beforeMs !== null && now <= beforeMs)) return undefined;
  const asPublished = priceMonth(
    days,
    priceMonthOptionsFor(
      config,
      period,
      { kind: ctx.source.kind, description: ctx.source.description },
      { invoice: { ...invoice, costs: { ...invoice.costs, coveredUntilMs: beforeMs } } },
    ),
  );
  const nowCovered = period.days.filter((d) => d.endMs <= now).length;
  const beforeCovered = beforeMs === null ? 0 : period.days.filter((d) => d.endMs <= beforeMs).length;
  const reason =
    `invoice export now covers ${nowCovered - beforeCovered} more day(s) of ${period.month} ` +
    `(through ${new Date(now).toISOString()}, before ${before ?? 'none'}): those days repriced from the invoice; ` +
    'everything else checked by the guard against the published version';
  return {
    violations: judge(asPublished.summary),
    reason,
  };
}

/** The partials to store once the guard passed; those it would have refused say that they were forced. */
function pendingToStore(pending: PendingPartial[], record: OverrideRecord): PendingPartial[] {
  return pending.map((p) =>
    p.violations.length > 0
      ? { ...p, partial: { ...p.partial, forced: { reason: record.reason, overridden: p.violations } } }
      : p,
  );
}

/** Whether `files` have exactly the keys and contents (SHA-256) that `manifest` lists. */
function sameFileContents(files: readonly PublishFile[], manifest: Manifest): boolean {
  if (files.length !== manifest.files.length) return false;
  const listed = new Map(manifest.files.map((f) => [f.key, f.sha256]));
  return files.every((f) => listed.get(f.key) === contentSha256(f.body));
}

/** Whether two summaries hold the same figures (everything but a restatement block). */
function sameFigures(a: Summary, b: Summary): boolean {
  return canonicalJson(withoutRestatement(a)) === canonicalJson(withoutRestatement(b));
}

/** The charge class a published version's rows carry (manifests before it was recorded: from its summary). */
function chargeClassOf(manifest: Manifest, summary: Summary): '' | 'Correction' {
  return manifest.chargeClass ?? (summary.restatement ? 'Correction' : '');
}

/** What the restatement of `published` by `priced` records. */
function restatementBlock(published: PublishedVersion, priced: Summary, record: OverrideRecord): Restatement {
  const replaces = published.manifest
    ? {
        versionId: published.manifest.versionId,
        runId: published.manifest.runId,
        generatedAt: published.manifest.generatedAt,
      }
    : { versionId: 'unreadable', runId: 'unknown', generatedAt: 'unknown' };
  if (published.summary) {
    return restatementOf(
      monthFiguresOf(withoutRestatement(published.summary)),
      monthFiguresOf(priced),
      replaces,
      record,
    );
  }
  return {
    replaces,
    reason: record.reason,
    forced: record.forced,
    overridden: record.overridden,
    previousTotal: null,
    total: priced.totals.cost,
    difference: null,
    byTeam: [],
  };
}

/**
 * The days of `period`: fresh stored partials are reused; the others (and every day with `remeter`, or
 * named in `remeterDays`) are metered. A metered day with no stored partial is stored at once when the
 * month is not published (nothing to lose, and a failed run resumes from it); every other one waits until
 * its version is final, with the guard's verdict against the stored partial it would replace.
 */
async function meterMonth(
  ctx: AppContext,
  period: BillingPeriod,
  options: MonthlyReportOptions,
  monthPublished: boolean,
): Promise<{ days: MeteredDay[]; pending: PendingPartial[]; storedNow: number }> {
  const { logger } = ctx;
  logger.stage?.('metering days');
  let storedNow = 0;
  const named = new Set(options.remeterDays ?? []);
  const { reused, stale } = await loadStoredDays(ctx, period, (date) => !options.remeter && !named.has(date));
  if (options.onlyStoredPartials) refuseUnnamedDays(period, stale, named, Boolean(options.remeter));

  const metered = new Map<string, MeteredDay>();
  const pending: PendingPartial[] = [];
  let done = reused.size;
  const toMeter = period.days.filter((d) => stale.has(d.date));
  for (const day of toMeter) {
    const why = stale.get(day.date)?.staleReason;
    if (why !== undefined && !options.remeter && !named.has(day.date)) {
      logger.info('stored partial is stale; re-metering', { date: day.date, why });
    }
  }
  await surveyDays(ctx, toMeter);
  // Several days at once, as far as their shards' estimated memory fits this process'.
  const dates = toMeter.map((d) => d.date);
  await meterDaysWithinMemory(ctx, dates, options.concurrency ?? 4, async (date, plan) => {
    const stored = stale.get(date);
    // A day too big for one invocation is metered shard by shard (each shard's partial guarded on its own).
    const fresh = await meterDayInShards(
      ctx,
      date,
      async (part) => {
        const partial = partialOf(ctx, part);
        if (!monthPublished && stored === undefined) {
          await storeDayPartial(ctx, partial);
          storedNow += 1;
        } else pending.push({ partial, violations: replacementViolations(ctx, part.day, stored) });
      },
      plan,
    );
    // Only the figures of the replaced partial are needed from here on.
    stale.delete(date);
    metered.set(date, fresh);
    done += 1;
    logger.progress(done, period.days.length, `metered ${date}`);
  });
  if (reused.size > 0) logger.progress(done, period.days.length, `loaded ${reused.size} stored days`);
  const days = period.days.map((d) => (reused.get(d.date) ?? metered.get(d.date))!);
  pending.sort(
    (a, b) =>
      compareStrings(a.partial.day.day.date, b.partial.day.day.date) ||
      (a.partial.shard?.index ?? 0) - (b.partial.shard?.index ?? 0),
  );
  return { days, pending, storedNow };
}

/**
 * A backfill re-meters only the days it names: any other day of the month without a fresh stored partial
 * (missing, metered under other settings, or before its data was complete) stops the run before anything
 * is metered, naming those days and how to include them.
 */
function refuseUnnamedDays(
  period: BillingPeriod,
  stale: ReadonlyMap<string, StoredPartial | undefined>,
  named: ReadonlySet<string>,
  remeterAll: boolean,
): void {
  if (remeterAll) return;
  const unusable = period.days.filter((d) => stale.has(d.date) && !named.has(d.date));
  if (unusable.length === 0) return;
  const reasons = [...new Set(unusable.map((d) => stale.get(d.date)?.staleReason ?? 'no stored partial'))];
  const ranges = dateRanges(unusable.map((d) => d.date));
  const first = unusable[0]!.date;
  const last = unusable.at(-1)!.date;
  throw new RefusedError(
    `refusing to restate ${period.month} from the backfilled days alone: ${unusable.length} other day${unusable.length === 1 ? '' : 's'} ` +
      `of the month ha${unusable.length === 1 ? 's' : 've'} no usable stored partial (${ranges.join(', ')}: ${reasons.slice(0, 3).join('; ')}), ` +
      'and a backfill re-meters only the days it names. Nothing was written; backfill those days too ' +
      `(--from ${first} --to ${last}), or re-meter the whole month with report --month ${period.month} --remeter`,
    [`days without a usable partial: ${ranges.join(', ')}`],
  );
}

/** Consecutive dates as "first..last" ranges (single dates alone). */
function dateRanges(dates: readonly string[]): string[] {
  const out: string[] = [];
  let start = dates[0];
  let prev = dates[0];
  const next = (d: string) => new Date(Date.parse(`${d}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
  for (const date of [...dates.slice(1), undefined]) {
    if (date !== undefined && prev !== undefined && date === next(prev)) {
      prev = date;
      continue;
    }
    if (start !== undefined) out.push(start === prev ? start : `${start}..${prev}`);
    start = date;
    prev = date;
  }
  return out;
}

/** The chargeback CSV's spool buffer: records are appended one by one, flushed a MiB at a time. */
const CHARGEBACK_SPOOL_BYTES = 1 << 20;

/**
 * The renderer of one priced month: the files of a version for a summary and a charge class. The charge
 * class only changes the chargeback and team CSVs, so those are spooled once per class; usage.csv and
 * nodes.csv once; summary.json and the PDF per call.
 */
function createRenderer(
  ctx: AppContext,
  period: BillingPeriod,
  rows: Parameters<typeof writeChargebackAndTeamCsvs>[0],
  days: MeteredDay[],
  spoolDir: string,
  reconciliation: readonly InvoiceReconciliationLine[] | undefined,
  renderPdfs: MonthPdfRenderer,
): (summary: Summary, chargeClass: '' | 'Correction') => Promise<PublishFile[]> {
  const { config } = ctx;
  const month = period.month;
  const csvType = 'text/csv; charset=utf-8';
  const spool = async (key: string, chunks: Iterable<string>): Promise<PublishFile> => ({
    key,
    body: await spoolChunks(chunks, spoolDir),
    contentType: csvType,
  });
  const chargeCsvs = new Map<string, PublishFile[]>();
  // The team pack: per team its rows, its biggest consumers, and one folder name (injective, as the CSVs').
  const teamRows = rowsByTeam(rows);
  const names = teamFileNames([...teamRows.keys()]);
  const teamFactsOf = new Map(
    [...teamRows].map(([team, indices]) => [team, teamFacts(rows, indices, TEAM_PDF_TOP.pods)]),
  );
  let tables: PublishFile[] | undefined;
  let previousMonth: Summary | null | undefined;
  const pdfOptions = {
    language: config.report.language,
    title: config.report.title,
    baselinePercentile: config.report.baselinePercentile,
  };
  return async (summary, chargeClass) => {
    if (previousMonth === undefined) previousMonth = await loadPreviousSummary(ctx, month);
    // Started first: in a worker thread (the built CLI) they are drawn while the CSVs below are written
    // here. A rejection is handled when awaited below; until then it is kept, not reported as unhandled.
    const pdfs = renderPdfs({
      summary,
      previous: previousMonth,
      options: pdfOptions,
      teams: [...teamFactsOf],
    });
    pdfs.catch(() => undefined);
    let charges = chargeCsvs.get(chargeClass);
    if (!charges) {
      const csvMeta: CsvMeta = {
        // The CSVs' billing period is the month, also for a month to date (whose rows end earlier).
        ...csvMetaFromSummary(summary, billingPeriod(month, period.zone)),
        chargeClass,
        clusters: config.clusters,
        ...(reconciliation ? { billing: true } : {}),
      };
      const costs = {
        currency: summary.currency.code,
        minorDigits: summary.currency.minorDigits,
        zone: period.zone,
      };
      // The team CSVs hold the chargeback CSV's records: each is encoded once, for both files. The
      // lines of every team's costs.csv are made of the same encoded fields, spooled in the rows' order
      // and put in cost order below.
      const teamWriters = [...teamRows.keys()].map(() => new SpoolWriter(spoolDir));
      const lineWriters = [...teamRows.keys()].map(() => new SpoolWriter(spoolDir));
      const costLines = new TeamCostLineWriter(
        rows,
        csvMeta,
        { ...costs, correction: chargeClass === 'Correction' },
        (t, line) => lineWriters[t]!.write(line),
      );
      // The chargeback CSV appended record by record (no chunk strings), as the team files are.
      const all = new SpoolWriter(spoolDir, CHARGEBACK_SPOOL_BYTES);
      try {
        writeChargebackAndTeamCsvs(
          rows,
          csvMeta,
          teamRows,
          (text) => all.write(text),
          (t, text) => teamWriters[t]!.write(text),
          costLines.add,
        );
        charges = [{ key: keys.chargebackCsv(month), body: all.finish(), contentType: csvType }];
        let t = 0;
        for (const team of teamRows.keys()) {
          charges.push({
            key: keys.teamCsv(month, names.get(team)!),
            body: teamWriters[t++]!.finish(),
            contentType: csvType,
            team,
          });
        }
        t = 0;
        for (const [team, indices] of teamRows) {
          // The team's lines in the rows' order, read back in cost order; then deleted.
          const lines = spooledReader(lineWriters[t]!.finish().path);
          try {
            const chunks = teamCostsCsvChunksOfLines(rows, indices, costLines.lineBytes, lines.readAt, costs);
            charges.push({
              key: keys.teamCostsCsv(month, names.get(team)!),
              body: spoolBytes(chunks, spoolDir),
              contentType: csvType,
            });
          } finally {
            lines.close();
            lineWriters[t++]!.discard();
          }
        }
      } catch (error) {
        for (const writer of [all, ...teamWriters, ...lineWriters]) writer.discard();
        throw error;
      }
      if (reconciliation) {
        const issuer = config.allocation.idle.platformTeam;
        charges.push(await spool(keys.focusCsv(month), focusCsvChunks(rows, { ...csvMeta, issuer })));
      }
      chargeCsvs.set(chargeClass, charges);
    }
    tables ??= [
      await spool(keys.usageCsv(month), usageCsvChunks(days, config.timezone)),
      await spool(keys.nodesCsv(month), nodesCsvChunks(days, config.timezone)),
    ];
    const html: PublishFile = {
      key: keys.htmlReport(month),
      // Written as it is made: the page of a large month never exists as one string.
      body: await spoolChunks(
        htmlReportChunks(summary, rows, { language: pdfOptions.language, title: pdfOptions.title }),
        spoolDir,
      ),
      contentType: 'text/html; charset=utf-8',
    };
    const { executive: pdf, teams: teamPdfBodies } = await pdfs;
    const teamPdfs: PublishFile[] = [...teamFactsOf.keys()].map((team, t) => ({
      key: keys.teamReportPdf(month, names.get(team)!),
      body: teamPdfBodies[t]!,
      contentType: 'application/pdf',
    }));
    const invoiceFiles: PublishFile[] = reconciliation
      ? [
          {
            key: keys.reconciliationCsv(month),
            body: renderReconciliationCsv(reconciliation, summary.currency.code),
            contentType: csvType,
          },
        ]
      : [];
    return [
      ...charges,
      ...tables,
      ...invoiceFiles,
      { key: keys.summaryJson(month), body: renderSummaryJson(summary), contentType: 'application/json' },
      { key: keys.pdf(month), body: pdf, contentType: 'application/pdf' },
      html,
      ...teamPdfs,
      {
        key: keys.columnsMd(month),
        body: columnsMarkdown(month),
        contentType: 'text/markdown; charset=utf-8',
      },
    ];
  };
}
