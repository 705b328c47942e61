import { describe, expect, it } from 'vitest';
import type { ConfigInput } from '../../../src/config/schema.ts';
import { IDLE_HELD_WORST_PODS } from '../../../src/core/aggregate/idleHeld.ts';
import { priceMonth } from '../../../src/core/month/priceMonth.ts';
import { billingPeriod } from '../../../src/core/period.ts';
import type { MeteredDay } from '../../../src/core/types.ts';
import {
  CATALOG,
  meteredDay,
  nodeUsage,
  parseConfig,
  podUsage,
  priceOptions,
  wholeDay,
} from '../../support/meteredFixture.ts';

const period = billingPeriod('2026-03', 'UTC');
const day1 = period.days[0]!;
const cp = wholeDay(day1);
const HOUR = 3600;

function summaryOf(days: MeteredDay[], config: ConfigInput = {}) {
  const parsed = parseConfig({ pricing: { instanceTypes: CATALOG }, ...config });
  return priceMonth(days, priceOptions(period, parsed)).summary;
}

/**
 * A 4×A10G g5.12xlarge On-Demand node (1.418 per GPU-hour) for a day. Pod a (team ml, namespace ml)
 * holds 2 GPUs all day, 6 hours of it idle: 12 GPU-hours = 17.016 wasted. Pod b (team search) holds 1
 * GPU for 12 hours, 1 of it idle: 1 GPU-hour = 1.418. Pod c holds 1 GPU for 12 hours, never idle.
 */
function example(): MeteredDay[] {
  const a = podUsage(cp, {
    pod: { namespace: 'ml', pod: 'a', uid: 'ua' },
    node: 'big',
    requested: 2,
    utilization: 0.5,
    team: 'ml',
    idleHeldSeconds: 6 * HOUR,
  });
  const b = podUsage(cp, {
    pod: { namespace: 'search', pod: 'b', uid: 'ub' },
    node: 'big',
    heldSeconds: 12 * HOUR,
    utilization: 0.02,
    team: 'search',
    idleHeldSeconds: 1 * HOUR,
  });
  const c = podUsage(cp, {
    pod: { namespace: 'search', pod: 'c', uid: 'uc' },
    node: 'big',
    heldSeconds: 12 * HOUR,
    team: 'search',
  });
  return [
    meteredDay(
      day1,
      [a, b, c],
      [nodeUsage(cp, { node: 'big', instanceType: 'g5.12xlarge', gpus: 4 }, [a, b, c])],
    ),
  ];
}

describe('summary.json idleHeld', () => {
  it('prices idle-held GPU time at each row’s effective rate, per team, namespace and worst pods', () => {
    const { idleHeld } = summaryOf(example());
    expect(idleHeld).toEqual({
      rule: { utilizationBelowPct: 5, forMinutes: 15 },
      gpuHours: 13,
      cost: '18.43',
      pods: 2,
      byTeam: [
        {
          team: 'ml',
          gpuHours: 12,
          cost: '17.02',
          pods: 1,
          namespaces: [{ cluster: '', namespace: 'ml', gpuHours: 12, cost: '17.02', pods: 1 }],
        },
        {
          team: 'search',
          gpuHours: 1,
          cost: '1.42',
          pods: 1,
          namespaces: [{ cluster: '', namespace: 'search', gpuHours: 1, cost: '1.42', pods: 1 }],
        },
      ],
      byNamespace: [
        { cluster: '', namespace: 'ml', gpuHours: 12, cost: '17.02', pods: 1 },
        { cluster: '', namespace: 'search', gpuHours: 1, cost: '1.42', pods: 1 },
      ],
      worstPods: [
        { cluster: '', namespace: 'ml', pod: 'a', podUid: 'ua', team: 'ml', gpuHours: 12, cost: '17.02' },
        {
          cluster: '',
          namespace: 'search',
          pod: 'b',
          podUid: 'ub',
          team: 'search',
          gpuHours: 1,
          cost: '1.42',
        },
      ],
    });
  });

  it('counts the part of idle time the utilization policy moves to the platform team as the pod’s waste', () => {
    const { idleHeld } = summaryOf(example(), { allocation: { utilization: { mode: 'utilization' } } });
    expect(idleHeld?.byTeam).toMatchObject([
      { team: 'ml', gpuHours: 12, cost: '17.02', pods: 1 },
      { team: 'search', gpuHours: 1, cost: '1.42', pods: 1 },
    ]);
    expect(idleHeld?.byTeam.map((t) => t.namespaces?.map((n) => [n.namespace, n.cost]))).toEqual([
      [['ml', '17.02']],
      [['search', '1.42']],
    ]);
  });

  it("splits each team's idle-held GPUs by namespace, most money first, a namespace shared by two teams in each", () => {
    // Pod d of team ml idles 3 of its 12 hours on 1 GPU in namespace search (3 GPU-hours = 4.254).
    const d = podUsage(cp, {
      pod: { namespace: 'search', pod: 'd', uid: 'ud' },
      node: 'big',
      heldSeconds: 12 * HOUR,
      team: 'ml',
      idleHeldSeconds: 3 * HOUR,
    });
    const [day] = example();
    const pods = [...day!.pods, d];
    const node = nodeUsage(cp, { node: 'big', instanceType: 'g5.12xlarge', gpus: 4 }, pods);
    const { idleHeld } = summaryOf([meteredDay(day1, pods, [node])]);
    expect(idleHeld?.byTeam.map((t) => [t.team, t.cost, t.namespaces])).toEqual([
      [
        'ml',
        '21.27',
        [
          { cluster: '', namespace: 'ml', gpuHours: 12, cost: '17.02', pods: 1 },
          { cluster: '', namespace: 'search', gpuHours: 3, cost: '4.25', pods: 1 },
        ],
      ],
      ['search', '1.42', [{ cluster: '', namespace: 'search', gpuHours: 1, cost: '1.42', pods: 1 }]],
    ]);
    expect(idleHeld?.byNamespace.map((n) => [n.namespace, n.cost, n.pods])).toEqual([
      ['ml', '17.02', 1],
      ['search', '5.67', 2],
    ]);
  });

  it('records the configured rule', () => {
    const { idleHeld } = summaryOf(example(), {
      metering: { idleHeld: { utilizationBelowPct: 10, forMinutes: 10 } },
    });
    expect(idleHeld?.rule).toEqual({ utilizationBelowPct: 10, forMinutes: 10 });
  });

  it('does not change the bill: the total is the same without idle-held time', () => {
    const plain = example().map((d) => ({ ...d, pods: d.pods.map(({ idleHeldSeconds: _, ...p }) => p) }));
    expect(summaryOf(example()).totals.cost).toBe(summaryOf(plain).totals.cost);
    expect(summaryOf(plain).idleHeld).toMatchObject({
      gpuHours: 0,
      cost: '0.00',
      pods: 0,
      byTeam: [],
      worstPods: [],
    });
  });

  describe('edge cases', () => {
    it('lists at most the worst pods, most money first, then by name', () => {
      const pods = Array.from({ length: IDLE_HELD_WORST_PODS + 2 }, (_, i) =>
        podUsage(cp, {
          pod: { namespace: 'ml', pod: `p${String(i).padStart(2, '0')}`, uid: `u${i}` },
          node: 'big',
          heldSeconds: 2 * HOUR,
          requested: 0.25,
          idleHeldSeconds: i === 5 ? 2 * HOUR : HOUR,
        }),
      );
      const days = [
        meteredDay(day1, pods, [nodeUsage(cp, { node: 'big', instanceType: 'g5.12xlarge', gpus: 4 }, pods)]),
      ];
      const { idleHeld } = summaryOf(days);
      expect(idleHeld?.worstPods.map((p) => p.pod)).toEqual([
        'p05',
        'p00',
        'p01',
        'p02',
        'p03',
        'p04',
        'p06',
        'p07',
        'p08',
        'p09',
      ]);
      expect(idleHeld?.pods).toBe(IDLE_HELD_WORST_PODS + 2);
    });
  });
});
