import { compareStrings } from '../../core/compare.ts';
import { redactUrl, scrubSecrets } from '../../redact.ts';
import { ConfigError, PrometheusQueryError } from '../../errors.ts';
import type { Logger } from '../../ports.ts';
import type { Authorizer } from './auth.ts';
import type { HttpFetch } from './httpFetch.ts';
import {
  Interner,
  isTooLargeError,
  type PromFailure,
  PrometheusResponseParser,
  type PromSeries,
  type PromSuccess,
  type SeriesTransform,
} from './parseResponse.ts';
import { rawSelectorOf, readRequestBody, RemoteReadParser, STREAMED_CONTENT_TYPE } from './remoteRead.ts';
import { SampleBuilder } from './samplePoints.ts';
import { SeriesListParser } from './seriesList.ts';

/** How the client reaches Prometheus and how hard it tries. */
export interface PrometheusClientOptions {
  /** Base URL; the API paths are appended (a path prefix such as an AMP workspace is kept). */
  url: string;
  fetch: HttpFetch;
  authorize: Authorizer;
  /** Static headers (tenant, custom); never logged. */
  headers: Record<string, string>;
  timeoutMs: number;
  maxRetries: number;
  logger: Logger;
  /** Injected for tests: waiting and jitter. */
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  /** Points per series per range request (Prometheus refuses more than 11,000). */
  maxPointsPerSeries?: number;
  /** Levels of halving a window that Prometheus finds too large before giving up. */
  maxSplitDepth?: number;
  /** First retry delay before jitter (default 500 ms); doubles per attempt up to maxBackoffMs (30 s). */
  baseBackoffMs?: number;
  maxBackoffMs?: number;
  /**
   * How raw samples are read (source.readApi): "query" (default) instant queries of a range selector;
   * "remote" Prometheus' remote-read API (remoteRead.ts), falling back to "query" for the rest of the
   * run, with one warning, when the server cannot answer it exactly.
   */
  readApi?: 'query' | 'remote';
}

/** A request other than a form-encoded query: its body, headers and the content type its answer must have. */
interface WireRequest {
  body: Uint8Array;
  headers: Record<string, string>;
  contentType: string;
}

/** A range request: points at startMs, startMs + stepMs, ..., endMs (inclusive, as query_range does). */
export interface RangeWindow {
  startMs: number;
  endMs: number;
  stepMs: number;
}

const BASE_BACKOFF_MS = 500;
const MAX_BACKOFF_MS = 30_000;
const RETRYABLE = new Set([429, 500, 502, 503, 504]);

/**
 * Warnings that mean the answer lacks data (a Thanos querier with partial responses enabled, a failed
 * remote read): billing on such an answer would publish a wrong month, so they are retried and then
 * fail the query. Other warnings (PromQL annotations) are logged.
 */
export const PARTIAL_DATA_WARNING_RE =
  /partial (response|data|result)|no storeapis? matched|rpc error|store(api)? .*unavailable|remote[_ ]read|fetch(ing)? series|receive series/i;

/** Headers whose values are not secret (everything else sent to Prometheus is scrubbed from errors). */
const PUBLIC_HEADERS = new Set([
  'content-type',
  'accept',
  'accept-encoding',
  'host',
  'content-length',
  'x-amz-date',
  'x-amz-content-sha256',
]);

class TooLarge extends Error {}

/** Counters of what the client did, for logs and the measurements in reports. */
export interface ClientStats {
  requests: number;
  retries: number;
  splits: number;
  /** Raw reads answered through the remote-read API (source.readApi "remote"). */
  remoteReads: number;
  /** Samples in the chunks those answers held (Prometheus sends whole chunks, some outside the range). */
  remoteReadSamples: number;
  /**
   * Most bytes of compact answers one window held (sample arrays and label characters; see
   * compactBytesOf), as the source reports them: what a metering invocation's memory is measured against.
   */
  peakCompactBytes: number;
  /**
   * Whole days and shards by what they read of DCGM_FI_DEV_GPU_UTIL's pod series (gpuUtilOnDemand.ts):
   * none, some pods', or all of them (and why).
   */
  gpuUtilPodReads: {
    none: number;
    some: number;
    all: { presence: number; index: number; 'incomplete index': number; 'most pods': number };
  };
}

/**
 * A small Prometheus HTTP API client: POST form-encoded /api/v1/query and /api/v1/query_range,
 * zod-validated responses, bounded retries with exponential backoff and jitter (honouring
 * Retry-After on 429/503), a per-request timeout, and splitting of windows that are too long for
 * one request (11,000 points) or that Prometheus refuses as too large.
 */
export class PrometheusClient {
  readonly stats: ClientStats = {
    requests: 0,
    retries: 0,
    splits: 0,
    remoteReads: 0,
    remoteReadSamples: 0,
    peakCompactBytes: 0,
    gpuUtilPodReads: {
      none: 0,
      some: 0,
      all: { presence: 0, index: 0, 'incomplete index': 0, 'most pods': 0 },
    },
  };
  /** Whether raw reads go through the remote-read API: checked once (see remoteReadUsable). */
  private remoteReadCheck: Promise<boolean> | undefined;
  private remoteReadDisabled = false;
  /** Label names and values shared by every answer of this client. */
  private readonly interner = new Interner();
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  private readonly maxPoints: number;
  private readonly maxSplitDepth: number;

  constructor(private readonly options: PrometheusClientOptions) {
    let parsedUrl: URL | undefined;
    try {
      parsedUrl = new URL(options.url);
    } catch {
      // reported by the first request
    }
    if (parsedUrl && (parsedUrl.username || parsedUrl.password)) {
      // fetch would refuse it with an error that quotes the whole URL, password included.
      throw new ConfigError(
        'source.url must not contain credentials (user:password@); use source.auth (bearer tokenEnv/tokenFile or sigv4)',
        [{ path: 'source.url', message: 'contains credentials' }],
      );
    }
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.random = options.random ?? Math.random;
    this.maxPoints = options.maxPointsPerSeries ?? 11_000;
    this.maxSplitDepth = options.maxSplitDepth ?? 8;
  }

  /**
   * Runs `query` (named `name` after its file, for errors and logs) over `window`, in chunks of at most
   * maxPointsPerSeries points, halving any chunk Prometheus refuses as too large. Series are merged
   * by their full label set.
   */
  async queryRange(name: string, query: string, window: RangeWindow): Promise<PromSeries[]> {
    const chunks: RangeWindow[] = [];
    const span = (this.maxPoints - 1) * window.stepMs;
    for (let start = window.startMs; start <= window.endMs; start += span + window.stepMs) {
      chunks.push({ startMs: start, endMs: Math.min(window.endMs, start + span), stepMs: window.stepMs });
    }
    const parts: PromSeries[][] = [];
    for (const chunk of chunks) parts.push(await this.rangeChunk(name, query, chunk, 0));
    return mergeSeries(parts.flat(), 'concat');
  }

  /** Runs an instant query at `timeMs`. Throws PrometheusQueryError with `tooLarge` when refused for size. */
  async queryInstant(
    name: string,
    query: string,
    timeMs: number,
    window?: { startMs: number; endMs: number },
    keepEveryValue = false,
    transform?: SeriesTransform,
  ): Promise<PromSeries[]> {
    if (keepEveryValue && this.options.readApi === 'remote') {
      const answer = await this.remoteRaw(name, query, timeMs, transform);
      if (answer) return answer;
    }
    try {
      return await this.request(
        name,
        'query',
        { query, time: seconds(timeMs) },
        window ?? { startMs: timeMs, endMs: timeMs },
        keepEveryValue,
        () => new PrometheusResponseParser(this.interner, keepEveryValue, transform),
      );
    } catch (error) {
      if (error instanceof TooLarge) {
        throw new PrometheusQueryError(`query ${name} is too large for Prometheus: ${error.message}`, {
          query: name,
          window: window ?? { startMs: timeMs, endMs: timeMs },
          tooLarge: true,
        });
      }
      throw error;
    }
  }

  /**
   * The raw samples of `query` (a plain range selector at timeMs) through the remote-read API, or
   * undefined when they must be asked through the query API: `query` is not a plain selector, or the
   * server cannot answer remote reads exactly (then none is tried again in this run; one warning says why).
   */
  private async remoteRaw(
    name: string,
    query: string,
    timeMs: number,
    transform?: SeriesTransform,
  ): Promise<PromSeries[] | undefined> {
    const selector = rawSelectorOf(query);
    if (!selector || !(await this.remoteReadUsable())) return undefined;
    // The query API's range at timeMs holds t − range <= ts <= t (Prometheus 2.x, matrixIterSlice).
    const startMs = timeMs - selector.rangeMs;
    const window = { startMs, endMs: timeMs };
    let parser: RemoteReadParser | undefined;
    try {
      const series = await this.request(
        name,
        'read',
        {},
        window,
        true,
        () => (parser = new RemoteReadParser(this.interner, startMs, timeMs, transform)),
        {
          body: readRequestBody([selector.matchers], startMs, timeMs),
          headers: {
            'content-type': 'application/x-protobuf',
            'content-encoding': 'snappy',
            'x-prometheus-remote-read-version': '0.1.0',
          },
          contentType: STREAMED_CONTENT_TYPE,
        },
      );
      this.stats.remoteReads++;
      this.stats.remoteReadSamples += parser?.samplesSent ?? 0;
      return series;
    } catch (error) {
      this.remoteReadOff(`remote read of ${name} failed (${(error as Error).message})`);
      return undefined;
    }
  }

  /**
   * Whether remote reads answer what the query API would, checked once: the server is a Prometheus
   * (/api/v1/status/config answers) without external labels, which its remote-read handler adds to
   * every series (read_handler.go) and the query API does not.
   */
  private remoteReadUsable(): Promise<boolean> {
    this.remoteReadCheck ??= (async () => {
      const url = `${this.options.url.replace(/\/+$/, '')}/api/v1/status/config`;
      try {
        const headers = await this.options.authorize({
          url,
          headers: { ...this.options.headers, accept: 'application/json' },
          body: '',
        });
        const response = await this.options.fetch(url, {
          method: 'GET',
          headers,
          signal: AbortSignal.timeout(this.options.timeoutMs),
          redirect: 'manual',
        });
        if (response.status !== 200) {
          return this.remoteReadOff(
            `${redactUrl(url)} answered HTTP ${response.status}: not a Prometheus server`,
          );
        }
        const body = JSON.parse(await response.text()) as { data?: { yaml?: unknown } };
        if (typeof body.data?.yaml !== 'string')
          return this.remoteReadOff('no configuration in /api/v1/status/config');
        const { parse } = await import('yaml');
        const config = parse(body.data.yaml) as {
          global?: { external_labels?: Record<string, string> };
        } | null;
        const external = Object.keys(config?.global?.external_labels ?? {});
        if (external.length > 0) {
          return this.remoteReadOff(
            `Prometheus has external labels (${external.sort(compareStrings).join(', ')}), which remote read adds to every series`,
          );
        }
        return true;
      } catch (error) {
        return this.remoteReadOff(`its configuration could not be read (${(error as Error).message})`);
      }
    })();
    return this.remoteReadCheck;
  }

  private remoteReadOff(reason: string): false {
    if (this.remoteReadDisabled) return false;
    this.remoteReadDisabled = true;
    this.remoteReadCheck = Promise.resolve(false);
    this.options.logger.warn(
      `source.readApi "remote": ${reason}; raw samples are read through the query API for the rest of this run`,
    );
    return false;
  }

  /**
   * The label sets of the series `match` selects that have samples in `window` (POST /api/v1/series): an
   * index lookup, no sample read. Sent, retried and checked as a query is.
   */
  async series(
    name: string,
    match: string,
    window: { startMs: number; endMs: number },
  ): Promise<Record<string, string>[]> {
    const params = { 'match[]': match, start: seconds(window.startMs), end: seconds(window.endMs) };
    try {
      const series = await this.request(name, 'series', params, window, false, () => new SeriesListParser());
      return series.map((s) => s.metric);
    } catch (error) {
      if (!(error instanceof TooLarge)) throw error;
      throw new PrometheusQueryError(`series ${name} is too large for Prometheus: ${error.message}`, {
        query: name,
        window,
        tooLarge: true,
      });
    }
  }

  private async rangeChunk(
    name: string,
    query: string,
    chunk: RangeWindow,
    depth: number,
  ): Promise<PromSeries[]> {
    try {
      return await this.request(
        name,
        'query_range',
        { query, start: seconds(chunk.startMs), end: seconds(chunk.endMs), step: seconds(chunk.stepMs) },
        { startMs: chunk.startMs, endMs: chunk.endMs },
      );
    } catch (error) {
      if (!(error instanceof TooLarge)) throw error;
      const points = (chunk.endMs - chunk.startMs) / chunk.stepMs + 1;
      if (points < 2 || depth >= this.maxSplitDepth) {
        throw new PrometheusQueryError(
          `query ${name} is too large for Prometheus even over ${points} point(s): ${error.message}`,
          {
            query: name,
            window: { startMs: chunk.startMs, endMs: chunk.endMs },
            tooLarge: true,
          },
        );
      }
      this.stats.splits++;
      const half = Math.floor(points / 2);
      const midEnd = chunk.startMs + (half - 1) * chunk.stepMs;
      this.options.logger.info('splitting a Prometheus query that is too large', {
        query: name,
        points,
        depth,
      });
      const left = await this.rangeChunk(name, query, { ...chunk, endMs: midEnd }, depth + 1);
      const right = await this.rangeChunk(
        name,
        query,
        { ...chunk, startMs: midEnd + chunk.stepMs },
        depth + 1,
      );
      return mergeSeries([...left, ...right], 'concat');
    }
  }

  private async request(
    name: string,
    endpoint: 'query' | 'query_range' | 'series' | 'read',
    params: Record<string, string>,
    window: { startMs: number; endMs: number },
    keepEveryValue = false,
    parserOf: () => Pick<PrometheusResponseParser, 'write' | 'end'> = () =>
      new PrometheusResponseParser(this.interner, keepEveryValue),
    wire?: WireRequest,
  ): Promise<PromSeries[]> {
    const url = `${this.options.url.replace(/\/+$/, '')}/api/v1/${endpoint}`;
    const body = wire ? wire.body : new URLSearchParams(params).toString();
    const secrets = new Set<string>();
    const fail = (message: string, status?: number, cause?: unknown) =>
      new PrometheusQueryError(
        scrubSecrets(`query ${name} failed ${describeWindow(window)}: ${message}`, secrets),
        { query: name, ...(status ? { status } : {}), window },
        { cause },
      );
    let lastError: PrometheusQueryError | undefined;
    for (let attempt = 0; attempt <= this.options.maxRetries; attempt++) {
      if (attempt > 0) this.stats.retries++;
      this.stats.requests++;
      let status = 0;
      let retryAfterMs: number | undefined;
      let location: string | null = null;
      let response: Awaited<ReturnType<HttpFetch>>;
      try {
        const headers = await this.options.authorize({
          url,
          headers: {
            ...this.options.headers,
            ...(wire?.headers ?? {
              'content-type': 'application/x-www-form-urlencoded',
              accept: 'application/json',
            }),
          },
          // A binary body is never signed: source.readApi "remote" is refused with sigv4 (config schema).
          body: typeof body === 'string' ? body : '',
        });
        for (const secret of secretValues(headers)) secrets.add(secret);
        response = await this.options.fetch(url, {
          method: 'POST',
          headers,
          body,
          signal: AbortSignal.timeout(this.options.timeoutMs),
          // Never follow a redirect: it could downgrade to http or carry the credentials elsewhere.
          redirect: 'manual',
        });
        status = response.status;
        retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
        location = response.headers.get('location');
      } catch (error) {
        const failure = this.networkFailure(error, fail);
        if (failure.fatal) throw failure.error;
        lastError = failure.error;
        await this.backoff(name, attempt, undefined);
        continue;
      }
      if (status >= 300 && status < 400) {
        throw fail(
          `HTTP ${status} redirect${location ? ` to ${redactUrl(location)}` : ''} refused: redirects are not followed ` +
            '(they could downgrade TLS or send the credentials elsewhere); set source.url to the final URL',
          status,
        );
      }
      const contentType = response.headers.get('content-type') ?? '';
      if (wire && status >= 200 && status < 300 && !contentType.startsWith(wire.contentType)) {
        throw fail(
          `HTTP ${status} answered ${contentType || 'no content type'}, not ${wire.contentType}`,
          status,
        );
      }
      // The answer is parsed as it streams in, straight into compact series (parseResponse.ts).
      const parser = parserOf();
      let head = '';
      let parsed: PromSuccess | PromFailure | undefined;
      try {
        if (response.body) {
          for await (const chunk of response.body) {
            if (head.length < 200) head += Buffer.from(chunk.subarray(0, 200)).toString('utf8');
            parser.write(chunk);
          }
        } else {
          const text = await response.text();
          head = text.slice(0, 200);
          parser.write(Buffer.from(text, 'utf8'));
        }
        parsed = parser.end();
      } catch (error) {
        if (!(error instanceof RangeError)) {
          // The connection broke while the body was arriving: as transient as a failed request.
          const failure = this.networkFailure(error, fail);
          if (failure.fatal) throw failure.error;
          lastError = failure.error;
          await this.backoff(name, attempt, retryAfterMs);
          continue;
        }
        lastError = fail(
          `HTTP ${status} with a body that is not a Prometheus response (${scrubSecrets(head, secrets).slice(0, 120).replace(/\s+/g, ' ')})`,
          status,
          error,
        );
        // A 2xx with a broken body is a truncated or mangled transfer: transient, like a 5xx.
        if (!RETRYABLE.has(status) && !(status >= 200 && status < 300)) throw lastError;
        await this.backoff(name, attempt, retryAfterMs);
        continue;
      }
      if (parsed.ok && status >= 200 && status < 300) {
        const partial = parsed.warnings.filter((w) => PARTIAL_DATA_WARNING_RE.test(w));
        if (partial.length > 0) {
          lastError = fail(`the answer is incomplete (Prometheus warned: ${partial.join('; ')})`, status);
          await this.backoff(name, attempt, retryAfterMs);
          continue;
        }
        for (const warning of parsed.warnings)
          this.options.logger.warn(`Prometheus: ${scrubSecrets(warning, secrets)}`, { query: name });
        return parsed.series;
      }
      const errorType = parsed.ok ? 'unknown' : parsed.errorType;
      const message = parsed.ok ? `HTTP ${status}` : `${parsed.errorType}: ${parsed.error}`;
      if (isTooLargeError(status, errorType, message)) throw new TooLarge(scrubSecrets(message, secrets));
      lastError = fail(`HTTP ${status} ${message}`, status);
      if (!RETRYABLE.has(status)) throw lastError;
      await this.backoff(name, attempt, retryAfterMs);
    }
    throw lastError ?? fail('no attempt made');
  }

  /** A request that failed before an answer: fatal (TLS verification, config) or worth retrying. */
  private networkFailure(
    error: unknown,
    fail: (message: string, status?: number, cause?: unknown) => PrometheusQueryError,
  ): { fatal: true; error: Error } | { fatal: false; error: PrometheusQueryError } {
    if (error instanceof PrometheusQueryError || (error as Error).name === 'ConfigError') {
      return { fatal: true, error: error as Error };
    }
    if (isTlsVerificationError(error)) {
      // Not transient: the server's certificate is not trusted. Retrying cannot help, and there is
      // no fallback to plain http.
      return {
        fatal: true,
        error: fail(
          `TLS verification failed: ${describeNetworkError(error)}; set source.caFile to trust a private CA`,
          undefined,
          error,
        ),
      };
    }
    return {
      fatal: false,
      error: fail(
        `${(error as Error).name === 'TimeoutError' ? `no answer within ${this.options.timeoutMs} ms` : describeNetworkError(error)}`,
        undefined,
        error,
      ),
    };
  }

  private async backoff(name: string, attempt: number, retryAfterMs: number | undefined): Promise<void> {
    if (attempt >= this.options.maxRetries) return;
    const exponential = Math.min(
      this.options.maxBackoffMs ?? MAX_BACKOFF_MS,
      (this.options.baseBackoffMs ?? BASE_BACKOFF_MS) * 2 ** attempt,
    );
    const delay = Math.max(retryAfterMs ?? 0, exponential / 2 + this.random() * (exponential / 2));
    this.options.logger.warn('retrying a Prometheus query', {
      query: name,
      attempt: attempt + 1,
      delayMs: Math.round(delay),
    });
    await this.sleep(delay);
  }
}

/** Merges series with the same label set: their points are concatenated (range chunks) or max'ed per timestamp. */
export function mergeSeries(series: PromSeries[], mode: 'concat' | 'max'): PromSeries[] {
  const byKey = new Map<string, { metric: Record<string, string>; parts: PromSeries[] }>();
  for (const s of series) {
    const id = JSON.stringify(Object.entries(s.metric).sort(([a], [b]) => compareStrings(a, b)));
    const entry = byKey.get(id) ?? { metric: s.metric, parts: [] };
    entry.parts.push(s);
    byKey.set(id, entry);
  }
  return [...byKey.values()].map(({ metric, parts }) => {
    if (parts.length === 1) return parts[0]!;
    if (mode === 'concat' && inTimeOrder(parts)) {
      // Consecutive, disjoint chunks (the usual case): append them as they come.
      const merged = new SampleBuilder(parts.reduce((n, part) => n + part.points.length, 0));
      for (const { points: p } of parts) for (let i = 0; i < p.length; i++) merged.push(p.tAt(i), p.vAt(i));
      return { metric, points: merged.build() };
    }
    const points = new Map<number, number>();
    for (const { points: p } of parts) {
      for (let i = 0; i < p.length; i++) {
        const t = p.tAt(i);
        const prev = points.get(t);
        points.set(t, mode === 'max' && prev !== undefined ? Math.max(prev, p.vAt(i)) : p.vAt(i));
      }
    }
    const merged = new SampleBuilder(points.size);
    for (const [t, v] of [...points].sort((a, b) => a[0] - b[0])) merged.push(t, v);
    return { metric, points: merged.build() };
  });
}

/** Whether each part's points all come after the previous part's (so that appending keeps them sorted). */
function inTimeOrder(parts: readonly PromSeries[]): boolean {
  let last = -Infinity;
  for (const { points } of parts) {
    if (points.length === 0) continue;
    if (!(points.tAt(0) > last)) return false;
    last = points.tAt(points.length - 1);
  }
  return true;
}

/** Retry-After as ms: delay-seconds or an HTTP date; capped at a minute. */
export function parseRetryAfter(value: string | null, nowMs = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  const ms = /^\d+(\.\d+)?$/.test(trimmed) ? Number(trimmed) * 1000 : Date.parse(trimmed) - nowMs;
  return Number.isFinite(ms) ? Math.min(60_000, Math.max(0, ms)) : undefined;
}

function seconds(ms: number): string {
  return String(ms / 1000);
}

function describeWindow(window: { startMs: number; endMs: number }): string {
  const iso = (ms: number) => new Date(ms).toISOString();
  return window.startMs === window.endMs
    ? `at ${iso(window.startMs)}`
    : `over ${iso(window.startMs)}..${iso(window.endMs)}`;
}

/**
 * Values of the request headers that may be secret (tokens, signatures, custom headers), and their long
 * parts (a bearer token without "Bearer", a SigV4 signature or credential scope), which a server may echo.
 */
function secretValues(headers: Record<string, string>): string[] {
  const out: string[] = [];
  for (const [name, value] of Object.entries(headers)) {
    if (PUBLIC_HEADERS.has(name.toLowerCase())) continue;
    if (value.length >= 6) out.push(value);
    for (const part of value.split(/[\s,;=]+/)) if (part.length >= 12 && part !== value) out.push(part);
  }
  return out;
}

/** A network error with its cause (undici wraps ECONNRESET, certificate errors, ... in "fetch failed"). */
function describeNetworkError(error: unknown): string {
  // node:https puts the code on the error itself, fetch (undici) on its cause: name it either way.
  const e = error as Error & { code?: string; cause?: { code?: string; message?: string } };
  const cause = e.cause?.code ?? e.code ?? e.cause?.message;
  return cause && !e.message.includes(cause) ? `${e.message} (${cause})` : e.message;
}

const TLS_VERIFY_CODES =
  /^(CERT_|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|SELF_SIGNED_CERT|DEPTH_ZERO_SELF_SIGNED|ERR_TLS_CERT_ALTNAME|HOSTNAME_MISMATCH)/;

/** True when a request failed because the server's certificate could not be verified. */
function isTlsVerificationError(error: unknown): boolean {
  const e = error as { code?: string; cause?: { code?: string } };
  return TLS_VERIFY_CODES.test(e.cause?.code ?? e.code ?? '');
}
