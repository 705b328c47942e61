import {
  type HttpFetch,
  type HttpResponse,
  PrometheusClient,
} from '../../../src/adapters/prometheus/index.ts';
import type { Logger } from '../../../src/ports.ts';

export interface Call {
  url: string;
  headers: Record<string, string>;
  params: Record<string, string>;
}

/** A fetch that records calls and answers with `respond(call, index)`. */
export function fakeFetch(
  respond: (
    call: Call,
    index: number,
  ) => { status?: number; body: unknown; headers?: Record<string, string> },
): {
  fetch: HttpFetch;
  calls: Call[];
} {
  const calls: Call[] = [];
  const fetch: HttpFetch = async (url, init) => {
    const call = {
      url,
      headers: init.headers,
      params: Object.fromEntries(new URLSearchParams(init.body as string)),
    };
    calls.push(call);
    const answer = respond(call, calls.length - 1);
    const headers = answer.headers ?? {};
    const response: HttpResponse = {
      status: answer.status ?? 200,
      headers: { get: (name) => headers[name.toLowerCase()] ?? null },
      text: async () => (typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body)),
    };
    return response;
  };
  return { fetch, calls };
}

export function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const log = (level: string) => (message: string, fields?: Record<string, unknown>) =>
    lines.push(`${level} ${message} ${JSON.stringify(fields ?? {})}`);
  return { lines, info: log('info'), warn: log('warn'), error: log('error'), progress: () => {} };
}

export const ok = (result: unknown[], resultType = 'matrix') => ({
  body: { status: 'success', data: { resultType, result } },
});

/**
 * A PrometheusClient on a fake fetch (`respond` as for fakeFetch): no auth, no extra headers, a 1 s
 * timeout, no retries. Returns it and the calls it made.
 */
export function fakeClient(respond: Parameters<typeof fakeFetch>[0]): {
  client: PrometheusClient;
  calls: Call[];
} {
  const { fetch, calls } = fakeFetch(respond);
  const client = new PrometheusClient({
    url: 'http://prom.local',
    fetch,
    authorize: async () => ({}),
    headers: {},
    timeoutMs: 1000,
    maxRetries: 0,
    logger: recordingLogger(),
  });
  return { client, calls };
}
