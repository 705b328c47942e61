import { describe, expect, it } from 'vitest';
import { configFromEnv, createLambdaContext, parseLambdaEnv } from '../../../functions/lib/lambdaContext.ts';
import { ConfigError } from '../../../src/errors.ts';
import type { ObservationSource } from '../../../src/ports.ts';

const baseEnv = {
  OUTPUT_LOCATION: 's3://finops-reports/gpu',
  PROMETHEUS_URL: 'http://prometheus.monitoring:9090',
  AWS_REGION: 'ap-northeast-2',
  LAMBDA_TASK_ROOT: '/var/task',
};

describe('configFromEnv', () => {
  it('applies the deployment parameters on top of the config file', () => {
    const files: Record<string, string> = {
      '/var/task/config/gpu.json': JSON.stringify({
        timezone: 'UTC',
        report: { language: 'ko' },
        output: { lockStaleSeconds: 600 },
      }),
    };
    const config = configFromEnv(
      parseLambdaEnv({
        ...baseEnv,
        GPU_CHARGEBACK_CONFIG_FILE: 'config/gpu.json',
        BILLING_TIMEZONE: 'Asia/Seoul',
        OUTPUT_KMS_KEY_ID: 'arn:aws:kms:k',
      }),
      (path) => files[path] ?? '',
    );
    expect(config.timezone).toBe('Asia/Seoul');
    expect(config.report.language).toBe('ko');
    expect(config.output).toMatchObject({
      location: 's3://finops-reports/gpu',
      kmsKeyId: 'arn:aws:kms:k',
      lockStaleSeconds: 600,
    });
    expect(config.source.url).toBe('http://prometheus.monitoring:9090');
  });

  it('turns an AMP workspace id into its query URL with SigV4 auth', () => {
    const config = configFromEnv(
      parseLambdaEnv({ ...baseEnv, PROMETHEUS_URL: '', AMP_WORKSPACE_ID: 'ws-1234' }),
    );
    expect(config.source.url).toBe('https://aps-workspaces.ap-northeast-2.amazonaws.com/workspaces/ws-1234');
    expect(config.source.auth).toEqual({ kind: 'sigv4', region: 'ap-northeast-2', service: 'aps' });
  });

  it("plans shards for the metering Lambdas' memory (METERING_MEMORY_MB) over the config file's budget", () => {
    const files = {
      '/var/task/c.json': JSON.stringify({ sharding: { memoryBudgetMb: 1024, shards: 'auto' } }),
    };
    const read = (path: string) => files[path as keyof typeof files] ?? '';
    const env = { ...baseEnv, GPU_CHARGEBACK_CONFIG_FILE: 'c.json' };
    expect(configFromEnv(parseLambdaEnv(env), read).sharding).toEqual({
      memoryBudgetMb: 1024,
      shards: 'auto',
    });
    expect(configFromEnv(parseLambdaEnv({ ...env, METERING_MEMORY_MB: '3008' }), read).sharding).toEqual({
      memoryBudgetMb: 3008,
      shards: 'auto',
    });
    expect(() => parseLambdaEnv({ ...env, METERING_MEMORY_MB: '3 GB' })).toThrow(/METERING_MEMORY_MB/);
  });

  it('treats empty parameters as unset', () => {
    const config = configFromEnv(parseLambdaEnv({ ...baseEnv, OUTPUT_KMS_KEY_ID: '', BILLING_TIMEZONE: '' }));
    expect(config.output.kmsKeyId).toBeUndefined();
    expect(config.timezone).toBe('UTC');
  });

  it('requires an S3 output location and a Prometheus source', () => {
    expect(() => configFromEnv(parseLambdaEnv({ ...baseEnv, OUTPUT_LOCATION: './reports' }))).toThrow(
      'output.location must be s3://bucket/prefix in Lambda',
    );
    expect(() => configFromEnv(parseLambdaEnv({ ...baseEnv, PROMETHEUS_URL: '' }))).toThrow(
      'Lambda needs a Prometheus source',
    );
  });

  it('names a config file that cannot be read', () => {
    expect(() =>
      configFromEnv(parseLambdaEnv({ ...baseEnv, GPU_CHARGEBACK_CONFIG_FILE: 'missing.json' }), () => {
        throw new Error('ENOENT');
      }),
    ).toThrow('cannot read GPU_CHARGEBACK_CONFIG_FILE /var/task/missing.json');
  });

  it('reports invalid config values with their path', () => {
    expect(() => configFromEnv(parseLambdaEnv({ ...baseEnv, BILLING_TIMEZONE: 'Mars/Base' }))).toThrow(
      /timezone: must be an IANA time zone/,
    );
  });
});

describe('parseLambdaEnv', () => {
  it('rejects a bad CLOUDWATCH_ENABLED value', () => {
    expect(() => parseLambdaEnv({ ...baseEnv, CLOUDWATCH_ENABLED: 'yes' })).toThrow(ConfigError);
  });
});

describe('createLambdaContext', () => {
  it('wires an S3 store, the source with the packaged queries directory, and CloudWatch when enabled', async () => {
    let queriesDir = '';
    const source = { kind: 'prometheus', description: 'fake' } as ObservationSource;
    const sent: unknown[] = [];
    const ctx = createLambdaContext(
      { ...baseEnv, CLOUDWATCH_ENABLED: 'true', CLOUDWATCH_NAMESPACE: 'Finops/Gpu' },
      {
        createSource: (args) => {
          queriesDir = args.queriesDir;
          return source;
        },
        cloudWatchClient: { send: async (command: unknown) => void sent.push(command) } as never,
      },
    );
    expect(ctx.store.location).toBe('s3://finops-reports/gpu');
    expect(ctx.source).toBe(source);
    expect(queriesDir).toBe('/var/task/queries');
    await ctx.metrics.publish([{ name: 'RunSuccess', value: 1, unit: 'Count' }]);
    expect(sent).toHaveLength(1);
    expect((sent[0] as { input: { Namespace: string } }).input.Namespace).toBe('Finops/Gpu');
    // No PDF worker given: the month's PDFs are drawn in the handler's thread.
    expect(ctx.pdfs).toBeUndefined();
    // Outside Lambda no memory size is set: days are metered at once within sharding.memoryBudgetMb.
    expect(ctx.memoryMb).toBeUndefined();
  });

  it("bounds the days metered at once by the function's own memory, which Lambda sets", () => {
    const deps = { createSource: () => ({ kind: 'prometheus', description: 'fake' }) as ObservationSource };
    const ctx = createLambdaContext({ ...baseEnv, AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '4096' }, deps);
    expect(ctx.memoryMb).toBe(4096);
    expect(() => createLambdaContext({ ...baseEnv, AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '4 GB' }, deps)).toThrow(
      /AWS_LAMBDA_FUNCTION_MEMORY_SIZE: must be a whole number of MB/,
    );
  });

  it('opens PDF sessions on the worker thread module it is given (the package ships one where PDFs are drawn)', async () => {
    const deps = { createSource: () => ({ kind: 'prometheus', description: 'fake' }) as ObservationSource };
    const ctx = createLambdaContext(baseEnv, { ...deps, pdfWorkerFile: '/var/task/no-such-worker.mjs' });
    const session = ctx.pdfs!();
    // The worker starts with the first month: a module that is not there fails that month, by its path.
    await expect(session.render({} as never)).rejects.toThrow('no-such-worker.mjs');
    await session.close();
  });
});
