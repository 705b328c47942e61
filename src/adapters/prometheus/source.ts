import type { Config } from '../../config/schema.ts';
import type { ScrapeIntervals, StepGrid, TimeRange, WindowObservations } from '../../core/types.ts';
import { redactUrl } from '../../redact.ts';
import type { Exporter, ObservationSource } from '../../ports.ts';
import type { PrometheusClient } from './client.ts';
import { type ConnectOptions, connectPrometheus } from './connect.ts';
import { seriesIdentityOf } from './identity.ts';
import { observationsOf } from './observations.ts';
import {
  askExactUtilization,
  askScrapeInterval,
  askWindow,
  createQueries,
  DEFAULT_QUERIES_DIR,
  loadQueryTemplates,
  rangesOf,
} from './queries.ts';

/** Everything the Prometheus source needs: the validated config sections, a logger and injectable I/O. */
export interface PrometheusSourceOptions extends Omit<ConnectOptions, 'source'> {
  config: { source: Config['source']; metering: Config['metering'] };
  /** Directory of the *.promql templates (default: the repository's queries/). */
  queriesDir?: string;
}

/**
 * An ObservationSource over the Prometheus HTTP API (Prometheus, Thanos, Mimir, Amazon Managed
 * Prometheus), in three parts: connect (connect.ts: client, auth, headers, TLS), queries (queries.ts:
 * what is asked, as named answers) and observations (observations.ts: answers -> WindowObservations,
 * pure). Every query aggregates to the identity labels of what it reads before combining series —
 * (cluster, uid) for pods, (cluster, node[, resource]) for nodes, (cluster, namespace) for namespaces,
 * (cluster, UUID, GPU_I_ID, pod) for utilization — so scrape-target labels (job, endpoint, service, the
 * exporter's own pod) and exporter extras (Hostname, pci_bus_id, modelName, DCGM_FI_DRIVER_VERSION)
 * that change mid-month never split, drop or double-count a pod. The step queries keep the replica
 * labels (source.dedupeLabels for HA Prometheus pairs, plus `instance` for kube-state-metrics
 * replicas) and each object's point at each step comes from one replica (replicas.ts), so replicas
 * scraped at other instants are counted once and exactly. The cluster label, when configured, is part
 * of every identity: two clusters may hold the same namespace, pod or node names.
 */
export function createPrometheusSource(
  options: PrometheusSourceOptions,
): ObservationSource & { readonly stats: PrometheusClient['stats'] } {
  const { config, queriesDir, ...connect } = options;
  const { source, metering } = config;
  const templates = loadQueryTemplates(queriesDir ?? DEFAULT_QUERIES_DIR);
  const client = connectPrometheus({ ...connect, source });
  const identity = seriesIdentityOf(source);
  const queries = createQueries(client, templates, identity, source.selector);
  const cluster = identity.clusterLabel ? ` (cluster label ${identity.clusterLabel})` : '';

  return {
    kind: 'prometheus',
    // connectPrometheus has refused a source without a url.
    description: `prometheus: ${redactUrl(source.url!)}${cluster}`,
    stats: client.stats,

    detectScrapeInterval(exporter: Exporter, range: TimeRange): Promise<number | null> {
      return askScrapeInterval(queries, exporter, range);
    },

    async observe(grid: StepGrid, scrape: ScrapeIntervals): Promise<WindowObservations> {
      const answers = await askWindow(queries, grid, metering);
      const day = rangesOf(grid).day;
      const utilization = await askExactUtilization(queries, answers, day, identity, options.logger);
      return observationsOf({ grid, scrape, answers, utilization, identity, labels: metering });
    },
  };
}
