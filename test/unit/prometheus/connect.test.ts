import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
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

  describe('over plain http', () => {
    let server: Server | undefined;
    afterEach(async () => {
      vi.unstubAllGlobals();
      await new Promise((done) => server?.close(done));
      server = undefined;
    });
    /** A server answering every query with one vector sample, after `delayMs`; its URL. */
    const serve = async (delayMs = 0) => {
      server = createServer((request, response) => {
        request.resume();
        setTimeout(() => {
          response.setHeader('content-type', 'application/json');
          response.end(
            '{"status":"success","data":{"resultType":"vector","result":[{"metric":{"job":"a"},"value":[1000,"2"]}]}}',
          );
        }, delayMs);
      });
      await new Promise<void>((done) => server!.listen(0, '127.0.0.1', done));
      return `http://127.0.0.1:${(server!.address() as AddressInfo).port}`;
    };

    it("reads uncompressed answers over node:http, not fetch's web streams; gzip still through fetch", async () => {
      const url = await serve();
      const globalFetch = vi.fn(() => Promise.reject(new Error('global fetch used')));
      vi.stubGlobal('fetch', globalFetch);
      const { source } = parseConfig({ source: { url } });
      const series = await connectPrometheus({ source, logger: recordingLogger() }).queryInstant(
        'up',
        'up',
        1_000_000,
      );
      expect(series.map((s) => [s.metric, s.points.toJSON()])).toEqual([[{ job: 'a' }, [[1_000_000, 2]]]]);
      expect(globalFetch).not.toHaveBeenCalled();
      const gzip = parseConfig({ source: { url, compression: 'gzip', maxRetries: 0 } }).source;
      await expect(
        connectPrometheus({ source: gzip, logger: recordingLogger() }).queryInstant('up', 'up', 1_000_000),
      ).rejects.toThrow();
      expect(globalFetch).toHaveBeenCalledTimes(1);
    });

    it('fails an answer cut short as fetch does ("terminated"), and a refused connection ("fetch failed")', async () => {
      server = createServer((request, response) => {
        request.resume();
        response.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
        response.write('{"status":"success","data":{"resultType":"vector","result":[');
        setTimeout(() => response.socket?.destroy(), 20);
      });
      await new Promise<void>((done) => server!.listen(0, '127.0.0.1', done));
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const cut = parseConfig({ source: { url, maxRetries: 0 } }).source;
      await expect(
        connectPrometheus({ source: cut, logger: recordingLogger() }).queryInstant('up', 'up', 1_000_000),
      ).rejects.toThrow(/terminated/);
      const refused = parseConfig({ source: { url: 'http://127.0.0.1:9', maxRetries: 0 } }).source;
      await expect(
        connectPrometheus({ source: refused, logger: recordingLogger() }).queryInstant('up', 'up', 1_000_000),
      ).rejects.toThrow(/fetch failed \(ECONNREFUSED\)/);
    });

    it('fails a request that outlives source.timeoutSeconds as fetch does (no answer within the timeout)', async () => {
      const url = await serve(3_000);
      const { source } = parseConfig({ source: { url, timeoutSeconds: 0.2, maxRetries: 0 } });
      await expect(
        connectPrometheus({ source, logger: recordingLogger() }).queryInstant('up', 'up', 1_000_000),
      ).rejects.toThrow(/no answer within 200 ms/);
    });
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
