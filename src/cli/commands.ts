import { statSync } from 'node:fs';
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { DateTime } from 'luxon';
import { backfill, planBackfill } from '../app/backfill.ts';
import { DEMO_OUTPUT_LOCATION, demoConfig } from '../app/demoConfig.ts';
import { getPublished, getTeamPack, presignedLink } from '../app/getPublished.ts';
import { runJob } from '../app/runJob.ts';
import { deliveryMetrics, runMetrics } from '../app/runMetrics.ts';
import { deliverAfterPublish, deliverMonth } from '../app/deliverMonth.ts';
import { type MonthlyReportResult, reportPeriod, runMonthlyReport } from '../app/runMonthlyReport.ts';
import { runSimulate } from '../app/simulate.ts';
import { SIMULATION_PRESETS, type SimulationPreset } from '../sim/index.ts';
import { loadConfig, parseConfig, parseConfigText } from '../config/loadConfig.ts';
import { type ConfigInput, printableConfig } from '../config/schema.ts';
import { isMonth } from '../core/period.ts';
import { InputError, NotPublishedError } from '../errors.ts';
import type { BlobStore } from '../ports.ts';
import { Redactor } from '../redact.ts';
import { buildContext, buildPublishedContext, buildStore } from './buildContext.ts';
import { namingSource } from './sourceErrors.ts';
import { assertPlausibleMonth } from '../app/guard.ts';
import {
  applyCommonOverrides,
  type CliIo,
  type CommandSpec,
  commonOptions,
  EXIT_OK,
  EXIT_RUNTIME,
  guardOptions,
  guardOverrideOf,
  languageOption,
  type ParsedArgs,
  requireMonth,
} from './options.ts';

/** Deep-merges plain objects (arrays and scalars from `over` replace those in `base`). */
export function mergeConfig(base: unknown, over: unknown): unknown {
  if (over === undefined) return base;
  if (
    base &&
    over &&
    typeof base === 'object' &&
    typeof over === 'object' &&
    !Array.isArray(base) &&
    !Array.isArray(over)
  ) {
    const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
    for (const [k, v] of Object.entries(over as Record<string, unknown>)) {
      // A config file is data: "__proto__" must not become the prototype of the merged object.
      if (k === '__proto__' || k === 'constructor' || k === 'prototype') continue;
      out[k] = mergeConfig(out[k], v);
    }
    return out;
  }
  return over;
}

/**
 * What a monthly run wrote, in one line: the published files (none when the result reproduced the
 * published version) and the daily partials it stored.
 */
export function describeWrites(
  result: Pick<
    MonthlyReportResult,
    'month' | 'keys' | 'unchanged' | 'restated' | 'versionId' | 'partialsStored' | 'provisional'
  >,
  location: string,
): string {
  const month = result.provisional
    ? `${result.month} (provisional, month to date through ${result.provisional.throughDay})`
    : result.month;
  const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;
  const partials =
    result.partialsStored > 0
      ? `; stored ${plural(result.partialsStored, 'daily partial')} in ${location}/usage/`
      : '';
  if (result.unchanged) {
    return `${result.month} unchanged: version ${result.versionId} in ${location}/${result.month}/ already holds these ${plural(result.keys.length, 'file')}, none published${partials}`;
  }
  return `${result.restated ? 'restated' : 'published'} ${month} as version ${result.versionId}: wrote ${plural(result.keys.length, 'file')} to ${location}/${result.month}/${partials}`;
}

const report: CommandSpec = {
  name: 'report',
  summary:
    'Meter, price and publish one billing month (reuses stored daily partials); the current month as a provisional month to date.',
  usage:
    'report --month YYYY-MM [--config FILE] [--prometheus-url URL] [--out DIR|s3://bucket/prefix] [--timezone Area/City] [--language en|ko] [--force --reason TEXT]',
  options: {
    month: {
      type: 'string',
      placeholder: 'YYYY-MM',
      description:
        'billing month in the configured time zone (the current month: a provisional version through the last ended day)',
      required: true,
    },
    ...commonOptions,
    language: languageOption,
    remeter: { type: 'boolean', description: 're-meter every day even when a daily partial is stored' },
    ...guardOptions,
  },
  async run({ values }, io) {
    const month = requireMonth(values.month, '--month', io.nowMs());
    const override = guardOverrideOf(values);
    const config = await loadConfig(values.config as string | undefined, (raw) =>
      applyCommonOverrides(raw, values),
    );
    assertPlausibleMonth(month, config);
    // A month without an ended day is bad input: say so before anything is wired or contacted. A running
    // month with ended days is published as a provisional month to date.
    reportPeriod(month, config.timezone, io.nowMs(), config.guard.ingestionDelaySeconds);
    const ctx = await buildContext(config, io, {
      quiet: Boolean(values.quiet),
      verbose: Boolean(values.verbose),
    });
    const result = await namingSource(config, () =>
      runJob(
        ctx,
        'monthly-report',
        async () => {
          const published = await runMonthlyReport(ctx, month, {
            remeter: Boolean(values.remeter),
            ...override,
          });
          // Only after the commit; it never throws, so the exit code stays the publication's.
          return { ...published, delivery: await deliverAfterPublish(ctx, published) };
        },
        (r, run) => [...runMetrics(r?.summary, run), ...deliveryMetrics(r?.delivery, run.job)],
      ),
    );
    const { delivery } = result;
    if (delivery && delivery.failed > 0) {
      io.stderr(
        `gpu-chargeback report: warning: ${delivery.failed} of ${delivery.sent + delivery.failed} messages to team leads failed (see the log; resend with \`gpu-chargeback deliver --month ${month}\`); ${month} is published\n`,
      );
    }
    io.stdout(
      `${JSON.stringify({
        month,
        location: ctx.store.location,
        total: result.summary.totals.cost,
        currency: result.summary.currency.code,
        coveragePct: result.summary.totals.coveragePct,
        runId: result.runId,
        versionId: result.versionId,
        restated: result.restated,
        unchanged: result.unchanged,
        ...(result.provisional ? { provisional: result.provisional } : {}),
        ...(result.replacedProvisional ? { replacedProvisional: result.replacedProvisional } : {}),
        keys: result.keys,
        ...(delivery
          ? { delivery: { sent: delivery.sent, failed: delivery.failed, skipped: delivery.skipped } }
          : {}),
      })}\n`,
    );
    return EXIT_OK;
  },
};

const backfillCommand: CommandSpec = {
  name: 'backfill',
  summary: 'Re-meter past days or months and re-run (restate) the affected closed months.',
  usage:
    'backfill --from YYYY-MM[-DD] --to YYYY-MM[-DD] [--config FILE] [--prometheus-url URL] [--out ...] [--timezone Area/City] [--force --reason TEXT]',
  options: {
    from: {
      type: 'string',
      placeholder: 'YYYY-MM[-DD]',
      description: 'first day or month, inclusive',
      required: true,
    },
    to: {
      type: 'string',
      placeholder: 'YYYY-MM[-DD]',
      description: 'last day or month, inclusive',
      required: true,
    },
    ...commonOptions,
    ...guardOptions,
  },
  async run({ values }, io) {
    if (typeof values.from !== 'string' || typeof values.to !== 'string')
      throw new InputError('--from and --to are both required');
    const override = guardOverrideOf(values);
    const config = await loadConfig(values.config as string | undefined, (raw) =>
      applyCommonOverrides(raw, values),
    );
    // Reject a reversed, future, oversized or implausible range before anything is wired or contacted.
    const plan = planBackfill(values.from, values.to, config.timezone, io.nowMs());
    for (const month of [...plan.months, ...plan.openMonths]) assertPlausibleMonth(month, config);
    const ctx = await buildContext(config, io, {
      quiet: Boolean(values.quiet),
      verbose: Boolean(values.verbose),
    });
    const result = await namingSource(config, () =>
      backfill(ctx, values.from as string, values.to as string, override),
    );
    io.stdout(`${JSON.stringify({ location: ctx.store.location, ...result })}\n`);
    return EXIT_OK;
  },
};

const demo: CommandSpec = {
  name: 'demo',
  summary: 'Run the whole pipeline on the built-in, seeded synthetic demo cluster (no server, no AWS).',
  usage:
    'demo [--month YYYY-MM] [--out DIR] [--seed N] [--language en|ko] [--no-billing] [--config FILE] [--timezone Area/City] [--force --reason TEXT]',
  // Only what the demo reads: it has no Prometheus (no --prometheus-url).
  options: {
    month: {
      type: 'string',
      placeholder: 'YYYY-MM',
      description: 'month to simulate',
      default: 'the previous month in the time zone',
    },
    seed: { type: 'string', placeholder: 'N', description: 'seed of the synthetic cluster', default: '42' },
    language: { ...languageOption, default: 'report.language of --config, else en' },
    'no-billing': {
      type: 'boolean',
      description:
        'without the synthetic invoice export: prices from the catalog alone, no reconciliation.csv',
    },
    config: {
      ...commonOptions.config!,
      description: 'configuration file (JSON or YAML) merged over the demo configuration',
      default: 'none: the demo configuration (src/app/demoConfig.ts)',
    },
    out: {
      ...commonOptions.out!,
      // Never ./reports: a real report there must not find (or be mistaken for) the demo's months.
      default: `output.location of --config, else ${DEMO_OUTPUT_LOCATION}`,
    },
    timezone: { ...commonOptions.timezone!, default: 'timezone of --config, else Asia/Seoul' },
    debug: commonOptions.debug!,
    quiet: commonOptions.quiet!,
    verbose: commonOptions.verbose!,
    ...guardOptions,
  },
  async run({ values }, io) {
    const override = guardOverrideOf(values);
    let raw = demoConfig as unknown;
    if (typeof values.config === 'string') {
      const { readFile } = await import('node:fs/promises');
      const text = await readFile(values.config, 'utf8').catch((error: NodeJS.ErrnoException) => {
        throw new InputError(`cannot read config file ${values.config}: ${error.code ?? error.message}`);
      });
      raw = mergeConfig(raw, parseConfigText(text, values.config));
    }
    const merged = applyCommonOverrides(raw as ConfigInput, values);
    merged.source = { ...(merged.source ?? {}), kind: 'demo' };
    // The demo ships a synthetic FOCUS export of its cluster (src/app/demoExport.ts) unless --no-billing.
    const demoBilling = !values['no-billing'] && merged.billing === undefined;
    if (demoBilling) merged.billing = { format: 'focus', location: 'demo-synthetic-export' };
    const config = parseConfig(merged, 'demo config');
    const nowMs = io.nowMs();
    const month =
      values.month === undefined
        ? DateTime.fromMillis(nowMs, { zone: config.timezone }).minus({ months: 1 }).toFormat('yyyy-MM')
        : requireMonth(values.month, '--month', nowMs);
    const seed = values.seed === undefined ? 42 : Number(values.seed);
    if (!Number.isSafeInteger(seed) || seed < 0)
      throw new InputError(`--seed "${values.seed}" must be a non-negative integer`);
    const ctx = await buildContext(config, io, {
      quiet: Boolean(values.quiet),
      verbose: Boolean(values.verbose),
      demo: { month, seed, billing: demoBilling },
    });
    const result = await runMonthlyReport(ctx, month, { remeter: true, ...override });
    io.stderr(
      `demo: ${describeWrites(result, ctx.store.location)} (${config.timezone}) — total ${result.summary.totals.cost} ${result.summary.currency.code} (DEMO DATA)\n`,
    );
    io.stdout(
      `${JSON.stringify({ month, location: ctx.store.location, total: result.summary.totals.cost, keys: result.keys })}\n`,
    );
    return EXIT_OK;
  },
};

const validateConfig: CommandSpec = {
  name: 'validate-config',
  summary: 'Validate a configuration file and print it with every default applied (JSON on stdout).',
  usage: 'validate-config FILE',
  positionals: 'FILE',
  options: { debug: commonOptions.debug! },
  async run({ positionals }, io) {
    if (positionals.length !== 1) throw new InputError('expected exactly one FILE');
    const config = await loadConfig(positionals[0]);
    const printable = { valid: true, config: printableConfig(config) };
    // The values of source.headers are credentials as often as not; the file's owner knows them.
    io.stdout(`${(io.redactor ?? new Redactor()).text(JSON.stringify(printable, null, 2))}\n`);
    return EXIT_OK;
  },
};

const simulate: CommandSpec = {
  name: 'simulate',
  summary:
    'Write a month of synthetic kube-state-metrics and dcgm-exporter series (OpenMetrics) and its exact ground truth (JSON).',
  usage:
    'simulate --month YYYY-MM --out DIR [--preset demo|edge-cases|real-shapes] [--seed N] [--timezone Area/City] [--ksm-interval S] [--dcgm-interval S]',
  options: {
    month: { type: 'string', placeholder: 'YYYY-MM', description: 'month to simulate', required: true },
    out: { type: 'string', placeholder: 'DIR', description: 'output directory', required: true },
    preset: {
      type: 'string',
      placeholder: 'NAME',
      description: 'scenario: demo, edge-cases or real-shapes (the GPU shapes of issue #14)',
      default: 'demo',
    },
    seed: { type: 'string', placeholder: 'N', description: 'seed', default: '42' },
    timezone: { ...commonOptions.timezone!, description: 'IANA time zone of the month', default: 'UTC' },
    'ksm-interval': {
      type: 'string',
      placeholder: 'SECONDS',
      description: 'kube-state-metrics scrape interval',
      default: '60',
    },
    'dcgm-interval': {
      type: 'string',
      placeholder: 'SECONDS',
      description: 'dcgm-exporter scrape interval',
      default: '30',
    },
    debug: commonOptions.debug!,
  },
  async run({ values }, io) {
    if (typeof values.month !== 'string' || !isMonth(values.month))
      throw new InputError('--month YYYY-MM is required');
    if (typeof values.out !== 'string') throw new InputError('--out DIR is required');
    const preset = (values.preset as string | undefined) ?? 'demo';
    if (!(SIMULATION_PRESETS as readonly string[]).includes(preset))
      throw new InputError(`--preset must be ${SIMULATION_PRESETS.join(', ')}, not "${preset}"`);
    const num = (v: unknown, flag: string) => {
      if (v === undefined) return undefined;
      const n = Number(v);
      if (!Number.isFinite(n) || n <= 0) throw new InputError(`${flag} must be a positive number of seconds`);
      return n;
    };
    const zone = (values.timezone as string | undefined) ?? 'UTC';
    applyCommonOverrides({}, { timezone: zone });
    const written = await runSimulate({
      preset: preset as SimulationPreset,
      month: values.month,
      zone,
      seed: values.seed === undefined ? 42 : Number(values.seed),
      outDir: resolve(values.out),
      ksmSeconds: num(values['ksm-interval'], '--ksm-interval'),
      dcgmSeconds: num(values['dcgm-interval'], '--dcgm-interval'),
    });
    // Each path once: `paths` repeats the other two fields.
    io.stdout(
      `${JSON.stringify({ openMetricsFiles: written.openMetricsFiles, groundTruthFile: written.groundTruthFile })}\n`,
    );
    return EXIT_OK;
  },
};

/** A value of the old `get --out FILE`: the name of a downloaded file. */
const DOWNLOAD_FILE_NAME = /\.(pdf|csv|json)$/i;

/** Where `get` reads (the output location) and writes (the download), from its flags. */
export interface GetTargets {
  /** Overrides output.location; undefined: the config's. */
  location?: string | undefined;
  /** `-` for stdout, a directory, or a file; undefined: the file's name in the current directory. */
  saveTo?: string | undefined;
  /** Deprecation warnings for the spellings before #16. */
  warnings: string[];
}

/**
 * `--out` is where reports live, as in every other command; `--save-to` is where the download goes. The
 * spellings before #16 keep working, each with a deprecation warning: `--from LOCATION` is `--out`, and
 * `--out` is the download target when it is `-`, when `--from` is also given, or when (without
 * `--save-to`) it names a .pdf, .csv or .json that is not a directory. `isDirectory` is asked about local
 * paths only.
 */
export function getTargetsOf(
  values: ParsedArgs['values'],
  isDirectory: (path: string) => boolean,
): GetTargets {
  const out = values.out as string | undefined;
  const from = values.from as string | undefined;
  const saveTo = values['save-to'] as string | undefined;
  const warnings: string[] = [];
  const oldOut = `--out as the download target is deprecated: --out now names where reports live, as in every other command; write --save-to ${out ?? 'FILE'}`;
  if (from !== undefined) {
    warnings.push(`--from is deprecated: write --out ${from}`);
    if (out !== undefined && saveTo !== undefined)
      throw new InputError(
        '--from is the old spelling of --out: give the location once, as --out, and the download as --save-to',
      );
    if (out !== undefined) warnings.push(oldOut);
    return { location: from, saveTo: out ?? saveTo, warnings };
  }
  if (saveTo !== undefined || out === undefined) return { location: out, saveTo, warnings };
  if (out === '-' || (DOWNLOAD_FILE_NAME.test(out) && !/^s3:\/\//i.test(out) && !isDirectory(out))) {
    return { location: undefined, saveTo: out, warnings: [oldOut] };
  }
  return { location: out, saveTo: undefined, warnings };
}

/**
 * The local path a download is written to: inside `saveTo` when it is a directory (existing, or spelled
 * with a trailing slash, then created), else `saveTo` itself; without it, `fileName` in the current directory.
 */
async function downloadPath(saveTo: string | undefined, fileName: string): Promise<string> {
  if (saveTo === undefined) return resolve(fileName);
  const isDirectory = await stat(saveTo).then(
    (s) => s.isDirectory(),
    () => false,
  );
  if (isDirectory) return resolve(saveTo, fileName);
  if (/[\\/]$/.test(saveTo)) {
    await mkdir(saveTo, { recursive: true });
    return resolve(saveTo, fileName);
  }
  return resolve(saveTo);
}

/**
 * `get --team T --pack`: the team lead's pack, each file verified, written under its own name (report.pdf,
 * costs.csv, COLUMNS.md) into `saveTo`, a directory (existing, or spelled with a trailing slash, then
 * created); the current directory without it.
 */
async function getPack(
  store: BlobStore,
  query: { month: string; team: string; versionId?: string | undefined },
  saveTo: string | undefined,
  io: CliIo,
): Promise<number> {
  const isDirectory =
    saveTo === undefined ||
    /[\\/]$/.test(saveTo) ||
    (statSync(saveTo, { throwIfNoEntry: false })?.isDirectory() ?? false);
  if (!isDirectory)
    throw new InputError(
      `--pack writes several files: --save-to must be a directory (an existing one, or ending in /), not ${JSON.stringify(saveTo)}`,
    );
  const files = await getTeamPack(store, query);
  for (const file of files) {
    const target = await downloadPath(saveTo, basename(file.key));
    await writeFile(target, file.body);
    io.stderr(`wrote ${target} (${file.body.length} bytes, sha256 verified against the manifest)\n`);
  }
  io.stderr(
    `${query.month} version ${files[0]!.manifest.versionId}: the pack of team ${JSON.stringify(query.team)}, ${files.length} files\n`,
  );
  return EXIT_OK;
}

const get: CommandSpec = {
  name: 'get',
  summary: 'Download a published file (verified against the month manifest) or print a time-limited link.',
  usage:
    'get --month YYYY-MM [--team T [--pack]] [--what pdf|csv|summary | --file NAME] [--version ID] [--link] [--out DIR|s3://bucket/prefix] [--save-to FILE|DIR|-] [--config FILE]',
  options: {
    month: { type: 'string', placeholder: 'YYYY-MM', description: 'billing month', required: true },
    team: {
      type: 'string',
      placeholder: 'TEAM',
      description: "a team's CSV instead of the whole chargeback.csv",
      default: 'none: the whole month',
    },
    what: {
      type: 'string',
      placeholder: 'pdf|csv|summary',
      description: 'which file',
      default: 'pdf, or csv with --team',
    },
    file: {
      type: 'string',
      placeholder: 'NAME',
      description:
        "any file of the month by its name in the month's folder, e.g. report.html, COLUMNS.md, teams/ml/costs.csv (instead of --what)",
      default: 'none',
    },
    pack: {
      type: 'boolean',
      description:
        "with --team: the team lead's pack — the team's report.pdf and costs.csv and the month's COLUMNS.md — into --save-to (a directory)",
    },
    version: {
      type: 'string',
      placeholder: 'ID',
      description: "an earlier version of the month, by its manifest's versionId (16 hex digits)",
      default: 'the current version',
    },
    link: { type: 'boolean', description: 'print a presigned URL (S3 only) instead of downloading' },
    'expires-in': {
      type: 'string',
      placeholder: 'SECONDS',
      description: 'lifetime of --link',
      default: '3600',
    },
    config: commonOptions.config!,
    out: { ...commonOptions.out!, description: 'where reports are published (overrides output.location)' },
    'save-to': {
      type: 'string',
      placeholder: 'FILE|DIR|-',
      description:
        'where the download is written: a file, a directory (existing, or ending in /), or - for stdout',
      default: "the file's name in the current directory",
    },
    from: {
      type: 'string',
      placeholder: 'DIR|s3://bucket/prefix',
      description: 'deprecated spelling of --out',
      default: 'none',
    },
    debug: commonOptions.debug!,
  },
  async run({ values }, io) {
    const month = requireMonth(values.month, '--month', io.nowMs());
    const what = (values.what as string | undefined) ?? (values.team ? 'csv' : 'pdf');
    if (what !== 'pdf' && what !== 'csv' && what !== 'summary')
      throw new InputError('--what must be pdf, csv or summary');
    const fileName = values.file as string | undefined;
    if (fileName !== undefined && values.what !== undefined)
      throw new InputError('--file names the file itself: give --file or --what, not both');
    if (values.pack && (values.team === undefined || fileName !== undefined || values.what !== undefined))
      throw new InputError("--pack fetches a team's pack: give it with --team, without --what or --file");
    if (values.pack && values.link)
      throw new InputError(
        '--link prints the link of one file: give --file teams/<team>/report.pdf, not --pack',
      );
    const targets = getTargetsOf(
      values,
      (path) => statSync(path, { throwIfNoEntry: false })?.isDirectory() ?? false,
    );
    for (const warning of targets.warnings) io.stderr(`gpu-chargeback get: warning: ${warning}\n`);
    const config = await loadConfig(values.config as string | undefined, (raw) =>
      applyCommonOverrides(raw, { out: targets.location }),
    );
    const store = await buildStore(config);
    const request = {
      month,
      what,
      file: fileName,
      team: values.team as string | undefined,
      versionId: values.version as string | undefined,
    } as const;
    if (values.pack) return getPack(store, { ...request, team: request.team! }, targets.saveTo, io);
    if (values.link) {
      const expires = values['expires-in'] === undefined ? 3600 : Number(values['expires-in']);
      if (!Number.isInteger(expires) || expires <= 0 || expires > 604_800)
        throw new InputError('--expires-in must be 1..604800 seconds');
      io.stdout(`${await presignedLink(store, request, expires)}\n`);
      return EXIT_OK;
    }
    let file: Awaited<ReturnType<typeof getPublished>>;
    try {
      file = await getPublished(store, request);
    } catch (error) {
      // `get --out FILE` downloaded to FILE before #16; say so where that old habit now lands.
      if (error instanceof NotPublishedError && targets.location !== undefined && values.out !== undefined)
        throw new NotPublishedError(
          `${error.message} (--out names where reports are published, as in every other command; the download target is --save-to)`,
          { cause: error },
        );
      throw error;
    }
    if (targets.saveTo === '-') {
      io.stdout(file.body);
    } else {
      const target = await downloadPath(targets.saveTo, basename(file.key));
      await writeFile(target, file.body);
      io.stderr(
        `wrote ${target} (${file.body.length} bytes, ${month} version ${file.manifest.versionId}, sha256 verified against the manifest)\n`,
      );
    }
    return EXIT_OK;
  },
};

const deliver: CommandSpec = {
  name: 'deliver',
  summary:
    "Send each team lead of config delivery.teams links to the team's files of a published month (Slack, Teams).",
  usage:
    'deliver --month YYYY-MM [--version ID] [--dry-run] [--config FILE] [--out DIR|s3://bucket/prefix] [--language en|ko]',
  options: {
    month: { type: 'string', placeholder: 'YYYY-MM', description: 'billing month', required: true },
    version: {
      type: 'string',
      placeholder: 'ID',
      description: "a version of the month, by its manifest's versionId (16 hex digits)",
      default: 'the current version',
    },
    'dry-run': {
      type: 'boolean',
      description: 'print the messages that would be sent (links redacted) and send nothing',
    },
    config: commonOptions.config!,
    out: { ...commonOptions.out!, description: 'where reports are published (overrides output.location)' },
    language: { ...languageOption, description: 'language of the messages' },
    debug: commonOptions.debug!,
    quiet: commonOptions.quiet!,
    verbose: commonOptions.verbose!,
  },
  async run({ values }, io) {
    const month = requireMonth(values.month, '--month', io.nowMs());
    const config = await loadConfig(values.config as string | undefined, (raw) =>
      applyCommonOverrides(raw, { out: values.out, language: values.language }),
    );
    if (!config.delivery) {
      throw new InputError(
        'no delivery section in the config: configure delivery.teams (README, "Delivery")',
      );
    }
    const ctx = await buildPublishedContext(config, io, {
      quiet: Boolean(values.quiet),
      verbose: Boolean(values.verbose),
    });
    const dryRun = Boolean(values['dry-run']);
    const redactor = ctx.redactor ?? new Redactor();
    const work = () =>
      deliverMonth(ctx, ctx.delivery!, month, {
        versionId: values.version as string | undefined,
        dryRun,
      });
    const report = dryRun
      ? await work()
      : await runJob(ctx, 'deliver', work, (r, run) => [
          ...runMetrics(undefined, run),
          ...deliveryMetrics(r, run.job),
        ]);
    if (dryRun) {
      for (const r of report.results) {
        const head = `--- ${r.team} · ${r.channel} · ${r.target}: ${r.status}${r.reason ? ` (${r.reason})` : ''}`;
        // Presigned links carry a signature and, from temporary credentials, a session token: redacted.
        io.stderr(`${redactor.text(r.message ? `${head}\n${r.message.text}` : head)}\n`);
      }
    }
    io.stdout(
      `${JSON.stringify({
        month,
        versionId: report.versionId,
        dryRun,
        sent: report.sent,
        failed: report.failed,
        skipped: report.skipped,
        results: report.results.map(({ message: _m, ...r }) => r),
      })}\n`,
    );
    if (report.failed > 0) {
      io.stderr(
        `gpu-chargeback deliver: ${report.failed} of ${report.sent + report.failed} messages failed (see the log)\n`,
      );
      return EXIT_RUNTIME;
    }
    return EXIT_OK;
  },
};

/** All commands by name. */
export const commands: Record<string, CommandSpec> = {
  report,
  backfill: backfillCommand,
  demo,
  'validate-config': validateConfig,
  simulate,
  get,
  deliver,
};
