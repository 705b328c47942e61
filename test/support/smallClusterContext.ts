/**
 * The app-level harness of the small cluster (test/support/smallCluster.ts) for tests that publish its
 * month many times: fresh local-directory stores removed after the file's tests, a silent logger, an
 * AppContext over the simulation, and the SHA-256 of every key under a store prefix.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { createDemoSource } from '../../src/adapters/demo/demoSource.ts';
import { createFsStore } from '../../src/adapters/fs/fsStore.ts';
import type { AppContext } from '../../src/app/context.ts';
import { parseConfig } from '../../src/config/loadConfig.ts';
import type { ConfigInput } from '../../src/config/schema.ts';
import type { BlobStore, Logger, ObservationSource } from '../../src/ports.ts';
import type { Simulation } from '../../src/sim/index.ts';
import { smallClusterConfig } from './smallCluster.ts';

/** The month the small-cluster app tests bill, and a clock well after it closed. */
export const SMALL_CLUSTER_MONTH = '2026-02';
export const SMALL_CLUSTER_NOW = Date.parse('2026-03-10T00:00:00Z');

/** A logger that says nothing. */
export const silentLogger: Logger = { info() {}, warn() {}, error() {}, progress() {} };

/** A function giving a new store in its own temporary directory; the directories go after the file's tests. */
export function tempStores(prefix: string): () => Promise<BlobStore> {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });
  return async () => {
    const dir = await mkdtemp(join(tmpdir(), prefix));
    dirs.push(dir);
    return createFsStore(dir);
  };
}

export interface SmallClusterContextOptions {
  /** The observation source; the simulation itself otherwise. */
  source?: ObservationSource | undefined;
  /** Config over smallClusterConfig's. */
  config?: Partial<ConfigInput> | undefined;
  nowMs?: number | undefined;
}

/** An AppContext for the small cluster's `sim` publishing into `store`. */
export function smallClusterContext(
  store: BlobStore,
  sim: Simulation,
  options: SmallClusterContextOptions = {},
): AppContext {
  return {
    config: parseConfig(smallClusterConfig(options.config)),
    source: options.source ?? createDemoSource(sim),
    store,
    metrics: { publish: async () => {} },
    logger: silentLogger,
    clock: { nowMs: () => options.nowMs ?? SMALL_CLUSTER_NOW },
  };
}

/** Every key under `prefix` that `keep` keeps, with the SHA-256 of its bytes. */
export async function keyHashes(
  store: BlobStore,
  prefix: string,
  keep: (key: string) => boolean = () => true,
): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const key of await store.list(prefix)) {
    if (!keep(key)) continue;
    out[key] = createHash('sha256')
      .update((await store.get(key))!)
      .digest('hex');
  }
  return out;
}
