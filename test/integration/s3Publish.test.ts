import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFsStore } from '../../src/adapters/fs/fsStore.ts';
import { createS3Store } from '../../src/adapters/s3/s3Store.ts';
import { keys } from '../../src/app/context.ts';
import { getPublished, presignedLink } from '../../src/app/getPublished.ts';
import {
  type ManifestMeta,
  type PublishFile,
  publishMonth,
  readManifest,
  versionManifestKey,
} from '../../src/app/publishMonth.ts';
import { IntegrityError, LockedError, NotPublishedError, PublishError } from '../../src/errors.ts';
import type { BlobStore } from '../../src/ports.ts';
import { type S3TestServer, startS3Server } from '../support/s3.ts';

const MONTH = '2026-03';
const T0 = Date.parse('2026-04-01T06:00:00Z');

function files(version: string, teams = ['ml', 'search']): PublishFile[] {
  return [
    {
      key: keys.chargebackCsv(MONTH),
      body: `team,cost\n${teams.map((t) => `${t},${version}`).join('\n')}\n`,
      contentType: 'text/csv; charset=utf-8',
    },
    ...teams.map((t) => ({
      key: keys.teamCsv(MONTH, t),
      body: `team,cost\n${t},${version}\n`,
      contentType: 'text/csv; charset=utf-8',
    })),
    { key: keys.summaryJson(MONTH), body: JSON.stringify({ version }), contentType: 'application/json' },
    {
      key: keys.pdf(MONTH),
      body: new Uint8Array([0x25, 0x50, 0x44, 0x46, version.length]),
      contentType: 'application/pdf',
    },
  ];
}

function meta(runId: string, generatedAtMs = T0): ManifestMeta {
  return {
    runId,
    generatedAt: new Date(generatedAtMs).toISOString(),
    configHash: 'cfg-1',
    period: {
      month: MONTH,
      zone: 'Asia/Seoul',
      start: '2026-03-01T00:00:00+09:00',
      end: '2026-04-01T00:00:00+09:00',
    },
    coveragePct: 99.5,
    policies: { idle: 'separate' },
  };
}

const sha = (body: string | Uint8Array) => createHash('sha256').update(body).digest('hex');
const text = (bytes: Uint8Array | undefined) => Buffer.from(bytes ?? []).toString('utf8');

/** Fails the `failOn`-th put (1-based) and every put after it, like a connection that dropped midway. */
function failingFrom(store: BlobStore, failOn: number): BlobStore & { puts: string[] } {
  const puts: string[] = [];
  return {
    ...store,
    location: store.location,
    puts,
    async put(key, body, contentType) {
      puts.push(key);
      if (puts.length >= failOn) throw new Error(`injected failure writing ${key}`);
      return store.put(key, body, contentType);
    },
  };
}

let s3: S3TestServer;
let fsDir: string;
let counter = 0;

beforeAll(async () => {
  s3 = await startS3Server();
  fsDir = await mkdtemp(join(tmpdir(), 'publish-'));
});
afterAll(async () => {
  await s3?.stop();
  await rm(fsDir, { recursive: true, force: true });
});

const stores: [string, () => BlobStore][] = [
  [
    'S3 (s3rver)',
    () => createS3Store({ bucket: s3.bucket, prefix: `run${++counter}/reports`, client: s3.client }),
  ],
  ['a directory', () => createFsStore(join(fsDir, `run${++counter}`))],
];

describe.each(stores)('publishMonth and getPublished on %s', (_name, makeStore) => {
  it('round-trips every published file, verified against the manifest', async () => {
    const store = makeStore();
    const manifest = await publishMonth(store, MONTH, files('v1'), meta('run-a'));

    expect(manifest.restates).toBeNull();
    expect(manifest.files.map((f) => f.key)).toEqual([
      '2026-03/chargeback.csv',
      '2026-03/executive-report.pdf',
      '2026-03/summary.json',
      '2026-03/teams/ml.csv',
      '2026-03/teams/search.csv',
    ]);
    const ml = await getPublished(store, { month: MONTH, team: 'ml', what: 'csv' });
    expect(text(ml.body)).toBe('team,cost\nml,v1\n');
    expect(ml.sha256).toBe(sha('team,cost\nml,v1\n'));
    expect(ml.object).toBe(`2026-03/versions/${manifest.versionId}/teams/ml.csv`);
    const pdf = await getPublished(store, { month: MONTH, what: 'pdf' });
    expect([...pdf.body]).toEqual([0x25, 0x50, 0x44, 0x46, 2]);
    expect(pdf.contentType).toBe('application/pdf');
    // The logical key holds the same bytes (what a team lead reads with plain S3 access).
    expect(text(await store.get('2026-03/teams/search.csv'))).toBe('team,cost\nsearch,v1\n');
    expect(await store.get(keys.lock(MONTH))).toBeUndefined();
  });

  it('refuses a file whose bytes no longer match the manifest', async () => {
    const store = makeStore();
    const manifest = await publishMonth(store, MONTH, files('v1'), meta('run-a'));
    await store.put(
      `2026-03/versions/${manifest.versionId}/summary.json`,
      '{"version":"tampered"}',
      'application/json',
    );

    await expect(getPublished(store, { month: MONTH, what: 'summary' })).rejects.toThrow(IntegrityError);
  });

  it('reports an unpublished month and an unknown team by name', async () => {
    const store = makeStore();
    await expect(getPublished(store, { month: MONTH, what: 'pdf' })).rejects.toThrow(NotPublishedError);
    await publishMonth(store, MONTH, files('v1'), meta('run-a'));
    await expect(getPublished(store, { month: MONTH, team: 'ads', what: 'csv' })).rejects.toThrow(
      'has no CSV for team "ads"; teams: ml, search',
    );
  });

  it('leaves the previous version final when a restatement fails midway, and a rerun completes', async () => {
    const store = makeStore();
    const v1 = await publishMonth(store, MONTH, files('v1'), meta('run-a'));
    const manifestBefore = text(await store.get(keys.manifest(MONTH)));

    const flaky = failingFrom(store, 3);
    await expect(publishMonth(flaky, MONTH, files('v2'), meta('run-b'))).rejects.toThrow(PublishError);

    expect(text(await store.get(keys.manifest(MONTH)))).toBe(manifestBefore);
    const during = await getPublished(store, { month: MONTH, team: 'ml', what: 'csv' });
    expect(text(during.body)).toBe('team,cost\nml,v1\n');
    expect(await store.get(keys.lock(MONTH))).toBeUndefined();

    const v2 = await publishMonth(store, MONTH, files('v2'), meta('run-c'));
    expect(v2.restates).toEqual({ runId: 'run-a', generatedAt: v1.generatedAt, versionId: v1.versionId });
    expect(text((await getPublished(store, { month: MONTH, team: 'ml', what: 'csv' })).body)).toBe(
      'team,cost\nml,v2\n',
    );
  });

  it('never writes the manifest when the very first publication fails', async () => {
    const store = makeStore();
    await expect(publishMonth(failingFrom(store, 1), MONTH, files('v1'), meta('run-a'))).rejects.toThrow(
      'the month is unchanged (still unpublished)',
    );
    expect(await readManifest(store, MONTH)).toBeUndefined();
  });

  it('keeps the previous version readable after a restatement and drops mirrors of vanished teams', async () => {
    const store = makeStore();
    const v1 = await publishMonth(store, MONTH, files('v1', ['ml', 'search']), meta('run-a'));
    const v2 = await publishMonth(store, MONTH, files('v2', ['ml']), meta('run-b', T0 + 86_400_000));

    expect(v2.versionId).not.toBe(v1.versionId);
    expect(v2.restates?.versionId).toBe(v1.versionId);
    const archived = JSON.parse(text(await store.get(versionManifestKey(MONTH, v1.versionId))));
    expect(archived).toEqual(v1);
    for (const file of v1.files) expect(sha((await store.get(file.object))!)).toBe(file.sha256);
    expect(await store.get('2026-03/teams/search.csv')).toBeUndefined();
    expect(text(await store.get('2026-03/teams/ml.csv'))).toBe('team,cost\nml,v2\n');
  });

  it('is idempotent: the same inputs leave the same bytes under the same keys', async () => {
    const store = makeStore();
    const first = await publishMonth(store, MONTH, files('v1'), meta('run-a'));
    const keysBefore = await store.list('2026-03/');
    const manifestBefore = text(await store.get(keys.manifest(MONTH)));

    const again = await publishMonth(store, MONTH, files('v1'), meta('run-b', T0 + 3_600_000));

    expect(again).toEqual(first);
    expect(await store.list('2026-03/')).toEqual(keysBefore);
    expect(text(await store.get(keys.manifest(MONTH)))).toBe(manifestBefore);
  });

  it('refuses to publish while another live run holds the lock', async () => {
    const store = makeStore();
    const held = {
      runId: 'run-other',
      acquiredAt: new Date(T0 - 60_000).toISOString(),
      acquiredAtMs: T0 - 60_000,
    };
    await store.put(keys.lock(MONTH), JSON.stringify(held), 'application/json');

    await expect(
      publishMonth(store, MONTH, files('v1'), meta('run-a'), {
        clock: { nowMs: () => T0 },
        lockStaleSeconds: 1800,
      }),
    ).rejects.toThrow(LockedError);
    expect(await readManifest(store, MONTH)).toBeUndefined();
    expect(JSON.parse(text(await store.get(keys.lock(MONTH)))).runId).toBe('run-other');
  });

  it('takes over a stale lock and releases it afterwards', async () => {
    const store = makeStore();
    const stale = {
      runId: 'run-crashed',
      acquiredAt: new Date(T0 - 3_600_000).toISOString(),
      acquiredAtMs: T0 - 3_600_000,
    };
    await store.put(keys.lock(MONTH), JSON.stringify(stale), 'application/json');

    const manifest = await publishMonth(store, MONTH, files('v1'), meta('run-a'), {
      clock: { nowMs: () => T0 },
      lockStaleSeconds: 1800,
    });

    expect(manifest.runId).toBe('run-a');
    expect(await store.get(keys.lock(MONTH))).toBeUndefined();
  });

  it('lets exactly one of two concurrent runs create the lock', async () => {
    const store = makeStore();
    const results = await Promise.all(
      ['run-x', 'run-y', 'run-z'].map((runId) =>
        store.putIfAbsent(keys.lock(MONTH), runId, 'application/json'),
      ),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
  });
});

describe('the S3 store against s3rver', () => {
  it('lists every key across pages', async () => {
    const store = createS3Store({ bucket: s3.bucket, prefix: 'paged', client: s3.client, listPageSize: 2 });
    const written = [
      'usage/2026-03-01.json',
      'usage/2026-03-02.json',
      'usage/2026-03-03.json',
      'usage/2026-03-04.json',
      'usage/2026-03-05.json',
    ];
    for (const key of written) await store.put(key, '{}', 'application/json');
    await store.put('other/x.json', '{}', 'application/json');

    expect(await store.list('usage/')).toEqual(written);
  });

  it('stores objects under the prefix with their content type', async () => {
    const store = createS3Store({ bucket: s3.bucket, prefix: 'typed/reports', client: s3.client });
    await store.put('2026-03/chargeback.csv', 'a,b\n', 'text/csv; charset=utf-8');

    const head = await s3.client.send(
      new HeadObjectCommand({ Bucket: s3.bucket, Key: 'typed/reports/2026-03/chargeback.csv' }),
    );
    expect(head.ContentType).toBe('text/csv; charset=utf-8');
    expect(head.ContentLength).toBe(4);
  });

  it('hands out a presigned link that downloads the verified version object', async () => {
    const store = createS3Store({ bucket: s3.bucket, prefix: 'linked', client: s3.client });
    const manifest = await publishMonth(store, MONTH, files('v1'), meta('run-a'));

    const url = await presignedLink(store, { month: MONTH, team: 'ml', what: 'csv' }, 600);

    expect(url).toContain(`/linked/2026-03/versions/${manifest.versionId}/teams/ml.csv`);
    expect(url).toContain('X-Amz-Expires=600');
    const response = await fetch(url);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('team,cost\nml,v1\n');
  });

  it('refuses a link for a directory store', async () => {
    const store = createFsStore(join(fsDir, 'nolink'));
    await publishMonth(store, MONTH, files('v1'), meta('run-a'));
    await expect(presignedLink(store, { month: MONTH, what: 'pdf' }, 600)).rejects.toThrow(
      '--link needs an s3://',
    );
  });

  it('reads back what GetObject returns byte for byte', async () => {
    const store = createS3Store({ bucket: s3.bucket, prefix: 'bytes', client: s3.client });
    const body = new Uint8Array([0, 1, 2, 255, 254]);
    await store.put('2026-03/x.bin', body, 'application/octet-stream');
    const raw = await s3.client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: 'bytes/2026-03/x.bin' }));
    expect([...(await raw.Body!.transformToByteArray())]).toEqual([0, 1, 2, 255, 254]);
    expect([...(await store.get('2026-03/x.bin'))!]).toEqual([0, 1, 2, 255, 254]);
  });
});
