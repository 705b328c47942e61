/**
 * podWarnings names a uid only when several pods carry it (issue #13, item 11). It first finds those uids
 * holding one pointer per uid (issue #18: the month step at 10,000 GPUs), so these pin what counts as
 * "another pod": another namespace or name in the same cluster, never the same pod on another day.
 */
import { describe, expect, it } from 'vitest';
import { podWarnings } from '../../../src/core/aggregate/podWarnings.ts';
import {
  ChargeRow,
  DIRECT,
  IDLE_SHARE,
  type NodeInfo,
  RowStore,
  ShareRow,
} from '../../../src/core/allocation/chargeRows.ts';
import type { PodUsage } from '../../../src/core/types.ts';

const store = new RowStore(16, 2, '', 'platform');
const info = { store, cluster: 'c1', node: 'n1' } as unknown as NodeInfo;

/** A fresh PodUsage (as each day's partial has) for a pod, with a Direct row of `units` minor units. */
function row(cluster: string, namespace: string, pod: string, uid: string, team: string, units: number) {
  const usage = { pod: { cluster, namespace, pod, uid }, team, node: 'n1' } as unknown as PodUsage;
  const slot = store.push(0n, 0n, 0, 0);
  store.effUnits[slot] = units;
  return new ChargeRow(usage, info, slot, DIRECT);
}

describe('podWarnings', () => {
  it('does not warn about one pod seen on several days (a new PodRef each day)', () => {
    const rows = [row('c1', 'ml', 'a', 'u1', 'vision', 100), row('c1', 'ml', 'a', 'u1', 'vision', 200)];
    expect(podWarnings(rows, store, 2, 'USD')).toEqual([]);
  });

  it('does not warn about the same uid in two clusters', () => {
    const rows = [row('c1', 'ml', 'a', 'u1', 'vision', 100), row('c2', 'ml', 'a', 'u1', 'vision', 200)];
    expect(podWarnings(rows, store, 2, 'USD')).toEqual([]);
  });

  it('names every pod of a uid that another namespace or name carries, with its money over all days', () => {
    const first = row('c1', 'ml', 'a', 'u1', 'vision', 100);
    const copy = row('c1', 'ml-restore', 'a', 'u1', 'sre', 50);
    const renamed = row('c1', 'ml', 'b', 'u1', 'speech', 7);
    const share = new ShareRow(first.usage!, info, store.push(0n, 0n, 0, 0), {
      unitPrice: '1',
      fallback: false,
    });
    store.effUnits[share.slot] = 3;
    const rows = [
      first,
      row('c1', 'other', 'x', 'u2', 'vision', 9),
      copy,
      renamed,
      share,
      row('c1', 'ml', 'a', 'u1', 'vision', 20),
    ];
    expect(share.code).toBe(IDLE_SHARE);
    const warnings = podWarnings(rows, store, 2, 'USD');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('uid u1 (cluster c1) is carried by 3 pods');
    expect(warnings[0]).toContain(
      'c1/ml/a (uid u1) team vision: USD 1.23; c1/ml/b (uid u1) team speech: USD 0.07; c1/ml-restore/a (uid u1) team sre: USD 0.50; together USD 1.80',
    );
  });
});
