import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { billingPeriod } from '../core/period.ts';
import { groundTruth, type SimulationPreset, simulate, writeOpenMetrics } from '../sim/index.ts';

/** Options of {@link runSimulate} (what `gpu-chargeback simulate` passes). */
export interface RunSimulateOptions {
  preset: SimulationPreset;
  /** YYYY-MM. */
  month: string;
  /** IANA zone of the billing month. */
  zone: string;
  seed: number;
  outDir: string;
  ksmSeconds?: number;
  dcgmSeconds?: number;
  /** Simulate only the first `days` local days of the month. */
  days?: number;
}

/** What {@link runSimulate} wrote. */
export interface RunSimulateResult {
  /** OpenMetrics files, one per UTC day, in time order (feed them to promtool tsdb create-blocks-from openmetrics). */
  openMetricsFiles: string[];
  groundTruthFile: string;
  /** Absolute paths of everything written. */
  paths: string[];
}

/**
 * Simulates a preset month and writes its OpenMetrics files plus `ground-truth.json` into `outDir`.
 * Backfill with `promtool tsdb create-blocks-from openmetrics --max-block-duration=486h <file> <tsdb>`.
 */
export async function runSimulate(options: RunSimulateOptions): Promise<RunSimulateResult> {
  const outDir = resolve(options.outDir);
  const scrape =
    options.ksmSeconds !== undefined || options.dcgmSeconds !== undefined
      ? { ksmSeconds: options.ksmSeconds ?? 60, dcgmSeconds: options.dcgmSeconds ?? 30 }
      : undefined;
  const sim = simulate({
    preset: options.preset,
    month: options.month,
    zone: options.zone,
    seed: options.seed,
    ...(scrape ? { scrape } : {}),
    ...(options.days !== undefined ? { days: options.days } : {}),
  });
  await mkdir(outDir, { recursive: true });
  const openMetricsFiles = await writeOpenMetrics(sim, join(outDir, 'openmetrics'));
  const month = billingPeriod(options.month, options.zone);
  // A partial run is judged only on the days it simulated.
  const days = month.days.filter((d) => d.endMs <= sim.range.endMs);
  const period = {
    ...month,
    endMs: sim.range.endMs,
    days,
    hours: Math.round((sim.range.endMs - month.startMs) / 3_600_000),
  };
  const truth = groundTruth(sim, period);
  const groundTruthFile = join(outDir, 'ground-truth.json');
  await writeFile(groundTruthFile, `${JSON.stringify(truth, null, 2)}\n`);
  return { openMetricsFiles, groundTruthFile, paths: [...openMetricsFiles, groundTruthFile] };
}
