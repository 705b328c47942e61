import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createFsStore } from '../../../src/adapters/fs/fsStore.ts';
import { parseOutputLocation } from '../../../src/adapters/s3/outputLocation.ts';

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
  });
});
