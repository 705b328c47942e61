import type { Config } from '../config/schema.ts';
import type { Summary } from '../core/types.ts';
import { InputError, RefusedError } from '../errors.ts';
import type { BlobStore, Logger } from '../ports.ts';
import { keys } from './context.ts';
import { type Manifest, sha256Of } from './manifest.ts';

/**
 * The shell of the publish guard (config `guard`): the decisions are pure (src/core/restatement.ts); here
 * they meet the run's override (`--force` with a `--reason`) and the published month in the store.
 */

/** How a run may override the guard: `force` needs a `reason`, which is recorded in the manifest. */
export interface GuardOverride {
  force?: boolean;
  /** Why the month is (re)published: recorded in the manifest and, for a restatement, in the summary and PDF. */
  reason?: string;
}

/** What a forced run records: the reason and the checks it overrode. */
export interface OverrideRecord {
  reason: string | null;
  forced: boolean;
  overridden: string[];
}

/** How to proceed, in every refusal: the same words for the CLI and the Lambda events. */
export const FORCE_HINT =
  'if this is intended, rerun with --force --reason "<why>" (Lambda event: "force": true, "reason": "<why>"); ' +
  'the reason is recorded in the manifest';

/** Checks an override's shape: a forced run must say why. InputError otherwise. */
export function checkOverride(override: GuardOverride): void {
  if (override.force && !override.reason?.trim()) {
    throw new InputError('--force needs --reason "<why>": the reason is recorded in the manifest');
  }
  if (override.reason !== undefined && override.reason.length > 500) {
    throw new InputError('--reason must be at most 500 characters');
  }
}

/**
 * Refuses (RefusedError, one line listing every violation and how to proceed) unless `violations` is empty
 * or the run is forced; a forced run logs what it overrides and returns it for the record.
 */
export function refuseUnlessForced(
  what: string,
  violations: readonly string[],
  override: GuardOverride,
  logger: Logger,
): OverrideRecord {
  const record: OverrideRecord = {
    reason: override.reason?.trim() || null,
    forced: Boolean(override.force) && violations.length > 0,
    overridden: override.force ? [...violations] : [],
  };
  if (violations.length === 0) return { ...record, overridden: [] };
  if (!override.force) {
    throw new RefusedError(
      `refusing to ${what}: ${violations.join('; ')}. Nothing was written; ${FORCE_HINT}`,
      [...violations],
    );
  }
  logger.warn(`forced: ${what} despite the guard`, { reason: record.reason, overridden: violations });
  return record;
}

/** Refuses a month before `guard.earliestMonth` (year 0000, 1969): bad input, exit code 2. */
export function assertPlausibleMonth(month: string, config: Config, what = 'month'): void {
  if (month < config.guard.earliestMonth) {
    throw new InputError(
      `${what} ${month} is before guard.earliestMonth ${config.guard.earliestMonth}: no cluster could have metered it`,
    );
  }
}

/**
 * The summary of a published version, verified against its manifest; undefined (with the reason) when it
 * is missing, altered or unreadable, so that the guard cannot compare against it.
 */
export async function readPublishedSummary(
  store: BlobStore,
  manifest: Manifest,
): Promise<{ summary: Summary } | { problem: string }> {
  const entry = manifest.files.find((f) => f.key === keys.summaryJson(manifest.month));
  if (!entry) return { problem: `version ${manifest.versionId} lists no summary.json` };
  const bytes = await store.get(entry.object);
  if (!bytes) return { problem: `${entry.object} is missing` };
  if (sha256Of(bytes) !== entry.sha256) return { problem: `${entry.object} does not match its manifest` };
  try {
    const summary = JSON.parse(Buffer.from(bytes).toString('utf8')) as Summary;
    if (
      summary.schemaVersion !== 1 ||
      !Array.isArray(summary.byTeam) ||
      typeof summary.totals?.cost !== 'string'
    ) {
      return { problem: `${entry.object} is not a summary this version can read` };
    }
    return { summary };
  } catch {
    return { problem: `${entry.object} is not valid JSON` };
  }
}

/** The summary without its restatement block: what two versions must share to hold the same figures. */
export function withoutRestatement(summary: Summary): Summary {
  const { restatement: _restatement, ...rest } = summary;
  return rest;
}
