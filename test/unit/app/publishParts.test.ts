/**
 * The named parts of publishing, each alone on a local directory store: the manifest (version id,
 * building, parsing), the month lock, the files to publish, the mirrors.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createFsStore } from '../../../src/adapters/fs/fsStore.ts';
import { keys } from '../../../src/app/context.ts';
import {
  buildManifest,
  type ManifestMeta,
  manifestBody,
  parseManifest,
  versionIdOf,
} from '../../../src/app/manifest.ts';
import { writeMirrors } from '../../../src/app/mirrors.ts';
import { acquireLock, assertLockHeld, releaseLock } from '../../../src/app/monthLock.ts';
import { planFiles } from '../../../src/app/publishFiles.ts';
import { IntegrityError, LockedError, PublishError } from '../../../src/errors.ts';
import type { BlobStore } from '../../../src/ports.ts';

const MONTH = '2026-03';
const T0 = Date.parse('2026-04-01T06:00:00Z');
const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});
async function store(): Promise<BlobStore> {
  const dir = await mkdtemp(join(tmpdir(), 'publish-parts-'));
  dirs.push(dir);
  return createFsStore(dir);
}

const meta = (runId: string, generatedAtMs = T0): ManifestMeta => ({
  runId,
  generatedAt: new Date(generatedAtMs).toISOString(),
  configHash: 'cfg',
  period: { month: MONTH, zone: 'UTC', start: '2026-03-01T00:00:00Z', end: '2026-04-01T00:00:00Z' },
  coveragePct: 100,
  policies: {},
});
const files = (version: string) =>
  planFiles(MONTH, [
    { key: `${MONTH}/chargeback.csv`, body: `a,${version}\n`, contentType: 'text/csv' },
    { key: `${MONTH}/teams/ml.csv`, body: `ml,${version}\n`, contentType: 'text/csv' },
  ]);

describe('the manifest', () => {
  it('gives the same version id to the same content whatever the run and time', () => {
    expect(versionIdOf(MONTH, files('v1'), meta('a'))).toBe(
      versionIdOf(MONTH, files('v1'), meta('b', T0 + 1)),
    );
    expect(versionIdOf(MONTH, files('v1'), meta('a'))).not.toBe(versionIdOf(MONTH, files('v2'), meta('a')));
  });

  it('builds a manifest that names the version it restates and round-trips through its bytes', () => {
    const first = buildManifest(MONTH, 'aaaaaaaaaaaaaaaa', files('v1'), meta('a'), undefined);
    const second = buildManifest(MONTH, 'bbbbbbbbbbbbbbbb', files('v2'), meta('b'), first);
    expect(second.restates).toEqual({
      runId: 'a',
      generatedAt: first.generatedAt,
      versionId: 'aaaaaaaaaaaaaaaa',
    });
    expect(second.files[1]!.object).toBe(`${MONTH}/versions/bbbbbbbbbbbbbbbb/teams/ml.csv`);
    expect(parseManifest(Buffer.from(manifestBody(second)), 'loc', 'k')).toEqual(second);
  });

  it('refuses bytes that are not a manifest, naming the field', () => {
    expect(() => parseManifest(Buffer.from('{nope'), 'loc', 'k')).toThrow(IntegrityError);
    expect(() => parseManifest(Buffer.from('{"schemaVersion":1}'), 'loc', 'k')).toThrow(/month: /);
  });
});

describe('the files to publish', () => {
  it('refuses reserved and escaping keys', () => {
    for (const key of [
      `${MONTH}/manifest.json`,
      `${MONTH}/.lock`,
      `${MONTH}/versions/x`,
      `${MONTH}/../x`,
      'x.csv',
    ]) {
      expect(() => planFiles(MONTH, [{ key, body: '', contentType: 'text/plain' }]), key).toThrow(
        PublishError,
      );
    }
  });
});

describe('the month lock', () => {
  it('lets one run hold it, refuses a live one, takes over a stale one and releases only its own', async () => {
    const s = await store();
    const clock = (ms: number) => ({ nowMs: () => ms });
    await acquireLock(s, MONTH, 'a', clock(T0), 60_000, undefined);
    await expect(acquireLock(s, MONTH, 'b', clock(T0 + 59_000), 60_000, undefined)).rejects.toThrow(
      LockedError,
    );
    await acquireLock(s, MONTH, 'b', clock(T0 + 61_000), 60_000, undefined);
    await expect(assertLockHeld(s, MONTH, 'a')).rejects.toThrow(/taken over by b/);
    await releaseLock(s, MONTH, 'a', undefined);
    await assertLockHeld(s, MONTH, 'b');
    await releaseLock(s, MONTH, 'b', undefined);
    expect(await s.get(keys.lock(MONTH))).toBeUndefined();
  });
});

describe('the mirrors', () => {
  it('copies a version to the plain keys', async () => {
    const s = await store();
    const entries = files('v1');
    await writeMirrors(s, buildManifest(MONTH, 'aaaaaaaaaaaaaaaa', entries, meta('a'), undefined), entries);
    expect(Buffer.from((await s.get(`${MONTH}/teams/ml.csv`))!).toString()).toBe('ml,v1\n');
  });
});
