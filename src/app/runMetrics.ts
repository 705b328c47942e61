import type { MeteredDay, Summary } from '../core/types.ts';
import type { MetricDatum } from '../ports.ts';

/**
 * Metric names and dimensions that the alarms and the dashboard in serverless.yml refer to. Alarms need
 * fixed dimension sets, so run-level metrics carry only `Job`, and team metrics only `Team`.
 */
export const metricNames = {
  runSuccess: 'RunSuccess',
  runDuration: 'RunDurationSeconds',
  totalCost: 'TotalCost',
  idleCost: 'IdleCost',
  teamCost: 'TeamCost',
  teamGpuHours: 'TeamGpuHours',
  utilization: 'UtilizationPct',
  allocationRate: 'AllocationRatePct',
  coverage: 'DataCoveragePct',
  /** Messages to team leads sent, and those that failed after their retry (config `delivery`). */
  deliveriesSent: 'DeliveriesSent',
  deliveryFailures: 'DeliveryFailures',
} as const;

export type JobName = 'daily-meter' | 'monthly-report' | 'backfill-day' | 'backfill-month' | 'deliver';

export interface RunOutcome {
  job: JobName;
  durationSeconds: number;
  success: boolean;
}

function runDatums(run: RunOutcome): MetricDatum[] {
  const dimensions = { Job: run.job };
  return [
    { name: metricNames.runSuccess, value: run.success ? 1 : 0, unit: 'Count', dimensions },
    { name: metricNames.runDuration, value: run.durationSeconds, unit: 'Seconds', dimensions },
  ];
}

/**
 * The datums of a monthly run: success (1/0) and duration always; from the summary (when the run got that
 * far) total, idle, per-team cost and GPU-hours, utilization, allocation rate and data coverage. Money is in
 * the billing currency, as a plain number. Pure.
 */
export function runMetrics(summary: Summary | null | undefined, run: RunOutcome): MetricDatum[] {
  const out = runDatums(run);
  if (!summary) return out;
  const job = { Job: run.job };
  const t = summary.totals;
  out.push(
    { name: metricNames.totalCost, value: Number(t.cost), unit: 'None', dimensions: job },
    { name: metricNames.idleCost, value: Number(t.idleCost), unit: 'None', dimensions: job },
    { name: metricNames.allocationRate, value: t.allocationRatePct, unit: 'Percent', dimensions: job },
    { name: metricNames.coverage, value: t.coveragePct, unit: 'Percent', dimensions: job },
  );
  if (t.utilizationPct !== null) {
    out.push({ name: metricNames.utilization, value: t.utilizationPct, unit: 'Percent', dimensions: job });
  }
  for (const team of summary.byTeam) {
    const dimensions = { Team: team.key };
    out.push(
      { name: metricNames.teamCost, value: Number(team.cost), unit: 'None', dimensions },
      { name: metricNames.teamGpuHours, value: team.gpuHours, unit: 'None', dimensions },
    );
  }
  return out;
}

/** The datums of a daily metering run: success, duration and the day's kube-state-metrics coverage. Pure. */
export function dayRunMetrics(day: MeteredDay | null | undefined, run: RunOutcome): MetricDatum[] {
  const out = runDatums(run);
  if (day) {
    out.push({
      name: metricNames.coverage,
      value: day.coverage.kubeStateMetrics * 100,
      unit: 'Percent',
      dimensions: { Job: run.job },
    });
  }
  return out;
}

/**
 * The datums of a delivery to team leads (src/app/deliverMonth.ts): messages sent and failed, with the
 * run's `Job` dimension; none when nothing was delivered (delivery off, or nothing published). Pure.
 */
export function deliveryMetrics(
  delivery: { sent: number; failed: number } | undefined,
  job: JobName,
): MetricDatum[] {
  if (!delivery) return [];
  const dimensions = { Job: job };
  return [
    { name: metricNames.deliveriesSent, value: delivery.sent, unit: 'Count', dimensions },
    { name: metricNames.deliveryFailures, value: delivery.failed, unit: 'Count', dimensions },
  ];
}
