import { S3Client } from '@aws-sdk/client-s3';
import type { BlobStore } from '../../ports.ts';
import { createFsStore } from '../fs/fsStore.ts';
import { parseOutputLocation } from './outputLocation.ts';
import { createS3Store } from './s3Store.ts';

export interface OpenOutputStoreOptions {
  /** Client for s3:// locations; a default client (region and credentials from the environment) otherwise. */
  s3Client?: S3Client;
  kmsKeyId?: string | undefined;
}

/** Opens the BlobStore for an output location (config `output.location`): a directory or s3://bucket/prefix. */
export function openOutputStore(location: string, options: OpenOutputStoreOptions = {}): BlobStore {
  const parsed = parseOutputLocation(location);
  if (parsed.kind === 'fs') return createFsStore(parsed.dir);
  return createS3Store({
    bucket: parsed.bucket,
    prefix: parsed.prefix,
    client: options.s3Client ?? new S3Client({}),
    kmsKeyId: options.kmsKeyId,
  });
}
