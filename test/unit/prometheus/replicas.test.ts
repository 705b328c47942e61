import { describe, expect, it } from 'vitest';
import {
  chooseReplicaPoints,
  compareReplicas,
  type ReplicaPresence,
  type ReplicaSeries,
} from '../../../src/adapters/prometheus/replicas.ts';

const S = 60_000;
const steps = (...ks: number[]) => ks.map((k) => k * S);
const pts = (...ks: number[]): [number, number][] => ks.map((k) => [k * S, 1]);
const at = (...pairs: [number, number][]): [number, number][] => pairs.map(([k, v]) => [k * S, v]);

// Replica tuples as the Prometheus source builds them for kube-state-metrics:
// [replica, prometheus_replica, instance].
const A = ['', 'prometheus-0', '10.0.0.10:8080'];
const B = ['', 'prometheus-1', '10.0.0.10:8080'];
const KSM_OLD = ['', '', '10.0.0.10:8080'];
const KSM_NEW = ['', '', '10.0.1.50:8080'];

const series = (object: string, replica: string[], points: [number, number][], scope = 'c1') =>
  ({ object, scope, replica, points }) satisfies ReplicaSeries<number>;
const present = (replica: string[], tsMs: number[], scope = 'c1'): ReplicaPresence => ({
  scope,
  replica,
  tsMs,
});
const chosenSteps = (out: Map<string, [number, number][]>, object: string) =>
  (out.get(object) ?? []).map(([t]) => t / S);

describe('chooseReplicaPoints', () => {
  it('takes the primary replica when it was scraped: a later-scraping replica adds no step', () => {
    // B scrapes 13 s later: it still saw the pod Running at step 5, when A already saw it gone.
    const out = chooseReplicaPoints(
      [series('pod', A, pts(1, 2, 3, 4)), series('pod', B, pts(1, 2, 3, 4, 5))],
      [present(A, steps(1, 2, 3, 4, 5, 6)), present(B, steps(1, 2, 3, 4, 5, 6))],
    );
    expect(chosenSteps(out, 'pod')).toEqual([1, 2, 3, 4]);
  });

  it('does not take a pod start seen only by a later replica while the primary was scraped', () => {
    // The pod started Running between A's and B's scrape of step 1.
    const out = chooseReplicaPoints(
      [series('pod', A, pts(2, 3)), series('pod', B, pts(1, 2, 3))],
      [present(A, steps(1, 2, 3)), present(B, steps(1, 2, 3))],
    );
    expect(chosenSteps(out, 'pod')).toEqual([2, 3]);
  });

  it('fails over to the next replica at steps where the primary has no sample at all', () => {
    // A (prometheus-0) was down for steps 3..4: B fills them, no gap.
    const out = chooseReplicaPoints(
      [series('pod', A, pts(1, 2, 5, 6)), series('pod', B, pts(1, 2, 3, 4, 5, 6))],
      [present(A, steps(1, 2, 5, 6)), present(B, steps(1, 2, 3, 4, 5, 6))],
    );
    expect(chosenSteps(out, 'pod')).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('takes the value of the chosen replica, not the largest', () => {
    const out = chooseReplicaPoints(
      [
        series('node/gpu', A, at([1, 4], [2, 4], [3, 4])),
        series('node/gpu', B, at([1, 8], [2, 8], [3, 8], [4, 8])),
      ],
      [present(A, steps(1, 2, 3)), present(B, steps(1, 2, 3, 4))],
    );
    expect(out.get('node/gpu')).toEqual(at([1, 4], [2, 4], [3, 4], [4, 8]));
  });

  it('treats a rescheduled kube-state-metrics (new instance) as the same source, not a second replica', () => {
    // One KSM, rescheduled after step 3: the old instance sorts first but was not scraped afterwards.
    const out = chooseReplicaPoints(
      [series('pod', KSM_OLD, pts(1, 2, 3)), series('pod', KSM_NEW, pts(4, 5, 6))],
      [present(KSM_OLD, steps(1, 2, 3)), present(KSM_NEW, steps(4, 5, 6, 7))],
    );
    expect(chosenSteps(out, 'pod')).toEqual([1, 2, 3, 4, 5, 6]);
    // The same, with the new instance sorting first.
    const swapped = chooseReplicaPoints(
      [series('pod', KSM_NEW, pts(1, 2, 3)), series('pod', KSM_OLD, pts(4, 5, 6))],
      [present(KSM_NEW, steps(1, 2, 3)), present(KSM_OLD, steps(4, 5, 6, 7))],
    );
    expect(chosenSteps(swapped, 'pod')).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('keeps objects that only another replica (a kube-state-metrics shard) ever exported', () => {
    const out = chooseReplicaPoints(
      [series('pod-a', KSM_OLD, pts(1, 2, 3)), series('pod-b', KSM_NEW, pts(1, 2, 3))],
      [present(KSM_OLD, steps(1, 2, 3)), present(KSM_NEW, steps(1, 2, 3))],
    );
    expect(chosenSteps(out, 'pod-a')).toEqual([1, 2, 3]);
    expect(chosenSteps(out, 'pod-b')).toEqual([1, 2, 3]);
  });

  it('judges presence within the object scope (cluster) only', () => {
    // A was scraped in cluster c2 at step 3, not in c1: in c1, B fills step 3.
    const out = chooseReplicaPoints(
      [series('pod', A, pts(1, 2)), series('pod', B, pts(1, 2, 3))],
      [present(A, steps(1, 2)), present(A, steps(3), 'c2'), present(B, steps(1, 2, 3))],
    );
    expect(chosenSteps(out, 'pod')).toEqual([1, 2, 3]);
  });

  it('returns one replica as is, and merges points of one replica and step', () => {
    const out = chooseReplicaPoints(
      [series('gpu', A, at([2, 1], [1, 3])), series('gpu', A, at([2, 5]))],
      [],
      (a, b) => a + b,
    );
    expect(out.get('gpu')).toEqual(at([1, 3], [2, 6]));
  });

  it('is the union of points when no presence is known (no replica is ever known to be up)', () => {
    const out = chooseReplicaPoints([series('pod', A, pts(1)), series('pod', B, pts(1, 2))], []);
    expect(chosenSteps(out, 'pod')).toEqual([1, 2]);
  });
});

describe('compareReplicas', () => {
  it('orders label tuples element by element', () => {
    const sorted = [B, KSM_NEW, A, KSM_OLD].sort(compareReplicas);
    expect(sorted).toEqual([KSM_OLD, KSM_NEW, A, B]);
    expect(compareReplicas(['a'], ['a', ''])).toBeLessThan(0);
    expect(compareReplicas(A, [...A])).toBe(0);
  });
});
