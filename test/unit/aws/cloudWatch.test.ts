import { PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { describe, expect, it } from 'vitest';
import {
  batchDatums,
  createCloudWatchSink,
  toCloudWatchDatum,
} from '../../../src/adapters/cloudwatch/cloudWatchSink.ts';
import { dayRunMetrics, runMetrics } from '../../../src/app/runMetrics.ts';
import type { MeteredDay, Summary } from '../../../src/core/types.ts';
import type { MetricDatum } from '../../../src/ports.ts';

/** CloudWatch cannot run here: a client that records the commands it is sent. */
function recordingClient() {
  const sent: PutMetricDataCommand['input'][] = [];
  return {
    sent,
    client: {
      send: async (command: unknown) => {
        expect(command).toBeInstanceOf(PutMetricDataCommand);
        sent.push((command as PutMetricDataCommand).input);
        return {};
      },
    } as never,
  };
}

describe('createCloudWatchSink', () => {
  it('sends datums to the namespace with sorted dimensions', async () => {
    const { sent, client } = recordingClient();
    const sink = createCloudWatchSink({ namespace: 'GpuChargeback', client });

    await sink.publish([
      { name: 'TeamCost', value: 12.5, unit: 'None', dimensions: { Team: 'ml', Cluster: 'prod' } },
      { name: 'RunSuccess', value: 1, unit: 'Count' },
    ]);

    expect(sent).toEqual([
      {
        Namespace: 'GpuChargeback',
        MetricData: [
          {
            MetricName: 'TeamCost',
            Value: 12.5,
            Unit: 'None',
            Dimensions: [
              { Name: 'Cluster', Value: 'prod' },
              { Name: 'Team', Value: 'ml' },
            ],
          },
          { MetricName: 'RunSuccess', Value: 1, Unit: 'Count' },
        ],
      },
    ]);
  });

  it('splits 2500 datums into requests of 1000, 1000 and 500', async () => {
    const { sent, client } = recordingClient();
    const data: MetricDatum[] = Array.from({ length: 2500 }, (_, i) => ({
      name: 'TeamCost',
      value: i,
      unit: 'None',
      dimensions: { Team: `t${i}` },
    }));

    await createCloudWatchSink({ namespace: 'Ns', client }).publish(data);

    expect(sent.map((s) => s.MetricData?.length)).toEqual([1000, 1000, 500]);
    expect(sent[2]?.MetricData?.[499]?.Dimensions).toEqual([{ Name: 'Team', Value: 't2499' }]);
  });

  it('drops NaN and Infinity, which CloudWatch rejects', async () => {
    const { sent, client } = recordingClient();
    await createCloudWatchSink({ namespace: 'Ns', client }).publish([
      { name: 'A', value: Number.NaN, unit: 'None' },
      { name: 'B', value: 2, unit: 'None' },
      { name: 'C', value: Number.POSITIVE_INFINITY, unit: 'None' },
    ]);
    expect(sent[0]?.MetricData?.map((d) => d.MetricName)).toEqual(['B']);
  });

  it('sends nothing for no datums', async () => {
    const { sent, client } = recordingClient();
    await createCloudWatchSink({ namespace: 'Ns', client }).publish([]);
    expect(sent).toEqual([]);
  });
});

describe('batchDatums', () => {
  it('starts a new batch before the byte budget is exceeded', () => {
    const long = 'x'.repeat(1000);
    const data = Array.from({ length: 10 }, () =>
      toCloudWatchDatum({ name: 'M', value: 1, unit: 'None', dimensions: { Team: long } }),
    );
    const batches = batchDatums(data, 1000, 9000);
    expect(batches.map((b) => b.length)).toEqual([4, 4, 2]);
  });
});

const summary = {
  totals: {
    cost: '1234.56',
    idleCost: '200.00',
    allocationRatePct: 81.5,
    coveragePct: 99.2,
    utilizationPct: 47.25,
  },
  byTeam: [
    { key: 'ml', cost: '1000.00', gpuHours: 400.5 },
    { key: 'platform', cost: '234.56', gpuHours: 90 },
  ],
} as unknown as Summary;

describe('runMetrics', () => {
  it('returns success, duration, totals, coverage and per-team cost and GPU-hours', () => {
    const data = runMetrics(summary, { job: 'monthly-report', durationSeconds: 42.5, success: true });
    const job = { Job: 'monthly-report' };
    expect(data).toEqual([
      { name: 'RunSuccess', value: 1, unit: 'Count', dimensions: job },
      { name: 'RunDurationSeconds', value: 42.5, unit: 'Seconds', dimensions: job },
      { name: 'TotalCost', value: 1234.56, unit: 'None', dimensions: job },
      { name: 'IdleCost', value: 200, unit: 'None', dimensions: job },
      { name: 'AllocationRatePct', value: 81.5, unit: 'Percent', dimensions: job },
      { name: 'DataCoveragePct', value: 99.2, unit: 'Percent', dimensions: job },
      { name: 'UtilizationPct', value: 47.25, unit: 'Percent', dimensions: job },
      { name: 'TeamCost', value: 1000, unit: 'None', dimensions: { Team: 'ml' } },
      { name: 'TeamGpuHours', value: 400.5, unit: 'None', dimensions: { Team: 'ml' } },
      { name: 'TeamCost', value: 234.56, unit: 'None', dimensions: { Team: 'platform' } },
      { name: 'TeamGpuHours', value: 90, unit: 'None', dimensions: { Team: 'platform' } },
    ]);
  });

  it('reports only failure and duration when the run produced no summary', () => {
    expect(runMetrics(undefined, { job: 'monthly-report', durationSeconds: 3, success: false })).toEqual([
      { name: 'RunSuccess', value: 0, unit: 'Count', dimensions: { Job: 'monthly-report' } },
      { name: 'RunDurationSeconds', value: 3, unit: 'Seconds', dimensions: { Job: 'monthly-report' } },
    ]);
  });

  it('omits utilization when it is unknown', () => {
    const noUtil = { ...summary, totals: { ...summary.totals, utilizationPct: null } } as Summary;
    const names = runMetrics(noUtil, { job: 'backfill-month', durationSeconds: 1, success: true }).map(
      (d) => d.name,
    );
    expect(names).not.toContain('UtilizationPct');
  });
});

describe('dayRunMetrics', () => {
  it('reports the day coverage in percent', () => {
    const day = { coverage: { kubeStateMetrics: 0.875 } } as MeteredDay;
    expect(dayRunMetrics(day, { job: 'daily-meter', durationSeconds: 10, success: true })[2]).toEqual({
      name: 'DataCoveragePct',
      value: 87.5,
      unit: 'Percent',
      dimensions: { Job: 'daily-meter' },
    });
  });
});
