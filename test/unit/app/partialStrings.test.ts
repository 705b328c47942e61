/**
 * A month read back from its partials shares one copy of each string (issue #18: the month step's heap
 * at 10,000 GPUs). Sharing must change no value: every field of every pod and node reads as parsed.
 */
import { describe, expect, it } from 'vitest';
import { PartialStrings } from '../../../src/app/partialStrings.ts';
import type { MeteredDay, PodUsage } from '../../../src/core/types.ts';

const chargePeriod = { date: '2026-10-03', startMs: 1_790_985_600_000, endMs: 1_791_072_000_000 };

function pod(namespace: string, name: string, uid: string, team: string): PodUsage {
  return {
    pod: { cluster: 'prod-a', namespace, pod: name, uid },
    node: 'ip-10-0-1-100.ec2.internal',
    chargePeriod,
    gpuResource: 'nvidia_com_mig_3g_20gb',
    requested: 2,
    weight: { numerator: 3, denominator: 7 },
    gpuEquivalents: 6 / 7,
    heldSeconds: 3600,
    bridgedSeconds: 60,
    gpuSeconds: (3600 * 6) / 7,
    bounded: { gpuUnitMs: 12_345, denominator: 7, requestedAsObserved: 9 },
    utilization: 0.4242,
    utilizationSource: 'DCGM_FI_PROF_GR_ENGINE_ACTIVE',
    team,
    project: 'proj-7',
    teamSource: 'namespace-label',
    phase: 'PendingOnNode',
    idleHeldSeconds: 120,
  };
}

const day = {
  day: { date: chargePeriod.date, startMs: chargePeriod.startMs, endMs: chargePeriod.endMs },
  pods: [pod('ns-1-train', 'train-0', 'u-1', 'vision'), pod('ns-2-infer', 'serve-0', 'u-2', 'speech')],
  nodes: [
    {
      cluster: 'prod-a',
      node: 'ip-10-0-1-100.ec2.internal',
      chargePeriod,
      instanceType: 'p4d.24xlarge',
      capacityType: 'spot',
      presentSeconds: 86_400,
      capacityGpuSeconds: 8 * 86_400,
      allocatedGpuSeconds: 3600,
      idleGpuSeconds: 8 * 86_400 - 3600,
      gpus: 8,
      providerId: 'aws:///us-east-1a/i-0abc',
    },
  ],
  coverage: { date: chargePeriod.date, kubeStateMetrics: 1, dcgm: 0.98, gaps: [] },
  scrape: { kubeStateMetricsSeconds: 30, dcgmSeconds: 15, source: 'detected' },
  hourlyAllocatedGpus: {},
  warnings: [],
} as unknown as MeteredDay;

describe('PartialStrings', () => {
  it('leaves every field of a parsed day as it was parsed', () => {
    const text = JSON.stringify(day);
    const parsed = JSON.parse(text) as MeteredDay;
    new PartialStrings().shareDay(parsed);
    expect(parsed).toEqual(JSON.parse(text));
  });

  it('gives every later equal string the first one seen, across days', () => {
    const strings = new PartialStrings();
    const first = ['prod', 'a'].join('-');
    expect(strings.share(first)).toBe(first);
    expect(strings.share(['pro', 'd-a'].join(''))).toBe('prod-a');
    const days = [JSON.parse(JSON.stringify(day)), JSON.parse(JSON.stringify(day))] as MeteredDay[];
    for (const d of days) strings.shareDay(d);
    expect(days[1]!.pods.map((p) => [p.pod.uid, p.team, p.node])).toEqual([
      ['u-1', 'vision', 'ip-10-0-1-100.ec2.internal'],
      ['u-2', 'speech', 'ip-10-0-1-100.ec2.internal'],
    ]);
  });
});

describe('PartialStrings.shareDay', () => {
  it("gives a day's pods and nodes one charge period object and one weight object per value", () => {
    const other = { ...chargePeriod, startMs: chargePeriod.startMs + 3_600_000 };
    const text = JSON.stringify({
      ...day,
      pods: [
        ...day.pods,
        {
          ...pod('ns-3', 'late-0', 'u-3', 'vision'),
          chargePeriod: other,
          weight: { numerator: 1, denominator: 1 },
        },
        {
          ...pod('ns-3', 'late-1', 'u-4', 'vision'),
          chargePeriod: other,
          weight: { numerator: 1, denominator: 1 },
        },
      ],
    });
    const parsed = JSON.parse(text) as MeteredDay;
    new PartialStrings().shareDay(parsed);
    const [a, b, c, d] = parsed.pods as [PodUsage, PodUsage, PodUsage, PodUsage];
    expect(b.chargePeriod).toBe(a.chargePeriod);
    expect(parsed.nodes[0]!.chargePeriod).toBe(a.chargePeriod);
    expect(d.chargePeriod).toBe(c.chargePeriod);
    expect(c.chargePeriod).not.toBe(a.chargePeriod);
    expect(b.weight).toBe(a.weight);
    expect(d.weight).toBe(c.weight);
    expect(c.weight).not.toBe(a.weight);
    expect(parsed).toEqual(JSON.parse(text));
  });
});
