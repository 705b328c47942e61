import { z } from 'zod';

/** One series of a Prometheus result: its labels and [epoch ms, value] samples (finite, >= 0 only). */
export interface PromSeries {
  metric: Record<string, string>;
  points: [number, number][];
}

/** A successful response, after dropping unusable samples. */
export interface PromSuccess {
  ok: true;
  resultType: 'matrix' | 'vector' | 'scalar' | 'string';
  series: PromSeries[];
  /** Warnings from Prometheus itself, plus one per kind of dropped sample. */
  warnings: string[];
}

/** An error body (`status: "error"`). */
export interface PromFailure {
  ok: false;
  errorType: string;
  error: string;
  warnings: string[];
}

const NUMBER_RE = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/**
 * Parses a Prometheus sample value string. Prometheus writes floats as strings and spells the
 * special values "NaN", "+Inf" and "-Inf"; anything else that is not a decimal number is rejected.
 */
export function parseSampleValue(text: string): number {
  switch (text) {
    case 'NaN':
      return Number.NaN;
    case '+Inf':
    case 'Inf':
      return Number.POSITIVE_INFINITY;
    case '-Inf':
      return Number.NEGATIVE_INFINITY;
  }
  if (!NUMBER_RE.test(text)) throw new RangeError(`not a Prometheus sample value: ${JSON.stringify(text)}`);
  return Number(text);
}

const sampleSchema = z.tuple([z.number(), z.string()]);
const metricSchema = z.record(z.string(), z.string());
const dataSchema = z.discriminatedUnion('resultType', [
  z.object({
    resultType: z.literal('matrix'),
    result: z.array(z.object({ metric: metricSchema, values: z.array(sampleSchema).default([]) })),
  }),
  z.object({
    resultType: z.literal('vector'),
    result: z.array(z.object({ metric: metricSchema, value: sampleSchema })),
  }),
  z.object({ resultType: z.literal('scalar'), result: sampleSchema }),
  z.object({ resultType: z.literal('string'), result: sampleSchema }),
]);
const bodySchema = z.discriminatedUnion('status', [
  z.object({
    status: z.literal('success'),
    data: dataSchema,
    warnings: z.array(z.string()).optional(),
    infos: z.array(z.string()).optional(),
  }),
  z.object({
    status: z.literal('error'),
    errorType: z.string().default('unknown'),
    error: z.string().default(''),
    warnings: z.array(z.string()).optional(),
  }),
]);

/**
 * Validates a decoded Prometheus API body and converts samples to [ms, value]. NaN, infinite and
 * negative samples are dropped (a GPU count or a utilization cannot be any of these) and each kind
 * dropped is reported as a warning with its count. Throws a RangeError when the body is not a
 * Prometheus API response at all.
 */
export function parsePrometheusResponse(body: unknown): PromSuccess | PromFailure {
  const parsed = bodySchema.safeParse(body);
  if (!parsed.success) {
    throw new RangeError(
      `not a Prometheus API response: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`,
    );
  }
  const value = parsed.data;
  const warnings = [...(value.warnings ?? [])];
  if (value.status === 'error')
    return { ok: false, errorType: value.errorType, error: value.error, warnings };

  const dropped = { NaN: 0, infinite: 0, negative: 0 };
  const convert = ([ts, text]: [number, string]): [number, number] | undefined => {
    const v = parseSampleValue(text);
    if (Number.isNaN(v)) dropped.NaN++;
    else if (!Number.isFinite(v)) dropped.infinite++;
    else if (v < 0) dropped.negative++;
    else return [Math.round(ts * 1000), v];
    return undefined;
  };
  const { data } = value;
  let series: PromSeries[];
  if (data.resultType === 'matrix') {
    series = data.result.map((r) => ({
      metric: r.metric,
      points: r.values.map(convert).filter((p) => p !== undefined),
    }));
  } else if (data.resultType === 'vector') {
    series = data.result.map((r) => ({
      metric: r.metric,
      points: [convert(r.value)].filter((p) => p !== undefined),
    }));
  } else if (data.resultType === 'scalar') {
    series = [{ metric: {}, points: [convert(data.result)].filter((p) => p !== undefined) }];
  } else {
    series = [];
  }
  for (const [kind, count] of Object.entries(dropped)) {
    if (count > 0) warnings.push(`dropped ${count} ${kind} sample${count === 1 ? '' : 's'}`);
  }
  return {
    ok: true,
    resultType: data.resultType,
    series: series.filter((s) => s.points.length > 0),
    warnings,
  };
}

const TOO_LARGE_RE =
  /too many samples|would load too many|query timed out|timeout|exceeded maximum resolution|max(imum)? number of (series|chunks|samples)|query length|limit exceeded|too large/i;

/** True when Prometheus (or Thanos/Mimir/AMP) refused a query for its size or run time: split it and retry. */
export function isTooLargeError(status: number, errorType: string, error: string): boolean {
  if (errorType === 'timeout') return true;
  if (status === 429 && !TOO_LARGE_RE.test(error)) return false;
  return (
    (status === 422 || status === 400 || status === 503 || status === 200 || status === 429) &&
    TOO_LARGE_RE.test(error)
  );
}
