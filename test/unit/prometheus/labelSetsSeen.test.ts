import { describe, expect, it } from 'vitest';
import { seriesIdentityOf } from '../../../src/adapters/prometheus/identity.ts';
import { labelSetsSeen } from '../../../src/adapters/prometheus/labelSetsSeen.ts';
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

/** A fake of the one query labelSetsSeen asks, answering `rawAnswers` and recording what was asked. */
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

describe('labelSetsSeen', () => {
  it('asks nothing and gives no time when every pod and namespace has one label set', async () => {
    const { queries, asked } = fakeQueries({});
    const a = pod('a', { label_team: 'x' });
    const answers = {
      podLabels: [row(a), row(pod('b', { label_team: 'y', label_other: '1' }))],
      namespaceLabels: [row({ namespace: 'ml', label_team: 'x' })],
    };
    const seen = await labelSetsSeen(queries as never, answers, WINDOW, identity, LABELS);
    expect(seen.pod(a)).toBeUndefined();
    expect(seen.namespace({ namespace: 'ml', label_team: 'x' })).toBeUndefined();
    expect(asked).toEqual([]);
  });

  it("gives when each set of a pod or namespace with several was last seen, up to the day's end", async () => {
    // b was zeta's until 10:00 (two KSM replicas), alpha's after; c was seen as "late" only after the
    // day's end, so the raw read (which stops there) has no sample of it.
    const bAlpha = pod('b', { label_team: 'alpha' });
    const bZeta = pod('b', { label_team: 'zeta' });
    const cEarly = pod('c', { label_team: 'early' });
    const cLate = pod('c', { label_team: 'late' });
    const nsA = { namespace: 'ml', label_team: 'new' };
    const nsB = { namespace: 'ml', label_team: 'old' };
    const a = pod('a', { label_team: 'x' });
    const { queries, asked } = fakeQueries({
      pod_labels_raw: [
        raw({ ...bAlpha, instance: 'ksm-1', label_app: 'x' }, 600, 700),
        raw({ ...bZeta, instance: 'ksm-1', label_app: 'x' }, 0, 599),
        raw({ ...bZeta, instance: 'ksm-2', label_app: 'x' }, 1, 600.5),
        raw({ ...cEarly, instance: 'ksm-1' }, 100),
        // A pod with one set is not asked for: a series of it in the answer is ignored.
        raw(a, 5),
      ],
      namespace_labels_raw: [raw(nsA, 10), raw(nsB, 5, 20)],
    });
    const answers = {
      podLabels: [row(bAlpha), row(a), row(cEarly), row(bZeta), row(cLate)],
      namespaceLabels: [row(nsB), row(nsA), row({ namespace: 'vision', label_team: 'v' })],
    };
    const seen = await labelSetsSeen(queries as never, answers, WINDOW, identity, LABELS);
    expect(seen.pod(bZeta)).toBe(T0 + 600.5 * MIN);
    expect(seen.pod(bAlpha)).toBe(T0 + 700 * MIN);
    // Labels other than the configured ones (label_app, instance) do not make another set.
    expect(seen.pod({ ...bAlpha, label_app: 'y', instance: 'ksm-3' })).toBe(T0 + 700 * MIN);
    expect(seen.pod(cEarly)).toBe(T0 + 100 * MIN);
    expect(seen.pod(cLate)).toBeUndefined();
    expect(seen.pod(a)).toBeUndefined();
    expect(seen.namespace(nsA)).toBe(T0 + 10 * MIN);
    expect(seen.namespace(nsB)).toBe(T0 + 20 * MIN);
    expect(seen.namespace({ namespace: 'vision', label_team: 'v' })).toBeUndefined();
    // Only the pods and namespaces with several sets were asked for, each family once.
    expect(asked).toEqual([
      { name: 'pod_labels_raw', params: {}, shard: { uids: ', uid=~"u-b|u-c"' } },
      { name: 'namespace_labels_raw', params: { namespaces: ', namespace=~"ml"' } },
    ]);
  });

  it('tells clusters apart', async () => {
    const east = { cluster: 'east', namespace: 'ml', pod: 'p', uid: 'u' };
    const west = { ...east, cluster: 'west' };
    const { queries } = fakeQueries({
      pod_labels_raw: [
        raw({ ...east, label_team: 'one' }, 50),
        raw({ ...east, label_team: 'two' }, 40),
        raw({ ...west, label_team: 'one' }, 10),
        raw({ ...west, label_team: 'two' }, 90),
      ],
    });
    const seen = await labelSetsSeen(
      queries as never,
      {
        podLabels: ['one', 'two'].flatMap((team) => [
          row({ ...east, label_team: team }),
          row({ ...west, label_team: team }),
        ]),
        namespaceLabels: [],
      },
      WINDOW,
      identity,
      LABELS,
    );
    expect(seen.pod({ ...east, label_team: 'one' })).toBe(T0 + 50 * MIN);
    expect(seen.pod({ ...west, label_team: 'one' })).toBe(T0 + 10 * MIN);
    expect(seen.pod({ ...west, label_team: 'two' })).toBe(T0 + 90 * MIN);
  });
});
