/**
 * A published month is never silently replaced by a worse one (issue #13 items 1, 2, 5, 6, 7), on a local
 * directory store with a small simulated cluster: restatements are guarded (coverage floor, total and
 * team shares), backfills re-meter only their days, stored partials are never replaced by emptier ones,
 * every restatement is marked ChargeClass=Correction and names what it replaces, implausible months and
 * unfinished days are refused. A refused run writes nothing: every byte under the store is unchanged.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { createDemoSource } from '../../../src/adapters/demo/demoSource.ts';
import { METERING_RULES_VERSION } from '../../../src/core/metering/index.ts';
import { backfill } from '../../../src/app/backfill.ts';
import { type AppContext, keys } from '../../../src/app/context.ts';
import { readManifest } from '../../../src/app/manifest.ts';
import { loadDayPartial, meterAndStoreDay, meterDay, meteringKey } from '../../../src/app/meterDay.ts';
import { runMonthlyReport } from '../../../src/app/runMonthlyReport.ts';
import { parseConfig } from '../../../src/config/loadConfig.ts';
import type { ConfigInput } from '../../../src/config/schema.ts';
import { dayOf } from '../../../src/core/period.ts';
import type { Summary } from '../../../src/core/types.ts';
import { InputError, RefusedError } from '../../../src/errors.ts';
import type { BlobStore, ObservationSource } from '../../../src/ports.ts';
import type { Simulation } from '../../../src/sim/index.ts';
import { readCsvObjects } from '../../support/csv.ts';
import { losingSource, smallClusterConfig, smallClusterSimulation } from '../../support/smallCluster.ts';
import {
  keyHashes,
  silentLogger,
  SMALL_CLUSTER_MONTH,
  SMALL_CLUSTER_NOW,
  smallClusterContext,
  tempStores,
} from '../../support/smallClusterContext.ts';

const MONTH = SMALL_CLUSTER_MONTH;
const NOW = SMALL_CLUSTER_NOW;
const freshStore = tempStores('guard-');

let sim: Simulation;
beforeAll(() => {
  sim = smallClusterSimulation(MONTH);
});

function context(
  store: BlobStore,
  options: { source?: ObservationSource; config?: Partial<ConfigInput>; nowMs?: number } = {},
): AppContext {
  return smallClusterContext(store, sim, options);
}

/** Every key under the store with the SHA-256 of its bytes. */
async function snapshot(store: BlobStore): Promise<Record<string, string>> {
  return keyHashes(store, '');
}

const text = async (store: BlobStore, key: string) => Buffer.from((await store.get(key))!).toString('utf8');
const summaryOf = async (store: BlobStore) =>
  JSON.parse(await text(store, keys.summaryJson(MONTH))) as Summary;

/** A store with the month published from the intact cluster. */
async function publishedStore(): Promise<{ store: BlobStore; total: string }> {
  const store = await freshStore();
  const result = await runMonthlyReport(context(store), MONTH);
  expect(result).toMatchObject({ restated: false, unchanged: false });
  return { store, total: result.summary.totals.cost };
}

const lostFeb5and6 = (date: string) => date === '2026-02-05' || date === '2026-02-06';

describe('a backfill against a source that lost the data (retention ran out)', () => {
  it('refuses to replace the stored days with empty ones: exit 1 material, nothing written', async () => {
    const { store, total } = await publishedStore();
    const before = await snapshot(store);
    const source = losingSource(createDemoSource(sim), 'UTC', lostFeb5and6);

    const failure = await backfill(context(store, { source }), '2026-02-05', '2026-02-06').catch(
      (e: unknown) => e,
    );

    expect(failure).toBeInstanceOf(RefusedError);
    expect((failure as Error).message).toMatch(
      /^refusing to restate 2026-02 \(replacing version [0-9a-f]{16} .*\): .*2 stored days would be replaced by emptier ones/,
    );
    expect((failure as Error).message).toContain(
      '2026-02-05: coverage 100 % -> 0 %, allocated GPU-hours 132.00 -> 0.00, capacity GPU-hours 288.00 -> 0.00; 2026-02-06: ',
    );
    expect((failure as Error).message).toMatch(/rerun with --force --reason "<why>"/);
    expect(source.observed.sort()).toEqual(['2026-02-05', '2026-02-06']);
    expect(await snapshot(store)).toEqual(before);
    expect((await summaryOf(store)).totals.cost).toBe(total);
  });

  it('refuses before metering anything when the other days of the month are stale, naming them', async () => {
    const { store } = await publishedStore();
    const before = await snapshot(store);
    const source = losingSource(createDemoSource(sim), 'UTC', lostFeb5and6);
    // A metering change makes every stored partial stale.
    const ctx = context(store, {
      source,
      config: {
        metering: { scrapeIntervalSeconds: { kubeStateMetrics: 60, dcgm: 30 }, maxBridgeSeconds: 1800 },
      },
    });

    const failure = await backfill(ctx, '2026-02-05', '2026-02-06').catch((e: unknown) => e);

    expect(failure).toBeInstanceOf(RefusedError);
    expect((failure as Error).message).toContain(
      '26 other days of the month have no usable stored partial (2026-02-01..2026-02-04, 2026-02-07..2026-02-28: ' +
        'metered under other settings (zone, source or metering options))',
    );
    expect((failure as Error).message).toContain(
      'backfill those days too (--from 2026-02-01 --to 2026-02-28)',
    );
    expect(source.observed).toEqual([]);
    expect(await snapshot(store)).toEqual(before);
  });

  it('refuses a whole-month backfill that would publish zeros, naming the total, the teams and the coverage', async () => {
    const { store, total } = await publishedStore();
    const before = await snapshot(store);
    const source = losingSource(createDemoSource(sim), 'UTC', () => true);

    const failure = await backfill(context(store, { source }), MONTH, MONTH).catch((e: unknown) => e);

    expect(failure).toBeInstanceOf(RefusedError);
    const message = (failure as Error).message;
    expect(message).toContain('no kube-state-metrics sample in the whole month');
    expect(message).toContain(
      `the total moves ${total} -> 0.00 (-100.0 %, more than guard.maxTotalChangePct 5 %)`,
    );
    expect(message).toMatch(
      /4 teams move by more than guard.maxTeamChangePct 10 %: platform \d+\.\d\d -> 0\.00 \(-100\.0 %\), ml /,
    );
    expect(message).toContain('28 stored days would be replaced by emptier ones');
    expect(message.split('\n')).toHaveLength(1);
    expect(await snapshot(store)).toEqual(before);
  });

  it('publishes it when forced with a reason, recorded in the manifest, the partials and the summary', async () => {
    const { store, total } = await publishedStore();
    const v1 = (await readManifest(store, MONTH))!;
    const source = losingSource(createDemoSource(sim), 'UTC', lostFeb5and6);
    const reason = 'INC-4711: nodes of 5-6 Feb were decommissioned; finance approved';

    const result = await backfill(context(store, { source }), '2026-02-05', '2026-02-06', {
      force: true,
      reason,
    });

    expect(result.restated).toEqual([MONTH]);
    const v2 = (await readManifest(store, MONTH))!;
    expect(v2.restates?.versionId).toBe(v1.versionId);
    expect(v2).toMatchObject({ chargeClass: 'Correction', reason });
    expect(v2.forced?.overridden.some((o) => o.includes('2026-02-05: coverage 100 % -> 0 %'))).toBe(true);
    const partial = JSON.parse(await text(store, keys.dayPartial('2026-02-05')));
    expect(partial.forced.reason).toBe(reason);
    const summary = await summaryOf(store);
    expect(summary.restatement).toMatchObject({
      replaces: { versionId: v1.versionId, runId: v1.runId },
      reason,
      forced: true,
      previousTotal: total,
      total: summary.totals.cost,
    });
    expect(Number(summary.totals.cost)).toBeLessThan(Number(total));
  });
});

describe('a backfill re-meters only the days it names', () => {
  it('meters exactly the requested days and leaves an unchanged month as it is', async () => {
    const { store } = await publishedStore();
    const before = await snapshot(store);
    const source = losingSource(createDemoSource(sim), 'UTC', () => false);

    const result = await backfill(
      context(store, { source, nowMs: NOW + 3_600_000 }),
      '2026-02-05',
      '2026-02-06',
    );

    expect(source.observed.sort()).toEqual(['2026-02-05', '2026-02-06']);
    expect(result).toMatchObject({ unchanged: [MONTH], restated: [], published: [] });
    const after = await snapshot(store);
    // The two partials were re-metered (new meteredAt); the month's files are byte for byte the same.
    const changed = Object.keys(after).filter((k) => after[k] !== before[k]);
    expect(changed.sort()).toEqual(['usage/2026-02-05.json', 'usage/2026-02-06.json']);
  });
});

describe('every restatement is marked and says what it replaces (report, not only backfill)', () => {
  it('marks every row of a restatement from report as Correction, with a per-team difference', async () => {
    const { store, total } = await publishedStore();
    const v1 = (await readManifest(store, MONTH))!;
    // A corrected Spot price of the g5 node: search and speech move, ml does not.
    const corrected = smallClusterConfig().pricing!;
    corrected.instanceTypes!['g5.12xlarge'] = { gpus: 4, gpuModel: 'A10G', onDemand: 5.672, spot: 2.4 };
    const ctx = context(store, { config: { pricing: corrected } });

    const result = await runMonthlyReport(ctx, MONTH, { reason: 'Spot price feed was late' });

    expect(result).toMatchObject({ restated: true, unchanged: false });
    const rows = readCsvObjects(await text(store, keys.chargebackCsv(MONTH)));
    expect(rows.length).toBeGreaterThan(100);
    expect(new Set(rows.map((r) => r.ChargeClass))).toEqual(new Set(['Correction']));
    const team = readCsvObjects(await text(store, keys.teamCsv(MONTH, 'search')));
    expect(new Set(team.map((r) => r.ChargeClass))).toEqual(new Set(['Correction']));
    const summary = await summaryOf(store);
    const r = summary.restatement!;
    expect(r.replaces).toEqual({ versionId: v1.versionId, runId: v1.runId, generatedAt: v1.generatedAt });
    expect([r.reason, r.forced, r.previousTotal, r.total]).toEqual([
      'Spot price feed was late',
      false,
      total,
      summary.totals.cost,
    ]);
    const cents = (s: string) => Math.round(Number(s) * 100);
    expect(r.byTeam.reduce((sum, t) => sum + cents(t.difference), 0)).toBe(cents(r.difference!));
    // ml's amount does not change, up to the cent its rounding moves.
    expect(Math.abs(cents(r.byTeam.find((t) => t.team === 'ml')!.difference))).toBeLessThanOrEqual(1);
    expect(cents(r.byTeam.find((t) => t.team === 'search')!.difference)).toBeGreaterThan(0);
    expect((await readManifest(store, MONTH))!).toMatchObject({
      chargeClass: 'Correction',
      reason: 'Spot price feed was late',
    });

    // A rerun on the same inputs reproduces the restated version: nothing is published again.
    const before = await snapshot(store);
    const again = await runMonthlyReport(ctx, MONTH);
    expect(again).toMatchObject({ restated: false, unchanged: true, versionId: result.versionId });
    expect(await snapshot(store)).toEqual(before);
  });

  it('reruns an unchanged month without restating it: same version, no Correction', async () => {
    const { store } = await publishedStore();
    const before = await snapshot(store);
    const result = await runMonthlyReport(context(store), MONTH, { remeter: true });
    expect(result).toMatchObject({ restated: false, unchanged: true });
    const rows = readCsvObjects(await text(store, keys.chargebackCsv(MONTH)));
    expect(new Set(rows.map((r) => r.ChargeClass))).toEqual(new Set(['']));
    const after = await snapshot(store);
    expect(Object.keys(after).filter((k) => !k.startsWith('usage/') && after[k] !== before[k])).toEqual([]);
  });
});

describe('a configuration change that changes no output', () => {
  it('is not a new version: no zero-difference Correction after an upgrade or an unrelated setting', async () => {
    const { store } = await publishedStore();
    const before = await snapshot(store);
    // cloudwatch.namespace changes the configuration's hash and nothing the month publishes.
    const ctx = context(store, { config: { cloudwatch: { namespace: 'SomethingElse' } } });
    const result = await runMonthlyReport(ctx, MONTH, { remeter: true });
    expect(result).toMatchObject({ restated: false, unchanged: true });
    const rows = readCsvObjects(await text(store, keys.chargebackCsv(MONTH)));
    expect(new Set(rows.map((r) => r.ChargeClass))).toEqual(new Set(['']));
    const after = await snapshot(store);
    expect(Object.keys(after).filter((k) => !k.startsWith('usage/') && after[k] !== before[k])).toEqual([]);
  });
});

describe('implausible months and too little data', () => {
  it('refuses to publish a month without a single sample, unless forced', async () => {
    const store = await freshStore();
    const source = losingSource(createDemoSource(sim), 'UTC', () => true);
    const failure = await runMonthlyReport(context(store, { source }), MONTH).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(RefusedError);
    expect((failure as Error).message).toMatch(
      /^refusing to publish 2026-02: the source has no kube-state-metrics sample/,
    );
    expect(await store.get(keys.manifest(MONTH))).toBeUndefined();

    const forced = await runMonthlyReport(context(store, { source }), MONTH, {
      force: true,
      reason: 'cluster was off',
    });
    expect(forced.summary.totals.coveragePct).toBe(0);
    expect((await readManifest(store, MONTH))!).toMatchObject({ reason: 'cluster was off', chargeClass: '' });
    expect((await readManifest(store, MONTH))!.forced?.overridden).toHaveLength(1);
  });

  it('refuses a month below the coverage floor, and accepts it with a lower floor', async () => {
    const store = await freshStore();
    // 4 of 28 days lost: 85.7 % coverage.
    const source = losingSource(createDemoSource(sim), 'UTC', (d) => d >= '2026-02-25');
    await expect(runMonthlyReport(context(store, { source }), MONTH)).rejects.toThrow(
      /coverage 85\.71 % is below guard\.minCoveragePct 90 %/,
    );
    const result = await runMonthlyReport(
      context(store, { source, config: { guard: { minCoveragePct: 80 } } }),
      MONTH,
    );
    expect(result.summary.totals.coveragePct).toBeCloseTo(85.71, 2);
  });

  it.each(['0000-01', '1969-12', '2014-12'])(
    'refuses month %s as bad input before reading anything',
    async (month) => {
      const store = await freshStore();
      const source = losingSource(createDemoSource(sim), 'UTC', () => false);
      await expect(runMonthlyReport(context(store, { source }), month)).rejects.toThrow(InputError);
      await expect(runMonthlyReport(context(store, { source }), month)).rejects.toThrow(
        /before guard.earliestMonth 2015-01/,
      );
      expect(source.observed).toEqual([]);
    },
  );

  it('refuses --force without a reason', async () => {
    const store = await freshStore();
    await expect(runMonthlyReport(context(store), MONTH, { force: true })).rejects.toThrow(
      /--force needs --reason/,
    );
  });
});

describe('a partial is defined by everything it depends on (zone, instants, source)', () => {
  it('re-meters a partial made in another zone instead of reusing it, and refuses the restatement', async () => {
    const { store } = await publishedStore();
    const before = await snapshot(store);
    const source = losingSource(createDemoSource(sim), 'Asia/Seoul', () => false);
    const seoul = context(store, { source, config: { timezone: 'Asia/Seoul' } });

    expect(await loadDayPartial(seoul, '2026-02-10')).toBeUndefined();
    const failure = await runMonthlyReport(seoul, MONTH).catch((e: unknown) => e);

    expect(failure).toBeInstanceOf(RefusedError);
    expect((failure as Error).message).toContain(
      'the period changes from UTC 2026-02-01T00:00:00Z..2026-03-01T00:00:00Z to Asia/Seoul 2026-02-01T00:00:00+09:00..2026-03-01T00:00:00+09:00',
    );
    // Refused before a single day was metered: another zone is another bill.
    expect(source.observed).toEqual([]);
    expect(await snapshot(store)).toEqual(before);
  });

  it('keys a partial by zone, instants, source URL, tenant and metering settings', () => {
    const base = parseConfig(
      smallClusterConfig({ source: { kind: 'prometheus', url: 'http://prom-a:9090' } }),
    );
    const day = dayOf('2026-02-10', 'UTC');
    const key = (config = base, d = day, description = 'prometheus: http://prom-a:9090') =>
      meteringKey(config, d, [], description);
    const variants = [
      key(base, dayOf('2026-02-10', 'Asia/Seoul')),
      key(
        parseConfig({
          ...smallClusterConfig(),
          timezone: 'Asia/Seoul',
          source: { kind: 'prometheus', url: 'http://prom-a:9090' },
        }),
      ),
      key(parseConfig(smallClusterConfig({ source: { kind: 'prometheus', url: 'http://prom-b:9090' } }))),
      key(base, day, 'prometheus: http://prom-b:9090'),
      key(
        parseConfig(
          smallClusterConfig({
            source: {
              kind: 'prometheus',
              url: 'http://prom-a:9090',
              tenant: { header: 'X-Scope-OrgID', value: 'team-b' },
            },
          }),
        ),
      ),
      key(
        parseConfig(
          smallClusterConfig({
            source: { kind: 'prometheus', url: 'http://prom-a:9090' },
            metering: { maxBridgeSeconds: 600 },
          }),
        ),
      ),
    ];
    expect(new Set([key(), ...variants]).size).toBe(variants.length + 1);
    // A credential in a header never defines the source by its value.
    const token = (value: string) =>
      key(
        parseConfig(
          smallClusterConfig({
            source: { kind: 'prometheus', url: 'http://prom-a:9090', headers: { Authorization: value } },
          }),
        ),
      );
    expect(token('Bearer a')).toBe(token('Bearer b'));
  });
});

describe('a partial metered under other metering rules', () => {
  it('is re-metered, not reused, when the code that meters a day changed (or predates the rules version)', async () => {
    const store = await freshStore();
    await meterAndStoreDay(context(store), '2026-02-10');
    await meterAndStoreDay(context(store), '2026-02-11');
    await meterAndStoreDay(context(store), '2026-02-12');
    const rewrite = async (date: string, edit: (partial: Record<string, unknown>) => void) => {
      const partial = JSON.parse(await text(store, keys.dayPartial(date))) as Record<string, unknown>;
      edit(partial);
      await store.put(keys.dayPartial(date), Buffer.from(JSON.stringify(partial)), 'application/json');
    };
    expect(JSON.parse(await text(store, keys.dayPartial('2026-02-10'))).meteringRules).toBe(
      METERING_RULES_VERSION,
    );
    await rewrite('2026-02-10', (p) => (p.meteringRules = METERING_RULES_VERSION - 1));
    await rewrite('2026-02-11', (p) => delete p.meteringRules);

    const logged: string[] = [];
    const ctx = {
      ...context(store),
      logger: {
        ...silentLogger,
        info: (msg: string, fields?: unknown) => void logged.push(`${msg} ${JSON.stringify(fields)}`),
      },
    };
    expect(await loadDayPartial(ctx, '2026-02-10')).toBeUndefined();
    expect(await loadDayPartial(ctx, '2026-02-11')).toBeUndefined();
    expect(await loadDayPartial(ctx, '2026-02-12')).toBeDefined();
    expect(logged.join('\n')).toContain(
      `metered under other metering rules (${METERING_RULES_VERSION - 1}, now ${METERING_RULES_VERSION})`,
    );
    expect(logged.join('\n')).toContain('metered under other metering rules (before they were versioned');
  });
});

describe('unfinished days and partials metered too early', () => {
  it('refuses to meter today or a future day', async () => {
    const ctx = context(await freshStore(), { nowMs: Date.parse('2026-02-20T10:00:00Z') });
    await expect(meterDay(ctx, '2026-02-20')).rejects.toThrow(/2026-02-20 has not ended yet in UTC/);
    await expect(meterDay(ctx, '2026-02-21')).rejects.toThrow(InputError);
    await expect(meterDay(ctx, '2026-02-19')).resolves.toMatchObject({
      day: { day: { date: '2026-02-19' } },
    });
  });

  it('records when each partial was metered and re-meters one metered before its data was complete', async () => {
    const store = await freshStore();
    const dayEnd = dayOf('2026-02-19', 'UTC').endMs;
    // Metered 10 minutes after the day ended (the default ingestion delay is 30 minutes) ...
    await meterAndStoreDay(context(store, { nowMs: dayEnd + 10 * 60_000 }), '2026-02-19');
    // ... and another day 2 hours after.
    await meterAndStoreDay(context(store, { nowMs: dayEnd + 2 * 3_600_000 }), '2026-02-18');
    const partial = JSON.parse(await text(store, keys.dayPartial('2026-02-19')));
    expect(partial.meteredAt).toBe(new Date(dayEnd + 10 * 60_000).toISOString());

    const source = losingSource(createDemoSource(sim), 'UTC', () => false);
    const later = context(store, { source });
    expect(await loadDayPartial(later, '2026-02-19')).toBeUndefined();
    expect(await loadDayPartial(later, '2026-02-18')).toBeDefined();
    await runMonthlyReport(later, MONTH);
    expect(source.observed).toContain('2026-02-19');
    expect(source.observed).not.toContain('2026-02-18');
  });

  it('never replaces a stored day with an emptier one unless forced (the daily and backfill Lambdas)', async () => {
    const store = await freshStore();
    await meterAndStoreDay(context(store), '2026-02-10');
    const stored = await text(store, keys.dayPartial('2026-02-10'));
    const empty = losingSource(createDemoSource(sim), 'UTC', () => true);

    await expect(meterAndStoreDay(context(store, { source: empty }), '2026-02-10')).rejects.toThrow(
      RefusedError,
    );
    expect(await text(store, keys.dayPartial('2026-02-10'))).toBe(stored);

    await meterAndStoreDay(context(store, { source: empty }), '2026-02-10', {
      force: true,
      reason: 'node retired',
    });
    const replaced = JSON.parse(await text(store, keys.dayPartial('2026-02-10')));
    expect(replaced.forced.reason).toBe('node retired');
    expect(replaced.day.pods).toEqual([]);
  });
});

describe('provisional (month-to-date) versions under the guard (issue #16)', () => {
  const through10 = Date.parse('2026-02-11T01:00:00Z');
  const through20 = Date.parse('2026-02-21T01:00:00Z');

  it('refuses a longer provisional version in which the days both cover lose money, unless forced', async () => {
    const store = await freshStore();
    const first = await runMonthlyReport(context(store, { nowMs: through10 }), MONTH);
    expect(first.provisional).toMatchObject({ throughDay: '2026-02-10', daysMetered: 10 });
    const before = await snapshot(store);
    // The same usage priced at half the p4d rate: the total still grows (10 -> 20 days), so only the
    // daily floor of the days both versions cover sees that 1–10 February lost money.
    const cheaper = {
      pricing: {
        ...smallClusterConfig().pricing!,
        instanceTypes: {
          ...smallClusterConfig().pricing!.instanceTypes,
          'p4d.24xlarge': { gpus: 8, gpuModel: 'A100', onDemand: 16.3863 },
        },
      },
    };
    const error = await runMonthlyReport(context(store, { nowMs: through20, config: cheaper }), MONTH).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(RefusedError);
    expect((error as Error).message).toMatch(
      /^refusing to publish the provisional version of 2026-02 through 2026-02-20 \(replacing the provisional version [0-9a-f]{16}/,
    );
    expect((error as Error).message).toContain('10 days both versions cover would drop');
    expect((error as Error).message).toMatch(/2026-02-01: cost \d+\.\d\d -> \d+\.\d\d/);
    expect(await snapshot(store)).toEqual(before);

    const forced = await runMonthlyReport(context(store, { nowMs: through20, config: cheaper }), MONTH, {
      force: true,
      reason: 'p4d price corrected',
    });
    expect(forced).toMatchObject({ restated: false, replacedProvisional: first.versionId });
    const manifest = (await readManifest(store, MONTH))!;
    expect(manifest.chargeClass).toBe('');
    expect(manifest.reason).toBe('p4d price corrected');
    expect(manifest.forced?.overridden[0]).toContain('10 days both versions cover would drop');
  });

  it('reruns an unchanged provisional version without publishing anything', async () => {
    const store = await freshStore();
    const first = await runMonthlyReport(context(store, { nowMs: through10 }), MONTH);
    const before = await snapshot(store);
    // An hour later the same days have ended: the same version.
    const again = await runMonthlyReport(context(store, { nowMs: through10 + 3_600_000 }), MONTH);
    expect(again).toMatchObject({ unchanged: true, restated: false, versionId: first.versionId });
    expect(again.replacedProvisional).toBeUndefined();
    expect(await snapshot(store)).toEqual(before);
  });
});
