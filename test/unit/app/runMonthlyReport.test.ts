/**
 * runMonthlyReport streams the CSVs through a per-run temporary directory: every CSV reaches the store
 * with putFile from a spooled file, and the directory is gone when the run ends, whether it succeeded
 * or failed (Lambda reuses /tmp across invocations of a warm container).
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createDemoSource } from '../../../src/adapters/demo/demoSource.ts';
import { createFsStore } from '../../../src/adapters/fs/fsStore.ts';
import type { AppContext } from '../../../src/app/context.ts';
import { demoConfig } from '../../../src/app/demoConfig.ts';
import { readManifest } from '../../../src/app/publishMonth.ts';
import { runMonthlyReport } from '../../../src/app/runMonthlyReport.ts';
import { parseConfig } from '../../../src/config/loadConfig.ts';
import { PublishError } from '../../../src/errors.ts';
import type { BlobStore, Logger } from '../../../src/ports.ts';
import { simulate } from '../../../src/sim/index.ts';

const MONTH = '2026-02';
const AFTER_MONTH = Date.parse('2026-03-05T00:00:00Z');
const silent: Logger = { info() {}, warn() {}, error() {}, progress() {} };

const dirs: string[] = [];
const tempDir = async (name: string) => {
  const dir = await mkdtemp(join(tmpdir(), `${name}-`));
  dirs.push(dir);
  return dir;
};
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

/** Records what each putFile was given, and whether its file existed at that moment; `failPutFile` fails them all. */
function recordingStore(store: BlobStore, failPutFile = false) {
  const putFiles: { key: string; path: string; existed: boolean }[] = [];
  const puts: string[] = [];
  const recording: BlobStore = {
    ...store,
    async put(key, body, contentType) {
      puts.push(key);
      return store.put(key, body, contentType);
    },
    async putFile(key, path, contentType) {
      putFiles.push({ key, path, existed: existsSync(path) });
      if (failPutFile) throw new Error(`injected failure writing ${key}`);
      return store.putFile(key, path, contentType);
    },
  };
  return { recording, putFiles, puts };
}

const config = parseConfig({ ...demoConfig, output: { location: 'unused' } }, 'test config');
let sim: ReturnType<typeof simulate> | undefined;

async function demoContext(store: BlobStore): Promise<AppContext> {
  sim ??= simulate({ preset: 'demo', month: MONTH, zone: config.timezone, seed: 7 });
  return {
    config,
    source: createDemoSource(sim),
    store,
    metrics: { publish: async () => {} },
    logger: silent,
    clock: { nowMs: () => AFTER_MONTH },
  };
}

describe('runMonthlyReport and its temporary files', () => {
  it('streams every CSV and report.html from a spooled file, and removes the temporary directory after a success', async () => {
    const out = await tempDir('report-out');
    const parent = await tempDir('report-tmp');
    const { recording, putFiles, puts } = recordingStore(createFsStore(out));

    const result = await runMonthlyReport(await demoContext(recording), MONTH, {
      remeter: true,
      tempDir: parent,
    });

    const csvKeys = result.keys.filter((k) => k.endsWith('.csv'));
    expect(csvKeys.length).toBeGreaterThan(4);
    // report.html too: the page of a large month is written in pieces, never held as one string.
    const spooledKeys = [...csvKeys, `${MONTH}/report.html`];
    expect(result.keys).toContain(`${MONTH}/report.html`);
    // Each twice (version object, then mirror), always from a file of this run's directory.
    expect(
      putFiles
        .map((p) => p.key)
        .filter((k) => !k.includes('/versions/'))
        .sort(),
    ).toEqual([...spooledKeys].sort());
    expect(putFiles).toHaveLength(2 * spooledKeys.length);
    expect(putFiles.every((p) => p.existed && p.path.startsWith(join(parent, 'gpu-chargeback-')))).toBe(true);
    expect(puts.filter((k) => k.endsWith('.csv') || k.endsWith('.html'))).toEqual([]);
    // The store holds what the manifest says, byte for byte.
    const manifest = (await readManifest(recording, MONTH))!;
    for (const file of manifest.files) {
      const bytes = (await recording.get(file.key))!;
      expect([createHash('sha256').update(bytes).digest('hex'), bytes.byteLength], file.key).toEqual([
        file.sha256,
        file.bytes,
      ]);
    }
    expect(await readdir(parent)).toEqual([]);
  });

  it('removes the temporary directory when publishing fails', async () => {
    const out = await tempDir('report-out');
    const parent = await tempDir('report-tmp');
    const { recording, putFiles } = recordingStore(createFsStore(out), true);

    await expect(
      runMonthlyReport(await demoContext(recording), MONTH, { remeter: true, tempDir: parent }),
    ).rejects.toBeInstanceOf(PublishError);

    expect(putFiles.length).toBeGreaterThan(0);
    expect(putFiles.every((p) => p.existed)).toBe(true);
    expect(await readdir(parent)).toEqual([]);
  });

  it('removes the temporary directory when metering fails', async () => {
    const parent = await tempDir('report-tmp');
    const ctx = await demoContext(createFsStore(await tempDir('report-out')));
    const failing: AppContext = {
      ...ctx,
      source: {
        ...ctx.source,
        detectScrapeInterval: async () => {
          throw new Error('Prometheus is down');
        },
      },
    };

    await expect(runMonthlyReport(failing, MONTH, { remeter: true, tempDir: parent })).rejects.toThrow(
      'Prometheus is down',
    );

    expect(await readdir(parent)).toEqual([]);
  });
});
