import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { S3Client } from '@aws-sdk/client-s3';
import { z } from 'zod';
import { createCloudWatchSink } from '../../src/adapters/cloudwatch/cloudWatchSink.ts';
import { createBillingExportSource } from '../../src/adapters/billing/exportSource.ts';
import { createWebhookSender } from '../../src/adapters/delivery/webhookSender.ts';
import { createLogger } from '../../src/adapters/log/logger.ts';
import { configSecrets, environmentSecrets } from '../../src/adapters/log/secrets.ts';
import { openOutputStore } from '../../src/adapters/s3/openOutputStore.ts';
import { formatConfigIssues, parseConfig, parseConfigText } from '../../src/config/loadConfig.ts';
import type { Config, ConfigInput } from '../../src/config/schema.ts';
import { ConfigError } from '../../src/errors.ts';
import { workerPdfSessions } from '../../src/render/pdf/workerPdfs.ts';
import { Redactor } from '../../src/redact.ts';
import type { Clock, Logger, MessageSender, MetricsSink, ObservationSource } from '../../src/ports.ts';
import type { AppContext } from '../../src/app/context.ts';

/**
 * The Lambda side of wiring: environment variables (set by serverless.yml) -> validated Config -> AppContext.
 * Runs once per Lambda container, at module scope of the handler; nothing here reads the event.
 */

const optional = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

/** The environment a handler reads; empty strings (unset serverless params) count as absent. */
export const lambdaEnvSchema = z.object({
  /** Config file (JSON or YAML), relative to the package root (LAMBDA_TASK_ROOT) or absolute. */
  GPU_CHARGEBACK_CONFIG_FILE: optional,
  /** Inline JSON config, e.g. resolved from SSM at deploy time (`${ssm:/gpu-chargeback/config}`). */
  GPU_CHARGEBACK_CONFIG_JSON: optional,
  /** s3://bucket/prefix; overrides output.location. */
  OUTPUT_LOCATION: optional,
  OUTPUT_KMS_KEY_ID: optional,
  PROMETHEUS_URL: optional,
  /** Amazon Managed Prometheus workspace id; sets source.url and SigV4 auth (overrides PROMETHEUS_URL). */
  AMP_WORKSPACE_ID: optional,
  BILLING_TIMEZONE: optional,
  CLOUDWATCH_NAMESPACE: optional,
  /** "true" or "false"; overrides cloudwatch.enabled. */
  CLOUDWATCH_ENABLED: optional.pipe(z.enum(['true', 'false']).optional()),
  /** Memory (MB) of the metering Lambdas; overrides sharding.memoryBudgetMb (the shard plan fits it). */
  METERING_MEMORY_MB: optional.pipe(z.string().regex(/^\d+$/, 'must be a whole number of MB').optional()),
  AWS_REGION: optional,
  LAMBDA_TASK_ROOT: optional,
  /**
   * Set by Lambda: this function's memory (MB). A run that meters several days at once (the monthly
   * report's days without a partial) keeps their shards' estimated memory within it (AppContext.memoryMb).
   */
  AWS_LAMBDA_FUNCTION_MEMORY_SIZE: optional.pipe(
    z.string().regex(/^\d+$/, 'must be a whole number of MB').optional(),
  ),
});

export type LambdaEnv = z.infer<typeof lambdaEnvSchema>;

/** Parses the environment; ConfigError naming every bad variable. */
export function parseLambdaEnv(env: Record<string, string | undefined>): LambdaEnv {
  const result = lambdaEnvSchema.safeParse(env);
  if (!result.success) {
    const issues = formatConfigIssues(result.error.issues);
    throw new ConfigError(
      `Lambda environment is invalid: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
      issues,
    );
  }
  return result.data;
}

/** Reads the config named by the environment and applies the deployment's overrides (bucket, URL, zone). */
export function configFromEnv(
  env: LambdaEnv,
  readText: (path: string) => string = (p) => readFileSync(p, 'utf8'),
): Config {
  let raw: ConfigInput = {};
  let origin = 'Lambda config';
  if (env.GPU_CHARGEBACK_CONFIG_JSON) {
    raw = parseConfigText(env.GPU_CHARGEBACK_CONFIG_JSON, 'GPU_CHARGEBACK_CONFIG_JSON.json') as ConfigInput;
    origin = 'GPU_CHARGEBACK_CONFIG_JSON';
  } else if (env.GPU_CHARGEBACK_CONFIG_FILE) {
    const file = env.GPU_CHARGEBACK_CONFIG_FILE;
    const path = isAbsolute(file) ? file : join(env.LAMBDA_TASK_ROOT ?? process.cwd(), file);
    let text: string;
    try {
      text = readText(path);
    } catch (error) {
      throw new ConfigError(
        `cannot read GPU_CHARGEBACK_CONFIG_FILE ${path}: ${(error as Error).message}`,
        [],
        { cause: error },
      );
    }
    raw = parseConfigText(text, file) as ConfigInput;
    origin = file;
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigError(`${origin}: the top level must be a mapping of settings`);
  }
  const source = { ...(raw.source ?? {}) };
  if (env.PROMETHEUS_URL) Object.assign(source, { kind: 'prometheus', url: env.PROMETHEUS_URL });
  if (env.AMP_WORKSPACE_ID) {
    if (!env.AWS_REGION) throw new ConfigError('AMP_WORKSPACE_ID is set but AWS_REGION is not');
    Object.assign(source, {
      kind: 'prometheus',
      url: `https://aps-workspaces.${env.AWS_REGION}.amazonaws.com/workspaces/${env.AMP_WORKSPACE_ID}`,
      auth: { kind: 'sigv4', region: env.AWS_REGION, service: 'aps' },
    });
  }
  const merged: ConfigInput = {
    ...raw,
    ...(env.BILLING_TIMEZONE ? { timezone: env.BILLING_TIMEZONE } : {}),
    source,
    output: {
      ...(raw.output ?? {}),
      ...(env.OUTPUT_LOCATION ? { location: env.OUTPUT_LOCATION } : {}),
      ...(env.OUTPUT_KMS_KEY_ID ? { kmsKeyId: env.OUTPUT_KMS_KEY_ID } : {}),
    },
    ...(env.METERING_MEMORY_MB
      ? { sharding: { ...(raw.sharding ?? {}), memoryBudgetMb: Number(env.METERING_MEMORY_MB) } }
      : {}),
    cloudwatch: {
      ...(raw.cloudwatch ?? {}),
      ...(env.CLOUDWATCH_NAMESPACE ? { namespace: env.CLOUDWATCH_NAMESPACE } : {}),
      ...(env.CLOUDWATCH_ENABLED ? { enabled: env.CLOUDWATCH_ENABLED === 'true' } : {}),
    },
  };
  const config = parseConfig(merged, origin);
  if (!config.output.location.startsWith('s3://')) {
    throw new ConfigError(
      `output.location must be s3://bucket/prefix in Lambda (got ${config.output.location}); set OUTPUT_LOCATION`,
    );
  }
  if (config.source.kind !== 'prometheus' || !config.source.url) {
    throw new ConfigError(
      'Lambda needs a Prometheus source: set source.url, PROMETHEUS_URL or AMP_WORKSPACE_ID',
    );
  }
  return config;
}

/**
 * Builds the source from validated config (the Prometheus adapter in production, a fake in tests).
 * `queriesDir` is the packaged queries/ directory: inside a bundle, paths relative to the module are wrong.
 */
export type SourceFactory = (args: {
  config: Config;
  logger: Logger;
  env: Record<string, string | undefined>;
  queriesDir: string;
}) => ObservationSource;

export interface LambdaContextDeps {
  createSource: SourceFactory;
  s3Client?: S3Client;
  cloudWatchClient?: Pick<CloudWatchClient, 'send'>;
  logger?: Logger;
  /** Where the logger writes its JSON lines (default: stderr), when no `logger` is given. */
  write?: (line: string) => void;
  clock?: Clock;
  readText?: (path: string) => string;
  /** Sends team-lead messages (default: the Slack/Teams webhook sender, global fetch). */
  sender?: MessageSender;
  /**
   * The PDF worker thread's module ({@link lambdaPdfWorkerFile}); without one, a month's PDFs are drawn
   * in the handler's thread. The same bytes either way.
   */
  pdfWorkerFile?: string;
}

/** Where serverless.yml puts the PDF worker in the packages of the functions that render PDFs. */
export const LAMBDA_PDF_WORKER = 'dist/lambda/pdfWorker.mjs';

/**
 * The packaged PDF worker of this function (LAMBDA_TASK_ROOT/dist/lambda/pdfWorker.mjs), when its package
 * has one: only the functions that render PDFs ship it, and outside Lambda (no LAMBDA_TASK_ROOT) there is
 * none. With it, the monthly report draws the month's PDFs on another vCPU (a function of 4,096 MB has
 * ≈ 2.3) while it writes the CSVs, as the built CLI does.
 */
export function lambdaPdfWorkerFile(env: Record<string, string | undefined>): string | undefined {
  const root = env.LAMBDA_TASK_ROOT;
  if (!root) return undefined;
  const file = join(root, LAMBDA_PDF_WORKER);
  return existsSync(file) ? file : undefined;
}

/**
 * The AppContext of a Lambda container: config from the environment, SDK clients built once, and the one
 * logger of the product (src/adapters/log/logger.ts: JSON lines on stderr, which CloudWatch Logs parses)
 * with a Redactor that knows the environment's and the config's secrets (the bearer token, header values).
 * Handlers rethrow errors through {@link lambdaHandler}, so the error the runtime prints is redacted too.
 */
export function createLambdaContext(
  env: Record<string, string | undefined>,
  deps: LambdaContextDeps,
): AppContext & { redactor: Redactor } {
  const redactor = new Redactor(environmentSecrets(env));
  let parsedEnv: LambdaEnv;
  let config: Config;
  try {
    parsedEnv = parseLambdaEnv(env);
    config = configFromEnv(parsedEnv, deps.readText);
  } catch (error) {
    // A cold-start failure is printed by the runtime too.
    throw redactor.redactError(error);
  }
  redactor.add(...configSecrets(config, env, deps.readText));
  const logger =
    deps.logger ?? createLogger({ format: 'json', redactor, ...(deps.write ? { write: deps.write } : {}) });
  const store = openOutputStore(config.output, deps.s3Client ? { s3Client: deps.s3Client } : {});
  const metrics: MetricsSink = config.cloudwatch.enabled
    ? createCloudWatchSink({
        namespace: config.cloudwatch.namespace,
        client: deps.cloudWatchClient ?? new CloudWatchClient({}),
        logger,
      })
    : { publish: async () => {} };
  return {
    config,
    source: deps.createSource({
      config,
      logger,
      env,
      queriesDir: join(parsedEnv.LAMBDA_TASK_ROOT ?? process.cwd(), 'queries'),
    }),
    store,
    metrics,
    logger,
    clock: deps.clock ?? { nowMs: () => Date.now() },
    ...(config.billing ? { billing: createBillingExportSource(config.billing) } : {}),
    redactor,
    // Webhook URLs come from the function's environment (set from Secrets Manager or SSM at deploy time).
    ...(config.delivery ? { delivery: { sender: deps.sender ?? createWebhookSender(), env } } : {}),
    ...(deps.pdfWorkerFile ? { pdfs: workerPdfSessions(deps.pdfWorkerFile) } : {}),
    ...(parsedEnv.AWS_LAMBDA_FUNCTION_MEMORY_SIZE
      ? { memoryMb: Number(parsedEnv.AWS_LAMBDA_FUNCTION_MEMORY_SIZE) }
      : {}),
  };
}
