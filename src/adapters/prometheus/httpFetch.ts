import http from 'node:http';
import https from 'node:https';
import tls from 'node:tls';
import { ConfigError } from '../../errors.ts';

/** The part of a fetch Response the Prometheus client reads. */
export interface HttpResponse {
  status: number;
  headers: { get(name: string): string | null };
  text(): Promise<string>;
  /** The body as it arrives (fetch's ReadableStream, node's IncomingMessage); absent: read `text()`. */
  body?: AsyncIterable<Uint8Array> | null;
}

/** The part of `fetch` the Prometheus client uses; injectable for tests. */
export type HttpFetch = (
  url: string,
  init: {
    method: 'POST' | 'GET';
    headers: Record<string, string>;
    /** Absent for a GET. */
    body?: string | Uint8Array;
    signal: AbortSignal;
    /** 'manual': a 3xx is returned as is, never followed (node:http never follows). */
    redirect?: 'manual';
  },
) => Promise<HttpResponse>;

/**
 * A fetch over node:https that trusts `caPem` (when given) in addition to the public roots, verifies
 * every certificate whatever NODE_TLS_REJECT_UNAUTHORIZED says, and refuses http:// URLs. Node's
 * global fetch (undici) only takes a custom CA through an undici dispatcher, which is not a
 * dependency here, or through NODE_EXTRA_CA_CERTS, which must be set before the process starts; this
 * keeps `source.caFile` a plain config setting that works the same in the CLI and in Lambda.
 */
export function createCaFetch(caPem?: string): HttpFetch {
  // rejectUnauthorized is explicit so that NODE_TLS_REJECT_UNAUTHORIZED=0 cannot turn verification off.
  const agent = new https.Agent({
    ca: caPem ? [...tls.rootCertificates, caPem] : [...tls.rootCertificates],
    keepAlive: true,
    rejectUnauthorized: true,
    minVersion: 'TLSv1.2',
  });
  return (url, init) =>
    new Promise((resolve, reject) => {
      const target = new URL(url);
      const secure = target.protocol === 'https:';
      if (!secure) {
        // A custom CA only makes sense over TLS; sending the query (and credentials) in clear would be a
        // silent downgrade.
        reject(
          new ConfigError('source.caFile is set but source.url is not https://; refusing to send in clear', [
            { path: 'source.url', message: 'must be https:// when source.caFile is set' },
          ]),
        );
        return;
      }
      const request = https.request(
        target,
        requestOptions(init, agent),
        // Handed over as soon as the headers are in: the body is parsed while it streams. Errors as node's.
        (response) => resolve(responseOf(response, (error) => error)),
      );
      request.on('error', reject);
      request.end(init.body);
    });
}

/**
 * A fetch over node:http for plain http:// URLs whose answers are not compressed (source.compression
 * "none", the default): what the client reads of a response, as createCaFetch gives it over TLS, without
 * fetch's web streams (undici moves each chunk of a body through a ReadableStream, its promises and
 * transfers: a large part of a small fleet's month's CPU besides parsing). Never follows a redirect.
 */
export function createPlainFetch(): HttpFetch {
  const agent = new http.Agent({ keepAlive: true });
  return (url, init) =>
    new Promise((resolve, reject) => {
      const request = http.request(
        url,
        requestOptions(init, agent),
        // A body cut short fails as fetch's does: with the signal's reason, else "terminated" caused by the
        // socket's error (the connection reset or closed mid-answer).
        (response) =>
          resolve(
            responseOf(response, (error) =>
              init.signal.aborted ? init.signal.reason : new TypeError('terminated', { cause: error }),
            ),
          ),
      );
      // As fetch: an aborted request (source.timeoutSeconds) fails with the signal's reason (TimeoutError),
      // any other failure to get an answer as "fetch failed" caused by the socket's error (ECONNREFUSED…),
      // so that errors and logs read as they did through fetch.
      request.on('error', (error) =>
        reject(init.signal.aborted ? init.signal.reason : new TypeError('fetch failed', { cause: error })),
      );
      request.end(init.body);
    });
}

/**
 * What the client reads of a node:http(s) response, handed over as soon as its headers are in; an error
 * while the body arrives is thrown as `reason` makes it.
 */
function responseOf(response: http.IncomingMessage, reason: (error: unknown) => unknown): HttpResponse {
  let consumed = false;
  return {
    status: response.statusCode ?? 0,
    headers: {
      get: (name) => {
        const value = response.headers[name.toLowerCase()];
        return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
      },
    },
    body: {
      [Symbol.asyncIterator]: () => {
        consumed = true;
        const chunks = response[Symbol.asyncIterator]();
        return {
          next: () => chunks.next().catch((error: unknown) => Promise.reject(reason(error))),
          return: () => chunks.return?.() ?? Promise.resolve({ done: true, value: undefined }),
        };
      },
    },
    text: async () => {
      if (consumed) throw new Error('the body was already read');
      consumed = true;
      const chunks: Buffer[] = [];
      try {
        for await (const chunk of response) chunks.push(chunk as Buffer);
      } catch (error) {
        throw reason(error);
      }
      return Buffer.concat(chunks).toString('utf8');
    },
  };
}

/** node:http(s) request options for `init`, through `agent` (a body's length given, as fetch gives it). */
function requestOptions(init: Parameters<HttpFetch>[1], agent: http.Agent): http.RequestOptions {
  return {
    method: init.method,
    headers:
      init.body === undefined
        ? init.headers
        : { ...init.headers, 'content-length': String(Buffer.byteLength(init.body)) },
    signal: init.signal,
    agent,
  };
}
