import { createHash } from 'node:crypto';

/**
 * A file-name-safe, collision-free key for a label value (team names come from cluster labels and are
 * attacker-controlled). Keeps [A-Za-z0-9._-], replaces anything else with "_", never starts with a dot,
 * caps the length, and appends a short hash of the original whenever the value had to change, so that
 * "a/b" and "a_b" never share a file.
 */
export function safeFileName(value: string, maxLength = 80): string {
  let cleaned = value.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[.\-_]+/, '');
  if (cleaned.length > maxLength) cleaned = cleaned.slice(0, maxLength);
  if (cleaned === value && cleaned.length > 0) return cleaned;
  const hash = createHash('sha256').update(value, 'utf8').digest('hex').slice(0, 8);
  return `${cleaned || 'x'}-${hash}`;
}
