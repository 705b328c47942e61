import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import type { Config } from '../../config/schema.ts';
import type { BlobStore } from '../../ports.ts';
import { createFsStore } from '../fs/fsStore.ts';
import { parseOutputLocation } from '../../config/outputLocation.ts';
import { createS3Store } from './s3Store.ts';

export interface OpenOutputStoreOptions {
  /** Client for s3:// locations; by default one built from `output` (region, endpoint) and the environment. */
  s3Client?: S3Client;
}

/**
 * S3 client settings for the output section: an explicit region, and for an S3-compatible endpoint
 * (MinIO, a local server) path-style addressing without the newer default checksums they may reject.
 */
export function s3ClientConfig(output: Pick<Config['output'], 'endpoint' | 'region'>): S3ClientConfig {
  return {
    ...(output.region ? { region: output.region } : {}),
    ...(output.endpoint
      ? {
          endpoint: output.endpoint,
          forcePathStyle: true,
          requestChecksumCalculation: 'WHEN_REQUIRED' as const,
          responseChecksumValidation: 'WHEN_REQUIRED' as const,
        }
      : {}),
  };
}

/** Opens the BlobStore for `output.location`: a directory or s3://bucket/prefix (SSE-KMS when kmsKeyId is set). */
export function openOutputStore(
  output: Pick<Config['output'], 'location' | 'kmsKeyId' | 'endpoint' | 'region'>,
  options: OpenOutputStoreOptions = {},
): BlobStore {
  const parsed = parseOutputLocation(output.location);
  if (parsed.kind === 'fs') return createFsStore(parsed.dir);
  return createS3Store({
    bucket: parsed.bucket,
    prefix: parsed.prefix,
    client: options.s3Client ?? new S3Client(s3ClientConfig(output)),
    kmsKeyId: output.kmsKeyId,
  });
}
