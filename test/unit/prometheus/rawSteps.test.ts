import { describe, expect, it } from 'vitest';
import type { PromSeries } from '../../../src/adapters/prometheus/parseResponse.ts';
import {
  countByFromRaw,
  forEachWindowPerStep,
  MaxOverWindow,
  maxByFromRaw,
  runningFromRaw,
} from '../../../src/adapters/prometheus/rawSteps.ts';
import { SamplePoints } from '../../../src/adapters/prometheus/samplePoints.ts';

/**
 * The per-step evaluations against a plain reference written from their definitions (every step of the
 * grid, every sample, no shortcut), on series that start and end anywhere in the span: groups whose series
 * cover different steps (a pod's requests before and after its phase samples, replicas that saw a node at
 * other times) exercise how groups hold only the steps their series have samples in.
 */

const STEP = 60_000;
const WINDOW = STEP - 1;
const over = { startMs: 1_790_000_000_000, endMs: 1_790_000_000_000 + 99 * STEP, stepMs: STEP };

/** A small deterministic generator (mulberry32). */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Samples every `every` ms (with jitter) from a random start to a random end around the span. */
function samples(rand: () => number, values: () => number): SamplePoints {
  const pairs: [number, number][] = [];
  const from = over.startMs - 3 * STEP + Math.floor(rand() * 110 * STEP);
  const to = from + Math.floor(rand() * 60 * STEP);
  const every = rand() < 0.5 ? 30_000 : 60_000;
  for (let t = from; t <= to; t += every + Math.floor(rand() * 3) * 1000) {
    // Now and then a gap of several steps.
    if (rand() < 0.05) t += Math.floor(rand() * 10) * STEP;
    pairs.push([t, values()]);
  }
  return SamplePoints.of(pairs);
}

/** Per step k: the last sample of `s` in [t_k − WINDOW, t_k], if any (last_over_time). */
function lastAt(s: PromSeries, k: number): number | undefined {
  const t = over.startMs + k * STEP;
  let last: number | undefined;
  for (const [ts, v] of s.points) if (ts >= t - WINDOW && ts <= t) last = v;
  return last;
}

const steps = Array.from({ length: 100 }, (_, k) => k);
const keyOf = (m: Record<string, string>, by: string[]) => by.map((b) => m[b] ?? '').join('\u0000');

/** max by (by) of last_over_time, every step of every group: NaN only when every value is NaN. */
function referenceMaxBy(raw: PromSeries[], by: string[]): Map<string, (number | undefined)[]> {
  const out = new Map<string, (number | undefined)[]>();
  for (const s of raw) {
    const key = keyOf(s.metric, by);
    const row = out.get(key) ?? steps.map(() => undefined);
    out.set(key, row);
    for (const k of steps) {
      const v = lastAt(s, k);
      if (v === undefined) continue;
      const current = row[k];
      row[k] = current === undefined ? v : current < v || Number.isNaN(current) ? v : current;
    }
  }
  return out;
}

function toMap(series: PromSeries[], by: string[]): Map<string, [number, number][]> {
  return new Map(series.map((s) => [keyOf(s.metric, by), s.points.toJSON()]));
}

describe('per-step evaluation from raw samples, against its definition', () => {
  it('max by of last_over_time (node capacity and presence), groups covering different steps', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const rand = random(seed);
      const raw: PromSeries[] = Array.from({ length: 12 }, (_, i) => ({
        metric: { node: `n${Math.floor(rand() * 4)}`, replica: `r${i % 3}`, other: String(i) },
        points: samples(rand, () => (rand() < 0.05 ? Number.NaN : Math.floor(rand() * 8) - 1)),
      }));
      const dropped = { NaN: 0, infinite: 0, negative: 0 };
      const got = toMap(maxByFromRaw(raw, ['node'], over, WINDOW, dropped), ['node']);
      const expected = new Map<string, [number, number][]>();
      const expectedDropped = { NaN: 0, infinite: 0, negative: 0 };
      for (const [key, row] of referenceMaxBy(raw, ['node'])) {
        const points: [number, number][] = [];
        row.forEach((v, k) => {
          if (v === undefined) return;
          if (Number.isNaN(v)) expectedDropped.NaN++;
          else if (v < 0) expectedDropped.negative++;
          else points.push([over.startMs + k * STEP, v]);
        });
        if (points.length > 0) expected.set(key, points);
      }
      expect(got, `seed ${seed}`).toEqual(expected);
      expect(dropped, `seed ${seed}`).toEqual(expectedDropped);
      // count by: how many series of the group have a sample in each step's window.
      const counts = toMap(countByFromRaw(raw, ['replica'], over, WINDOW), ['replica']);
      for (const [key, points] of counts) {
        for (const [t, count] of points) {
          const k = (t - over.startMs) / STEP;
          const expectedCount = raw.filter(
            (s) => keyOf(s.metric, ['replica']) === key && lastAt(s, k) !== undefined,
          ).length;
          expect(count, `seed ${seed}, ${key} at step ${k}`).toBe(expectedCount);
        }
      }
    }
  });

  it('running.promql: Running where a GPU request > 0 or a claim covers the step, pod by pod', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const rand = random(100 + seed);
      const uids = ['u0', 'u1', 'u2', 'u3', 'u4'];
      const pod = (uid: string) => ({ namespace: 'ns', pod: `p-${uid}`, uid });
      const phase: PromSeries[] = uids.flatMap((uid) =>
        ['ksm-a', 'ksm-b'].map((replica) => ({
          metric: { __name__: 'kube_pod_status_phase', ...pod(uid), replica, phase: 'Running' },
          points: samples(rand, () => (rand() < 0.2 ? 0 : 1)),
        })),
      );
      const requests: PromSeries[] = uids.map((uid, i) => ({
        metric: { ...pod(uid), container: `c${i}`, resource: 'nvidia_com_gpu' },
        points: samples(rand, () => Math.floor(rand() * 3)),
      }));
      const claims: PromSeries[] = [{ metric: { ...pod('u4'), claim: 'c' }, points: samples(rand, () => 1) }];
      const got = runningFromRaw(
        { phase, requests, claims, cluster: [], replica: ['replica'] },
        over,
        WINDOW,
      );
      const by = ['replica', 'namespace', 'pod', 'uid'];
      const left = referenceMaxBy(phase, by);
      const request = referenceMaxBy(requests, ['uid']);
      const claim = referenceMaxBy(claims, ['uid']);
      const expected = new Map<string, [number, number][]>();
      for (const [key, row] of left) {
        const uid = key.split('\u0000')[3]!;
        const points: [number, number][] = [];
        row.forEach((v, k) => {
          const r = request.get(uid)?.[k];
          const holds = (r !== undefined && r > 0) || claim.get(uid)?.[k] !== undefined;
          if (v === 1 && holds) points.push([over.startMs + k * STEP, 1]);
        });
        if (points.length > 0) expected.set(key, points);
      }
      expect(toMap(got, by), `seed ${seed}`).toEqual(expected);
    }
  });

  it('finds the step of each sample as the division does, across gaps, steps and window edges', () => {
    for (let seed = 1; seed <= 50; seed++) {
      const rand = random(1000 + seed);
      const series = { metric: {}, points: samples(rand, () => 1) };
      const calls: [number, number, number][] = [];
      forEachWindowPerStep(series, over, WINDOW, (k, from, to) => calls.push([k, from, to]));
      // The reference: each sample's step by division, consecutive samples of one step grouped.
      const expected: [number, number, number][] = [];
      series.points.tsMs.forEach((t, i) => {
        const j = Math.max(0, Math.ceil((t - over.startMs) / STEP));
        if (j >= 100 || over.startMs + j * STEP - t > WINDOW) return;
        const last = expected[expected.length - 1];
        if (last && last[0] === j) last[2] = i + 1;
        else expected.push([j, i, i + 1]);
      });
      expect(calls, `seed ${seed}`).toEqual(expected);
    }
  });
});

/** labels.Compare of two label sets (sorted by name, then name and value pair by pair, by code point). */
function compareLabels(a: Record<string, string>, b: Record<string, string>): number {
  const pa = Object.entries(a).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
  const pb = Object.entries(b).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    for (const j of [0, 1] as const) if (pa[i]![j] !== pb[i]![j]) return pa[i]![j] < pb[i]![j] ? -1 : 1;
  }
  return pa.length - pb.length;
}

describe('an aggregation over the whole window from raw samples, against its definition', () => {
  it('max by of max_over_time: series added in parts and in any order give what Prometheus answers', () => {
    const from = over.startMs - 2 * STEP;
    const to = over.endMs;
    for (let seed = 1; seed <= 200; seed++) {
      const rand = random(seed);
      const value = () => {
        const r = rand();
        return r < 0.05 ? Number.NaN : r < 0.08 ? -1 : r < 0.1 ? Number.POSITIVE_INFINITY : Math.floor(r * 8);
      };
      // Series of a few pods, each from one or two replicas and jobs: groups of one to four series.
      const raw: PromSeries[] = Array.from({ length: 2 + Math.floor(rand() * 10) }, () => ({
        metric: {
          __name__: 'kube_pod_container_resource_requests',
          pod: `p${Math.floor(rand() * 4)}`,
          uid: `u${Math.floor(rand() * 4)}`,
          instance: `ksm-${1 + Math.floor(rand() * 2)}`,
          job: rand() < 0.5 ? 'a' : 'b',
        },
        points: samples(rand, value),
      }));
      // Distinct label sets (a selector never answers two series of one label set).
      // Samples on the window's first instant (in it) and 1 ms before it (not).
      const edge = (pod: string, t: number) => ({
        metric: {
          __name__: 'kube_pod_container_resource_requests',
          pod,
          uid: pod,
          instance: 'ksm-1',
          job: 'a',
        },
        points: SamplePoints.of([[t, 1]]),
      });
      raw.push(edge('on-edge', from), edge('before-edge', from - 1));
      const distinct = [...new Map(raw.map((s) => [JSON.stringify(s.metric), s])).values()];
      for (const by of [['pod', 'uid'], undefined]) {
        // The reference: series in labels.Compare order, each one's samples in [from, to] (NaN only when
        // all are), grouped in order of first appearance, MAX keeping the first unless later is greater.
        const expected: [Record<string, string>, number][] = [];
        for (const s of [...distinct].sort((a, b) => compareLabels(a.metric, b.metric))) {
          const inside = s.points.toJSON().filter(([t]) => t >= from && t <= to);
          if (inside.length === 0) continue;
          const numbers = inside.map(([, v]) => v).filter((v) => !Number.isNaN(v));
          const max = numbers.length === 0 ? Number.NaN : Math.max(...numbers);
          const { __name__: _name, ...rest } = s.metric;
          const metric = by ? Object.fromEntries(by.map((b) => [b, s.metric[b]!])) : rest;
          const group = expected.find(([m]) => JSON.stringify(m) === JSON.stringify(metric));
          if (!group) expected.push([metric, max]);
          else if (group[1] < max || Number.isNaN(group[1])) group[1] = max;
        }
        const kept = expected.filter(([, v]) => Number.isFinite(v) && v >= 0);
        const dropped = { NaN: 0, infinite: 0, negative: 0 };
        // Each series in two parts (a day read in two spans), the parts in a shuffled order, one added twice.
        const parts = distinct.flatMap((s) => {
          const points = s.points.toJSON();
          const cut = Math.floor(rand() * (points.length + 1));
          return [points.slice(0, cut), points.slice(cut)].map((p) => ({
            metric: { ...s.metric },
            points: SamplePoints.of(p),
          }));
        });
        parts.sort(() => rand() - 0.5);
        const window = new MaxOverWindow(by, from, to);
        for (const part of [...parts, ...parts.slice(0, 1)]) window.add(part);
        const result = window.result(dropped);
        expect(result.map((s) => [s.metric, s.points.toJSON()])).toEqual(
          kept.map(([m, v]) => [m, [[to, v]]]),
        );
        expect(dropped.NaN + dropped.infinite + dropped.negative).toBe(expected.length - kept.length);
      }
    }
  });
});
