/** Secrets never reach logs or errors: URL credentials are refused, and the logger redacts what looks secret. */
import { describe, expect, it } from 'vitest';
import { createPrometheusSource } from '../../../src/adapters/prometheus/index.ts';
import { createMemoryLogger, redact } from '../../../src/cli/logger.ts';
import { parseConfig } from '../../../src/config/loadConfig.ts';
import { ConfigError } from '../../../src/errors.ts';

describe('secrets', () => {
  it('refuses credentials in source.url without quoting them', () => {
    const config = parseConfig({ source: { url: 'https://admin:pa55w0rd-XYZ@prom.example:9090' } });
    let error: unknown;
    try {
      createPrometheusSource({ config, logger: createMemoryLogger() });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues).toEqual([{ path: 'source.url', message: 'contains credentials' }]);
    expect((error as Error).message).not.toMatch(/pa55w0rd|admin/);
  });

  it('redacts bearer tokens, SigV4 signatures, credentials and secret-named fields in log lines', () => {
    expect(
      redact({
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
});
