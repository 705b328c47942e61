import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { contentDisposition, createS3Store } from '../../../src/adapters/s3/s3Store.ts';
import { localS3Client } from '../../support/s3.ts';

/**
 * A tiny S3 stand-in on loopback that records request headers and answers conditional PUTs the way S3
 * does (412 PreconditionFailed, 409 ConditionalRequestConflict): s3rver ignores If-None-Match.
 */
interface Recorded {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
}
let server: Server;
let endpoint: string;
const requests: Recorded[] = [];
const existing = new Set<string>();
let nextStatus: number | undefined;

const errorXml = (code: string) =>
  `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${code}</Message></Error>`;

beforeAll(async () => {
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
      requests.push({ method: req.method ?? '', path, headers: req.headers });
      if (nextStatus !== undefined) {
        const status = nextStatus;
        nextStatus = undefined;
        const code =
          status === 409
            ? 'ConditionalRequestConflict'
            : status === 412
              ? 'PreconditionFailed'
              : 'InternalError';
        res.writeHead(status, { 'content-type': 'application/xml' }).end(errorXml(code));
        return;
      }
      if (req.method === 'PUT' && req.headers['if-none-match'] === '*' && existing.has(path)) {
        res.writeHead(412, { 'content-type': 'application/xml' }).end(errorXml('PreconditionFailed'));
        return;
      }
      if (req.method === 'PUT') existing.add(path);
      res.writeHead(200, { etag: '"abc"' }).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
beforeEach(() => {
  requests.length = 0;
  existing.clear();
  nextStatus = undefined;
});

const store = (kmsKeyId?: string) =>
  createS3Store({ bucket: 'reports', prefix: '/finops/gpu/', client: localS3Client(endpoint), kmsKeyId });

describe('createS3Store putIfAbsent', () => {
  it('sends If-None-Match: * and returns true when the key was created', async () => {
    expect(await store().putIfAbsent('2026-03/.lock', '{}', 'application/json')).toBe(true);
    expect(requests[0]?.path).toBe('/reports/finops/gpu/2026-03/.lock');
    expect(requests[0]?.headers['if-none-match']).toBe('*');
  });

  it('returns false when S3 answers 412 PreconditionFailed', async () => {
    existing.add('/reports/finops/gpu/2026-03/.lock');
    expect(await store().putIfAbsent('2026-03/.lock', '{}', 'application/json')).toBe(false);
  });

  it('returns false when S3 answers 409 ConditionalRequestConflict', async () => {
    nextStatus = 409;
    expect(await store().putIfAbsent('2026-03/.lock', '{}', 'application/json')).toBe(false);
  });

  it('throws on other errors instead of reporting the lock as taken', async () => {
    nextStatus = 500;
    await expect(store().putIfAbsent('2026-03/.lock', '{}', 'application/json')).rejects.toThrow();
  });
});

describe('createS3Store putIfMatch', () => {
  it('sends If-Match with the ETag it was given and returns true when S3 accepts it', async () => {
    expect(await store().putIfMatch('2026-03/manifest.json', '{}', 'application/json', '"abc"')).toBe(true);
    expect(requests[0]?.headers['if-match']).toBe('"abc"');
    expect(requests[0]?.headers['x-amz-server-side-encryption']).toBe('AES256');
  });

  it.each([412, 404, 409])(
    'returns false when S3 answers %d (changed, gone, or a write in flight)',
    async (status) => {
      nextStatus = status;
      expect(await store().putIfMatch('2026-03/manifest.json', '{}', 'application/json', '"abc"')).toBe(
        false,
      );
    },
  );

  it('throws on other errors instead of reporting a lost race', async () => {
    nextStatus = 500;
    await expect(
      store().putIfMatch('2026-03/manifest.json', '{}', 'application/json', '"abc"'),
    ).rejects.toThrow();
  });

  it('reads an object with its ETag', async () => {
    expect(await store().getVersioned('2026-03/manifest.json')).toEqual({
      body: new Uint8Array(),
      etag: '"abc"',
    });
  });
});

describe('createS3Store put', () => {
  it('encrypts with SSE-S3 (AES256) by default and sets the content type', async () => {
    await store().put('2026-03/chargeback.csv', 'a\n', 'text/csv; charset=utf-8');
    const headers = requests[0]!.headers;
    expect(headers['x-amz-server-side-encryption']).toBe('AES256');
    expect(headers['x-amz-server-side-encryption-aws-kms-key-id']).toBeUndefined();
    expect(headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(headers['if-none-match']).toBeUndefined();
  });

  it('encrypts with SSE-KMS and the configured key when one is set', async () => {
    const key = 'arn:aws:kms:us-east-1:123456789012:key/1111';
    await store(key).put('2026-03/summary.json', '{}', 'application/json');
    const headers = requests[0]!.headers;
    expect(headers['x-amz-server-side-encryption']).toBe('aws:kms');
    expect(headers['x-amz-server-side-encryption-aws-kms-key-id']).toBe(key);
    expect(headers['x-amz-server-side-encryption-bucket-key-enabled']).toBe('true');
  });

  it('refuses keys that would escape the prefix', async () => {
    await expect(store().put('../other/x', 'a', 'text/plain')).rejects.toThrow('invalid store key');
    expect(requests).toHaveLength(0);
  });
});

describe('createS3Store location', () => {
  it('normalizes slashes around the prefix', () => {
    expect(store().location).toBe('s3://reports/finops/gpu');
  });
});

describe('contentDisposition (presigned download names)', () => {
  it('names an ASCII file plainly and a file in another script by RFC 8187, with an ASCII fallback', () => {
    expect(contentDisposition('gpu-chargeback-2026-10-teams-ml.csv')).toBe(
      'attachment; filename="gpu-chargeback-2026-10-teams-ml.csv"',
    );
    expect(contentDisposition("gpu-chargeback-2026-10-추천(팀)'s.csv")).toBe(
      "attachment; filename=\"gpu-chargeback-2026-10-__(_)'s.csv\"; filename*=UTF-8''gpu-chargeback-2026-10-%EC%B6%94%EC%B2%9C%28%ED%8C%80%29%27s.csv",
    );
    // Never a raw non-ASCII byte, quote or backslash in the header.
    expect(contentDisposition('a"\\b\u00e9')).toMatch(/^[\x20-\x7e]+$/);
    expect(contentDisposition('a"\\b\u00e9')).toContain('filename="a__b_"');
  });
});
