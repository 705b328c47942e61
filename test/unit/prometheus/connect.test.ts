import { describe, expect, it } from 'vitest';
import { connectPrometheus } from '../../../src/adapters/prometheus/index.ts';
import { parseConfig } from '../../../src/config/loadConfig.ts';
import { ConfigError } from '../../../src/errors.ts';
import { fakeFetch, ok, recordingLogger } from './fakes.ts';

describe('connectPrometheus', () => {
  it('sends the tenant and custom headers with every query', async () => {
    const { source } = parseConfig({
      source: {
        url: 'http://prom.local/prefix',
        headers: { 'X-Custom': 'yes' },
        tenant: { header: 'THANOS-TENANT', value: 'team-a' },
      },
    });
    const { fetch, calls } = fakeFetch(() => ok([], 'vector'));
    const client = connectPrometheus({ source, logger: recordingLogger(), fetch });
    await client.queryInstant('up', 'up', 1_000_000);
    expect(calls[0]!.url).toBe('http://prom.local/prefix/api/v1/query');
    expect(calls[0]!.headers).toMatchObject({ 'X-Custom': 'yes', 'THANOS-TENANT': 'team-a' });
  });

  it('asks for uncompressed answers with source.compression "none" (the default), and lets fetch ask for gzip with "gzip"', async () => {
    const asked = async (compression?: 'gzip' | 'none') => {
      const { source } = parseConfig({
        source: { url: 'http://prom.local', ...(compression ? { compression } : {}) },
      });
      const { fetch, calls } = fakeFetch(() => ok([], 'vector'));
      await connectPrometheus({ source, logger: recordingLogger(), fetch }).queryInstant(
        'up',
        'up',
        1_000_000,
      );
      return calls[0]!.headers['accept-encoding'];
    };
    expect(await asked('none')).toBe('identity');
    expect(await asked('gzip')).toBeUndefined();
    // The default: uncompressed (gzip costs Prometheus two thirds of its CPU for raw answers).
    expect(await asked()).toBe('identity');
  });

  describe('edge cases', () => {
    it('refuses a source without a url, naming the setting', () => {
      const { source } = parseConfig({});
      const error = (() => {
        try {
          connectPrometheus({ source, logger: recordingLogger() });
        } catch (e) {
          return e;
        }
      })();
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).issues).toEqual([{ path: 'source.url', message: 'required' }]);
    });

    it('refuses an unreadable CA file, naming the setting', () => {
      const { source } = parseConfig({
        source: { url: 'https://prom.local', caFile: '/nonexistent/ca.pem' },
      });
      expect(() => connectPrometheus({ source, logger: recordingLogger() })).toThrow(
        /cannot read source\.caFile \/nonexistent\/ca\.pem/,
      );
    });
  });
});
