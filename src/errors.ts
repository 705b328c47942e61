/**
 * Error classes with a stable `name`, a message that says what to do, and the original `cause`.
 * The CLI maps {@link InputError} subclasses to exit code 2 and everything else to exit code 1.
 */

/** Base class: bad input from a user (argument, config file, event payload). Exit code 2. */
export class InputError extends Error {
  override name = 'InputError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The configuration file or overrides failed validation; `issues` lists every problem with its path. */
export class ConfigError extends InputError {
  override name = 'ConfigError';
  constructor(
    message: string,
    readonly issues: { path: string; message: string }[] = [],
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A query to Prometheus failed after retries; names the query, HTTP status and the time window. */
export class PrometheusQueryError extends Error {
  override name = 'PrometheusQueryError';
  constructor(
    message: string,
    readonly details: {
      query: string;
      status?: number;
      window?: { startMs: number; endMs: number };
      tooLarge?: boolean;
    },
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * An exporter's series lack what metering needs and only an older version would omit (e.g.
 * kube-state-metrics < 2.1 without `uid` on pod metrics); names the minimum version.
 */
export class ExporterVersionError extends Error {
  override name = 'ExporterVersionError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** An instance type seen in the data has no price in the catalog and no fallback is configured. */
export class MissingPriceError extends Error {
  override name = 'MissingPriceError';
  constructor(
    readonly instanceType: string,
    readonly known: string[],
    options?: { cause?: unknown },
  ) {
    super(
      `no price for instance type "${instanceType}" in pricing.instanceTypes (known: ${known.join(', ') || 'none'}); ` +
        'add it to the catalog, price its GPU model in pricing.gpuModels (on-prem), or set pricing.fallback',
      options,
    );
  }
}

/** Publishing outputs failed; nothing was marked final (no manifest written). */
export class PublishError extends Error {
  override name = 'PublishError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Another run holds the lock for the same month. */
export class LockedError extends Error {
  override name = 'LockedError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The requested month (or team file) has no manifest, i.e. it was never published as final. */
export class NotPublishedError extends InputError {
  override name = 'NotPublishedError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A stored object does not match the SHA-256 or size its manifest records. */
export class IntegrityError extends Error {
  override name = 'IntegrityError';
  constructor(
    message: string,
    readonly details: { key: string; expectedSha256: string; actualSha256?: string },
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
