import { InputError } from '../../errors.ts';

/** Where outputs go: an S3 bucket/prefix or a local directory. */
export type OutputLocation = { kind: 's3'; bucket: string; prefix: string } | { kind: 'fs'; dir: string };

const BUCKET_RE = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** Parses `s3://bucket/prefix` (prefix optional) or a directory path. Pure. */
export function parseOutputLocation(location: string): OutputLocation {
  if (!/^s3:\/\//i.test(location)) {
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(location)) {
      throw new InputError(`output location "${location}" is neither s3://bucket/prefix nor a directory`);
    }
    return { kind: 'fs', dir: location };
  }
  const rest = location.slice('s3://'.length);
  const slash = rest.indexOf('/');
  const bucket = slash === -1 ? rest : rest.slice(0, slash);
  const prefix = slash === -1 ? '' : rest.slice(slash + 1).replace(/^\/+|\/+$/g, '');
  if (!BUCKET_RE.test(bucket) || bucket.includes('..')) {
    throw new InputError(
      `output location "${location}": "${bucket}" is not a valid S3 bucket name (3-63 characters of a-z 0-9 . -)`,
    );
  }
  if (prefix !== '' && prefix.split('/').some((s) => s === '' || s === '.' || s === '..')) {
    throw new InputError(
      `output location "${location}": the prefix must not contain empty, "." or ".." segments`,
    );
  }
  return { kind: 's3', bucket, prefix };
}
