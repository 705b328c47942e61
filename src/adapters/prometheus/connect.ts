import { readFileSync } from 'node:fs';
import type { Config } from '../../config/schema.ts';
import { ConfigError } from '../../errors.ts';
import type { Logger } from '../../ports.ts';
import { type AwsCredentialsProvider, createAuthorizer } from './auth.ts';
import { PrometheusClient } from './client.ts';
import { createCaFetch, createPlainFetch, type HttpFetch } from './httpFetch.ts';

/** How to reach Prometheus: the source settings, a logger and injectable I/O. */
export interface ConnectOptions {
  source: Config['source'];
  logger: Logger;
  /** Environment for source.auth.tokenEnv (default process.env). */
  env?: Record<string, string | undefined>;
  /** fetch implementation; default: global fetch, or a node:https fetch trusting source.caFile. */
  fetch?: HttpFetch;
  /** AWS credentials for SigV4 (default: the AWS default provider chain). */
  awsCredentials?: AwsCredentialsProvider;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  maxPointsPerSeries?: number;
}

/**
 * The client of a Prometheus source: its URL, authentication (none, bearer token, SigV4), tenant and
 * custom headers, TLS (an extra CA from source.caFile; certificate checks and TLS 1.2+ for any https
 * URL), timeouts and retries.
 */
export function connectPrometheus(options: ConnectOptions): PrometheusClient {
  const { source } = options;
  if (!source.url)
    throw new ConfigError('source.url is required for a Prometheus source', [
      { path: 'source.url', message: 'required' },
    ]);
  let fetchImpl = options.fetch;
  if (!fetchImpl && source.caFile) fetchImpl = createCaFetch(readCaFile(source.caFile));
  // https without a custom CA still goes through the fetch that forces certificate checks and TLS 1.2+.
  if (!fetchImpl && source.url.startsWith('https:')) fetchImpl = createCaFetch();
  if (!fetchImpl && source.url.startsWith('http:') && source.compression === 'none')
    fetchImpl = createPlainFetch();
  const headers: Record<string, string> = { ...source.headers };
  if (source.tenant) headers[source.tenant.header] = source.tenant.value;
  // fetch asks for gzip unless told otherwise; node:https (caFile, https) asks for nothing, i.e. identity.
  if (source.compression === 'none') headers['accept-encoding'] = 'identity';
  return new PrometheusClient({
    url: source.url,
    fetch: fetchImpl ?? (globalThis.fetch as unknown as HttpFetch),
    authorize: createAuthorizer(source.auth, options.env ?? process.env, options.awsCredentials),
    headers,
    timeoutMs: source.timeoutSeconds * 1000,
    maxRetries: source.maxRetries,
    logger: options.logger,
    ...(options.sleep ? { sleep: options.sleep } : {}),
    ...(options.random ? { random: options.random } : {}),
    ...(options.maxPointsPerSeries ? { maxPointsPerSeries: options.maxPointsPerSeries } : {}),
    readApi: source.readApi,
  });
}

function readCaFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(
      `cannot read source.caFile ${path}`,
      [{ path: 'source.caFile', message: 'unreadable' }],
      {
        cause: error,
      },
    );
  }
}
