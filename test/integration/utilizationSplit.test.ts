import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPrometheusSource } from '../../src/adapters/prometheus/index.ts';
import { parseConfig } from '../../src/config/loadConfig.ts';
import type { Logger } from '../../src/ports.ts';
import {
  type PrometheusHandle,
  prometheusInstallHint,
  startPrometheusWithData,
} from '../support/prometheus.ts';
import { makeTempDir } from '../support/tmp.ts';

/**
 * Utilization is read once per raw sample (per-series means); a step that a label change splits between
 * two series of one GPU is weighted by sample counts read afterwards. Real Prometheus, hand-made data:
 * dcgm-exporter every 15 s (4 samples per 60 s step), so a split step holds 1 + 3 or 3 + 1 samples and an
 * unweighted mean of the two series' means would be wrong.
 */
const hint = prometheusInstallHint();
if (hint) console.warn(`skipping utilization split tests: prometheus/promtool not on PATH (${hint})`);

const T0 = Date.UTC(2026, 2, 1, 0, 0, 0); // 2026-03-01T00:00Z
const STEP = 60_000;
const SPAN_STEPS = 30;
const EVERY = 15_000;
const OFFSET = 5_000; // samples at :05, :20, :35, :50

interface Sample {
  labels: Record<string, string>;
  tMs: number;
  value: number;
}

/** GPU_UTIL (0..100) of a sample: deterministic and different in every sample. */
const utilAt = (gpu: number, i: number) => (gpu * 37 + i * 13) % 101;

function samples(): Sample[] {
  const out: Sample[] = [];
  for (let i = 0; i * EVERY + OFFSET < SPAN_STEPS * STEP; i++) {
    const t = T0 + OFFSET + i * EVERY;
    // GPU-A (honor_labels): the driver upgrade at 00:10:10 splits the step ending 00:11:00 as 1 + 3.
    out.push({
      labels: {
        UUID: 'GPU-A',
        gpu: '0',
        Hostname: 'node-1',
        DCGM_FI_DRIVER_VERSION: t < T0 + 10 * STEP + 10_000 ? '550.54.15' : '560.35.03',
        namespace: 'ml',
        pod: 'train-a',
      },
      tMs: t,
      value: utilAt(1, i),
    });
    // GPU-B (labels renamed): dcgm-exporter restarted under a new pod name at 00:20:40 (split 3 + 1).
    out.push({
      labels: {
        UUID: 'GPU-B',
        gpu: '1',
        Hostname: 'node-1',
        namespace: 'gpu-operator',
        pod: t < T0 + 20 * STEP + 40_000 ? 'dcgm-exporter-abcde' : 'dcgm-exporter-fghij',
        exported_namespace: 'ml',
        exported_pod: 'train-b',
      },
      tMs: t,
      value: utilAt(2, i),
    });
    // GPU-C: idle (no pod label) - read only to learn when dcgm-exporter was scraped.
    out.push({ labels: { UUID: 'GPU-C', gpu: '2', Hostname: 'node-1' }, tMs: t, value: 0 });
  }
  return out;
}

function openMetrics(all: Sample[]): string {
  const bySeries = new Map<string, Sample[]>();
  for (const s of all) {
    const key = Object.entries(s.labels)
      .map(([k, v]) => `${k}="${v}"`)
      .join(',');
    bySeries.set(key, [...(bySeries.get(key) ?? []), s]);
  }
  const lines = ['# TYPE DCGM_FI_DEV_GPU_UTIL gauge'];
  for (const [key, list] of bySeries) {
    for (const s of list) lines.push(`DCGM_FI_DEV_GPU_UTIL{${key}} ${s.value} ${(s.tMs / 1000).toFixed(3)}`);
  }
  lines.push('# EOF', '');
  return lines.join('\n');
}

/** The exact mean (0..1) of a GPU's raw samples in (t - STEP, t]. */
function exactMean(all: Sample[], uuid: string, tMs: number): number | undefined {
  const inStep = all.filter((s) => s.labels.UUID === uuid && s.tMs > tMs - STEP && s.tMs <= tMs);
  if (inStep.length === 0) return undefined;
  return inStep.reduce((acc, s) => acc + s.value, 0) / inStep.length / 100;
}

const quiet: Logger & { warnings: string[] } = {
  warnings: [],
  info: () => {},
  warn(message) {
    quiet.warnings.push(message);
  },
  error: () => {},
  progress: () => {},
};

describe.skipIf(hint !== null)(
  'utilization read once per raw sample, exact at split steps (real Prometheus)',
  () => {
    const all = samples();
    let prom: PrometheusHandle;
    let cleanup: () => Promise<void>;

    beforeAll(async () => {
      const tmp = await makeTempDir();
      cleanup = tmp.cleanup;
      const file = join(tmp.dir, 'dcgm.om');
      await writeFile(file, openMetrics(all));
      prom = await startPrometheusWithData([file]);
    });

    afterAll(async () => {
      await prom?.stop();
      await cleanup?.();
    });

    async function observe(stepEvaluation: 'adapter' | 'prometheus') {
      const config = parseConfig({ source: { url: prom.url, stepEvaluation } });
      const requests: string[] = [];
      const spans: string[] = [];
      const answers: string[] = [];
      const source = createPrometheusSource({
        config,
        logger: quiet,
        fetch: async (url, init) => {
          const params = new URLSearchParams(init.body as string);
          // Requests run two at a time: keep each answer at its request's index.
          const index = requests.push(params.get('query') ?? '') - 1;
          spans.push(`${params.get('start')}..${params.get('end')}`);
          const res = await fetch(url, init);
          answers[index] = await res.clone().text();
          return res as never;
        },
      });
      const grid = {
        startMs: T0 - STEP * 5,
        endMs: T0 + (SPAN_STEPS + 5) * STEP,
        stepMs: STEP,
        focus: { startMs: T0, endMs: T0 + SPAN_STEPS * STEP },
      };
      const obs = await source.observe(grid, {
        kubeStateMetricsSeconds: 60,
        dcgmSeconds: 15,
        source: 'config',
      });
      return { obs, requests, spans, answers };
    }

    for (const stepEvaluation of ['adapter', 'prometheus'] as const) {
      it(`gives every step of every pod the exact mean of its raw samples, split steps included (${stepEvaluation})`, async () => {
        const { obs } = await observe(stepEvaluation);
        const steps = Array.from({ length: SPAN_STEPS }, (_, k) => T0 + (k + 1) * STEP);
        for (const [pod, uuid] of [
          ['train-a', 'GPU-A'],
          ['train-b', 'GPU-B'],
        ] as const) {
          const util = obs.utilization.find((u) => u.pod === pod && u.source === 'DCGM_FI_DEV_GPU_UTIL');
          expect(util, pod).toBeDefined();
          expect(util!.namespace).toBe('ml');
          expect([...util!.points].map(([t]) => t)).toEqual(steps);
          for (const [t, sum, count] of util!.points) {
            expect(count).toBe(1);
            expect(sum).toBeCloseTo(exactMean(all, uuid, t)!, 12);
          }
        }
        // The split steps really are uneven: equal weights would be off there.
        const a = obs.utilization.find((u) => u.pod === 'train-a')!;
        const split = [...a.points].find(([t]) => t === T0 + 11 * STEP)!;
        const aSamples = all.filter(
          (s) => s.labels.UUID === 'GPU-A' && s.tMs > T0 + 10 * STEP && s.tMs <= T0 + 11 * STEP,
        );
        const seriesMeans = ['550.54.15', '560.35.03'].map((v) => {
          const part = aSamples.filter((s) => s.labels.DCGM_FI_DRIVER_VERSION === v);
          return part.reduce((acc, s) => acc + s.value, 0) / part.length / 100;
        });
        expect(aSamples.map((s) => s.labels.DCGM_FI_DRIVER_VERSION)).toEqual([
          '550.54.15',
          '560.35.03',
          '560.35.03',
          '560.35.03',
        ]);
        expect(Math.abs(split[1] - (seriesMeans[0]! + seriesMeans[1]!) / 2)).toBeGreaterThan(0.01);
        expect(quiet.warnings).toEqual([]);
      });

      it(`asks for sample counts only for the split GPUs and only over the split span (${stepEvaluation})`, async () => {
        const { requests, spans } = await observe(stepEvaluation);
        const index = requests.flatMap((q, i) =>
          q.includes('count_over_time({__name__="DCGM_FI_DEV_GPU_UTIL"') ? [i] : [],
        );
        expect(index).toHaveLength(1);
        expect(requests[index[0]!]).toContain('UUID=~"GPU-A|GPU-B"');
        // From the first split step (GPU-A, 00:11) to the last (GPU-B, 00:21).
        const sec = (ms: number) => String(ms / 1000);
        expect(spans[index[0]!]).toBe(`${sec(T0 + 11 * STEP)}..${sec(T0 + 21 * STEP)}`);
        expect(
          requests.filter(
            (q) => q.includes('DCGM_FI_PROF_GR_ENGINE_ACTIVE') && q.includes('count_over_time'),
          ),
        ).toEqual([]);
      });
    }

    it('sees dcgm-exporter present at every step of the focus, idle GPUs included, and nowhere else', async () => {
      const { obs, requests, answers } = await observe('prometheus');
      // The idle GPU comes back as one marked presence row (label_replace), not as a series of its own.
      const util = requests.findIndex((q) => q.includes('avg_over_time({__name__="DCGM_FI_DEV_GPU_UTIL"'));
      const result = (
        JSON.parse(answers[util]!) as { data: { result: { metric: Record<string, string> }[] } }
      ).data.result;
      expect(result.filter((r) => r.metric.gpu_chargeback_presence === '1').map((r) => r.metric)).toEqual([
        { gpu_chargeback_presence: '1' },
      ]);
      expect(result.some((r) => r.metric.UUID === 'GPU-C')).toBe(false);
      expect(obs.dcgmPresentTsMs).toEqual(Array.from({ length: SPAN_STEPS }, (_, k) => T0 + (k + 1) * STEP));
      // Evaluated by the adapter from the idle GPU's raw samples: the same presence.
      const byAdapter = await observe('adapter');
      expect(
        byAdapter.requests.some((q) =>
          q.includes('{__name__="DCGM_FI_DEV_GPU_UTIL", exported_pod="", pod=""'),
        ),
      ).toBe(true);
      expect(byAdapter.obs.dcgmPresentTsMs).toEqual(obs.dcgmPresentTsMs);
    });
  },
);
