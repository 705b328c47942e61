import { describe, expect, it } from 'vitest';
import { meterWindow, podsReadingGpuUtil } from '../../../src/core/metering/index.ts';
import type { MeterOptions } from '../../../src/core/metering/index.ts';
import type { PodUtilizationPoints, UtilizationSource, WindowObservations } from '../../../src/core/types.ts';
import { mulberry32 } from '../../../src/sim/prng.ts';
import { type FakePod, HOUR, MIN, optionsFor, pointsBetween, seoulDay, windowFor } from './fixtures.ts';

const day = seoulDay();
const gpuNode = { name: 'n1', instanceType: 'g5.12xlarge', capacityType: 'spot' };

/** Utilization points of one pod and source at grid points t (value v, one sample each). */
function util(
  pod: string,
  source: Exclude<UtilizationSource, 'none'>,
  ts: number[],
  v = 0.5,
): PodUtilizationPoints {
  return {
    cluster: '',
    namespace: 'ml',
    pod,
    source,
    points: ts.map((t) => [t, v, 1] as [number, number, number]),
  };
}

const names = (obs: WindowObservations, options: MeterOptions = optionsFor(day)) =>
  podsReadingGpuUtil(obs, options).map((p) => p.pod);

describe('podsReadingGpuUtil', () => {
  it('lists the held pods without a DCGM_FI_PROF_GR_ENGINE_ACTIVE sample where metering looks for one', () => {
    const hour = (h: number): [number, number] => [day.startMs + h * HOUR, day.startMs + (h + 1) * HOUR];
    const base = windowFor(
      day,
      [
        { name: 'prof', node: 'n1', running: [hour(1)] },
        { name: 'util-only', node: 'n1', running: [hour(2)] },
        { name: 'no-dcgm', node: 'n1', running: [hour(3)] },
        { name: 'prof-elsewhere', node: 'n1', running: [hour(4)] },
        // Running only in the window's margin before the day: not metered at all.
        { name: 'before-day', node: 'n1', running: [[day.startMs - 30 * MIN, day.startMs]] },
        // PROF only while it ran before the day: metering looks at the day only.
        { name: 'prof-before-day', node: 'n1', running: [[day.startMs - 30 * MIN, day.startMs + HOUR]] },
        // PROF points that are no samples (NaN, none counted): not a source metering takes.
        { name: 'prof-invalid', node: 'n1', running: [hour(7)] },
      ],
      [gpuNode],
    );
    const at = (h: [number, number]) => pointsBetween(base.grid, h[0], h[1]);
    const obs = {
      ...base,
      utilization: [
        util('prof', 'DCGM_FI_PROF_GR_ENGINE_ACTIVE', at(hour(1))),
        util('prof', 'DCGM_FI_DEV_GPU_UTIL', at(hour(1))),
        util('util-only', 'DCGM_FI_DEV_GPU_UTIL', at(hour(2))),
        // PROF samples two hours after the pod ran: chooseUtilizationSource does not take them.
        util('prof-elsewhere', 'DCGM_FI_PROF_GR_ENGINE_ACTIVE', at(hour(6))),
        util('prof-before-day', 'DCGM_FI_PROF_GR_ENGINE_ACTIVE', at([day.startMs - 30 * MIN, day.startMs])),
        util('prof-before-day', 'DCGM_FI_DEV_GPU_UTIL', at([day.startMs, day.startMs + HOUR])),
        {
          ...util('prof-invalid', 'DCGM_FI_PROF_GR_ENGINE_ACTIVE', []),
          points: at(hour(7)).map((t, i) => [t, i % 2 ? Number.NaN : 0.5, i % 2] as [number, number, number]),
        },
        util('prof-invalid', 'DCGM_FI_DEV_GPU_UTIL', at(hour(7))),
      ],
    };
    const listed = ['no-dcgm', 'prof-before-day', 'prof-elsewhere', 'prof-invalid', 'util-only'];
    expect(names(obs)).toEqual(listed);
    // Whatever DCGM_FI_DEV_GPU_UTIL the observations hold, only PROF decides.
    expect(
      names({ ...obs, utilization: obs.utilization.filter((u) => u.source !== 'DCGM_FI_DEV_GPU_UTIL') }),
    ).toEqual(listed);
    const m = meterWindow(obs, optionsFor(day));
    const source = (pod: string) => m.pods.find((p) => p.pod.pod === pod)?.utilizationSource;
    expect(['prof', 'util-only', 'prof-elsewhere', 'prof-before-day', 'prof-invalid'].map(source)).toEqual([
      'DCGM_FI_PROF_GR_ENGINE_ACTIVE',
      'DCGM_FI_DEV_GPU_UTIL',
      'none',
      'DCGM_FI_DEV_GPU_UTIL',
      'DCGM_FI_DEV_GPU_UTIL',
    ]);
  });

  it('counts Pending on a node as held when that policy charges it', () => {
    const pending: [number, number] = [day.startMs + HOUR, day.startMs + 2 * HOUR];
    const obs = windowFor(day, [{ name: 'waits', node: 'n1', pending: [pending] }], [gpuNode]);
    expect(names(obs)).toEqual([]);
    expect(names(obs, optionsFor(day, { pendingOnNode: 'charged' }))).toEqual(['waits']);
  });

  it('names a pod once, whatever its uids', () => {
    const obs = windowFor(
      day,
      [
        { name: 'again', uid: 'u1', node: 'n1', running: [[day.startMs, day.startMs + HOUR]] },
        { name: 'again', uid: 'u2', node: 'n1', running: [[day.startMs + 2 * HOUR, day.startMs + 3 * HOUR]] },
      ],
      [gpuNode],
    );
    expect(podsReadingGpuUtil(obs, optionsFor(day))).toEqual([
      { cluster: '', namespace: 'ml', pod: 'again' },
    ]);
  });

  it('meters every fleet the same when only the pods it lists keep DCGM_FI_DEV_GPU_UTIL', () => {
    const random = mulberry32(2026);
    const int = (n: number) => Math.floor(random() * n);
    for (let fleet = 0; fleet < 150; fleet++) {
      const pods: FakePod[] = [];
      const utilization: PodUtilizationPoints[] = [];
      const base = windowFor(day, [], [gpuNode]);
      const points = pointsBetween(base.grid, base.grid.startMs, base.grid.endMs);
      const span = () => {
        const from = int(points.length);
        return points.slice(from, from + 1 + int(240));
      };
      for (let i = 0; i < 1 + int(6); i++) {
        // Two uids of one name now and then (a pod deleted and created again).
        const name = `p${int(5)}`;
        const run = span();
        const ran =
          run.length > 0 ? [[run[0]! - base.grid.stepMs, run[run.length - 1]!] as [number, number]] : [];
        const waits = random() < 0.3 ? [[run[0]! - 10 * MIN, run[0]! - MIN] as [number, number]] : undefined;
        pods.push({ name, uid: `u${i}`, node: 'n1', running: ran, ...(waits ? { pending: waits } : {}) });
        const sometimes = (ts: number[]) => ts.filter(() => random() < 0.7);
        if (random() < 0.6) {
          const prof = util(
            name,
            'DCGM_FI_PROF_GR_ENGINE_ACTIVE',
            sometimes(random() < 0.8 ? run : span()),
            random(),
          );
          // Now and then points that are no samples: NaN, or none counted.
          const spoilt = random() < 0.2;
          utilization.push({
            ...prof,
            points: [...prof.points].map(([t, v, n]): [number, number, number] =>
              spoilt && random() < 0.8 ? (random() < 0.5 ? [t, Number.NaN, n] : [t, v, 0]) : [t, v, n],
            ),
          });
        }
        if (random() < 0.8)
          utilization.push(
            util(name, 'DCGM_FI_DEV_GPU_UTIL', sometimes(random() < 0.8 ? run : span()), random()),
          );
      }
      const obs = { ...windowFor(day, pods, [gpuNode]), utilization };
      for (const pendingOnNode of ['charged', 'not-charged'] as const) {
        const options = optionsFor(day, { pendingOnNode });
        const listed = new Set(names(obs, options));
        const kept = utilization.filter(
          (u) => u.source === 'DCGM_FI_PROF_GR_ENGINE_ACTIVE' || listed.has(u.pod),
        );
        expect(meterWindow({ ...obs, utilization: kept }, options)).toEqual(meterWindow(obs, options));
      }
    }
  });
});
