import { mapLimit } from '../concurrency.ts';
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { compareStrings } from '../core/compare.ts';
import type { Summary } from '../core/types.ts';
import { IntegrityError, LockedError, PublishError } from '../errors.ts';
import type { BlobStore, Clock, Logger, SpooledFile } from '../ports.ts';
import { keys } from './context.ts';

/**
 * Publishing a month, and the manifest that makes it final.
 *
 * Layout under the store (see docs/deploy.md, "How a month is published"):
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

export const MANIFEST_CONTENT_TYPE = 'application/json';

/**
 * One file to publish; `key` is the logical key from `keys` (e.g. `2026-03/teams/ml.csv`). The body is
 * either in memory (bytes, or a string written as UTF-8) or a local file spooled with its size and hash
 * (`spoolChunks`), which is streamed to the store and must stay in place until publishMonth returns.
 */
export interface PublishFile {
  key: string;
  body: PublishBody;
  contentType: string;
}

/** What a PublishFile holds: bytes or text in memory, or a spooled local file. */
export type PublishBody = Uint8Array | string | SpooledFile;

function isSpooled(body: PublishBody): body is SpooledFile {
  return typeof body !== 'string' && !(body instanceof Uint8Array);
}

/** What the manifest says about the run and the month, besides the files. */
export interface ManifestMeta {
  runId: string;
  /** ISO 8601 instant of the run. */
  generatedAt: string;
  /** Hash of the effective configuration. */
  configHash: string;
  period: { month: string; zone: string; start: string; end: string };
  /** Data coverage of the month, 0..100. */
  coveragePct: number;
  policies: Record<string, unknown>;
  source?: { kind: string; description: string };
  priceCatalogVersion?: string;
  currency?: string;
  /** Not recorded: the stale-lock timeout (config `output.lockStaleSeconds`); PublishOptions wins when both are set. */
  lockStaleSeconds?: number;
}

export interface PublishOptions {
  clock?: Clock;
  logger?: Logger;
  /** A lock older than this is abandoned and taken over (config `output.lockStaleSeconds`). */
  lockStaleSeconds?: number;
  /** Parallel object writes. */
  concurrency?: number;
}

const sha256Hex = /^[0-9a-f]{64}$/;

const manifestFileSchema = z.object({
  /** Logical key (the mirror), relative to the store. */
  key: z.string().min(1),
  /** Immutable object of this version, relative to the store. */
  object: z.string().min(1),
  sha256: z.string().regex(sha256Hex),
  bytes: z.number().int().nonnegative(),
  contentType: z.string().min(1),
});

/** The S3/directory manifest, validated whenever it is read. */
export const manifestSchema = z.object({
  schemaVersion: z.literal(1),
  month: z.string().regex(/^\d{4}-\d{2}$/),
  versionId: z.string().regex(/^[0-9a-f]{16}$/),
  runId: z.string().min(1),
  generatedAt: z.string().min(1),
  configHash: z.string(),
  period: z.object({ month: z.string(), zone: z.string(), start: z.string(), end: z.string() }),
  coveragePct: z.number(),
  policies: z.record(z.string(), z.unknown()),
  source: z.object({ kind: z.string(), description: z.string() }).optional(),
  priceCatalogVersion: z.string().optional(),
  currency: z.string().optional(),
  /** The version this one replaced, or null for the first publication of the month. */
  restates: z.object({ runId: z.string(), generatedAt: z.string(), versionId: z.string() }).nullable(),
  files: z.array(manifestFileSchema),
});

export type Manifest = z.infer<typeof manifestSchema>;
export type ManifestFile = z.infer<typeof manifestFileSchema>;

/** Builds the manifest meta of a monthly run from its summary. */
export function manifestMetaFromSummary(
  summary: Summary,
  run: { runId: string; generatedAt: string; configHash: string },
): ManifestMeta {
  return {
    ...run,
    period: {
      month: summary.period.month,
      zone: summary.period.zone,
      start: summary.period.start,
      end: summary.period.end,
    },
    coveragePct: summary.totals.coveragePct,
    policies: summary.policies,
    source: summary.source,
    priceCatalogVersion: summary.priceCatalog.version,
    currency: summary.currency.code,
  };
}

/** Key of a version's immutable copy of `logicalKey`. */
export function versionObjectKey(month: string, versionId: string, logicalKey: string): string {
  return `${month}/versions/${versionId}/${logicalKey.slice(month.length + 1)}`;
}

/** Key of a version's archived manifest. */
export function versionManifestKey(month: string, versionId: string): string {
  return `${month}/versions/${versionId}/manifest.json`;
}

/** Reads and validates the current manifest of `month`; undefined when the month is not published. */
export async function readManifest(store: BlobStore, month: string): Promise<Manifest | undefined> {
  const key = keys.manifest(month);
  const bytes = await store.get(key);
  if (bytes === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (error) {
    throw new IntegrityError(
      `${store.location}/${key} is not valid JSON`,
      { key, expectedSha256: '' },
      { cause: error },
    );
  }
  const result = manifestSchema.safeParse(parsed);
  if (!result.success) {
    const problems = result.error.issues
      .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
      .join('; ');
    throw new IntegrityError(`${store.location}/${key} is not a valid manifest: ${problems}`, {
      key,
      expectedSha256: '',
    });
  }
  return result.data;
}

/** SHA-256 of bytes, hex. */
export function sha256Of(body: Uint8Array | string): string {
  return createHash('sha256').update(body).digest('hex');
}

/** JSON with object keys sorted at every level, so that equal data hashes equally. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => compareStrings(a, b));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * Publishes `files` as the final version of `month`: takes the month's lock, writes every object under an
 * immutable version directory, writes `manifest.json` last (the commit), mirrors the files to their
 * logical keys and releases the lock. A month that already has a manifest is restated: the new manifest
 * records `restates`, and the previous version stays under `<month>/versions/<versionId>/`.
 * Throws LockedError when another live run holds the lock, PublishError when writing fails before the commit.
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
    let previous: Manifest | undefined;
    try {
      previous = await readManifest(store, month);
    } catch (error) {
      if (!(error instanceof IntegrityError)) throw error;
      logger?.warn('the current manifest is unreadable; publishing replaces it', {
        month,
        error: error.message,
      });
    }

    if (previous?.versionId === versionId) {
      logger?.info('month unchanged: same content as the published version', { month, versionId });
      await writeMirrors(store, previous, entries, options.concurrency);
      return previous;
    }

    const manifest: Manifest = {
      schemaVersion: 1,
      month,
      versionId,
      runId: meta.runId,
      generatedAt: meta.generatedAt,
      configHash: meta.configHash,
      period: meta.period,
      coveragePct: meta.coveragePct,
      policies: meta.policies,
      ...(meta.source !== undefined ? { source: meta.source } : {}),
      ...(meta.priceCatalogVersion !== undefined ? { priceCatalogVersion: meta.priceCatalogVersion } : {}),
      ...(meta.currency !== undefined ? { currency: meta.currency } : {}),
      restates: previous
        ? { runId: previous.runId, generatedAt: previous.generatedAt, versionId: previous.versionId }
        : null,
      files: entries.map(({ body: _body, ...file }) => ({
        ...file,
        object: versionObjectKey(month, versionId, file.key),
      })),
    };
    const manifestBody = `${JSON.stringify(manifest, null, 2)}\n`;

    try {
      await mapLimit(entries, options.concurrency ?? 4, (entry) =>
        writeEntry(store, versionObjectKey(month, versionId, entry.key), entry),
      );
      await store.put(versionManifestKey(month, versionId), manifestBody, MANIFEST_CONTENT_TYPE);
      await assertLockHeld(store, month, meta.runId);
      await store.put(keys.manifest(month), manifestBody, MANIFEST_CONTENT_TYPE);
    } catch (error) {
      if (error instanceof LockedError) throw error;
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
      await writeMirrors(store, manifest, entries, options.concurrency);
    } catch (error) {
      // The month is final (manifest committed) and readable through the manifest; only the copies lag.
      throw new Error(
        `${month} version ${versionId} is committed, but copying it to the logical keys failed; rerun to repair them`,
        { cause: error },
      );
    }
    return manifest;
  } finally {
    await releaseLock(store, month, meta.runId, logger);
  }
}

interface PlannedFile {
  key: string;
  body: PublishBody;
  contentType: string;
  sha256: string;
  bytes: number;
}

/** Writes a planned file's body to `key`: in-memory bodies with put, spooled files streamed with putFile. */
function writeEntry(store: BlobStore, key: string, entry: PlannedFile): Promise<void> {
  return isSpooled(entry.body)
    ? store.putFile(key, entry.body.path, entry.contentType)
    : store.put(key, entry.body, entry.contentType);
}

function planFiles(month: string, files: PublishFile[]): PlannedFile[] {
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
    return { ...file, sha256: sha256Of(body), bytes };
  });
  return planned.sort((a, b) => compareStrings(a.key, b.key));
}

function versionIdOf(month: string, entries: PlannedFile[], meta: ManifestMeta): string {
  const { runId: _runId, generatedAt: _generatedAt, lockStaleSeconds: _lockStaleSeconds, ...content } = meta;
  const files = entries.map(({ key, sha256, bytes, contentType }) => ({ key, sha256, bytes, contentType }));
  return sha256Of(canonicalJson({ month, files, meta: content })).slice(0, 16);
}

/**
 * Copies the committed version to the logical keys and removes every other logical key of the month
 * (mirrors of files the version no longer has). The month is listed rather than diffed against the
 * previous manifest, so a run that crashed between the commit and the cleanup is repaired by a rerun:
 * the rerun sees the new manifest as "previous" and would otherwise never learn which mirrors are stale.
 */
async function writeMirrors(
  store: BlobStore,
  manifest: Manifest,
  entries: PlannedFile[],
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

interface LockBody {
  runId: string;
  acquiredAt: string;
  acquiredAtMs: number;
}

function parseLock(bytes: Uint8Array | undefined): LockBody | undefined {
  if (!bytes) return undefined;
  try {
    const body = JSON.parse(Buffer.from(bytes).toString('utf8')) as Partial<LockBody>;
    if (typeof body.runId === 'string' && typeof body.acquiredAtMs === 'number') return body as LockBody;
  } catch {
    // fall through: an unreadable lock is treated as abandoned
  }
  return undefined;
}

async function acquireLock(
  store: BlobStore,
  month: string,
  runId: string,
  clock: Clock,
  staleMs: number,
  logger: Logger | undefined,
): Promise<void> {
  const key = keys.lock(month);
  const nowMs = clock.nowMs();
  const body = JSON.stringify({ runId, acquiredAt: new Date(nowMs).toISOString(), acquiredAtMs: nowMs });
  if (await store.putIfAbsent(key, body, MANIFEST_CONTENT_TYPE)) return;

  const raw = await store.get(key);
  if (raw === undefined) {
    // Released between our attempt and the read: one more try.
    if (await store.putIfAbsent(key, body, MANIFEST_CONTENT_TYPE)) return;
    throw new LockedError(
      `${month} is being published by another run (lock ${store.location}/${key}); retry later`,
    );
  }
  const holder = parseLock(raw);
  const ageMs = holder ? nowMs - holder.acquiredAtMs : Number.POSITIVE_INFINITY;
  if (holder && holder.runId !== runId && ageMs < staleMs) {
    throw new LockedError(
      `${month} is being published by run ${holder.runId} since ${holder.acquiredAt} (lock ${store.location}/${key}); ` +
        `retry later, or after ${Math.ceil((staleMs - ageMs) / 1000)} s it counts as abandoned (output.lockStaleSeconds)`,
    );
  }
  logger?.warn('taking over an abandoned lock', {
    month,
    previousRunId: holder?.runId ?? '(unreadable)',
    ageSeconds: Number.isFinite(ageMs) ? Math.round(ageMs / 1000) : null,
  });
  await store.delete(key);
  if (!(await store.putIfAbsent(key, body, MANIFEST_CONTENT_TYPE))) {
    throw new LockedError(
      `${month}: another run took over the abandoned lock first (${store.location}/${key})`,
    );
  }
}

/** Fencing check just before the commit: a run whose lock was taken over must not write the manifest. */
async function assertLockHeld(store: BlobStore, month: string, runId: string): Promise<void> {
  const holder = parseLock(await store.get(keys.lock(month)));
  if (holder?.runId !== runId) {
    throw new LockedError(
      `${month}: this run's lock was taken over by ${holder?.runId ?? 'nobody (deleted)'} before the commit; ` +
        'nothing was committed by this run',
    );
  }
}

async function releaseLock(store: BlobStore, month: string, runId: string, logger: Logger | undefined) {
  try {
    const holder = parseLock(await store.get(keys.lock(month)));
    if (holder?.runId === runId) await store.delete(keys.lock(month));
  } catch (error) {
    // The lock then expires after output.lockStaleSeconds; never hide the run's own outcome behind this.
    logger?.error('could not release the publish lock', { month, error: (error as Error).message });
  }
}
