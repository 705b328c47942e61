import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runSimulate } from '../../../src/app/simulate.ts';
import type { GroundTruth } from '../../../src/sim/index.ts';
import { makeTempDir } from '../../support/tmp.ts';

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
});

describe('runSimulate', () => {
  it('writes per-day OpenMetrics files and a ground truth limited to the simulated days', async () => {
    const tmp = await makeTempDir();
    cleanup = tmp.cleanup;
    const result = await runSimulate({
      preset: 'edge-cases',
      month: '2026-03',
      zone: 'Asia/Seoul',
      seed: 3,
      outDir: tmp.dir,
      days: 1,
      ksmSeconds: 120,
      dcgmSeconds: 60,
    });
    // 2026-03-01 in Seoul is 2026-02-28T15:00Z .. 2026-03-01T15:00Z.
    expect(result.openMetricsFiles.map((f) => basename(f))).toEqual([
      'metrics-2026-02-28.om',
      'metrics-2026-03-01.om',
    ]);
    const truth = JSON.parse(await readFile(result.groundTruthFile, 'utf8')) as GroundTruth;
    expect(truth.period.days).toEqual(['2026-03-01']);
    expect(truth.period.hours).toBe(24);
    expect(truth.simulation.scrape).toMatchObject({ ksmSeconds: 120, dcgmSeconds: 60 });
    expect(result.paths).toEqual([...result.openMetricsFiles, result.groundTruthFile]);
  });
});
