import http from 'node:http';
import https from 'node:https';
import tls from 'node:tls';

/** The part of a fetch Response the Prometheus client reads. */
export interface HttpResponse {
  status: number;
  headers: { get(name: string): string | null };
  text(): Promise<string>;
}

/** The part of `fetch` the Prometheus client uses; injectable for tests. */
export type HttpFetch = (
  url: string,
  init: { method: 'POST'; headers: Record<string, string>; body: string; signal: AbortSignal },
) => Promise<HttpResponse>;

/**
 * A fetch over node:http/node:https that trusts `caPem` in addition to the public roots. Node's
 * global fetch (undici) only takes a custom CA through an undici dispatcher, which is not a
 * dependency here, or through NODE_EXTRA_CA_CERTS, which must be set before the process starts; this
 * keeps `source.caFile` a plain config setting that works the same in the CLI and in Lambda.
 */
export function createCaFetch(caPem: string): HttpFetch {
  const agent = new https.Agent({ ca: [...tls.rootCertificates, caPem], keepAlive: true });
  return (url, init) =>
    new Promise((resolve, reject) => {
      const target = new URL(url);
      const secure = target.protocol === 'https:';
      const request = (secure ? https : http).request(
        target,
        {
          method: init.method,
          headers: { ...init.headers, 'content-length': String(Buffer.byteLength(init.body)) },
          signal: init.signal,
          ...(secure ? { agent } : {}),
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('error', reject);
          response.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            resolve({
              status: response.statusCode ?? 0,
              headers: {
                get: (name) => {
                  const value = response.headers[name.toLowerCase()];
                  return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
                },
              },
              text: async () => text,
            });
          });
        },
      );
      request.on('error', reject);
      request.end(init.body);
    });
}
