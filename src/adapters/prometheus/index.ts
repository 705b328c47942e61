/** The Prometheus adapter: an ObservationSource over the Prometheus HTTP API. */
export { type Authorizer, type AwsCredentialsProvider, createAuthorizer } from './auth.ts';
export {
  type ClientStats,
  mergeSeries,
  PrometheusClient,
  type PrometheusClientOptions,
  parseRetryAfter,
} from './client.ts';
export { createCaFetch, type HttpFetch, type HttpResponse } from './httpFetch.ts';
export {
  isTooLargeError,
  type PromSeries,
  parsePrometheusResponse,
  parseSampleValue,
} from './parseResponse.ts';
export {
  createPrometheusSource,
  KSM_REPLICA_LABELS,
  loadQueryTemplates,
  nodeCapacityPoints,
  type PrometheusSourceOptions,
  presentInEveryCluster,
  QUERY_NAMES,
  type ReplicaChoice,
  replicaPresence,
  utilizationPoints,
} from './source.ts';
