/**
 * Data for the reliability tests: two simulated days of the edge-cases preset as OpenMetrics, plus a
 * variant as an HA Prometheus pair would hold it (every series twice, `replica="a"` and `replica="b"`,
 * and `prometheus_replica`) with a corrupt node whose GPU capacity samples are NaN, +Inf, -Inf and
 * negative.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { type ConfigInput, configSchema } from '../../src/config/schema.ts';
import { PRESET_INSTANCE_TYPES, simulate, writeOpenMetrics } from '../../src/sim/index.ts';
import { openMetricsFileRanges } from '../../src/sim/openMetrics.ts';

export const REL_MONTH = '2026-02';
export const REL_ZONE = 'UTC';
export const REL_SEED = 11;
export const REL_DAYS = 2;
/** "Now" for the CLI: the month has ended. */
export const REL_NOW = Date.parse('2026-03-15T12:00:00Z');
export const CORRUPT_NODE = 'corrupt-node';

/** Writes the plain and the HA+corrupt OpenMetrics files; returns both lists. */
export async function writeReliabilityData(dir: string): Promise<{ plain: string[]; ha: string[] }> {
  const sim = simulate({
    preset: 'edge-cases',
    month: REL_MONTH,
    zone: REL_ZONE,
    seed: REL_SEED,
    days: REL_DAYS,
    scrape: { ksmSeconds: 60, dcgmSeconds: 30 },
  });
  const plain = await writeOpenMetrics(sim, join(dir, 'plain'));
  const ranges = new Map(openMetricsFileRanges(sim).map((r) => [r.name, r]));
  const ha: string[] = [];
  for (const file of plain) {
    const range = ranges.get(basename(file))!;
    const text = await readFile(file, 'utf8');
    const out = join(dir, `ha-${basename(file)}`);
    await writeFile(out, haVariant(text, range, sim.outages));
    ha.push(out);
  }
  return { plain, ha };
}

/** Adds `labels` (already formatted, e.g. `replica="a"`) to one OpenMetrics sample line. */
function withLabels(line: string, labels: string): string {
  const brace = line.indexOf('{');
  const space = line.indexOf(' ');
  if (brace !== -1 && brace < space) return `${line.slice(0, brace + 1)}${labels},${line.slice(brace + 1)}`;
  return `${line.slice(0, space)}{${labels}}${line.slice(space)}`;
}

/**
 * Every metric family block duplicated per replica (each series stays contiguous and in time order),
 * and in kube_node_status_capacity a node whose every sample is NaN, +Inf, -Inf or negative.
 */
function haVariant(
  text: string,
  range: { startMs: number; endMs: number },
  outages: readonly { startMs: number; endMs: number }[],
): string {
  const out: string[] = [];
  let block: string[] = [];
  let family = '';
  const flush = () => {
    for (const replica of ['a', 'b']) {
      for (const line of block)
        out.push(withLabels(line, `prometheus_replica="prom-${replica}",replica="${replica}"`));
    }
    if (family === 'kube_node_status_capacity') {
      const values = ['NaN', '+Inf', '-Inf', '-4'];
      let i = 0;
      for (let t = range.startMs + 5_000; t < range.endMs; t += 60_000) {
        // Prometheus scraped nothing during the simulated outage, this node included.
        if (outages.some((o) => t >= o.startMs && t < o.endMs)) continue;
        out.push(
          `kube_node_status_capacity{node="${CORRUPT_NODE}",resource="nvidia_com_gpu",unit="integer"} ${values[Math.floor(i++ / 60) % 4]} ${t / 1000}`,
        );
      }
    }
    block = [];
  };
  for (const line of text.split('\n')) {
    if (line === '') continue;
    if (line.startsWith('# TYPE ') || line === '# EOF') {
      flush();
      family = line.startsWith('# TYPE ') ? line.split(' ')[2]! : '';
      out.push(line);
      continue;
    }
    if (line.startsWith('#')) {
      out.push(line);
      continue;
    }
    block.push(line);
  }
  return `${out.join('\n')}\n`;
}

/** A config for the reliability month: the preset's catalog, fixed scrape intervals, fast retries. */
export function reliabilityConfig(url: string, extra: Partial<ConfigInput> = {}): ConfigInput {
  const prices: Record<string, number> = {
    'g5.xlarge': 1.006,
    'g5.12xlarge': 5.672,
    'g4dn.xlarge': 0.526,
    'g4dn.12xlarge': 3.912,
    'p4d.24xlarge': 32.7726,
  };
  const base: ConfigInput = {
    timezone: REL_ZONE,
    source: { kind: 'prometheus', url, maxRetries: 2, timeoutSeconds: 5 },
    metering: { scrapeIntervalSeconds: { kubeStateMetrics: 60, dcgm: 30 } },
    // Only 2 of the month's 28 days have samples (about 7 % coverage): these tests are about faults, not
    // about the coverage floor, which test/integration/adversarialReruns.test.ts exercises.
    guard: { minCoveragePct: 0 },
    pricing: {
      catalogVersion: 'reliability-test',
      instanceTypes: Object.fromEntries(
        Object.entries(PRESET_INSTANCE_TYPES).map(([name, info]) => [
          name,
          { gpus: info.gpus, gpuModel: info.gpuModel, onDemand: prices[name] ?? 1 },
        ]),
      ),
    },
  };
  const merged = { ...base, ...extra, source: { ...base.source, ...(extra.source ?? {}) } } as ConfigInput;
  configSchema.parse(merged);
  return merged;
}
