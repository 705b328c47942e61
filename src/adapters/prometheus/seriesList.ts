import { z } from 'zod';
import type { PromFailure, PromSuccess } from './parseResponse.ts';
import { SamplePoints } from './samplePoints.ts';

/**
 * Parses an answer of Prometheus' series endpoint (`/api/v1/series`: `data` is a list of label sets),
 * with the interface of PrometheusResponseParser so the client sends, retries and checks it as it does
 * a query: each label set becomes a series without samples. The answer is small (one label set per
 * series, no samples), so it is held and parsed whole. `end` throws a RangeError when the body is not
 * such an answer, as PrometheusResponseParser does.
 */
export class SeriesListParser {
  private readonly chunks: Uint8Array[] = [];

  write(chunk: Uint8Array): void {
    this.chunks.push(chunk);
  }

  end(): PromSuccess | PromFailure {
    let body: unknown;
    try {
      body = JSON.parse(Buffer.concat(this.chunks).toString('utf8'));
    } catch (error) {
      throw new RangeError(`not JSON: ${(error as Error).message}`);
    }
    const parsed = ANSWER.safeParse(body);
    if (!parsed.success) throw new RangeError('not a Prometheus series answer');
    const answer = parsed.data;
    if (answer.status === 'error') {
      return { ok: false, errorType: answer.errorType, error: answer.error, warnings: answer.warnings ?? [] };
    }
    return {
      ok: true,
      resultType: 'vector',
      series: answer.data.map((metric) => ({ metric, points: SamplePoints.EMPTY })),
      warnings: answer.warnings ?? [],
    };
  }
}

const ANSWER = z.union([
  z.object({
    status: z.literal('success'),
    data: z.array(z.record(z.string(), z.string())),
    warnings: z.array(z.string()).optional(),
  }),
  z.object({
    status: z.literal('error'),
    errorType: z.string(),
    error: z.string(),
    warnings: z.array(z.string()).optional(),
  }),
]);
