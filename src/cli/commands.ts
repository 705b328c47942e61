import { writeFile } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { DateTime } from 'luxon';
import { backfill, planBackfill } from '../app/backfill.ts';
import { demoConfig } from '../app/demoConfig.ts';
import { getPublished, presignedLink } from '../app/getPublished.ts';
import { runJob } from '../app/runJob.ts';
import { runMetrics } from '../app/runMetrics.ts';
import { runMonthlyReport } from '../app/runMonthlyReport.ts';
import { runSimulate } from '../app/simulate.ts';
import { SIMULATION_PRESETS, type SimulationPreset } from '../sim/index.ts';
import { loadConfig, parseConfig, parseConfigText } from '../config/loadConfig.ts';
import { type ConfigInput, printableConfig } from '../config/schema.ts';
import { billingPeriod, isMonth, isoInZone } from '../core/period.ts';
import { InputError } from '../errors.ts';
import { Redactor } from '../redact.ts';
import { buildContext, buildStore } from './buildContext.ts';
import { assertPlausibleMonth } from '../app/guard.ts';
import {
  applyCommonOverrides,
  type CommandSpec,
  commonOptions,
  EXIT_OK,
  guardOptions,
  guardOverrideOf,
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

const report: CommandSpec = {
  name: 'report',
  summary: 'Meter, price and publish one closed billing month (reuses stored daily partials).',
  usage:
    'report --month YYYY-MM [--config FILE] [--prometheus-url URL] [--out DIR|s3://bucket/prefix] [--timezone Area/City] [--force --reason TEXT]',
  options: {
    month: {
      type: 'string',
      placeholder: 'YYYY-MM',
      description: 'billing month in the configured time zone (required)',
    },
    ...commonOptions,
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
    // An open month is bad input: say so before anything is wired or contacted.
    const period = billingPeriod(month, config.timezone);
    if (period.endMs > io.nowMs()) {
      throw new InputError(
        `month ${month} has not ended yet in ${config.timezone} (it ends ${isoInZone(period.endMs, config.timezone)}); report closed months only`,
      );
    }
    const ctx = await buildContext(config, io, { quiet: Boolean(values.quiet) });
    const result = await runJob(
      ctx,
      'monthly-report',
      () => runMonthlyReport(ctx, month, { remeter: Boolean(values.remeter), ...override }),
      (r, run) => runMetrics(r?.summary, run),
    );
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
        keys: result.keys,
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
      description: 'first day or month, inclusive (required)',
    },
    to: {
      type: 'string',
      placeholder: 'YYYY-MM[-DD]',
      description: 'last day or month, inclusive (required)',
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
    const ctx = await buildContext(config, io, { quiet: Boolean(values.quiet) });
    const result = await backfill(ctx, values.from, values.to, override);
    io.stdout(`${JSON.stringify({ location: ctx.store.location, ...result })}\n`);
    return EXIT_OK;
  },
};

const demo: CommandSpec = {
  name: 'demo',
  summary: 'Run the whole pipeline on the built-in, seeded synthetic demo cluster (no server, no AWS).',
  usage:
    'demo [--month YYYY-MM] [--out DIR] [--seed N] [--language en|ko] [--no-billing] [--config FILE] [--force --reason TEXT]',
  options: {
    month: {
      type: 'string',
      placeholder: 'YYYY-MM',
      description: 'month to simulate (default: the previous month)',
    },
    seed: { type: 'string', placeholder: 'N', description: 'seed of the synthetic cluster (default 42)' },
    language: { type: 'string', placeholder: 'en|ko', description: 'language of the executive PDF' },
    'no-billing': {
      type: 'boolean',
      description: 'without the synthetic invoice export: prices from the catalog alone, no reconciliation.csv',
    },
    ...commonOptions,
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
    if (typeof values.language === 'string') {
      if (values.language !== 'en' && values.language !== 'ko')
        throw new InputError('--language must be en or ko');
      raw = mergeConfig(raw, { report: { language: values.language } });
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
      demo: { month, seed, billing: demoBilling },
    });
    const result = await runMonthlyReport(ctx, month, { remeter: true, ...override });
    io.stderr(
      `demo: wrote ${result.keys.length} files for ${month} (${config.timezone}) to ${ctx.store.location}/${month}/ — total ${result.summary.totals.cost} ${result.summary.currency.code} (DEMO DATA)\n`,
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
    month: { type: 'string', placeholder: 'YYYY-MM', description: 'month to simulate (required)' },
    out: { type: 'string', placeholder: 'DIR', description: 'output directory (required)' },
    preset: {
      type: 'string',
      placeholder: 'NAME',
      description: 'scenario: demo (default), edge-cases or real-shapes (the GPU shapes of issue #14)',
    },
    seed: { type: 'string', placeholder: 'N', description: 'seed (default 42)' },
    timezone: commonOptions.timezone!,
    'ksm-interval': {
      type: 'string',
      placeholder: 'SECONDS',
      description: 'kube-state-metrics scrape interval (default 60)',
    },
    'dcgm-interval': {
      type: 'string',
      placeholder: 'SECONDS',
      description: 'dcgm-exporter scrape interval (default 30)',
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
    io.stdout(`${JSON.stringify(written)}\n`);
    return EXIT_OK;
  },
};

const get: CommandSpec = {
  name: 'get',
  summary: 'Download a published file (verified against the month manifest) or print a time-limited link.',
  usage: 'get --month YYYY-MM [--team T] [--what pdf|csv|summary] [--link] [--out FILE|-] [--config FILE]',
  options: {
    month: { type: 'string', placeholder: 'YYYY-MM', description: 'billing month (required)' },
    team: {
      type: 'string',
      placeholder: 'TEAM',
      description: "a team's CSV instead of the whole chargeback.csv",
    },
    what: {
      type: 'string',
      placeholder: 'pdf|csv|summary',
      description: 'which file (default pdf, or csv with --team)',
    },
    link: { type: 'boolean', description: 'print a presigned URL (S3 only) instead of downloading' },
    'expires-in': {
      type: 'string',
      placeholder: 'SECONDS',
      description: 'lifetime of --link (default 3600)',
    },
    config: commonOptions.config!,
    out: {
      type: 'string',
      placeholder: 'FILE|-',
      description: 'where to write (default: the file name in the current directory; - for stdout)',
    },
    from: {
      type: 'string',
      placeholder: 'DIR|s3://bucket/prefix',
      description: 'where outputs were published (overrides output.location)',
    },
    debug: commonOptions.debug!,
  },
  async run({ values }, io) {
    const month = requireMonth(values.month, '--month', io.nowMs());
    const what = (values.what as string | undefined) ?? (values.team ? 'csv' : 'pdf');
    if (what !== 'pdf' && what !== 'csv' && what !== 'summary')
      throw new InputError('--what must be pdf, csv or summary');
    const config = await loadConfig(values.config as string | undefined, (raw) =>
      typeof values.from === 'string'
        ? { ...raw, output: { ...(raw.output ?? {}), location: values.from } }
        : raw,
    );
    const store = await buildStore(config);
    const request = { month, what, team: values.team as string | undefined } as const;
    if (values.link) {
      const expires = values['expires-in'] === undefined ? 3600 : Number(values['expires-in']);
      if (!Number.isInteger(expires) || expires <= 0 || expires > 604_800)
        throw new InputError('--expires-in must be 1..604800 seconds');
      io.stdout(`${await presignedLink(store, request, expires)}\n`);
      return EXIT_OK;
    }
    const file = await getPublished(store, request);
    if (values.out === '-') {
      io.stdout(file.body);
    } else {
      const target = resolve((values.out as string | undefined) ?? basename(file.key));
      await writeFile(target, file.body);
      io.stderr(`wrote ${target} (${file.body.length} bytes, sha256 verified against the manifest)\n`);
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
};
