import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFsStore } from '../../src/adapters/fs/fsStore.ts';
import { spoolChunks } from '../../src/adapters/fs/spool.ts';
import { createS3Store } from '../../src/adapters/s3/s3Store.ts';
import { keys } from '../../src/app/context.ts';
import { getPublished, presignedLink } from '../../src/app/getPublished.ts';
import {
  type ManifestMeta,
  type PublishFile,
  publishMonth,
  readManifest,
  readPublishedHead,
  versionManifestKey,
} from '../../src/app/publishMonth.ts';
import {
  ConflictError,
  IntegrityError,
  LockedError,
  NotPublishedError,
  PublishError,
} from '../../src/errors.ts';
import type { BlobStore } from '../../src/ports.ts';
import { type FaultPlan, type FaultProxy, startFaultProxy } from '../support/faultProxy.ts';
import { localS3Client, type S3TestServer, startS3Server } from '../support/s3.ts';

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

/** Fails the `failOn`-th put or putFile (1-based) and every one after it, like a connection that dropped midway. */
function failingFrom(store: BlobStore, failOn: number): BlobStore & { puts: string[] } {
  const puts: string[] = [];
  const attempt = (key: string) => {
    puts.push(key);
    if (puts.length >= failOn) throw new Error(`injected failure writing ${key}`);
  };
  return {
    ...store,
    location: store.location,
    puts,
    async put(key, body, contentType) {
      attempt(key);
      return store.put(key, body, contentType);
    },
    async putFile(key, path, contentType) {
      attempt(key);
      return store.putFile(key, path, contentType);
    },
  };
}

let s3: S3TestServer;
let fsDir: string;
let spoolDir: string;
let counter = 0;

beforeAll(async () => {
  s3 = await startS3Server();
  fsDir = await mkdtemp(join(tmpdir(), 'publish-'));
  spoolDir = await mkdtemp(join(tmpdir(), 'publish-spool-'));
});
afterAll(async () => {
  await s3?.stop();
  await rm(fsDir, { recursive: true, force: true });
  await rm(spoolDir, { recursive: true, force: true });
});

const MIB = 1024 * 1024;

/** About `mib` MiB of numbered CSV rows (multi-byte text included), so that parts out of order would show. */
function* csvRows(mib: number): Iterable<string> {
  let bytes = 0;
  for (let i = 0; bytes < mib * MIB; i++) {
    const chunk = `${i},팀-${i % 7},${createHash('md5').update(String(i)).digest('hex')}\r\n`.repeat(50);
    bytes += Buffer.byteLength(chunk);
    yield chunk;
  }
}

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

  it('throws a PublishError that says the version is committed when copying to the plain keys fails', async () => {
    const store = makeStore();
    await publishMonth(store, MONTH, files('v1'), meta('run-a'));
    // Writes to versions/ and the manifest succeed; the first plain-key copy after the commit fails.
    const mirrorsFail: BlobStore = {
      ...store,
      location: store.location,
      put: (key, body, type) =>
        key.includes('/versions/') || key.endsWith('manifest.json') || key.endsWith('.lock')
          ? store.put(key, body, type)
          : Promise.reject(new Error(`injected failure writing ${key}`)),
      putFile: (key, path, type) => store.putFile(key, path, type),
      putIfAbsent: (key, body, type) => store.putIfAbsent(key, body, type),
    };

    const failure = await publishMonth(mirrorsFail, MONTH, files('v2'), meta('run-b')).catch(
      (e: unknown) => e,
    );

    expect(failure).toBeInstanceOf(PublishError);
    expect(failure).toMatchObject({
      committed: true,
      message: expect.stringMatching(/is committed \(final\)/),
    });
    const ml = await getPublished(store, { month: MONTH, team: 'ml', what: 'csv' });
    expect(text(ml.body)).toBe('team,cost\nml,v2\n');
    expect(await store.get(keys.lock(MONTH))).toBeUndefined();
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

  it('deletes only plain copies an earlier manifest lists, never a file it did not write', async () => {
    const store = makeStore();
    await publishMonth(store, MONTH, files('v1', ['ml', 'search']), meta('run-a'));
    // Files under the month that the pipeline never wrote: an auditor's note, a hand-made team file.
    await store.put('2026-03/notes/audit.txt', 'checked by finance', 'text/plain');
    await store.put('2026-03/teams/handmade.csv', 'team,cost\nx,1\n', 'text/csv');
    await store.put('2026-03/summary.json.bak', '{}', 'application/json');

    await publishMonth(store, MONTH, files('v2', ['ml']), meta('run-b', T0 + 86_400_000));
    await publishMonth(store, MONTH, files('v3', ['ml', 'ads']), meta('run-c', T0 + 2 * 86_400_000));

    expect(text(await store.get('2026-03/notes/audit.txt'))).toBe('checked by finance');
    expect(text(await store.get('2026-03/teams/handmade.csv'))).toBe('team,cost\nx,1\n');
    expect(await store.get('2026-03/summary.json.bak')).toBeDefined();
    expect(await store.get('2026-03/teams/search.csv')).toBeUndefined();
    expect((await store.list('2026-03/teams/')).sort()).toEqual([
      '2026-03/teams/ads.csv',
      '2026-03/teams/handmade.csv',
      '2026-03/teams/ml.csv',
    ]);
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

  it('publishes a spooled file: the manifest has its hash and size, the version object and mirror its bytes', async () => {
    const store = makeStore();
    const csv = ['team,cost\r\n', '팀-머신러닝,12.50\r\n', 'search,3\r\n'];
    const spooled = await spoolChunks(csv, spoolDir);
    const [first, ...rest] = files('v1');
    const published = [{ ...first!, body: spooled }, ...rest];

    const manifest = await publishMonth(store, MONTH, published, meta('run-a'));

    const entry = manifest.files.find((f) => f.key === keys.chargebackCsv(MONTH))!;
    expect(entry).toMatchObject({ sha256: spooled.sha256, bytes: spooled.bytes });
    expect(entry.sha256).toBe(sha(csv.join('')));
    const local = await readFile(spooled.path);
    expect(Buffer.from((await store.get(entry.object))!).equals(local)).toBe(true);
    expect(Buffer.from((await store.get(keys.chargebackCsv(MONTH)))!).equals(local)).toBe(true);
    const read = await getPublished(store, { month: MONTH, what: 'csv' });
    expect(text(read.body)).toBe(csv.join(''));
    // The same content as an in-memory body is the same version: spooling changes no byte and no id.
    const again = await publishMonth(
      store,
      MONTH,
      [{ ...first!, body: csv.join('') }, ...rest],
      meta('run-b'),
    );
    expect(again.versionId).toBe(manifest.versionId);
  });

  it('never lets a run that started before a restatement replace it (compare-and-swap on its start version)', async () => {
    const store = makeStore();
    await publishMonth(store, MONTH, files('v1'), meta('run-a'));
    const startedFrom = await readPublishedHead(store, MONTH);
    // While the slow run works, a backfill publishes a correction.
    const corrected = await publishMonth(store, MONTH, files('v2-corrected'), meta('run-backfill'));

    const slow = publishMonth(store, MONTH, files('v1-stale'), meta('run-slow'), { startedFrom });

    await expect(slow).rejects.toThrow(ConflictError);
    await expect(slow).rejects.toThrow(
      new RegExp(
        `started from version ${startedFrom!.manifest!.versionId} .* but version ${corrected.versionId} .* is published now`,
      ),
    );
    expect((await readManifest(store, MONTH))!.versionId).toBe(corrected.versionId);
    expect(text(await store.get(keys.teamCsv(MONTH, 'ml')))).toBe('team,cost\nml,v2-corrected\n');
    expect(await store.get(keys.lock(MONTH))).toBeUndefined();
  });

  it('never lets a run that started from an unpublished month overwrite a first publication', async () => {
    const store = makeStore();
    const first = await publishMonth(store, MONTH, files('v1'), meta('run-a'));
    await expect(
      publishMonth(store, MONTH, files('other'), meta('run-b'), { startedFrom: null }),
    ).rejects.toThrow(ConflictError);
    expect((await readManifest(store, MONTH))!.versionId).toBe(first.versionId);
  });

  it('refuses the commit when another run committed after the lock check (a lock taken over as stale)', async () => {
    const store = makeStore();
    await publishMonth(store, MONTH, files('v1'), meta('run-a'));
    let intruder: Awaited<ReturnType<typeof publishMonth>> | undefined;
    // Just before run-b's commit, run-c takes over run-b's lock as stale and commits its own version.
    const racing: BlobStore = {
      ...store,
      location: store.location,
      putIfMatch: async (key, body, type, etag) => {
        if (key === keys.manifest(MONTH) && !intruder) {
          intruder = await publishMonth(store, MONTH, files('v3-intruder'), meta('run-c'), {
            clock: { nowMs: () => Date.now() + 3_600_000 },
            lockStaleSeconds: 60,
          });
        }
        return store.putIfMatch(key, body, type, etag);
      },
    };

    await expect(publishMonth(racing, MONTH, files('v2'), meta('run-b'))).rejects.toThrow(ConflictError);

    expect((await readManifest(store, MONTH))!.versionId).toBe(intruder!.versionId);
    expect(text(await store.get(keys.teamCsv(MONTH, 'ml')))).toBe('team,cost\nml,v3-intruder\n');
  });

  it('lets exactly one of several writers that read the same version replace it', async () => {
    const store = makeStore();
    await store.put('2026-03/cas.json', 'v0', 'application/json');
    const read = (await store.getVersioned('2026-03/cas.json'))!;
    const results = await Promise.all(
      ['x', 'y', 'z'].map((v) => store.putIfMatch('2026-03/cas.json', v, 'application/json', read.etag)),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
    const winner = ['x', 'y', 'z'][results.indexOf(true)]!;
    expect(text(await store.get('2026-03/cas.json'))).toBe(winner);
    expect(await store.putIfMatch('2026-03/missing.json', 'v', 'application/json', read.etag)).toBe(false);
    expect(await store.list('2026-03/')).toEqual(['2026-03/cas.json']);
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

describe('putFile on the S3 store against s3rver', () => {
  let proxy: FaultProxy;
  let plan: FaultPlan = () => undefined;
  let client: ReturnType<typeof localS3Client>;
  beforeAll(async () => {
    // A recording proxy in front of s3rver, to see which S3 calls putFile makes.
    proxy = await startFaultProxy({ target: s3.endpoint, plan: (r) => plan(r) });
    client = localS3Client(proxy.url);
  });
  afterAll(async () => {
    client?.destroy();
    await proxy?.stop();
  });
  const storeAt = (prefix: string) =>
    createS3Store({ bucket: s3.bucket, prefix, client, partSizeBytes: 5 * MIB });
  const since = (from: number) => proxy.requests.slice(from);

  it('uploads a file larger than a part as an encrypted multipart upload and reads back the same bytes', async () => {
    const spooled = await spoolChunks(csvRows(12), spoolDir);
    expect(spooled.bytes).toBeGreaterThan(12 * MIB);
    const from = proxy.requests.length;

    await storeAt('multipart').putFile('2026-03/chargeback.csv', spooled.path, 'text/csv; charset=utf-8');

    const calls = since(from);
    const create = calls.filter((r) => r.method === 'POST' && 'uploads' in r.params);
    expect(create).toHaveLength(1);
    expect(create[0]!.headers['x-amz-server-side-encryption']).toBe('AES256');
    expect(create[0]!.headers['content-type']).toBe('text/csv; charset=utf-8');
    const parts = calls.filter((r) => r.method === 'PUT' && r.params.uploadId !== undefined);
    expect(parts.map((r) => Number(r.params.partNumber)).sort()).toEqual([1, 2, 3]);
    expect(parts.map((r) => r.body.length).sort((a, b) => a - b)).toEqual([
      spooled.bytes - 10 * MIB,
      5 * MIB,
      5 * MIB,
    ]);
    expect(calls.filter((r) => r.method === 'POST' && r.params.uploadId !== undefined)).toHaveLength(1);
    expect(calls.filter((r) => r.method === 'PUT' && r.params.uploadId === undefined)).toEqual([]);

    const raw = await s3.client.send(
      new GetObjectCommand({ Bucket: s3.bucket, Key: 'multipart/2026-03/chargeback.csv' }),
    );
    expect(raw.ContentType).toBe('text/csv; charset=utf-8');
    expect(raw.ContentLength).toBe(spooled.bytes);
    expect(sha(await raw.Body!.transformToByteArray())).toBe(spooled.sha256);
  });

  it('sends a file of at most one part as a single encrypted PutObject', async () => {
    const spooled = await spoolChunks(['team,cost\r\n', 'ml,1\r\n'], spoolDir);
    const from = proxy.requests.length;

    await storeAt('single').putFile('2026-03/teams/ml.csv', spooled.path, 'text/csv; charset=utf-8');

    const calls = since(from);
    expect(calls.map((r) => [r.method, r.path])).toEqual([
      ['PUT', `/${s3.bucket}/single/2026-03/teams/ml.csv`],
    ]);
    expect(calls[0]!.headers['x-amz-server-side-encryption']).toBe('AES256');
    expect(calls[0]!.body.toString('utf8')).toBe('team,cost\r\nml,1\r\n');
    const head = await s3.client.send(
      new HeadObjectCommand({ Bucket: s3.bucket, Key: 'single/2026-03/teams/ml.csv' }),
    );
    expect(head.ContentType).toBe('text/csv; charset=utf-8');
  });

  it('aborts the multipart upload when a part fails, and writes no object', async () => {
    const spooled = await spoolChunks(csvRows(12), spoolDir);
    // s3rver 3.7 has no AbortMultipartUpload (405): the proxy answers it as S3 does, with 204.
    plan = (r) =>
      r.method === 'PUT' && r.params.partNumber === '2'
        ? {
            kind: 'status',
            status: 500,
            contentType: 'application/xml',
            body: '<?xml version="1.0" encoding="UTF-8"?><Error><Code>InternalError</Code><Message>injected</Message></Error>',
          }
        : r.method === 'DELETE' && r.params.uploadId !== undefined
          ? { kind: 'status', status: 204, body: '' }
          : undefined;
    const from = proxy.requests.length;
    try {
      await expect(
        storeAt('aborted').putFile('2026-03/chargeback.csv', spooled.path, 'text/csv'),
      ).rejects.toThrow();
    } finally {
      plan = () => undefined;
    }

    const calls = since(from);
    const uploadId = calls.find((r) => r.method === 'PUT' && r.params.partNumber === '2')!.params.uploadId;
    expect(uploadId).toBeTruthy();
    expect(calls.filter((r) => r.method === 'DELETE').map((r) => r.params.uploadId)).toEqual([uploadId]);
    expect(calls.filter((r) => r.method === 'POST' && r.params.uploadId !== undefined)).toEqual([]);
    expect(await storeAt('aborted').get('2026-03/chargeback.csv')).toBeUndefined();
  });

  it('fails, sending nothing, when the local file is missing', async () => {
    const from = proxy.requests.length;
    await expect(
      storeAt('missing').putFile('2026-03/x.csv', join(spoolDir, 'no-such-file'), 'text/csv'),
    ).rejects.toMatchObject({ code: 'ENOENT' });
    expect(since(from).filter((r) => r.method !== 'GET')).toEqual([]);
  });
});
