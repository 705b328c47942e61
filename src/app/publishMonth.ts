import { mapLimit } from '../concurrency.ts';
import { ConflictError, LockedError, PublishError } from '../errors.ts';
import type { BlobStore, Clock, Logger } from '../ports.ts';
import { keys } from './context.ts';
import {
  buildManifest,
  describeVersion,
  MANIFEST_CONTENT_TYPE,
  type Manifest,
  type ManifestMeta,
  manifestBody,
  type PublishedHead,
  readPublishedHead,
  versionIdOf,
  versionManifestKey,
  versionObjectKey,
} from './manifest.ts';
import { writeMirrors } from './mirrors.ts';
import { acquireLock, assertLockHeld, releaseLock } from './monthLock.ts';
import { type PublishFile, planFiles, writeEntry } from './publishFiles.ts';

/**
 * Publishing a month: the orchestration of its named parts, each testable alone — the manifest and version
 * id (manifest.ts), the month lock (monthLock.ts), the files to write (publishFiles.ts) and the plain-key
 * mirrors (mirrors.ts). Layout under the store (see docs/deploy.md, "How a month is published"):
 *   <month>/versions/<versionId>/<file>        immutable objects of one version (content-addressed id)
 *   <month>/versions/<versionId>/manifest.json that version's manifest, kept forever
 *   <month>/manifest.json                      the commit point: the current version (written last)
 *   <month>/<file>                             mirror of the current version, copied after the commit
 *   <month>/.lock                              held while a run publishes
 *
 * A month is final only when `<month>/manifest.json` exists; readers resolve files through it, so a run
 * that fails midway (or is still in flight) never changes what readers see. The version id is a hash of
 * the content and of everything the meta says about it (not the run id or the time), so rerunning with
 * the same inputs writes the same bytes under the same keys and leaves the month untouched.
 */

export {
  canonicalJson,
  MANIFEST_CONTENT_TYPE,
  type Manifest,
  type ManifestFile,
  type ManifestMeta,
  manifestMetaFromSummary,
  manifestSchema,
  type PublishedHead,
  readManifest,
  readPublishedHead,
  sha256Of,
  versionManifestKey,
  versionObjectKey,
} from './manifest.ts';
export type { PublishBody, PublishFile } from './publishFiles.ts';

/** The id `files` would be published under with `meta` (what publishMonth computes), without writing anything. */
export function versionIdOfFiles(month: string, files: readonly PublishFile[], meta: ManifestMeta): string {
  return versionIdOf(month, planFiles(month, files), meta);
}

export interface PublishOptions {
  clock?: Clock;
  logger?: Logger;
  /** A lock older than this is abandoned and taken over (config `output.lockStaleSeconds`). */
  lockStaleSeconds?: number;
  /** Parallel object writes. */
  concurrency?: number;
  /**
   * The version the run started from, read before it metered anything (`null`: the month was not
   * published then). When the month has changed since, the run publishes nothing (ConflictError): a slow
   * run must never replace a newer version it has not seen. Absent: only the commit itself is guarded.
   */
  startedFrom?: PublishedHead | null;
}

/**
 * Publishes `files` as the final version of `month`: takes the month's lock, writes every object under an
 * immutable version directory, writes `manifest.json` last (the commit), mirrors the files to their
 * logical keys and releases the lock. A month that already has a manifest is restated: the new manifest
 * records `restates`, and the previous version stays under `<month>/versions/<versionId>/`.
 * The commit is a compare-and-swap on the manifest's version tag (S3 `If-Match`, or `If-None-Match: *` for a
 * first publication), against the version the run started from when `startedFrom` is given, so neither a
 * slower run nor one whose stale lock was taken over can replace a version it did not build on.
 * Throws LockedError when another live run holds the lock, ConflictError when the month changed since the
 * run started (nothing published), PublishError when writing fails (`committed` says whether the new
 * version became final before the failure).
 */
export async function publishMonth(
  store: BlobStore,
  month: string,
  files: PublishFile[],
  meta: ManifestMeta,
  options: PublishOptions = {},
): Promise<Manifest> {
  const clock = options.clock ?? { nowMs: () => Date.now() };
  const staleMs = (options.lockStaleSeconds ?? meta.lockStaleSeconds ?? 1800) * 1000;
  const logger = options.logger;
  const entries = planFiles(month, files);
  const versionId = versionIdOf(month, entries, meta);

  await acquireLock(store, month, meta.runId, clock, staleMs, logger);
  try {
    const head = await readPublishedHead(store, month);
    const previous = head?.manifest;
    if (head?.problem) {
      logger?.warn('the current manifest is unreadable; publishing replaces it', {
        month,
        error: head.problem,
      });
    }

    if (previous?.versionId === versionId) {
      logger?.info('month unchanged: same content as the published version', { month, versionId });
      await writeMirrors(store, previous, entries, options.concurrency, logger);
      return previous;
    }
    if (options.startedFrom !== undefined && head?.etag !== options.startedFrom?.etag) {
      throw conflict(month, options.startedFrom ?? undefined, head);
    }

    const manifest = buildManifest(month, versionId, entries, meta, previous);
    const body = manifestBody(manifest);
    try {
      await mapLimit(entries, options.concurrency ?? 4, (entry) =>
        writeEntry(store, versionObjectKey(month, versionId, entry.key), entry),
      );
      await store.put(versionManifestKey(month, versionId), body, MANIFEST_CONTENT_TYPE);
      await assertLockHeld(store, month, meta.runId);
      const committed = head
        ? await store.putIfMatch(keys.manifest(month), body, MANIFEST_CONTENT_TYPE, head.etag)
        : await store.putIfAbsent(keys.manifest(month), body, MANIFEST_CONTENT_TYPE);
      if (!committed) throw conflict(month, head, await readPublishedHead(store, month));
    } catch (error) {
      if (error instanceof LockedError || error instanceof ConflictError) throw error;
      throw new PublishError(
        `publishing ${month} to ${store.location} failed before the manifest was written; ` +
          `the month is unchanged${previous ? ` (still version ${previous.versionId})` : ' (still unpublished)'}; rerun to retry`,
        { cause: error },
      );
    }
    logger?.info(previous ? 'month restated' : 'month published', {
      month,
      versionId,
      files: entries.length,
      ...(previous ? { restates: previous.versionId } : {}),
    });
    try {
      await writeMirrors(store, manifest, entries, options.concurrency, logger);
    } catch (error) {
      // The month is final (manifest committed) and readable through the manifest; only the copies lag.
      throw new PublishError(
        `${month} version ${versionId} is committed (final), but copying it to the plain keys failed; rerun to repair them`,
        { cause: error, committed: true },
      );
    }
    return manifest;
  } finally {
    await releaseLock(store, month, meta.runId, logger);
  }
}

/** The error of a run whose month changed after it read `from`: it publishes nothing. */
function conflict(
  month: string,
  from: PublishedHead | undefined,
  now: PublishedHead | undefined,
): ConflictError {
  return new ConflictError(
    `${month} changed while this run was working: it started from ${describeVersion(from)}, but ` +
      `${describeVersion(now)} is published now; this run published nothing (the newer version stays). ` +
      'Rerun to build on it',
  );
}
