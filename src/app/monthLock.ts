import { LockedError } from '../errors.ts';
import type { BlobStore, Clock, Logger } from '../ports.ts';
import { keys } from './context.ts';
import { MANIFEST_CONTENT_TYPE } from './manifest.ts';

/**
 * The month's publish lock, `<month>/.lock`: created with a conditional write (so two runs can never both
 * create it), taken over once older than the stale timeout (a crashed run's), checked again just before
 * the commit (fencing: a run whose lock was taken over must not commit), and released afterwards.
 */

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

/** Takes `month`'s lock for `runId`; LockedError when a live run holds it (younger than `staleMs`). */
export async function acquireLock(
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
export async function assertLockHeld(store: BlobStore, month: string, runId: string): Promise<void> {
  const holder = parseLock(await store.get(keys.lock(month)));
  if (holder?.runId !== runId) {
    throw new LockedError(
      `${month}: this run's lock was taken over by ${holder?.runId ?? 'nobody (deleted)'} before the commit; ` +
        'nothing was committed by this run',
    );
  }
}

/** Releases `month`'s lock if `runId` still holds it; never throws (the lock then goes stale). */
export async function releaseLock(
  store: BlobStore,
  month: string,
  runId: string,
  logger: Logger | undefined,
): Promise<void> {
  try {
    const holder = parseLock(await store.get(keys.lock(month)));
    if (holder?.runId === runId) await store.delete(keys.lock(month));
  } catch (error) {
    // The lock then expires after output.lockStaleSeconds; never hide the run's own outcome behind this.
    logger?.error('could not release the publish lock', { month, error: (error as Error).message });
  }
}
