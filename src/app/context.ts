import type { Config } from '../config/schema.ts';
import type {
  BillingExportSource,
  BlobStore,
  Clock,
  Logger,
  MessageSender,
  MetricsSink,
  ObservationSource,
} from '../ports.ts';
import type { Redactor } from '../redact.ts';
import type { MonthPdfSession } from '../render/pdf/monthPdfs.ts';

/** Everything a use case needs, wired by the CLI, a Lambda handler or a test. */
export interface AppContext {
  config: Config;
  source: ObservationSource;
  store: BlobStore;
  metrics: MetricsSink;
  /** Redacts everything it writes with `redactor` (src/adapters/log/logger.ts). */
  logger: Logger;
  clock: Clock;
  /** The cloud's cost export (config `billing`); absent without one. */
  billing?: BillingExportSource;
  /**
   * What the run must never print (its known secrets, and whatever looks like one): the logger's, and
   * the one error path's (the CLI's last line, the error a Lambda handler rethrows). Absent: shapes only.
   */
  redactor?: Redactor;
  /** How team leads are reached (config `delivery`); absent: nothing is ever sent. */
  delivery?: DeliveryWiring;
  /**
   * Where a run renders its PDFs (a session per run): the built CLI draws them in a worker thread while
   * the month's CSVs are written (src/render/pdf/workerPdfs.ts). Absent: in the calling thread
   * (IN_THREAD_PDFS); the bytes are the same either way.
   */
  pdfs?: () => MonthPdfSession;
  /**
   * The memory (MB) this process may use, where something bounds it (a Lambda's memory size). A run that
   * meters several days at once keeps their shards' estimated memory within it (shardDataMb); absent: the
   * config's `sharding.memoryBudgetMb`, the memory one metering invocation may use.
   */
  memoryMb?: number;
}

/** How delivery reaches team leads: the sender (src/adapters/delivery) and where webhook URLs are read. */
export interface DeliveryWiring {
  sender: MessageSender;
  /** The environment the configured variables are read from (process.env; a Lambda's secrets arrive there). */
  env: Record<string, string | undefined>;
}

/** Output key layout shared by local directories and S3 (relative to the store's prefix). */
export const keys = {
  monthDir: (month: string) => `${month}/`,
  chargebackCsv: (month: string) => `${month}/chargeback.csv`,
  teamCsv: (month: string, teamFile: string) => `${month}/teams/${teamFile}.csv`,
  /** The team lead's pack: one folder per team file name (covered by the team's IAM prefix). */
  teamReportPdf: (month: string, teamFile: string) => `${month}/teams/${teamFile}/report.pdf`,
  teamCostsCsv: (month: string, teamFile: string) => `${month}/teams/${teamFile}/costs.csv`,
  /** Every column of the month's CSVs explained. */
  columnsMd: (month: string) => `${month}/COLUMNS.md`,
  usageCsv: (month: string) => `${month}/usage.csv`,
  nodesCsv: (month: string) => `${month}/nodes.csv`,
  /** Only with a billing export: the month against the invoice. */
  reconciliationCsv: (month: string) => `${month}/reconciliation.csv`,
  /** Only with a billing export: the chargeback as a FOCUS 1.2 dataset. */
  focusCsv: (month: string) => `${month}/focus.csv`,
  summaryJson: (month: string) => `${month}/summary.json`,
  pdf: (month: string) => `${month}/executive-report.pdf`,
  /** The browsable view: one static, self-contained HTML page. */
  htmlReport: (month: string) => `${month}/report.html`,
  manifest: (month: string) => `${month}/manifest.json`,
  lock: (month: string) => `${month}/.lock`,
  /** Daily metering partial (a MeteredDay as JSON). */
  dayPartial: (date: string) => `usage/${date}.json`,
  /** The partials of a day metered in shards: one per shard, `shard-<i>-of-<n>.json` (1-based). */
  dayShardsDir: (date: string) => `usage/${date}/`,
  shardPartial: (date: string, index: number, count: number) =>
    `usage/${date}/shard-${index + 1}-of-${count}.json`,
} as const;
