/**
 * The small interfaces behind which all I/O sits. Use cases in src/app receive these; the core never
 * sees them. Adapters live in src/adapters/<kind>/.
 */
import type { InvoiceLine } from './core/billing/ledger.ts';
import type { FleetSize, PodName } from './core/metering/index.ts';
import type { ScrapeIntervals, Shard, StepGrid, TimeRange, WindowObservations } from './core/types.ts';

/** An exporter whose scrape interval metering needs (the keys of metering.scrapeIntervalSeconds). */
export type Exporter = 'kubeStateMetrics' | 'dcgm';

/**
 * Given a window's observations without DCGM_FI_DEV_GPU_UTIL's pod series, the pods whose metering can
 * read that family (src/core/metering/gpuUtilDemand.ts podsReadingGpuUtil): pure.
 */
export type GpuUtilDemand = (withoutGpuUtil: WindowObservations) => readonly PodName[];

/** Where metrics come from: a real Prometheus (or Thanos/Mimir/AMP), or the embedded demo cluster. */
export interface ObservationSource {
  readonly kind: 'prometheus' | 'demo';
  /** Human-readable description recorded in outputs, e.g. "demo: seeded synthetic cluster (seed 42)". */
  readonly description: string;
  /**
   * The scrape interval (seconds) of `exporter` detected from its raw samples around `range`; null when
   * it has none there. Sources only detect: configured intervals win in `scrapeIntervalsFor`
   * (src/app/meterOptions.ts), the one place that decides.
   */
  detectScrapeInterval(exporter: Exporter, range: TimeRange): Promise<number | null>;
  /**
   * All observations metering needs on `grid` (points at grid.startMs + k*stepMs, k >= 1, up to grid.endMs);
   * with `shard` (count > 1) at least those of that shard's nodes and pods and the shared ones (see
   * src/core/metering/shards.ts: metering keeps exactly the shard's part), so a source can read less.
   * With `gpuUtilFor`, a source may also leave DCGM_FI_DEV_GPU_UTIL unread for the pods metering meters
   * from DCGM_FI_PROF_GR_ENGINE_ACTIVE: what it returns then meters exactly as what it returns without.
   */
  observe(
    grid: StepGrid,
    scrape: ScrapeIntervals,
    shard?: Shard,
    gpuUtilFor?: GpuUtilDemand,
  ): Promise<WindowObservations>;
  /**
   * The fleet's size over `range` (a day), cheaply, for the shard plan; absent when the source cannot
   * tell (the day is then metered whole unless config `sharding.shards` says otherwise).
   */
  measureFleet?(range: TimeRange): Promise<FleetSize>;
  /**
   * Whether each of `windows` holds any sample the source reads for metering, learned for all of them at
   * once (one or two round trips); the source then answers every question inside a window without
   * samples (detectScrapeInterval, observe of a whole day, measureFleet) without asking, exactly as
   * asking would have. Absent when the source cannot tell cheaply.
   */
  surveyWindows?(windows: readonly TimeRange[]): Promise<boolean[]>;
}

/**
 * A local file written once with its size and SHA-256 computed on the way (see `spoolChunks` in
 * src/adapters/fs/spool.ts): how month-sized outputs travel to a BlobStore without being held in memory.
 */
export interface SpooledFile {
  /** Absolute path of the local file. */
  readonly path: string;
  readonly bytes: number;
  /** SHA-256 of the file's bytes, hex. */
  readonly sha256: string;
}

/** An object's bytes with its version tag (see BlobStore.getVersioned). */
export interface VersionedObject {
  body: Uint8Array;
  /** Opaque tag that changes whenever the object is replaced (S3: the ETag). */
  etag: string;
}

/** A flat key/value store for outputs and partials: a local directory or an S3 bucket/prefix. */
export interface BlobStore {
  /** Description for logs, e.g. "s3://bucket/prefix" or "/abs/path". */
  readonly location: string;
  put(key: string, body: Uint8Array | string, contentType: string): Promise<void>;
  /**
   * Writes the local file at `path` to `key` as `put` would, streaming it (S3: multipart when large), so
   * that a file of any size never sits in memory whole. The file must not change while this runs.
   */
  putFile(key: string, path: string, contentType: string): Promise<void>;
  /** Returns undefined when the key does not exist. */
  get(key: string): Promise<Uint8Array | undefined>;
  list(prefix: string): Promise<string[]>;
  delete(key: string): Promise<void>;
  /** Writes only if the key does not exist; returns false when it already exists (locks, first commits). */
  putIfAbsent(key: string, body: Uint8Array | string, contentType: string): Promise<boolean>;
  /** Reads `key` with its version tag (S3: the ETag; a directory: the bytes' SHA-256); undefined when absent. */
  getVersioned(key: string): Promise<VersionedObject | undefined>;
  /**
   * Compare-and-swap: replaces `key` only while its version tag is still `etag` (S3: PutObject `If-Match`);
   * returns false, writing nothing, when the object was replaced or deleted since it was read.
   */
  putIfMatch(key: string, body: Uint8Array | string, contentType: string, etag: string): Promise<boolean>;
}

/** One metric datum for CloudWatch (or any metrics sink). */
export interface MetricDatum {
  name: string;
  value: number;
  unit: 'None' | 'Count' | 'Seconds' | 'Percent';
  dimensions?: Record<string, string>;
}

/** Where run metrics go (CloudWatch in AWS; a no-op or a log locally). */
export interface MetricsSink {
  publish(data: MetricDatum[]): Promise<void>;
}

/** Progress and structured logs; always to stderr, never stdout. */
export interface Logger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  /** A progress step (e.g. a day metered); TTY loggers draw a progress line. */
  progress(done: number, total: number, label: string): void;
  /**
   * A run enters a stage ("metering days", "pricing", "rendering", "publishing"), or leaves the last one
   * (null). A terminal logger shows one updating line per stage; JSON loggers write nothing for it.
   */
  stage?(name: string | null): void;
}

/** The clock, injected so that use cases are testable. */
export interface Clock {
  nowMs(): number;
}

/** What a month needs from a cost export (see {@link BillingExportSource}). */
export interface BillingExportRequest {
  /** The month: lines whose charge period does not overlap it are skipped. */
  range: TimeRange;
  /** The billing currency: a used line in another currency is an error (no amount is converted). */
  currency: string;
  /** Keys (instanceKeyOf) of the nodes' cloud instances: their lines are kept whatever their type. */
  instanceKeys: ReadonlySet<string>;
  /** Whether an instance type has GPUs: lines of other instances outside `instanceKeys` are skipped. */
  isGpuInstanceType(instanceType: string): boolean;
  /** Cost-allocation tag keys naming an instance's team and project. */
  tags: { team: string; project: string };
}

/** Where a month's lines go while the export is streamed (InvoiceLedger in src/core/billing). */
export interface InvoiceSink {
  add(line: InvoiceLine): void;
  /** The end of any usage line of a billing account (GPU or not): how far the export covers the month. */
  noteCoverage(billingAccountId: string, endMs: number): void;
}

/** What reading an export did, for logs and the summary. */
export interface BillingReadStats {
  files: number;
  rows: number;
  /** Rows kept (lines of the wanted instances within the month). */
  lines: number;
}

/**
 * The cloud's cost export (FOCUS or AWS CUR 2.0 files in a folder or under an s3:// prefix), streamed:
 * a month of a large account is gigabytes, so rows are read one at a time and only the wanted instances'
 * lines reach the sink. A malformed used row is a {@link BillingExportError} naming its file and row.
 */
export interface BillingExportSource {
  readonly format: 'focus' | 'cur2';
  /** Where the export is read from (no credentials), e.g. "s3://bucket/exports/focus/". */
  readonly description: string;
  read(request: BillingExportRequest, sink: InvoiceSink): Promise<BillingReadStats>;
}

/** Where one message to a team lead goes: a chat webhook (its URL is a secret) or an email address. */
export type DeliveryTarget = { kind: 'slack' | 'teams'; url: string } | { kind: 'email'; address: string };

/** One message to a team lead in the shape each channel takes (built by src/render/message/leadMessage.ts). */
export interface LeadMessage {
  /** Email subject. */
  subject: string;
  /** Plain text: the email body, and what a chat shows in a notification. */
  text: string;
  /** Slack incoming-webhook payload (`text` and `blocks`). */
  slack: unknown;
  /** Microsoft Teams incoming-webhook / Workflows payload (a message with one Adaptive Card). */
  teams: unknown;
}

/** What one attempt to send gave; `retryable` for a 5xx answer or a connection that failed before any answer. */
export type SendResult =
  { ok: true; status: number } | { ok: false; retryable: boolean; reason: string; status?: number };

/**
 * Sends one message to a team lead, one attempt, within `timeoutMs` (src/adapters/delivery). It never
 * throws: every failure is a result, so a delivery can never fail the publication before it. The caller
 * (src/app/deliverMonth.ts) decides about the one retry. A sender that cannot reach a kind of target
 * (email without SES) leaves it out of `kinds`; such recipients are reported as skipped.
 */
export interface MessageSender {
  readonly kinds: ReadonlySet<DeliveryTarget['kind']>;
  send(target: DeliveryTarget, message: LeadMessage, timeoutMs: number): Promise<SendResult>;
}
