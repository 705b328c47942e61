import { compareStrings } from '../../core/compare.ts';
import {
  type CloudWatchClient,
  type MetricDatum as CloudWatchDatum,
  PutMetricDataCommand,
} from '@aws-sdk/client-cloudwatch';
import type { Logger, MetricDatum, MetricsSink } from '../../ports.ts';

/** PutMetricData limits: 1000 datums and 1 MB of payload per request (we stay well under the byte limit). */
export const MAX_DATUMS_PER_REQUEST = 1000;
export const MAX_BYTES_PER_REQUEST = 900_000;

export interface CloudWatchSinkOptions {
  namespace: string;
  client: Pick<CloudWatchClient, 'send'>;
  logger?: Logger;
}

/** Converts a datum to CloudWatch's shape; dimensions sorted by name so requests are reproducible. */
export function toCloudWatchDatum(datum: MetricDatum): CloudWatchDatum {
  const dimensions = Object.entries(datum.dimensions ?? {})
    .sort(([a], [b]) => compareStrings(a, b))
    .map(([Name, Value]) => ({ Name, Value }));
  return {
    MetricName: datum.name,
    Value: datum.value,
    Unit: datum.unit,
    ...(dimensions.length ? { Dimensions: dimensions } : {}),
  };
}

/** Splits datums into PutMetricData-sized batches (count and an estimate of the encoded size). Pure. */
export function batchDatums(
  data: CloudWatchDatum[],
  maxCount = MAX_DATUMS_PER_REQUEST,
  maxBytes = MAX_BYTES_PER_REQUEST,
) {
  const batches: CloudWatchDatum[][] = [];
  let current: CloudWatchDatum[] = [];
  let bytes = 0;
  for (const datum of data) {
    // Query-protocol encoding repeats the member path per field; 2x the JSON size is a safe upper bound.
    const size = 2 * Buffer.byteLength(JSON.stringify(datum)) + 64;
    if (current.length && (current.length >= maxCount || bytes + size > maxBytes)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(datum);
    bytes += size;
  }
  if (current.length) batches.push(current);
  return batches;
}

/**
 * A MetricsSink that sends datums to CloudWatch in batches. Non-finite values (CloudWatch rejects NaN and
 * Infinity) are dropped with a warning rather than failing a billing run over a metric.
 */
export function createCloudWatchSink(options: CloudWatchSinkOptions): MetricsSink {
  const { namespace, client, logger } = options;
  return {
    async publish(data) {
      const finite = data.filter((d) => Number.isFinite(d.value));
      if (finite.length < data.length) {
        const dropped = data.filter((d) => !Number.isFinite(d.value)).map((d) => d.name);
        logger?.warn('dropped non-finite metric values', { metrics: dropped });
      }
      for (const batch of batchDatums(finite.map(toCloudWatchDatum))) {
        await client.send(new PutMetricDataCommand({ Namespace: namespace, MetricData: batch }));
      }
    },
  };
}
