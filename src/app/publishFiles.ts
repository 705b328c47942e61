import { compareStrings } from '../core/compare.ts';
import { PublishError } from '../errors.ts';
import type { BlobStore, SpooledFile } from '../ports.ts';
import { sha256Of, type VersionFile } from './manifest.ts';

/**
 * One file to publish; `key` is the logical key from `keys` (e.g. `2026-03/teams/ml.csv`). The body is
 * either in memory (bytes, or a string written as UTF-8) or a local file spooled with its size and hash
 * (`spoolChunks`), which is streamed to the store and must stay in place until publishMonth returns.
 */
export interface PublishFile {
  key: string;
  body: PublishBody;
  contentType: string;
  /** The team a team CSV belongs to: recorded in the manifest, so `get --team` finds its file by name. */
  team?: string;
}

/** What a PublishFile holds: bytes or text in memory, or a spooled local file. */
export type PublishBody = Uint8Array | string | SpooledFile;

/** A file checked and hashed for publishing: what the manifest records, plus its body. */
export interface PlannedFile extends VersionFile {
  body: PublishBody;
}

function isSpooled(body: PublishBody): body is SpooledFile {
  return typeof body !== 'string' && !(body instanceof Uint8Array);
}

/** SHA-256 (hex) of a body; a spooled file was hashed while it was written, so it is not read again. */
export function contentSha256(body: PublishBody): string {
  return isSpooled(body) ? body.sha256 : sha256Of(body);
}

/** Writes a planned file's body to `key`: in-memory bodies with put, spooled files streamed with putFile. */
export function writeEntry(store: BlobStore, key: string, entry: PlannedFile): Promise<void> {
  return isSpooled(entry.body)
    ? store.putFile(key, entry.body.path, entry.contentType)
    : store.put(key, entry.body, entry.contentType);
}

/**
 * Checks that every key is a file under `<month>/` (not the manifest, the lock or versions/, each once)
 * and hashes each body; sorted by key. PublishError naming the first bad key.
 */
export function planFiles(month: string, files: readonly PublishFile[]): PlannedFile[] {
  if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(month))
    throw new PublishError(`invalid month "${month}": expected YYYY-MM`);
  const seen = new Set<string>();
  const planned = files.map((file) => {
    const rel = file.key.startsWith(`${month}/`) ? file.key.slice(month.length + 1) : undefined;
    if (rel === undefined || rel === '' || rel.split('/').some((s) => s === '' || s === '.' || s === '..')) {
      throw new PublishError(`cannot publish "${file.key}": keys must be files under "${month}/"`);
    }
    if (rel === 'manifest.json' || rel === '.lock' || rel.startsWith('versions/')) {
      throw new PublishError(`cannot publish "${file.key}": manifest.json, .lock and versions/ are reserved`);
    }
    if (seen.has(file.key)) throw new PublishError(`cannot publish "${file.key}" twice in one version`);
    seen.add(file.key);
    const { body } = file;
    // A spooled file was hashed while it was written: trust its figures rather than reading it again.
    if (isSpooled(body)) return { ...file, sha256: body.sha256, bytes: body.bytes };
    const bytes = typeof body === 'string' ? Buffer.byteLength(body, 'utf8') : body.byteLength;
    return { ...file, sha256: contentSha256(body), bytes };
  });
  return planned.sort((a, b) => compareStrings(a.key, b.key));
}
