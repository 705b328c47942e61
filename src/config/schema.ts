import { IANAZone } from 'luxon';
import { z } from 'zod';
import { MAX_SHARDS } from '../core/metering/shards.ts';
import { DEFAULT_MIG_SLICES_PER_GPU } from '../core/metering/weights.ts';
import { KNOWN_CURRENCIES, minorDigits } from '../core/money.ts';
import { outputLocationProblem } from './outputLocation.ts';

/**
 * The one configuration schema. Every field has a default that is safe for billing, so a config file
 * only states what differs. Every object is strict: a key the schema does not know (a typo such as
 * `platfromTeam`, `spotPrice`, `timeoutSecs`, or a secret such as `auth.token`) is an error with its path,
 * never silently ignored. Validation errors are reported all at once, each with its path, including the
 * rules across fields, which run whatever else is wrong (see loadConfig / formatConfigIssues).
 */

const timeZone = z
  .string()
  .refine((zone) => IANAZone.isValidZone(zone), { message: 'must be an IANA time zone such as Asia/Seoul' });

const positiveMoney = z.number().nonnegative().finite();

/** Upper bound of source.timeoutSeconds: a request allowed to run longer could not finish within one Lambda run. */
export const MAX_TIMEOUT_SECONDS = 600;

/** Defaults of metering.idleHeld: below 5 % utilization for longer than 15 minutes (the standard: 10–15). */
export const IDLE_HELD_DEFAULTS = { utilizationBelowPct: 5, forMinutes: 15 } as const;

const labelList = z.array(z.string().min(1)).min(1);

/** Default node labels (KSM spelling) for the instance type. */
const INSTANCE_TYPE_LABELS = [
  'label_node_kubernetes_io_instance_type',
  'label_beta_kubernetes_io_instance_type',
];

/**
 * Default node labels (KSM spelling) for the capacity type: Karpenter `karpenter.sh/capacity-type`,
 * EKS managed node groups `eks.amazonaws.com/capacityType`, GKE `cloud.google.com/gke-spot` and
 * `cloud.google.com/gke-preemptible`, AKS `kubernetes.azure.com/scalesetpriority`.
 */
const CAPACITY_TYPE_LABELS = [
  'label_karpenter_sh_capacity_type',
  'label_eks_amazonaws_com_capacity_type',
  'label_cloud_google_com_gke_spot',
  'label_cloud_google_com_gke_preemptible',
  'label_kubernetes_azure_com_scalesetpriority',
];

const nodeLabelsDefault = () => ({
  instanceType: [...INSTANCE_TYPE_LABELS],
  capacityType: [...CAPACITY_TYPE_LABELS],
  capacityTypeValues: {},
});

/** Longest lifetime of a SigV4 presigned URL (S3 refuses longer): 7 days. */
export const MAX_LINK_SECONDS = 604_800;

/** Name of an environment variable (POSIX portable: letters, digits, underscore, not starting with a digit). */
const envName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be the NAME of an environment variable (the URL is a secret)');

/** Where one team lead is reached: at least one of a Slack webhook, a Teams webhook, an email address. */
const deliveryRecipientSchema = z
  .strictObject({
    /** Environment variable holding the Slack incoming-webhook URL (never the URL itself). */
    slackWebhookEnv: envName.optional(),
    /** Environment variable holding the Microsoft Teams incoming-webhook (or Workflows) URL. */
    teamsWebhookEnv: envName.optional(),
    /** The lead's email address (sent with Amazon SES; see the README for what this build does). */
    email: z.email().optional(),
  })
  .refine((r) => r.slackWebhookEnv ?? r.teamsWebhookEnv ?? r.email, {
    message: 'needs at least one of slackWebhookEnv, teamsWebhookEnv or email',
  });

/** A per-node-label rule for the physical GPUs of nodes without a catalog entry or GFD count (on-prem). */
const physicalGpuRuleSchema = z.strictObject({
  /** A kube_node_labels label in KSM spelling, e.g. label_node_role or label_nvidia_com_gpu_machine. */
  nodeLabel: z.string().min(1),
  value: z.string(),
  gpus: z.number().int().positive(),
  gpuModel: z.string().min(1).optional(),
});

/**
 * Labels that identify what is billed (besides source.clusterLabel): the Prometheus queries group by
 * them (queries/*.promql; utilization by GPU and pod). A dedupe label must not be one of them, or
 * different pods, nodes or GPUs would be merged as if they were HA replicas.
 */
export const IDENTITY_LABELS: readonly string[] = [
  'namespace',
  'pod',
  'uid',
  'container',
  'node',
  'resource',
  'UUID',
  'GPU_I_ID',
  'exported_namespace',
  'exported_pod',
];

/** An hourly instance price catalog entry. */
const instanceTypeSchema = z.strictObject({
  gpus: z.number().int().positive(),
  gpuModel: z.string().min(1),
  /** On-Demand price per instance-hour, in pricing.priceCurrency. */
  onDemand: positiveMoney,
  /** Spot price per instance-hour; defaults to On-Demand when absent (flagged in warnings). */
  spot: positiveMoney.optional(),
  /** Committed (RI / Savings Plan) effective price per instance-hour, used for capacity type "reserved". */
  committed: positiveMoney.optional(),
});

const isoInstant = z
  .string()
  .refine((s) => !Number.isNaN(Date.parse(s)) && /T.*(Z|[+-]\d\d:?\d\d)$/.test(s), {
    message: 'must be an ISO 8601 instant with an offset, e.g. 2026-03-14T12:00:00Z',
  });

const priceOverrideSchema = z.strictObject({
  /** The instance type whose price changes (per instance-hour); or `gpuModel` (per GPU-hour, on-prem). */
  instanceType: z.string().min(1).optional(),
  gpuModel: z.string().min(1).optional(),
  capacityType: z.enum(['on-demand', 'spot', 'committed']),
  /** The price applies from this instant (inclusive) until the next override of the same key. */
  from: isoInstant,
  price: positiveMoney,
  cluster: z.string().optional(),
});

export const configSchema = z
  .strictObject({
    /** IANA time zone of billing months and days. */
    timezone: timeZone.default('UTC'),
    source: z
      .strictObject({
        kind: z.enum(['prometheus', 'demo']).default('prometheus'),
        url: z.url().optional(),
        auth: z
          .discriminatedUnion('kind', [
            z.strictObject({ kind: z.literal('none') }),
            z.strictObject({
              kind: z.literal('bearer'),
              /** Name of the environment variable holding the token (never put the token in the file). */
              tokenEnv: z.string().min(1).optional(),
              tokenFile: z.string().min(1).optional(),
            }),
            z.strictObject({
              kind: z.literal('sigv4'),
              region: z.string().min(1),
              service: z.string().default('aps'),
            }),
          ])
          .default({ kind: 'none' }),
        /** Tenant header for Mimir (X-Scope-OrgID) or Thanos (THANOS-TENANT). */
        tenant: z.strictObject({ header: z.string().min(1), value: z.string().min(1) }).optional(),
        headers: z.record(z.string(), z.string()).default({}),
        /** PEM file of an extra CA to trust for TLS to Prometheus. */
        caFile: z.string().optional(),
        /**
         * Whether answers may come gzip-compressed. Compressing the raw answers costs the Prometheus
         * server two thirds of its CPU for a metered day (measured, docs/performance.md): "none" (the
         * default) asks for uncompressed answers; "gzip" only when the network, not Prometheus' CPU, is
         * the limit (an http:// Prometheus far away; https:// requests never ask for gzip).
         */
        compression: z.enum(['gzip', 'none']).default('none'),
        /**
         * Who evaluates the per-step queries (running, utilization, node capacity and presence):
         * "adapter" (the default): raw samples read once (instant queries of plain range selectors) and
         * evaluated step by step here, with the same answers bit for bit (test/integration/rawSteps.test.ts)
         * at a fraction of Prometheus' CPU; or "prometheus" (query_range).
         */
        stepEvaluation: z.enum(['prometheus', 'adapter']).default('adapter'),
        /**
         * How the adapter's raw samples are read (with stepEvaluation "adapter"): "query" (the default)
         * through the query API, or "remote" through Prometheus' remote-read API (streamed XOR chunks:
         * Prometheus sends its stored chunks, no JSON: 1.0-1.2 x the raw-read floor of its CPU for a day
         * metered whole instead of 2.8-3.8 x, the same samples bit for bit). Only a Prometheus server
         * without external labels answers remote reads
         * exactly; anything else (Thanos, Mimir, AMP, external labels, a failed remote read) is detected and
         * read through the query API for the rest of the run, with one warning.
         */
        readApi: z.enum(['query', 'remote']).default('query'),
        /** Per request; at most 600 s (a request that takes longer cannot finish within a Lambda run). */
        timeoutSeconds: z.number().positive().max(MAX_TIMEOUT_SECONDS).default(120),
        maxRetries: z.number().int().min(0).max(10).default(4),
        /** External label that names the cluster of a series; absent = single cluster. */
        clusterLabel: z.string().min(1).optional(),
        /** Labels that only distinguish HA replicas; series differing only by them are counted once. */
        dedupeLabels: z.array(z.string()).default(['replica', 'prometheus_replica']),
        /** Extra label matchers added to every selector, e.g. 'cluster=~"prod-.*"'. */
        selector: z.string().optional(),
      })
      .default({
        kind: 'prometheus',
        auth: { kind: 'none' },
        headers: {},
        compression: 'none',
        stepEvaluation: 'adapter',
        readApi: 'query',
        timeoutSeconds: 120,
        maxRetries: 4,
        dedupeLabels: ['replica', 'prometheus_replica'],
      }),
    metering: z
      .strictObject({
        /** Override the scrape intervals detected from the data. */
        scrapeIntervalSeconds: z
          .strictObject({
            kubeStateMetrics: z.number().positive().optional(),
            dcgm: z.number().positive().optional(),
          })
          .default({}),
        /** Whether a pod Pending on a node (pulling images, holding its GPUs) is charged. */
        pendingOnNode: z.enum(['not-charged', 'charged']).default('not-charged'),
        /** A gap in a pod's Running samples up to this long, with Running on both sides, is bridged. */
        maxBridgeSeconds: z.number().int().min(0).max(86_400).default(3600),
        /**
         * GPUs held while idle (summary.json `idleHeld`): a pod's held GPU time counts when its GPU
         * utilization stayed below `utilizationBelowPct` for longer than `forMinutes` without a break
         * (the operating standard: scale in after 10–15 idle minutes). Unknown utilization is never idle.
         */
        idleHeld: z
          .strictObject({
            utilizationBelowPct: z.number().gt(0).max(100).default(IDLE_HELD_DEFAULTS.utilizationBelowPct),
            forMinutes: z.number().min(0).max(1440).default(IDLE_HELD_DEFAULTS.forMinutes),
          })
          .default({ ...IDLE_HELD_DEFAULTS }),
        /** Compute slices of a whole GPU, per GPU model, for MIG weights (g / slices). */
        migSlicesPerGpu: z
          .record(z.string(), z.number().int().positive())
          .default({ ...DEFAULT_MIG_SLICES_PER_GPU }),
        nodeLabels: z
          .strictObject({
            instanceType: labelList.default([...INSTANCE_TYPE_LABELS]),
            capacityType: labelList.default([...CAPACITY_TYPE_LABELS]),
            /**
             * What the values of a capacity-type label mean, per label (KSM spelling), e.g.
             * `{ label_node_pool_tier: { cheap: spot } }`; wins over the built-in meanings.
             */
            capacityTypeValues: z
              .record(z.string(), z.record(z.string(), z.enum(['spot', 'on-demand', 'reserved'])))
              .default({}),
          })
          .default(nodeLabelsDefault()),
        /** Physical GPUs of nodes with neither a catalog instance type nor GFD labels; first match wins. */
        physicalGpus: z.array(physicalGpuRuleSchema).default([]),
        team: z
          .strictObject({
            podLabels: z.array(z.string()).default(['label_team']),
            namespaceLabels: z.array(z.string()).default(['label_team']),
            default: z.string().min(1).default('unallocated'),
          })
          .default({ podLabels: ['label_team'], namespaceLabels: ['label_team'], default: 'unallocated' }),
        project: z
          .strictObject({
            podLabels: z.array(z.string()).default(['label_project']),
            namespaceLabels: z.array(z.string()).default(['label_project']),
            default: z.string().min(1).default('unallocated'),
          })
          .default({
            podLabels: ['label_project'],
            namespaceLabels: ['label_project'],
            default: 'unallocated',
          }),
      })
      .default({
        scrapeIntervalSeconds: {},
        pendingOnNode: 'not-charged',
        maxBridgeSeconds: 3600,
        idleHeld: { ...IDLE_HELD_DEFAULTS },
        migSlicesPerGpu: { ...DEFAULT_MIG_SLICES_PER_GPU },
        nodeLabels: nodeLabelsDefault(),
        physicalGpus: [],
        team: { podLabels: ['label_team'], namespaceLabels: ['label_team'], default: 'unallocated' },
        project: { podLabels: ['label_project'], namespaceLabels: ['label_project'], default: 'unallocated' },
      }),
    pricing: z
      .strictObject({
        /** Version label of the catalog, recorded on every output. */
        catalogVersion: z.string().min(1).default('unversioned'),
        /** Currency the catalog prices are in. */
        priceCurrency: z
          .string()
          .regex(/^[A-Z]{3}$/)
          .default('USD'),
        /**
         * Currency of the bill; when it differs from priceCurrency, conversionRate is required. Only codes
         * whose ISO 4217 minor unit is known are accepted (money is rounded to it).
         */
        currency: z
          .string()
          .regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as USD or KRW')
          .refine((code) => minorDigits(code) !== undefined, {
            message: `has no known ISO 4217 minor unit (known: ${KNOWN_CURRENCIES.join(', ')})`,
          })
          .default('USD'),
        /** Fixed rate: units of `currency` per one unit of `priceCurrency`, as a decimal string (e.g. "1385.20"). */
        conversionRate: z
          .string()
          .regex(/^\d+(\.\d+)?$/, 'must be a positive decimal string such as "1385.20"')
          .optional(),
        instanceTypes: z.record(z.string(), instanceTypeSchema).default({}),
        /**
         * On-prem (or any node whose instance type is not in the catalog) priced per GPU-hour by GPU
         * model: the node's model (catalog, metering.physicalGpus rule or GFD gpu.product, e.g.
         * A100-SXM4-40GB) matches a key exactly, else the longest key it starts with (A100).
         */
        gpuModels: z
          .record(
            z.string(),
            z.strictObject({ perGpuHour: positiveMoney, spotPerGpuHour: positiveMoney.optional() }),
          )
          .default({}),
        overrides: z.array(priceOverrideSchema).default([]),
        /** Used for instance types missing from the catalog; every affected row is flagged. Absent = error. */
        fallback: z
          .strictObject({
            onDemandPerGpuHour: positiveMoney,
            spotPerGpuHour: positiveMoney.optional(),
            gpuModel: z.string().default('unknown'),
          })
          .optional(),
        /** Per-cluster catalog overrides (e.g. a region with other prices). */
        byCluster: z
          .record(z.string(), z.strictObject({ instanceTypes: z.record(z.string(), instanceTypeSchema) }))
          .default({}),
      })
      .default({
        catalogVersion: 'unversioned',
        priceCurrency: 'USD',
        currency: 'USD',
        instanceTypes: {},
        gpuModels: {},
        overrides: [],
        byCluster: {},
      }),
    allocation: z
      .strictObject({
        utilization: z
          .strictObject({
            mode: z.enum(['allocation', 'utilization', 'floor']).default('allocation'),
            /** For mode "floor": the minimum utilization paid, 0..1. */
            floor: z.number().min(0).max(1).default(0.25),
          })
          .default({ mode: 'allocation', floor: 0.25 }),
        idle: z
          .strictObject({
            mode: z.enum(['separate', 'share-by-node', 'share-by-cluster']).default('separate'),
            /** Team charged for idle capacity (and unused allocation) under mode "separate". */
            platformTeam: z.string().min(1).default('platform'),
          })
          .default({ mode: 'separate', platformTeam: 'platform' }),
      })
      .default({
        utilization: { mode: 'allocation', floor: 0.25 },
        idle: { mode: 'separate', platformTeam: 'platform' },
      }),
    report: z
      .strictObject({
        language: z.enum(['en', 'ko']).default('en'),
        title: z.string().optional(),
        /** Monthly budgets per team, in report.budgetCurrency. */
        budgets: z.record(z.string(), positiveMoney).default({}),
        /**
         * The currency the budgets are written in: the billing currency (pricing.currency) or the catalog's
         * pricing.priceCurrency (converted at pricing.conversionRate). Required with budgets when the two differ.
         */
        budgetCurrency: z
          .string()
          .regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as USD or KRW')
          .optional(),
        /** The PDF's right-sizing list shows workloads below this GPU utilization, in percent. */
        lowUtilizationBelowPct: z.number().min(0).max(100).default(50),
        /** Percentile of hourly demand covered by an On-Demand baseline in the capacity advice. */
        baselinePercentile: z.number().min(0).max(100).default(50),
      })
      .default({ language: 'en', budgets: {}, baselinePercentile: 50, lowUtilizationBelowPct: 50 }),
    output: z
      .strictObject({
        /** Directory or s3://bucket/prefix (`s3:/bucket`, `s3:bucket` and other URL schemes are errors). */
        location: z
          .string()
          .min(1)
          .superRefine((location, ctx) => {
            const problem = outputLocationProblem(location);
            if (problem) ctx.addIssue({ code: 'custom', message: problem });
          })
          .default('./reports'),
        kmsKeyId: z.string().optional(),
        /** S3-compatible endpoint (MinIO, a local test server); path-style addressing is used with it. */
        endpoint: z.url().optional(),
        /** AWS region of the bucket (default: the SDK's region resolution). */
        region: z.string().optional(),
        /** A lock older than this is considered abandoned. */
        lockStaleSeconds: z.number().int().positive().default(1800),
      })
      .default({ location: './reports', lockStaleSeconds: 1800 }),
    cloudwatch: z
      .strictObject({
        enabled: z.boolean().default(false),
        namespace: z.string().min(1).default('GpuChargeback'),
        coverageAlarmThreshold: z.number().min(0).max(1).default(0.95),
      })
      .default({ enabled: false, namespace: 'GpuChargeback', coverageAlarmThreshold: 0.95 }),
    /**
     * What a run refuses to do unless forced (`--force --reason TEXT`, recorded in the manifest): publish a
     * month with too little data, restate a published month by more than these shares, replace a stored
     * daily partial with an emptier one, or bill from a day metered before its samples had all arrived.
     * The defaults are billing-safe: a restatement that moves money materially needs a human's reason.
     */
    guard: z
      .strictObject({
        /** No month is published (first time or restated) with kube-state-metrics coverage below this, 0..100. */
        minCoveragePct: z.number().min(0).max(100).default(90),
        /** A restatement (or a re-metered day) may lose at most this many percentage points of coverage. */
        maxCoverageDropPct: z.number().min(0).max(100).default(1),
        /** A restatement may move the month's total by at most this share of the published total, in percent. */
        maxTotalChangePct: z.number().min(0).default(5),
        /** A restatement may move any team's amount by at most this share of its published amount, in percent… */
        maxTeamChangePct: z.number().min(0).default(10),
        /** …unless the move is at most this share of the published month total, in percent (small teams). */
        minTeamChangePctOfTotal: z.number().min(0).max(100).default(0.5),
        /** A re-metered day may hold at most this share fewer GPU-seconds (allocated or capacity) than the stored one. */
        maxDayUsageDropPct: z.number().min(0).max(100).default(5),
        /**
         * How long after a day ends the source holds all its samples (remote-write backlog, Thanos/AMP
         * ingestion). A day metered earlier is re-metered before a month is billed from it.
         */
        ingestionDelaySeconds: z.number().int().min(0).max(604_800).default(1800),
        /** The first billing month that can hold data (YYYY-MM): earlier months (year 0000, 1969) are refused. */
        earliestMonth: z
          .string()
          .regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'must be a month written YYYY-MM')
          .default('2015-01'),
      })
      .default({
        minCoveragePct: 90,
        maxCoverageDropPct: 1,
        maxTotalChangePct: 5,
        maxTeamChangePct: 10,
        minTeamChangePctOfTotal: 0.5,
        maxDayUsageDropPct: 5,
        ingestionDelaySeconds: 1800,
        earliestMonth: '2015-01',
      }),
    /**
     * How a day too big for one invocation's memory is metered in shards (nodes by a hash of their name,
     * with their pods); the result is exactly the day metered whole. Not part of any metering key: the
     * plan a day was metered under is recorded with its partials.
     */
    sharding: z
      .object({
        /** Memory (MB) one metering invocation may use; the plan keeps each shard's estimate within half of it. */
        memoryBudgetMb: z.number().int().min(512).max(10_240).default(3008),
        /** "auto" (from the fleet's size and memoryBudgetMb) or a fixed number of shards per day (1 = never split). */
        shards: z.union([z.literal('auto'), z.number().int().min(1).max(MAX_SHARDS)]).default('auto'),
      })
      .strict()
      .default({ memoryBudgetMb: 3008, shards: 'auto' }),
    /**
     * Per cluster (a value of source.clusterLabel): the AWS account and region it runs in, for the
     * FOCUS SubAccountId and RegionId columns. Prices per cluster live in pricing.byCluster.
     */
    clusters: z
      .record(
        z.string(),
        z.strictObject({
          accountId: z
            .string()
            .regex(/^\d{12}$/, 'must be a 12-digit AWS account id')
            .optional(),
          region: z
            .string()
            .regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, 'must be an AWS region such as us-east-1')
            .optional(),
        }),
      )
      .default({}),
    /**
     * The cloud's own cost export (issue #17): with it, each node's GPU-hours are priced at what its
     * instance actually cost on the invoice, the month is reconciled against the invoice
     * (reconciliation.csv, summary.json `invoice`), and GPU instances outside every cluster are charged
     * to the team of their cost-allocation tag. Absent: prices come from `pricing` alone and nothing of
     * this is written. See docs/billing.md.
     */
    billing: z
      .object({
        /** FOCUS (AWS Data Exports FOCUS 1.x, Azure Cost Management FOCUS, Google Cloud FOCUS) or AWS CUR 2.0. */
        format: z.enum(['focus', 'cur2']),
        /** A directory or an s3://bucket/prefix holding the export's files (*.csv, *.csv.gz). */
        location: z.string().min(1),
        /** S3-compatible endpoint (a local test server); path-style addressing is used with it. */
        endpoint: z.url().optional(),
        /** AWS region of the export's bucket (default: the SDK's region resolution). */
        region: z.string().optional(),
        /** Cost-allocation tag keys naming the team and project of an instance outside every cluster. */
        tags: z
          .object({ team: z.string().min(1).default('team'), project: z.string().min(1).default('project') })
          .strict()
          .default({ team: 'team', project: 'project' }),
        /**
         * GPU instance types outside the price catalog (their GPUs and model): an instance of such a type on
         * the invoice that no cluster reports is a GPU server outside Kubernetes. Catalog types count already.
         */
        gpuInstanceTypes: z
          .record(
            z.string(),
            z.object({ gpus: z.number().int().positive(), gpuModel: z.string().min(1) }).strict(),
          )
          .default({}),
      })
      .strict()
      .optional(),
    /**
     * After a month is published, each team lead gets a message with time-limited links to the team's
     * pack and the month's report.html (src/app/deliverMonth.ts). Webhook URLs are secrets: the config
     * names the environment variables that hold them, never the URLs. Delivery never fails a publish.
     */
    delivery: z
      .strictObject({
        enabled: z.boolean().default(false),
        /** Lifetime of a presigned link; 604,800 s (7 days) is the longest SigV4 allows. */
        linkExpiresInSeconds: z.number().int().min(60).max(MAX_LINK_SECONDS).default(MAX_LINK_SECONDS),
        /** Timeout of one send (one HTTP request); a 5xx or a connection error is retried once. */
        timeoutSeconds: z.number().int().min(1).max(60).default(10),
        /** Where each team's lead is reached, by team name (the team label's value). */
        teams: z.record(z.string().min(1), deliveryRecipientSchema).default({}),
      })
      .optional(),
  })
  // Cross-field rules run whatever else is wrong, so every problem is reported at once.
  .superRefine((cfg, ctx) => crossFieldRules(cfg, ctx), { when: () => true });

/** Validated configuration with all defaults applied. */
export type Config = z.infer<typeof configSchema>;
/** Configuration as written in a file (defaults optional). */
export type ConfigInput = z.input<typeof configSchema>;

/** A path of the config, as zod reports it. */
type IssuePath = readonly PropertyKey[];

const isPrefix = (a: IssuePath, b: IssuePath) =>
  a.length <= b.length && a.every((k, i) => String(k) === String(b[i]));

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The rules across settings. They run even when other settings are invalid, so that every problem is
 * reported at once; a rule is skipped only when a setting it reads is itself invalid (that setting's own
 * error says what to fix), never because of an unrelated error or an unknown key elsewhere.
 */
function crossFieldRules(cfg: Config, ctx: z.RefinementCtx<Config>): void {
  const broken = (ctx as unknown as { issues: { code: string; path: IssuePath }[] }).issues
    .filter((i) => i.code !== 'unrecognized_keys')
    .map((i) => i.path);
  /** True when no setting at, above or below these paths is invalid. */
  const ok = (...paths: IssuePath[]) =>
    paths.every((p) => !broken.some((b) => isPrefix(b, p) || isPrefix(p, b)));
  const issue = (path: PropertyKey[], message: string) => ctx.addIssue({ code: 'custom', path, message });
  if (!isRecord(cfg) || !isRecord(cfg.pricing) || !isRecord(cfg.source)) return;

  const { pricing, source } = cfg;
  if (
    ok(['pricing', 'currency'], ['pricing', 'priceCurrency'], ['pricing', 'conversionRate']) &&
    pricing.currency !== pricing.priceCurrency &&
    !pricing.conversionRate
  ) {
    issue(
      ['pricing', 'conversionRate'],
      `required when pricing.currency (${pricing.currency}) differs from pricing.priceCurrency (${pricing.priceCurrency})`,
    );
  }
  budgetCurrencyRule(cfg, ok, issue);
  if (Array.isArray(pricing.overrides)) {
    pricing.overrides.forEach((o, i) => {
      if (!ok(['pricing', 'overrides', i]) || !isRecord(o)) return;
      if ((o.instanceType === undefined) === (o.gpuModel === undefined)) {
        issue(
          ['pricing', 'overrides', i],
          'needs exactly one of instanceType (per instance-hour) or gpuModel (per GPU-hour)',
        );
      } else if (o.instanceType !== undefined) {
        if (isRecord(pricing.instanceTypes) && !Object.hasOwn(pricing.instanceTypes, o.instanceType))
          issue(
            ['pricing', 'overrides', i, 'instanceType'],
            `"${o.instanceType}" is not in pricing.instanceTypes`,
          );
      } else if (isRecord(pricing.gpuModels) && !Object.hasOwn(pricing.gpuModels, o.gpuModel!)) {
        issue(['pricing', 'overrides', i, 'gpuModel'], `"${o.gpuModel}" is not in pricing.gpuModels`);
      } else if (o.capacityType === 'committed') {
        issue(['pricing', 'overrides', i, 'capacityType'], 'a gpuModel price is on-demand or spot');
      }
    });
  }
  if (
    ok(['source', 'kind'], ['source', 'clusterLabel']) &&
    source.kind === 'prometheus' &&
    !source.clusterLabel
  ) {
    for (const name of isRecord(cfg.clusters) ? Object.keys(cfg.clusters) : []) {
      if (name !== '')
        issue(['clusters', name], 'needs source.clusterLabel: without it every series belongs to cluster ""');
    }
  }
  if (ok(['source', 'dedupeLabels']) && Array.isArray(source.dedupeLabels)) {
    if (
      ok(['source', 'clusterLabel']) &&
      source.clusterLabel &&
      source.dedupeLabels.includes(source.clusterLabel)
    ) {
      issue(
        ['source', 'dedupeLabels'],
        `contains source.clusterLabel "${source.clusterLabel}"; clusters would be merged`,
      );
    }
    const identity = source.dedupeLabels.filter((l) => IDENTITY_LABELS.includes(l));
    if (identity.length > 0) {
      issue(
        ['source', 'dedupeLabels'],
        `must not contain ${identity.join(', ')}: it identifies what is billed (${IDENTITY_LABELS.join(', ')}); ` +
          'a dedupe label must only tell HA replicas apart',
      );
    }
  }
  if (
    ok(['source', 'kind'], ['source', 'auth']) &&
    source.kind === 'prometheus' &&
    isRecord(source.auth) &&
    source.auth.kind === 'bearer' &&
    !source.auth.tokenEnv &&
    !source.auth.tokenFile
  ) {
    issue(['source', 'auth'], 'bearer auth needs tokenEnv or tokenFile');
  }
  if (
    ok(['source', 'readApi'], ['source', 'auth']) &&
    source.kind === 'prometheus' &&
    source.readApi === 'remote' &&
    isRecord(source.auth) &&
    source.auth.kind === 'sigv4'
  ) {
    issue(
      ['source', 'readApi'],
      '"remote" reads Prometheus\' remote-read API, which Amazon Managed Prometheus (sigv4) does not serve for queries; use "query"',
    );
  }
}

/**
 * Budgets carry a currency: a budget written in dollars is never read as won. With budgets and a bill in
 * another currency than the catalog's, report.budgetCurrency must say which of the two they are in.
 */
function budgetCurrencyRule(
  cfg: Config,
  ok: (...paths: IssuePath[]) => boolean,
  issue: (path: PropertyKey[], message: string) => void,
): void {
  const { pricing, report } = cfg;
  if (!isRecord(report) || !ok(['report'], ['pricing', 'currency'], ['pricing', 'priceCurrency'])) return;
  const bill = pricing.currency;
  const catalog = pricing.priceCurrency;
  const currency = report.budgetCurrency;
  if (currency === undefined) {
    if (bill !== catalog && isRecord(report.budgets) && Object.keys(report.budgets).length > 0)
      issue(
        ['report', 'budgetCurrency'],
        `required with budgets when pricing.currency (${bill}) differs from pricing.priceCurrency (${catalog}): ` +
          `say whether the budgets are in ${bill} or ${catalog}`,
      );
  } else if (currency !== bill && currency !== catalog) {
    issue(
      ['report', 'budgetCurrency'],
      `"${currency}" cannot be compared with the bill: use pricing.currency (${bill})` +
        (bill === catalog
          ? ''
          : ` or pricing.priceCurrency (${catalog}, converted at pricing.conversionRate)`),
    );
  }
}

/**
 * The config as `validate-config` prints it: every value of `source.headers` replaced by "[REDACTED]"
 * (custom headers carry API keys and tokens as often as not); everything else as validated.
 */
export function printableConfig(config: Config): Config {
  const headers = Object.fromEntries(Object.keys(config.source.headers).map((name) => [name, '[REDACTED]']));
  return { ...config, source: { ...config.source, headers } };
}
