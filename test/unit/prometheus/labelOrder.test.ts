import { describe, expect, it } from 'vitest';
import { seriesIdentityOf } from '../../../src/adapters/prometheus/identity.ts';
import { orderLabelSetsByLastSeen } from '../../../src/adapters/prometheus/labelOrder.ts';
import type { PromSeries } from '../../../src/adapters/prometheus/parseResponse.ts';
import { SamplePoints } from '../../../src/adapters/prometheus/samplePoints.ts';

const T0 = Date.UTC(2026, 9, 1);
const MIN = 60_000;
const WINDOW = { startMs: T0 - 60 * MIN, endMs: T0 + 24 * 60 * MIN };
const LABELS = { pod: ['label_team', 'label_project'], namespace: ['label_team'] };
const identity = seriesIdentityOf({ clusterLabel: 'cluster', dedupeLabels: [] });

const row = (metric: Record<string, string>): PromSeries => ({
  metric,
  points: SamplePoints.of([[WINDOW.endMs, 1]]),
});
const raw = (metric: Record<string, string>, ...minutes: number[]): PromSeries => ({
  metric,
  points: SamplePoints.of(minutes.map((m) => [T0 + m * MIN, 1])),
});
const pod = (p: string, labels: Record<string, string>) => ({
  namespace: 'ml',
  pod: p,
  uid: `u-${p}`,
  ...labels,
});

/** A fake of the one query labelOrder asks, answering `rawAnswers` and recording what was asked. */
function fakeQueries(rawAnswers: Record<string, PromSeries[]>) {
  const asked: { name: string; params: Record<string, string>; shard?: Record<string, string> }[] = [];
  return {
    asked,
    queries: {
      rawOver: async (
        name: string,
        params: Record<string, string>,
        window: { startMs: number; endMs: number },
        shard?: Record<string, string>,
      ) => {
        expect(window).toEqual(WINDOW);
        asked.push({ name, params, ...(shard ? { shard } : {}) });
        return rawAnswers[name] ?? [];
      },
    },
  };
}

describe('orderLabelSetsByLastSeen', () => {
  it('asks nothing and changes nothing when every pod and namespace has one label set', async () => {
    const { queries, asked } = fakeQueries({});
    const answers = {
      podLabels: [row(pod('a', { label_team: 'x' })), row(pod('b', { label_team: 'y', label_other: '1' }))],
      namespaceLabels: [row({ namespace: 'ml', label_team: 'x' })],
    };
    const out = await orderLabelSetsByLastSeen(queries as never, answers, WINDOW, identity, LABELS);
    expect(out.podLabels).toBe(answers.podLabels);
    expect(out.namespaceLabels).toBe(answers.namespaceLabels);
    expect(asked).toEqual([]);
  });

  it("lists a pod's and a namespace's label sets in the order they were last seen in the day", async () => {
    // Prometheus lists b's sets alpha, zeta (label order); zeta was its team until 10:00, alpha after.
    const bAlpha = pod('b', { label_team: 'alpha' });
    const bZeta = pod('b', { label_team: 'zeta' });
    // c: seen under "late" only after the day's end (the window's margin): not its label in the day.
    const cEarly = pod('c', { label_team: 'early' });
    const cLate = pod('c', { label_team: 'late' });
    const nsNewThenBack = { namespace: 'ml', label_team: 'new' };
    const nsOldAgain = { namespace: 'ml', label_team: 'old' };
    const { queries, asked } = fakeQueries({
      pod_labels_raw: [
        raw({ ...bAlpha, instance: 'ksm-1', label_app: 'x' }, 600, 700),
        raw({ ...bZeta, instance: 'ksm-1', label_app: 'x' }, 0, 599),
        raw({ ...bZeta, instance: 'ksm-2', label_app: 'x' }, 1, 600.5),
        raw({ ...cEarly, instance: 'ksm-1' }, 100),
      ],
      namespace_labels_raw: [raw(nsNewThenBack, 10), raw(nsOldAgain, 5, 20)],
    });
    const a = row(pod('a', { label_team: 'x' }));
    const other = row({ ...pod('d', { label_team: 'd' }), cluster: 'east' });
    const answers = {
      podLabels: [row(bAlpha), a, row(cEarly), row(bZeta), row(cLate), other],
      namespaceLabels: [row(nsOldAgain), row(nsNewThenBack), row({ namespace: 'vision', label_team: 'v' })],
    };
    const out = await orderLabelSetsByLastSeen(queries as never, answers, WINDOW, identity, LABELS);
    const teams = (rows: PromSeries[]) =>
      rows.map((s) => `${s.metric.pod ?? s.metric.namespace}:${s.metric.label_team}`);
    // a and d keep their places, before the pods whose sets are ordered: b's zeta (last seen 600.5)
    // before alpha (700); c's late (never seen in the day) before early.
    expect(teams(out.podLabels).slice(0, 2)).toEqual(['a:x', 'd:d']);
    const of = (p: string) => teams(out.podLabels).filter((t) => t.startsWith(`${p}:`));
    expect(of('b')).toEqual(['b:zeta', 'b:alpha']);
    expect(of('c')).toEqual(['c:late', 'c:early']);
    expect(out.podLabels).toHaveLength(6);
    expect(teams(out.namespaceLabels)).toEqual(['vision:v', 'ml:new', 'ml:old']);
    // Only the pods and namespaces with several sets were asked for, each family once.
    expect(asked).toEqual([
      { name: 'pod_labels_raw', params: {}, shard: { uids: ', uid=~"u-b|u-c"' } },
      { name: 'namespace_labels_raw', params: { namespaces: ', namespace=~"ml"' } },
    ]);
  });

  it('keeps the answer order of sets last seen at the same instant, and tells clusters apart', async () => {
    const east = { cluster: 'east', namespace: 'ml', pod: 'p', uid: 'u' };
    const west = { ...east, cluster: 'west' };
    const { queries } = fakeQueries({
      pod_labels_raw: [
        raw({ ...east, label_team: 'one' }, 50),
        raw({ ...east, label_team: 'two' }, 50),
        raw({ ...west, label_team: 'w1' }, 90),
        raw({ ...west, label_team: 'w2' }, 10),
      ],
    });
    const out = await orderLabelSetsByLastSeen(
      queries as never,
      {
        podLabels: [
          row({ ...east, label_team: 'two' }),
          row({ ...west, label_team: 'w1' }),
          row({ ...east, label_team: 'one' }),
          row({ ...west, label_team: 'w2' }),
        ],
        namespaceLabels: [],
      },
      WINDOW,
      identity,
      LABELS,
    );
    const of = (cluster: string) =>
      out.podLabels.filter((s) => s.metric.cluster === cluster).map((s) => s.metric.label_team);
    expect(of('east')).toEqual(['two', 'one']);
    expect(of('west')).toEqual(['w2', 'w1']);
  });
});
