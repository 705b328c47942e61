/**
 * Secrets never reach logs or errors: URL credentials are refused, and one Redactor — given to the one
 * logger and the one error path of the CLI and of the Lambda handlers — redacts what the run knows is
 * secret (the bearer token, header values, secret environment variables) and whatever looks secret
 * (issue #13, item 13).
 */
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lambdaHandler } from '../../../functions/lib/lambdaHandler.ts';
import { dailyMeterHandler } from '../../../functions/lib/meterHandlers.ts';
import { createLambdaContext } from '../../../functions/lib/lambdaContext.ts';
import { createMemoryLogger } from '../../../src/adapters/log/logger.ts';
import { createPrometheusSource } from '../../../src/adapters/prometheus/index.ts';
import { buildContext } from '../../../src/cli/buildContext.ts';
import { runCli } from '../../../src/cli/main.ts';
import { parseConfig } from '../../../src/config/loadConfig.ts';
import { ConfigError, PrometheusQueryError } from '../../../src/errors.ts';
import type { ObservationSource } from '../../../src/ports.ts';
import { Redactor } from '../../../src/redact.ts';

const TOKEN = 'tok-3f9a0c77e1d24b6a9c55';
const HEADER_VALUE = 'hdr-71b2c9e04d8f4a13';
const OTHER_BEARER = 'Zm9vYmFyYmF6cXV4eHl6';
const SECRETS = [TOKEN, HEADER_VALUE, OTHER_BEARER, 'p4ss-w0rd-url'];

/** An error carrying secrets everywhere: in a URL, a header, its message and its cause. */
function leakyError(): Error {
  const cause = new Error(`upstream said: Authorization: Bearer ${OTHER_BEARER}; X-Api-Key: ${HEADER_VALUE}`);
  return new PrometheusQueryError(
    `query running failed: GET https://admin:p4ss-w0rd-url@prom.example/api/v1/query?token=${TOKEN} answered "invalid token ${TOKEN}"`,
    { query: 'running' },
    { cause },
  );
}

const config = {
  timezone: 'UTC',
  source: {
    url: 'https://prom.example:9090',
    auth: { kind: 'bearer', tokenEnv: 'PROM_BEARER' },
    headers: { 'X-Api-Key': HEADER_VALUE },
  },
  output: { location: 's3://finops-reports/gpu' },
};
const env = { PROM_BEARER: TOKEN };

function expectNoSecret(text: string): void {
  for (const secret of SECRETS) expect(text).not.toContain(secret);
}

describe('secrets', () => {
  it('refuses credentials in source.url without quoting them', () => {
    const parsed = parseConfig({ source: { url: 'https://admin:pa55w0rd-XYZ@prom.example:9090' } });
    let error: unknown;
    try {
      createPrometheusSource({ config: parsed, logger: createMemoryLogger() });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues).toEqual([{ path: 'source.url', message: 'contains credentials' }]);
    expect((error as Error).message).not.toMatch(/pa55w0rd|admin/);
  });

  it('redacts bearer tokens, SigV4 signatures, credentials and secret-named fields in log values', () => {
    expect(
      new Redactor().value({
        msg: 'Authorization: Bearer abc.def.ghi Signature=0123abcd Credential=AKIA/x X-Amz-Security-Token=tok&x=1',
        authorization: 'anything',
        nested: { clientSecret: 'shh' },
      }),
    ).toEqual({
      msg: 'Authorization: Bearer [REDACTED] Signature=[REDACTED] Credential=[REDACTED] X-Amz-Security-Token=[REDACTED]&x=1',
      authorization: '[REDACTED]',
      nested: { clientSecret: '[REDACTED]' },
    });
  });

  it('redacts known secret values wherever they appear, and credentials and tokens in URLs', () => {
    const redactor = new Redactor([TOKEN, `Bearer ${HEADER_VALUE}`]);
    expect(redactor.text(`echo ${TOKEN} and ${HEADER_VALUE} alone`)).toBe(
      'echo [REDACTED] and [REDACTED] alone',
    );
    expect(redactor.text('https://u:p4ss-w0rd-url@h/x?access_token=abc123&a=1')).toBe(
      'https://[REDACTED]@h/x?access_token=[REDACTED]&a=1',
    );
  });
});

describe('the one logger and the one error path, on the CLI', () => {
  it('never prints a secret in a log line: message, field, URL or error cause', async () => {
    let stderr = '';
    const io = {
      stdout: () => {},
      stderr: (t: string) => void (stderr += t),
      env,
      nowMs: () => 0,
      stderrIsTty: false,
    };
    const ctx = await buildContext(parseConfig(config), io);

    const error = leakyError();
    ctx.logger.warn(`retrying ${error.message}`, {
      error,
      url: `https://prom.example/?token=${TOKEN}`,
      header: HEADER_VALUE,
    });
    ctx.logger.error('failed', { cause: (error.cause as Error).message });

    expect(stderr.split('\n').filter(Boolean)).toHaveLength(2);
    expectNoSecret(stderr);
    expect(stderr).toContain('[REDACTED]');
  });

  it('never prints a secret in its last line, with or without --debug (the stack and the cause)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gcb-secrets-'));
    // A config file named after the token: the error that names the file must not print it.
    const missing = join(dir, `${TOKEN}.yaml`);
    for (const debug of [[], ['--debug']]) {
      let stderr = '';
      const code = await runCli(['validate-config', missing, ...debug], {
        stdout: () => {},
        stderr: (t) => void (stderr += t),
        env,
        nowMs: () => 0,
        stderrIsTty: false,
      });
      expect(code).toBe(2);
      expect(stderr).toMatch(/cannot read config file/);
      expectNoSecret(stderr);
    }
  });

  it('prints a validated config without the values of source.headers', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gcb-secrets-'));
    const file = join(dir, 'c.json');
    writeFileSync(file, JSON.stringify(config));
    let stdout = '';
    const code = await runCli(['validate-config', file], {
      stdout: (d) => void (stdout += String(d)),
      stderr: () => {},
      env: {},
      nowMs: () => 0,
      stderrIsTty: false,
    });
    expect(code).toBe(0);
    const printed = JSON.parse(stdout) as { config: { source: { headers: Record<string, string> } } };
    expect(printed.config.source.headers).toEqual({ 'X-Api-Key': '[REDACTED]' });
    expectNoSecret(stdout);
  });
});

describe('the one logger and the one error path, in the Lambdas', () => {
  // The run reads the day's stored partials before it meters (S3 cannot run here: an empty bucket).
  const emptyBucket = {
    send: async (command: unknown) => {
      if (command instanceof ListObjectsV2Command) return { Contents: [] };
      throw Object.assign(new Error('The specified key does not exist.'), { name: 'NoSuchKey' });
    },
  } as unknown as S3Client;

  const failingSource = (): ObservationSource => ({
    kind: 'prometheus',
    description: 'fails with secrets',
    detectScrapeInterval: async () => {
      throw leakyError();
    },
    observe: async () => {
      throw leakyError();
    },
  });

  it('logs no secret, and rethrows the error redacted (message, stack, cause) keeping its class', async () => {
    const lines: string[] = [];
    const ctx = createLambdaContext(
      {
        ...env,
        GPU_CHARGEBACK_CONFIG_JSON: JSON.stringify(config),
        LAMBDA_TASK_ROOT: '/var/task',
        AWS_REGION: 'us-east-1',
        AWS_SECRET_ACCESS_KEY: 'aws-secret-key-1234567890',
      },
      {
        createSource: failingSource,
        s3Client: emptyBucket,
        write: (l) => void lines.push(l),
        clock: { nowMs: () => Date.parse('2026-03-16T00:00:00Z') },
      },
    );

    const error = await dailyMeterHandler(ctx)({ date: '2026-03-15' }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(PrometheusQueryError);
    const thrown = error as Error;
    for (const text of [
      thrown.message,
      thrown.stack ?? '',
      (thrown.cause as Error).message,
      (thrown.cause as Error).stack ?? '',
    ]) {
      expectNoSecret(text);
    }
    expect(thrown.message).toContain('query running failed');
    expect(lines.length).toBeGreaterThan(0);
    expectNoSecret(lines.join(''));
    expect(lines.join('')).not.toContain('aws-secret-key-1234567890');
    expect(lines.some((l) => JSON.parse(l).level === 'error')).toBe(true);
  });

  it('redacts an error that is not an Error, and errors thrown before the context exists', async () => {
    const ctx = { redactor: new Redactor([TOKEN]) };
    const error = await lambdaHandler(ctx, async () => {
      throw `plain ${TOKEN}`;
    })(undefined).catch((e: unknown) => e);
    expect((error as Error).message).toBe('plain [REDACTED]');

    let coldStart: unknown;
    try {
      createLambdaContext(
        { ...env, GPU_CHARGEBACK_CONFIG_FILE: `/nowhere/${TOKEN}.json` },
        { createSource: failingSource },
      );
    } catch (e) {
      coldStart = e;
    }
    expect(coldStart).toBeInstanceOf(ConfigError);
    expectNoSecret(String((coldStart as Error).message) + String((coldStart as Error).stack));
  });
});
