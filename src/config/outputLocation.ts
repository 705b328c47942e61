/** Where outputs go: an S3 bucket/prefix or a local directory. */
export type OutputLocation = { kind: 's3'; bucket: string; prefix: string } | { kind: 'fs'; dir: string };

const BUCKET_RE = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/**
 * Parses `s3://bucket/prefix` (prefix optional) or a directory path; the one rule for `--out` and
 * `output.location`, checked by the config schema. Anything that starts like a URL scheme but is not
 * `s3://` — `s3:/bucket` (one slash), `s3:bucket`, `gs://…` — is an error, never a local folder named
 * `s3:` (a single drive letter such as `C:` stays a directory). Pure; throws a RangeError saying why.
 */
export function parseOutputLocation(location: string): OutputLocation {
  if (!/^s3:\/\//i.test(location)) {
    if (/^s3:/i.test(location)) {
      throw new RangeError(
        `output location "${location}" is not s3://bucket/prefix (two slashes after "s3:"); for a local directory named like this, write ./${location}`,
      );
    }
    if (/^[a-z][a-z0-9+.-]+:/i.test(location)) {
      throw new RangeError(`output location "${location}" is neither s3://bucket/prefix nor a directory`);
    }
    return { kind: 'fs', dir: location };
  }
  const rest = location.slice('s3://'.length);
  const slash = rest.indexOf('/');
  const bucket = slash === -1 ? rest : rest.slice(0, slash);
  const prefix = slash === -1 ? '' : rest.slice(slash + 1).replace(/^\/+|\/+$/g, '');
  if (!BUCKET_RE.test(bucket) || bucket.includes('..')) {
    throw new RangeError(
      `output location "${location}": "${bucket}" is not a valid S3 bucket name (3-63 characters of a-z 0-9 . -)`,
    );
  }
  if (prefix !== '' && prefix.split('/').some((s) => s === '' || s === '.' || s === '..')) {
    throw new RangeError(
      `output location "${location}": the prefix must not contain empty, "." or ".." segments`,
    );
  }
  return { kind: 's3', bucket, prefix };
}

/** Why `location` is not a valid output location, or undefined when it is one. */
export function outputLocationProblem(location: string): string | undefined {
  try {
    parseOutputLocation(location);
    return undefined;
  } catch (error) {
    if (error instanceof RangeError) return error.message;
    throw error;
  }
}
