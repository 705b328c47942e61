import type { JobName, RunOutcome } from './runMetrics.ts';
import type { MetricDatum } from '../ports.ts';
import type { AppContext } from './context.ts';

/**
 * Runs one job and publishes its run metrics (success 1/0, duration, and whatever `metricsOf` derives from
 * the result). A failed job still reports RunSuccess=0 and then rethrows, so Lambda, Step Functions and
 * the alarm all see it. A failure to publish metrics is logged, never allowed to fail a billing run.
 */
export async function runJob<T>(
  ctx: Pick<AppContext, 'clock' | 'metrics' | 'logger'>,
  job: JobName,
  work: () => Promise<T>,
  metricsOf: (result: T | undefined, run: RunOutcome) => MetricDatum[],
): Promise<T> {
  const startedMs = ctx.clock.nowMs();
  const outcome = (success: boolean): RunOutcome => ({
    job,
    success,
    durationSeconds: (ctx.clock.nowMs() - startedMs) / 1000,
  });
  const publish = async (data: MetricDatum[]) => {
    try {
      await ctx.metrics.publish(data);
    } catch (error) {
      ctx.logger.error('could not publish run metrics', { job, error: (error as Error).message });
    }
  };
  let result: T;
  try {
    result = await work();
  } catch (error) {
    ctx.logger.error(`${job} failed`, { job, error: (error as Error).message, name: (error as Error).name });
    await publish(metricsOf(undefined, outcome(false)));
    throw error;
  }
  await publish(metricsOf(result, outcome(true)));
  return result;
}
