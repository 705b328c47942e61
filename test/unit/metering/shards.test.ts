import { describe, expect, it } from 'vitest';
import { createDemoSource } from '../../../src/adapters/demo/demoSource.ts';
import { demoConfig } from '../../../src/app/demoConfig.ts';
import { meterOptionsFor } from '../../../src/app/meterOptions.ts';
import { parseConfig } from '../../../src/config/loadConfig.ts';
import {
  gridForDay,
  mergeShardDays,
  METERING_BASE_MB,
  METERING_MB_PER_GPU_UNIT,
  meterWindow,
  meteringCapacityMb,
  planShardCount,
  shardDataMb,
  restrictDay,
  shardOfNode,
  shardSetProblem,
} from '../../../src/core/metering/index.ts';
import { dayFiguresOf } from '../../../src/core/restatement.ts';
import { dayOf } from '../../../src/core/period.ts';
import type { MeteredDay, WindowObservations } from '../../../src/core/types.ts';
import { simulate } from '../../../src/sim/index.ts';
import { HOUR, optionsFor, seoulDay, windowFor } from './fixtures.ts';

/** The day metered in `count` shards, each from the whole window's observations, then merged. */
function meterInShards(obs: WindowObservations, options: Parameters<typeof meterWindow>[1], count: number) {
  const parts: MeteredDay[] = [];
  for (let index = 0; index < count; index++)
    parts.push(meterWindow(obs, { ...options, shard: { index, count } }));
  return { parts, merged: mergeShardDays(parts) };
}

/** Everything but the warnings' order, which follows the shards. */
function comparable(day: MeteredDay) {
  const { warnings, ...rest } = day;
  return { ...rest, warnings: [...warnings].sort() };
}

describe('shardOfNode', () => {
  it('hashes a node name to a stable shard (FNV-1a modulo the count)', () => {
    // Pinned (FNV-1a of "a" is 0xe40c292c): partials stored under a shard plan must keep naming the same nodes.
    expect([
      shardOfNode('a', 4),
      shardOfNode('b', 4),
      shardOfNode('node-1', 7),
      shardOfNode('node-2', 7),
    ]).toEqual([0, 1, 6, 4]);
  });

  it('puts pods bound to no node ("") in shard 0, and everything in shard 0 of one', () => {
    expect(shardOfNode('', 5)).toBe(0);
    expect(shardOfNode('any-node', 1)).toBe(0);
  });

  it('spreads many node names over every shard', () => {
    const counts = new Array<number>(4).fill(0);
    for (let i = 0; i < 400; i++) counts[shardOfNode(`ip-10-0-${i >> 8}-${i & 255}.ec2.internal`, 4)]! += 1;
    for (const c of counts) expect(c).toBeGreaterThan(60);
  });
});

describe('a day metered in shards and merged', () => {
  const config = parseConfig({ ...demoConfig, source: { kind: 'demo' } });
  const sim = simulate({ preset: 'demo', month: '2026-10', zone: config.timezone, seed: 42 });
  const source = createDemoSource(sim);
  const day = dayOf('2026-10-14', config.timezone);
  const scrape = {
    kubeStateMetricsSeconds: sim.scrape.ksmSeconds,
    dcgmSeconds: sim.scrape.dcgmSeconds,
    source: 'config' as const,
  };

  it('is the day metered whole, row for row, for 2, 3 and 7 shards of the demo cluster', async () => {
    const obs = await source.observe(gridForDay(day, scrape, config.metering.maxBridgeSeconds), scrape);
    const options = meterOptionsFor(config, day);
    const whole = meterWindow(obs, options);
    expect(whole.pods.length).toBeGreaterThan(20);
    for (const count of [2, 3, 7]) {
      const { parts, merged } = meterInShards(obs, options, count);
      expect(parts.filter((p) => p.pods.length > 0).length).toBeGreaterThan(1);
      expect(merged.shard).toBeUndefined();
      expect(comparable(merged)).toEqual(comparable(whole));
    }
  });

  it('keeps a pod bound to two nodes and a Running pod bound to none exactly where the whole day meters them', () => {
    const d = seoulDay();
    // 'b' and 'c' hash to different shards of 2, so the pod bound to both is split only if done wrong.
    const [nodeA, nodeB] = ['node-1', 'node-4'];
    expect(shardOfNode(nodeA, 2)).not.toBe(shardOfNode(nodeB, 2));
    const obs = windowFor(
      d,
      [
        { name: 'a', node: nodeA, running: [[d.startMs, d.startMs + 2 * HOUR]] },
        { name: 'b', node: nodeB, running: [[d.startMs + HOUR, d.startMs + 5 * HOUR]] },
        { name: 'orphan', running: [[d.startMs, d.startMs + 3 * HOUR]] },
      ],
      [
        { name: nodeA, instanceType: 'g5.12xlarge' },
        { name: nodeB, instanceType: 'p4d.24xlarge' },
      ],
    );
    obs.podNodes.push({ pod: obs.podNodes.find((p) => p.pod.pod === 'b')!.pod, node: nodeA });
    const options = optionsFor(d);
    const whole = meterWindow(obs, options);
    const { merged, parts } = meterInShards(obs, options, 2);
    expect(comparable(merged)).toEqual(comparable(whole));
    // The orphan's node "" is shard 0's, with its warning.
    expect(parts[0]!.pods.some((p) => p.pod.pod === 'orphan')).toBe(true);
    expect(parts[1]!.pods.some((p) => p.pod.pod === 'orphan')).toBe(false);
  });

  it('adds up dcgm-exporter coverage per cluster over the shards', () => {
    const d = seoulDay();
    const obs = windowFor(
      d,
      [{ name: 'a', node: 'node-1', running: [[d.startMs, d.endMs]] }],
      [{ name: 'node-1' }],
    );
    const dayPoints = (from: number, to: number) => {
      const out: number[] = [];
      for (let t = d.startMs + 60_000; t <= d.endMs; t += 60_000) if (t > from && t <= to) out.push(t);
      return out;
    };
    const half = d.startMs + 12 * HOUR;
    // Shard 0 saw cluster x in the first half, shard 1 (same observations here) is given the second.
    const first = meterWindow(
      {
        ...obs,
        dcgmPresentTsMs: [],
        dcgmPresentByCluster: [{ cluster: 'x', tsMs: dayPoints(d.startMs, half) }],
      },
      { ...optionsFor(d), shard: { index: 0, count: 2 } },
    );
    const second = meterWindow(
      {
        ...obs,
        dcgmPresentTsMs: [],
        dcgmPresentByCluster: [{ cluster: 'x', tsMs: dayPoints(half, d.endMs) }],
      },
      { ...optionsFor(d), shard: { index: 1, count: 2 } },
    );
    expect(mergeShardDays([first, second]).coverage.dcgm).toBe(1);
    expect(
      mergeShardDays([first, { ...second, shard: { ...second.shard!, dcgmPresence: [] } }]).coverage.dcgm,
    ).toBe(0.5);
  });

  describe('edge cases', () => {
    const d = seoulDay();
    const obs = windowFor(
      d,
      [{ name: 'a', node: 'node-1', running: [[d.startMs, d.endMs]] }],
      [{ name: 'node-1' }],
    );
    const part = (index: number, count: number) =>
      meterWindow(obs, { ...optionsFor(d), shard: { index, count } });

    it('refuses to merge an incomplete set, a shard given twice, or shards of two plans', () => {
      expect(shardSetProblem([part(0, 3), part(2, 3)])).toBe('missing shard 2 of 3');
      expect(shardSetProblem([part(0, 2), part(0, 2), part(1, 2)])).toBe('shard 1 of 2 twice');
      expect(shardSetProblem([part(0, 2), part(1, 3)])).toBe('shards of 2 and of 3');
      expect(() => mergeShardDays([part(1, 2)])).toThrow(/missing shard 1 of 2/);
    });

    it('restricts a merged day to any shard of any plan, and the parts add up to the day', () => {
      const whole = meterWindow(obs, optionsFor(d));
      for (const count of [2, 5]) {
        let allocated = 0;
        for (let index = 0; index < count; index++) {
          allocated += dayFiguresOf(restrictDay(whole, { index, count })).allocatedGpuSeconds;
        }
        expect(allocated).toBe(dayFiguresOf(whole).allocatedGpuSeconds);
      }
    });
  });
});

describe('planShardCount (the estimate measured by bench/day.ts)', () => {
  it('meters the benched fleets in the fewest shards the measured memory needs', () => {
    const auto = (gpuUnits: number, memoryBudgetMb: number) =>
      planShardCount({ gpuUnits }, { shards: 'auto', memoryBudgetMb });
    // 1,024 GPUs (1,292 units: 349 MiB whole) and 4,096 GPUs (5,170 units: 816 MiB whole), measured.
    expect(auto(1_292, 3008)).toBe(1);
    expect(auto(5_170, 3008)).toBe(2);
    expect(auto(1_292, 1769)).toBe(1);
    expect(auto(5_170, 1769)).toBe(3);
    // Each shard's estimate stays within half the budget.
    for (const [units, budget] of [
      [5_170, 1769],
      [12_600, 3008],
      [12_600, 1769],
    ] as const) {
      const count = auto(units, budget);
      expect(METERING_BASE_MB + (units * METERING_MB_PER_GPU_UNIT) / count).toBeLessThanOrEqual(budget / 2);
    }
    expect(planShardCount({ gpuUnits: 5_170 }, { shards: 8, memoryBudgetMb: 3008 })).toBe(8);
  });

  it("gives each shard's memory, and how much of it a process may hold at once", () => {
    // The plan's own rule: one shard's data fits the capacity of the budget it was planned for.
    for (const [units, budget] of [
      [1_292, 1769],
      [5_170, 1769],
      [12_600, 3008],
    ] as const) {
      const count = planShardCount({ gpuUnits: units }, { shards: 'auto', memoryBudgetMb: budget });
      expect(shardDataMb({ gpuUnits: units }, count)).toBeLessThanOrEqual(meteringCapacityMb(budget));
      if (count > 1)
        expect(shardDataMb({ gpuUnits: units }, count - 1)).toBeGreaterThan(meteringCapacityMb(budget));
    }
    // The monthly Lambda (4,096 MB) holds 1,798 MB of shards: 4 days of 1,024 GPUs at once, 2 of 10,000.
    expect(meteringCapacityMb(4096)).toBe(1798);
    expect(shardDataMb({ gpuUnits: 1_292 }, 1)).toBe(323);
    expect(shardDataMb({ gpuUnits: 12_600 }, 5)).toBe(630);
    // Unknown or empty fleets have no estimate.
    expect(shardDataMb(undefined, 1)).toBe(0);
    expect(shardDataMb({ gpuUnits: 0 }, 1)).toBe(0);
  });
});
