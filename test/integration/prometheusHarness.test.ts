import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dcgmPlan } from '../../src/sim/dcgm.ts';
import { ksmSchedule, sampleTimes, simulate, writeOpenMetrics } from '../../src/sim/index.ts';
import {
  lastBackfill,
  type PrometheusHandle,
  prometheusInstallHint,
  startPrometheusWithData,
} from '../support/prometheus.ts';
import { makeTempDir } from '../support/tmp.ts';

const hint = prometheusInstallHint();
if (hint) console.warn(`skipping Prometheus harness tests: prometheus/promtool not on PATH (${hint})`);

const sim = simulate({ preset: 'edge-cases', month: '2026-03', zone: 'America/New_York', seed: 7, days: 2 });
const evalAt = (ms: number) => (ms / 1000).toFixed(3);
/** Evaluation time that makes a [2d] range cover exactly the simulated range [start, end). */
const END = evalAt(sim.range.endMs - 1);

async function query(
  prom: PrometheusHandle,
  promql: string,
  time: string,
): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
  const url = `${prom.url}/api/v1/query?${new URLSearchParams({ query: promql, time })}`;
  const res = await fetch(url);
  const body = (await res.json()) as {
    status: string;
    data: { result: { metric: Record<string, string>; value: [number, string] }[] };
  };
  expect(body.status).toBe('success');
  return body.data.result;
}

describe.skipIf(hint !== null)('startPrometheusWithData (edge-cases, 2 days)', () => {
  let prom: PrometheusHandle;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    const tmp = await makeTempDir();
    cleanup = tmp.cleanup;
    const files = await writeOpenMetrics(sim, tmp.dir);
    prom = await startPrometheusWithData(files);
    console.info(
      `backfill: ${lastBackfill.files} files in ${lastBackfill.seconds.toFixed(1)} s (cached: ${lastBackfill.cached})`,
    );
  });

  afterAll(async () => {
    await prom?.stop();
    await cleanup?.();
  });

  it('serves every kube_pod_status_phase sample of a pod, Running or not', async () => {
    const pod = sim.pods.find((p) => p.uid === sim.cases['running-across-outage'])!;
    const expected = sampleTimes(sim, ksmSchedule(sim), pod.createdMs, pod.deletedMs!).length;
    const result = await query(
      prom,
      `count_over_time(kube_pod_status_phase{phase="Running",uid="${pod.uid}"}[2d])`,
      END,
    );
    expect(result.map((r) => Number(r.value[1]))).toEqual([expected]);
  });

  it('serves value 1 exactly at the Running samples', async () => {
    const pod = sim.pods.find((p) => p.uid === sim.cases['image-pull-25min'])!;
    const expected = sampleTimes(sim, ksmSchedule(sim), pod.runningMs!, pod.endMs!).length;
    const result = await query(
      prom,
      `sum_over_time(kube_pod_status_phase{phase="Running",uid="${pod.uid}"}[2d])`,
      END,
    );
    expect(result.map((r) => Number(r.value[1]))).toEqual([expected]);
  });

  it('serves no sample during the Prometheus outage', async () => {
    const outage = sim.outages[0]!;
    const result = await query(
      prom,
      'count_over_time(kube_namespace_labels{namespace="unlabeled-ns"}[2h])',
      evalAt(outage.endMs - 1),
    );
    expect(result).toEqual([]);
  });

  it('serves the 20 s pod with exactly one Running sample', async () => {
    const uid = sim.cases['short-20s'];
    const result = await query(
      prom,
      `sum_over_time(kube_pod_status_phase{phase="Running",uid="${uid}"}[2d])`,
      END,
    );
    expect(result.map((r) => Number(r.value[1]))).toEqual([1]);
  });

  it('serves the T4 utilization under exported_pod with every DCGM sample', async () => {
    const plan = dcgmPlan(sim).find((p) => p.node.name === 'edge-g4dn-exported')!;
    const holder = plan.holders.find((h) => h.pod.name === 't4-exported-labels')!;
    const schedule = { offsetMs: plan.node.dcgmOffsetMs, intervalMs: sim.scrape.dcgmSeconds * 1000 };
    const expected = sampleTimes(sim, schedule, holder.range.startMs, holder.range.endMs).length;
    const result = await query(
      prom,
      'count_over_time(DCGM_FI_DEV_GPU_UTIL{exported_pod="t4-exported-labels"}[2d])',
      END,
    );
    expect(result.map((r) => Number(r.value[1]))).toEqual([expected]);
    expect(result[0]!.metric.pod).toMatch(/^nvidia-dcgm-exporter-/);
  });

  it('has no GR_ENGINE_ACTIVE series for the T4 node', async () => {
    const result = await query(
      prom,
      'count_over_time(DCGM_FI_PROF_GR_ENGINE_ACTIVE{Hostname="edge-g4dn-exported"}[2d])',
      END,
    );
    expect(result).toEqual([]);
  });

  it('serves the MIG capacity of the p4d node per profile', async () => {
    const result = await query(
      prom,
      'max_over_time(kube_node_status_capacity{node="edge-p4d-mig",resource=~"nvidia_com_.*"}[2d])',
      END,
    );
    const capacity = Object.fromEntries(result.map((r) => [r.metric.resource, Number(r.value[1])]));
    expect(capacity).toEqual({
      nvidia_com_gpu: 0,
      nvidia_com_mig_1g_5gb: 8,
      nvidia_com_mig_2g_10gb: 4,
      nvidia_com_mig_3g_20gb: 8,
      nvidia_com_mig_4g_20gb: 4,
    });
  });

  it('keeps the sample timestamps to the millisecond', async () => {
    const uid = sim.cases['short-20s'];
    const pod = sim.pods.find((p) => p.uid === uid)!;
    const [sample] = sampleTimes(sim, ksmSchedule(sim), pod.runningMs!, pod.endMs!);
    const selector = `kube_pod_status_phase{phase="Running",uid="${uid}"}`;
    const result = await query(prom, `timestamp(${selector})`, evalAt(sample! + 10_000));
    const value = await query(prom, selector, evalAt(sample! + 10_000));
    expect(result.map((r) => Math.round(Number(r.value[1]) * 1000))).toEqual([sample]);
    expect(value.map((r) => r.value[1])).toEqual(['1']);
  });

  it('stops Prometheus and frees its port', async () => {
    const second = await startPrometheusWithData([], { cacheKey: 'empty' });
    await second.stop();
    await expect(fetch(`${second.url}/-/ready`)).rejects.toThrow();
  });
});
