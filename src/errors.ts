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

/**
 * Publishing outputs failed. `committed` false: nothing was marked final (no manifest written); true: the
 * new version is final (its manifest is written) but a later step failed, e.g. copying it to the plain keys.
 */
export class PublishError extends Error {
  override name = 'PublishError';
  readonly committed: boolean;
  constructor(message: string, options?: { cause?: unknown; committed?: boolean }) {
    super(message, options);
    this.committed = options?.committed ?? false;
  }
}

/** Another run holds the lock for the same month. */
export class LockedError extends Error {
  override name = 'LockedError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/**
 * The month was published by another run after this run read the version it builds on (a backfill that
 * finished first): nothing was published by this run, so the newer version stays. Rerun to build on it.
 */
export class ConflictError extends Error {
  override name = 'ConflictError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/**
 * The publish guard refused: publishing or storing this would replace a better month or day with a worse
 * one, or publish a month with too little data (config `guard`). Nothing was written; the message lists
 * every reason and how to proceed (`--force --reason`, recorded in the manifest).
 */
export class RefusedError extends Error {
  override name = 'RefusedError';
  constructor(
    message: string,
    readonly violations: string[] = [],
    options?: { cause?: unknown },
  ) {
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

/** A cost export (billing source) is missing, malformed or partial: names the file and row when it can. */
export class BillingExportError extends Error {
  override name = 'BillingExportError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
