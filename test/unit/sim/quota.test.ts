import { describe, expect, it } from 'vitest';
import { observeSimulation } from '../../../src/adapters/demo/demoSource.ts';
import { buildSeries, simulate } from '../../../src/sim/index.ts';
import { quotaRangeOf, requestResourceOf } from '../../../src/sim/quota.ts';

const sim = simulate({ preset: 'demo', month: '2026-10', zone: 'Asia/Seoul', seed: 42, days: 2 });

/** status.used by hand: the GPU requests of the namespace's pods that are not terminal at t. */
function usedAt(namespace: string, resource: string, t: number): number {
  let used = 0;
  for (const pod of sim.pods) {
    const range = quotaRangeOf(pod);
    if (pod.namespace !== namespace || t < range.startMs || t >= range.endMs) continue;
    const units = (cs: typeof pod.containers) =>
      cs.filter((c) => c.gpuResource === resource).map((c) => c.gpuCount);
    used += Math.max(
      units(pod.containers).reduce((a, b) => a + b, 0),
      ...units(pod.initContainers ?? []),
    );
  }
  return used;
}

describe('GPU ResourceQuotas in the simulator', () => {
  it('writes kube_resourcequota as kube-state-metrics does: namespace, resourcequota, resource (unsanitized), type', () => {
    const series = buildSeries(sim).filter((s) => s.family === 'kube_resourcequota');
    expect(
      series.map((s) =>
        s.labels
          .slice(0, 4)
          .map(([k, v]) => `${k}=${v}`)
          .join(','),
      ),
    ).toEqual([
      'namespace=ml-research,resourcequota=gpu-quota,resource=requests.nvidia.com/gpu,type=hard',
      'namespace=ml-research,resourcequota=gpu-quota,resource=requests.nvidia.com/gpu,type=used',
      'namespace=ml-research,resourcequota=gpu-quota,resource=requests.nvidia.com/mig-3g.20gb,type=hard',
      'namespace=ml-research,resourcequota=gpu-quota,resource=requests.nvidia.com/mig-3g.20gb,type=used',
      'namespace=vision,resourcequota=gpu-quota,resource=requests.nvidia.com/gpu,type=hard',
      'namespace=vision,resourcequota=gpu-quota,resource=requests.nvidia.com/gpu,type=used',
      'namespace=vision,resourcequota=gpu-quota,resource=requests.nvidia.com/mig-1g.5gb,type=hard',
      'namespace=vision,resourcequota=gpu-quota,resource=requests.nvidia.com/mig-1g.5gb,type=used',
    ]);
    expect(series.every((s) => s.exporter === 'kube-state-metrics')).toBe(true);
  });

  it('counts in used the requests of the namespace’s non-terminal pods, as the quota controller does', () => {
    expect(requestResourceOf('requests.nvidia.com/mig-1g.5gb')).toBe('nvidia_com_mig_1g_5gb');
    const step = 60_000;
    const start = sim.range.startMs;
    const obs = observeSimulation(
      sim,
      { startMs: start, endMs: start + 6 * 3_600_000, stepMs: step },
      {
        kubeStateMetricsSeconds: sim.scrape.ksmSeconds,
        dcgmSeconds: sim.scrape.dcgmSeconds,
        source: 'config',
      },
    );
    const ml = obs.gpuQuotas!.find(
      (q) => q.namespace === 'ml-research' && q.resource === 'requests.nvidia.com/gpu',
    )!;
    expect(ml.hard.every(([, v]) => v === 12)).toBe(true);
    expect(ml.used.length).toBeGreaterThan(300);
    // The sample behind the point at t is the last kube-state-metrics scrape in (t − step, t].
    const offset = sim.scrape.ksmOffsetMs % (sim.scrape.ksmSeconds * 1000);
    const mismatches = ml.used.filter(([t, v]) => {
      const sampled =
        Math.floor((t - offset) / (sim.scrape.ksmSeconds * 1000)) * sim.scrape.ksmSeconds * 1000 + offset;
      return v !== usedAt('ml-research', 'nvidia_com_gpu', sampled);
    });
    expect(mismatches).toEqual([]);
    expect(Math.max(...ml.used.map(([, v]) => v))).toBeGreaterThan(0);
  });
});
