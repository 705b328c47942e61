import { describe, expect, it } from 'vitest';
import { PrometheusClient } from '../../../src/adapters/prometheus/index.ts';
import { PrometheusQueryError } from '../../../src/errors.ts';
import { fakeFetch, recordingLogger } from './fakes.ts';

const T0 = 1_772_982_000_000;

function clientWith(respond: Parameters<typeof fakeFetch>[0]) {
  const { fetch, calls } = fakeFetch(respond);
  const client = new PrometheusClient({
    url: 'http://prom.local/prefix/',
    fetch,
    authorize: async ({ headers }) => ({ ...headers, authorization: 'Bearer s3cr3t' }),
    headers: { 'X-Scope-OrgID': 'tenant-a' },
    timeoutMs: 1000,
    maxRetries: 2,
    logger: recordingLogger(),
    sleep: async () => {},
    random: () => 0.5,
  });
  return { client, calls };
}

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
