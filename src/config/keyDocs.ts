/**
 * What each configuration key means, keyed by its path as docs/configuration.md lists it (`*` for a name
 * the user chooses, `[]` for an item of a list). Kept apart from schema.ts so that the schema stays
 * readable; test/unit/config/configDocs.test.ts fails when a key of the schema has no entry here, when an
 * entry names no key, or when docs/configuration.md is stale (`npm run docs:config` regenerates it).
 */
export const CONFIG_KEY_DOCS: Record<string, string> = {
  timezone:
    'IANA time zone of billing months and days (e.g. Asia/Seoul); a DST month has 743 or 745 hours. `--timezone` overrides it.',

  source:
    'Where usage comes from: a Prometheus-compatible query API (Prometheus, Thanos, Mimir, Amazon Managed Prometheus).',
  'source.kind':
    '`prometheus` reads the query API at `source.url`; `demo` is the built-in synthetic cluster that the `demo` command sets itself.',
  'source.url':
    'Query URL of Prometheus, the Thanos or Mimir query frontend, or the AMP workspace. Required for `report` and `backfill` unless `--prometheus-url` is given.',
  'source.auth': 'How requests to the source authenticate; `{ kind: none }` sends no credentials.',
  'source.auth.kind':
    '`none`, `bearer` (a token from an environment variable or a file) or `sigv4` (Amazon Managed Prometheus).',
  'source.auth.tokenEnv':
    'Name of the environment variable holding the bearer token (never the token itself: a token in the file is an unknown key). One of tokenEnv or tokenFile is required.',
  'source.auth.tokenFile':
    'Path of a file holding the bearer token. One of tokenEnv or tokenFile is required.',
  'source.auth.region': 'AWS region of the AMP workspace whose requests are signed with SigV4.',
  'source.auth.service': 'SigV4 service name the requests are signed for.',
  'source.tenant':
    'Tenant header sent with every request: Mimir reads `X-Scope-OrgID`, Thanos `THANOS-TENANT`.',
  'source.tenant.header': 'Name of the tenant header, e.g. `X-Scope-OrgID`.',
  'source.tenant.value': 'Tenant id sent in that header.',
  'source.headers':
    'Extra HTTP headers sent with every request (API keys, proxies). Their values are redacted from logs and printed as `[REDACTED]` by `validate-config`.',
  'source.caFile':
    'PEM file of an extra CA trusted for TLS to the source; `source.url` must then be `https://`.',
  'source.compression':
    'Whether Prometheus may gzip its answers: `"none"` (the default) sends `Accept-Encoding: identity`; `"gzip"` lets it compress. Compressing the raw answers costs the Prometheus server two thirds of its CPU for a metered day (3.3 against 11.0 CPU-seconds for a 1,024-GPU day, docs/performance.md, "Where Prometheus\' CPU goes"): worth paying only when the network, not Prometheus\' CPU, is the limit. Requests through `source.caFile` or to an `https://` URL never ask for gzip.',
  'source.stepEvaluation':
    'Who evaluates the per-step queries (pods Running with a GPU request, DCGM utilization, node GPU capacity, node and kube-state-metrics presence): `"adapter"` (the default: their raw samples read once by instant queries of plain range selectors, in spans sized to about 1,000,000 samples, and evaluated step by step by gpu-chargeback with Prometheus 2.42\'s own arithmetic and order: the same series and values bit for bit, checked against a real Prometheus in test/integration/rawSteps.test.ts; the window\'s GPU requests, node labels and node instance ids are then taken from the same raw reads instead of being asked again) or `"prometheus"` (range queries: Prometheus evaluates every series at every step). `"adapter"` costs Prometheus 2.8–3.6 × the CPU of reading the samples once instead of 24–31 × (docs/performance.md).',
  'source.readApi':
    'How the raw samples of `stepEvaluation: "adapter"` are read: `"query"` (the default) through the query API (instant queries of plain range selectors, JSON), or `"remote"` through Prometheus\' remote-read API (`/api/v1/read`, streamed XOR chunks: Prometheus sends the chunks it stores without decoding a sample or writing JSON; the same samples bit for bit, checked against the query API on a real Prometheus in test/integration/remoteRead.test.ts). Only a Prometheus server without external labels (it adds them to every series it answers by remote read) answers them exactly: gpu-chargeback checks `/api/v1/status/config` once, and reads through the query API for the rest of the run, with one warning, when that fails, when the server has external labels (Thanos, Mimir and AMP do not serve that endpoint), or when a remote read fails. Not with `source.auth.kind: sigv4`.',
  'source.timeoutSeconds':
    'Timeout of one request, in seconds; at most 600 so a request can finish within one Lambda run.',
  'source.maxRetries': 'Retries of a failed request (with backoff) before the run fails.',
  'source.clusterLabel':
    'External label that names the cluster of a series (multi-cluster sources such as Thanos); absent, every series belongs to one cluster named "".',
  'source.dedupeLabels':
    'Labels that only tell HA replicas apart: series differing only by them are counted once. Must not contain the cluster label or a label that identifies what is billed (namespace, pod, uid, node, UUID…).',
  'source.selector':
    'Extra label matchers added inside the braces of every selector of every query, e.g. `cluster=~"prod-.*"`: a list of matchers, not a whole selector (braces are refused). Part of what defines a metered day, so changing it re-meters stored days.',

  metering: 'How GPU-seconds are reconstructed from kube-state-metrics and dcgm-exporter series.',
  'metering.scrapeIntervalSeconds':
    'Scrape intervals, per exporter; one left unset is detected from the data (median spacing of raw samples).',
  'metering.scrapeIntervalSeconds.kubeStateMetrics':
    'kube-state-metrics scrape interval in seconds; it sets the metering grid step (or the largest divisor of 3600 below it).',
  'metering.scrapeIntervalSeconds.dcgm': 'dcgm-exporter scrape interval in seconds.',
  'metering.pendingOnNode':
    '`charged` also charges pods `Pending` while bound to a node (pulling images while holding GPUs); `not-charged` charges only `Running` time.',
  'metering.maxBridgeSeconds':
    "A gap in a pod's (or a node's) samples with `Running` (present) on both sides, up to this long, is credited as running; longer gaps are not. Bridged seconds are reported apart.",
  'metering.migSlicesPerGpu':
    'Compute slices of a whole GPU per GPU model, for the weight of a MIG device (g ÷ slices); a model matches a key exactly, else the longest key it starts with.',
  'metering.nodeLabels':
    "Which kube_node_labels labels (KSM spelling) give a node's instance type and capacity type.",
  'metering.nodeLabels.instanceType': 'Labels naming the instance type, in order; the first present wins.',
  'metering.nodeLabels.capacityType':
    'Labels naming the capacity type (Karpenter, EKS, GKE Spot/preemptible, AKS scale-set priority), in order; the first label with a known meaning wins.',
  'metering.nodeLabels.capacityTypeValues':
    'What the values of a capacity-type label mean, per label, e.g. `{ label_node_pool_tier: { cheap: spot } }`; wins over the built-in meanings.',
  'metering.nodeLabels.capacityTypeValues.*':
    'For one label (KSM spelling): each value mapped to `spot`, `on-demand` or `reserved`.',
  'metering.physicalGpus':
    'Physical GPUs of nodes with neither a catalog instance type nor a GPU feature discovery count (on-prem); the first rule whose label has the value applies.',
  'metering.physicalGpus[].nodeLabel': 'A kube_node_labels label in KSM spelling, e.g. `label_node_role`.',
  'metering.physicalGpus[].value': 'The value of that label this rule applies to.',
  'metering.physicalGpus[].gpus':
    'Physical GPUs of a matching node: its capacity is this many GPUs × the time it exists.',
  'metering.physicalGpus[].gpuModel':
    'GPU model of a matching node (for MIG weights and `pricing.gpuModels`).',
  'metering.idleHeld':
    "GPUs held while idle (summary.json `idleHeld`): a pod's held GPU time counts as idle-held when its GPU utilization stayed below `utilizationBelowPct` for longer than `forMinutes` without a break; unknown utilization is never idle.",
  'metering.idleHeld.utilizationBelowPct':
    'Utilization (percent, above 0) below which a step of a pod counts as idle.',
  'metering.idleHeld.forMinutes':
    'How long (minutes) a pod must stay idle without a break before its idle run counts (the operating standard: scale in after 10–15 idle minutes).',
  'metering.team': 'Which team a pod is charged to.',
  'metering.team.podLabels':
    'Pod labels (KSM spelling) naming the team, in order; the first present wins over namespace labels.',
  'metering.team.namespaceLabels': 'Namespace labels naming the team when no pod label does, in order.',
  'metering.team.default': "Team of a pod that neither its labels nor its namespace's name.",
  'metering.project': 'Which project a pod is charged to (same rules as `metering.team`).',
  'metering.project.podLabels':
    'Pod labels (KSM spelling) naming the project, in order; the first present wins over namespace labels.',
  'metering.project.namespaceLabels': 'Namespace labels naming the project when no pod label does, in order.',
  'metering.project.default': "Project of a pod that neither its labels nor its namespace's name.",

  pricing: "What GPU time costs: the price catalog, effective-dated overrides and the bill's currency.",
  'pricing.catalogVersion':
    'Version label of the catalog, recorded on every CSV row (`x_PriceCatalogVersion`).',
  'pricing.priceCurrency': 'ISO 4217 code of the currency the catalog prices are in.',
  'pricing.currency':
    'ISO 4217 code of the currency of the bill (one whose minor unit is known: money is rounded to it); when it differs from `priceCurrency`, `conversionRate` is required.',
  'pricing.conversionRate':
    'Fixed rate as a decimal string (e.g. "1385.20"): units of `currency` per one unit of `priceCurrency`.',
  'pricing.instanceTypes': 'The price catalog: per instance type, its GPUs, GPU model and hourly prices.',
  'pricing.instanceTypes.*':
    'One instance type (e.g. `p4d.24xlarge`); its per-GPU-hour price is the instance price ÷ gpus.',
  'pricing.instanceTypes.*.gpus':
    'Physical GPUs of the instance type: a node of this type has this capacity, whatever it advertises.',
  'pricing.instanceTypes.*.gpuModel': 'GPU model of the instance type (e.g. `A100`).',
  'pricing.instanceTypes.*.onDemand': 'On-Demand price per instance-hour, in `priceCurrency`.',
  'pricing.instanceTypes.*.spot':
    'Spot price per instance-hour; absent, Spot nodes are priced On-Demand (flagged in the warnings).',
  'pricing.instanceTypes.*.committed':
    'Committed (Reserved Instance / Savings Plan) effective price per instance-hour, for capacity type `reserved`.',
  'pricing.gpuModels':
    "Per-GPU-hour prices by GPU model, for nodes whose instance type is in no catalog (on-prem): the node's model matches a key exactly, else the longest key it starts with.",
  'pricing.gpuModels.*': 'One GPU model (e.g. `A100`).',
  'pricing.gpuModels.*.perGpuHour': 'Price per GPU-hour, in `priceCurrency`.',
  'pricing.gpuModels.*.spotPerGpuHour': 'Spot price per GPU-hour; absent, Spot is priced at `perGpuHour`.',
  'pricing.overrides':
    'Effective-dated price changes: each applies from its `from` instant until the next override of the same instance type (or GPU model) and capacity type.',
  'pricing.overrides[].instanceType':
    'Instance type whose price (per instance-hour) changes; must be in `pricing.instanceTypes`. Exactly one of instanceType or gpuModel.',
  'pricing.overrides[].gpuModel':
    'GPU model whose price (per GPU-hour) changes; must be in `pricing.gpuModels`, capacity type on-demand or spot. Exactly one of instanceType or gpuModel.',
  'pricing.overrides[].capacityType': 'Which price changes: `on-demand`, `spot` or `committed`.',
  'pricing.overrides[].from':
    'ISO 8601 instant with an offset (e.g. `2026-11-14T09:00:00+09:00`) from which the price applies, inclusive.',
  'pricing.overrides[].price': 'The new price, in `priceCurrency`.',
  'pricing.overrides[].cluster':
    'Only for this cluster (a value of `source.clusterLabel`); absent, the override applies to nodes priced from the global catalog.',
  'pricing.fallback':
    'Prices for instance types missing from the catalog; every affected row is flagged (`x_PriceFallback`). Absent, a missing price is an error.',
  'pricing.fallback.onDemandPerGpuHour': 'On-Demand price per GPU-hour, in `priceCurrency`.',
  'pricing.fallback.spotPerGpuHour':
    'Spot price per GPU-hour; absent, Spot is priced at `onDemandPerGpuHour`.',
  'pricing.fallback.gpuModel': 'GPU model reported for nodes priced by the fallback.',
  'pricing.byCluster':
    'Per-cluster catalogs (a key is a value of `source.clusterLabel`), e.g. a region with other prices.',
  'pricing.byCluster.*': 'The catalog of one cluster.',
  'pricing.byCluster.*.instanceTypes':
    'Instance types of that cluster, with the same fields as `pricing.instanceTypes`.',
  'pricing.byCluster.*.instanceTypes.*': 'One instance type of that cluster.',
  'pricing.byCluster.*.instanceTypes.*.gpus': 'Physical GPUs of the instance type.',
  'pricing.byCluster.*.instanceTypes.*.gpuModel': 'GPU model of the instance type.',
  'pricing.byCluster.*.instanceTypes.*.onDemand': 'On-Demand price per instance-hour, in `priceCurrency`.',
  'pricing.byCluster.*.instanceTypes.*.spot':
    'Spot price per instance-hour; absent, Spot nodes are priced On-Demand (flagged).',
  'pricing.byCluster.*.instanceTypes.*.committed':
    'Committed effective price per instance-hour, for capacity type `reserved`.',

  allocation: 'Who pays for what: the utilization and idle policies (recorded on every row).',
  'allocation.utilization': 'How utilization changes what a pod pays (`x_UtilizationPolicy`).',
  'allocation.utilization.mode':
    '`allocation` pays the GPU time held; `utilization` pays held × utilization and the rest is an `UnusedAllocation` row; `floor` pays held × max(utilization, floor). Unknown utilization pays the full held time.',
  'allocation.utilization.floor': 'For mode `floor`: the minimum utilization paid, 0..1.',
  'allocation.idle': 'Who pays for idle capacity (`x_IdlePolicy`).',
  'allocation.idle.mode':
    "`separate` charges idle (and unused allocation) to `platformTeam`; `share-by-node` splits a node's idle over its pods in proportion to their direct cost; `share-by-cluster` does so across the cluster per charge period.",
  'allocation.idle.platformTeam':
    'Team charged for idle capacity and unused allocation under mode `separate`.',

  report: 'The executive PDF.',
  'report.language': 'Language of the executive PDF: `en` or `ko`. `--language` overrides it.',
  'report.title': "Title printed on the PDF; absent, the language's default title.",
  'report.budgets':
    "Monthly budget per team (team name → amount in `report.budgetCurrency`), compared with the team's spend in the PDF and the team pack. Variance covers budgeted teams only; a budget naming no team of the month is a warning.",
  'report.budgetCurrency':
    "The currency the budgets are written in: the billing currency (`pricing.currency`) or the catalog's `pricing.priceCurrency` (converted exactly at `pricing.conversionRate`). Absent: the billing currency; required with budgets when the two currencies differ.",
  'report.lowUtilizationBelowPct':
    "The PDF's right-sizing list shows only workloads whose GPU utilization is below this percentage.",
  'report.baselinePercentile':
    "Percentile of hourly demand covered by an On-Demand baseline in the PDF's capacity advice.",

  output: 'Where the reports and daily partials are written.',
  'output.location':
    'A directory or `s3://bucket/prefix` (`s3:/bucket`, `s3:bucket` and other URL schemes are errors). `--out` overrides it.',
  'output.kmsKeyId': 'KMS key for SSE-KMS encryption of S3 outputs; absent, SSE-S3.',
  'output.endpoint':
    'S3-compatible endpoint (MinIO, a local test server); path-style addressing is used with it.',
  'output.region': "AWS region of the bucket; absent, the AWS SDK's region resolution.",
  'output.lockStaleSeconds':
    'A publish lock older than this many seconds is considered abandoned and taken over.',

  cloudwatch: 'Run metrics published to Amazon CloudWatch.',
  'cloudwatch.enabled': 'Publish run metrics (cost, coverage, duration…) to CloudWatch with `PutMetricData`.',
  'cloudwatch.namespace': 'CloudWatch namespace of those metrics.',
  'cloudwatch.coverageAlarmThreshold':
    'Accepted but not read by any code today: the coverage alarm of the AWS deployment is set by the serverless `coverageAlarmPct` parameter (docs/deploy.md).',

  guard:
    'What a run refuses to do unless forced with `--force --reason TEXT` (recorded in the manifest): publish too little data, restate a month by more than these shares, replace a stored day with an emptier one.',
  'guard.minCoveragePct':
    'No month is published (first time or restated) with kube-state-metrics coverage below this percentage.',
  'guard.maxCoverageDropPct':
    'A restatement (or a re-metered day) may lose at most this many percentage points of coverage.',
  'guard.maxTotalChangePct':
    "A restatement may move the month's total by at most this percentage of the published total.",
  'guard.maxTeamChangePct':
    "A restatement may move a team's amount by at most this percentage of its published amount, unless the move is within `minTeamChangePctOfTotal`.",
  'guard.minTeamChangePctOfTotal':
    "A team's move of at most this percentage of the published month total always passes (small teams).",
  'guard.maxDayUsageDropPct':
    'A re-metered day may hold at most this percentage fewer GPU-seconds (allocated or capacity) than the stored one; between a provisional (month-to-date) version and the next, each day both cover may lose at most this percentage of its cost.',
  'guard.ingestionDelaySeconds':
    'How long after a day ends the source holds all its samples (remote-write backlog, Thanos/AMP ingestion); a day metered sooner is re-metered before a month is billed from it, and a month to date runs through the last day ended at least this long ago.',
  'guard.earliestMonth':
    'The first billing month (YYYY-MM) that can hold data: earlier months are refused as bad input.',

  sharding:
    'How a day is split for metering, so that no metering invocation needs more memory than its budget (see docs/performance.md, "Shards").',
  'sharding.memoryBudgetMb':
    "Memory (MB) one metering invocation may use (the metering Lambda's memory size); the plan keeps each shard's estimated peak within half of it, and a report that meters several days at once keeps the shards it has in flight within it together (in a Lambda, within the function's own memory).",
  'sharding.shards':
    '`auto`: the fewest shards whose estimate fits the budget, from the GPU fleet Prometheus reports that day; a number: always that many shards per day (1 = never split).',
  'sharding.shards.kind':
    '`auto` or a fixed number of shards per day, from 1 to the maximum the schema allows.',
  clusters:
    'Per cluster (a value of `source.clusterLabel`, which is then required): its AWS account and region, for the `SubAccountId` and `RegionId` columns.',
  'clusters.*': 'One cluster.',
  'clusters.*.accountId': '12-digit AWS account id of the cluster.',
  'clusters.*.region': 'AWS region of the cluster, e.g. `us-east-1`.',

  billing:
    "The cloud's own cost export (docs/billing.md): nodes are priced at what their instance cost on the invoice, the month is reconciled against it (`reconciliation.csv`, `focus.csv`), and tagged GPU instances outside every cluster are charged. Absent: prices come from `pricing` alone.",
  'billing.format':
    '`focus` (AWS Data Exports FOCUS 1.x, Azure Cost Management FOCUS, Google Cloud FOCUS) or `cur2` (AWS CUR 2.0).',
  'billing.location': "A directory or `s3://bucket/prefix` holding the export's files (`*.csv`, `*.csv.gz`).",
  'billing.endpoint':
    "S3-compatible endpoint for the export's bucket; path-style addressing is used with it.",
  'billing.region': "AWS region of the export's bucket; absent, the AWS SDK's region resolution.",
  'billing.tags':
    'Cost-allocation tag keys naming the team and project of a GPU instance outside every cluster.',
  'billing.tags.team': 'Tag key naming the team.',
  'billing.tags.project': 'Tag key naming the project.',
  'billing.gpuInstanceTypes':
    'GPU instance types outside the price catalog: an instance of such a type on the invoice that no cluster reports is a GPU server outside Kubernetes (catalog types count already).',
  'billing.gpuInstanceTypes.*': 'One instance type.',
  'billing.gpuInstanceTypes.*.gpus': 'Its physical GPUs.',
  'billing.gpuInstanceTypes.*.gpuModel': 'Its GPU model.',

  delivery:
    "After a month is published, each listed team's lead gets a message (month, team, cost, budget, version) with time-limited links to the team's `report.pdf`, `costs.csv` and the month's `report.html` (README, \"Delivery\"). A failed send is logged and counted, never fails the publish. Absent: nothing is sent.",
  'delivery.enabled':
    '`report` (and the monthly Lambda) deliver after each publication; `deliver` sends on demand whatever this says.',
  'delivery.linkExpiresInSeconds':
    'Lifetime of each presigned S3 link, 60 to 604800 seconds (7 days, the longest SigV4 allows). Links signed with temporary credentials (a Lambda role) stop working when those credentials expire, whichever comes first.',
  'delivery.timeoutSeconds':
    'Timeout of one send, in seconds; a 5xx answer or a connection error is retried once, a timeout is not (the message may have arrived).',
  'delivery.teams':
    "Where each team's lead is reached, by team name (the team label's value); a team not listed gets nothing.",
  'delivery.teams.*': 'One team lead: at least one of the keys below.',
  'delivery.teams.*.slackWebhookEnv':
    'Name of the environment variable holding the Slack incoming-webhook URL (never the URL: it is a secret, redacted from every log).',
  'delivery.teams.*.teamsWebhookEnv':
    'Name of the environment variable holding the Microsoft Teams incoming-webhook or Workflows URL (a secret, like the Slack one).',
  'delivery.teams.*.email':
    'The lead\'s email address, for Amazon SES. This build has no SES client: an email recipient is reported as skipped (README, "Delivery").',
};
