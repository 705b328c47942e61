import type { Config } from '../config/schema.ts';
import { PrometheusQueryError } from '../errors.ts';
import { redactUrl } from '../redact.ts';

/**
 * Runs `work` and names the configured Prometheus URL (redacted: no credentials, no query string) in a
 * connection error — a query error without an HTTP status: refused, unknown host, timeout, TLS — so
 * "fetch failed (ECONNREFUSED)" says which server it could not reach (a wrong `--prometheus-url` or
 * `source.url` is the usual cause). An error with a status came from the server and is left as it is.
 */
export async function namingSource<T>(config: Config, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    const url =
      config.source.kind === 'prometheus' && config.source.url ? redactUrl(config.source.url) : undefined;
    const connection = error instanceof PrometheusQueryError && error.details.status === undefined;
    if (connection && url !== undefined && !(error as Error).message.includes(url)) {
      const queryError = error as PrometheusQueryError;
      throw new PrometheusQueryError(`${queryError.message} (source ${url})`, queryError.details, {
        cause: error,
      });
    }
    throw error;
  }
}
