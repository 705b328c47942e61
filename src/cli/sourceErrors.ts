import type { Config } from '../config/schema.ts';
import { PrometheusQueryError } from '../errors.ts';
import { redactUrl } from '../redact.ts';

/**
 * Runs `work` and names the configured Prometheus URL (redacted: no credentials, no query string) in a
 * query error that does not already name it, so "fetch failed (ECONNREFUSED)" says which server it could
 * not reach — a wrong `--prometheus-url` or `source.url` is the usual cause.
 */
export async function namingSource<T>(config: Config, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    const url = config.source.kind === 'prometheus' && config.source.url ? redactUrl(config.source.url) : undefined;
    if (error instanceof PrometheusQueryError && url !== undefined && !error.message.includes(url)) {
      throw new PrometheusQueryError(`${error.message} (source ${url})`, error.details, { cause: error });
    }
    throw error;
  }
}
