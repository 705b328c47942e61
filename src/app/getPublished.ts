import { isMonth } from '../core/period.ts';
import { safeFileName } from '../core/safeName.ts';
import { InputError, IntegrityError, NotPublishedError } from '../errors.ts';
import type { BlobStore } from '../ports.ts';
import { keys } from './context.ts';
import { compareStrings } from '../core/compare.ts';
import {
  type Manifest,
  type ManifestFile,
  parseManifest,
  readManifest,
  sha256Of,
  versionManifestKey,
} from './manifest.ts';

/** Which published file: the executive PDF, a CSV (all teams, or one team's), or the JSON summary. */
export type PublishedWhat = 'pdf' | 'csv' | 'summary';

export interface PublishedQuery {
  month: string;
  /** Only with what = 'csv': that team's CSV instead of the whole month's. */
  team?: string | undefined;
  what: PublishedWhat;
  /**
   * Any file of the month by its name in the month's folder (`report.html`, `COLUMNS.md`,
   * `teams/ml/costs.csv`, …), instead of `what` and `team`: found in the manifest like every file.
   */
  file?: string | undefined;
  /**
   * An earlier (or the current) version of the month, by the `versionId` its manifest records: read from
   * the archived manifest `<month>/versions/<versionId>/manifest.json`. Absent: the current version.
   */
  versionId?: string | undefined;
}

/** What a version id looks like (the manifest's content-addressed `versionId`). */
const VERSION_ID = /^[0-9a-f]{16}$/;

/** The ids of the versions of `month` archived in `store` (sorted), for messages. */
async function archivedVersions(store: BlobStore, month: string): Promise<string[]> {
  const prefix = `${month}/versions/`;
  const ids = new Set(
    (await store.list(prefix))
      .map((key) => key.slice(prefix.length).split('/')[0]!)
      .filter((id) => VERSION_ID.test(id)),
  );
  return [...ids].sort(compareStrings);
}

/** The manifest a query reads: the current one, or the archived one of `query.versionId`. */
async function manifestOf(store: BlobStore, query: PublishedQuery): Promise<Manifest> {
  if (query.versionId === undefined) {
    const manifest = await readManifest(store, query.month);
    if (!manifest) {
      throw new NotPublishedError(
        `${query.month} is not published in ${store.location} (no ${keys.manifest(query.month)}); run the monthly report first`,
      );
    }
    return manifest;
  }
  if (!VERSION_ID.test(query.versionId)) {
    throw new InputError(
      `--version "${query.versionId}" is not a version id: 16 hex digits, as in a manifest's versionId`,
    );
  }
  const key = versionManifestKey(query.month, query.versionId);
  const bytes = await store.get(key);
  if (bytes === undefined) {
    // A team lead's policy may allow reading manifests but not listing: the message then cannot list.
    const known = await archivedVersions(store, query.month).catch(() => undefined);
    const listed = known === undefined ? 'cannot be listed here' : known.join(', ') || 'none';
    throw new NotPublishedError(
      `${query.month} has no version ${query.versionId} in ${store.location}; versions: ${listed}`,
    );
  }
  const manifest = parseManifest(bytes, store.location, key);
  if (manifest.month !== query.month || manifest.versionId !== query.versionId) {
    throw new IntegrityError(
      `${store.location}/${key} records ${manifest.month} version ${manifest.versionId}, not ${query.month} version ${query.versionId}`,
      { key, expectedSha256: '' },
    );
  }
  return manifest;
}

export interface PublishedFile {
  /** Logical key, e.g. 2026-03/teams/ml.csv. */
  key: string;
  /** Immutable object the manifest points to. */
  object: string;
  /** Suggested local file name, e.g. gpu-chargeback-2026-03-ml.csv. */
  fileName: string;
  contentType: string;
  sha256: string;
  body: Uint8Array;
  manifest: Manifest;
}

/**
 * Logical key of a query (pure). A team's CSV is found through the manifest, which records each file's
 * team ({@link resolvePublished}); this key — the team's {@link safeFileName} — is where a manifest
 * written before teams were recorded keeps it.
 */
export function publishedKey(query: PublishedQuery): string {
  if (!isMonth(query.month)) throw new InputError(`invalid month "${query.month}": expected YYYY-MM`);
  if (query.file !== undefined) {
    if (query.team !== undefined)
      throw new InputError('--file names the file itself: give --file or --team, not both');
    const name = query.file.replace(/^\.?\/+/, '');
    if (name === '' || name.split('/').some((part) => part === '' || part === '.' || part === '..'))
      throw new InputError(
        `--file "${query.file}" is not a file name of the month's folder (e.g. report.html)`,
      );
    return `${query.month}/${name}`;
  }
  if (query.team !== undefined && query.what !== 'csv') {
    throw new InputError(`--team applies to --what csv only (got --what ${query.what})`);
  }
  switch (query.what) {
    case 'pdf':
      return keys.pdf(query.month);
    case 'summary':
      return keys.summaryJson(query.month);
    case 'csv':
      return query.team === undefined
        ? keys.chargebackCsv(query.month)
        : keys.teamCsv(query.month, safeFileName(query.team));
    default:
      throw new InputError(`unknown --what "${String(query.what)}": expected pdf, csv or summary`);
  }
}

/** Resolves a query to its manifest entry; NotPublishedError when the month or the file is not final. */
export async function resolvePublished(
  store: BlobStore,
  query: PublishedQuery,
): Promise<{ file: ManifestFile; manifest: Manifest; fileName: string }> {
  const key = publishedKey(query);
  const manifest = await manifestOf(store, query);
  const teamPrefix = `${query.month}/teams/`;
  // The team CSVs themselves: teams/<file>.csv (the team pack's folders, teams/<file>/…, are other files).
  const teamFiles = manifest.files.filter(
    (f) => f.key.startsWith(teamPrefix) && !f.key.slice(teamPrefix.length).includes('/'),
  );
  const recordsTeams = teamFiles.some((f) => f.team !== undefined);
  // By the team's name when the manifest records teams (file names are made unique per month), else by key.
  const file =
    query.team !== undefined && recordsTeams
      ? teamFiles.find((f) => f.team === query.team)
      : manifest.files.find((f) => f.key === key);
  if (!file && query.file !== undefined) {
    const names = manifest.files.map((f) => f.key.slice(query.month.length + 1)).sort(compareStrings);
    throw new NotPublishedError(
      `${query.month} version ${manifest.versionId} has no file ${JSON.stringify(query.file)}; files: ${names.join(', ')}`,
    );
  }
  if (!file) {
    // Team names are label values: one with control characters is shown quoted, so the line stays one line.
    const shown = (t: string) => (/[\u0000-\u001f\u007f-\u009f]/.test(t) ? JSON.stringify(t) : t);
    const teams = teamFiles.map((f) => shown(f.team ?? f.key.slice(teamPrefix.length, -4)));
    throw new NotPublishedError(
      query.team !== undefined
        ? `${query.month} has no CSV for team ${JSON.stringify(query.team)}; teams: ${teams.join(', ') || 'none'}`
        : `${query.month} version ${manifest.versionId} has no ${key}`,
    );
  }
  const base = file.key.slice(query.month.length + 1).replaceAll('/', '-');
  return { file, manifest, fileName: `gpu-chargeback-${query.month}-${base}` };
}

/** Downloads a published file and verifies its SHA-256 and size against the month's manifest. */
export async function getPublished(store: BlobStore, query: PublishedQuery): Promise<PublishedFile> {
  const { file, manifest, fileName } = await resolvePublished(store, query);
  return fetchVerified(store, file, manifest, fileName);
}

/** The files of a team lead's pack, in the team's folder: its one-page PDF and its readable CSV. */
const TEAM_PACK_FILES = ['report.pdf', 'costs.csv'] as const;

/**
 * A team lead's pack of one version of a month, each file verified against its manifest: the team's
 * `teams/<team>/report.pdf` and `costs.csv` (the folder of the team's CSV, found by the team's name as
 * `get --team` finds it) and the month's `COLUMNS.md`, which explains the CSV's columns.
 */
export async function getTeamPack(
  store: BlobStore,
  query: { month: string; team: string; versionId?: string | undefined },
): Promise<PublishedFile[]> {
  const { file: csv, manifest } = await resolvePublished(store, { ...query, what: 'csv' });
  const folder = csv.key.slice(0, -'.csv'.length);
  const wanted = [...TEAM_PACK_FILES.map((name) => `${folder}/${name}`), keys.columnsMd(query.month)];
  const files = wanted.map((key) => {
    const entry = manifest.files.find((f) => f.key === key);
    if (!entry)
      throw new NotPublishedError(
        `${query.month} version ${manifest.versionId} has no ${key} (a version published before the team pack existed)`,
      );
    return entry;
  });
  const prefix = `gpu-chargeback-${query.month}-`;
  return Promise.all(
    files.map((f) =>
      fetchVerified(
        store,
        f,
        manifest,
        `${prefix}${f.key.slice(query.month.length + 1).replaceAll('/', '-')}`,
      ),
    ),
  );
}

/** Reads a manifest entry's immutable object and checks it against the entry's SHA-256 and size. */
async function fetchVerified(
  store: BlobStore,
  file: ManifestFile,
  manifest: Manifest,
  fileName: string,
): Promise<PublishedFile> {
  const body = await store.get(file.object);
  if (body === undefined) {
    throw new IntegrityError(`${store.location}/${file.object} is listed in the manifest but missing`, {
      key: file.object,
      expectedSha256: file.sha256,
    });
  }
  const actual = sha256Of(body);
  if (actual !== file.sha256 || body.byteLength !== file.bytes) {
    throw new IntegrityError(
      `${store.location}/${file.object} does not match its manifest (sha256 ${actual}, ${body.byteLength} bytes; ` +
        `expected ${file.sha256}, ${file.bytes} bytes); do not use it, republish the month`,
      { key: file.object, expectedSha256: file.sha256, actualSha256: actual },
    );
  }
  return {
    key: file.key,
    object: file.object,
    fileName,
    contentType: file.contentType,
    sha256: actual,
    body,
    manifest,
  };
}

/** A store that can sign download links (the S3 store). */
export interface PresigningStore extends BlobStore {
  presignGet(key: string, expiresInSeconds: number, downloadName?: string): Promise<string>;
}

/** Returns true when `store` can hand out presigned links. */
export function canPresign(store: BlobStore): store is PresigningStore {
  return typeof (store as Partial<PresigningStore>).presignGet === 'function';
}

/**
 * A presigned S3 link (valid `expiresInSeconds`) to a published file, after verifying the file against the
 * manifest. The link points at the immutable version object, so a later restatement cannot change what
 * it downloads.
 */
export async function presignedLink(
  store: BlobStore,
  query: PublishedQuery,
  expiresInSeconds: number,
): Promise<string> {
  if (!canPresign(store)) {
    throw new InputError(
      `--link needs an s3://bucket/prefix output location (this one is ${store.location})`,
    );
  }
  const verified = await getPublished(store, query);
  return store.presignGet(verified.object, expiresInSeconds, verified.fileName);
}
