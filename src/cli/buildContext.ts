import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { AppContext, DeliveryWiring } from '../app/context.ts';
import { parseOutputLocation } from '../config/outputLocation.ts';
import type { Config } from '../config/schema.ts';
import { InputError } from '../errors.ts';
import type { BillingExportSource, BlobStore, MetricsSink, ObservationSource } from '../ports.ts';
import { createLogger } from '../adapters/log/logger.ts';
import { configSecrets } from '../adapters/log/secrets.ts';
import { Redactor } from '../redact.ts';
import type { MonthPdfSession } from '../render/pdf/monthPdfs.ts';
import type { CliIo } from './options.ts';

/** Opens the configured output location: a local directory or s3://bucket/prefix. */
export async function buildStore(config: Config): Promise<BlobStore> {
  // A directory needs neither the AWS SDK nor its start-up time (the CLI loads what it imports lazily).
  const location = parseOutputLocation(config.output.location);
  if (location.kind === 'fs') {
    const { createFsStore } = await import('../adapters/fs/fsStore.ts');
    return createFsStore(location.dir);
  }
  const { openOutputStore } = await import('../adapters/s3/openOutputStore.ts');
  return openOutputStore(config.output);
}

async function buildMetrics(config: Config): Promise<MetricsSink> {
  if (!config.cloudwatch.enabled) return { publish: async () => {} };
  const { CloudWatchClient } = await import('@aws-sdk/client-cloudwatch');
  const { createCloudWatchSink } = await import('../adapters/cloudwatch/cloudWatchSink.ts');
  return createCloudWatchSink({ namespace: config.cloudwatch.namespace, client: new CloudWatchClient({}) });
}

/**
 * The cost export of config `billing`. The demo's synthetic export (`location: "demo"`) is written by
 * the simulator for the demo cluster into a temporary folder and read back like any export.
 */
async function buildBilling(
  config: Config,
  billing: NonNullable<Config['billing']>,
  demo: DemoOptions | undefined,
): Promise<BillingExportSource> {
  const { createBillingExportSource } = await import('../adapters/billing/exportSource.ts');
  if (!demo?.billing) return createBillingExportSource(billing);
  const { demoExportFiles } = await import('../app/demoExport.ts');
  return createBillingExportSource(billing, {
    files: demoExportFiles(config, demo.month, demo.seed),
    description: 'demo: synthetic FOCUS 1.2 export of the demo cluster, not a real invoice',
  });
}

/** The demo's month and seed, and whether it ships its synthetic invoice export. */
export interface DemoOptions {
  month: string;
  seed: number;
  billing?: boolean;
}

/** How a command logs: `--quiet`, `--verbose`. */
export interface LogOptions {
  quiet?: boolean;
  verbose?: boolean;
}

/**
 * The context of a command that reads only published months (`deliver`): config, store, metrics, the one
 * logger with the run's redactor, the clock and the delivery wiring; no metrics source.
 */
export async function buildPublishedContext(
  config: Config,
  io: CliIo,
  options: LogOptions & { demo?: DemoOptions } = {},
): Promise<Omit<AppContext, 'source'>> {
  const redactor = (io.redactor ?? new Redactor()).add(...configSecrets(config, io.env));
  const logger = createLogger({
    // --verbose: the JSON lines a pipe gets, also on a terminal.
    format: io.stderrIsTty && !options.verbose ? 'tty' : 'json',
    ...(io.stderrColumns ? { columns: io.stderrColumns } : {}),
    write: io.stderr,
    redactor,
    ...(options.quiet ? { quiet: true } : {}),
  });
  const pdfs = await buildPdfSessions();
  return {
    config,
    store: await buildStore(config),
    metrics: await buildMetrics(config),
    logger,
    clock: { nowMs: io.nowMs },
    redactor,
    // The demo never sends anything: its months are synthetic.
    ...(config.delivery && !options.demo ? { delivery: await buildDelivery(io) } : {}),
    ...(pdfs ? { pdfs } : {}),
  };
}

/**
 * The built CLI renders a month's PDFs in a worker thread (dist/pdfWorker.mjs, next to the module this
 * code was bundled into, or one folder up from a chunk). Run from the TypeScript sources there is no
 * such file, and the PDFs are rendered in the calling thread: the same bytes either way.
 */
async function buildPdfSessions(): Promise<(() => MonthPdfSession) | undefined> {
  const here = import.meta.url;
  if (!here.endsWith('.mjs')) return undefined;
  for (const candidate of ['./pdfWorker.mjs', '../pdfWorker.mjs']) {
    const file = fileURLToPath(new URL(candidate, here));
    if (existsSync(file)) {
      const { workerPdfSessions } = await import('../render/pdf/workerPdfs.ts');
      return workerPdfSessions(file);
    }
  }
  return undefined;
}

/** Wires adapters for the CLI. `demo` selects the embedded synthetic cluster instead of Prometheus. */
export async function buildContext(
  config: Config,
  io: CliIo,
  options: LogOptions & { demo?: DemoOptions } = {},
): Promise<AppContext> {
  const base = await buildPublishedContext(config, io, options);
  let source: ObservationSource;
  if (options.demo || config.source.kind === 'demo') {
    const demo = options.demo;
    if (!demo) throw new InputError('source.kind "demo" is only available through `gpu-chargeback demo`');
    const { simulate } = await import('../sim/index.ts');
    const { createDemoSource } = await import('../adapters/demo/demoSource.ts');
    const sim = simulate({ preset: 'demo', month: demo.month, zone: config.timezone, seed: demo.seed });
    source = createDemoSource(sim);
  } else {
    if (!config.source.url) {
      throw new InputError('no Prometheus URL: set source.url in the config or pass --prometheus-url');
    }
    const { createPrometheusSource } = await import('../adapters/prometheus/index.ts');
    source = createPrometheusSource({ config, logger: base.logger, env: io.env });
  }
  return {
    ...base,
    source,
    ...(config.billing ? { billing: await buildBilling(config, config.billing, options.demo) } : {}),
  };
}

/** The sender of team-lead messages (Slack and Teams webhooks) and the environment naming their URLs. */
async function buildDelivery(io: CliIo): Promise<DeliveryWiring> {
  const { createWebhookSender } = await import('../adapters/delivery/webhookSender.ts');
  return { sender: createWebhookSender(), env: io.env };
}
