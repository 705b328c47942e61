import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createFsStore } from '../../../src/adapters/fs/fsStore.ts';
import { parseOutputLocation } from '../../../src/config/outputLocation.ts';

describe('parseOutputLocation', () => {
  it('splits s3://bucket/prefix', () => {
    expect(parseOutputLocation('s3://finops-reports/gpu/chargeback/')).toEqual({
      kind: 's3',
      bucket: 'finops-reports',
      prefix: 'gpu/chargeback',
    });
  });

  it('accepts a bucket without a prefix', () => {
    expect(parseOutputLocation('s3://finops-reports')).toEqual({
      kind: 's3',
      bucket: 'finops-reports',
      prefix: '',
    });
  });

  it('treats anything else as a directory', () => {
    expect(parseOutputLocation('./reports')).toEqual({ kind: 'fs', dir: './reports' });
  });

  it('rejects invalid bucket names and other URL schemes', () => {
    expect(() => parseOutputLocation('s3://Bad_Bucket/x')).toThrow('not a valid S3 bucket name');
    expect(() => parseOutputLocation('s3://bucket/a/../b')).toThrow('must not contain');
    expect(() => parseOutputLocation('gs://bucket/x')).toThrow('neither s3://bucket/prefix nor a directory');
  });
});

describe('createFsStore', () => {
  const dirs: string[] = [];
  const tempStore = async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fsstore-'));
    dirs.push(dir);
    return { dir, store: createFsStore(dir) };
  };
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it('writes atomically and leaves no temp files behind', async () => {
    const { dir, store } = await tempStore();
    await store.put('2026-03/teams/ml.csv', 'a\n', 'text/csv');
    await store.put('2026-03/teams/ml.csv', 'b\n', 'text/csv');
    expect(await readdir(join(dir, '2026-03', 'teams'))).toEqual(['ml.csv']);
    expect(Buffer.from((await store.get('2026-03/teams/ml.csv'))!).toString()).toBe('b\n');
  });

  it('creates a key only once with putIfAbsent', async () => {
    const { store } = await tempStore();
    expect(await store.putIfAbsent('2026-03/.lock', 'first', 'application/json')).toBe(true);
    expect(await store.putIfAbsent('2026-03/.lock', 'second', 'application/json')).toBe(false);
    expect(Buffer.from((await store.get('2026-03/.lock'))!).toString()).toBe('first');
    expect(await store.list('2026-03/')).toEqual(['2026-03/.lock']);
  });

  it('lists sorted keys under a prefix and returns undefined for missing keys', async () => {
    const { store } = await tempStore();
    await store.put('usage/2026-03-02.json', '{}', 'application/json');
    await store.put('usage/2026-03-01.json', '{}', 'application/json');
    await store.put('2026-03/summary.json', '{}', 'application/json');
    expect(await store.list('usage/')).toEqual(['usage/2026-03-01.json', 'usage/2026-03-02.json']);
    expect(await store.get('usage/2026-02-28.json')).toBeUndefined();
    await store.delete('usage/2026-03-01.json');
    expect(await store.list('usage/')).toEqual(['usage/2026-03-02.json']);
  });

  it('refuses keys that escape the directory', async () => {
    const { store } = await tempStore();
    await expect(store.put('../evil.csv', 'x', 'text/csv')).rejects.toThrow('invalid store key');
    await expect(store.get('/etc/passwd')).rejects.toThrow('invalid store key');
    await expect(store.putFile('../evil.csv', '/etc/hostname', 'text/csv')).rejects.toThrow(
      'invalid store key',
    );
  });

  it('copies a local file byte for byte with putFile, replacing the key and leaving no temp files', async () => {
    const { dir, store } = await tempStore();
    const source = join(await mkdtemp(join(tmpdir(), 'fsstore-src-')), 'spooled');
    dirs.push(join(source, '..'));
    const bytes = Buffer.concat([Buffer.from('팀,cost\r\n', 'utf8'), Buffer.from([0, 255, 254, 10])]);
    await writeFile(source, bytes);
    await store.put('2026-03/chargeback.csv', 'old\n', 'text/csv');

    await store.putFile('2026-03/chargeback.csv', source, 'text/csv');

    expect(Buffer.from((await store.get('2026-03/chargeback.csv'))!).equals(bytes)).toBe(true);
    expect(await readdir(join(dir, '2026-03'))).toEqual(['chargeback.csv']);
    // A copy, not a link: the source can be deleted (the run's temp dir is) without touching the store.
    await rm(source);
    expect((await readFile(join(dir, '2026-03', 'chargeback.csv'))).equals(bytes)).toBe(true);
  });

  it('keeps the previous content and no temp file when putFile cannot read its source', async () => {
    const { dir, store } = await tempStore();
    await store.put('2026-03/chargeback.csv', 'old\n', 'text/csv');

    await expect(
      store.putFile('2026-03/chargeback.csv', join(dir, 'no-such-file'), 'text/csv'),
    ).rejects.toMatchObject({ code: 'ENOENT' });

    expect(await readdir(join(dir, '2026-03'))).toEqual(['chargeback.csv']);
    expect(Buffer.from((await store.get('2026-03/chargeback.csv'))!).toString()).toBe('old\n');
  });
});
