import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type PutObjectCommandInput,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { createReadStream } from 'node:fs';
import type { BlobStore } from '../../ports.ts';
import { assertRelativeKey } from '../fs/relativeKey.ts';

export interface S3StoreOptions {
  bucket: string;
  /** Key prefix without leading or trailing slash ("" for the bucket root). */
  prefix: string;
  client: S3Client;
  /** KMS key id or ARN: objects are written with SSE-KMS; absent = SSE-S3 (AES256). */
  kmsKeyId?: string | undefined;
  /** Keys per ListObjectsV2 page (S3 caps it at 1000); small values exercise pagination in tests. */
  listPageSize?: number;
  /**
   * Part size of `putFile`'s multipart uploads (default 16 MiB; S3's minimum is 5 MiB). A file of at most
   * one part is sent with a single PutObject. Up to 4 parts per file are in memory at once.
   */
  partSizeBytes?: number;
}

/** Default part size of `putFile`: 16 MiB parts keep a 1 GB CSV at ~64 parts (S3 allows 10,000). */
export const DEFAULT_PART_SIZE_BYTES = 16 * 1024 * 1024;
/** Parts of one file uploaded in parallel. */
const UPLOAD_QUEUE_SIZE = 4;

/** Longest lifetime S3 accepts for a SigV4 presigned URL. */
export const MAX_PRESIGN_SECONDS = 7 * 24 * 3600;

/** A BlobStore on an S3 bucket/prefix that can also hand out presigned download links. */
export interface S3BlobStore extends BlobStore {
  readonly kind: 's3';
  readonly bucket: string;
  readonly prefix: string;
  /** A presigned GET URL for `key` (relative to the prefix), valid for `expiresInSeconds`. */
  presignGet(key: string, expiresInSeconds: number, downloadName?: string): Promise<string>;
}

/**
 * A BlobStore on S3. Every put is server-side encrypted (SSE-KMS with the configured key, else SSE-S3);
 * `putIfAbsent` is a real conditional write (`If-None-Match: *`), so two runs can never both create a lock,
 * and `putIfMatch` another (`If-Match: <ETag>`), so a commit never replaces a manifest it did not read.
 * `putFile` streams a local file (lib-storage: one PutObject when it fits in a part, else a multipart
 * upload, aborted when it fails so no orphan parts are billed).
 */
export function createS3Store(options: S3StoreOptions): S3BlobStore {
  const { bucket, client, kmsKeyId } = options;
  const prefix = options.prefix.replace(/^\/+|\/+$/g, '');
  const fullKey = (key: string) => (prefix ? `${prefix}/${assertRelativeKey(key)}` : assertRelativeKey(key));
  const encryption: Pick<PutObjectCommandInput, 'ServerSideEncryption' | 'SSEKMSKeyId' | 'BucketKeyEnabled'> =
    kmsKeyId
      ? { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: kmsKeyId, BucketKeyEnabled: true }
      : { ServerSideEncryption: 'AES256' };

  const putInput = (key: string, body: Uint8Array | string, contentType: string): PutObjectCommandInput => ({
    Bucket: bucket,
    Key: fullKey(key),
    Body: typeof body === 'string' ? Buffer.from(body, 'utf8') : body,
    ContentType: contentType,
    ...encryption,
  });

  return {
    kind: 's3',
    bucket,
    prefix,
    location: prefix ? `s3://${bucket}/${prefix}` : `s3://${bucket}`,
    async put(key, body, contentType) {
      await client.send(new PutObjectCommand(putInput(key, body, contentType)));
    },
    async putFile(key, path, contentType) {
      const Key = fullKey(key);
      const body = createReadStream(path);
      try {
        const upload = new Upload({
          client,
          params: { Bucket: bucket, Key, Body: body, ContentType: contentType, ...encryption },
          partSize: options.partSizeBytes ?? DEFAULT_PART_SIZE_BYTES,
          queueSize: UPLOAD_QUEUE_SIZE,
          leavePartsOnError: false,
        });
        await upload.done();
      } finally {
        body.destroy();
      }
    },
    async get(key) {
      try {
        const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: fullKey(key) }));
        if (!out.Body) return new Uint8Array();
        return await out.Body.transformToByteArray();
      } catch (error) {
        if (isNotFound(error)) return undefined;
        throw error;
      }
    },
    async getVersioned(key) {
      try {
        const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: fullKey(key) }));
        const body = out.Body ? await out.Body.transformToByteArray() : new Uint8Array();
        if (!out.ETag) throw new Error(`S3 returned ${fullKey(key)} without an ETag`);
        return { body, etag: out.ETag };
      } catch (error) {
        if (isNotFound(error)) return undefined;
        throw error;
      }
    },
    async list(listPrefix) {
      const keys: string[] = [];
      const strip = prefix ? prefix.length + 1 : 0;
      let token: string | undefined;
      do {
        const page = await client.send(
          new ListObjectsV2Command({
            Bucket: bucket,
            Prefix: prefix ? `${prefix}/${listPrefix}` : listPrefix,
            ContinuationToken: token,
            ...(options.listPageSize ? { MaxKeys: options.listPageSize } : {}),
          }),
        );
        for (const object of page.Contents ?? []) if (object.Key) keys.push(object.Key.slice(strip));
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      return keys.sort();
    },
    async delete(key) {
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: fullKey(key) }));
    },
    async putIfAbsent(key, body, contentType) {
      try {
        await client.send(new PutObjectCommand({ ...putInput(key, body, contentType), IfNoneMatch: '*' }));
        return true;
      } catch (error) {
        // 412: the key exists. 409: another conditional write to the same key is in flight; it wins.
        if (httpStatus(error) === 412 || httpStatus(error) === 409) return false;
        throw error;
      }
    },
    async putIfMatch(key, body, contentType, etag) {
      try {
        await client.send(new PutObjectCommand({ ...putInput(key, body, contentType), IfMatch: etag }));
        return true;
      } catch (error) {
        // 412: the ETag changed. 404: the object is gone. 409: a conditional write to the key is in flight.
        const status = httpStatus(error);
        if (status === 412 || status === 404 || status === 409) return false;
        throw error;
      }
    },
    async presignGet(key, expiresInSeconds, downloadName) {
      if (
        !Number.isInteger(expiresInSeconds) ||
        expiresInSeconds < 1 ||
        expiresInSeconds > MAX_PRESIGN_SECONDS
      ) {
        throw new RangeError(
          `link expiry must be 1..${MAX_PRESIGN_SECONDS} seconds, got ${expiresInSeconds}`,
        );
      }
      const command = new GetObjectCommand({
        Bucket: bucket,
        Key: fullKey(key),
        ...(downloadName ? { ResponseContentDisposition: contentDisposition(downloadName) } : {}),
      });
      return getSignedUrl(client, command, { expiresIn: expiresInSeconds });
    },
  };
}

/**
 * An attachment header for a download name (RFC 6266): a name outside printable ASCII (a team named in
 * its own script) also goes as RFC 8187 `filename*=UTF-8''…`, with an ASCII `filename` for old clients.
 */
export function contentDisposition(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, '_');
  if (ascii === name) return `attachment; filename="${name}"`;
  const encoded = encodeURIComponent(name).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}

function httpStatus(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
}

function isNotFound(error: unknown): boolean {
  const name = (error as { name?: string })?.name;
  return name === 'NoSuchKey' || name === 'NotFound' || httpStatus(error) === 404;
}
