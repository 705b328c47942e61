/** The Prometheus adapter: an ObservationSource over the Prometheus HTTP API. */
export { type Authorizer, type AwsCredentialsProvider, createAuthorizer } from './auth.ts';
export {
  type ClientStats,
  mergeSeries,
  PrometheusClient,
  type PrometheusClientOptions,
  parseRetryAfter,
} from './client.ts';
export { type ConnectOptions, connectPrometheus } from './connect.ts';
export { createCaFetch, type HttpFetch, type HttpResponse } from './httpFetch.ts';
export { KSM_REPLICA_LABELS, type SeriesIdentity, seriesIdentityOf } from './identity.ts';
export {
  nodeCapacityPoints,
  type ObservationInput,
  observationsOf,
  presentInEveryCluster,
  type ReplicaChoice,
  replicaPresence,
  utilizationPoints,
} from './observations.ts';
export {
  isTooLargeError,
  type PromSeries,
  parsePrometheusResponse,
  parseSampleValue,
} from './parseResponse.ts';
export {
  askExactUtilization,
  askScrapeInterval,
  askWindow,
  createQueries,
  type ExactUtilization,
  loadQueryTemplates,
  type PrometheusQueries,
  QUERY_NAMES,
  type QueryName,
  type WindowAnswers,
} from './queries.ts';
export { createPrometheusSource, type PrometheusSourceOptions } from './source.ts';
