import { mapLimit } from '../concurrency.ts';
import type { BlobStore } from '../ports.ts';
import type { Manifest } from './manifest.ts';
import { type PlannedFile, writeEntry } from './publishFiles.ts';

/**
 * Copies the committed version to the logical keys and removes every other logical key of the month
 * (mirrors of files the version no longer has). The month is listed rather than diffed against the
 * previous manifest, so a run that crashed between the commit and the cleanup is repaired by a rerun:
 * the rerun sees the new manifest as "previous" and would otherwise never learn which mirrors are stale.
 */
export async function writeMirrors(
  store: BlobStore,
  manifest: Manifest,
  entries: readonly PlannedFile[],
  concurrency = 4,
): Promise<void> {
  await mapLimit(entries, concurrency, (entry) => writeEntry(store, entry.key, entry));
  const current = new Set(manifest.files.map((f) => f.key));
  const monthPrefix = `${manifest.month}/`;
  const stale = (await store.list(monthPrefix)).filter((key) => {
    const rel = key.slice(monthPrefix.length);
    return !current.has(key) && rel !== 'manifest.json' && rel !== '.lock' && !rel.startsWith('versions/');
  });
  await mapLimit(stale, concurrency, (key) => store.delete(key));
}
