import { createHash } from 'node:crypto';
import { z } from 'zod';
import { compareStrings } from '../core/compare.ts';
import type { Provisional, Summary } from '../core/types.ts';
import { IntegrityError } from '../errors.ts';
import type { BlobStore } from '../ports.ts';
import { keys } from './context.ts';

/**
 * The month manifest: what makes a published month final, what each version holds, and the content-
 * addressed version id. Layout under the store (see docs/deploy.md, "How a month is published"):
 *   <month>/versions/<versionId>/<file>        immutable objects of one version (content-addressed id)
 *   <month>/versions/<versionId>/manifest.json that version's manifest, kept forever
 *   <month>/manifest.json                      the commit point: the current version (written last)
 */

export const MANIFEST_CONTENT_TYPE = 'application/json';

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
  /** ChargeClass of the version's rows: 'Correction' for a restatement. */
  chargeClass?: '' | 'Correction';
  /** Why the month was (re)published (`--reason`). Not part of the version id. */
  reason?: string;
  /** Set when the publish guard was overridden (`--force`): the checks it would have refused on. Not part of the version id. */
  forced?: { overridden: string[] };
  /** Set on a provisional (month-to-date) version: the days it covers (summary.json `provisional`). */
  provisional?: Provisional;
  /**
   * Set on a version that replaced a published provisional one (a longer provisional, or the final month):
   * which one, and through which day it ran. Not a restatement; not part of the version id.
   */
  replacesProvisional?: { versionId: string; throughDay: string };
  /** Not recorded: the stale-lock timeout (config `output.lockStaleSeconds`); PublishOptions wins when both are set. */
  lockStaleSeconds?: number;
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
  /** The team of a team CSV (absent in manifests written before it was recorded, and for other files). */
  team: z.string().optional(),
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
  /** ChargeClass of the version's rows (absent in manifests written before it was recorded). */
  chargeClass: z.enum(['', 'Correction']).optional(),
  /** Why it was published (`--reason`). */
  reason: z.string().optional(),
  /** The publish guard's checks this version was forced past (`--force`). */
  forced: z.object({ overridden: z.array(z.string()) }).optional(),
  /** A provisional (month-to-date) version: the days it covers; absent on a final version. */
  provisional: z
    .object({
      throughDay: z.string(),
      daysMetered: z.number().int(),
      daysInMonth: z.number().int(),
      monthEnd: z.string(),
    })
    .optional(),
  /** The provisional version this one replaced (not a restatement: its rows are not Correction). */
  replacesProvisional: z.object({ versionId: z.string(), throughDay: z.string() }).optional(),
  files: z.array(manifestFileSchema),
});

export type Manifest = z.infer<typeof manifestSchema>;
export type ManifestFile = z.infer<typeof manifestFileSchema>;

/** A file of a version as the manifest records it, before its object key is known. */
export interface VersionFile {
  key: string;
  sha256: string;
  bytes: number;
  contentType: string;
  /** The team of a team CSV (not part of the version id: the key already names the file). */
  team?: string | undefined;
}

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
    ...(summary.provisional ? { provisional: summary.provisional } : {}),
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
 * The content-addressed id of a version: a hash of the files (key, hash, size, type) and of everything the
 * meta says about them, not of the run id or the time, so the same inputs give the same id.
 */
export function versionIdOf(month: string, files: readonly VersionFile[], meta: ManifestMeta): string {
  const {
    runId: _runId,
    generatedAt: _generatedAt,
    lockStaleSeconds: _lockStaleSeconds,
    reason: _reason,
    forced: _forced,
    replacesProvisional: _replacesProvisional,
    // The rows carry it: it changes the files, so the id needs no second copy (and keeps the ids of
    // versions published before it was recorded).
    chargeClass: _chargeClass,
    ...content
  } = meta;
  const listed = files.map(({ key, sha256, bytes, contentType }) => ({ key, sha256, bytes, contentType }));
  return sha256Of(canonicalJson({ month, files: listed, meta: content })).slice(0, 16);
}

/** The manifest of version `versionId` of `month`, which restates `previous` (if any). */
export function buildManifest(
  month: string,
  versionId: string,
  files: readonly VersionFile[],
  meta: ManifestMeta,
  previous: Manifest | undefined,
): Manifest {
  return {
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
    ...(meta.chargeClass !== undefined ? { chargeClass: meta.chargeClass } : {}),
    ...(meta.reason !== undefined ? { reason: meta.reason } : {}),
    ...(meta.forced !== undefined ? { forced: meta.forced } : {}),
    ...(meta.provisional !== undefined ? { provisional: meta.provisional } : {}),
    ...(meta.replacesProvisional !== undefined ? { replacesProvisional: meta.replacesProvisional } : {}),
    files: files.map(({ key, sha256, bytes, contentType, team }) => ({
      key,
      object: versionObjectKey(month, versionId, key),
      sha256,
      bytes,
      contentType,
      ...(team !== undefined ? { team } : {}),
    })),
  };
}

/** The bytes a manifest is stored as (current and archived copies alike). */
export function manifestBody(manifest: Manifest): string {
  return `${JSON.stringify(manifest, null, 2)}\n`;
}

/** Parses and validates manifest bytes read from `location`/`key`; IntegrityError when they are not one. */
export function parseManifest(bytes: Uint8Array, location: string, key: string): Manifest {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (error) {
    throw new IntegrityError(
      `${location}/${key} is not valid JSON`,
      { key, expectedSha256: '' },
      { cause: error },
    );
  }
  const result = manifestSchema.safeParse(parsed);
  if (!result.success) {
    const problems = result.error.issues
      .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
      .join('; ');
    throw new IntegrityError(`${location}/${key} is not a valid manifest: ${problems}`, {
      key,
      expectedSha256: '',
    });
  }
  return result.data;
}

/**
 * The current manifest of a month with its version tag: what a run reads before building on it, and what
 * its commit must still find (compare-and-swap). `manifest` is undefined when the stored one is unreadable.
 */
export interface PublishedHead {
  etag: string;
  manifest: Manifest | undefined;
  /** Why `manifest` is undefined. */
  problem?: string;
}

/** Reads `month`'s manifest with its version tag; undefined when the month is not published. */
export async function readPublishedHead(store: BlobStore, month: string): Promise<PublishedHead | undefined> {
  const key = keys.manifest(month);
  const object = await store.getVersioned(key);
  if (object === undefined) return undefined;
  try {
    return { etag: object.etag, manifest: parseManifest(object.body, store.location, key) };
  } catch (error) {
    if (!(error instanceof IntegrityError)) throw error;
    return { etag: object.etag, manifest: undefined, problem: error.message };
  }
}

/** One line naming a published version, for messages: "version 0123… (run r, 2026-04-01T06:00:00Z)". */
export function describeVersion(head: PublishedHead | undefined): string {
  if (head === undefined) return 'no published version';
  if (head.manifest === undefined) return 'an unreadable manifest';
  const m = head.manifest;
  return `version ${m.versionId} (run ${m.runId}, ${m.generatedAt})`;
}

/** Reads and validates the current manifest of `month`; undefined when the month is not published. */
export async function readManifest(store: BlobStore, month: string): Promise<Manifest | undefined> {
  const key = keys.manifest(month);
  const bytes = await store.get(key);
  return bytes === undefined ? undefined : parseManifest(bytes, store.location, key);
}
