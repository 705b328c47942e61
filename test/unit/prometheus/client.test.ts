import { describe, expect, it } from 'vitest';
import { PrometheusClient, parseRetryAfter } from '../../../src/adapters/prometheus/index.ts';
import { PrometheusQueryError } from '../../../src/errors.ts';
import { type Call, fakeFetch, ok, recordingLogger } from './fakes.ts';

const T0 = 1_772_982_000_000;

function clientWith(
  respond: Parameters<typeof fakeFetch>[0],
  extra: { maxPointsPerSeries?: number; maxRetries?: number } = {},
) {
  const { fetch, calls } = fakeFetch(respond);
  const sleeps: number[] = [];
  const logger = recordingLogger();
  const client = new PrometheusClient({
    url: 'http://prom.local/prefix/',
    fetch,
    authorize: async ({ headers }) => ({ ...headers, authorization: 'Bearer s3cr3t' }),
    headers: { 'X-Scope-OrgID': 'tenant-a' },
    timeoutMs: 1000,
    maxRetries: extra.maxRetries ?? 3,
    logger,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    random: () => 0.5,
    ...(extra.maxPointsPerSeries ? { maxPointsPerSeries: extra.maxPointsPerSeries } : {}),
  });
  return { client, calls, sleeps, logger };
}

/** A matrix answer with one point per step of the requested range. */
const rangeAnswer = (call: Call) => {
  const start = Number(call.params.start);
  const end = Number(call.params.end);
  const step = Number(call.params.step);
  const values: [number, string][] = [];
  for (let t = start; t <= end; t += step) values.push([t, '1']);
  return ok([{ metric: { node: 'n1' }, values }]);
};

describe('PrometheusClient', () => {
  it('POSTs a form-encoded query_range under the URL prefix with tenant and auth headers', async () => {
    const { client, calls } = clientWith(rangeAnswer);
    const series = await client.queryRange('running', 'up', {
      startMs: T0,
      endMs: T0 + 120_000,
      stepMs: 60_000,
    });
    expect(calls[0]!.url).toBe('http://prom.local/prefix/api/v1/query_range');
    expect(calls[0]!.params).toEqual({
      query: 'up',
      start: String(T0 / 1000),
      end: String(T0 / 1000 + 120),
      step: '60',
    });
    expect(calls[0]!.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(calls[0]!.headers['X-Scope-OrgID']).toBe('tenant-a');
    expect(series[0]!.points.map(([t]) => t)).toEqual([T0, T0 + 60_000, T0 + 120_000]);
  });

  it('keeps every request within maxPointsPerSeries points and merges the chunks', async () => {
    const { client, calls } = clientWith(rangeAnswer, { maxPointsPerSeries: 100 });
    const series = await client.queryRange('running', 'up', {
      startMs: T0,
      endMs: T0 + 249 * 60_000,
      stepMs: 60_000,
    });
    const sizes = calls.map((c) => (Number(c.params.end) - Number(c.params.start)) / 60 + 1);
    expect(sizes).toEqual([100, 100, 50]);
    expect(series[0]!.points).toHaveLength(250);
  });

  it('splits a window Prometheus refuses as too large into halves', async () => {
    const { client, calls } = clientWith((call) => {
      const points = (Number(call.params.end) - Number(call.params.start)) / 60 + 1;
      if (points > 3) {
        return {
          status: 422,
          body: {
            status: 'error',
            errorType: 'execution',
            error: 'query processing would load too many samples into memory',
          },
        };
      }
      return rangeAnswer(call);
    });
    const series = await client.queryRange('running', 'up', {
      startMs: T0,
      endMs: T0 + 9 * 60_000,
      stepMs: 60_000,
    });
    expect(series[0]!.points.map(([t]) => (t - T0) / 60_000)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(client.stats.splits).toBe(3);
    expect(calls.length).toBe(7);
  });

  it('retries a 503 with exponential backoff and honours a longer Retry-After on 429', async () => {
    const { client, sleeps } = clientWith((call, i) => {
      if (i === 0)
        return { status: 503, body: { status: 'error', errorType: 'unavailable', error: 'overloaded' } };
      if (i === 1) return { status: 429, body: 'slow down', headers: { 'retry-after': '7' } };
      return rangeAnswer(call);
    });
    const series = await client.queryRange('running', 'up', { startMs: T0, endMs: T0, stepMs: 60_000 });
    expect(series).toHaveLength(1);
    expect(sleeps).toEqual([375, 7000]);
  });

  it('gives up after maxRetries with a PrometheusQueryError naming the query, status and window', async () => {
    const { client, calls } = clientWith(
      () => ({ status: 503, body: { status: 'error', errorType: 'unavailable', error: 'down' } }),
      { maxRetries: 2 },
    );
    const error = await client
      .queryRange('node_capacity', 'up', { startMs: T0, endMs: T0 + 60_000, stepMs: 60_000 })
      .catch((e) => e);
    expect(error).toBeInstanceOf(PrometheusQueryError);
    expect(error.details).toEqual({
      query: 'node_capacity',
      status: 503,
      window: { startMs: T0, endMs: T0 + 60_000 },
    });
    expect(error.message).toContain('node_capacity');
    expect(calls).toHaveLength(3);
  });

  it('does not retry a query Prometheus rejects as bad', async () => {
    const { client, calls } = clientWith(() => ({
      status: 400,
      body: { status: 'error', errorType: 'bad_data', error: 'parse error' },
    }));
    const error = await client.queryInstant('pod_requests', 'up{', T0).catch((e) => e);
    expect([error.details.status, calls.length]).toEqual([400, 1]);
  });

  it('retries a request that times out or fails on the network', async () => {
    const { client, calls } = clientWith((_call, i) => {
      if (i === 0)
        throw Object.assign(new Error('The operation was aborted due to timeout'), { name: 'TimeoutError' });
      return ok([{ metric: {}, value: [T0 / 1000, '1'] }], 'vector');
    });
    const series = await client.queryInstant('pod_requests', 'up', T0);
    expect([series.length, calls.length, client.stats.retries]).toEqual([1, 2, 1]);
  });

  it('never writes the token into logs', async () => {
    const { client, logger } = clientWith((call, i) =>
      i === 0 ? { status: 503, body: 'x' } : rangeAnswer(call),
    );
    await client.queryRange('running', 'up', { startMs: T0, endMs: T0, stepMs: 60_000 });
    expect(logger.lines.length).toBeGreaterThan(0);
    expect(logger.lines.join('\n')).not.toContain('s3cr3t');
  });

  describe('edge cases', () => {
    it('fails with tooLarge when even one point is too large', async () => {
      const { client } = clientWith(() => ({
        status: 503,
        body: { status: 'error', errorType: 'timeout', error: 'query timed out' },
      }));
      const error = await client
        .queryRange('running', 'up', { startMs: T0, endMs: T0, stepMs: 60_000 })
        .catch((e) => e);
      expect(error.details.tooLarge).toBe(true);
    });

    it('reports a body that is not JSON with its status', async () => {
      const { client } = clientWith(() => ({ status: 404, body: '<html>not found</html>' }));
      const error = await client.queryInstant('node_labels', 'up', T0).catch((e) => e);
      expect([error.details.status, /not a Prometheus response/.test(error.message)]).toEqual([404, true]);
    });
  });
});

describe('parseRetryAfter', () => {
  it('reads delay-seconds and HTTP dates, capped at a minute', () => {
    const now = Date.parse('2026-03-01T00:00:00Z');
    expect([
      parseRetryAfter('3', now),
      parseRetryAfter('Sun, 01 Mar 2026 00:00:10 GMT', now),
      parseRetryAfter('600', now),
    ]).toEqual([3000, 10_000, 60_000]);
  });

  describe('edge cases', () => {
    it('ignores a missing or unreadable header', () => {
      expect([parseRetryAfter(null), parseRetryAfter('soon')]).toEqual([undefined, undefined]);
    });
  });
});

describe('answers that stream in', () => {
  /** A client whose fetch answers with `bodies[i]` split into chunks of `size` bytes, as a stream. */
  function streamingClient(bodies: string[], size: number) {
    let i = 0;
    const sleeps: number[] = [];
    const client = new PrometheusClient({
      url: 'http://prom.local',
      fetch: async () => {
        const bytes = new TextEncoder().encode(bodies[Math.min(i++, bodies.length - 1)]!);
        return {
          status: 200,
          headers: { get: () => null },
          text: async () => {
            throw new Error('the client must read the stream, not the text');
          },
          body: (async function* () {
            for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
          })(),
        };
      },
      authorize: async ({ headers }) => headers,
      headers: {},
      timeoutMs: 1000,
      maxRetries: 2,
      logger: recordingLogger(),
      sleep: async (ms) => void sleeps.push(ms),
      random: () => 0.5,
    });
    return { client, sleeps, calls: () => i };
  }
  const answer = JSON.stringify({
    status: 'success',
    data: { resultType: 'vector', result: [{ metric: { node: 'n1' }, value: [1700000000, '4'] }] },
  });

  it('parses the body chunk by chunk into compact samples', async () => {
    const { client } = streamingClient([answer], 5);
    const series = await client.queryInstant('node_capacity', 'up', T0);
    expect(series.map((s) => [s.metric, [...s.points]])).toEqual([[{ node: 'n1' }, [[1700000000000, 4]]]]);
  });

  it('retries a 200 whose body breaks off, and takes the complete answer', async () => {
    const { client, sleeps, calls } = streamingClient([answer.slice(0, 40), answer], 7);
    const series = await client.queryInstant('node_capacity', 'up', T0);
    expect(calls()).toBe(2);
    expect(sleeps).toHaveLength(1);
    expect(series).toHaveLength(1);
  });
});

describe('PrometheusClient.series (the series endpoint: label sets from the index)', () => {
  it('POSTs match[], start and end under the URL prefix and returns the label sets', async () => {
    const { client, calls } = clientWith(() => ({
      body: {
        status: 'success',
        data: [
          { __name__: 'kube_node_info', node: 'n1', instance: 'ksm-1' },
          { __name__: 'kube_node_labels', node: 'n2', instance: 'ksm-1' },
        ],
      },
    }));
    const sets = await client.series('node_index', '{__name__=~"kube_node_info|kube_node_labels"}', {
      startMs: T0 + 1,
      endMs: T0 + 3_600_000,
    });
    expect(calls[0]!.url).toBe('http://prom.local/prefix/api/v1/series');
    expect(calls[0]!.headers.authorization).toBe('Bearer s3cr3t');
    expect(calls[0]!.params).toEqual({
      'match[]': '{__name__=~"kube_node_info|kube_node_labels"}',
      start: String((T0 + 1) / 1000),
      end: String((T0 + 3_600_000) / 1000),
    });
    expect(sets).toEqual([
      { __name__: 'kube_node_info', node: 'n1', instance: 'ksm-1' },
      { __name__: 'kube_node_labels', node: 'n2', instance: 'ksm-1' },
    ]);
  });

  it('throws a PrometheusQueryError for an error answer, and for a backend without the endpoint', async () => {
    const refused = clientWith(() => ({
      status: 422,
      body: { status: 'error', errorType: 'execution', error: 'exceeded series limit' },
    }));
    await expect(refused.client.series('node_index', 'up', { startMs: T0, endMs: T0 + 1 })).rejects.toThrow(
      PrometheusQueryError,
    );
    const missing = clientWith(() => ({ status: 404, body: '404 page not found\n' }));
    await expect(missing.client.series('node_index', 'up', { startMs: T0, endMs: T0 + 1 })).rejects.toThrow(
      /HTTP 404 with a body that is not a Prometheus response/,
    );
    expect(missing.calls.length).toBe(1);
  });

  it('retries a 503 as a query is retried', async () => {
    const { client, calls } = clientWith((_call, index) =>
      index === 0
        ? { status: 503, body: 'unavailable' }
        : { body: { status: 'success', data: [{ node: 'n1' }] } },
    );
    expect(await client.series('node_index', 'up', { startMs: T0, endMs: T0 + 1 })).toEqual([{ node: 'n1' }]);
    expect(calls.length).toBe(2);
  });
});
