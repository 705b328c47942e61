/**
 * Faults while publishing, against a real S3 server (s3rver): a crash at every single write leaves
 * readers on a complete version and a rerun converges to exactly what an uninterrupted run writes; two
 * runs at once never interleave.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spoolChunks } from '../../src/adapters/fs/spool.ts';
import { createS3Store } from '../../src/adapters/s3/s3Store.ts';
import { keys } from '../../src/app/context.ts';
import { getPublished } from '../../src/app/getPublished.ts';
import {
  type ManifestMeta,
  type PublishBody,
  type PublishFile,
  publishMonth,
  readManifest,
} from '../../src/app/publishMonth.ts';
import { LockedError } from '../../src/errors.ts';
import type { BlobStore } from '../../src/ports.ts';
import { type FaultProxy, startFaultProxy } from '../support/faultProxy.ts';
import { localS3Client, type S3TestServer, startS3Server } from '../support/s3.ts';

const MONTH = '2026-03';
const T0 = Date.parse('2026-04-01T06:00:00Z');
const STALE_SECONDS = 60;

let spoolDir: string;

/** The files of one version; the all-teams CSV is spooled to disk, as the monthly report does (putFile). */
async function files(version: string, teams: string[]): Promise<PublishFile[]> {
  const csv = `team,cost\n${teams.map((t) => `${t},${version}`).join('\n')}\n`;
  return [
    { key: keys.chargebackCsv(MONTH), body: await spoolChunks([csv], spoolDir), contentType: 'text/csv' },
    ...teams.map((t) => ({
      key: keys.teamCsv(MONTH, t),
      body: `team,cost\n${t},${version}\n`,
      contentType: 'text/csv',
    })),
    { key: keys.summaryJson(MONTH), body: JSON.stringify({ version }), contentType: 'application/json' },
    {
      key: keys.pdf(MONTH),
      body: new Uint8Array([0x25, 0x50, 0x44, 0x46, version.length]),
      contentType: 'application/pdf',
    },
  ];
}

const meta = (runId: string): ManifestMeta => ({
  runId,
  generatedAt: new Date(T0).toISOString(),
  configHash: 'cfg',
  period: { month: MONTH, zone: 'UTC', start: '2026-03-01T00:00:00Z', end: '2026-04-01T00:00:00Z' },
  coveragePct: 100,
  policies: {},
});

const V1 = () => files('v1', ['ml', 'search', 'vanishing']);
const V2 = () => files('v2-restated', ['ml', 'search', 'new-team']);

/** A store that dies at its `crashAt`-th write (put, putFile, putIfAbsent, putIfMatch or delete): that call and every later call fail, like a killed process. */
function crashingStore(store: BlobStore, crashAt: number): BlobStore & { writes: number } {
  let dead = false;
  const wrapped = {
    location: store.location,
    writes: 0,
    async write<T>(op: () => Promise<T>): Promise<T> {
      if (dead) throw new Error('process is gone');
      wrapped.writes++;
      if (wrapped.writes >= crashAt) {
        dead = true;
        throw new Error(`killed at write ${wrapped.writes}`);
      }
      return op();
    },
    put: (k: string, b: Uint8Array | string, c: string) => wrapped.write(() => store.put(k, b, c)),
    putFile: (k: string, p: string, c: string) => wrapped.write(() => store.putFile(k, p, c)),
    putIfAbsent: (k: string, b: Uint8Array | string, c: string) =>
      wrapped.write(() => store.putIfAbsent(k, b, c)),
    putIfMatch: (k: string, b: Uint8Array | string, c: string, etag: string) =>
      wrapped.write(() => store.putIfMatch(k, b, c, etag)),
    delete: (k: string) => wrapped.write(() => store.delete(k)),
    get: async (k: string) => {
      if (dead) throw new Error('process is gone');
      return store.get(k);
    },
    getVersioned: async (k: string) => {
      if (dead) throw new Error('process is gone');
      return store.getVersioned(k);
    },
    list: async (p: string) => {
      if (dead) throw new Error('process is gone');
      return store.list(p);
    },
  };
  return wrapped;
}

let s3: S3TestServer;
const storeAt = (prefix: string, client: S3Client = s3.client) =>
  createS3Store({ bucket: s3.bucket, prefix, client });

/**
 * Every key under the store with the SHA-256 of its bytes; manifests without their runId (a crash after
 * the commit leaves the crashed run's id on an otherwise identical manifest, which a rerun keeps).
 */
async function snapshot(store: BlobStore): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const key of await store.list('')) {
    let bytes: Uint8Array | string = (await store.get(key))!;
    if (key.endsWith('manifest.json')) {
      const { runId: _runId, ...rest } = JSON.parse(Buffer.from(bytes).toString('utf8'));
      bytes = JSON.stringify(rest);
    }
    out[key] = createHash('sha256').update(bytes).digest('hex');
  }
  return out;
}

/** A publish body's bytes, read back from disk when it was spooled. */
async function bytesOf(body: PublishBody): Promise<Buffer> {
  if (typeof body === 'string' || body instanceof Uint8Array) return Buffer.from(body);
  return readFile(body.path);
}

beforeAll(async () => {
  s3 = await startS3Server();
  spoolDir = await mkdtemp(join(tmpdir(), 'reliability-spool-'));
});
afterAll(async () => {
  await s3?.stop();
  if (spoolDir) await rm(spoolDir, { recursive: true, force: true });
});

describe('a crash at any write while restating a month', () => {
  it('always leaves a complete version readable, and a rerun converges to the uninterrupted result', async () => {
    const reference = storeAt('reference');
    await publishMonth(reference, MONTH, await V1(), meta('r1'), { clock: { nowMs: () => T0 } });
    const counting = crashingStore(reference, Number.POSITIVE_INFINITY);
    await publishMonth(counting, MONTH, await V2(), meta('r2'), { clock: { nowMs: () => T0 + 1000 } });
    const expected = await snapshot(reference);
    const writes = counting.writes;
    expect(writes).toBeGreaterThan(12);

    const v1Id = (await readManifest(storeAt('reference'), MONTH))!.restates!.versionId;
    let crashes = 0;
    for (let crashAt = 1; crashAt <= writes; crashAt++) {
      const store = storeAt(`crash-${crashAt}`);
      await publishMonth(store, MONTH, await V1(), meta('r1'), { clock: { nowMs: () => T0 } });
      const dying = crashingStore(store, crashAt);
      const outcome = await publishMonth(dying, MONTH, await V2(), meta('crashed'), {
        clock: { nowMs: () => T0 + 1000 },
      }).then(
        () => 'completed',
        () => 'failed',
      );
      // Only a crash at the very last write (releasing the lock) lets the run itself report success.
      expect(outcome).toBe(crashAt === writes ? 'completed' : 'failed');
      crashes++;

      // Readers: the month is v1 or v2, never a mix, and every file verifies against its manifest.
      const seen = await readManifest(store, MONTH);
      const v2Id = (await readManifest(reference, MONTH))!.versionId;
      expect([v1Id, v2Id]).toContain(seen!.versionId);
      for (const what of ['csv', 'summary', 'pdf'] as const) {
        const file = await getPublished(store, { month: MONTH, what });
        expect(file.manifest.versionId).toBe(seen!.versionId);
      }

      // The rerun: the dead run's lock is taken over once stale, and the result is byte-identical.
      await publishMonth(store, MONTH, await V2(), meta('r2'), {
        clock: { nowMs: () => T0 + 1000 + (STALE_SECONDS + 1) * 1000 },
        lockStaleSeconds: STALE_SECONDS,
      });
      const after = await snapshot(store);
      expect(after, `crash at write ${crashAt}`).toEqual(expected);
    }
    expect(crashes).toBe(writes);
    console.info(`reliability (S3): ${crashes} crash points, each followed by a rerun`);
  }, 120_000);

  it('refuses to take over a lock that is not stale yet', async () => {
    const store = storeAt('fresh-lock');
    await publishMonth(store, MONTH, await V1(), meta('r1'), { clock: { nowMs: () => T0 } });
    await expect(
      publishMonth(crashingStore(store, 3), MONTH, await V2(), meta('crashed'), {
        clock: { nowMs: () => T0 },
      }),
    ).rejects.toThrow(/failed before the manifest was written/);
    await expect(
      publishMonth(store, MONTH, await V2(), meta('r2'), {
        clock: { nowMs: () => T0 + (STALE_SECONDS - 1) * 1000 },
        lockStaleSeconds: STALE_SECONDS,
      }),
    ).rejects.toBeInstanceOf(LockedError);
  });
});

describe('two runs for the same month at once', () => {
  let proxy: FaultProxy;
  let client: S3Client;
  beforeAll(async () => {
    // Slow object writes (not the lock) so that the two runs overlap for certain.
    proxy = await startFaultProxy({
      target: s3.endpoint,
      plan: (r) => (r.method === 'PUT' && !r.path.endsWith('/.lock') ? { kind: 'delay', ms: 40 } : undefined),
    });
    client = localS3Client(proxy.url);
  });
  afterAll(async () => {
    client?.destroy();
    await proxy?.stop();
  });

  it('lets exactly one publish and never interleaves their files', async () => {
    for (let round = 0; round < 4; round++) {
      const store = storeAt(`concurrent-${round}`, client);
      const contents = {
        a: await files(`a${round}`, ['ml', 'x']),
        b: await files(`b${round}`, ['ml', 'y', 'z']),
      };
      const results = await Promise.allSettled([
        publishMonth(store, MONTH, contents.a, meta(`a${round}`), { clock: { nowMs: () => T0 } }),
        publishMonth(store, MONTH, contents.b, meta(`b${round}`), { clock: { nowMs: () => T0 } }),
      ]);
      const won = results.findIndex((r) => r.status === 'fulfilled');
      const lost = results.filter((r) => r.status === 'rejected');
      expect(lost).toHaveLength(1);
      expect((lost[0] as PromiseRejectedResult).reason).toBeInstanceOf(LockedError);
      const winner = won === 0 ? contents.a : contents.b;
      const manifest = (await readManifest(store, MONTH))!;
      expect(manifest.files.map((f) => f.key).sort()).toEqual(winner.map((f) => f.key).sort());
      for (const file of winner) {
        const body = await store.get(file.key);
        expect(Buffer.from(body!).equals(await bytesOf(file.body)), file.key).toBe(true);
      }
      expect((await store.list(`${MONTH}/teams/`)).length).toBe(winner.length - 3);
      expect(await store.get(keys.lock(MONTH))).toBeUndefined();
    }
    expect(proxy.faultsInjected()).toBeGreaterThan(40);
    console.info(`reliability (S3): ${proxy.faultsInjected()} slowed writes across 4 concurrent rounds`);
  }, 60_000);
});
