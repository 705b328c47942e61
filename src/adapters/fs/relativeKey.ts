/**
 * Store keys are relative, slash-separated paths such as `2026-03/teams/ml.csv`. Both the directory and the
 * S3 store refuse anything else, so that a key built from a label value can never escape the output root.
 */
export function assertRelativeKey(key: string): string {
  const segments = key.split('/');
  const bad =
    key.length === 0 ||
    key.length > 900 ||
    key.startsWith('/') ||
    key.includes('\\') ||
    key.includes('\0') ||
    segments.some((s) => s === '' || s === '.' || s === '..');
  if (bad)
    throw new RangeError(`invalid store key "${key}": expected a relative path like 2026-03/summary.json`);
  return key;
}
