import { mapLimit } from '../concurrency.ts';
import type { BlobStore, Logger } from '../ports.ts';
import { type Manifest, parseManifest, versionManifestKey } from './manifest.ts';
import { type PlannedFile, writeEntry } from './publishFiles.ts';

/**
 * Copies the committed version to the plain keys, then deletes the plain copies that earlier versions
 * wrote and this one no longer has (a team that vanished). Only keys that a committed manifest of the
 * month lists are ever deleted: a file under `<month>/` that the pipeline did not write stays.
 *
 * The earlier versions are found by following `restates` through the archived manifests
 * (`versions/<id>/manifest.json`), not only the one just replaced, so a run that crashed between the
 * commit and this cleanup is repaired by a rerun (which sees the crashed run's version as current).
 */
export async function writeMirrors(
  store: BlobStore,
  manifest: Manifest,
  entries: readonly PlannedFile[],
  concurrency = 4,
  logger?: Logger,
): Promise<void> {
  await mapLimit(entries, concurrency, (entry) => writeEntry(store, entry.key, entry));
  const current = new Set(manifest.files.map((f) => f.key));
  const written = await keysOfEarlierVersions(store, manifest, logger);
  const present = await store.list(`${manifest.month}/`);
  const stale = present.filter((key) => written.has(key) && !current.has(key));
  await mapLimit(stale, concurrency, (key) => store.delete(key));
}

/** Every plain key that a committed version before `manifest` listed (its `restates` chain). */
async function keysOfEarlierVersions(
  store: BlobStore,
  manifest: Manifest,
  logger: Logger | undefined,
): Promise<Set<string>> {
  const keys = new Set<string>();
  const seen = new Set<string>([manifest.versionId]);
  let next = manifest.restates?.versionId;
  while (next !== undefined && !seen.has(next)) {
    seen.add(next);
    const key = versionManifestKey(manifest.month, next);
    let earlier: Manifest;
    try {
      const bytes = await store.get(key);
      if (bytes === undefined) throw new Error('missing');
      earlier = parseManifest(bytes, store.location, key);
    } catch (error) {
      // Without it the chain ends here: its files, if still present, are left rather than guessed at.
      logger?.warn('an earlier version manifest is unreadable; its plain copies are not cleaned up', {
        key,
        error: (error as Error).message,
      });
      break;
    }
    for (const file of earlier.files) keys.add(file.key);
    next = earlier.restates?.versionId;
  }
  return keys;
}
